"""Group products (GRP-5): the catalogue, subscriptions per group, promotion plans (a product's target of new
subscriptions for a region and month), product trainings for customer managers, and the monthly promotion
report (per product and city: new subscriptions in the month against the target, achievement %, active
subscriptions at the month's end, trainings held), as a table and as an xlsx workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.models import Region, RegionLevel, User
from kefu.core.scope import may_see_region, scope_region_ids
from kefu.core.services import record_change, require
from kefu.groups.models import GroupCustomer, GroupProduct, GroupSubscription, PromotionPlan, TrainingSession
from kefu.groups.standards import cities_by_region

SUBSCRIBE = "groups.add_groupsubscription"
VIEW_PLANS = "groups.view_promotionplan"
ADD_PLAN = "groups.add_promotionplan"
VIEW_TRAININGS = "groups.view_trainingsession"
ADD_TRAINING = "groups.add_trainingsession"
MAX_QUANTITY = 1_000_000


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, field=field)


def parse_month(value: str | None) -> dt.date:
    """'2026-11' → 2026-11-01; empty: the current month."""
    value = (value or "").strip()
    if not value:
        return timezone.localdate().replace(day=1)
    match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", value)
    if not match or not 2000 <= int(match[1]) <= 2100:
        raise _invalid(_("A month is written YYYY-MM, e.g. 2026-11."), "month")
    month = dt.date(int(match[1]), int(match[2]), 1)
    return month


def next_month(month: dt.date) -> dt.date:
    """The first day of the next month."""
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def catalogue(active_only: bool = True):
    qs = GroupProduct.objects.all()
    return qs.filter(active=True) if active_only else qs


def get_product(code: str, field: str = "product") -> GroupProduct:
    product = GroupProduct.objects.filter(code=code).first()
    if product is None:
        raise _invalid(_("Unknown product."), field)
    return product


# --- subscriptions ---------------------------------------------------------------------------------------


@transaction.atomic
def subscribe(
    user,
    group: GroupCustomer,
    product: GroupProduct,
    started_on: dt.date,
    quantity: int = 1,
    ended_on: dt.date | None = None,
) -> GroupSubscription:
    """A group takes a product (one open subscription per product and group)."""
    require(user, SUBSCRIBE)
    if not product.active:
        raise _invalid(_("This product is no longer offered."), "product")
    if started_on is None:
        raise _invalid(_("Give the start date."), "started_on")
    if started_on > timezone.localdate() + dt.timedelta(days=366):
        raise _invalid(_("The start date is too far ahead."), "started_on")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise _invalid(_("The quantity is a whole number of at least 1."), "quantity")
    if ended_on is not None and ended_on < started_on:
        raise _invalid(_("A subscription cannot end before it starts."), "ended_on")
    if (
        ended_on is None
        and GroupSubscription.objects.filter(group=group, product=product, ended_on__isnull=True).exists()
    ):
        raise DomainError(
            ErrorCode.CONFLICT, _("The group already has an open subscription to this product."), field="product"
        )
    try:
        with transaction.atomic():
            sub = GroupSubscription.objects.create(
                group=group, product=product, quantity=quantity, started_on=started_on, ended_on=ended_on, sold_by=user
            )
    except IntegrityError:
        raise DomainError(
            ErrorCode.CONFLICT, _("The group already has an open subscription to this product."), field="product"
        ) from None
    record_change(
        user,
        sub,
        "groups.subscription.create",
        {"product": product.code, "quantity": quantity, "started_on": started_on.isoformat()},
        group.region_id,
    )
    return sub


@transaction.atomic
def end_subscription(user, subscription: GroupSubscription, ended_on: dt.date) -> GroupSubscription:
    require(user, SUBSCRIBE)
    sub = GroupSubscription.objects.select_for_update().get(pk=subscription.pk)
    if sub.ended_on is not None:
        raise DomainError(ErrorCode.CONFLICT, _("This subscription has already ended."), field="ended_on")
    if ended_on is None or ended_on < sub.started_on:
        raise _invalid(_("A subscription cannot end before it starts."), "ended_on")
    sub.ended_on = ended_on
    sub.save(update_fields=["ended_on"])
    record_change(user, sub, "groups.subscription.end", {"ended_on": ended_on.isoformat()}, sub.group.region_id)
    return sub


def subscriptions(group: GroupCustomer, open_only: bool = False):
    qs = GroupSubscription.objects.filter(group=group).select_related("product", "sold_by")
    return qs.filter(ended_on__isnull=True) if open_only else qs


# --- promotion plans and trainings --------------------------------------------------------------------------


def region_in_scope(user, code: str) -> Region:
    """A region the user may see, by code (an unknown or out-of-scope region is refused alike)."""
    region = Region.objects.filter(code=code).first() if code else None
    if region is None or not may_see_region(user, region.pk):
        raise _invalid(_("Choose a region within your scope."), "region")
    return region


@transaction.atomic
def set_promotion_target(
    user, product: GroupProduct, region: Region, month: dt.date, target: int, note: str = ""
) -> PromotionPlan:
    """Set a product's target of new subscriptions for a region and month (creating or replacing it)."""
    require(user, ADD_PLAN)
    if not may_see_region(user, region.pk):
        raise _invalid(_("Choose a region within your scope."), "region")
    if not isinstance(target, int) or isinstance(target, bool) or not 0 <= target <= MAX_QUANTITY:
        raise _invalid(_("The target is a whole number, 0 or more."), "target_subscriptions")
    if len(note or "") > 300:
        raise _invalid(_("The note is at most 300 characters."), "note")
    month = month.replace(day=1)
    plan, created = PromotionPlan.objects.select_for_update().get_or_create(
        product=product,
        region=region,
        month=month,
        defaults={"target_subscriptions": target, "note": note or "", "created_by": user},
    )
    before = None
    if not created:
        before = plan.target_subscriptions
        plan.target_subscriptions, plan.note = target, note or ""
        plan.save(update_fields=["target_subscriptions", "note"])
    record_change(
        user,
        plan,
        "groups.promotion_plan.set",
        {"target": target, "before": before, "month": f"{month:%Y-%m}"},
        region.pk,
    )
    return plan


def promotion_plans(user, month: dt.date | None = None):
    require(user, VIEW_PLANS)
    qs = PromotionPlan.objects.restrict(user).select_related("product", "region", "created_by")
    return qs.filter(month=month) if month else qs


def staff_in_scope(user):
    """Active staff whose region the user may see (trainees, event staff)."""
    ids = scope_region_ids(user)
    qs = User.objects.filter(is_active=True)
    return qs if ids is None else qs.filter(region_id__in=ids)


def resolve_staff(user, usernames, field: str) -> list[User]:
    names = [n for n in dict.fromkeys(usernames or []) if n]
    found = list(staff_in_scope(user).filter(username__in=names))
    if len(found) != len(names):
        missing = sorted(set(names) - {u.username for u in found})
        raise _invalid(_("Not staff within your scope: %(names)s.") % {"names": ", ".join(missing)}, field)
    return found


@transaction.atomic
def record_training(
    user,
    title: str,
    region: Region,
    held_on: dt.date,
    trainer: str,
    product: GroupProduct | None = None,
    attendees: list[User] | None = None,
    note: str = "",
) -> TrainingSession:
    require(user, ADD_TRAINING)
    title, trainer = (title or "").strip(), (trainer or "").strip()
    if not title or len(title) > 120:
        raise _invalid(_("Give a title of at most 120 characters."), "title")
    if not trainer or len(trainer) > 60:
        raise _invalid(_("Give the trainer's name (at most 60 characters)."), "trainer")
    if held_on is None:
        raise _invalid(_("Give the date of the training."), "held_on")
    if not may_see_region(user, region.pk):
        raise _invalid(_("Choose a region within your scope."), "region")
    if len(note or "") > 300:
        raise _invalid(_("The note is at most 300 characters."), "note")
    attendees = attendees or []
    allowed = set(staff_in_scope(user).filter(pk__in=[a.pk for a in attendees]).values_list("pk", flat=True))
    if any(a.pk not in allowed for a in attendees):
        raise _invalid(_("Attendees are staff within your scope."), "attendees")
    session = TrainingSession.objects.create(
        product=product, region=region, title=title, held_on=held_on, trainer=trainer, note=note or ""
    )
    session.attendees.set(attendees)
    record_change(
        user,
        session,
        "groups.training.record",
        {"product": product.code if product else None, "attendees": [a.username for a in attendees]},
        region.pk,
    )
    return session


def trainings(user):
    require(user, VIEW_TRAININGS)
    return TrainingSession.objects.restrict(user).select_related("product", "region").prefetch_related("attendees")


def get_training(user, training_id: int) -> TrainingSession:
    session = trainings(user).filter(pk=training_id).first()
    if session is None:
        raise NotFound(_("No such training session."))
    return session


# --- the monthly promotion report ----------------------------------------------------------------------------


def promotion_report(user, month: dt.date) -> dict:
    """Per product and city of the caller's scope: new subscriptions in the month vs the month's target
    (the plans of the city and its counties), achievement %, subscriptions active at the month's end, trainings
    held in the month."""
    require(user, VIEW_PLANS)
    end = next_month(month)
    cities = cities_by_region()
    ids = scope_region_ids(user)
    in_scope = Region.objects.all() if ids is None else Region.objects.filter(pk__in=ids)
    city_rows = {
        cities[r.pk] for r in in_scope.only("id", "level") if r.level != RegionLevel.PROVINCE and r.pk in cities
    }
    figures: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"target": 0, "new": 0, "active": 0, "trainings": 0, "has_target": 0}
    )
    subs = GroupSubscription.objects.restrict(user)
    for region_id, code, new, active in (
        subs.values("group__region_id", "product__code")
        .annotate(
            new=Count("id", filter=Q(started_on__gte=month, started_on__lt=end)),
            active=Count("id", filter=Q(started_on__lt=end) & (Q(ended_on__isnull=True) | Q(ended_on__gte=end))),
        )
        .values_list("group__region_id", "product__code", "new", "active")
    ):
        row = figures[(cities[region_id][0], code)]
        row["new"] += new
        row["active"] += active
    for region_id, code, target in (
        PromotionPlan.objects.restrict(user)
        .filter(month=month)
        .values("region_id", "product__code")
        .annotate(t=Sum("target_subscriptions"))
        .values_list("region_id", "product__code", "t")
    ):
        row = figures[(cities[region_id][0], code)]
        row["target"] += target
        row["has_target"] = 1
    for region_id, code, n in (
        TrainingSession.objects.restrict(user)
        .filter(held_on__gte=month, held_on__lt=end, product__isnull=False)
        .values("region_id", "product__code")
        .annotate(n=Count("id"))
        .values_list("region_id", "product__code", "n")
    ):
        figures[(cities[region_id][0], code)]["trainings"] += n
    names = dict(city_rows)
    for city_code, _product in figures:
        names.setdefault(city_code, dict(cities.values()).get(city_code, city_code))
    products = list(catalogue(active_only=False).filter(Q(active=True) | Q(code__in={p for _c, p in figures})))
    rows = []
    for city_code in sorted(names):
        for product in products:
            f = figures.get((city_code, product.code), {"target": 0, "new": 0, "active": 0, "trainings": 0})
            target = f["target"] if f.get("has_target") else None
            rows.append(
                {
                    "city": city_code,
                    "city_name": names[city_code],
                    "product": product.code,
                    "product_name": product.name,
                    "target": target,
                    "new": f["new"],
                    "achievement_pct": round(100.0 * f["new"] / target, 1) if target else None,
                    "active": f["active"],
                    "trainings": f["trainings"],
                }
            )
    return {"month": f"{month:%Y-%m}", "rows": rows}


REPORT_COLUMNS = (
    "city",
    "city_name",
    "product",
    "product_name",
    "target",
    "new",
    "achievement_pct",
    "active",
    "trainings",
)


def report_headers() -> list[str]:
    return [
        _("City code"),
        _("City"),
        _("Product code"),
        _("Product"),
        _("Target (new subscriptions)"),
        _("New subscriptions"),
        _("Achievement %"),
        _("Active subscriptions"),
        _("Trainings held"),
    ]


def promotion_report_xlsx(report: dict) -> bytes:
    """The report as an xlsx workbook: one sheet, a header row, numbers stored as numbers."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Promotion %(month)s") % {"month": report["month"]}
    sheet.append(report_headers())
    for row in report["rows"]:
        sheet.append([row[c] for c in REPORT_COLUMNS])
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (14, 12, 16, 16, 14, 14, 12, 14, 12), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
