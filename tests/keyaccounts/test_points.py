"""Points (KA-3): a ledger with the balance kept equal to its sum; accrual by tier rate and tenure bonus,
idempotent per month; expiry of the oldest points; adjustments with a reason; redemption within the balance
(409 beyond it), including cross-region redemption that records both regions; every change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent
from kefu.customers.models import Subscriber
from kefu.keyaccounts import points
from kefu.keyaccounts.models import PointsEntry, PointsKind, Redemption, RedemptionItem
from kefu.warehouse.loaders import load_from_database

from .conftest import MONTH

BASE = "/api/v1/keyaccounts"


def balance_matches_ledger(subscriber) -> bool:
    subscriber.refresh_from_db()
    return subscriber.points_balance == points.ledger_sum(subscriber)


@pytest.fixture
def lounge(db):
    return RedemptionItem.objects.create(code="lounge", name="Airport lounge pass", points=500, stock=3)


def test_monthly_accrual_by_tier_rate_with_a_tenure_bonus_in_the_anniversary_month(admin_user, billed, warehouse):
    # Gold earns 1.5 points a yuan: 523.40 yuan → 785 points. Joined in October 2015: 11 years → bonus 10 × 100.
    gold = billed(52340, vip_tier="gold", points_balance=0, join_date=dt.date(2015, 10, 9))
    ordinary = billed(8000, vip_tier="ordinary", points_balance=0, join_date=dt.date(2020, 3, 1))
    load_from_database()
    totals = points.accrue_month(admin_user, MONTH)
    assert totals["accrual_points"] == 785 + 80 and totals["tenure_bonus_points"] == 1000
    kinds = dict(PointsEntry.objects.filter(subscriber=gold).values_list("kind", "points"))
    assert kinds == {"accrual": 785, "tenure_bonus": 1000}
    assert Subscriber.objects.get(pk=gold.pk).points_balance == 1785
    assert Subscriber.objects.get(pk=ordinary.pk).points_balance == 80
    # Idempotent: the month accrues once.
    call_command("points", "accrue", "--month", "2026-10")
    assert Subscriber.objects.get(pk=gold.pk).points_balance == 1785
    assert PointsEntry.objects.filter(subscriber=gold).count() == 2
    assert balance_matches_ledger(gold) and balance_matches_ledger(ordinary)
    assert AuditEvent.objects.filter(action="accrue", object_id="2026-10").count() == 2


def test_a_balance_from_before_the_ledger_becomes_its_opening_line(admin_user, billed, warehouse):
    old = billed(52340, vip_tier="gold", points_balance=1200)
    load_from_database()
    points.accrue_month(admin_user, MONTH)
    lines = list(
        PointsEntry.objects.filter(subscriber=old).order_by("id").values_list("kind", "points", "balance_after")
    )
    assert lines[0] == ("adjustment", 1200, 1200) and lines[1][0] == "accrual"
    assert balance_matches_ledger(old)


def test_redemption_beyond_the_balance_is_409_and_changes_nothing(api, agent_xian, make_subscriber, lounge):
    customer = make_subscriber(points_balance=400)
    response = api.login(agent_xian).post(
        f"{BASE}/customers/{customer.msisdn}/points/redemptions", {"item": "lounge", "quantity": 1}
    )
    assert response.status_code == 409 and response.json()["field"] == "points"
    customer.refresh_from_db()
    assert customer.points_balance == 400 and not Redemption.objects.exists()
    assert RedemptionItem.objects.get(code="lounge").stock == 3
    assert not PointsEntry.objects.filter(kind=PointsKind.REDEMPTION).exists()


def test_redemption_takes_points_and_stock_and_is_audited(api, agent_xian, make_subscriber, lounge):
    customer = make_subscriber(points_balance=1200)
    response = api.login(agent_xian).post(
        f"{BASE}/customers/{customer.msisdn}/points/redemptions", {"item": "lounge", "quantity": 2}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["points"] == 1000 and body["balance_after"] == 200 and body["cross_region"] is False
    assert RedemptionItem.objects.get(code="lounge").stock == 1
    assert balance_matches_ledger(customer)
    assert AuditEvent.objects.filter(object_type="keyaccounts.redemption", action="redeem").count() == 1
    # Out of stock: 409.
    again = api.post(f"{BASE}/customers/{customer.msisdn}/points/redemptions", {"item": "lounge", "quantity": 2})
    assert again.status_code == 409 and again.json()["field"] == "quantity"


def test_cross_region_redemption_verifies_the_customer_and_records_both_regions(
    api, make_staff, make_subscriber, lounge
):
    clerk = make_staff("clerk.xian", "clerk", "xian-yanta")
    baoji = make_subscriber(region="baoji-weibin", points_balance=1200, id_number="610302198805051234")
    # The ordinary path does not reach a customer of another city.
    response = api.login(clerk).post(f"{BASE}/customers/{baoji.msisdn}/points/redemptions", {"item": "lounge"})
    assert response.status_code == 404
    wrong = api.post(
        f"{BASE}/points/cross-region-redemptions",
        {"msisdn": baoji.msisdn, "id_number": "610302198805050000", "item": "lounge"},
    )
    assert wrong.status_code == 403 and wrong.json()["field"] == "id_number"
    assert "1200" not in wrong.content.decode() and baoji.name not in wrong.content.decode()
    ok = api.post(
        f"{BASE}/points/cross-region-redemptions",
        {"msisdn": baoji.msisdn, "id_number": "610302198805051234", "item": "lounge"},
    )
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["cross_region"] is True
    assert body["staff_region"] == "xian-yanta" and body["customer_region"] == "baoji-weibin"
    assert body["subscriber"]["msisdn"] == f"{baoji.msisdn[:3]}****{baoji.msisdn[-4:]}"
    redemption = Redemption.objects.get()
    assert redemption.staff_region.code == "xian-yanta" and redemption.customer_region.code == "baoji-weibin"
    event = AuditEvent.objects.get(object_type="keyaccounts.redemption")
    assert event.changes["staff_region"] == "xian-yanta" and event.region_id == baoji.region_id


def test_an_agent_may_not_use_the_cross_region_service(api, agent_xian, make_subscriber, lounge):
    baoji = make_subscriber(region="baoji-weibin", points_balance=1200)
    response = api.login(agent_xian).post(
        f"{BASE}/points/cross-region-redemptions",
        {"msisdn": baoji.msisdn, "id_number": baoji.id_number, "item": "lounge"},
    )
    assert response.status_code == 403


def test_adjustments_need_a_reason(api, make_staff, make_subscriber):
    leader = make_staff("leader.xian", "leader", "xian")
    customer = make_subscriber(points_balance=100)
    api.login(leader)
    missing = api.post(f"{BASE}/customers/{customer.msisdn}/points/adjustments", {"points": 50, "reason": "  "})
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    too_much = api.post(f"{BASE}/customers/{customer.msisdn}/points/adjustments", {"points": -500, "reason": "x"})
    assert too_much.status_code == 409
    ok = api.post(
        f"{BASE}/customers/{customer.msisdn}/points/adjustments", {"points": 50, "reason": "Complaint goodwill"}
    )
    assert ok.status_code == 201 and ok.json()["balance_after"] == 150
    assert balance_matches_ledger(customer)
    assert AuditEvent.objects.filter(object_type="keyaccounts.pointsentry", action="adjust").count() == 1


def test_points_expire_oldest_first_at_the_end_of_the_second_year(admin_user, make_subscriber):
    customer = make_subscriber(points_balance=0)

    def post(kind, amount, month):
        points._post(admin_user, customer.pk, kind, amount, "test", month=month)

    post(PointsKind.ACCRUAL, 1000, dt.date(2024, 3, 1))
    post(PointsKind.ACCRUAL, 500, dt.date(2025, 3, 1))
    post(PointsKind.REDEMPTION, -300, dt.date(2025, 6, 1))  # spends 2024's points first
    post(PointsKind.ACCRUAL, 200, dt.date(2026, 3, 1))
    assert [(b.earned_year, b.points, b.expires_on) for b in points.buckets(customer)] == [
        (2024, 700, dt.date(2026, 12, 31)),
        (2025, 500, dt.date(2027, 12, 31)),
        (2026, 200, dt.date(2028, 12, 31)),
    ]
    assert points.expire_year(admin_user, 2026) == {"subscribers": 1, "points": 700}
    assert points.expire_year(admin_user, 2026) == {"subscribers": 0, "points": 0}  # idempotent
    customer.refresh_from_db()
    assert customer.points_balance == 700 and balance_matches_ledger(customer)
    assert points.expire_year(admin_user, 2027)["points"] == 500


def test_the_statement_shows_balance_expiry_and_ledger(api, agent_xian, make_subscriber, lounge):
    customer = make_subscriber(points_balance=1200)
    api.login(agent_xian).post(f"{BASE}/customers/{customer.msisdn}/points/redemptions", {"item": "lounge"})
    body = api.get(f"{BASE}/customers/{customer.msisdn}/points").json()
    assert body["balance"] == 700 and body["count"] == 2
    assert [e["kind"] for e in body["entries"]] == ["redemption", "adjustment"]
    assert body["expiring"][0]["points"] == 700
    assert body["subscriber"]["msisdn"].count("*") == 4


def test_the_database_refuses_a_negative_balance(make_subscriber):
    from django.db import IntegrityError, transaction

    customer = make_subscriber(points_balance=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.filter(pk=customer.pk).update(points_balance=-1)


def test_redemption_of_an_unknown_item_is_422(api, agent_xian, make_subscriber):
    customer = make_subscriber(points_balance=1200)
    response = api.login(agent_xian).post(f"{BASE}/customers/{customer.msisdn}/points/redemptions", {"item": "x"})
    assert response.status_code == 422 and response.json()["field"] == "item"
    with pytest.raises(DomainError):
        points.redeem(agent_xian, customer, "x")
