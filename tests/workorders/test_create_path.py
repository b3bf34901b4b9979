"""Creating an order and moving it on in the same call writes what two separate calls would: the
timers of the new step only, both timeline events, both audit events, one version further."""

import pytest

from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent
from kefu.workorders import services
from kefu.workorders.models import NumberSequence, Timer, TimerKind, WorkOrder

pytestmark = pytest.mark.django_db


def test_create_and_submit_at_once(staff, xian_customer, clock):
    order = services.create(
        staff["agent.xian"],
        category="complaint-billing",
        title="话费异常",
        channel="hotline",
        msisdn=xian_customer.msisdn,
        transition="submit",
    )
    stored = WorkOrder.objects.get(pk=order.pk)
    assert stored.step == "dispatch" and stored.version == 2 and stored.handler is None
    assert [e.kind for e in stored.events.order_by("id")] == ["created", "transition"]
    assert [e.pk for e in order.written_events] == list(stored.events.order_by("id").values_list("pk", flat=True))
    timers = set(Timer.objects.filter(order=stored).values_list("kind", "step"))
    assert timers == {
        (TimerKind.ORDER_WARNING, ""),
        (TimerKind.ORDER_DUE, ""),
        (TimerKind.FIRST_RESPONSE, ""),  # a gold customer
        (TimerKind.STEP_WARNING, "dispatch"),
        (TimerKind.STEP_DUE, "dispatch"),
    }
    assert list(
        AuditEvent.objects.filter(object_id=str(stored.pk)).order_by("id").values_list("action", flat=True)
    ) == ["create", "transition"]


def test_a_refused_transition_writes_nothing_but_the_number(staff, xian_customer, clock):
    with pytest.raises(DomainError) as refused:
        services.create(
            staff["agent.xian"],
            category="complaint-billing",
            title="话费异常",
            channel="hotline",
            msisdn=xian_customer.msisdn,
            transition="approve",
        )
    assert refused.value.extra["reason"] == "transition_not_allowed"
    assert not WorkOrder.objects.exists() and not Timer.objects.exists() and not AuditEvent.objects.exists()
    assert NumberSequence.objects.get().last == 1  # a gap, as documented
    order = services.create(
        staff["agent.xian"], category="complaint-billing", title="x", channel="hotline", msisdn=xian_customer.msisdn
    )
    assert order.number.endswith("000002")


def test_a_published_version_is_used_at_once_by_this_process(staff, admin_user, xian_customer, clock):
    from kefu.workorders.defaults import INQUIRY

    def create():
        agent = staff["agent.xian"]
        return services.create(
            agent,
            category="inquiry-billing",
            title="查询",
            channel="hotline",
            msisdn="13900000001",
            confirm_duplicate=True,
        )

    assert create().workflow_version.number == 1  # the category's version is now cached
    draft = services.save_draft(admin_user, "inquiry", {**INQUIRY, "initial": "accept"}, note="same, republished")
    services.publish(admin_user, "inquiry", draft.number)
    clock.advance(minutes=1)
    assert create().workflow_version.number == draft.number
