"""The monthly recomputation: members and churn from the dates, spend from the bills, the 30 % key-group rule,
re-running a month replaces it, the manager is told of a changed flag; the command and the worker job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from kefu.core.models import Notification
from kefu.customers.models import Bill
from kefu.groups import monthly
from kefu.groups.models import GroupMember, GroupMonth

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def _bill(subscriber, fen: int, month: dt.date = OCT) -> None:
    Bill.objects.create(subscriber=subscriber, month=month, total_fen=fen, plan_fee_fen=fen)


def _spend(group, fen_each: int) -> None:
    for member in group.members.all():
        _bill(member.subscriber, fen_each)


def test_key_group_count_rounds_up():
    assert monthly.key_group_count(10, 30) == 3
    assert monthly.key_group_count(7, 30) == 3  # 2.1 → 3: at least 30 %
    assert monthly.key_group_count(1, 30) == 1
    assert monthly.key_group_count(0, 30) == 0
    assert monthly.key_group_count(3, 100) == 3


def test_thirty_percent_of_qualifying_groups_by_spend(make_group, manager_xian):
    groups = [make_group("xian", members=10, manager=manager_xian) for _ in range(7)]
    for i, g in enumerate(groups):
        _spend(g, 1000 * (i + 1))
    small = make_group("xian", members=3)  # below 10 members: never ranked among the key groups
    _spend(small, 1_000_000)
    approved = make_group("xian", members=2, key_group_approved=True)
    result = monthly.recompute(OCT)
    assert (result.qualifying, result.key_groups) == (7, 3 + 1)
    flagged = set(GroupMonth.objects.filter(month=OCT, is_key_group=True).values_list("group__code", flat=True))
    assert flagged == {groups[6].code, groups[5].code, groups[4].code, approved.code}
    top = GroupMonth.objects.get(group=small, month=OCT)
    assert top.rank == 1 and top.spend_fen == 3_000_000 and not top.is_key_group
    groups[6].refresh_from_db()
    assert groups[6].is_key_group and groups[6].monthly_spend_fen == 70_000
    # the manager hears of each group that became a key group
    notes = Notification.objects.filter(recipient=manager_xian, kind="key_group")
    assert notes.count() == 3 and all("/groups/" in n.link for n in notes)


def test_rerun_replaces_and_only_changes_notify(make_group, manager_xian):
    group = make_group("xian", members=10, manager=manager_xian)
    _spend(group, 500)
    monthly.recompute(OCT)
    monthly.recompute(OCT)
    assert GroupMonth.objects.filter(month=OCT).count() == 1
    assert Notification.objects.filter(kind="key_group").count() == 1  # flag set once, not on the rerun
    # the group loses members below the minimum: the flag goes, and the manager is told
    for member in list(group.members.all())[:2]:
        member.left_on = dt.date(2026, 10, 15)
        member.save()
    result = monthly.recompute(OCT)
    group.refresh_from_db()
    assert result.flag_changes == 1 and not group.is_key_group
    assert Notification.objects.filter(kind="key_group").count() == 2


def test_churn_counts_from_dates(make_group, make_subscriber):
    group = make_group("xian", members=10)  # joined 2024-01-01
    members = list(group.members.all())
    members[0].left_on = dt.date(2026, 9, 30)  # left before October: not at the start
    members[1].left_on = dt.date(2026, 10, 1)  # left on the first day: at the start, left in October
    members[2].left_on = dt.date(2026, 10, 31)  # left on the last day: left, not at the end
    for m in members[:3]:
        m.save()
    GroupMember.objects.create(group=group, subscriber=make_subscriber(), joined_on=dt.date(2026, 10, 10))
    GroupMember.objects.create(group=group, subscriber=make_subscriber(), joined_on=dt.date(2026, 11, 2))
    _bill(members[0].subscriber, 100_000)  # not a member in October: not counted
    _bill(members[1].subscriber, 700)  # a member on 1 October: counted
    _bill(members[3].subscriber, 300)
    _bill(members[3].subscriber, 99_999, month=dt.date(2026, 9, 1))  # another month
    monthly.recompute(OCT)
    row = GroupMonth.objects.get(group=group, month=OCT)
    assert (row.members_at_start, row.members_left, row.members_at_end) == (9, 2, 8)
    assert row.spend_fen == 1000


def test_earlier_month_does_not_move_the_current_flag(make_group):
    group = make_group("xian", members=10)
    _spend(group, 100)
    monthly.recompute(OCT)
    group.refresh_from_db()
    assert group.is_key_group
    GroupMonth.objects.filter(group=group).update(month=dt.date(2026, 11, 1))  # a newer month exists
    result = monthly.recompute(dt.date(2026, 9, 1))
    assert not result.current
    group.refresh_from_db()
    assert group.is_key_group and group.monthly_spend_fen == 10 * 100


def test_refused_for_a_month_not_begun_and_without_permission(manager_xian):
    from kefu.core.errors import DomainError

    with pytest.raises(DomainError) as future:
        monthly.recompute(dt.date(2999, 1, 1))
    assert future.value.field == "month"
    with pytest.raises(DomainError):
        monthly.recompute(OCT, actor=manager_xian)
    with pytest.raises(DomainError):
        monthly.parse_month("2026-13")


def test_command_and_worker_job(make_group, capsys):
    make_group("xian", members=10)
    call_command("groups-month", "--month", "2026-10")
    assert "2026-10: 1 groups" in capsys.readouterr().out
    from kefu.workorders import worker

    assert "groups.month" in {name for name, _job in worker.JOBS}
    now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    assert monthly.run_previous_month_once(now) == 1  # November, first time
    assert monthly.run_previous_month_once(now) == 0  # once only
    assert GroupMonth.objects.filter(month=dt.date(2026, 11, 1)).count() == 1
