"""Customer managers (KA-6) and service standards (KA-7): daily reminders from the worker (once a day, never
repeated), tasks with progress and evaluation, the monthly score, the manager's home page; the tiers' KPIs
against their targets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import timezone

from kefu.core.models import Notification
from kefu.customers.models import Bill
from kefu.keyaccounts import managers
from kefu.keyaccounts.models import ManagerTask, WorkLog
from kefu.workorders import services as orders
from kefu.workorders import worker

A = "/api/v1/keyaccounts"


def _month(today: dt.date, back: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def test_daily_reminders_birthday_contract_and_falling_spend_once(make_staff, make_subscriber):
    manager = make_staff("manager.xian", "manager", "xian")
    today = timezone.localdate()
    birthday = make_subscriber(
        name="生日", customer_manager=manager, birth_date=(today + dt.timedelta(days=2)).replace(year=1980)
    )
    make_subscriber(name="合约", customer_manager=manager, contract_end=today + dt.timedelta(days=10))
    falling = make_subscriber(name="流失", customer_manager=manager)
    steady = make_subscriber(name="稳定", customer_manager=manager)
    for back, total in ((3, 50000), (2, 45000), (1, 30000)):
        Bill.objects.create(
            subscriber=falling, month=_month(today, back), plan_fee_fen=total, total_fen=total, paid_fen=total
        )
        Bill.objects.create(
            subscriber=steady, month=_month(today, back), plan_fee_fen=50000, total_fen=50000, paid_fen=50000
        )
    make_subscriber(name="无经理", birth_date=today.replace(year=1980))  # no manager: nobody to remind

    assert worker.run_once()["keyaccounts.daily"] == 3
    assert worker.run_once()["keyaccounts.daily"] == 0  # once a day
    assert managers.generate_reminders(today) == 0  # and never the same reminder twice
    kinds = dict(Notification.objects.filter(recipient=manager).values_list("kind", "text"))
    assert set(kinds) == {"birthday", "contract_end", "churn"}
    assert "500.00" in kinds["churn"] and "300.00" in kinds["churn"] and birthday.msisdn not in kinds["birthday"]


def test_tasks_are_dispatched_progressed_and_evaluated(api, make_staff):
    manager = make_staff("manager.xian", "manager", "xian")
    leader = make_staff("leader.xian", "leader", "xian")
    deadline = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    task = api.login(leader).post(
        f"{A}/manager-tasks", {"manager": "manager.xian", "title": "走访钻石客户", "deadline": deadline}
    )
    assert task.status_code == 201
    assert Notification.objects.filter(recipient=manager, kind="task").exists()
    tid = task.json()["id"]
    assert api.post(f"{A}/manager-tasks/{tid}/evaluation", {"evaluation": 4}).status_code == 409  # not done
    api.login(manager)
    assert api.post(f"{A}/manager-tasks/{tid}/progress", {"progress": 50}).json()["status"] == "open"
    assert api.post(f"{A}/manager-tasks/{tid}/progress", {"progress": 100, "note": "已走访"}).json()["status"] == "done"
    assert api.post(f"{A}/manager-tasks/{tid}/evaluation", {"evaluation": 4}).status_code == 403
    assert (
        api.post(f"{A}/manager-tasks", {"manager": "manager.xian", "title": "x", "deadline": deadline}).status_code
        == 403
    )
    done = api.login(leader).post(f"{A}/manager-tasks/{tid}/evaluation", {"evaluation": 4, "note": "好"}).json()
    assert done["status"] == "evaluated" and done["evaluation"] == 4


def test_monthly_score_from_revenue_retention_satisfaction_and_tasks(make_staff, make_subscriber, api):
    manager = make_staff("manager.xian", "manager", "xian")
    leader = make_staff("leader.xian", "leader", "xian")
    customer = make_subscriber(customer_manager=manager)
    Bill.objects.create(
        subscriber=customer, month=dt.date(2026, 9, 1), plan_fee_fen=20000, total_fen=20000, paid_fen=20000
    )
    Bill.objects.create(
        subscriber=customer, month=dt.date(2026, 10, 1), plan_fee_fen=10000, total_fen=10000, paid_fen=10000
    )
    ManagerTask.objects.create(
        manager=manager,
        title="t",
        deadline=dt.date(2026, 10, 20),
        status="done",
        progress=100,
        done_at=timezone.make_aware(dt.datetime(2026, 10, 19, 10)),
        dispatched_by=leader,
    )
    ManagerTask.objects.create(manager=manager, title="late", deadline=dt.date(2026, 10, 25), dispatched_by=leader)
    score = api.login(manager).get(f"{A}/manager/score", month="2026-10").json()
    # revenue 100/200 → 50, retention 100, satisfaction 100 (no rated orders), tasks 1 of 2 on time → 50
    assert score["parts"] == {"revenue": 50.0, "retention": 100.0, "satisfaction": 100.0, "tasks": 50.0}
    assert score["score"] == (40 * 50 + 30 * 100 + 20 * 100 + 10 * 50) / 100


def test_the_manager_home_page_shows_portfolio_reminders_tasks_score_and_logs_a_contact(
    make_staff, make_subscriber, agent_xian
):
    manager = make_staff("manager.xian", "manager", "xian")
    customer = make_subscriber(name="李娜", customer_manager=manager, vip_tier="diamond")
    make_subscriber(name="别人的客户")
    Notification.objects.create(recipient=manager, kind="birthday", text="李娜 生日", link="/")
    client = Client()
    client.force_login(manager)
    page = client.get("/keyaccounts/manager/").content.decode()
    assert "李娜" in page and "别人的客户" not in page and "李娜 生日" in page and customer.msisdn not in page
    assert 'data-field="score"' in page
    logged = client.post(
        "/keyaccounts/manager/", {"action": "log", "subscriber": customer.pk, "kind": "visit", "summary": "上门拜访"}
    )
    assert logged.status_code == 302 and WorkLog.objects.get().subscriber == customer
    bad = client.post(
        "/keyaccounts/manager/", {"action": "log", "subscriber": customer.pk, "kind": "party", "summary": "x"}
    )
    assert bad.status_code == 422 and WorkLog.objects.count() == 1
    agent = Client()
    agent.force_login(agent_xian)
    assert agent.get("/keyaccounts/manager/").status_code == 403


def test_service_standards_per_tier_against_targets(api, make_staff, make_subscriber, monkeypatch):
    shanghai = ZoneInfo("Asia/Shanghai")
    now = {"t": dt.datetime(2026, 11, 2, 9, 0, tzinfo=shanghai)}
    monkeypatch.setattr("kefu.workorders.clock.now", lambda: now["t"])
    agent = make_staff("agent.xian", "agent", "xian")
    back = make_staff("backoffice.xian", "backoffice", "xian")
    leader = make_staff("leader.xian", "leader", "xian")
    manager = make_staff("manager.xian", "manager", "xian")
    gold = make_subscriber(vip_tier="gold", customer_manager=manager)
    make_subscriber(vip_tier="gold", customer_manager=manager)  # never contacted
    for late in (False, True):
        order = orders.create(
            agent,
            category="complaint-billing",
            title="话费",
            description="多扣",
            channel="hotline",
            msisdn=gold.msisdn,
            confirm_duplicate=True,
        )

        def move(user, code, order=order, **fields):
            order.refresh_from_db()
            orders.transition(user, order.number, code, version=order.version, fields=fields)

        move(agent, "submit")
        move(back, "dispatch", handler="backoffice.xian")
        move(back, "submit", result="退费", root_cause="billing")
        move(leader, "approve")
        now["t"] += dt.timedelta(hours=30 if late else 2)
        order.refresh_from_db()
        orders.callback(
            agent, order.number, version=order.version, satisfaction="satisfied" if late else "very_satisfied"
        )
    for days in (3, 5):
        WorkLog.objects.create(
            manager=manager, subscriber=gold, kind="call", at=timezone.now() - dt.timedelta(days=days), summary="回访"
        )
    report = api.login(leader).get(f"{A}/standards", quarter="2026-Q4").json()
    gold_row = next(row for row in report["tiers"] if row["tier"] == "gold")["kpis"]
    assert gold_row["callback_in_time"]["value"] == 50.0 and gold_row["callback_in_time"]["met"] is False
    assert gold_row["satisfaction"]["value"] == 100.0 and gold_row["satisfaction"]["met"] is True
    assert gold_row["manager_contact"]["value"] == 50.0 and gold_row["manager_contact"]["target_contacts"] == 2
    assert api.get(f"{A}/standards", quarter="2026-5").status_code == 422
    client = Client()
    client.force_login(leader)
    page = client.get("/keyaccounts/standards/?quarter=2026-Q4").content.decode()
    assert 'data-tier="gold"' in page and 'data-kpi="callback_in_time" data-met="no"' in page
