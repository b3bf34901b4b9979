"""Points (KA-3): a ledger per subscriber; `Subscriber.points_balance` is always the sum of its lines.

- accrual from the month's bill at the rate of the subscriber's tier, and a tenure bonus in the
  anniversary month (whole years on the network × points per year): once per subscriber and month
  (a unique key), so the monthly job can be re-run;
- expiry: points expire at the end of the `keyaccounts.points_expiry_years`-th calendar year after the
  year they were earned (default 2: points of 2024 expire on 31 December 2026). Spending uses the oldest
  points first, so what expires is `max(0, points earned up to that year − everything spent so far)`;
- adjustments with a mandatory reason; redemption from the catalogue, in the staff member's scope or,
  for a customer of another region, through the cross-region service, which records both regions.

A balance never goes below zero: a redemption beyond it is refused (409); the database checks it too.
Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.scope import may_see_region
from kefu.core.services import record_change, require
from kefu.customers.models import ProfileStore, Subscriber
from kefu.keyaccounts.models import ONCE_A_MONTH, PointsEntry, PointsKind, Redemption, RedemptionItem
from kefu.keyaccounts.rules import Rules, yuan
from kefu.keyaccounts.services import audit, published_version
from kefu.warehouse import get_warehouse
from kefu.warehouse.store import month_key

CHUNK = 2000


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def _opening(subscriber: Subscriber, created_by=None) -> PointsEntry | None:
    """A balance that predates the ledger (migrated data) becomes its first line, so the sum holds."""
    if subscriber.points_balance == 0 or PointsEntry.objects.filter(subscriber=subscriber).exists():
        return None
    return PointsEntry.objects.create(
        subscriber=subscriber,
        kind=PointsKind.ADJUSTMENT,
        points=subscriber.points_balance,
        balance_after=subscriber.points_balance,
        reason="Opening balance carried over from before the ledger",
        reference="opening",
        month=this_month(),
        created_by=created_by,
    )


def _post(actor, subscriber_id: int, kind: str, points: int, reason: str, reference: str = "", month=None):
    """Lock the subscriber, add one ledger line and move the balance; refuse to go below zero (409)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
    _opening(subscriber, actor)
    balance = subscriber.points_balance + points
    if balance < 0:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The points balance is %(balance)d: %(points)d points cannot be taken.")
            % {"balance": subscriber.points_balance, "points": -points},
            field="points",
            balance=subscriber.points_balance,
        )
    entry = PointsEntry.objects.create(
        subscriber=subscriber,
        kind=kind,
        points=points,
        balance_after=balance,
        reason=reason[:200],
        reference=reference[:60],
        month=(month or this_month()).replace(day=1),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    Subscriber.objects.filter(pk=subscriber.pk).update(points_balance=balance)
    return subscriber, entry


@transaction.atomic
def adjust(actor, subscriber: Subscriber, points: int, reason: str) -> PointsEntry:
    """A manual correction, up or down, with its reason (mandatory)."""
    require(actor, "keyaccounts.adjust_points")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(ErrorCode.INVALID, _("An adjustment needs a reason."), field="reason")
    if not isinstance(points, int) or points == 0:
        raise DomainError(ErrorCode.INVALID, _("Give a whole number of points other than zero."), field="points")
    locked, entry = _post(actor, subscriber.pk, PointsKind.ADJUSTMENT, points, reason, reference="adjustment")
    record_change(
        actor,
        entry,
        "adjust",
        {"points": points, "reason": reason, "balance_after": entry.balance_after},
        region_id=locked.region_id,
    )
    return entry


def catalogue(active_only: bool = True):
    qs = RedemptionItem.objects.all()
    return qs.filter(active=True) if active_only else qs


@transaction.atomic
def save_item(actor, code: str, name: str, points: int, stock: int, active: bool = True) -> RedemptionItem:
    require(actor, "keyaccounts.change_redemptionitem")
    item = RedemptionItem.objects.select_for_update().filter(code=code).first()
    old = None
    if item is None:
        item = RedemptionItem(code=code)
    else:
        old = {"name": item.name, "points": item.points, "stock": item.stock, "active": item.active}
    item.name, item.points, item.stock, item.active = name, points, stock, active
    item.full_clean()
    item.save()
    record_change(
        actor,
        item,
        "create" if old is None else "update",
        {"old": old, "new": {"name": name, "points": points, "stock": stock, "active": active}},
        region_id=None,
    )
    return item


def _redeem(actor, subscriber: Subscriber, item_code: str, quantity: int, cross_region: bool) -> Redemption:
    if not isinstance(quantity, int) or quantity < 1 or quantity > 100:
        raise DomainError(ErrorCode.INVALID, _("The quantity is a whole number from 1 to 100."), field="quantity")
    item = RedemptionItem.objects.select_for_update().filter(code=item_code, active=True).first()
    if item is None:
        raise DomainError(ErrorCode.INVALID, _("No such item in the redemption catalogue."), field="item")
    if item.stock < quantity:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("Only %(stock)d of this item are in stock.") % {"stock": item.stock},
            field="quantity",
        )
    points = item.points * quantity
    locked, entry = _post(
        actor,
        subscriber.pk,
        PointsKind.REDEMPTION,
        -points,
        f"{item.name} × {quantity}",
        reference=f"item:{item.code}",
    )
    item.stock -= quantity
    item.save(update_fields=["stock"])
    redemption = Redemption.objects.create(
        subscriber=locked,
        item=item,
        quantity=quantity,
        points=points,
        entry=entry,
        staff=actor,
        staff_region_id=actor.region_id,
        customer_region_id=locked.region_id,
        cross_region=cross_region,
    )
    PointsEntry.objects.filter(pk=entry.pk).update(reference=f"redemption:{redemption.pk}")
    record_change(
        actor,
        redemption,
        "redeem",
        {
            "item": item.code,
            "quantity": quantity,
            "points": points,
            "balance_after": entry.balance_after,
            "staff_region": actor.region.code if actor.region_id else None,
            "customer_region": locked.region.code,
            "cross_region": cross_region,
        },
        region_id=locked.region_id,
    )
    return redemption


@transaction.atomic
def redeem(actor, subscriber: Subscriber, item_code: str, quantity: int = 1) -> Redemption:
    """Redeem for a customer of the staff member's own scope (`subscriber` comes from a scoped lookup)."""
    require(actor, "keyaccounts.redeem_points")
    if not may_see_region(actor, subscriber.region_id):
        raise DomainError(ErrorCode.NOT_FOUND, _("No customer with this number."))
    return _redeem(actor, subscriber, item_code, quantity, cross_region=False)


@transaction.atomic
def redeem_cross_region(actor, msisdn: str, id_number: str, item_code: str, quantity: int = 1) -> Redemption:
    """Redeem for a customer of another region (异地积分兑换): the customer proves who they are with the
    ID number of the subscription; both the staff member's and the customer's regions are recorded.
    A wrong number or ID answers the same "not verified", revealing nothing."""
    require(actor, "keyaccounts.redeem_cross_region")
    subscriber = (
        Subscriber.objects.select_related("region")
        .filter(msisdn=(msisdn or "").strip(), store=ProfileStore.ON_NET)
        .first()
    )
    if subscriber is None or subscriber.id_number.upper() != (id_number or "").strip().upper():
        audit(
            actor,
            "redeem_refused",
            "customers.subscriber",
            msisdn[:40] if msisdn else "-",
            {"cross_region": True},
            region_id=actor.region_id,
        )
        raise DomainError(
            ErrorCode.FORBIDDEN, _("Not verified: the number and ID number do not match a customer."), field="id_number"
        )
    return _redeem(actor, subscriber, item_code, quantity, cross_region=not may_see_region(actor, subscriber.region_id))


# --- monthly jobs -----------------------------------------------------------------------------------------


def _rate_milli(rules: Rules) -> dict[str, int]:
    rates = rules.points.rate_per_yuan.model_dump()
    return {tier: int(round(float(rate) * 1000)) for tier, rate in rates.items()}


def accrue_month(actor, month: dt.date) -> dict[str, int]:
    """Points for `month`: the bill's total (warehouse) × the rate of the subscriber's tier, plus the tenure
    bonus in the anniversary month. Once per subscriber and month: a re-run adds nothing."""
    require(actor, "keyaccounts.run_grading")
    month = month.replace(day=1)
    warehouse = get_warehouse()
    if month not in warehouse.months("bills"):
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The warehouse holds no bills for %(month)s: load that month first.") % {"month": month_key(month)},
            field="month",
        )
    rules = Rules.model_validate(published_version().rules)
    rates = _rate_milli(rules)
    per_year, max_years = rules.points.tenure_bonus_per_year, rules.points.tenure_bonus_max_years
    con = warehouse.duckdb()
    bills = warehouse.table(con, "bills", [month])
    table = bills.group_by("subscriber_id").aggregate(total=bills.total_fen.cast("int64").sum()).to_pyarrow()
    spend = dict(zip(table.column("subscriber_id").to_pylist(), table.column("total").to_pylist(), strict=True))
    totals = {"subscribers": 0, "accrual_points": 0, "tenure_bonus_points": 0, "entries": 0}
    ids = list(Subscriber.objects.filter(store=ProfileStore.ON_NET).order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            _accrue_chunk(actor, ids[start : start + CHUNK], month, spend, rates, per_year, max_years, totals)
    audit(actor, "accrue", "keyaccounts.points", month_key(month), totals)
    return totals


def _accrue_chunk(actor, ids, month, spend, rates, per_year, max_years, totals) -> None:
    subscribers = list(
        Subscriber.objects.select_for_update()
        .filter(id__in=ids)
        .only("id", "points_balance", "vip_tier", "join_date", "region_id")
        .order_by("id")
    )
    done = set(
        PointsEntry.objects.filter(subscriber_id__in=ids, month=month, kind__in=ONCE_A_MONTH[:2]).values_list(
            "subscriber_id", "kind"
        )
    )
    has_ledger = set(PointsEntry.objects.filter(subscriber_id__in=ids).values_list("subscriber_id", flat=True))
    entries, balances = [], []
    now_month = this_month()
    for s in subscribers:
        balance = s.points_balance
        lines = []
        if balance and s.id not in has_ledger:
            lines.append(
                (
                    PointsKind.ADJUSTMENT,
                    balance,
                    "Opening balance carried over from before the ledger",
                    "opening",
                    now_month,
                )
            )
            balance = 0
        fen = spend.get(s.id, 0)
        accrual = fen * rates.get(s.vip_tier, rates["ordinary"]) // 100_000
        if accrual > 0 and (s.id, PointsKind.ACCRUAL) not in done:
            lines.append(
                (
                    PointsKind.ACCRUAL,
                    accrual,
                    f"Bill {month_key(month)}: {yuan(fen)} yuan as {s.vip_tier}",
                    f"bill:{month_key(month)}",
                    month,
                )
            )
            totals["accrual_points"] += accrual
        years = (month.year * 12 + month.month - s.join_date.year * 12 - s.join_date.month) // 12
        if per_year and years >= 1 and s.join_date.month == month.month and (s.id, PointsKind.TENURE_BONUS) not in done:
            bonus = min(years, max_years) * per_year
            if bonus:
                lines.append(
                    (PointsKind.TENURE_BONUS, bonus, f"{years} years on the network", f"tenure:{month.year}", month)
                )
                totals["tenure_bonus_points"] += bonus
        if not lines:
            continue
        for kind, points, reason, reference, entry_month in lines:
            balance += points
            entries.append(
                PointsEntry(
                    subscriber_id=s.id,
                    kind=kind,
                    points=points,
                    balance_after=balance,
                    reason=reason,
                    reference=reference,
                    month=entry_month,
                    created_by=actor if actor is not None and actor.is_authenticated else None,
                )
            )
        balances.append((balance, s.id))
        totals["subscribers"] += 1
    PointsEntry.objects.bulk_create(entries, batch_size=CHUNK)
    totals["entries"] += len(entries)
    if balances:
        with connection.cursor() as cursor:
            cursor.executemany("UPDATE customers_subscriber SET points_balance = %s WHERE id = %s", balances)


def expiry_cutoff(year: int) -> dt.date:
    """At the end of `year`, points earned before this date expire."""
    return dt.date(year - parameters.get("keyaccounts.points_expiry_years") + 1, 1, 1)


def expire_year(actor, year: int) -> dict[str, int]:
    """At the end of `year`, expire what is left of the points earned up to `year − N` (oldest spent first).
    Once per subscriber and year: a re-run expires nothing more."""
    require(actor, "keyaccounts.run_grading")
    cutoff = expiry_cutoff(year)
    expiry_month = dt.date(year, 12, 1)
    candidates = (
        PointsEntry.objects.values("subscriber_id")
        .annotate(
            old_credits=Sum("points", filter=Q(points__gt=0, month__lt=cutoff), default=0),
            debits=Sum("points", filter=Q(points__lt=0), default=0),
        )
        .filter(old_credits__gt=0)
        .order_by("subscriber_id")
    )
    due = [(row["subscriber_id"], row["old_credits"] + row["debits"]) for row in candidates]
    due = [(sid, points) for sid, points in due if points > 0]
    totals = {"subscribers": 0, "points": 0}
    for start in range(0, len(due), CHUNK):
        chunk = dict(due[start : start + CHUNK])
        with transaction.atomic():
            done = set(
                PointsEntry.objects.filter(
                    subscriber_id__in=chunk, kind=PointsKind.EXPIRY, month=expiry_month
                ).values_list("subscriber_id", flat=True)
            )
            subscribers = Subscriber.objects.select_for_update().filter(id__in=chunk).only("id", "points_balance")
            entries, balances = [], []
            for s in subscribers:
                if s.id in done:
                    continue
                points = min(chunk[s.id], s.points_balance)
                if points <= 0:
                    continue
                balance = s.points_balance - points
                entries.append(
                    PointsEntry(
                        subscriber_id=s.id,
                        kind=PointsKind.EXPIRY,
                        points=-points,
                        balance_after=balance,
                        reason=f"Points earned before {cutoff.isoformat()} expire at the end of {year}",
                        reference=f"expiry:{year}",
                        month=expiry_month,
                        created_by=actor if actor is not None and actor.is_authenticated else None,
                    )
                )
                balances.append((balance, s.id))
                totals["subscribers"] += 1
                totals["points"] += points
            PointsEntry.objects.bulk_create(entries, batch_size=CHUNK)
            if balances:
                with connection.cursor() as cursor:
                    cursor.executemany("UPDATE customers_subscriber SET points_balance = %s WHERE id = %s", balances)
    audit(actor, "expire", "keyaccounts.points", str(year), totals)
    return totals


# --- statements -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    earned_year: int
    points: int
    expires_on: dt.date


def buckets(subscriber: Subscriber) -> list[Bucket]:
    """The balance split by the year the points were earned, after spending the oldest first, with the day
    each part expires."""
    years = parameters.get("keyaccounts.points_expiry_years")
    rows = (
        PointsEntry.objects.filter(subscriber=subscriber, points__gt=0)
        .values_list("month__year")
        .annotate(total=Sum("points"))
        .order_by("month__year")
    )
    debits = -(PointsEntry.objects.filter(subscriber=subscriber, points__lt=0).aggregate(s=Sum("points"))["s"] or 0)
    result = []
    if not rows and subscriber.points_balance > 0:
        # A balance that predates the ledger counts as earned this year.
        year = this_month().year
        return [Bucket(year, subscriber.points_balance, dt.date(year + years, 12, 31))]
    for year, total in rows:
        used = min(debits, total)
        debits -= used
        if total - used > 0:
            result.append(Bucket(year, total - used, dt.date(year + years, 12, 31)))
    return result


def ledger_sum(subscriber: Subscriber) -> int:
    return PointsEntry.objects.filter(subscriber=subscriber).aggregate(s=Sum("points"))["s"] or 0
