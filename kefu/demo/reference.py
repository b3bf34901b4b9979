"""Reference data every installation of the demo needs: the province tree, price plans and staff."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from kefu.core.models import DataScope, Region, RegionLevel, User
from kefu.core.roles import ROLES
from kefu.customers.models import PricePlan
from kefu.demo.province import CITIES, PRICE_PLANS, PROVINCE, county_code

DEMO_ROLES = ("agent", "leader", "inspector", "clerk", "manager", "backoffice", "analyst")
_ROLE_NAMES_ZH = {
    "agent": "座席",
    "leader": "班长",
    "inspector": "质检",
    "clerk": "营业员",
    "manager": "客户经理",
    "backoffice": "后台",
    "analyst": "分析",
}


@transaction.atomic
def seed_regions() -> dict[str, Region]:
    code, name, name_en = PROVINCE
    province, _ = Region.objects.update_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "level": RegionLevel.PROVINCE, "parent": None}
    )
    regions = {code: province}
    for city_code, city_name, city_en, _share, counties in CITIES:
        city, _ = Region.objects.update_or_create(
            code=city_code,
            defaults={"name": city_name, "name_en": city_en, "level": RegionLevel.CITY, "parent": province},
        )
        regions[city_code] = city
        for c_code, c_name, c_en in counties:
            code = county_code(city_code, c_code)
            regions[code], _ = Region.objects.update_or_create(
                code=code,
                defaults={"name": c_name, "name_en": c_en, "level": RegionLevel.COUNTY, "parent": city},
            )
    return regions


@transaction.atomic
def seed_price_plans() -> dict[str, PricePlan]:
    return {
        code: PricePlan.objects.update_or_create(
            code=code, defaults={"name": name, "brand": brand, "monthly_fee_fen": fee}
        )[0]
        for code, name, brand, fee in PRICE_PLANS
    }


@transaction.atomic
def seed_staff(password: str, regions: dict[str, Region]) -> list[tuple[str, str, str]]:
    """One login per role and city (`agent.xian`), plus `admin`. Returns (username, role, region) rows."""
    logins = []
    # One hash for all demo logins: they share the password, and hashing 70 times would take half a minute.
    hashed = make_password(password)
    admin, _ = User.objects.update_or_create(
        username="admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "first_name": "系统管理员",
            "region": regions[PROVINCE[0]],
            "data_scope": DataScope.ALL,
        },
    )
    User.objects.filter(pk=admin.pk).update(password=hashed)
    admin.groups.set([Group.objects.get(name="administrator")])
    logins.append(("admin", str(ROLES["administrator"].label), PROVINCE[1]))
    for city_code, city_name, _en, _share, counties in CITIES:
        for role_code in DEMO_ROLES:
            role = ROLES[role_code]
            # A clerk works in one business hall: the first county of the city.
            region = (
                regions[county_code(city_code, counties[0][0])]
                if role.data_scope == "county"
                else regions[city_code]
            )
            username = f"{role_code}.{city_code}"
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": f"{city_name.removesuffix('市')}{_ROLE_NAMES_ZH[role_code]}",
                    "region": region,
                    "data_scope": role.data_scope,
                    "is_staff": False,
                },
            )
            User.objects.filter(pk=user.pk).update(password=hashed)
            user.groups.set([Group.objects.get(name=role_code)])
            logins.append((username, str(role.label), region.name))
    return logins
