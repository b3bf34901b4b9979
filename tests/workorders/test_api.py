"""`/api/v1/workorders`: what a page or another system sees — status codes, problems, scope, masking."""

import copy

import pytest

from kefu.core.models import AuditEvent
from kefu.workorders.defaults import INQUIRY
from kefu.workorders.models import WorkOrder, WorkOrderEvent

pytestmark = pytest.mark.django_db

BASE = "/api/v1/workorders"


@pytest.fixture
def as_user(api):
    def login(user):
        api.token = None
        return api.login(user)

    return login


def _create(api, customer, **extra):
    body = {"category": "complaint-billing", "title": "话费异常", "channel": "hotline", "msisdn": customer.msisdn}
    return api.post(BASE, {**body, **extra})


def test_create_returns_the_order_with_its_actions_masked(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    response = _create(api, xian_customer, description="多扣 30 元")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "WO20261126000001" and body["step"] == "accept" and body["step_name"] == "受理"
    assert body["customer"]["msisdn"] == "139****0001"
    assert body["handler"]["username"] == "agent.xian"
    assert [t["code"] for t in body["actions"]["transitions"]] == ["submit"]
    assert [e["kind"] for e in body["timeline"]] == ["created"]
    assert body["due_at"] == "2026-11-27T09:00:00+08:00"
    assert body["version"] == 1


def test_bad_input_is_4xx_naming_the_field_and_writes_nothing(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    unknown = _create(api, xian_customer, category="teleportation")
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "category" and unknown.json()["reason"] == "unknown_category"
    channel = _create(api, xian_customer, channel="pigeon")
    assert channel.status_code == 422 and channel.json()["field"] == "channel"
    no_customer = api.post(BASE, {"category": "complaint", "title": "x", "channel": "hotline"})
    assert no_customer.status_code == 422 and no_customer.json()["field"] == "msisdn"
    bad_msisdn = _create(api, xian_customer, msisdn="12345")
    assert bad_msisdn.status_code == 422 and bad_msisdn.json()["field"] == "msisdn"
    assert not WorkOrder.objects.exists() and not AuditEvent.objects.exists()

    number = _create(api, xian_customer).json()["number"]
    wrong = api.post(f"{BASE}/{number}/transition", {"transition": "approve", "version": 1})
    assert wrong.status_code == 409
    assert wrong.json()["reason"] == "transition_not_allowed" and wrong.json()["allowed"] == ["submit"]
    assert "submit" in wrong.json()["detail"]
    stale = api.post(f"{BASE}/{number}/transition", {"transition": "submit", "version": 7})
    assert stale.status_code == 409 and stale.json()["current"]["version"] == 1
    assert api.post(f"{BASE}/{number}/transition", {"transition": "submit"}).status_code == 422  # version required
    assert WorkOrderEvent.objects.count() == 1


def test_missing_fields_are_422_naming_them(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    order = _create(api, xian_customer, transition="submit").json()
    assert order["step"] == "dispatch"
    api = as_user(staff["backoffice.xian"])
    order = api.post(f"{BASE}/{order['number']}/transition", {"transition": "dispatch", "version": order["version"]})
    order = order.json()
    response = api.post(
        f"{BASE}/{order['number']}/transition", {"transition": "submit", "version": order["version"], "fields": {}}
    )
    assert response.status_code == 422
    assert response.json()["missing"] == ["result", "root_cause"]
    assert response.json()["field"] == "fields.result"


def test_duplicate_warning_then_confirmed(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    first = _create(api, xian_customer).json()["number"]
    again = _create(api, xian_customer)
    assert again.status_code == 409
    assert again.json()["reason"] == "duplicate" and again.json()["duplicates"] == [first]
    assert WorkOrder.objects.count() == 1
    assert _create(api, xian_customer, confirm_duplicate=True).status_code == 201


def test_complaint_through_the_api_from_acceptance_to_callback(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    order = _create(api, xian_customer, transition="submit").json()
    number = order["number"]

    api = as_user(staff["backoffice.xian"])
    queue = api.get(BASE, group="true").json()
    assert [o["number"] for o in queue["items"]] == [number]
    order = api.post(f"{BASE}/{number}/claim", {"version": order["version"]}).json()
    dispatch = {"transition": "dispatch", "version": order["version"], "fields": {"handler": "backoffice.xian"}}
    order = api.post(f"{BASE}/{number}/transition", dispatch).json()
    assert order["step"] == "handle" and order["handler"]["username"] == "backoffice.xian"
    reply = api.post(f"{BASE}/{number}/replies", {"text": "您好，正在核查"})
    assert reply.status_code == 201 and reply.json()["public"]
    note = api.post(f"{BASE}/{number}/notes", {"text": "计费系统重复扣费"})
    assert note.status_code == 201 and not note.json()["public"]
    order = api.get(f"{BASE}/{number}").json()
    order = api.post(
        f"{BASE}/{number}/transition",
        {
            "transition": "submit",
            "version": order["version"],
            "fields": {"result": "退还 30 元", "root_cause": "billing"},
        },
    ).json()
    assert order["step"] == "review"

    api = as_user(staff["leader.xian"])
    order = api.post(f"{BASE}/{number}/transition", {"transition": "approve", "version": order["version"]}).json()
    api = as_user(staff["agent.xian"])
    order = api.post(f"{BASE}/{number}/callback", {"version": order["version"], "satisfaction": "dissatisfied"}).json()
    assert order["step"] == "handle" and order["status"] == "open" and order["reopen_count"] == 1
    assert order["handler"]["username"] == "backoffice.xian"
    bad = api.post(f"{BASE}/{number}/callback", {"version": order["version"], "satisfaction": "meh"})
    assert bad.status_code == 422 and bad.json()["field"] == "satisfaction"

    api = as_user(staff["backoffice.xian"])
    order = api.post(
        f"{BASE}/{number}/transition",
        {"transition": "submit", "version": order["version"], "fields": {"result": "再退 10 元"}},
    ).json()
    api = as_user(staff["leader.xian"])
    order = api.post(f"{BASE}/{number}/transition", {"transition": "approve", "version": order["version"]}).json()
    api = as_user(staff["agent.xian"])
    order = api.post(f"{BASE}/{number}/callback", {"version": order["version"], "satisfaction": "satisfied"}).json()
    assert order["status"] == "closed" and order["satisfaction"] == "satisfied" and order["root_cause"] == "billing"
    kinds = [e["kind"] for e in order["timeline"]]
    assert kinds[0] == "created" and kinds.count("reopen") == 1 and kinds[-1] == "callback"
    assert order["actions"]["transitions"] == [] and not order["actions"]["urge"]


def test_lists_are_scoped_filtered_and_ordered_by_due_time(as_user, staff, xian_customer, baoji_customer, clock):
    api = as_user(staff["agent.xian"])
    slow = api.post(BASE, {"category": "suggestion", "title": "建议延长营业时间", "channel": "web"}).json()
    fast = _create(api, xian_customer).json()
    body = api.get(BASE, mine="true").json()
    assert [o["number"] for o in body["items"]] == [fast["number"], slow["number"]]  # accept 2 h before 4 h
    assert api.get(BASE, mine="true", limit=1, offset=1).json()["items"][0]["number"] == slow["number"]
    assert api.get(BASE, category="complaint").json()["count"] == 1
    assert api.get(BASE, category="nonsense").status_code == 422
    assert api.get(BASE, limit=0).status_code == 422
    assert as_user(staff["agent.baoji"]).get(BASE).json()["count"] == 0
    api = as_user(staff["agent.xian"])
    clock.advance(hours=3)
    overdue = api.get(BASE, overdue="true").json()
    assert [o["number"] for o in overdue["items"]] == [fast["number"]] and overdue["items"][0]["overdue"]
    assert [o["number"] for o in api.get(BASE, due_soon="true").json()["items"]] == [slow["number"]]
    assert api.get(f"{BASE}/{fast['number']}").status_code == 200
    assert as_user(staff["agent.yanan"]).get(f"{BASE}/{fast['number']}").status_code == 404


def test_cross_region_order_seen_by_both_cities_with_masked_number(as_user, staff, baoji_customer, clock):
    api = as_user(staff["agent.xian"])
    created = api.post(
        BASE,
        {"category": "cross-region-sim", "title": "异地补卡", "channel": "hall", "msisdn": baoji_customer.msisdn},
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["cross_region"] and order["handling_region"]["code"] == "baoji"
    assert order["customer"]["msisdn"] == "139****0002"
    # the Xi'an agent still cannot open the Baoji customer's 360
    assert api.get(f"/api/v1/customers/{baoji_customer.msisdn}/360").status_code == 404
    api.post(f"{BASE}/{order['number']}/transition", {"transition": "submit", "version": order["version"]})
    baoji = as_user(staff["backoffice.baoji"]).get(BASE, group="true").json()
    assert [o["number"] for o in baoji["items"]] == [order["number"]]


def test_attachments_upload_download_and_limits(client, as_user, staff, xian_customer, clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api = as_user(staff["agent.xian"])
    number = _create(api, xian_customer).json()["number"]
    headers = api._headers()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("账单.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    response = client.post(f"{BASE}/{number}/attachments", {"file": upload}, **headers)
    assert response.status_code == 201, response.content
    attachment = response.json()
    download = client.get(f"{BASE}/{number}/attachments/{attachment['id']}", **headers)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\x89PNG")
    bad = client.post(f"{BASE}/{number}/attachments", {"file": SimpleUploadedFile("x.exe", b"MZ")}, **headers)
    assert bad.status_code == 422 and bad.json()["field"] == "file"
    detail = api.get(f"{BASE}/{number}").json()
    assert [a["name"] for a in detail["attachments"]] == [attachment["name"]]
    assert [e["kind"] for e in detail["timeline"]] == ["created", "attachment"]
    other = as_user(staff["agent.baoji"])
    assert client.get(f"{BASE}/{number}/attachments/{attachment['id']}", **other._headers()).status_code == 404


def test_monitoring_bulk_actions_and_notifications(as_user, staff, xian_customer, make_subscriber, clock):
    api = as_user(staff["agent.xian"])
    numbers = [
        _create(api, xian_customer, confirm_duplicate=True, transition="submit").json()["number"] for _ in range(3)
    ]
    assert api.post(f"{BASE}/bulk", {"action": "urge", "orders": numbers}).status_code == 403
    leader = as_user(staff["leader.xian"])
    summary = leader.get(f"{BASE}/monitor").json()
    assert summary["totals"]["total"] == 3
    assert summary["by_region"] == [{"key": "xian", "total": 3, "suspended": 0, "overdue": 0, "due_soon": 3}]
    response = leader.post(f"{BASE}/bulk", {"action": "reassign", "orders": numbers, "handler": "backoffice2.xian"})
    assert response.status_code == 200 and response.json()["count"] == 3
    assert {o["handler"]["username"] for o in response.json()["items"]} == {"backoffice2.xian"}
    refused = leader.post(f"{BASE}/bulk", {"action": "reassign", "orders": numbers, "handler": "agent.yanan"})
    assert refused.status_code == 422 and refused.json()["order"] == numbers[0]
    suspended = leader.post(f"{BASE}/bulk", {"action": "suspend", "orders": numbers, "reason": "系统割接"})
    assert {o["status"] for o in suspended.json()["items"]} == {"suspended"}
    inbox = as_user(staff["backoffice2.xian"]).get(f"{BASE}/notifications").json()
    assert len(inbox) == 3 and {n["kind"] for n in inbox} == {"reassign"}
    marked = as_user(staff["backoffice2.xian"]).post(f"{BASE}/notifications/read", {"ids": [n["id"] for n in inbox]})
    assert marked.json() == {"marked": 3}
    assert AuditEvent.objects.filter(action="suspend").count() == 3


def test_merge_split_close_and_withdraw(as_user, staff, xian_customer, clock):
    api = as_user(staff["agent.xian"])
    a = _create(api, xian_customer).json()
    b = _create(api, xian_customer, confirm_duplicate=True).json()
    merged = api.post(f"{BASE}/{a['number']}/merge", {"version": a["version"], "orders": [b["number"]]})
    assert merged.status_code == 200
    assert api.get(f"{BASE}/{b['number']}").json()["merged_into"] == a["number"]
    split = api.post(
        f"{BASE}/{a['number']}/split",
        {"version": merged.json()["version"], "parts": [{"category": "inquiry-business", "title": "流量包咨询"}]},
    )
    assert split.status_code == 201
    inquiry = split.json()["items"][0]
    closed = api.post(f"{BASE}/{inquiry['number']}/close", {"version": inquiry["version"], "result": "已介绍流量包"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # a complaint cannot be closed at acceptance: the allowed transitions are named
    refused = api.post(f"{BASE}/{a['number']}/close", {"version": split.json()["items"][0]["version"], "result": "x"})
    assert refused.status_code == 409 or refused.json()["reason"] == "stale_version"
    current = api.get(f"{BASE}/{a['number']}").json()
    refused = api.post(f"{BASE}/{a['number']}/close", {"version": current["version"], "result": "x"})
    assert refused.status_code == 409 and refused.json()["allowed"] == ["submit"]
    withdrawn = api.post(f"{BASE}/{a['number']}/withdraw", {"version": current["version"], "reason": "客户撤诉"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_workflow_endpoints(as_user, staff, admin_user):
    api = as_user(staff["agent.xian"])
    categories = api.get(f"{BASE}/categories").json()
    assert {"code": "cross-region-backup-phone", "workflow": "cross-region"}.items() <= next(
        c for c in categories if c["code"] == "cross-region-backup-phone"
    ).items()
    workflow = api.get(f"{BASE}/workflows/complaint").json()
    assert workflow["versions"][0]["mermaid"].startswith("flowchart LR")
    broken = copy.deepcopy(INQUIRY)
    broken["transitions"] = [t for t in broken["transitions"] if t["from"] != "answer"]
    check = api.post(f"{BASE}/workflows/check", {"definition": broken}).json()
    assert [p["kind"] for p in check["problems"]] == ["dead_end"] and "answer" in check["problems"][0]["message"]
    assert api.post(f"{BASE}/workflows/inquiry/draft", {"definition": INQUIRY}).status_code == 403
    admin = as_user(admin_user)
    refused = admin.post(f"{BASE}/workflows/inquiry/draft", {"definition": broken})
    assert refused.status_code == 422 and refused.json()["problems"][0]["subject"] == ["answer"]
    draft = admin.post(f"{BASE}/workflows/inquiry/draft", {"definition": INQUIRY, "note": "same"})
    assert draft.status_code == 200 and draft.json()["number"] == 2
    published = admin.post(f"{BASE}/workflows/inquiry/versions/2/publish")
    assert published.status_code == 200 and published.json()["published"]
