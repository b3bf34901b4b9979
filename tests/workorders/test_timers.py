"""SLA timers (WO-3): warning at 80 %, escalation after the limit, fired by the worker exactly once —
also after the worker was stopped for a while."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from kefu.core.models import AuditEvent, Notification
from kefu.workorders import services, worker
from kefu.workorders.models import EventKind, Priority, Timer, TimerKind, WorkOrder
from tests.workorders.conftest import fresh


def _fired(order):
    return sorted(order.timers.filter(fired_at__isnull=False).values_list("kind", flat=True))


@pytest.mark.django_db
def test_warning_at_80_percent_then_escalation_to_the_leader(complaint, staff, clock):
    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    start_version = fresh(complaint).version
    # dispatch step: 2 h; 80 % = 1 h 36 min
    clock.advance(minutes=95)
    assert worker.fire_due_timers() == 0
    clock.advance(minutes=2)
    assert worker.fire_due_timers() == 1
    order = fresh(complaint)
    assert order.events.last().kind == EventKind.WARNING
    warning = Notification.objects.get(kind="warning")
    assert warning.recipient is None and warning.role == "backoffice" and warning.region.code == "xian"
    assert order.priority == Priority.HIGH and order.version == start_version  # a warning changes nothing
    clock.advance(minutes=30)
    assert worker.fire_due_timers() == 2  # the step is overdue; the 2 h first response too
    order = fresh(complaint)
    assert order.priority == Priority.URGENT and order.escalation_level == 2
    escalations = Notification.objects.filter(kind="escalation")
    assert {n.recipient.username for n in escalations} == {"leader.xian"}
    assert escalations.count() == 2
    assert AuditEvent.objects.filter(action="escalate", object_id=str(order.pk)).count() == 2
    assert order.version == start_version + 2


@pytest.mark.django_db
def test_timers_of_a_step_left_behind_do_not_fire(complaint, staff, clock):
    services.transition(staff["agent.xian"], complaint.number, "submit", version=complaint.version)
    services.add_note(staff["agent.xian"], complaint.number, "已联系客户", reply=True)
    services.transition(staff["backoffice.xian"], complaint.number, "dispatch", version=fresh(complaint).version)
    clock.advance(hours=3)  # the dispatch step's 2 h have passed, but the order is at handle now
    worker.fire_due_timers()
    assert not fresh(complaint).events.filter(kind=EventKind.ESCALATION).exists()


@pytest.mark.django_db
def test_escalation_may_send_the_order_back_to_the_queue(complaint, staff, clock, set_parameter):
    set_parameter("workorders.escalation_reassign", "pool")
    services.add_note(staff["agent.xian"], complaint.number, "您好", reply=True)
    clock.advance(hours=2, minutes=1)
    worker.fire_due_timers()
    order = fresh(complaint)
    assert order.handler is None and order.escalation_level == 1


@pytest.mark.django_db
def test_suspended_orders_do_not_escalate_until_resumed(complaint, staff, clock):
    services.add_note(staff["agent.xian"], complaint.number, "您好", reply=True)
    services.suspend(staff["agent.xian"], complaint.number, version=fresh(complaint).version, reason="等待客户")
    clock.advance(hours=30)
    assert worker.fire_due_timers() == 0
    services.resume(staff["agent.xian"], complaint.number, version=fresh(complaint).version)
    clock.advance(minutes=95)
    assert worker.fire_due_timers() == 0  # 1 h 36 min of the accept step's 2 h remained
    clock.advance(minutes=2)
    assert worker.fire_due_timers() == 1


def _orders(staff, make_subscriber, count):
    orders = []
    for i in range(count):
        customer = make_subscriber(
            region="xian-yanta", msisdn=f"1390000{1000 + i}", vip_tier=("gold", "ordinary")[i % 2]
        )
        orders.append(
            services.create(
                staff["agent.xian"],
                category="complaint-network",
                title=f"信号 {i}",
                channel="hotline",
                msisdn=customer.msisdn,
            )
        )
    return orders


@pytest.mark.django_db
def test_stopped_worker_catches_up_every_missed_timer_exactly_once(staff, make_subscriber, clock):
    orders = _orders(staff, make_subscriber, 6)
    results = worker.run_once()  # other areas register jobs too (key-account reminders)
    assert (results["timers"], results["events"]) == (0, 0)
    total = Timer.objects.count()
    # the worker is stopped; three days pass
    clock.advance(hours=72)
    first = call_command_output()
    assert first.startswith(f"timers={total} events=0")
    assert Timer.objects.filter(fired_at__isnull=True).count() == 0
    assert call_command_output().startswith("timers=0 events=0")  # started again: nothing fires twice
    for order in orders:
        order = fresh(order)
        fired = _fired(order)
        assert len(fired) == len(set(fired))
        escalations = order.events.filter(kind=EventKind.ESCALATION).count()
        assert escalations == sum(1 for k in fired if k in ("step_due", "order_due", "first_response"))
        assert order.events.filter(kind=EventKind.WARNING).count() == fired.count("step_warning") + fired.count(
            "order_warning"
        )
    gold = fresh(orders[0])
    assert _fired(gold) == sorted(["step_warning", "step_due", "order_warning", "order_due", TimerKind.FIRST_RESPONSE])


def call_command_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue().strip()


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL SKIP LOCKED")
@pytest.mark.django_db(transaction=True)
def test_two_workers_started_together_share_the_backlog_without_firing_twice(staff, make_subscriber, clock):
    orders = _orders(staff, make_subscriber, 8)
    total = Timer.objects.count()
    clock.advance(hours=100)
    counts = []

    def run():
        try:
            counts.append(worker.fire_due_timers(batch=3))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == total
    assert Timer.objects.filter(fired_at__isnull=True).count() == 0
    escalations = sum(o.events.filter(kind=EventKind.ESCALATION).count() for o in WorkOrder.objects.all())
    assert escalations == Timer.objects.filter(kind__in=("step_due", "order_due", "first_response")).count()
    assert len(orders) == 8
