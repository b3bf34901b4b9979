"""The privilege pages (issue 5 item 6, pages): the green channel — requested for a customer by number,
decided by a second person, fulfilled — with the actions each role may take; partners with their visits and
the monthly settlement with its CSV. Bad input is shown at its field and changes nothing; a record out of
the caller's scope is 404; numbers are masked for staff who may not unmask."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kefu.core.models import AuditEvent, DataScope
from kefu.keyaccounts import privileges
from kefu.keyaccounts.models import GreenChannelRequest, Partner

G = "/keyaccounts/green-channel/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _wanted(days: int = 2) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def staff(make_staff):
    return {
        "manager": make_staff("manager.xian", "manager", "xian"),
        "leader": make_staff("leader.xian", "leader", "xian"),
        "clerk": make_staff("clerk.xian", "clerk", "xian", DataScope.CITY),
        "leader_baoji": make_staff("leader.baoji", "leader", "baoji"),
        "agent": make_staff("agent.xian", "agent", "xian"),
    }


def _request(staff, subscriber) -> GreenChannelRequest:
    return privileges.request_green_channel(
        staff["manager"], subscriber, "营业厅延时服务", timezone.now() + dt.timedelta(days=1)
    )


# --- green channel ---------------------------------------------------------------------------------------


def test_a_manager_requests_the_green_channel_from_the_page_and_sees_it_masked(staff, make_subscriber):
    customer = make_subscriber(name="周钻石", vip_tier="diamond")
    client = _client(staff["manager"])
    page = client.get(G)
    assert page.status_code == 200 and 'id="green-form"' in page.content.decode()
    response = client.post(G, {"msisdn": customer.msisdn, "service": "机场贵宾厅延时", "wanted_at": _wanted()})
    assert response.status_code == 302
    req = GreenChannelRequest.objects.get()
    assert req.subscriber == customer and req.requested_by == staff["manager"] and req.status == "requested"
    assert response["Location"] == f"{G}{req.pk}/"
    detail = client.get(response["Location"]).content.decode()
    listing = client.get(G).content.decode()
    masked = f"{customer.msisdn[:3]}****{customer.msisdn[-4:]}"
    for html in (detail, listing):
        assert masked in html and customer.msisdn not in html
    # the requester may not decide their own request: no decision buttons
    assert 'data-action="approve"' not in detail


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"msisdn": "123"}, "msisdn"),  # not a number
        ({"msisdn": "13999999999"}, "msisdn"),  # nobody
        ({"service": ""}, "service"),
        ({"wanted_at": "yesterday"}, "wanted_at"),
        ({"wanted_at": "2020-01-01T09:00"}, "wanted_at"),  # past: refused by the service
        ({"ordinary": True}, "msisdn"),  # the green channel is for key accounts only
    ],
)
def test_a_bad_green_channel_request_shows_the_field_and_writes_nothing(staff, make_subscriber, fields, field):
    customer = make_subscriber(vip_tier="ordinary" if fields.pop("ordinary", False) else "gold")
    data = {"msisdn": customer.msisdn, "service": "延时服务", "wanted_at": _wanted(), **fields}
    before = AuditEvent.objects.count()
    response = _client(staff["manager"]).post(G, data)
    assert response.status_code in (409, 422)
    assert f'data-error-for="{field}"' in response.content.decode()
    assert GreenChannelRequest.objects.count() == 0 and AuditEvent.objects.count() == before


def test_a_customer_out_of_scope_cannot_be_requested(staff, make_subscriber, make_staff):
    baoji_customer = make_subscriber(region="baoji-weibin", vip_tier="gold")
    response = _client(staff["manager"]).post(
        G, {"msisdn": baoji_customer.msisdn, "service": "延时", "wanted_at": _wanted()}
    )
    assert response.status_code == 422 and 'data-error-for="msisdn"' in response.content.decode()
    assert not GreenChannelRequest.objects.exists()


def test_a_leader_approves_a_clerk_fulfils_with_the_actions_each_may_take(staff, make_subscriber):
    req = _request(staff, make_subscriber(vip_tier="gold"))
    leader, clerk = _client(staff["leader"]), _client(staff["clerk"])
    page = leader.get(f"{G}{req.pk}/").content.decode()
    assert 'data-action="approve"' in page and 'data-action="reject"' in page and 'data-action="fulfil"' not in page
    # the clerk may only fulfil, and only once approved
    assert 'data-action="approve"' not in clerk.get(f"{G}{req.pk}/").content.decode()
    assert clerk.post(f"{G}{req.pk}/approve/", {"note": ""}).status_code == 403
    refused = clerk.post(f"{G}{req.pk}/fulfil/", {"note": ""})
    assert refused.status_code == 409 and 'data-error-for="__all__"' in refused.content.decode()
    req.refresh_from_db()
    assert req.status == "requested"

    assert leader.post(f"{G}{req.pk}/approve/", {"note": "同意"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "approved" and req.decided_by == staff["leader"] and req.note == "同意"
    assert 'data-action="fulfil"' in clerk.get(f"{G}{req.pk}/").content.decode()
    assert clerk.post(f"{G}{req.pk}/fulfil/", {"note": "已安排"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "fulfilled" and req.fulfilled_by == staff["clerk"]
    # deciding again: refused with the reason, nothing changes
    again = leader.post(f"{G}{req.pk}/reject/", {"note": ""})
    assert again.status_code == 409
    req.refresh_from_db()
    assert req.status == "fulfilled"


def test_a_leader_refuses_and_a_too_long_note_changes_nothing(staff, make_subscriber):
    req = _request(staff, make_subscriber(vip_tier="gold"))
    leader = _client(staff["leader"])
    long = leader.post(f"{G}{req.pk}/reject/", {"note": "x" * 301})
    assert long.status_code == 422 and 'data-error-for="note"' in long.content.decode()
    req.refresh_from_db()
    assert req.status == "requested"
    assert leader.post(f"{G}{req.pk}/reject/", {"note": "时间不合适"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "rejected"


def test_green_channel_out_of_scope_is_404_and_agents_have_no_page(staff, make_subscriber):
    req = _request(staff, make_subscriber(vip_tier="gold"))
    other = _client(staff["leader_baoji"])
    assert other.get(f"{G}{req.pk}/").status_code == 404
    assert other.post(f"{G}{req.pk}/approve/", {"note": ""}).status_code == 404
    assert f'data-id="{req.pk}"' not in other.get(G).content.decode()
    req.refresh_from_db()
    assert req.status == "requested"
    assert _client(staff["agent"]).get(G).status_code == 403
    # a leader cannot request: no form, and a POST is refused without writing
    leader = _client(staff["leader"])
    assert 'id="green-form"' not in leader.get(G).content.decode()
    customer = make_subscriber(vip_tier="gold")
    posted = leader.post(G, {"msisdn": customer.msisdn, "service": "延时", "wanted_at": _wanted()})
    assert posted.status_code == 403 and GreenChannelRequest.objects.count() == 1


def test_the_administrator_sees_numbers_unmasked(staff, admin_user, make_subscriber):
    customer = make_subscriber(vip_tier="gold")
    req = _request(staff, customer)
    assert customer.msisdn in _client(admin_user).get(f"{G}{req.pk}/").content.decode()


# --- partners and settlement -----------------------------------------------------------------------------


@pytest.fixture
def lounge(admin_user):
    partner, _token = privileges.create_partner(admin_user, "xy-lounge", "咸阳机场贵宾厅", "airport_lounge", 20000)
    return partner


def _visit(partner, subscriber, reference, at, companions=0):
    return privileges.record_use(
        partner,
        msisdn=subscriber.msisdn,
        name=subscriber.name,
        companions=companions,
        reference=reference,
        used_at=at,
    )


def test_partner_list_and_creation_shows_the_token_once(admin_user, lounge):
    client = _client(admin_user)
    page = client.get("/keyaccounts/partners/")
    assert page.status_code == 200 and 'data-code="xy-lounge"' in page.content.decode()
    created = client.post(
        "/keyaccounts/partners/",
        {"code": "xa-rail", "name": "西安北站贵宾室", "service": "railway_lounge", "price_yuan": "150.50"},
    )
    assert created.status_code == 201
    partner = Partner.objects.get(code="xa-rail")
    assert partner.price_fen == 15050
    token = created.content.decode().split('data-field="token">')[1].split("<")[0]
    assert privileges.partner_for_token(token) == partner
    assert token not in client.get("/keyaccounts/partners/").content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"code": "Bad Code"}, "code", 422),
        ({"code": "xy-lounge"}, "code", 409),  # taken: refused by the service
        ({"price_yuan": "-1"}, "price_yuan", 422),
        ({"service": "spa"}, "service", 422),
    ],
)
def test_a_bad_partner_shows_the_field_and_writes_nothing(admin_user, lounge, fields, field, status):
    data = {"code": "new-one", "name": "新伙伴", "service": "airport_lounge", "price_yuan": "10", **fields}
    response = _client(admin_user).post("/keyaccounts/partners/", data)
    assert response.status_code == status and f'data-error-for="{field}"' in response.content.decode()
    assert list(Partner.objects.values_list("code", flat=True)) == ["xy-lounge"]


def test_partner_visits_of_a_month_are_masked_and_scoped(admin_user, lounge, make_subscriber, make_staff):
    xian = make_subscriber(name="李钻石", vip_tier="diamond")
    baoji = make_subscriber(name="王钻石", vip_tier="diamond", region="baoji-weibin")
    at = timezone.make_aware(dt.datetime(2026, 10, 5, 9))
    _visit(lounge, xian, "R1", at, companions=1)
    _visit(lounge, baoji, "R2", at + dt.timedelta(hours=1))
    _visit(lounge, xian, "R3", timezone.make_aware(dt.datetime(2026, 9, 30, 23)))  # September

    page = _client(admin_user).get("/keyaccounts/partners/xy-lounge/", {"month": "2026-10"}).content.decode()
    assert 'data-reference="R1"' in page and 'data-reference="R2"' in page and 'data-reference="R3"' not in page
    assert xian.msisdn in page  # the administrator may unmask

    # a city-scoped partner manager without unmask: their city's visits only, numbers masked
    keeper = make_staff("partners.xian", "leader", "xian")
    keeper.user_permissions.add(_perm("manage_partners"))
    keeper = type(keeper).objects.get(pk=keeper.pk)
    scoped = _client(keeper).get("/keyaccounts/partners/xy-lounge/", {"month": "2026-10"}).content.decode()
    assert 'data-reference="R1"' in scoped and 'data-reference="R2"' not in scoped
    assert xian.msisdn not in scoped and f"{xian.msisdn[:3]}****{xian.msisdn[-4:]}" in scoped

    assert _client(admin_user).get("/keyaccounts/partners/nobody/").status_code == 404
    bad = _client(admin_user).get("/keyaccounts/partners/xy-lounge/", {"month": "October"})
    assert bad.status_code == 422 and 'data-error-for="month"' in bad.content.decode()


def _perm(codename):
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="keyaccounts", codename=codename)


def test_monthly_settlement_totals_per_partner_and_csv(admin_user, lounge, make_subscriber, agent_xian):
    rail, _token = privileges.create_partner(admin_user, "xa-rail", "西安北站贵宾室", "railway_lounge", 10000)
    customer = make_subscriber(name="李钻石", vip_tier="diamond")
    at = timezone.make_aware(dt.datetime(2026, 10, 5, 9))
    _visit(lounge, customer, "R1", at, companions=1)
    _visit(lounge, customer, "R2", at + dt.timedelta(days=1))
    _visit(rail, customer, "T1", at + dt.timedelta(days=2))

    client = _client(admin_user)
    page = client.get("/keyaccounts/settlements/", {"month": "2026-10"})
    assert page.status_code == 200
    html = page.content.decode()
    lounge_row = html.split('data-partner="xy-lounge"')[1].split("</tr>")[0]
    assert 'data-field="uses">2<' in lounge_row and 'data-field="persons">3<' in lounge_row
    assert 'data-fen="60000"' in lounge_row
    assert 'data-fen="70000"' in html.split('id="totals"')[1]  # 3 × 200 + 1 × 100 yuan
    csv = client.get("/keyaccounts/settlements/xy-lounge.csv", {"month": "2026-10"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("reference") and lines[-1] == "total,2026-10,,,3,60000"
    assert customer.msisdn not in csv.content.decode()  # the partner's report never shows a full number

    empty = client.get("/keyaccounts/settlements/", {"month": "2026-09"}).content.decode()
    assert 'data-fen="0"' in empty.split('id="totals"')[1]
    bad = client.get("/keyaccounts/settlements/", {"month": "2026-13"})
    assert bad.status_code == 422 and 'data-error-for="month"' in bad.content.decode()
    assert client.get("/keyaccounts/settlements/xy-lounge.csv", {"month": "x"}).status_code == 422
    assert client.get("/keyaccounts/settlements/nobody.csv", {"month": "2026-10"}).status_code == 404
    assert _client(agent_xian).get("/keyaccounts/settlements/").status_code == 403
    assert _client(agent_xian).get("/keyaccounts/partners/").status_code == 403
