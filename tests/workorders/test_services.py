"""Work-order services: creating, moving on, callbacks, cross-region, duplicates, notes, merge/split."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.models import AuditEvent, Notification
from kefu.customers import services as customer_services
from kefu.workorders import services
from kefu.workorders.models import (
    Attachment,
    EventKind,
    Priority,
    Status,
    Timer,
    TimerKind,
    WorkOrder,
    WorkOrderEvent,
)
from tests.workorders.conftest import SHANGHAI, fresh

pytestmark = pytest.mark.django_db


def _move(user, order, code, **fields):
    return services.transition(user, order.number, code, version=fresh(order).version, fields=fields)


def test_create_numbers_the_order_plans_its_time_limits_and_audits(complaint, staff, clock):
    assert complaint.number == "WO20261126000001"
    assert complaint.step == "accept" and complaint.status == Status.OPEN
    assert complaint.handler == staff["agent.xian"]
    assert complaint.handling_region.code == "xian" and not complaint.cross_region
    # gold customer: complaint 24 h (24x7), first response 2 h, accept step 2 h
    assert complaint.due_at == clock.now + dt.timedelta(hours=24)
    assert complaint.first_response_due_at == clock.now + dt.timedelta(hours=2)
    assert complaint.step_due_at == clock.now + dt.timedelta(hours=2)
    assert complaint.priority == Priority.HIGH  # VIP gold
    kinds = sorted(Timer.objects.filter(order=complaint).values_list("kind", flat=True))
    assert kinds == sorted(
        [
            TimerKind.STEP_WARNING,
            TimerKind.STEP_DUE,
            TimerKind.ORDER_WARNING,
            TimerKind.ORDER_DUE,
            TimerKind.FIRST_RESPONSE,
        ]
    )
    warning = Timer.objects.get(order=complaint, kind=TimerKind.ORDER_WARNING)
    assert warning.due_at == clock.now + dt.timedelta(hours=24 * 0.8)
    assert complaint.events.get().kind == EventKind.CREATED
    assert AuditEvent.objects.filter(object_type="workorders.workorder", action="create").count() == 1
    second = services.create(
        staff["agent.xian"], category="inquiry", title="套餐咨询", channel="hotline", confirm_duplicate=True
    )
    assert second.number == "WO20261126000002"


def test_ordinary_customers_get_48_hours(staff, baoji_customer, clock):
    order = services.create(
        staff["agent.baoji"],
        category="complaint-network",
        title="信号差",
        channel="hotline",
        msisdn=baoji_customer.msisdn,
    )
    assert order.due_at == clock.now + dt.timedelta(hours=48)
    assert order.first_response_due_at is None
    assert order.priority == Priority.NORMAL


def test_business_acceptance_counts_business_hours(staff, xian_customer, clock):
    clock.now = dt.datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)  # Friday 16:00
    order = services.create(
        staff["agent.xian"], category="business-sim", title="补卡", channel="hall", msisdn=xian_customer.msisdn
    )
    # business acceptance, gold: 24 working hours of 9 a day from Friday 16:00 → Wednesday 13:00 (1.5 + 9 + 9 + 4.5)
    assert order.due_at == dt.datetime(2026, 12, 2, 13, 0, tzinfo=SHANGHAI)
    assert order.step_due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI)  # the accept step's 1 h
    clock.now = dt.datetime(2026, 11, 27, 17, 0, tzinfo=SHANGHAI)
    services.transition(staff["agent.xian"], order.number, "submit", version=order.version)
    # the execute step's 8 h: half an hour on Friday, 7.5 on Monday
    assert fresh(order).step_due_at == dt.datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI)


def test_complaint_runs_to_the_end_and_a_dissatisfied_callback_reopens_it(complaint, staff):
    agent, back, back2, leader = (
        staff["agent.xian"],
        staff["backoffice.xian"],
        staff["backoffice2.xian"],
        staff["leader.xian"],
    )
    _move(agent, complaint, "submit")
    assert fresh(complaint).step == "dispatch" and complaint.handler is None and complaint.queue == "backoffice"
    _move(back, complaint, "dispatch", handler="backoffice2.xian")
    assert fresh(complaint).step == "handle" and complaint.handler == back2
    with pytest.raises(DomainError) as exc:
        _move(back2, complaint, "submit", result="已退费")
    assert exc.value.code == ErrorCode.INVALID and exc.value.extra["missing"] == ["root_cause"]
    _move(back2, complaint, "submit", result="已退费 30 元", root_cause="billing")
    assert fresh(complaint).step == "review" and complaint.root_cause == "billing"
    _move(leader, complaint, "approve")
    assert fresh(complaint).step == "callback"
    services.callback(agent, complaint.number, version=fresh(complaint).version, satisfaction="dissatisfied")
    order = fresh(complaint)
    assert order.step == "handle" and order.status == Status.OPEN and order.reopen_count == 1
    assert order.handler == back2  # back to the one who handled it
    assert order.satisfaction == "dissatisfied"
    _move(back2, order, "submit", result="再次核实并补偿")
    _move(leader, order, "approve")
    services.callback(agent, order.number, version=fresh(order).version, satisfaction="very_satisfied")
    order = fresh(order)
    assert order.status == Status.CLOSED and order.step == "closed" and order.closed_at is not None
    assert order.satisfaction == "very_satisfied"
    assert not Timer.objects.filter(order=order, fired_at__isnull=True).exists()
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.REOPEN) == 1 and kinds[-1] == EventKind.CALLBACK


def test_a_transition_the_step_does_not_allow_names_the_allowed_ones(complaint, staff):
    version = fresh(complaint).version
    with pytest.raises(DomainError) as exc:
        services.transition(staff["agent.xian"], complaint.number, "approve", version=version)
    assert exc.value.code == ErrorCode.CONFLICT
    assert exc.value.extra["allowed"] == ["submit"]
    assert "submit" in exc.value.message
    assert fresh(complaint).version == version and complaint.events.count() == 1


def test_unexpected_and_invalid_fields_are_refused_without_writing(complaint, staff):
    before = (fresh(complaint).version, WorkOrderEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(DomainError) as exc:
        _move(staff["agent.xian"], complaint, "submit", colour="red")
    assert exc.value.field == "fields.colour"
    _move(staff["agent.xian"], complaint, "submit")
    _move(staff["backoffice.xian"], complaint, "dispatch")
    with pytest.raises(DomainError) as exc:
        _move(staff["backoffice.xian"], complaint, "submit", result="ok", root_cause="aliens")
    assert exc.value.field == "fields.root_cause"
    assert fresh(complaint).step == "handle"
    assert before[0] + 2 == complaint.version
    assert WorkOrderEvent.objects.count() == before[1] + 2


def test_stale_version_is_a_conflict_with_the_current_state(complaint, staff):
    stale = complaint.version
    _move(staff["agent.xian"], complaint, "submit")
    with pytest.raises(DomainError) as exc:
        services.claim(staff["backoffice.xian"], complaint.number, version=stale)
    assert exc.value.code == ErrorCode.CONFLICT and exc.value.field == "version"
    assert exc.value.extra["current"] == {
        "number": complaint.number,
        "version": stale + 1,
        "status": "open",
        "step": "dispatch",
        "handler": None,
    }


def test_only_the_roles_and_region_of_the_step_may_act(complaint, staff):
    with pytest.raises(DomainError) as exc:
        _move(staff["backoffice.xian"], complaint, "submit")  # accept is for the front line
    assert exc.value.code == ErrorCode.FORBIDDEN
    _move(staff["agent.xian"], complaint, "submit")
    with pytest.raises(DomainError) as exc:
        services.claim(staff["backoffice.baoji"], complaint.number, version=fresh(complaint).version)
    assert exc.value.code == ErrorCode.NOT_FOUND  # Baoji does not even see a Xi'an order
    services.claim(staff["backoffice.xian"], complaint.number, version=fresh(complaint).version)
    with pytest.raises(DomainError) as exc:
        services.claim(staff["backoffice2.xian"], complaint.number, version=fresh(complaint).version)
    assert exc.value.code == ErrorCode.CONFLICT and "backoffice.xian" in exc.value.message
    with pytest.raises(DomainError) as exc:
        _move(staff["backoffice2.xian"], complaint, "dispatch")
    assert exc.value.code == ErrorCode.CONFLICT


def test_cross_region_order_is_handled_by_the_home_city(staff, baoji_customer, clock):
    agent = staff["agent.xian"]
    # the Xi'an agent cannot open the Baoji customer's 360 ...
    with pytest.raises(DomainError):
        customer_services.get_on_net(agent, baoji_customer.msisdn)
    # ... but accepts a cross-region order for the visiting customer
    order = services.create(
        agent, category="cross-region-sim", title="异地补卡", channel="hall", msisdn=baoji_customer.msisdn
    )
    assert order.accepting_region.code == "xian" and order.handling_region.code == "baoji" and order.cross_region
    _move(agent, order, "submit")
    order = fresh(order)
    assert order.step == "handle" and order.queue_region.code == "baoji"
    with pytest.raises(DomainError):
        services.claim(staff["backoffice.xian"], order.number, version=order.version)
    _move(staff["backoffice.baoji"], order, "done", result="新卡已制好，寄送西安营业厅")
    order = fresh(order)
    assert order.step == "complete" and order.queue_region.code == "xian"
    # the visited city completes the service where the customer is
    _move(agent, order, "close")
    assert fresh(order).status == Status.CLOSED
    assert set(services.search(agent)) == {order}
    assert set(services.search(staff["backoffice.baoji"])) == {order}
    assert not services.search(staff["agent.yanan"]).exists()


def test_complaint_transfer_to_another_city(complaint, staff):
    _move(staff["agent.xian"], complaint, "submit")
    _move(staff["backoffice.xian"], complaint, "transfer", handling_region="baoji", reason="问题发生在宝鸡")
    order = fresh(complaint)
    assert order.handling_region.code == "baoji" and order.step == "dispatch" and order.handler is None
    assert order.cross_region and order.events.last().kind == EventKind.TRANSFER
    services.claim(staff["backoffice.baoji"], order.number, version=order.version)
    assert services.get_order(staff["agent.xian"], order.number) == order  # the accepting city still follows it


def test_duplicates_within_72_hours_warn_with_the_earlier_numbers(complaint, staff, xian_customer, clock):
    kwargs = {"category": "complaint-billing", "title": "again", "channel": "hotline", "msisdn": xian_customer.msisdn}
    with pytest.raises(DomainError) as exc:
        services.create(staff["agent.xian"], **kwargs)
    assert exc.value.code == ErrorCode.CONFLICT and exc.value.extra["duplicates"] == [complaint.number]
    assert WorkOrder.objects.count() == 1
    confirmed = services.create(staff["agent.xian"], confirm_duplicate=True, **kwargs)
    assert confirmed.events.get().data["duplicates"] == [complaint.number]
    clock.advance(hours=73)
    services.create(staff["agent.xian"], **{**kwargs, "title": "later"})  # older than 72 h: no warning
    # another category is not a duplicate
    services.create(staff["agent.xian"], **{**kwargs, "category": "complaint-network"})


def test_unknown_category_and_missing_customer_are_refused(staff):
    with pytest.raises(DomainError) as exc:
        services.create(staff["agent.xian"], category="nonsense", title="x", channel="hotline")
    assert exc.value.field == "category" and exc.value.code == ErrorCode.INVALID
    with pytest.raises(DomainError) as exc:
        services.create(staff["agent.xian"], category="complaint-billing", title="x", channel="hotline")
    assert exc.value.field == "msisdn"
    assert not WorkOrder.objects.exists()


def test_suspension_stops_the_clock(complaint, staff, clock):
    due = complaint.due_at
    services.suspend(staff["agent.xian"], complaint.number, version=complaint.version, reason="等待客户提供账单")
    clock.advance(hours=5)
    services.resume(staff["agent.xian"], complaint.number, version=fresh(complaint).version)
    order = fresh(complaint)
    assert order.status == Status.OPEN and order.due_at == due + dt.timedelta(hours=5)
    assert Timer.objects.get(order=order, kind=TimerKind.ORDER_DUE).due_at == due + dt.timedelta(hours=5)
    with pytest.raises(DomainError):
        services.suspend(staff["agent.xian"], order.number, version=order.version, reason=" ")


def test_withdraw_by_creator_only_at_the_first_step(complaint, staff, xian_customer):
    _move(staff["agent.xian"], complaint, "submit")
    with pytest.raises(DomainError) as exc:
        services.withdraw(staff["agent.xian"], complaint.number, version=fresh(complaint).version, reason="客户撤诉")
    assert exc.value.code == ErrorCode.FORBIDDEN
    services.withdraw(staff["leader.xian"], complaint.number, version=fresh(complaint).version, reason="客户撤诉")
    order = fresh(complaint)
    assert order.status == Status.WITHDRAWN and not order.timers.filter(fired_at__isnull=True).exists()
    other = services.create(
        staff["agent.xian"], category="inquiry-billing", title="查话费", channel="hotline", msisdn=xian_customer.msisdn
    )
    services.withdraw(staff["agent.xian"], other.number, version=other.version, reason="录入错误")
    assert fresh(other).status == Status.WITHDRAWN


def test_urge_and_supervise_notify_and_raise_priority(complaint, staff, baoji_customer):
    services.urge(staff["agent.xian"], complaint.number, "客户第二次来电")
    assert Notification.objects.get(kind="urge").recipient == staff["agent.xian"]  # the handler
    order = services.create(
        staff["agent.baoji"],
        category="complaint-network",
        title="信号差",
        channel="hotline",
        msisdn=baoji_customer.msisdn,
    )
    assert order.priority == Priority.NORMAL
    with pytest.raises(DomainError):
        services.supervise(staff["agent.baoji"], order.number, "督办")
    services.supervise(staff["leader.baoji"], order.number, "请今日处理")
    order = fresh(order)
    assert order.priority == Priority.HIGH
    assert Notification.objects.filter(kind="supervise", recipient=staff["leader.baoji"]).exists()
    assert list(order.events.values_list("kind", flat=True)) == ["created", "supervise"]


def test_reply_is_the_first_response_a_note_is_not(complaint, staff):
    services.add_note(staff["agent.xian"], complaint.number, "内部：核查扣费记录")
    assert fresh(complaint).first_responded_at is None
    assert Timer.objects.filter(order=complaint, kind=TimerKind.FIRST_RESPONSE).exists()
    services.add_note(staff["agent.xian"], complaint.number, "您好，已受理您的投诉", reply=True)
    order = fresh(complaint)
    assert order.first_responded_at is not None
    assert not Timer.objects.filter(order=order, kind=TimerKind.FIRST_RESPONSE).exists()
    kinds = [e.kind for e in order.events.all()]
    assert kinds == ["created", "note", "reply"]
    assert [e.public for e in order.events.all()] == [True, False, True]
    with pytest.raises(DomainError):
        services.add_note(staff["backoffice.xian"], complaint.number, "我来回复", reply=True)  # not acting here


def test_attachments_checked_for_type_size_and_content(complaint, staff, settings, tmp_path, set_parameter):
    settings.MEDIA_ROOT = tmp_path
    agent = staff["agent.xian"]
    pdf = SimpleUploadedFile("bill.pdf", b"%PDF-1.4 bill", content_type="application/pdf")
    attachment = services.add_attachment(agent, complaint.number, pdf)
    stored = tmp_path / attachment.file.name
    assert stored.read_bytes() == b"%PDF-1.4 bill"
    assert attachment.file.name.startswith("workorders/2026/11/WO20261126000001/")
    with pytest.raises(DomainError) as exc:
        services.add_attachment(agent, complaint.number, SimpleUploadedFile("run.exe", b"MZ\x90"))
    assert exc.value.field == "file" and exc.value.extra["reason"] == "attachment_type"
    with pytest.raises(DomainError) as exc:
        services.add_attachment(agent, complaint.number, SimpleUploadedFile("photo.jpg", b"MZ\x90 not a jpeg"))
    assert exc.value.extra["reason"] == "attachment_type"
    set_parameter("workorders.attachment_max_bytes", 10)
    with pytest.raises(DomainError) as exc:
        services.add_attachment(agent, complaint.number, SimpleUploadedFile("big.txt", b"x" * 11))
    assert exc.value.extra["reason"] == "attachment_size"
    assert Attachment.objects.count() == 1
    assert len(list((tmp_path / "workorders/2026/11/WO20261126000001").iterdir())) == 1


def test_merge_and_split(complaint, staff, xian_customer, make_subscriber):
    agent = staff["agent.xian"]
    duplicate = services.create(
        agent,
        category="complaint-billing",
        title="同一问题",
        channel="web",
        msisdn=xian_customer.msisdn,
        confirm_duplicate=True,
    )
    services.merge(agent, complaint.number, [duplicate.number], version=complaint.version, reason="重复投诉")
    duplicate = fresh(duplicate)
    assert duplicate.status == Status.CLOSED and duplicate.merged_into == complaint
    assert not duplicate.timers.filter(fired_at__isnull=True).exists()
    other_customer = make_subscriber(region="xian-beilin", msisdn="13900000009")
    stranger = services.create(
        agent, category="complaint-billing", title="x", channel="web", msisdn=other_customer.msisdn
    )
    with pytest.raises(DomainError) as exc:
        services.merge(agent, complaint.number, [stranger.number], version=fresh(complaint).version)
    assert exc.value.extra["order"] == stranger.number
    parts = services.split(
        agent,
        complaint.number,
        [
            {"category": "complaint-sp", "title": "SP 扣费", "description": "梦网业务"},
            {"category": "inquiry-business", "title": "咨询流量包"},
        ],
        version=fresh(complaint).version,
    )
    assert [p.split_from for p in parts] == [complaint, complaint]
    assert {p.customer for p in parts} == {xian_customer}
    assert fresh(complaint).events.last().data["into"] == [p.number for p in parts]
    with pytest.raises(DomainError) as exc:
        services.split(agent, complaint.number, [{"category": "nope", "title": "x"}], version=fresh(complaint).version)
    assert exc.value.field == "parts[0].category"


def test_inquiry_closes_with_a_result(staff, xian_customer):
    order = services.create(
        staff["agent.xian"], category="inquiry-billing", title="话费", channel="hotline", msisdn=xian_customer.msisdn
    )
    with pytest.raises(DomainError) as exc:
        services.close(staff["agent.xian"], order.number, version=order.version, result=" ")
    assert exc.value.extra["missing"] == ["result"]
    services.close(staff["agent.xian"], order.number, version=order.version, result="已解释套餐外流量费")
    order = fresh(order)
    assert order.status == Status.CLOSED and order.result == "已解释套餐外流量费"
    assert order.events.last().kind == EventKind.CLOSE


def test_allowed_actions_follow_the_step_and_the_user(complaint, staff):
    actions = services.allowed_actions(staff["agent.xian"], complaint)
    assert [t["code"] for t in actions["transitions"]] == ["submit"]
    assert actions["withdraw"] and not actions["claim"] and not actions["reassign"]
    other = services.allowed_actions(staff["backoffice.xian"], complaint)
    assert other["transitions"] == [] and other["urge"] and not other["reply"]
    leader = services.allowed_actions(staff["leader.xian"], complaint)
    assert leader["reassign"] and leader["supervise"]


def test_bulk_actions_are_all_or_nothing(complaint, staff, make_subscriber):
    leader = staff["leader.xian"]
    other = services.create(
        staff["agent.xian"],
        category="complaint-network",
        title="信号",
        channel="hotline",
        msisdn=make_subscriber(region="xian-beilin", msisdn="13900000010").msisdn,
    )
    services.withdraw(leader, other.number, version=other.version, reason="录入错误")
    with pytest.raises(DomainError) as exc:
        services.bulk(leader, "suspend", [complaint.number, other.number], reason="系统割接")
    assert exc.value.extra["order"] == other.number
    assert fresh(complaint).status == Status.OPEN  # rolled back
    done = services.bulk(leader, "reassign", [complaint.number], handler=None, reason="释放")
    assert done[0].handler is None
    with pytest.raises(DomainError) as exc:
        services.bulk(staff["agent.xian"], "urge", [complaint.number])
    assert exc.value.code == ErrorCode.FORBIDDEN


def test_search_filters_and_queues(complaint, staff, clock, baoji_customer):
    agent, back = staff["agent.xian"], staff["backoffice.xian"]
    assert list(services.search(agent, services.Filters(mine=True))) == [complaint]
    _move(agent, complaint, "submit")
    assert list(services.search(agent, services.Filters(mine=True))) == []
    assert list(services.search(back, services.Filters(group=True))) == [complaint]
    assert list(services.search(agent, services.Filters(group=True))) == []
    assert list(services.search(back, services.Filters(step="dispatch", category="complaint"))) == [complaint]
    assert list(services.search(back, services.Filters(due_soon=True))) == [complaint]
    assert list(services.search(back, services.Filters(overdue=True))) == []
    clock.advance(hours=3)
    assert list(services.search(back, services.Filters(overdue=True))) == [complaint]
    with pytest.raises(DomainError):
        services.search(back, services.Filters(category="nonsense"))
    summary = services.monitor(staff["leader.xian"])
    assert summary["totals"]["total"] == 1 and summary["totals"]["overdue"] == 1
    assert summary["by_step"] == [
        {"key": "complaint:dispatch", "total": 1, "suspended": 0, "overdue": 1, "due_soon": 0}
    ]
