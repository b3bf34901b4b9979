"""VPMN renewal as a work order of the `vpmn-renewal` workflow (GRP-4, seed 3.5): started once before
expiry, grades skipping steps by parameter, the new agreement on completion, and the merge of small groups."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.core import parameters
from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent, Parameter
from kefu.groups import renewal, vpmn
from kefu.groups.models import (
    AgreementStatus,
    GroupMember,
    GroupStatus,
    VpmnAgreement,
    VpmnMember,
    VpmnNetwork,
    VpmnRenewal,
)
from kefu.workorders import services as orders
from kefu.workorders import worker
from kefu.workorders.models import Category, EventKind, Status, WorkOrder


@pytest.fixture
def set_parameter():
    def set_(key, value):
        Parameter.objects.update_or_create(key=key, defaults={"value": value})
        parameters.forget_cached()

    return set_


@pytest.fixture
def due_group(make_group, manager_xian):
    """A group whose VPMN agreement ends in 30 days (within the 60 days ahead)."""

    def make(grade="B", members=10, ends_in=30, **fields):
        group = make_group(grade=grade, members=members, manager=manager_xian, **fields)
        network = VpmnNetwork.objects.create(group=group, short_number_from="600", short_number_to="699")
        today = vpmn.today()
        VpmnAgreement.objects.create(
            number=f"VX-{group.code}",
            network=network,
            discount_plan=vpmn.discount_plans().get(code="vpmn-basic"),
            starts_on=today - dt.timedelta(days=300),
            ends_on=today + dt.timedelta(days=ends_in),
            created_by=manager_xian,
        )
        return group

    return make


def _order(group) -> WorkOrder:
    return VpmnRenewal.objects.get(agreement__network__group=group).work_order


def _move(user, group, code, **fields):
    order = _order(group)
    return orders.transition(user, order.number, code, version=order.version, fields=fields)


def test_the_seeded_workflow_is_sound_and_the_categories_exist(db):
    category = Category.objects.get(code="vpmn-renewal")
    assert category.requires_customer is False
    version = orders.published_version(category.effective_workflow())
    definition = version.parsed()
    assert definition.problems() == []
    assert [s.code for s in definition.steps] == list(renewal.RENEWAL_CHAIN)
    assert definition.step("approval").roles == ("leader",)
    for code in ("complaint-vpmn-short-number", "complaint-vpmn-billing", "business-vpmn-member"):
        assert Category.objects.get(code=code).effective_workflow() is not None


def test_the_worker_job_starts_a_renewal_once(due_group, make_group, manager_xian):
    group = due_group(grade="B")
    due_group(ends_in=90)  # not due yet
    assert ("groups.vpmn_renewals", renewal.job) in worker.JOBS
    worker.run_once()
    worker.run_once()
    assert VpmnRenewal.objects.count() == 1
    order = _order(group)
    assert order.step == "notify" and order.status == Status.OPEN
    assert order.handler == manager_xian and order.handling_region == group.region
    assert order.data["agreement"] == f"VX-{group.code}"
    assert VpmnAgreement.objects.get(number=f"VX-{group.code}").status == AgreementStatus.RENEWING
    assert renewal.start_due_renewals() == 0


def test_a_group_without_a_manager_is_left_for_later(make_group, due_group):
    group = due_group()
    group.customer_manager = None
    group.save()
    assert renewal.start_due_renewals() == 0
    assert VpmnRenewal.objects.count() == 0


def test_grade_b_goes_through_every_step_and_completion_creates_the_new_agreement(
    due_group, manager_xian, leader_xian
):
    group = due_group(grade="B")
    renewal.start_due_renewals()
    assert VpmnRenewal.objects.get().skipped_steps == []
    _move(manager_xian, group, "next")
    _move(manager_xian, group, "next")
    _move(manager_xian, group, "submit", plan="vpmn-plus", term_months=24)
    assert _order(group).step == "approval"
    _move(leader_xian, group, "next", opinion="同意")
    assert _order(group).step == "agreement"
    _move(manager_xian, group, "next")
    order = _move(manager_xian, group, "next")
    assert order.step == "archived" and order.status == Status.CLOSED
    old = VpmnAgreement.objects.get(number=f"VX-{group.code}")
    assert old.status == AgreementStatus.RENEWED
    new = VpmnRenewal.objects.get().new_agreement
    assert new.renewal_of == old and new.discount_plan.code == "vpmn-plus"
    assert new.starts_on == old.ends_on + dt.timedelta(days=1)
    assert new.ends_on == vpmn.term_end(new.starts_on, 24)
    assert AuditEvent.objects.filter(object_type="groups.vpmnagreement", action="renewed").count() == 1


def test_grade_a_skips_the_approval_by_default(due_group, manager_xian):
    group = due_group(grade="A")
    renewal.start_due_renewals()
    assert VpmnRenewal.objects.get().skipped_steps == ["approval"]
    _move(manager_xian, group, "next")
    _move(manager_xian, group, "next")
    order = _move(manager_xian, group, "submit", plan="vpmn-free")
    assert order.step == "agreement"  # passed the leader's approval
    skipped = order.events.filter(kind=EventKind.TRANSITION, data__skipped=True)
    assert [(e.data["from"], e.data["to"], e.actor) for e in skipped] == [("approval", "agreement", None)]


def test_the_skipped_steps_follow_the_parameter_also_at_the_start(set_parameter, due_group, manager_xian):
    set_parameter("groups.renewal_skip_steps", {"A": [], "B": [], "C": ["notify", "needs", "members"]})
    group = due_group(grade="C")
    renewal.start_due_renewals()
    order = _order(group)
    assert order.step == "offer"
    assert VpmnRenewal.objects.get().skipped_steps == ["notify", "needs", "members"]
    assert order.events.filter(data__skipped=True).count() == 2


def test_a_bad_offer_is_refused_and_the_order_stays(due_group, manager_xian):
    group = due_group(grade="B")
    renewal.start_due_renewals()
    _move(manager_xian, group, "next")
    _move(manager_xian, group, "next")
    before = _order(group)
    with pytest.raises(DomainError) as refused:
        _move(manager_xian, group, "submit", plan="no-such-plan")
    assert refused.value.field == "fields.plan"
    after = _order(group)
    assert (after.step, after.version) == (before.step, before.version) == ("offer", before.version)


def test_a_small_group_gets_a_merge_offer_and_can_be_merged(due_group, make_group, manager_xian):
    small = due_group(members=6, industry="education")
    other_small = make_group(members=5, industry="education", manager=manager_xian)
    make_group(members=5, industry="finance", manager=manager_xian)  # another industry
    make_group(members=12, industry="education", manager=manager_xian)  # not small
    make_group(members=5, industry="education", region="baoji")  # another city
    assert [g.code for g in renewal.merge_candidates(small)] == [other_small.code]
    renewal.start_due_renewals()
    order = _order(small)
    assert order.data["merge_candidates"] == [other_small.code]
    assert other_small.code in order.description

    network = small.vpmn
    member = small.members.first()
    VpmnMember.objects.create(
        network=network,
        subscriber=member.subscriber,
        short_number="600",
        effective_from=dt.date(2026, 1, 1),
        added_by=manager_xian,
    )
    merged = renewal.merge_group(manager_xian, small.code, other_small.code)
    assert merged.status == GroupStatus.MERGED and merged.merged_into == other_small
    assert GroupMember.objects.filter(group=other_small, left_on__isnull=True).count() == 11
    assert GroupMember.objects.filter(group=small, left_on__isnull=True).count() == 0
    assert not VpmnNetwork.objects.get(pk=network.pk).active
    assert not VpmnMember.objects.filter(effective_to__isnull=True).exists()
    assert AuditEvent.objects.filter(object_type="groups.groupcustomer", action="merge").count() == 1


def test_a_vpmn_member_leaving_later_moves_with_the_leaving_day(due_group, make_group, manager_xian):
    small = due_group(members=6, industry="education")
    target = make_group(members=5, industry="education", manager=manager_xian)
    VpmnNetwork.objects.create(group=target, short_number_from="700", short_number_to="799")
    subscriber = small.members.first().subscriber
    leaving = vpmn.today() + dt.timedelta(days=10)
    VpmnMember.objects.create(
        network=small.vpmn,
        subscriber=subscriber,
        short_number="600",
        effective_from=dt.date(2026, 1, 1),
        effective_to=leaving,
        added_by=manager_xian,
    )
    renewal.merge_group(manager_xian, small.code, target.code)
    moved = VpmnMember.objects.get(network__group=target)
    assert (moved.subscriber, moved.short_number, moved.effective_to) == (subscriber, "700", leaving)
    assert VpmnMember.objects.get(network=small.vpmn).effective_to == vpmn.today()


def test_merge_refusals_change_nothing(due_group, make_group, manager_xian, manager_baoji):
    big = make_group(members=12, industry="education", manager=manager_xian)
    small = make_group(members=5, industry="education", manager=manager_xian)
    finance = make_group(members=5, industry="finance", manager=manager_xian)
    for source, target in ((big.code, small.code), (small.code, finance.code), (small.code, small.code)):
        with pytest.raises(DomainError):
            renewal.merge_group(manager_xian, source, target)
    with pytest.raises(DomainError) as hidden:
        renewal.merge_group(manager_baoji, small.code, big.code)
    assert hidden.value.status == 404
    assert set(GroupMember.objects.values_list("group_id", flat=True)) == {big.pk, small.pk, finance.pk}
    assert all(g.status == GroupStatus.ACTIVE for g in (big, small, finance))


def test_the_renewal_order_page_takes_the_offer(client, due_group, manager_xian):
    from tests.conftest import PASSWORD

    group = due_group(grade="B")
    renewal.start_due_renewals()
    _move(manager_xian, group, "next")
    _move(manager_xian, group, "next")
    order = _order(group)
    assert client.login(username=manager_xian.username, password=PASSWORD)
    page = client.get(f"/workorders/{order.number}/")
    assert page.status_code == 200 and 'name="f_plan"' in page.content.decode()
    bad = client.post(
        f"/workorders/{order.number}/act/transition/",
        {"version": order.version, "transition": "submit", "f_plan": "nope"},
    )
    assert bad.status_code == 422 and _order(group).step == "offer"
    good = client.post(
        f"/workorders/{order.number}/act/transition/",
        {"version": order.version, "transition": "submit", "f_plan": "vpmn-plus"},
    )
    assert good.status_code == 302 and _order(group).step == "approval"


def test_a_withdrawn_renewal_puts_the_agreement_back_in_force(due_group, leader_xian):
    group = due_group(grade="B")
    renewal.start_due_renewals()
    order = _order(group)
    orders.withdraw(leader_xian, order.number, version=order.version, reason="集团暂缓续签")
    assert VpmnAgreement.objects.get(number=f"VX-{group.code}").status == AgreementStatus.ACTIVE
    assert renewal.start_due_renewals() == 0


def test_an_agreement_past_its_end_expires_once_and_is_audited(due_group):
    lapsed = due_group(ends_in=-1)
    in_force = due_group(ends_in=200)
    worker.run_once()
    worker.run_once()
    old = VpmnAgreement.objects.get(number=f"VX-{lapsed.code}")
    assert old.status == AgreementStatus.EXPIRED
    assert VpmnAgreement.objects.get(number=f"VX-{in_force.code}").status == AgreementStatus.ACTIVE
    assert AuditEvent.objects.filter(action="expired", object_id=str(old.pk)).count() == 1
    assert not VpmnRenewal.objects.filter(agreement=old).exists()  # a lapsed agreement is not renewed by the job
