"""Customer managers (KA-6): the portfolio (subscribers whose `customer_manager` is the manager), work plans
(year, month, week), the daily work log (visits, calls, care), tasks dispatched with a deadline (progress,
evaluation), daily reminders as `core.Notification`s, and a monthly performance score.

Reminders (`daily_reminders`, run once a day by `kefu worker`; each is written once, keyed by its subject):
- birthday: a customer's birthday within `keyaccounts.reminder_days_ahead.birthday` days;
- contract_end: a contract ending within `….contract_end` days;
- churn: the last 3 bills fall month after month and the last is at least `keyaccounts.churn_drop_pct` %
  below the first;
- tier changes are notified by the monthly grading itself (kind `tier_change`, from the `TierChange` rows).

Monthly score (0–100) = Σ weight × part / Σ weights, weights `keyaccounts.manager_score_weights`
(revenue 40, retention 30, satisfaction 20, tasks 10), each part 0–100:
- revenue: the portfolio's bills of the month ÷ those of the month before × 100, capped at 100 (no bills the
  month before: 100 if any this month);
- retention: portfolio customers not closed in the month ÷ portfolio customers × 100;
- satisfaction: work orders of portfolio customers closed in the month with a satisfaction given, share
  satisfied or very satisfied × 100 (none: 100);
- tasks: tasks due in the month done by their deadline ÷ tasks due in the month × 100 (none: 100).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.models import Notification
from kefu.core.services import record_change, require
from kefu.customers.models import Bill, ProfileStore, Subscriber
from kefu.keyaccounts.models import (
    ContactKind,
    ManagerTask,
    PlanPeriod,
    ReminderRun,
    TaskStatus,
    WorkLog,
    WorkPlan,
)

REMINDER_KINDS = ("birthday", "contract_end", "churn", "tier_change", "appointment")


def portfolio(manager):
    return Subscriber.objects.filter(customer_manager=manager, store=ProfileStore.ON_NET)


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


# --- plans, log, tasks --------------------------------------------------------------------------------------


@transaction.atomic
def create_plan(actor, period: str, starts_on: dt.date, goals: str, target_visits: int = 0, target_calls: int = 0):
    if period not in PlanPeriod.values:
        raise DomainError(ErrorCode.INVALID, _("A plan is for a year, a month or a week."), field="period")
    if period == PlanPeriod.YEAR and (starts_on.month, starts_on.day) != (1, 1):
        raise DomainError(ErrorCode.INVALID, _("A year plan starts on 1 January."), field="starts_on")
    if period == PlanPeriod.MONTH and starts_on.day != 1:
        raise DomainError(ErrorCode.INVALID, _("A month plan starts on the first of the month."), field="starts_on")
    if period == PlanPeriod.WEEK and starts_on.isoweekday() != 1:
        raise DomainError(ErrorCode.INVALID, _("A week plan starts on a Monday."), field="starts_on")
    if not goals.strip():
        raise DomainError(ErrorCode.INVALID, _("Write the plan's goals."), field="goals")
    if WorkPlan.objects.filter(manager=actor, period=period, starts_on=starts_on).exists():
        raise DomainError(ErrorCode.CONFLICT, _("There is a plan for this period already."), field="starts_on")
    plan = WorkPlan.objects.create(
        manager=actor,
        period=period,
        starts_on=starts_on,
        goals=goals.strip(),
        target_visits=target_visits,
        target_calls=target_calls,
    )
    record_change(actor, plan, "create", {"period": period, "starts_on": starts_on.isoformat()}, region_id=None)
    return plan


@transaction.atomic
def update_plan(actor, plan: WorkPlan, goals: str, target_visits: int = 0, target_calls: int = 0) -> WorkPlan:
    """Change a plan's goals and targets (its period and start name it and stay)."""
    plan = WorkPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.manager_id != actor.pk:
        raise DomainError(ErrorCode.FORBIDDEN, _("This is not your plan."), field="plan")
    if not goals.strip():
        raise DomainError(ErrorCode.INVALID, _("Write the plan's goals."), field="goals")
    if target_visits < 0 or target_calls < 0:
        raise DomainError(
            ErrorCode.INVALID,
            _("A target cannot be negative."),
            field="target_visits" if target_visits < 0 else "target_calls",
        )
    before = {"goals": plan.goals, "target_visits": plan.target_visits, "target_calls": plan.target_calls}
    plan.goals, plan.target_visits, plan.target_calls = goals.strip(), target_visits, target_calls
    plan.save(update_fields=["goals", "target_visits", "target_calls"])
    after = {"goals": plan.goals, "target_visits": target_visits, "target_calls": target_calls}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    record_change(actor, plan, "update", changes, region_id=None)
    return plan


@transaction.atomic
def log_contact(actor, subscriber: Subscriber, kind: str, summary: str, at: dt.datetime | None = None) -> WorkLog:
    """A visit, call or care action for a customer of the manager's own portfolio."""
    if kind not in ContactKind.values:
        raise DomainError(ErrorCode.INVALID, _("A contact is a visit, a call or care."), field="kind")
    if subscriber.customer_manager_id != actor.pk:
        raise DomainError(ErrorCode.FORBIDDEN, _("This customer is not in your portfolio."), field="subscriber")
    if not summary.strip():
        raise DomainError(ErrorCode.INVALID, _("Write what was done."), field="summary")
    at = at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(ErrorCode.INVALID, _("A log entry cannot be in the future."), field="at")
    entry = WorkLog.objects.create(manager=actor, subscriber=subscriber, kind=kind, at=at, summary=summary[:300])
    record_change(actor, entry, "log", {"kind": kind}, region_id=subscriber.region_id)
    return entry


@transaction.atomic
def dispatch_task(actor, manager, title: str, deadline: dt.date, subscriber: Subscriber | None = None):
    require(actor, "keyaccounts.dispatch_managertask")
    if not manager.groups.filter(name="manager").exists():
        raise DomainError(ErrorCode.INVALID, _("Tasks are dispatched to customer managers."), field="manager")
    if deadline < timezone.localdate():
        raise DomainError(ErrorCode.INVALID, _("The deadline has passed."), field="deadline")
    if not title.strip():
        raise DomainError(ErrorCode.INVALID, _("Give the task a title."), field="title")
    task = ManagerTask.objects.create(
        manager=manager, subscriber=subscriber, title=title.strip()[:200], deadline=deadline, dispatched_by=actor
    )
    Notification.objects.create(
        recipient=manager,
        kind="task",
        text=(_("New task: %(title)s (by %(deadline)s)") % {"title": task.title, "deadline": deadline})[:300],
        link=reverse("keyaccounts:manager"),
        subject=f"task:{task.pk}",
    )
    record_change(actor, task, "dispatch", {"manager": manager.username, "deadline": deadline.isoformat()})
    return task


@transaction.atomic
def report_progress(actor, task: ManagerTask, progress: int, note: str = "") -> ManagerTask:
    task = ManagerTask.objects.select_for_update().get(pk=task.pk)
    if task.manager_id != actor.pk:
        raise DomainError(ErrorCode.FORBIDDEN, _("This is not your task."), field="task")
    if task.status != TaskStatus.OPEN:
        raise DomainError(ErrorCode.CONFLICT, _("This task is closed."), field="status")
    if not 0 <= progress <= 100:
        raise DomainError(ErrorCode.INVALID, _("Progress is a percentage, 0 to 100."), field="progress")
    task.progress, task.progress_note = progress, note[:300]
    if progress == 100:
        task.status, task.done_at = TaskStatus.DONE, timezone.now()
    task.save()
    record_change(actor, task, "progress", {"progress": progress, "note": note})
    return task


@transaction.atomic
def evaluate_task(actor, task: ManagerTask, score: int, note: str = "") -> ManagerTask:
    require(actor, "keyaccounts.dispatch_managertask")
    task = ManagerTask.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.DONE:
        raise DomainError(ErrorCode.CONFLICT, _("Only a done task is evaluated."), field="status")
    if not 1 <= score <= 5:
        raise DomainError(ErrorCode.INVALID, _("An evaluation is 1 to 5."), field="evaluation")
    task.status, task.evaluation, task.evaluation_note = TaskStatus.EVALUATED, score, note[:300]
    task.save()
    record_change(actor, task, "evaluate", {"evaluation": score, "note": note})
    return task


# --- reminders --------------------------------------------------------------------------------------------


def _days_until_birthday(birth: dt.date, today: dt.date) -> int:
    for year in (today.year, today.year + 1):
        try:
            next_day = birth.replace(year=year)
        except ValueError:  # 29 February in a common year: the 28th
            next_day = dt.date(year, 2, 28)
        if next_day >= today:
            return (next_day - today).days
    return 366


def generate_reminders(today: dt.date) -> int:
    """Write the day's reminders for every customer manager; a reminder already written is not repeated."""
    ahead = parameters.get("keyaccounts.reminder_days_ahead")
    drop = parameters.get("keyaccounts.churn_drop_pct")
    masker = Masker(None)
    candidates: list[Notification] = []
    managed = Subscriber.objects.filter(customer_manager__isnull=False, store=ProfileStore.ON_NET).only(
        "id", "name", "msisdn", "birth_date", "contract_end", "customer_manager_id"
    )
    contract_until = today + dt.timedelta(days=int(ahead.get("contract_end", 30)))
    birthday_days = int(ahead.get("birthday", 3))
    for s in managed.filter(Q(birth_date__isnull=False) | Q(contract_end__range=(today, contract_until))).iterator():
        who = {"name": s.name, "msisdn": masker.msisdn(s.msisdn)}
        link = reverse("customers:360", args=[s.pk])
        if s.birth_date is not None:
            days = _days_until_birthday(s.birth_date, today)
            if days <= birthday_days:
                when = today + dt.timedelta(days=days)
                candidates.append(
                    Notification(
                        recipient_id=s.customer_manager_id,
                        kind="birthday",
                        text=_("%(name)s %(msisdn)s: birthday on %(day)s") % {**who, "day": when.isoformat()},
                        link=link,
                        subject=f"birthday:{s.pk}:{when.year}",
                    )
                )
        if s.contract_end is not None and today <= s.contract_end <= contract_until:
            candidates.append(
                Notification(
                    recipient_id=s.customer_manager_id,
                    kind="contract_end",
                    text=_("%(name)s %(msisdn)s: contract ends on %(day)s")
                    % {**who, "day": s.contract_end.isoformat()},
                    link=link,
                    subject=f"contract:{s.pk}:{s.contract_end.isoformat()}",
                )
            )
    candidates.extend(_churn_warnings(today, drop, masker))
    subjects = {n.subject for n in candidates}
    existing = (
        set(
            Notification.objects.filter(subject__in=subjects, kind__in=REMINDER_KINDS).values_list("subject", flat=True)
        )
        if subjects
        else set()
    )
    fresh = [n for n in candidates if n.subject not in existing]
    for n in fresh:
        n.text = n.text[:300]
    Notification.objects.bulk_create(fresh, batch_size=1000)
    return len(fresh)


def _churn_warnings(today: dt.date, drop_pct: int, masker: Masker) -> list[Notification]:
    """Falling spend: the last 3 monthly bills each lower than the one before, the last ≥ drop_pct % below
    the first."""
    months = [_month_start(today, back) for back in (3, 2, 1)]  # the last 3 billed months before this one
    bills: dict[int, dict[dt.date, int]] = defaultdict(dict)
    rows = Bill.objects.filter(
        month__in=months, subscriber__customer_manager__isnull=False, subscriber__store=ProfileStore.ON_NET
    ).values_list("subscriber_id", "month", "total_fen")
    for sid, month, total in rows.iterator():
        bills[sid][month] = total
    falling = []
    for sid, by_month in bills.items():
        if len(by_month) != 3:
            continue
        a, b, c = (by_month[m] for m in months)
        if a > b > c and c * 100 <= a * (100 - drop_pct):
            falling.append((sid, a, c))
    if not falling:
        return []
    subscribers = Subscriber.objects.in_bulk([sid for sid, _a, _c in falling])
    out = []
    for sid, first, last in falling:
        s = subscribers[sid]
        out.append(
            Notification(
                recipient_id=s.customer_manager_id,
                kind="churn",
                text=_("%(name)s %(msisdn)s: spend falling, %(first)s → %(last)s yuan over 3 months")
                % {
                    "name": s.name,
                    "msisdn": masker.msisdn(s.msisdn),
                    "first": f"{first / 100:.2f}",
                    "last": f"{last / 100:.2f}",
                },
                link=reverse("customers:360", args=[sid]),
                subject=f"churn:{sid}:{months[-1]:%Y-%m}",
            )
        )
    return out


def daily_reminders(now=None) -> int:
    """The worker's daily job: once a day (the day's `ReminderRun` row), generate the reminders."""
    today = timezone.localdate(now) if now else timezone.localdate()
    if ReminderRun.objects.filter(day=today).exists():
        return 0
    try:
        with transaction.atomic():
            run = ReminderRun.objects.create(day=today)
            run.notifications = generate_reminders(today)
            run.save(update_fields=["notifications"])
    except IntegrityError:  # another worker ran it
        return 0
    return run.notifications


def todays_reminders(manager, today: dt.date | None = None):
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return (
        Notification.objects.filter(recipient=manager, kind__in=REMINDER_KINDS)
        .filter(Q(created_at__gte=start) | Q(read_at__isnull=True))
        .order_by("-created_at")[:50]
    )


# --- score ------------------------------------------------------------------------------------------------


def score(manager, month: dt.date) -> dict:
    """The manager's score for a month (first day), its four parts and the weights (see the module's text)."""
    from kefu.workorders.models import Satisfaction, WorkOrder

    month = month.replace(day=1)
    following = _month_start(month, -1)
    before = _month_start(month, 1)
    subscribers = Subscriber.objects.filter(customer_manager=manager)
    revenue = Bill.objects.filter(subscriber__in=subscribers, month=month).aggregate(t=Sum("total_fen"))["t"] or 0
    previous = Bill.objects.filter(subscriber__in=subscribers, month=before).aggregate(t=Sum("total_fen"))["t"] or 0
    revenue_part = min(100.0, 100.0 * revenue / previous) if previous else (100.0 if revenue else 0.0)
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(following, dt.time.min))
    total = subscribers.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start)).count()
    closed = subscribers.filter(closed_at__gte=start, closed_at__lt=end).count()
    retention_part = 100.0 * (total - closed) / total if total else 100.0
    rated = WorkOrder.objects.filter(customer__in=subscribers, closed_at__gte=start, closed_at__lt=end).exclude(
        satisfaction=""
    )
    rated_n = rated.count()
    happy = rated.filter(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.VERY_SATISFIED)).count()
    satisfaction_part = 100.0 * happy / rated_n if rated_n else 100.0
    due = ManagerTask.objects.filter(manager=manager, deadline__gte=month, deadline__lt=following)
    due_n = due.count()
    on_time = sum(
        1
        for done_at, deadline in due.filter(done_at__isnull=False).values_list("done_at", "deadline")
        if timezone.localdate(done_at) <= deadline
    )
    tasks_part = 100.0 * on_time / due_n if due_n else 100.0
    weights = parameters.get("keyaccounts.manager_score_weights")
    parts = {
        "revenue": revenue_part,
        "retention": retention_part,
        "satisfaction": satisfaction_part,
        "tasks": tasks_part,
    }
    weight_sum = sum(weights.get(k, 0) for k in parts) or 1
    value = sum(weights.get(k, 0) * v for k, v in parts.items()) / weight_sum
    return {
        "month": f"{month:%Y-%m}",
        "score": round(value, 1),
        "parts": {k: round(v, 1) for k, v in parts.items()},
        "weights": {k: weights.get(k, 0) for k in parts},
        "revenue_fen": revenue,
        "previous_revenue_fen": previous,
        "portfolio": total,
        "closed": closed,
        "rated_orders": rated_n,
        "tasks_due": due_n,
        "tasks_on_time": on_time,
    }
