"""TMF621 Trouble Ticket v4: the conformance kit's cases (../shared/tmf/ctk/TMF621), status mapping,
PATCH, and the hub delivering events from the outbox with retries (to a tiny HTTP server)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission

from kefu.workorders import events, worker
from kefu.workorders.models import OutboxEvent, Status, WorkOrder

pytestmark = pytest.mark.django_db

TT = "/tmf-api/troubleTicket/v4/troubleTicket"
HUB = "/tmf-api/troubleTicket/v4/hub"


@pytest.fixture
def as_user(api):
    def login(user):
        api.token = None
        return api.login(user)

    return login


def test_ctk_create_with_minimum_information_and_read_back(as_user, staff, clock):
    api = as_user(staff["agent.xian"])
    response = api.post(TT, {"description": "<anytext>", "severity": "High", "ticketType": "device"})
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    ticket = response.json()
    assert {"description", "severity", "ticketType", "id", "href"} <= ticket.keys()
    assert ticket["id"].startswith("WO") and ticket["href"] == f"{TT}/{ticket['id']}"
    assert ticket["status"] == "acknowledged" and ticket["ticketType"] == "device" and ticket["severity"] == "High"
    assert response["Location"] == ticket["href"]
    assert WorkOrder.objects.get(number=ticket["id"]).category.code == "complaint-fault"
    listed = api.get(TT)
    assert listed.status_code == 200 and listed["X-Total-Count"] == "1"
    assert listed.json()[0]["id"] == ticket["id"]
    assert api.get(f"{TT}/{ticket['id']}").json()["description"] == "<anytext>"


def test_ctk_create_with_notes_and_external_id(as_user, staff, clock):
    api = as_user(staff["agent.xian"])
    body = {
        "description": "nanana",
        "severity": "Low",
        "ticketType": "connectivity",
        "status": "nanana",
        "externalId": "123",
        "note": [
            {"author": "writer n2_1", "text": "This is the first note in N2"},
            {"author": "writer n2_2", "text": "This is the second note in N2"},
        ],
    }
    response = api.post(TT, body)
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert ticket["externalId"] == "123" and ticket["status"] == "acknowledged"
    assert [(n["author"], n["text"]) for n in ticket["note"]] == [
        ("writer n2_1", "This is the first note in N2"),
        ("writer n2_2", "This is the second note in N2"),
    ]


def test_ctk_filters_fields_and_paging(as_user, staff, clock):
    api = as_user(staff["agent.xian"])
    high = api.post(TT, {"description": "a", "severity": "High", "ticketType": "device"}).json()
    low = api.post(TT, {"description": "b", "severity": "Low", "ticketType": "connectivity"}).json()
    assert [t["id"] for t in api.get(TT, severity="High").json()] == [high["id"]]
    assert [t["id"] for t in api.get(TT, ticketType="connectivity").json()] == [low["id"]]
    assert [t["id"] for t in api.get(TT, status="acknowledged,held").json()] == [low["id"], high["id"]]
    only = api.get(f"{TT}/{high['id']}", fields="description").json()
    assert set(only) == {"id", "href", "description"}
    assert set(api.get(f"{TT}/{low['id']}", fields="severity,status").json()) == {"id", "href", "severity", "status"}
    page = api.get(TT, fields="description", offset=1, limit=1)
    assert page["X-Total-Count"] == "2" and page["X-Result-Count"] == "1"
    assert page.json() == [{"id": high["id"], "href": high["href"], "description": "a"}]
    assert api.get(TT, colour="red").status_code in (400, 422)


def test_ctk_errors(as_user, staff, clock):
    api = as_user(staff["agent.xian"])
    assert api.get(f"{TT}/46846846846").status_code == 404
    missing = api.post(TT, {"description": "<anytext>", "severity": "High"})
    assert missing.status_code == 400
    assert missing.json()["field"] == "ticketType" and missing.json()["@type"] == "Error"
    note = api.post(
        TT, {"description": "<anytext>", "severity": "High", "ticketType": "problem", "note": {"author": "writer e3_1"}}
    )
    assert note.status_code == 400 and note.json()["field"] == "note"
    assert not WorkOrder.objects.exists()


def test_customer_party_scope_and_masking(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    response = api.post(
        TT,
        {
            "description": "账单错误",
            "severity": "Minor",
            "ticketType": "complain",
            "priority": "High",
            "relatedParty": [{"id": xian_customer.msisdn, "role": "Customer"}],
            "channel": {"id": "hotline"},
        },
    )
    assert response.status_code == 201, response.content
    ticket = response.json()
    party = ticket["relatedParty"][0]
    assert party["role"] == "customer" and party["contactMedium"] == "139****0001"
    assert ticket["priority"] == "High" and ticket["channel"]["id"] == "hotline"
    assert WorkOrder.objects.get(number=ticket["id"]).category.code == "complaint-other"
    other = as_user(staff["agent.baoji"])
    assert other.get(TT).json() == []
    assert other.get(f"{TT}/{ticket['id']}").status_code == 404


def test_patch_moves_the_status_through_our_steps(as_user, staff, client, clock):
    api = as_user(staff["agent.xian"])
    ticket = api.post(TT, {"description": "查询", "severity": "Minor", "ticketType": "inquiry"}).json()
    url = f"{TT}/{ticket['id']}"
    held = api.patch(url, {"status": "held", "statusChangeReason": "等待客户资料"})
    assert held.status_code == 200 and held.json()["status"] == "held"
    assert WorkOrder.objects.get(number=ticket["id"]).status == Status.SUSPENDED
    moving = api.patch(url, {"status": "inProgress"})
    assert moving.json()["status"] == "inProgress"
    assert WorkOrder.objects.get(number=ticket["id"]).step == "answer"
    api = as_user(staff["backoffice.xian"])
    assert api.patch(url, {"status": "resolved"}).status_code == 400  # the result is needed
    etag = api.get(url)["ETag"]
    stale = client.patch(url, {"name": "x"}, content_type="application/json", HTTP_IF_MATCH='"1"', **api._headers())
    assert stale.status_code == 409
    done = client.patch(
        url,
        {"status": "resolved", "statusChangeReason": "已答复"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **api._headers(),
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "closed" and body["resolutionDate"]
    assert [s["status"] for s in body["statusChange"]] == [
        "acknowledged",
        "held",
        "acknowledged",
        "inProgress",
        "closed",
    ]
    assert api.patch(url, {"id": "other"}).status_code == 400
    assert api.patch(url, {"status": "acknowledged"}).status_code == 409
    deleted = client.delete(url, **api._headers())
    assert deleted.status_code == 405 and WorkOrder.objects.filter(number=ticket["id"]).exists()


def test_complaint_resolved_at_callback_and_closed_by_patch(as_user, staff, complaint):
    api = as_user(staff["agent.xian"])
    url = f"{TT}/{complaint.number}"
    assert api.get(url).json()["status"] == "acknowledged"
    refused = api.patch(url, {"status": "closed", "statusChangeReason": "done"})
    assert refused.status_code == 409 and refused.json()["allowed"] == ["submit"]
    assert WorkOrder.objects.get(pk=complaint.pk).status == Status.OPEN


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records the events POSTed to it; it can fail on purpose."""

    def __init__(self):
        self.received = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(500)
                else:
                    receiver.received.append(body)
                    self.send_response(201)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/listener"

    def types(self):
        return [e["eventType"] for e in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_hub_delivers_create_status_and_resolved_events(as_user, staff, admin_user, receiver, clock):
    assert as_user(staff["agent.xian"]).post(HUB, {"callback": receiver.url}).status_code == 403
    admin = as_user(admin_user)
    registered = admin.post(HUB, {"callback": receiver.url})
    assert registered.status_code == 201 and registered.json()["callback"] == receiver.url
    assert admin.post(HUB, {"callback": "file:///etc/passwd"}).status_code == 400
    api = as_user(staff["agent.xian"])
    ticket = api.post(TT, {"description": "查询", "severity": "Minor", "ticketType": "inquiry"}).json()
    assert receiver.received == []  # nothing is sent until the worker runs
    api.patch(f"{TT}/{ticket['id']}", {"status": "resolved", "statusChangeReason": "已答复"})
    assert worker.run_once()["events"] == 3
    assert receiver.types() == [events.CREATE, events.STATUS_CHANGE, events.RESOLVED]
    created = receiver.received[0]
    assert created["event"]["troubleTicket"]["id"] == ticket["id"]
    assert created["eventId"] and created["eventTime"].startswith("2026-11-26T")
    assert receiver.received[2]["event"]["troubleTicket"]["status"] == "closed"
    assert worker.run_once()["events"] == 0  # each delivered once


def test_hub_query_scope_and_unregister(as_user, staff, make_staff, receiver, client, clock):
    baoji_integration = make_staff("integration.baoji", "leader", "baoji")
    baoji_integration.user_permissions.add(*Permission.objects.filter(codename="add_listener"))
    listener = as_user(baoji_integration).post(
        HUB, {"callback": receiver.url, "query": "eventType=TroubleTicketCreateEvent"}
    )
    assert listener.status_code == 201
    api = as_user(staff["agent.xian"])
    api.post(TT, {"description": "西安", "severity": "Minor", "ticketType": "inquiry"})
    api = as_user(staff["agent.baoji"])
    ticket = api.post(TT, {"description": "宝鸡", "severity": "Minor", "ticketType": "inquiry"}).json()
    api.patch(f"{TT}/{ticket['id']}", {"status": "held"})
    worker.run_once()
    # only the Baoji ticket (the listener's scope), only create events (its query)
    assert receiver.types() == [events.CREATE]
    assert receiver.received[0]["event"]["troubleTicket"]["id"] == ticket["id"]
    api = as_user(baoji_integration)
    assert client.delete(f"{HUB}/{listener.json()['id']}", **api._headers()).status_code == 204
    assert not OutboxEvent.objects.exists()
    assert client.delete(f"{HUB}/{listener.json()['id']}", **api._headers()).status_code == 404


def test_failed_deliveries_are_retried_with_back_off_and_survive_a_stopped_worker(
    as_user, staff, admin_user, receiver, clock
):
    as_user(admin_user).post(HUB, {"callback": receiver.url})
    api = as_user(staff["agent.xian"])
    api.post(TT, {"description": "一", "severity": "Minor", "ticketType": "inquiry"})
    receiver.fail_next = 2
    assert events.deliver_outbox() == 0
    event = OutboxEvent.objects.get()
    assert event.attempts == 1 and event.delivered_at is None and "500" in event.last_error
    assert event.next_attempt_at == clock.now + events.backoff(1)
    assert events.deliver_outbox() == 0  # not due yet
    clock.advance(seconds=31)
    assert events.deliver_outbox() == 0  # fails again, waits longer
    assert OutboxEvent.objects.get().next_attempt_at == clock.now + events.backoff(2)
    # the worker is stopped meanwhile; more events queue up in the database
    api.post(TT, {"description": "二", "severity": "Minor", "ticketType": "inquiry"})
    clock.advance(hours=2)
    assert events.deliver_outbox() == 2
    assert sorted(e["event"]["troubleTicket"]["description"] for e in receiver.received) == ["一", "二"]
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 0
    # a receiver that never answers is given up after MAX_ATTEMPTS, the row kept with its error
    receiver.server.shutdown()
    receiver.server.server_close()
    api.post(TT, {"description": "三", "severity": "Minor", "ticketType": "inquiry"})
    for _ in range(events.MAX_ATTEMPTS):
        clock.advance(hours=2)
        events.deliver_outbox()
    dead = OutboxEvent.objects.get(delivered_at__isnull=True)
    assert dead.dead and dead.attempts == events.MAX_ATTEMPTS
