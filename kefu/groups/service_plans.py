"""Service plans and service contacts (GRP-2).

Each grade has a plan: how many contacts of each kind (phone visit, on-site visit, symposium, holiday letter,
holiday SMS, new-business promotion) a group gets per month, quarter or year (`ServicePlanItem`; defaults in
`kefu.groups.catalogue`, editable by administrators). Customer managers log the contacts they made
(`ServiceContact`); progress is planned vs done in the current calendar period of each item.

Behind plan (the rule the manager's home page shows): on day d of a period of N days, a kind planned `times`
times is expected to have been done floor(times × d / N) times — the plan pro-rated over the days elapsed,
rounded down. A kind is behind when fewer contacts were logged in the period than that. So a kind planned
once per period is only due on the period's last day, and at the end of the period the whole plan is due.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.services import record_change, require
from kefu.groups.models import (
    GroupContact,
    GroupCustomer,
    GroupStatus,
    PlanPeriod,
    ServiceContact,
    ServiceKind,
    ServicePlanItem,
)

LOG_CONTACT = "groups.add_servicecontact"
EDIT_PLAN = "groups.change_serviceplanitem"
VIEW = "groups.view_groupcustomer"
MAX_TIMES = 99
EARLIEST_YEAR = 2000


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter or year containing `today`: [start, end)."""
    if period == PlanPeriod.MONTH:
        start = today.replace(day=1)
        end = dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    elif period == PlanPeriod.QUARTER:
        first = 3 * ((today.month - 1) // 3) + 1
        start = dt.date(today.year, first, 1)
        end = dt.date(today.year + (first == 10), (first + 2) % 12 + 1, 1)
    else:
        start, end = dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
    return start, end


def expected_by(times: int, start: dt.date, end: dt.date, today: dt.date) -> int:
    """The plan pro-rated to `today` (inclusive), rounded down: see the module's rule."""
    elapsed = min(max((today - start).days + 1, 0), (end - start).days)
    return times * elapsed // (end - start).days


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def plan_items() -> dict[str, dict[str, ServicePlanItem]]:
    """grade → kind → plan item."""
    items: dict[str, dict[str, ServicePlanItem]] = {}
    for item in ServicePlanItem.objects.all():
        items.setdefault(item.grade, {})[item.kind] = item
    return items


def _done_counts(group_ids, today: dt.date) -> dict[tuple[int, str], dict[str, int]]:
    """(group id, kind) → contacts logged in the current month, quarter and year."""
    bounds = {p: period_bounds(p, today) for p in PlanPeriod.values}
    rows = (
        ServiceContact.objects.filter(
            group_id__in=group_ids, at__gte=_aware(bounds[PlanPeriod.YEAR][0]), at__lt=_aware(bounds["year"][1])
        )
        .values("group_id", "kind")
        .annotate(
            **{
                p: Count("id", filter=Q(at__gte=_aware(start), at__lt=_aware(end)))
                for p, (start, end) in bounds.items()
            }
        )
    )
    return {(r["group_id"], r["kind"]): {p: r[p] for p in PlanPeriod.values} for r in rows}


def _progress_rows(group: GroupCustomer, items: dict[str, ServicePlanItem], done: dict, today: dt.date) -> list[dict]:
    rows = []
    for kind, label in ServiceKind.choices:
        item = items.get(kind)
        if item is None or item.times == 0:
            continue
        start, end = period_bounds(item.period, today)
        count = done.get((group.pk, kind), {}).get(item.period, 0)
        expected = expected_by(item.times, start, end, today)
        rows.append(
            {
                "kind": kind,
                "kind_label": label,
                "period": item.period,
                "period_label": item.get_period_display(),
                "from": start,
                "to": end - dt.timedelta(days=1),
                "planned": item.times,
                "expected": expected,
                "done": count,
                "behind": count < expected,
                "missing": max(expected - count, 0),
            }
        )
    return rows


def plan_progress(group: GroupCustomer, today: dt.date | None = None) -> list[dict]:
    """Per kind of the group's grade plan: planned vs done in the current period, and whether it is behind."""
    today = today or timezone.localdate()
    items = plan_items().get(group.grade, {})
    return _progress_rows(group, items, _done_counts([group.pk], today), today)


def behind_plan(manager, today: dt.date | None = None) -> list[dict]:
    """The manager's active groups with the kinds behind plan (the module's rule), most missing first."""
    today = today or timezone.localdate()
    groups = list(
        GroupCustomer.objects.restrict(manager)
        .filter(customer_manager=manager, status=GroupStatus.ACTIVE)
        .only("id", "code", "name", "grade")
    )
    if not groups:
        return []
    items = plan_items()
    done = _done_counts([g.pk for g in groups], today)
    result = []
    for group in groups:
        kinds = [row for row in _progress_rows(group, items.get(group.grade, {}), done, today) if row["behind"]]
        if kinds:
            result.append({"group": group, "kinds": kinds, "missing": sum(k["missing"] for k in kinds)})
    result.sort(key=lambda r: (-r["missing"], r["group"].code))
    return result


def _check_kind(kind: str) -> None:
    if kind not in ServiceKind.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown kind of service contact."), field="kind")


@transaction.atomic
def log_contact(
    user, group: GroupCustomer, kind: str, at: dt.datetime, summary: str, contact_id: int | None = None
) -> ServiceContact:
    """Log a service contact with a group (the group comes from the scoped lookup `services.get_group`)."""
    require(user, LOG_CONTACT)
    _check_kind(kind)
    if at is None:
        raise DomainError(ErrorCode.INVALID, _("Give the time of the contact."), field="at")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + dt.timedelta(minutes=1):
        raise DomainError(ErrorCode.INVALID, _("A contact cannot be logged in the future."), field="at")
    if at.year < EARLIEST_YEAR:  # also keeps year 1 from overflowing when stored in UTC
        raise DomainError(
            ErrorCode.INVALID, _("A contact is logged from %(year)d on.") % {"year": EARLIEST_YEAR}, field="at"
        )
    summary = (summary or "").strip()
    if not summary:
        raise DomainError(ErrorCode.INVALID, _("Write a short summary of the contact."), field="summary")
    if len(summary) > 300:
        raise DomainError(ErrorCode.INVALID, _("The summary is at most 300 characters."), field="summary")
    contact = None
    if contact_id:
        contact = GroupContact.objects.filter(pk=contact_id, group=group).first()
        if contact is None:
            raise DomainError(ErrorCode.INVALID, _("Choose a contact person of this group."), field="contact")
    logged = ServiceContact.objects.create(group=group, kind=kind, at=at, staff=user, contact=contact, summary=summary)
    record_change(user, logged, "groups.service_contact.log", {"kind": kind, "at": at.isoformat()}, group.region_id)
    return logged


@transaction.atomic
def set_plan_item(user, grade: str, kind: str, period: str, times: int) -> ServicePlanItem:
    """An administrator sets how many contacts of `kind` a group of `grade` gets per `period`."""
    require(user, EDIT_PLAN)
    if grade not in ("A", "B", "C"):
        raise DomainError(ErrorCode.INVALID, _("Unknown grade."), field="grade")
    _check_kind(kind)
    if period not in PlanPeriod.values:
        raise DomainError(ErrorCode.INVALID, _("The period is month, quarter or year."), field="period")
    if not isinstance(times, int) or isinstance(times, bool) or not 0 <= times <= MAX_TIMES:
        raise DomainError(
            ErrorCode.INVALID,
            _("Times per period is a whole number from 0 to %(max)d.") % {"max": MAX_TIMES},
            field="times",
        )
    item = ServicePlanItem.objects.select_for_update().filter(grade=grade, kind=kind).first()
    before = {"period": item.period, "times": item.times} if item else None
    if item is None:
        item = ServicePlanItem.objects.create(grade=grade, kind=kind, period=period, times=times)
    else:
        item.period, item.times = period, times
        item.save(update_fields=["period", "times"])
    record_change(user, item, "groups.service_plan.set", {"before": before, "period": period, "times": times})
    return item


def recent_contacts(group: GroupCustomer, limit: int = 10):
    return ServiceContact.objects.filter(group=group).select_related("staff", "contact")[:limit]
