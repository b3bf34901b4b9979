"""WO-1, WO-2, WO-6: the category tree and workflows shipped, versions immutable, orders scoped by either region."""

import pytest
from django.utils import timezone

from kefu.workorders.models import (
    Category,
    CategoryKind,
    ImmutableVersionError,
    WorkflowVersion,
    WorkOrder,
)
from kefu.workorders.workflow import parse

pytestmark = pytest.mark.django_db


def test_category_tree_covers_every_kind_of_request():
    codes = set(Category.objects.values_list("code", flat=True))
    # WO-1 business acceptance
    assert {
        "business-service",
        "business-plan-change",
        "business-suspend-resume",
        "business-sim",
        "business-transfer",
        "business-porting",
    } <= codes
    assert {"inquiry", "complaint", "suggestion"} <= codes
    assert Category.objects.filter(parent__code="complaint").count() >= 4
    # WO-6 cross-region services
    assert {
        "cross-region-complaint",
        "cross-region-payment",
        "cross-region-sim",
        "cross-region-points",
        "cross-region-backup-phone",
        "cross-province-transfer",
    } <= codes
    assert Category.objects.get(code="business-sim").parent.code == "business"
    assert Category.objects.get(code="cross-region-sim").kind == CategoryKind.CROSS_REGION


def test_every_category_has_a_sound_published_workflow():
    for category in Category.objects.all():
        workflow = category.effective_workflow()
        assert workflow is not None, category.code
        version = workflow.versions.filter(published_at__isnull=False).order_by("-number").first()
        definition = parse(version.definition)
        assert definition.problems() == [], (category.code, definition.problems())


def test_complaint_workflow_has_the_expected_steps():
    complaint = Category.objects.get(code="complaint-billing").effective_workflow()
    definition = complaint.versions.get(number=1).parsed()
    assert [s.code for s in definition.steps] == ["accept", "dispatch", "handle", "review", "callback", "closed"]
    assert definition.handling_step.code == "handle"
    assert definition.transition("dispatch", "transfer").required == ("handling_region", "reason")
    assert definition.transition("review", "return").target == "handle"
    # the cross-region complaint runs on the complaint workflow, handled by the customer's home city
    assert Category.objects.get(code="cross-region-complaint").effective_workflow() == complaint


def test_published_version_cannot_change_or_be_deleted():
    version = WorkflowVersion.objects.get(workflow__code="inquiry", number=1)
    version.note = "changed"
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        version.delete()
    draft = WorkflowVersion.objects.create(workflow=version.workflow, number=2, definition=version.definition)
    draft.note = "still a draft"
    draft.save()  # drafts may change


def _order(regions, accepting, handling, number):
    category = Category.objects.get(code="complaint-network")
    version = category.effective_workflow().versions.get(number=1)
    now = timezone.now()
    return WorkOrder.objects.create(
        number=number,
        category=category,
        channel="hotline",
        title="no signal",
        accepting_region=regions[accepting],
        handling_region=regions[handling],
        workflow_version=version,
        step="accept",
        queue="agent",
        queue_region=regions[accepting],
        step_entered_at=now,
        created_at=now,
    )


def test_accepting_and_handling_regions_both_see_the_order_others_do_not(regions, make_staff):
    cross = _order(regions, "xian", "baoji", "WO20261126000001")
    local = _order(regions, "baoji", "baoji", "WO20261126000002")
    xian = make_staff("agent.xian", "agent", "xian")
    baoji = make_staff("backoffice.baoji", "backoffice", "baoji")
    yanan = make_staff("agent.yanan", "agent", "yanan")
    assert set(WorkOrder.objects.restrict(xian)) == {cross}
    assert set(WorkOrder.objects.restrict(baoji)) == {cross, local}
    assert not WorkOrder.objects.restrict(yanan).exists()
