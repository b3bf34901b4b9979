"""The care pages (issue 5 items 7 and 8, pages): appointment slots with their bookings, booking, moving and
cancelling an appointment; a customer manager's work plans and daily work log; tasks dispatched by a team
leader, progressed by the manager and evaluated by the leader. Bad input is shown at its field and changes
nothing; records out of the caller's scope are 404; numbers are masked for staff who may not unmask."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kefu.core.models import AuditEvent, Region
from kefu.keyaccounts import appointments, managers
from kefu.keyaccounts.models import Appointment, AppointmentSlot, ManagerTask, WorkLog, WorkPlan

K = "/keyaccounts"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def _masked(msisdn: str) -> str:
    return f"{msisdn[:3]}****{msisdn[-4:]}"


@pytest.fixture
def start():
    return (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def slots(admin_user, start):
    hall = Region.objects.get(code="xian-yanta")
    one = appointments.create_slot(admin_user, "hall_vip", hall, start, start + dt.timedelta(hours=1), capacity=1)
    two = appointments.create_slot(
        admin_user, "hall_vip", hall, start + dt.timedelta(hours=1), start + dt.timedelta(hours=2), capacity=2
    )
    return one, two


# --- slots and appointments ------------------------------------------------------------------------------


def test_a_slot_created_from_the_page_with_its_capacity(agent_xian, start):
    client = _client(agent_xian)
    page = client.get(f"{K}/slots/")
    assert page.status_code == 200 and 'id="slot-form"' in page.content.decode()
    hall = Region.objects.get(code="xian-yanta")
    response = client.post(
        f"{K}/slots/",
        {
            "kind": "hall_vip",
            "region": hall.pk,
            "starts_at": _local(start),
            "ends_at": _local(start + dt.timedelta(minutes=30)),
            "capacity": 3,
        },
    )
    assert response.status_code == 302
    slot = AppointmentSlot.objects.get()
    assert slot.capacity == 3 and slot.region == hall and slot.starts_at == start
    assert f'data-id="{slot.pk}"' in client.get(f"{K}/slots/").content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"ends_at": "before"}, "ends_at"),
        ({"swap": True}, "ends_at"),  # ends before it starts: refused by the service
        ({"kind": "manager_visit"}, "manager"),  # a manager visit needs its manager
        ({"baoji": True}, "region"),  # a place out of the caller's scope
    ],
)
def test_a_bad_slot_shows_the_field_and_writes_nothing(agent_xian, start, fields, field):
    region = Region.objects.get(code="baoji-weibin" if fields.pop("baoji", False) else "xian-yanta")
    starts, ends = start, start + dt.timedelta(hours=1)
    if fields.pop("swap", False):
        starts, ends = ends, starts
    data = {"kind": "hall_vip", "region": region.pk, "starts_at": _local(starts), "ends_at": _local(ends)}
    data["capacity"] = 2
    response = _client(agent_xian).post(f"{K}/slots/", {**data, **fields})
    assert response.status_code == 422 and f'data-error-for="{field}"' in response.content.decode()
    assert not AppointmentSlot.objects.exists()


def test_book_from_the_page_then_see_the_booking_on_the_slot_masked(agent_xian, slots, make_subscriber):
    one, _two = slots
    customer = make_subscriber(name="李娜")
    client = _client(agent_xian)
    assert client.get(f"{K}/appointments/").status_code == 200
    response = client.post(f"{K}/appointments/", {"msisdn": customer.msisdn, "slot": one.pk, "description": "补卡"})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.subscriber == customer and appointment.slot == one and appointment.description == "补卡"
    one.refresh_from_db()
    assert one.booked == 1
    for url in (f"{K}/slots/{one.pk}/", f"{K}/appointments/", response["Location"]):
        html = client.get(url).content.decode()
        assert _masked(customer.msisdn) in html and customer.msisdn not in html, url


def test_a_full_slot_or_a_bad_number_is_refused_at_its_field_and_nothing_is_booked(agent_xian, slots, make_subscriber):
    one, _two = slots
    first, second = make_subscriber(name="李娜"), make_subscriber(name="王五")
    appointments.book(agent_xian, first, one.pk)
    client = _client(agent_xian)
    before = AuditEvent.objects.count()
    full = client.post(f"{K}/appointments/", {"msisdn": second.msisdn, "slot": one.pk})
    assert full.status_code == 409 and 'data-error-for="slot"' in full.content.decode()
    nobody = client.post(f"{K}/appointments/", {"msisdn": "13999999999", "slot": one.pk})
    assert nobody.status_code == 422 and 'data-error-for="msisdn"' in nobody.content.decode()
    no_slot = client.post(f"{K}/appointments/", {"msisdn": second.msisdn, "slot": 999999})
    assert no_slot.status_code == 422 and 'data-error-for="slot"' in no_slot.content.decode()
    assert Appointment.objects.count() == 1 and AuditEvent.objects.count() == before
    one.refresh_from_db()
    assert one.booked == 1


def test_reschedule_and_cancel_from_the_appointment_page(agent_xian, slots, make_subscriber):
    one, two = slots
    appointment = appointments.book(agent_xian, make_subscriber(), one.pk)
    client = _client(agent_xian)
    page = client.get(f"{K}/appointments/{appointment.pk}/").content.decode()
    assert 'id="reschedule-form"' in page and 'id="cancel-form"' in page
    bad = client.post(f"{K}/appointments/{appointment.pk}/reschedule/", {"slot": "nope"})
    assert bad.status_code == 422 and 'data-error-for="slot"' in bad.content.decode()
    appointment.refresh_from_db()
    assert appointment.slot == one

    assert client.post(f"{K}/appointments/{appointment.pk}/reschedule/", {"slot": two.pk}).status_code == 302
    appointment.refresh_from_db()
    one.refresh_from_db()
    two.refresh_from_db()
    assert appointment.slot == two and one.booked == 0 and two.booked == 1

    assert client.post(f"{K}/appointments/{appointment.pk}/cancel/", {"reason": "客户有事"}).status_code == 302
    appointment.refresh_from_db()
    two.refresh_from_db()
    assert appointment.status == "cancelled" and two.booked == 0
    again = client.post(f"{K}/appointments/{appointment.pk}/cancel/", {"reason": ""})
    assert again.status_code == 409 and 'data-error-for="__all__"' in again.content.decode()
    assert 'id="reschedule-form"' not in client.get(f"{K}/appointments/{appointment.pk}/").content.decode()


def test_appointments_and_slots_out_of_scope_are_404(agent_baoji, agent_xian, slots, make_subscriber):
    one, two = slots
    appointment = appointments.book(agent_xian, make_subscriber(), one.pk)
    other = _client(agent_baoji)
    assert other.get(f"{K}/slots/{one.pk}/").status_code == 404
    assert other.get(f"{K}/appointments/{appointment.pk}/").status_code == 404
    assert other.post(f"{K}/appointments/{appointment.pk}/cancel/", {}).status_code == 404
    assert f'data-id="{one.pk}"' not in other.get(f"{K}/slots/").content.decode()
    # a Baoji agent cannot book a Xi'an slot by its id
    baoji_customer = make_subscriber(region="baoji-weibin")
    refused = other.post(f"{K}/appointments/", {"msisdn": baoji_customer.msisdn, "slot": two.pk})
    assert refused.status_code == 422 and 'data-error-for="slot"' in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked" and Appointment.objects.count() == 1


def test_a_slot_nobody_booked_is_withdrawn_a_booked_one_stays(agent_xian, agent_baoji, slots, make_subscriber):
    one, two = slots
    appointments.book(agent_xian, make_subscriber(), one.pk)
    client = _client(agent_xian)
    assert 'id="withdraw-form"' in client.get(f"{K}/slots/{two.pk}/").content.decode()
    assert 'id="withdraw-form"' not in client.get(f"{K}/slots/{one.pk}/").content.decode()
    assert _client(agent_baoji).post(f"{K}/slots/{two.pk}/withdraw/").status_code == 404
    refused = client.post(f"{K}/slots/{one.pk}/withdraw/")
    assert refused.status_code == 409 and 'data-error-for="slot"' in refused.content.decode()
    assert client.post(f"{K}/slots/{two.pk}/withdraw/").status_code == 302
    assert list(AppointmentSlot.objects.values_list("pk", flat=True)) == [one.pk]
    assert AuditEvent.objects.filter(action="withdraw", object_id=str(two.pk)).exists()


def test_the_administrator_sees_bookings_unmasked(admin_user, slots, make_subscriber):
    one, _two = slots
    customer = make_subscriber()
    appointments.book(admin_user, customer, one.pk)
    assert customer.msisdn in _client(admin_user).get(f"{K}/slots/{one.pk}/").content.decode()


# --- work plans ------------------------------------------------------------------------------------------


@pytest.fixture
def manager(make_staff):
    return make_staff("manager.xian", "manager", "xian")


@pytest.fixture
def leader(make_staff):
    return make_staff("leader.xian", "leader", "xian")


def _next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def test_a_manager_creates_lists_and_edits_plans(manager):
    client = _client(manager)
    assert client.get(f"{K}/manager/plans/").status_code == 200
    monday = _next_monday()
    response = client.post(
        f"{K}/manager/plans/",
        {"period": "week", "starts_on": monday.isoformat(), "goals": "走访 5 位钻石客户", "target_visits": 5},
    )
    assert response.status_code == 302
    plan = WorkPlan.objects.get(manager=manager)
    assert plan.period == "week" and plan.starts_on == monday and plan.target_visits == 5
    assert f'data-id="{plan.pk}"' in client.get(f"{K}/manager/plans/").content.decode()

    edit = client.get(f"{K}/manager/plans/{plan.pk}/")
    assert edit.status_code == 200 and "走访 5 位钻石客户" in edit.content.decode()
    saved = client.post(
        f"{K}/manager/plans/{plan.pk}/",
        {"goals": "走访 6 位钻石客户", "target_visits": 6, "target_calls": 20, "period": "year"},
    )
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert (plan.goals, plan.target_visits, plan.target_calls, plan.period) == ("走访 6 位钻石客户", 6, 20, "week")
    assert AuditEvent.objects.filter(action="update", object_id=str(plan.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"starts_on": "tuesday"}, "starts_on", 422),
        ({"tuesday": True}, "starts_on", 422),  # a week plan starts on a Monday: the service says so
        ({"period": "decade"}, "period", 422),
        ({"goals": ""}, "goals", 422),
        ({"target_visits": -1}, "target_visits", 422),
        ({"duplicate": True}, "starts_on", 409),
    ],
)
def test_a_bad_plan_shows_the_field_and_writes_nothing(manager, fields, field, status):
    monday = _next_monday()
    if fields.pop("duplicate", False):
        managers.create_plan(manager, "week", monday, "已有计划")
    if fields.pop("tuesday", False):
        fields["starts_on"] = (monday + dt.timedelta(days=1)).isoformat()
    before = list(WorkPlan.objects.values_list("pk", "goals"))
    data = {"period": "week", "starts_on": monday.isoformat(), "goals": "目标", "target_visits": 1, **fields}
    response = _client(manager).post(f"{K}/manager/plans/", data)
    assert response.status_code == status and f'data-error-for="{field}"' in response.content.decode()
    assert list(WorkPlan.objects.values_list("pk", "goals")) == before


def test_editing_a_plan_badly_or_someone_elses_changes_nothing(manager, make_staff):
    plan = managers.create_plan(manager, "week", _next_monday(), "目标", target_visits=2)
    client = _client(manager)
    bad = client.post(f"{K}/manager/plans/{plan.pk}/", {"goals": "", "target_visits": 3, "target_calls": 0})
    assert bad.status_code == 422 and 'data-error-for="goals"' in bad.content.decode()
    plan.refresh_from_db()
    assert plan.goals == "目标" and plan.target_visits == 2
    colleague = make_staff("manager2.xian", "manager", "xian")
    other = _client(colleague)
    assert other.get(f"{K}/manager/plans/{plan.pk}/").status_code == 404
    edit = {"goals": "x", "target_visits": 0, "target_calls": 0}
    assert other.post(f"{K}/manager/plans/{plan.pk}/", edit).status_code == 404
    plan.refresh_from_db()
    assert plan.goals == "目标"


# --- work log --------------------------------------------------------------------------------------------


def test_a_manager_logs_a_contact_and_reads_the_log_masked(manager, make_subscriber):
    customer = make_subscriber(name="周客户", customer_manager=manager)
    client = _client(manager)
    assert client.get(f"{K}/manager/log/").status_code == 200
    response = client.post(f"{K}/manager/log/", {"msisdn": customer.msisdn, "kind": "visit", "summary": "上门拜访"})
    assert response.status_code == 302
    entry = WorkLog.objects.get()
    assert entry.subscriber == customer and entry.kind == "visit" and entry.manager == manager
    html = client.get(f"{K}/manager/log/").content.decode()
    assert "上门拜访" in html and _masked(customer.msisdn) in html and customer.msisdn not in html


def test_a_bad_log_entry_shows_the_field_and_writes_nothing(manager, make_subscriber):
    mine = make_subscriber(customer_manager=manager)
    not_mine = make_subscriber()
    baoji = make_subscriber(region="baoji-weibin")
    client = _client(manager)
    future = _local(timezone.now() + dt.timedelta(days=1))
    cases = [
        ({"msisdn": mine.msisdn, "kind": "visit", "summary": ""}, "summary"),
        ({"msisdn": mine.msisdn, "kind": "dance", "summary": "x"}, "kind"),
        ({"msisdn": mine.msisdn, "kind": "call", "summary": "x", "at": future}, "at"),
        ({"msisdn": not_mine.msisdn, "kind": "call", "summary": "x"}, "msisdn"),  # not in the portfolio
        ({"msisdn": baoji.msisdn, "kind": "call", "summary": "x"}, "msisdn"),  # out of scope
    ]
    for data, field in cases:
        response = client.post(f"{K}/manager/log/", data)
        assert response.status_code in (403, 422), data
        assert f'data-error-for="{field}"' in response.content.decode(), data
    assert not WorkLog.objects.exists()


def test_leaders_read_the_log_of_their_scope_only(manager, leader, make_staff, make_subscriber):
    customer = make_subscriber(customer_manager=manager)
    managers.log_contact(manager, customer, "call", "电话关怀")
    baoji_manager = make_staff("manager.baoji", "manager", "baoji")
    baoji_customer = make_subscriber(region="baoji-weibin", customer_manager=baoji_manager)
    managers.log_contact(baoji_manager, baoji_customer, "call", "宝鸡回访")
    html = _client(leader).get(f"{K}/manager/log/").content.decode()
    assert "电话关怀" in html and "宝鸡回访" not in html and 'id="log-form"' not in html
    assert _masked(customer.msisdn) in html and customer.msisdn not in html
    # a leader does not write the managers' log
    assert _client(leader).post(f"{K}/manager/log/", {"msisdn": customer.msisdn}).status_code == 403
    assert WorkLog.objects.count() == 2


# --- tasks -----------------------------------------------------------------------------------------------


def test_dispatch_progress_and_evaluate_from_the_pages(manager, leader, make_subscriber):
    customer = make_subscriber(name="周客户", customer_manager=manager)
    deadline = timezone.localdate() + dt.timedelta(days=5)
    boss = _client(leader)
    assert boss.get(f"{K}/manager/tasks/").status_code == 200
    response = boss.post(
        f"{K}/manager/tasks/",
        {"manager": manager.pk, "title": "走访钻石客户", "deadline": deadline.isoformat(), "msisdn": customer.msisdn},
    )
    assert response.status_code == 302
    task = ManagerTask.objects.get()
    assert (task.manager, task.dispatched_by, task.subscriber, task.deadline) == (manager, leader, customer, deadline)

    me = _client(manager)
    page = me.get(f"{K}/manager/tasks/{task.pk}/").content.decode()
    assert 'id="progress-form"' in page and 'id="evaluation-form"' not in page
    assert _masked(customer.msisdn) in page and customer.msisdn not in page
    assert f"/keyaccounts/manager/tasks/{task.pk}/" in me.get(f"{K}/manager/").content.decode()
    assert me.post(f"{K}/manager/tasks/{task.pk}/progress/", {"progress": 50, "note": "已约"}).status_code == 302
    task.refresh_from_db()
    assert task.progress == 50 and task.status == "open"
    # the manager may not evaluate; the leader may not report progress
    assert me.post(f"{K}/manager/tasks/{task.pk}/evaluate/", {"evaluation": 5}).status_code == 403
    assert boss.post(f"{K}/manager/tasks/{task.pk}/progress/", {"progress": 100}).status_code == 403
    assert me.post(f"{K}/manager/tasks/{task.pk}/progress/", {"progress": 100, "note": "完成"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"

    assert 'id="evaluation-form"' in boss.get(f"{K}/manager/tasks/{task.pk}/").content.decode()
    assert boss.post(f"{K}/manager/tasks/{task.pk}/evaluate/", {"evaluation": 4, "note": "及时"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "evaluated" and task.evaluation == 4 and task.evaluation_note == "及时"


def test_bad_task_input_shows_the_field_and_changes_nothing(manager, leader, make_staff):
    agent = make_staff("agent.xian", "agent", "xian")
    boss = _client(leader)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    cases = [
        ({"manager": manager.pk, "title": "", "deadline": tomorrow}, "title"),
        ({"manager": manager.pk, "title": "x", "deadline": "2020-01-01"}, "deadline"),  # passed: the service
        ({"manager": manager.pk, "title": "x", "deadline": "soon"}, "deadline"),
        ({"manager": agent.pk, "title": "x", "deadline": tomorrow}, "manager"),  # not a customer manager
        ({"manager": manager.pk, "title": "x", "deadline": tomorrow, "msisdn": "13999999999"}, "msisdn"),
    ]
    for data, field in cases:
        response = boss.post(f"{K}/manager/tasks/", data)
        assert response.status_code == 422, data
        assert f'data-error-for="{field}"' in response.content.decode(), data
    assert not ManagerTask.objects.exists()

    task = managers.dispatch_task(leader, manager, "回访", timezone.localdate() + dt.timedelta(days=2))
    me = _client(manager)
    for value in ("101", "-1", "half"):
        response = me.post(f"{K}/manager/tasks/{task.pk}/progress/", {"progress": value})
        assert response.status_code == 422 and 'data-error-for="progress"' in response.content.decode()
    early = boss.post(f"{K}/manager/tasks/{task.pk}/evaluate/", {"evaluation": 5})
    assert early.status_code == 409 and 'data-error-for="__all__"' in early.content.decode()
    managers.report_progress(manager, task, 100)
    assert boss.post(f"{K}/manager/tasks/{task.pk}/evaluate/", {"evaluation": 9}).status_code == 422
    task.refresh_from_db()
    assert task.status == "done" and task.evaluation is None


def test_tasks_out_of_scope_are_404(manager, leader, make_staff):
    task = managers.dispatch_task(leader, manager, "回访", timezone.localdate() + dt.timedelta(days=2))
    baoji_leader = make_staff("leader.baoji", "leader", "baoji")
    colleague = make_staff("manager2.xian", "manager", "xian")
    for user in (baoji_leader, colleague):
        client = _client(user)
        assert client.get(f"{K}/manager/tasks/{task.pk}/").status_code == 404
        assert client.post(f"{K}/manager/tasks/{task.pk}/progress/", {"progress": 10}).status_code == 404
        assert f'data-id="{task.pk}"' not in client.get(f"{K}/manager/tasks/").content.decode()
    # the Baoji leader cannot dispatch to a Xi'an manager: not a choice
    refused = _client(baoji_leader).post(
        f"{K}/manager/tasks/", {"manager": manager.pk, "title": "x", "deadline": "2099-01-01"}
    )
    assert refused.status_code == 422 and 'data-error-for="manager"' in refused.content.decode()
    task.refresh_from_db()
    assert task.progress == 0 and ManagerTask.objects.count() == 1


def test_the_pages_are_in_the_navigation_of_the_roles_that_use_them(manager, leader, agent_xian, admin_user):
    def nav(user):
        html = _client(user).get("/keyaccounts/appointments/" if user != manager else f"{K}/manager/").content
        return html.decode().split('<nav class="mainnav">')[1].split("</nav>")[0]

    assert 'href="/keyaccounts/green-channel/"' in nav(manager)
    assert 'href="/keyaccounts/manager/tasks/"' not in nav(manager)
    assert 'href="/keyaccounts/manager/tasks/"' in nav(leader) and 'href="/keyaccounts/green-channel/"' in nav(leader)
    assert 'href="/keyaccounts/appointments/"' in nav(agent_xian)
    assert 'href="/keyaccounts/green-channel/"' not in nav(agent_xian)
    assert 'href="/keyaccounts/partners/"' in nav(admin_user) and 'href="/keyaccounts/partners/"' not in nav(leader)
    for link in ("plans/", "log/", "tasks/"):
        assert f'href="/keyaccounts/manager/{link}"' in _client(manager).get(f"{K}/manager/").content.decode()
