"""The monthly recomputation of the groups (GRP-1): members, spend, rank and the 集团大客户 flag.

For a month M (first day S, last day E), per group, from the memberships' dates:

- members at the start: joined before S and not left before S;
- members who left: left on a day of M;
- members at the end: joined by E and not left by E (left on E counts as left);
- spend: the sum of `Bill.total_fen` for M of the subscribers who were members on some day of M.

Groups are ranked by spend (highest first; equal spend by code). The key groups (集团大客户) are the top
`groups.key_group_share_pct` % of the qualifying groups (active, at least `groups.min_members` members at the
end) by count, rounded up so that they make up at least that share, plus every group approved by hand.

Re-running a month replaces its `GroupMonth` rows. The group's own flag and monthly spend follow the newest
month computed; when the flag changes the customer manager is notified (or the city's team leaders when the
group has none).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.notifications import notify
from kefu.core.services import audit_event, require
from kefu.customers.models import Bill
from kefu.groups.models import GroupCustomer, GroupMember, GroupMonth, GroupStatus

PERMISSION = "groups.run_group_month"
NOTIFICATION_KIND = "key_group"


@dataclass
class MonthResult:
    month: dt.date
    groups: int
    qualifying: int
    key_groups: int
    flag_changes: int
    current: bool  # the newest month computed: the groups' flags follow it

    def as_dict(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "groups": self.groups,
            "qualifying": self.qualifying,
            "key_groups": self.key_groups,
            "flag_changes": self.flag_changes,
            "current": self.current,
        }


def parse_month(value: str, field: str = "month") -> dt.date:
    try:
        year, month = (int(part) for part in str(value).split("-"))
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        raise DomainError(ErrorCode.INVALID, _("A month is written YYYY-MM, e.g. 2026-10."), field=field) from None


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def previous_month(today: dt.date) -> dt.date:
    return dt.date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


def key_group_count(qualifying: int, share_pct: float) -> int:
    """How many qualifying groups make up at least `share_pct` % of them (rounded up)."""
    return min(qualifying, math.ceil(qualifying * share_pct / 100 - 1e-9)) if qualifying else 0


def _member_figures(start: dt.date, end: dt.date) -> dict[int, dict[str, int]]:
    joined_before_start = Q(joined_on__lt=start)
    open_at_start = Q(left_on__isnull=True) | Q(left_on__gte=start)
    rows = (
        GroupMember.objects.filter(joined_on__lte=end)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .values("group_id")
        .annotate(
            at_start=Count("id", filter=joined_before_start & open_at_start),
            left=Count("id", filter=Q(left_on__gte=start, left_on__lte=end)),
            at_end=Count("id", filter=Q(left_on__isnull=True) | Q(left_on__gt=end)),
        )
    )
    return {r["group_id"]: {"at_start": r["at_start"], "left": r["left"], "at_end": r["at_end"]} for r in rows}


def _spend(start: dt.date, end: dt.date) -> dict[int, int]:
    """Spend per group: the month's bills of its members during the month, joined on the (subscriber, month)
    key of the bills (the ORM would join through the subscribers' table for nothing)."""
    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    group_id, member_sub = column(GroupMember, "group"), column(GroupMember, "subscriber")
    joined, left = column(GroupMember, "joined_on"), column(GroupMember, "left_on")
    sql = (
        f"SELECT m.{group_id}, SUM(b.{column(Bill, 'total_fen')}) FROM {quote(GroupMember._meta.db_table)} m "
        f"JOIN {quote(Bill._meta.db_table)} b ON b.{column(Bill, 'subscriber')} = m.{member_sub} "
        f"AND b.{column(Bill, 'month')} = %s "
        f"WHERE m.{joined} <= %s AND (m.{left} IS NULL OR m.{left} >= %s) GROUP BY m.{group_id}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end, start])
        return {group_id: int(total or 0) for group_id, total in cursor.fetchall()}


@transaction.atomic
def recompute(month: dt.date, actor=None) -> MonthResult:
    """Compute month `month` for every group; replaces that month's rows (idempotent)."""
    require(actor, PERMISSION)
    start, end = dt.date(month.year, month.month, 1), month_end(month)
    if start > timezone.localdate():
        raise DomainError(ErrorCode.INVALID, _("This month has not begun."), field="month")
    min_members = parameters.get("groups.min_members")
    share = parameters.get("groups.key_group_share_pct")
    figures = _member_figures(start, end)
    spend = _spend(start, end)
    groups = list(
        GroupCustomer.objects.select_for_update(of=("self",))
        .filter(Q(created_at__date__lte=end) | Q(pk__in=figures.keys()))
        .select_related("customer_manager")
        .order_by("code")
    )
    empty = {"at_start": 0, "left": 0, "at_end": 0}
    ranked = sorted(groups, key=lambda g: (-spend.get(g.pk, 0), g.code))
    rank = {g.pk: i for i, g in enumerate(ranked, start=1)}
    qualifying = [
        g for g in ranked if g.status == GroupStatus.ACTIVE and figures.get(g.pk, empty)["at_end"] >= min_members
    ]
    top = {g.pk for g in qualifying[: key_group_count(len(qualifying), share)]}
    key = top | {g.pk for g in groups if g.key_group_approved and g.status == GroupStatus.ACTIVE}

    GroupMonth.objects.filter(month=start).delete()
    GroupMonth.objects.bulk_create(
        [
            GroupMonth(
                group=g,
                month=start,
                members_at_start=figures.get(g.pk, empty)["at_start"],
                members_left=figures.get(g.pk, empty)["left"],
                members_at_end=figures.get(g.pk, empty)["at_end"],
                spend_fen=spend.get(g.pk, 0),
                rank=rank[g.pk],
                is_key_group=g.pk in key,
            )
            for g in groups
        ]
    )
    current = not GroupMonth.objects.filter(month__gt=start).exists()
    changes = 0
    if current:
        changes = _apply_flags(groups, key, spend, start, actor)
    return MonthResult(start, len(groups), len(qualifying), len(key), changes, current)


def _apply_flags(groups, key: set[int], spend: dict[int, int], month: dt.date, actor) -> int:
    """Set the groups' flag and spend from the newest month; audit and notify the changed flags."""
    changed_on, changed_off, events = [], [], []
    for g in groups:
        flag = g.pk in key
        new_spend = spend.get(g.pk, 0)
        if g.is_key_group != flag:
            (changed_on if flag else changed_off).append(g.pk)
            events.append(
                audit_event(actor, g, "key_group", {"is_key_group": [g.is_key_group, flag], "month": f"{month:%Y-%m}"})
            )
            _notify(g, flag, month)
        g.is_key_group, g.monthly_spend_fen = flag, new_spend
    by_spend: dict[int, list[int]] = defaultdict(list)
    for g in groups:
        by_spend[g.monthly_spend_fen].append(g.pk)
    for amount, pks in by_spend.items():
        GroupCustomer.objects.filter(pk__in=pks).update(monthly_spend_fen=amount)
    if changed_on:
        GroupCustomer.objects.filter(pk__in=changed_on).update(is_key_group=True)
    if changed_off:
        GroupCustomer.objects.filter(pk__in=changed_off).update(is_key_group=False)
    if events:
        from kefu.core.models import AuditEvent

        AuditEvent.objects.bulk_create(events)
    return len(events)


def _notify(group: GroupCustomer, flag: bool, month: dt.date) -> None:
    if flag:
        text = _("%(name)s (%(code)s) is a key group (集团大客户) from %(month)s.")
    else:
        text = _("%(name)s (%(code)s) is no longer a key group (集团大客户) from %(month)s.")
    text = text % {"name": group.name, "code": group.code, "month": f"{month:%Y-%m}"}
    link = reverse("groups:detail", args=[group.code])
    if group.customer_manager_id:
        notify(group.customer_manager, kind=NOTIFICATION_KIND, text=text, link=link, subject=group.code)
    else:
        notify(kind=NOTIFICATION_KIND, text=text, link=link, subject=group.code, role="leader", region=group.region)


def run_previous_month_once(now=None) -> int:
    """The worker job: once the month has turned, compute the previous month if it has not been computed."""
    today = timezone.localdate(now) if now else timezone.localdate()
    month = previous_month(today)
    if GroupMonth.objects.filter(month=month).exists() or not GroupCustomer.objects.exists():
        return 0
    return recompute(month).groups
