"""Monthly grading (KA-2): the published rules applied to every subscriber; tier and credit changes written
back in bulk, each recorded with its reason; the customer manager notified; a re-run changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.core.models import AuditEvent, Notification
from kefu.customers.models import Subscriber
from kefu.keyaccounts import services
from kefu.keyaccounts.models import GradingRun, TierChange
from kefu.warehouse.loaders import load_from_database

from .conftest import MONTH


@pytest.fixture
def graded_base(billed, make_staff):
    manager = make_staff("manager.xian", "manager", "xian")
    return {
        # 523.40 yuan a month, 11 years on the network, never late: gold and credit 5.
        "gold": billed(52340, vip_tier="silver", credit_level=4, customer_manager=manager),
        # 1200 yuan but not contracted: not a VIP (potential).
        "uncontracted": billed(120000, vip_tier="gold", contracted=False, credit_level=5),
        # 350 yuan, 4 of the earlier months unpaid: credit 2, so no tier.
        "late": billed(35000, vip_tier="silver", late=4, credit_level=3),
        # Unchanged: diamond stays diamond.
        "diamond": billed(150000, vip_tier="diamond", credit_level=5),
        "manager": manager,
    }


def test_grading_writes_tiers_and_credit_back_with_reasons_and_notifies_the_manager(admin_user, graded_base, warehouse):
    load_from_database()
    run = services.grade_month(admin_user, MONTH)
    gold = Subscriber.objects.get(pk=graded_base["gold"].pk)
    assert (gold.vip_tier, gold.credit_level) == ("gold", 5)
    assert Subscriber.objects.get(pk=graded_base["uncontracted"].pk).vip_tier == "ordinary"
    late = Subscriber.objects.get(pk=graded_base["late"].pk)
    assert (late.vip_tier, late.credit_level) == ("ordinary", 2)
    assert Subscriber.objects.get(pk=graded_base["diamond"].pk).vip_tier == "diamond"

    change = TierChange.objects.get(subscriber=gold)
    assert (change.old_tier, change.new_tier, change.old_credit, change.new_credit) == ("silver", "gold", 4, 5)
    assert "average spend 523.40 yuan ≥ 500.00 yuan (Gold card)" in change.reason
    assert change.month == MONTH and change.rule_version.number == 1
    assert "not a contracted customer" in TierChange.objects.get(subscriber=graded_base["uncontracted"]).reason
    assert "credit level 2 < 3" in TierChange.objects.get(subscriber=graded_base["late"]).reason
    assert not TierChange.objects.filter(subscriber=graded_base["diamond"]).exists()

    assert (run.subscribers, run.tier_changes, run.credit_changes) == (4, 3, 2)
    assert run.potential == 2  # the uncontracted big spender and the late payer: ordinary but spending
    notice = Notification.objects.get(recipient=graded_base["manager"])
    assert notice.kind == "tier_change" and f"/customers/{gold.pk}/" == notice.link
    assert gold.msisdn not in notice.text and gold.msisdn[-4:] in notice.text
    assert AuditEvent.objects.filter(object_type="keyaccounts.gradingrun", action="grade").count() == 1

    # Re-running the month changes nothing.
    again = services.grade_month(admin_user, MONTH)
    assert (again.tier_changes, again.credit_changes) == (0, 0)
    assert TierChange.objects.count() == 3 and Notification.objects.count() == 1


def test_the_grade_command_and_the_api(api, admin_user, graded_base, warehouse, capsys):
    load_from_database()
    call_command("grade", "--month", "2026-10")
    assert "4 subscribers graded" in capsys.readouterr().out
    assert Subscriber.objects.get(pk=graded_base["gold"].pk).vip_tier == "gold"
    response = api.login(admin_user).post("/api/v1/keyaccounts/grading", {"month": "2026-10"})
    assert response.status_code == 200 and response.json()["tier_changes"] == 0
    runs = api.get("/api/v1/keyaccounts/grading/runs").json()
    first = runs[-1]
    assert first["tier_changes"] == 3 and {"from": "silver", "to": "gold", "customers": 1} in first["moves"]
    changes = api.get(f"/api/v1/keyaccounts/grading/runs/{first['id']}/changes").json()
    assert changes["count"] == 3
    history = api.get(f"/api/v1/keyaccounts/customers/{graded_base['gold'].msisdn}/tier-changes").json()
    assert history[0]["new_tier"] == "gold" and "523.40" in history[0]["reason"]


def test_changes_are_listed_in_the_callers_scope_and_masked(api, admin_user, billed, agent_baoji, warehouse):
    billed(52340, region="xian-yanta", vip_tier="silver")
    baoji = billed(52340, region="baoji-weibin", vip_tier="silver")
    load_from_database()
    run = services.grade_month(admin_user, MONTH)
    body = api.login(agent_baoji).get(f"/api/v1/keyaccounts/grading/runs/{run.pk}/changes").json()
    assert [item["subscriber"]["id"] for item in body["items"]] == [baoji.pk]
    assert body["items"][0]["subscriber"]["msisdn"] == f"{baoji.msisdn[:3]}****{baoji.msisdn[-4:]}"


def test_a_month_not_in_the_warehouse_or_before_the_last_graded_one_is_refused(admin_user, graded_base, warehouse):
    import datetime as dt

    from kefu.core.errors import DomainError

    with pytest.raises(DomainError) as caught:
        services.grade_month(admin_user, MONTH)
    assert caught.value.status == 409
    load_from_database()
    services.grade_month(admin_user, MONTH)
    with pytest.raises(DomainError) as caught:
        services.grade_month(admin_user, dt.date(2026, 9, 1))
    assert caught.value.status == 409 and caught.value.field == "month"
    with pytest.raises(CommandError):
        call_command("grade", "--month", "2026-09")
    assert GradingRun.objects.count() == 1


def test_an_agent_may_not_run_grading(api, agent_xian, warehouse):
    assert api.login(agent_xian).post("/api/v1/keyaccounts/grading", {"month": "2026-10"}).status_code == 403
