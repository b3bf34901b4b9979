"""Privileges (KA-4, KA-5): partners verify a card with their own token ("not verified" reveals nothing),
record visits with at most one companion against the tier's yearly allowance, and get a monthly settlement;
the green channel is requested, approved by a second person and fulfilled, every step audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.models import AuditEvent
from kefu.keyaccounts import privileges
from kefu.keyaccounts.models import GreenChannelRequest, PrivilegeUse

P = "/api/partner/v1"


@pytest.fixture
def lounge(admin_user):
    partner, token = privileges.create_partner(admin_user, "xy-airport", "咸阳机场贵宾厅", "airport_lounge", 8000)
    return partner, {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _post(client, path, data, headers):
    return client.post(path, data, content_type="application/json", **headers)


def test_partner_verifies_by_number_or_card_and_a_wrong_name_reveals_nothing(
    client, lounge, make_subscriber, admin_user
):
    _, auth = lounge
    gold = make_subscriber(name="李娜", vip_tier="gold")
    card = privileges.issue_card(admin_user, gold)
    ok = _post(client, f"{P}/verify", {"msisdn": gold.msisdn, "name": "李娜"}, auth).json()
    assert ok == {
        "verified": True,
        "tier": "gold",
        "tier_label": ok["tier_label"],
        "allowance_per_year": 6,
        "remaining": 6,
    }
    assert _post(client, f"{P}/verify", {"card_number": card.number, "name": "李娜"}, auth).json()["verified"]
    for wrong in (
        {"msisdn": gold.msisdn, "name": "李四"},
        {"msisdn": "13800000000", "name": "李娜"},
        {"card_number": "VIP0", "name": "李娜"},
    ):
        answer = _post(client, f"{P}/verify", wrong, auth)
        assert answer.status_code == 200 and answer.json() == {"verified": False}
    ordinary = make_subscriber(name="王五", vip_tier="ordinary")
    assert _post(client, f"{P}/verify", {"msisdn": ordinary.msisdn, "name": "王五"}, auth).json() == {"verified": False}
    # Staff logins are not partner credentials, and no token is no access.
    assert (
        client.post(f"{P}/verify", {"msisdn": gold.msisdn, "name": "李娜"}, content_type="application/json").status_code
        == 401
    )
    assert AuditEvent.objects.filter(object_type="keyaccounts.partner", action="verify").count() == 6


def test_visits_count_against_the_yearly_allowance_with_at_most_one_companion(client, lounge, make_subscriber):
    partner, auth = lounge
    high = make_subscriber(name="赵六", vip_tier="high_value")  # 2 persons a year
    body = {"msisdn": high.msisdn, "name": "赵六", "reference": "V1", "companions": 2}
    refused = _post(client, f"{P}/visits", body, auth)
    assert refused.status_code == 422 and refused.json()["field"] == "companions"
    visit = _post(client, f"{P}/visits", {**body, "companions": 1}, auth)
    assert visit.status_code == 201 and visit.json()["remaining"] == 0 and visit.json()["amount_fen"] == 16000
    # The same reference again is the same visit (the partner may retry).
    assert _post(client, f"{P}/visits", {**body, "companions": 1}, auth).json()["id"] == visit.json()["id"]
    full = _post(client, f"{P}/visits", {**body, "reference": "V2", "companions": 0}, auth)
    assert full.status_code == 409
    assert PrivilegeUse.objects.count() == 1
    wrong = _post(client, f"{P}/visits", {**body, "name": "钱七", "reference": "V3", "companions": 0}, auth)
    assert wrong.status_code == 403 and "赵六" not in wrong.content.decode()


def test_monthly_settlement_per_partner_as_json_and_csv(client, api, lounge, make_subscriber, admin_user):
    partner, auth = lounge
    gold = make_subscriber(name="李娜", vip_tier="gold")
    when = timezone.make_aware(dt.datetime(2026, 10, 5, 9, 30))
    privileges.record_use(partner, msisdn=gold.msisdn, name="李娜", companions=1, reference="A", used_at=when)
    privileges.record_use(
        partner, msisdn=gold.msisdn, name="李娜", reference="B", used_at=when.replace(month=11, day=1)
    )
    report = api.login(admin_user).get(f"/api/v1/keyaccounts/partners/{partner.code}/settlements/2026-10").json()
    assert (report["uses"], report["persons"], report["amount_fen"]) == (1, 2, 16000)
    assert report["rows"][0]["msisdn"] != gold.msisdn  # masked
    csv_text = api.get(f"/api/v1/keyaccounts/partners/{partner.code}/settlements/2026-10", format="csv")
    assert csv_text["Content-Type"].startswith("text/csv")
    assert csv_text.content.decode().splitlines()[-1] == "total,2026-10,,,2,16000"
    own = client.get(f"{P}/settlements/2026-11", **auth).json()
    assert own["uses"] == 1 and own["amount_fen"] == 8000


def test_pickup_is_for_diamonds_and_is_booked_for_a_time(client, admin_user, make_subscriber):
    partner, token = privileges.create_partner(admin_user, "pickup", "专车接送", "pickup", 20000)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    diamond = make_subscriber(name="钻石", vip_tier="diamond")
    gold = make_subscriber(name="金卡", vip_tier="gold")
    body = {"msisdn": diamond.msisdn, "name": "钻石", "reference": "P1"}
    assert _post(client, f"{P}/visits", body, auth).json()["field"] == "scheduled_for"
    booked = _post(
        client, f"{P}/visits", {**body, "scheduled_for": "2026-12-01T08:00:00+08:00", "details": "MU2101"}, auth
    )
    assert booked.status_code == 201 and booked.json()["remaining"] == 3
    assert _post(client, f"{P}/verify", {"msisdn": gold.msisdn, "name": "金卡"}, auth).json() == {"verified": False}


def test_green_channel_requested_approved_by_a_second_person_and_fulfilled(api, make_staff, make_subscriber):
    manager = make_staff("manager.xian", "manager", "xian")
    leader = make_staff("leader.xian", "leader", "xian")
    customer = make_subscriber(name="李娜", vip_tier="diamond", customer_manager=manager)
    ordinary = make_subscriber(name="王五", vip_tier="ordinary")
    base = "/api/v1/keyaccounts/green-channel"
    wanted = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert (
        api.login(manager).post(base, {"msisdn": ordinary.msisdn, "service": "补卡", "wanted_at": wanted}).status_code
        == 409
    )
    made = api.post(base, {"msisdn": customer.msisdn, "service": "周日补卡", "wanted_at": wanted})
    assert made.status_code == 201 and made.json()["status"] == "requested"
    rid = made.json()["id"]
    assert api.post(f"{base}/{rid}/approve").status_code == 403  # managers do not approve
    assert api.login(leader).post(f"{base}/{rid}/fulfil").status_code == 409  # not approved yet
    assert api.post(f"{base}/{rid}/approve", {"note": "同意"}).json()["status"] == "approved"
    assert api.post(f"{base}/{rid}/fulfil").json()["fulfilled_by"] == "leader.xian"
    assert GreenChannelRequest.objects.get().status == "fulfilled"
    actions = AuditEvent.objects.filter(object_type="keyaccounts.greenchannelrequest").values_list("action", flat=True)
    assert sorted(actions) == ["approve", "fulfil", "request"]
