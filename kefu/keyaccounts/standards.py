"""Service standards (KA-7): each VIP tier's KPIs measured over a quarter in the caller's scope, against the
targets of `keyaccounts.service_standards`:

Targets: `callback_in_time_pct` (default 95) and `contacted_pct` (default 100) of the same parameter, and
`satisfaction_pct`.

- callback within the time limit: work orders of the tier whose customer callback (a `callback` event)
  came within `callback_hours` of the order reaching the callback step (the transition into it; the order's
  creation when there is none) — share of callbacks in the quarter;
- manager contact: key accounts of the tier with a customer manager who have at least
  `contacts_per_quarter` work-log entries (visits, calls, care) in the quarter — share;
- satisfaction: callbacks in the quarter answered satisfied or very satisfied — share.

A KPI with nothing to measure shows `null` (not met, not failed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.customers.models import ProfileStore, Subscriber
from kefu.keyaccounts.rules import TIERS, tier_label

HAPPY = ("satisfied", "very_satisfied")


def parse_quarter(value: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    """'2026-Q4' → (2026-10-01, 2027-01-01, '2026-Q4'); empty: the current quarter."""
    if not value:
        today = today or timezone.localdate()
        value = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    match = re.fullmatch(r"(\d{4})-Q([1-4])", value.strip())
    if not match:
        raise DomainError(ErrorCode.INVALID, _("A quarter is written YYYY-Qn, e.g. 2026-Q4."), field="quarter")
    year, q = int(match[1]), int(match[2])
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, end, value.strip()


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def measure(user, quarter: str | None = None) -> dict:
    from kefu.workorders.models import EventKind, WorkOrder, WorkOrderEvent

    start, end, label = parse_quarter(quarter)
    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    end_at = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
    targets = parameters.get("keyaccounts.service_standards")
    orders = WorkOrder.objects.restrict(user).filter(vip_tier__in=TIERS)
    callbacks = list(
        WorkOrderEvent.objects.filter(
            order__in=orders, kind=EventKind.CALLBACK, at__gte=start_at, at__lt=end_at
        ).values_list("order_id", "order__vip_tier", "order__created_at", "at", "data")
    )
    order_ids = {row[0] for row in callbacks}
    entered: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for order_id, at, data in WorkOrderEvent.objects.filter(
        order_id__in=order_ids, kind__in=(EventKind.TRANSITION, EventKind.TRANSFER, EventKind.REOPEN)
    ).values_list("order_id", "at", "data"):
        entered[order_id].append((at, (data or {}).get("to", "")))
    per_tier = {t: {"callbacks": 0, "in_time": 0, "rated": 0, "happy": 0} for t in TIERS}
    for order_id, tier, created_at, at, data in callbacks:
        data = data or {}
        step = data.get("from", "")
        since = max((t for t, to in entered[order_id] if to == step and t <= at), default=created_at)
        hours = targets.get(tier, {}).get("callback_hours")
        row = per_tier[tier]
        row["callbacks"] += 1
        if hours is not None and at - since <= dt.timedelta(hours=hours):
            row["in_time"] += 1
        satisfaction = data.get("satisfaction") or (data.get("fields") or {}).get("satisfaction")
        if satisfaction:
            row["rated"] += 1
            row["happy"] += satisfaction in HAPPY
    managed = (
        Subscriber.objects.restrict(user)
        .filter(store=ProfileStore.ON_NET, vip_tier__in=TIERS, customer_manager__isnull=False)
        .annotate(
            manager_contacts=Count(
                "manager_log", filter=Q(manager_log__at__gte=start_at, manager_log__at__lt=end_at), distinct=True
            )
        )
        .values_list("vip_tier", "manager_contacts")
    )
    contacted = {t: [0, 0] for t in TIERS}
    for tier, contacts in managed:
        need = targets.get(tier, {}).get("contacts_per_quarter", 0)
        contacted[tier][1] += 1
        contacted[tier][0] += contacts >= need
    rows = []
    for tier in TIERS:
        target = targets.get(tier, {})
        row = per_tier[tier]
        kpis = {
            "callback_in_time": {
                "value": _pct(row["in_time"], row["callbacks"]),
                "measured": row["callbacks"],
                "target_hours": target.get("callback_hours"),
                "target": float(target.get("callback_in_time_pct", 95)),
            },
            "manager_contact": {
                "value": _pct(*contacted[tier]),
                "measured": contacted[tier][1],
                "target_contacts": target.get("contacts_per_quarter"),
                "target": float(target.get("contacted_pct", 100)),
            },
            "satisfaction": {
                "value": _pct(row["happy"], row["rated"]),
                "measured": row["rated"],
                "target": float(target.get("satisfaction_pct", 0)),
            },
        }
        for kpi in kpis.values():
            kpi["met"] = None if kpi["value"] is None else kpi["value"] >= kpi["target"]
        rows.append({"tier": tier, "tier_label": tier_label(tier), "kpis": kpis})
    return {"quarter": label, "from": start.isoformat(), "to": end.isoformat(), "tiers": rows}
