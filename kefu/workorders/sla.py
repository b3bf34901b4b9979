"""Time limits (WO-3): which calendar and how many hours apply to an order, read from parameters.

`workorders.sla_hours` maps a category code or kind to hours per VIP tier; the nearest entry wins
(sub-category, then its parents, then the kind, then "default"). `workorders.calendars` does the same
for the calendar ("24x7" or "business_hours"); business hours, holidays and make-up working days are
parameters too.
"""

from __future__ import annotations

from django.conf import settings

from kefu.core import parameters
from kefu.workorders.calendars import BUSINESS_HOURS, Calendar, RoundTheClock, business_hours


def _nearest(table: dict, category):
    for node in category.lineage():
        if node.code in table:
            return table[node.code]
    return table.get(category.kind, table.get("default"))


def calendar_for(category) -> Calendar:
    name = _nearest(parameters.get("workorders.calendars"), category)
    if name == BUSINESS_HOURS:
        return business_hours(
            parameters.get("workorders.business_hours"),
            holidays=parameters.get("workorders.holidays"),
            workdays=parameters.get("workorders.workdays"),
            zone=settings.TIME_ZONE,
        )
    return RoundTheClock()


def order_hours(category, vip_tier: str) -> float | None:
    """The order's time limit in (calendar) hours, or None when the category has none."""
    by_tier = _nearest(parameters.get("workorders.sla_hours"), category)
    if not by_tier:
        return None
    hours = by_tier.get(vip_tier, by_tier.get("default"))
    return float(hours) if hours else None


def first_response_hours(vip_tier: str) -> float | None:
    hours = parameters.get("workorders.first_response_hours").get(vip_tier)
    return float(hours) if hours else None


def warning_ratio() -> float:
    return float(parameters.get("workorders.warning_ratio"))
