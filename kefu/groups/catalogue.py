"""Reference data of group care, created after every migrate when missing and never overwritten (an
administrator's edits stand): the default service plan per grade (GRP-2) and the group product catalogue
(GRP-5).

Default service plan (service content of the seed, chapter 2, 3.1): the same period for a kind in every grade so
the counts compare directly, and A groups get more than B, B more than C.

| kind                       | period  | A | B | C |
|----------------------------|---------|---|---|---|
| phone visit                | month   | 4 | 2 | 1 |
| on-site visit              | quarter | 3 | 2 | 1 |
| symposium / get-together   | year    | 4 | 2 | 1 |
| holiday care letter        | year    | 4 | 3 | 2 |
| holiday greeting SMS       | year    | 6 | 5 | 4 |
| new-business promotion     | quarter | 3 | 2 | 1 |
"""

from __future__ import annotations

from kefu.groups.models import GroupProduct, PlanPeriod, ProductKind, ServiceKind, ServicePlanItem

DEFAULT_PLAN: dict[str, tuple[str, dict[str, int]]] = {
    ServiceKind.PHONE_VISIT: (PlanPeriod.MONTH, {"A": 4, "B": 2, "C": 1}),
    ServiceKind.ONSITE_VISIT: (PlanPeriod.QUARTER, {"A": 3, "B": 2, "C": 1}),
    ServiceKind.SYMPOSIUM: (PlanPeriod.YEAR, {"A": 4, "B": 2, "C": 1}),
    ServiceKind.HOLIDAY_LETTER: (PlanPeriod.YEAR, {"A": 4, "B": 3, "C": 2}),
    ServiceKind.HOLIDAY_SMS: (PlanPeriod.YEAR, {"A": 6, "B": 5, "C": 4}),
    ServiceKind.PROMOTION: (PlanPeriod.QUARTER, {"A": 3, "B": 2, "C": 1}),
}

# The group businesses of the seed (chapter 4, 3.1); names are the operator's product names.
DEFAULT_PRODUCTS: list[tuple[str, str, str, str]] = [
    ("group-sms", "集团短信", ProductKind.GROUP_SMS, "Group SMS from the group's own platform or web portal"),
    ("mobile-office", "移动办公", ProductKind.MOBILE_OFFICE, "Mail, approvals and office systems on the phone"),
    ("location", "GPS移动定位", ProductKind.LOCATION, "Locating the group's staff and vehicles"),
    ("wlan", "WLAN", ProductKind.WLAN, "Wireless LAN access at the group's premises"),
    ("ip-vas", "IP增值业务", ProductKind.IP_VAS, "IP value-added services over the GPRS/IP network"),
    ("cell-broadcast", "小区广播", ProductKind.CELL_BROADCAST, "Broadcast messages to phones in chosen cells"),
]


def seed_service_plan() -> int:
    """Create the missing default plan items; return how many were created."""
    have = set(ServicePlanItem.objects.values_list("grade", "kind"))
    missing = [
        ServicePlanItem(grade=grade, kind=kind, period=period, times=times)
        for kind, (period, per_grade) in DEFAULT_PLAN.items()
        for grade, times in per_grade.items()
        if (grade, kind) not in have
    ]
    ServicePlanItem.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def seed_products() -> int:
    have = set(GroupProduct.objects.values_list("code", flat=True))
    missing = [
        GroupProduct(code=code, name=name, kind=kind, description=description)
        for code, name, kind, description in DEFAULT_PRODUCTS
        if code not in have
    ]
    GroupProduct.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def seed_care_catalogue(sender=None, **kwargs) -> None:
    """post_migrate receiver: runs once the groups tables exist."""
    if sender is not None and getattr(sender, "label", None) != "groups":
        return
    seed_service_plan()
    seed_products()
