"""TMF658 Loyalty Management: points accounts, balances and ledger lines, scoped and masked."""

from __future__ import annotations

import datetime as dt

from kefu.keyaccounts import points
from kefu.keyaccounts.models import PointsKind

BASE = "/tmf-api/loyaltyManagement/v4"


def test_accounts_are_scoped_and_masked(api, agent_xian, make_subscriber):
    xian = make_subscriber(region="xian-yanta", points_balance=1200)
    make_subscriber(region="baoji-weibin", points_balance=800)
    response = api.login(agent_xian).get(f"{BASE}/loyaltyAccount")
    assert response.status_code == 200 and response["X-Total-Count"] == "1"
    [account] = response.json()
    assert account["id"] == str(xian.pk) and account["@type"] == "LoyaltyAccount"
    assert account["accountBalance"][0]["amount"] == {"unit": "points", "value": 1200}
    assert xian.msisdn not in response.content.decode()
    assert {"name": "vipTier", "value": "gold", "valueType": "string"} in account["characteristic"]
    only = api.get(f"{BASE}/loyaltyAccount/{xian.pk}", fields="accountBalance").json()
    assert set(only) == {"id", "href", "accountBalance"}


def test_an_account_of_another_region_is_not_found(api, agent_xian, make_subscriber):
    baoji = make_subscriber(region="baoji-weibin")
    response = api.login(agent_xian).get(f"{BASE}/loyaltyAccount/{baoji.pk}")
    assert response.status_code == 404 and response.json()["@type"] == "Error"
    assert api.get(f"{BASE}/loyaltyBalance", **{"loyaltyAccount.id": str(baoji.pk)}).status_code == 404


def test_balances_by_year_earned_and_execution_points(api, agent_xian, admin_user, make_subscriber):
    customer = make_subscriber(points_balance=0)
    points._post(admin_user, customer.pk, PointsKind.ACCRUAL, 300, "Bill 2025-05", month=dt.date(2025, 5, 1))
    points._post(admin_user, customer.pk, PointsKind.ACCRUAL, 200, "Bill 2026-05", month=dt.date(2026, 5, 1))
    api.login(agent_xian)
    balances = api.get(f"{BASE}/loyaltyBalance", **{"loyaltyAccount.id": str(customer.pk)}).json()
    assert [(b["id"], b["quantity"]["amount"]) for b in balances] == [
        (f"{customer.pk}-2025", 300),
        (f"{customer.pk}-2026", 200),
    ]
    assert balances[0]["validFor"]["endDateTime"].startswith("2027-12-31T23:59:59")
    one = api.get(f"{BASE}/loyaltyBalance/{customer.pk}-2026").json()
    assert one["quantity"]["amount"] == 200
    lines = api.get(f"{BASE}/loyaltyExecutionPoint", **{"loyaltyAccount.id": str(customer.pk)}).json()
    assert [(p["type"], p["quantity"]["amount"]) for p in lines] == [("accrual", 200), ("accrual", 300)]
    assert {"name": "balanceAfter", "value": 500, "valueType": "integer"} in lines[0]["characteristic"]
    assert api.get(f"{BASE}/loyaltyExecutionPoint/{lines[0]['id']}").status_code == 200
    bad = api.get(f"{BASE}/loyaltyExecutionPoint", colour="red")
    assert bad.status_code == 422 and bad.json()["field"] == "colour"


def test_reading_points_needs_the_permission(api, make_staff):
    backoffice = make_staff("bo.xian", "backoffice", "xian")
    assert api.login(backoffice).get(f"{BASE}/loyaltyAccount").status_code == 403
