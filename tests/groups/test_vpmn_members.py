"""VPMN members and agreements (GRP-4, issue 6 item 9): short numbers unique and in range, one VPMN per
subscriber, agreements ending after they start — refused with the reason and nothing changed; masking."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.core.errors import DomainError
from kefu.core.masking import Masker
from kefu.groups import vpmn
from kefu.groups.models import AgreementStatus, GroupMember, VpmnAgreement, VpmnMember, VpmnNetwork


@pytest.fixture
def with_vpmn(make_group, manager_xian):
    """A group with its VPMN (range 600–699) and an agreement in force, written straight to the tables."""

    def make(region="xian", manager=None, first="600", last="699", **fields):
        group = make_group(region=region, manager=manager or manager_xian, **fields)
        network = VpmnNetwork.objects.create(group=group, short_number_from=first, short_number_to=last)
        VpmnAgreement.objects.create(
            number=f"VX-{group.code}",
            network=network,
            discount_plan=vpmn.discount_plans().first(),
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
            created_by=manager or manager_xian,
        )
        return group

    return make


def _msisdns(group):
    return list(
        GroupMember.objects.filter(group=group).order_by("id").values_list("subscriber__msisdn", flat=True)
    )


def _members():
    fields = ("network_id", "subscriber_id", "short_number", "effective_to")
    return list(VpmnMember.objects.order_by("id").values_list(*fields))


def test_members_are_added_with_given_or_next_free_short_numbers(with_vpmn, manager_xian):
    group = with_vpmn()
    a, b, c = _msisdns(group)[:3]
    assert vpmn.add_member(manager_xian, group, msisdn=a, short_number="600").short_number == "600"
    assert vpmn.add_member(manager_xian, group, msisdn=b).short_number == "601"
    member = vpmn.add_member(manager_xian, group, msisdn=c, short_number="650", effective_from="2026-12-01")
    assert member.effective_from == dt.date(2026, 12, 1)
    assert [m.short_number for m in vpmn.members(vpmn.network_of(manager_xian, group))] == ["600", "601", "650"]


def test_a_duplicate_short_number_is_refused_and_nothing_changes(with_vpmn, manager_xian):
    group = with_vpmn()
    a, b = _msisdns(group)[:2]
    vpmn.add_member(manager_xian, group, msisdn=a, short_number="600")
    before = _members()
    with pytest.raises(DomainError) as refused:
        vpmn.add_member(manager_xian, group, msisdn=b, short_number="600")
    assert refused.value.status == 409 and refused.value.field == "short_number"
    assert refused.value.extra["reason"] == "duplicate_short_number"
    assert _members() == before


@pytest.mark.parametrize("short", ["700", "6000", "060", "6x0"])
def test_a_short_number_outside_the_range_or_malformed_is_refused(with_vpmn, manager_xian, short):
    group = with_vpmn()
    with pytest.raises(DomainError) as refused:
        vpmn.add_member(manager_xian, group, msisdn=_msisdns(group)[0], short_number=short)
    assert refused.value.field == "short_number"
    assert VpmnMember.objects.count() == 0


def test_a_subscriber_outside_the_group_is_refused(with_vpmn, make_subscriber, manager_xian):
    group = with_vpmn()
    stranger = make_subscriber()
    with pytest.raises(DomainError) as refused:
        vpmn.add_member(manager_xian, group, msisdn=stranger.msisdn)
    assert refused.value.field == "msisdn"
    assert VpmnMember.objects.count() == 0


def test_a_member_of_another_vpmn_is_refused_naming_the_group_only_when_visible(
    with_vpmn, make_staff, manager_xian
):
    xian = with_vpmn()
    baoji_manager = make_staff("manager.baoji", "manager", "baoji")
    baoji = with_vpmn(region="baoji", manager=baoji_manager)
    shared = baoji.members.first().subscriber
    GroupMember.objects.create(group=xian, subscriber=shared, joined_on=dt.date(2024, 1, 1))
    vpmn.add_member(baoji_manager, baoji, msisdn=shared.msisdn)
    before = _members()
    with pytest.raises(DomainError) as refused:
        vpmn.add_member(manager_xian, xian, msisdn=shared.msisdn)
    assert refused.value.status == 409 and refused.value.extra["reason"] == "in_other_vpmn"
    assert baoji.code not in refused.value.message  # a Xi'an manager does not learn the Baoji group
    assert _members() == before

    other_xian = with_vpmn()
    local = other_xian.members.first().subscriber
    GroupMember.objects.create(group=xian, subscriber=local, joined_on=dt.date(2024, 1, 1))
    vpmn.add_member(manager_xian, other_xian, msisdn=local.msisdn)
    with pytest.raises(DomainError) as named:
        vpmn.add_member(manager_xian, xian, msisdn=local.msisdn)
    assert other_xian.code in named.value.message


def test_remove_and_change_short_number_keep_the_history(with_vpmn, manager_xian):
    group = with_vpmn()
    a, b = _msisdns(group)[:2]
    first = vpmn.add_member(manager_xian, group, msisdn=a, short_number="600", effective_from="2026-01-01")
    changed = vpmn.change_short_number(manager_xian, group, first.pk, short_number="610")
    assert changed.short_number == "610"
    first.refresh_from_db()
    assert first.effective_to is not None
    with pytest.raises(DomainError):
        vpmn.remove_member(manager_xian, group, changed.pk, effective_to="2025-01-01")  # before joining
    removed = vpmn.remove_member(manager_xian, group, changed.pk)
    assert removed.effective_to == vpmn.today() and removed.removed_by == manager_xian
    # the short numbers are free again, the subscriber may join again
    assert vpmn.add_member(manager_xian, group, msisdn=b, short_number="610").short_number == "610"
    assert vpmn.add_member(manager_xian, group, msisdn=a).short_number == "600"


def test_a_member_removed_as_from_a_later_day_keeps_membership_and_number_until_then(
    with_vpmn, manager_xian, monkeypatch
):
    from kefu.groups import services

    group = with_vpmn()
    a, b = _msisdns(group)[:2]
    member = vpmn.add_member(manager_xian, group, msisdn=a, short_number="600", effective_from="2026-01-01")
    leaving = vpmn.today() + dt.timedelta(days=5)  # e.g. at the end of the month
    vpmn.remove_member(manager_xian, group, member.pk, effective_to=leaving.isoformat())
    network = vpmn.network_of(manager_xian, group)

    # until then: listed and counted, in the 360, the short number still theirs
    assert [m.short_number for m in vpmn.members(network)] == ["600"]
    assert vpmn.present_network(network)["members"] == 1
    assert vpmn.membership_of(member.subscriber).pk == member.pk
    assert services.groups_for_subscriber(manager_xian, member.subscriber)[0]["short_number"] == "600"
    with pytest.raises(DomainError) as taken:
        vpmn.add_member(manager_xian, group, msisdn=b, short_number="600")
    assert taken.value.field == "short_number"
    assert vpmn.add_member(manager_xian, group, msisdn=b).short_number == "601"
    # a new short number keeps the leaving day
    assert vpmn.change_short_number(manager_xian, group, member.pk, short_number="610").effective_to == leaving

    # from the leaving day on: gone, the short number free again
    monkeypatch.setattr(vpmn, "today", lambda: leaving)
    assert [m.short_number for m in vpmn.members(network)] == ["601"]
    assert vpmn.membership_of(member.subscriber) is None
    assert vpmn.add_member(manager_xian, group, msisdn=_msisdns(group)[2], short_number="610").short_number == "610"


def test_the_database_backs_up_the_short_number_check(with_vpmn, manager_xian):
    from django.db import IntegrityError, transaction

    group = with_vpmn()
    network = group.vpmn
    a, b = (m.subscriber for m in group.members.all()[:2])
    VpmnMember.objects.create(
        network=network, subscriber=a, short_number="600", effective_from=dt.date(2026, 1, 1), added_by=manager_xian
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        VpmnMember.objects.create(
            network=network, subscriber=b, short_number="600", effective_from=dt.date(2026, 1, 1), added_by=manager_xian
        )


def test_an_agreement_ending_before_it_starts_is_refused(with_vpmn, manager_xian):
    group = with_vpmn()
    before = list(VpmnAgreement.objects.values_list("number", "status"))
    for ends_on in ("2027-01-01", "2026-12-31"):
        with pytest.raises(DomainError) as refused:
            vpmn.create_agreement(manager_xian, group, plan="vpmn-plus", starts_on="2027-01-01", ends_on=ends_on)
        assert refused.value.field == "ends_on" and refused.value.status == 422
    with pytest.raises(DomainError) as overlapping:  # the agreement in force runs until 2026-12-31
        vpmn.create_agreement(manager_xian, group, plan="vpmn-plus", starts_on="2026-12-01", term_months=12)
    assert overlapping.value.status == 409 and overlapping.value.field == "starts_on"
    with pytest.raises(DomainError) as refused:
        vpmn.create_agreement(manager_xian, group, plan="vpmn-plus", starts_on="2027-01-02", ends_on="2027-01-01")
    assert refused.value.field == "ends_on" and refused.value.extra["reason"] == "ends_before_start"
    assert list(VpmnAgreement.objects.values_list("number", "status")) == before
    following = vpmn.create_agreement(manager_xian, group, plan="vpmn-plus", starts_on="2027-01-01", term_months=24)
    assert following.ends_on == dt.date(2028, 12, 31)


def test_terminating_an_agreement_needs_a_reason(with_vpmn, manager_xian):
    group = with_vpmn()
    number = f"VX-{group.code}"
    with pytest.raises(DomainError):
        vpmn.terminate_agreement(manager_xian, number, reason="")
    assert vpmn.terminate_agreement(manager_xian, number, reason="集团撤销").status == AgreementStatus.TERMINATED


def test_members_are_listed_masked_unless_the_user_may_unmask(with_vpmn, manager_xian, admin_user):
    group = with_vpmn()
    msisdn = _msisdns(group)[0]
    member = vpmn.add_member(manager_xian, group, msisdn=msisdn)
    shown = vpmn.present_member(member, Masker(manager_xian))
    assert shown["msisdn"] == f"{msisdn[:3]}****{msisdn[-4:]}"
    assert vpmn.present_member(member, Masker(admin_user))["msisdn"] == msisdn


def test_other_regions_cannot_read_or_change_the_vpmn(with_vpmn, manager_xian, make_staff):
    group = with_vpmn()
    baoji = make_staff("manager.baoji", "manager", "baoji")
    for attempt in (
        lambda: vpmn.network_of(baoji, group),
        lambda: vpmn.add_member(baoji, group, msisdn=_msisdns(group)[0]),
        lambda: vpmn.terminate_agreement(baoji, f"VX-{group.code}", reason="x"),
        lambda: vpmn.create_agreement(baoji, group, plan="vpmn-plus", starts_on="2027-01-01", term_months=12),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.status == 404
    assert VpmnMember.objects.count() == 0 and VpmnAgreement.objects.count() == 1
