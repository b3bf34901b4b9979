"""Key-account demo data, after the demo generator (`kefu demo`): the warehouse loaded from the database, the
last billed month graded and its points accrued, a redemption catalogue, three partners and a week of
appointment slots in each city's business hall. Idempotent: running it again adds nothing new."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kefu.core.models import Region, RegionLevel
from kefu.keyaccounts import points, privileges, services
from kefu.keyaccounts.models import AppointmentKind, AppointmentSlot, GradingRun, Partner, PointsEntry, RedemptionItem
from kefu.warehouse import get_warehouse

CATALOGUE = [
    ("call-credit-10", "10 元话费", 1000, 100000),
    ("data-1gb", "1GB 流量包", 1500, 100000),
    ("umbrella", "雨伞", 3000, 2000),
    ("power-bank", "充电宝", 8000, 1000),
    ("lounge-pass", "机场贵宾厅单次券", 12000, 500),
]
PARTNERS = [
    ("xianyang-airport", "西安咸阳国际机场贵宾厅（易登机）", "airport_lounge", 8000),
    ("xian-north-station", "西安北站贵宾室（易登车）", "railway_lounge", 5000),
    ("diamond-pickup", "钻石卡专车接送", "pickup", 20000),
]


def seed(today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    report: dict = {}
    loaded = services.load_warehouse(None)
    report["warehouse_months"] = len(loaded["bills"])
    months = get_warehouse().months("bills")
    if months:
        month = months[-1]
        last = GradingRun.objects.filter(finished_at__isnull=False).order_by("-month").first()
        if last is None or last.month < month:
            run = services.grade_month(None, month)
            report["graded"] = f"{month:%Y-%m}: {run.tier_changes} tier changes"
        if not PointsEntry.objects.filter(kind="accrual", month=month).exists():
            report["accrued"] = points.accrue_month(None, month)
    with transaction.atomic():
        for code, name, cost, stock in CATALOGUE:
            if not RedemptionItem.objects.filter(code=code).exists():
                points.save_item(None, code, name, cost, stock)
        report["tokens"] = {}
        for code, name, service, price in PARTNERS:
            if not Partner.objects.filter(code=code).exists():
                _partner, token = privileges.create_partner(None, code, name, service, price)
                report["tokens"][code] = token
        report["slots"] = _slots(today)
    return report


def _slots(today: dt.date) -> int:
    """Two VIP-hall slots a day (10:00 and 15:00, 4 places) in each city for the coming week."""
    if AppointmentSlot.objects.filter(starts_at__date__gt=today).exists():
        return 0
    slots = []
    for city in Region.objects.filter(level=RegionLevel.CITY):
        for day in range(1, 8):
            date = today + dt.timedelta(days=day)
            for hour in (10, 15):
                start = timezone.make_aware(dt.datetime.combine(date, dt.time(hour)))
                slots.append(
                    AppointmentSlot(
                        kind=AppointmentKind.HALL_VIP,
                        region=city,
                        starts_at=start,
                        ends_at=start + dt.timedelta(hours=1),
                        capacity=4,
                    )
                )
    AppointmentSlot.objects.bulk_create(slots)
    return len(slots)
