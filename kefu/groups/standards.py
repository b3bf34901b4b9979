"""Group service standards (GRP-3), measured per period (a month or a quarter) and per grade, by city and by
customer manager, over the groups the caller may see. Targets: `groups.standards[grade]` (satisfaction_pct,
awareness_pct: a value meets its target when it is at least the target), `groups.collective_churn_max_pct`
and `groups.internal_churn_max_pct` (met when at most the maximum).

- satisfaction % = survey answers (`GroupSurvey`) in the period that say satisfied / survey answers in the
  period × 100;
- awareness % = contact persons surveyed in the period whose latest answer in the period says they know the
  group's offers and services / contact persons surveyed in the period × 100 (an answer with no contact person
  named counts as one person);
- collective churn % = groups that left the network in the period (status churned, `churned_at` in the
  period) / groups active at the period start × 100. A group was active at the period start when it existed
  (created before the start, or a member joined before the start — imported groups carry their history) and had
  not left the network before it; merged groups are not counted (their members moved to the surviving group);
- internal churn % = members at the period start who left their group in the period (`left_on` in the
  period) / members at the period start (joined before the start, not left before it) × 100 — like the
  personal key-account churn rate: leavers over the base at the start of the period (a member who joined and
  left within the period is in neither). Only the groups of the collective base count: the members of a group
  that had left the network or merged before the period are not group members any more.

A group is counted under its current grade, city and customer manager. A figure with nothing to measure
(no answers, no groups or members at the start) shows no value and is neither met nor missed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.models import Region, RegionLevel
from kefu.core.services import record_change, require
from kefu.groups.models import GroupContact, GroupCustomer, GroupMember, GroupStatus, GroupSurvey

VIEW = "groups.view_groupcustomer"
ADD_SURVEY = "groups.add_groupsurvey"
GRADES = ("A", "B", "C")
KPIS = ("satisfaction", "awareness", "collective_churn", "internal_churn")


def parse_period(value: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    """'2026-11' (a month) or '2026-Q4' (a quarter) → [start, end) and the label; empty: the current month."""
    value = (value or "").strip()
    if not value:
        today = today or timezone.localdate()
        value = f"{today:%Y-%m}"
    if match := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", value):
        year, month = int(match[1]), int(match[2])
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
    elif match := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        year, q = int(match[1]), int(match[2])
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    else:
        raise DomainError(ErrorCode.INVALID, _("A period is a month (YYYY-MM) or a quarter (YYYY-Qn)."), field="period")
    if not 2000 <= year <= 2100:
        raise DomainError(ErrorCode.INVALID, _("The period's year is out of range."), field="period")
    return start, end, value


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 2) if d else None


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def cities_by_region() -> dict[int, tuple[str, str]]:
    """region id → (city code, city name): the city above a county, the city itself, the province for itself."""
    regions = list(Region.objects.only("id", "code", "name", "name_en", "level", "path"))
    by_code = {r.code: r for r in regions}
    result = {}
    for r in regions:
        codes = r.path.strip("/").split("/")
        city = by_code.get(codes[1]) if len(codes) > 1 else r
        if city is None or (city.level != RegionLevel.CITY and city is not r):
            city = r
        result[r.id] = (city.code, city.display_name)
    return result


class _Tally:
    """Numerators and denominators of the four figures for one row."""

    def __init__(self):
        self.counts = {k: [0, 0] for k in KPIS}

    def add(self, kpi: str, numerator: int, denominator: int) -> None:
        self.counts[kpi][0] += numerator
        self.counts[kpi][1] += denominator


def measure(user, period: str | None = None) -> dict:
    """The four figures per grade by city and by customer manager, each against its target."""
    require(user, VIEW)
    start, end, label = parse_period(period)
    start_at, end_at = _aware(start), _aware(end)
    groups = GroupCustomer.objects.restrict(user)
    rows = list(
        groups.annotate(
            early_member=Exists(GroupMember.objects.filter(group=OuterRef("pk"), joined_on__lt=start))
        ).values_list(
            "id",
            "grade",
            "region_id",
            "customer_manager_id",
            "customer_manager__username",
            "customer_manager__first_name",
            "customer_manager__last_name",
            "status",
            "churned_at",
            "created_at",
            "early_member",
        )
    )
    info = {}
    in_base: set[int] = set()
    group_figures: dict[int, _Tally] = defaultdict(_Tally)
    for gid, grade, region_id, mid, username, first, last, status, churned_at, created_at, early in rows:
        info[gid] = (grade, region_id, mid, username or "", f"{last}{first}".strip() or username or "")
        existed = created_at < start_at or early
        left_before = churned_at is not None and churned_at < start_at
        if status != GroupStatus.MERGED and existed and not left_before:
            left_now = status == GroupStatus.CHURNED and churned_at is not None and churned_at < end_at
            group_figures[gid].add("collective_churn", int(left_now), 1)
            in_base.add(gid)

    answers = GroupSurvey.objects.filter(group__in=groups, surveyed_on__gte=start, surveyed_on__lt=end)
    latest: dict[tuple, bool] = {}
    for gid, contact_id, pk, satisfied, aware in answers.order_by("surveyed_on", "id").values_list(
        "group_id", "contact_id", "id", "satisfied", "aware"
    ):
        group_figures[gid].add("satisfaction", int(satisfied), 1)
        latest[(gid, contact_id or f"answer-{pk}")] = aware
    for (gid, _person), aware in latest.items():
        group_figures[gid].add("awareness", int(aware), 1)

    members = GroupMember.objects.filter(group__in=groups)
    at_start = members.filter(Q(left_on__isnull=True) | Q(left_on__gte=start), joined_on__lt=start)
    for gid, n in _count_by_group(at_start):
        if gid in in_base:
            group_figures[gid].add("internal_churn", 0, n)
    for gid, n in _count_by_group(at_start.filter(left_on__lt=end)):
        if gid in in_base:
            group_figures[gid].add("internal_churn", n, 0)

    cities = cities_by_region()
    by_city: dict[tuple, _Tally] = defaultdict(_Tally)
    by_manager: dict[tuple, _Tally] = defaultdict(_Tally)
    totals: dict[str, _Tally] = defaultdict(_Tally)
    city_names, manager_names = {}, {}
    for gid, (grade, region_id, mid, username, name) in info.items():
        city_code, city_name = cities.get(region_id, ("", ""))
        city_names[city_code] = city_name
        if mid:
            manager_names[username] = name
        figures = group_figures.get(gid)
        targets = [by_city[(city_code, grade)], totals[grade]]
        if mid:
            targets.append(by_manager[(username, grade)])
        for tally in targets:
            if figures is not None:
                for kpi in KPIS:
                    tally.add(kpi, *figures.counts[kpi])
            tally.counts.setdefault("groups", [0, 0])[1] += 1

    standards = parameters.get("groups.standards")
    churn_max = {
        "collective_churn": float(parameters.get("groups.collective_churn_max_pct")),
        "internal_churn": float(parameters.get("groups.internal_churn_max_pct")),
    }

    def row(key: str, name: str, grade: str, tally: _Tally) -> dict:
        target = standards.get(grade, {})
        kpis = {}
        for kpi in KPIS:
            n, d = tally.counts[kpi]
            value = _pct(n, d)
            if kpi in churn_max:
                goal, higher_is_better = churn_max[kpi], False
            else:
                goal, higher_is_better = float(target.get(f"{kpi}_pct", 0)), True
            met = None if value is None else (value >= goal if higher_is_better else value <= goal)
            kpis[kpi] = {
                "value": value,
                "numerator": n,
                "denominator": d,
                "target": goal,
                "comparison": ">=" if higher_is_better else "<=",
                "met": met,
            }
        return {
            "key": key,
            "name": name,
            "grade": grade,
            "groups": tally.counts["groups"][1],
            "kpis": kpis,
            "misses": sum(k["met"] is False for k in kpis.values()),
        }

    def ordered(tallies: dict[tuple, _Tally], names: dict) -> list[dict]:
        return [row(key, names.get(key, key), grade, t) for (key, grade), t in sorted(tallies.items())]

    return {
        "period": label,
        "from": start.isoformat(),
        "to": (end - dt.timedelta(days=1)).isoformat(),
        "targets": {
            "grades": {g: standards.get(g, {}) for g in GRADES},
            "collective_churn_max_pct": churn_max["collective_churn"],
            "internal_churn_max_pct": churn_max["internal_churn"],
        },
        "by_grade": [row("", "", g, totals[g]) for g in GRADES if g in totals],
        "by_city": ordered(by_city, city_names),
        "by_manager": ordered(by_manager, manager_names),
    }


def _count_by_group(qs):
    return qs.values("group_id").annotate(n=Count("id")).values_list("group_id", "n")


@transaction.atomic
def record_survey(
    user,
    group: GroupCustomer,
    surveyed_on: dt.date,
    satisfied: bool,
    aware: bool,
    contact_id: int | None = None,
    comment: str = "",
) -> GroupSurvey:
    """A contact person's answer to the satisfaction and awareness survey (the group from a scoped lookup)."""
    require(user, ADD_SURVEY)
    if surveyed_on is None:
        raise DomainError(ErrorCode.INVALID, _("Give the date of the survey."), field="surveyed_on")
    if surveyed_on > timezone.localdate():
        raise DomainError(ErrorCode.INVALID, _("A survey answer cannot be dated in the future."), field="surveyed_on")
    if not isinstance(satisfied, bool):
        raise DomainError(ErrorCode.INVALID, _("Answer yes or no."), field="satisfied")
    if not isinstance(aware, bool):
        raise DomainError(ErrorCode.INVALID, _("Answer yes or no."), field="aware")
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise DomainError(ErrorCode.INVALID, _("The comment is at most 300 characters."), field="comment")
    contact = None
    if contact_id:
        contact = GroupContact.objects.filter(pk=contact_id, group=group).first()
        if contact is None:
            raise DomainError(ErrorCode.INVALID, _("Choose a contact person of this group."), field="contact")
    answer = GroupSurvey.objects.create(
        group=group,
        contact=contact,
        surveyed_on=surveyed_on,
        satisfied=satisfied,
        aware=aware,
        comment=comment,
        staff=user,
    )
    record_change(user, answer, "groups.survey.record", {"satisfied": satisfied, "aware": aware}, group.region_id)
    return answer
