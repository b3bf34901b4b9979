"""VPMN applications (GRP-4, issue 6 items 4 and 9): the seed's conditions, approval by a second person,
priority of important groups, scope, and nothing changed by a refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent
from kefu.groups import vpmn
from kefu.groups.models import ApplicationStatus, GroupMember, VpmnAgreement, VpmnApplication, VpmnNetwork

FORM = {
    "applicant_name": "王主任",
    "applicant_msisdn": "13912340000",
    "requested_plan": "vpmn-basic",
    "expected_members": 10,
    "short_number_from": "600",
    "short_number_to": "699",
    "term_months": 12,
}


@pytest.fixture
def group(make_group, manager_xian):
    return make_group(members=10, manager=manager_xian)


def _submitted(user, group, **form):
    application = vpmn.create_application(user, group, {**FORM, **form})
    return vpmn.submit_application(user, application.number, version=application.version)


def _state():
    return (
        list(VpmnApplication.objects.values_list("number", "status", "version")),
        VpmnNetwork.objects.count(),
        VpmnAgreement.objects.count(),
    )


def test_ten_gotone_members_are_accepted_and_submission_records_them(group, manager_xian):
    application = _submitted(manager_xian, group)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.gotone_members == 10
    assert application.submitted_at is not None
    assert AuditEvent.objects.filter(object_type="groups.vpmnapplication", action="submit").count() == 1


def test_nine_gotone_members_are_refused_and_nothing_changes(make_group, manager_xian):
    group = make_group(members=9, manager=manager_xian)
    application = vpmn.create_application(manager_xian, group, FORM)
    before = _state()
    with pytest.raises(DomainError) as refused:
        vpmn.submit_application(manager_xian, application.number, version=application.version)
    assert refused.value.field == "group"
    assert refused.value.extra["gotone_members"] == 9
    assert _state() == before


def test_mzone_members_are_not_counted(make_group, make_subscriber, manager_xian):
    group = make_group(members=9, manager=manager_xian)
    GroupMember.objects.create(
        group=group, subscriber=make_subscriber(brand="mzone"), joined_on=dt.date(2024, 1, 1)
    )
    assert vpmn.gotone_members(group) == 9
    application = vpmn.create_application(manager_xian, group, FORM)
    with pytest.raises(DomainError):
        vpmn.submit_application(manager_xian, application.number, version=application.version)
    GroupMember.objects.create(group=group, subscriber=make_subscriber(brand="gotone"), joined_on=dt.date(2024, 1, 1))
    assert vpmn.submit_application(manager_xian, application.number).status == ApplicationStatus.SUBMITTED


def test_members_who_left_or_closed_lines_are_not_counted(make_group, manager_xian):
    group = make_group(members=11, manager=manager_xian)
    first, second = GroupMember.objects.filter(group=group)[:2]
    first.left_on = dt.date(2025, 1, 1)
    first.save()
    second.subscriber.status = "closed"
    second.subscriber.save()
    assert vpmn.gotone_members(group) == 9


@pytest.mark.parametrize(
    ("field", "value", "bad_field"),
    [
        ("short_number_from", "0600", "short_number_from"),  # leading 0
        ("short_number_from", "6a0", "short_number_from"),  # not digits
        ("short_number_from", "60", "short_number_from"),  # too short
        ("short_number_to", "6999999", "short_number_to"),  # too long
        ("short_number_to", "6999", "short_number_to"),  # not the same length
        ("short_number_to", "599", "short_number_to"),  # ends before it starts
    ],
)
def test_a_bad_short_number_range_is_refused(group, manager_xian, field, value, bad_field):
    try:
        application = vpmn.create_application(manager_xian, group, {**FORM, field: value})
    except DomainError as refused:  # a malformed number is refused already in the draft
        assert refused.field == bad_field
        assert _state() == ([], 0, 0)
        return
    before = _state()
    with pytest.raises(DomainError) as refused:
        vpmn.submit_application(manager_xian, application.number)
    assert refused.value.field == bad_field
    assert _state() == before


def test_an_incomplete_form_is_refused_at_submission(group, manager_xian):
    application = vpmn.create_application(manager_xian, group, {"requested_plan": "vpmn-basic"})
    with pytest.raises(DomainError) as refused:
        vpmn.submit_application(manager_xian, application.number)
    assert refused.value.field == "applicant_name"
    assert VpmnApplication.objects.get().status == ApplicationStatus.DRAFT


def test_one_open_application_per_group(group, manager_xian):
    vpmn.create_application(manager_xian, group, FORM)
    with pytest.raises(DomainError) as refused:
        vpmn.create_application(manager_xian, group, FORM)
    assert refused.value.status == 409
    assert VpmnApplication.objects.count() == 1


def test_a_stale_version_is_a_conflict(group, manager_xian):
    application = vpmn.create_application(manager_xian, group, FORM)
    vpmn.update_application(manager_xian, application.number, {"note": "一"}, version=1)
    with pytest.raises(DomainError) as refused:
        vpmn.update_application(manager_xian, application.number, {"note": "二"}, version=1)
    assert refused.value.status == 409 and refused.value.field == "version"
    assert VpmnApplication.objects.get().note == "一"


def test_the_creator_cannot_approve_a_second_person_does(group, manager_xian, leader_xian):
    application = _submitted(leader_xian, group)
    with pytest.raises(DomainError) as refused:
        vpmn.approve_application(leader_xian, application.number, version=application.version)
    assert refused.value.status == 403
    assert _state()[1:] == (0, 0)
    with pytest.raises(DomainError) as no_right:
        vpmn.approve_application(manager_xian, application.number)
    assert no_right.value.status == 403

    other_leader = leader_xian.__class__.objects.create_user("leader2.xian", region=leader_xian.region)
    other_leader.groups.set(leader_xian.groups.all())
    approved, network, agreement = vpmn.approve_application(
        other_leader, application.number, version=application.version, starts_on="2026-12-01"
    )
    assert approved.status == ApplicationStatus.APPROVED and approved.decided_by == other_leader
    assert (network.short_number_from, network.short_number_to) == ("600", "699")
    assert agreement.starts_on == dt.date(2026, 12, 1) and agreement.ends_on == dt.date(2027, 11, 30)
    assert agreement.discount_plan.code == "vpmn-basic" and agreement.application == approved
    actions = set(AuditEvent.objects.values_list("object_type", "action"))
    assert {("groups.vpmnapplication", "approve"), ("groups.vpmnnetwork", "create")} <= actions
    assert ("groups.vpmnagreement", "create") in actions
    # a group with a VPMN cannot apply again
    with pytest.raises(DomainError):
        vpmn.create_application(manager_xian, group, FORM)


def test_rejection_needs_a_reason(group, manager_xian, leader_xian):
    application = _submitted(manager_xian, group)
    with pytest.raises(DomainError) as refused:
        vpmn.reject_application(leader_xian, application.number, reason="  ")
    assert refused.value.field == "reason"
    assert VpmnApplication.objects.get().status == ApplicationStatus.SUBMITTED
    rejected = vpmn.reject_application(leader_xian, application.number, reason="材料不全")
    assert rejected.status == ApplicationStatus.REJECTED and rejected.decision_note == "材料不全"
    # a rejected application frees the group for a new one
    assert vpmn.create_application(manager_xian, group, FORM).status == ApplicationStatus.DRAFT


def test_important_groups_come_first_in_the_queue(make_group, manager_xian, leader_xian):
    enterprise = make_group(manager=manager_xian)
    important = make_group(manager=manager_xian, nature="important", industry="government")
    first = _submitted(manager_xian, enterprise)
    second = _submitted(manager_xian, important)
    queue = [a.number for a in vpmn.approval_queue(leader_xian)]
    assert queue == [second.number, first.number]


def test_a_baoji_manager_or_leader_cannot_see_or_approve_a_xian_application(
    group, manager_xian, manager_baoji, make_staff
):
    leader_baoji = make_staff("leader.baoji", "leader", "baoji")
    application = _submitted(manager_xian, group)
    assert list(vpmn.applications(manager_baoji)) == []
    assert list(vpmn.approval_queue(leader_baoji)) == []
    for attempt in (
        lambda: vpmn.get_application(manager_baoji, application.number),
        lambda: vpmn.approve_application(leader_baoji, application.number),
        lambda: vpmn.reject_application(leader_baoji, application.number, reason="x"),
        lambda: vpmn.update_application(manager_baoji, application.number, {"note": "x"}),
        lambda: vpmn.get_group(manager_baoji, group.code),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.status == 404
    assert VpmnApplication.objects.get().status == ApplicationStatus.SUBMITTED
    with pytest.raises(DomainError):
        vpmn.create_application(manager_baoji, vpmn.get_group(manager_baoji, group.code), FORM)
