"""Group-customer demo data, after the customers and key accounts of `kefu demo`: about 200 groups across the
cities (one per 100 subscribers, at most 200), members drawn from each city's subscribers (a few below the
10-member minimum, a few who left), contact persons, VPMNs for some of the larger groups with short numbers and an
agreement in force (a few ending within the renewal window), and the last month recomputed so that the key
groups are flagged. Replaces the group data generated before. Bulk writes only: a few seconds at 20,000
subscribers."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from kefu.core import parameters
from kefu.core.errors import DomainError
from kefu.core.models import Region, RegionLevel, User
from kefu.customers.models import Subscriber, SubscriberStatus
from kefu.groups import monthly
from kefu.groups.models import (
    GroupContact,
    GroupCustomer,
    GroupMember,
    GroupMonth,
    GroupNature,
    Industry,
    VpmnAgreement,
    VpmnApplication,
    VpmnDiscountPlan,
    VpmnMember,
    VpmnNetwork,
    VpmnRenewal,
)

IMPORTANT = {Industry.GOVERNMENT, Industry.MILITARY, Industry.JUSTICE, Industry.MEDIA, Industry.UTILITIES}
# (name pattern, industry): `{city}` is the city's name without 市
NAMES = [
    ("{city}市教育局", Industry.GOVERNMENT),
    ("{city}市人民政府办公室", Industry.GOVERNMENT),
    ("{city}市税务局", Industry.GOVERNMENT),
    ("{city}市公安局", Industry.JUSTICE),
    ("{city}市中级人民法院", Industry.JUSTICE),
    ("武警{city}支队", Industry.MILITARY),
    ("{city}日报社", Industry.MEDIA),
    ("{city}广播电视台", Industry.MEDIA),
    ("国网{city}供电公司", Industry.UTILITIES),
    ("{city}市自来水公司", Industry.UTILITIES),
    ("{city}燃气集团", Industry.UTILITIES),
    ("长安银行{city}分行", Industry.FINANCE),
    ("{city}农村商业银行", Industry.FINANCE),
    ("中国人寿{city}分公司", Industry.FINANCE),
    ("{city}重型机械有限公司", Industry.MANUFACTURING),
    ("{city}电子科技有限公司", Industry.MANUFACTURING),
    ("{city}食品股份有限公司", Industry.MANUFACTURING),
    ("{city}第一中学", Industry.EDUCATION),
    ("{city}职业技术学院", Industry.EDUCATION),
    ("{city}市中心医院", Industry.HEALTH),
    ("{city}市中医医院", Industry.HEALTH),
    ("{city}公交集团", Industry.TRANSPORT),
    ("{city}物流园区管理有限公司", Industry.TRANSPORT),
    ("{city}百货大楼", Industry.TRADE),
    ("{city}华润万家超市", Industry.TRADE),
    ("{city}建工集团", Industry.OTHER),
    ("{city}文化旅游投资集团", Industry.OTHER),
]
DISTRICTS = ["新城区", "高新区", "经济开发区", "城关镇"]
DEPARTMENTS = ["办公室", "财务部", "人力资源部", "市场部", "技术部", "后勤保障部", "生产部", ""]
CONTACT_NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴刚", "徐丽", "孙强"]
CONTACT_TITLES = ["办公室主任", "综合科科长", "信息中心主任", "财务经理", "行政主管"]
DEMO_PLAN = ("demo-vpmn-standard", "VPMN标准优惠（演示）", 50)


def _clear() -> None:
    """Remove the group data of an earlier run (the customers it pointed at are gone already)."""
    VpmnRenewal.objects.all().delete()
    VpmnMember.objects.all().delete()
    VpmnAgreement.objects.filter(renewal_of__isnull=False).delete()
    VpmnAgreement.objects.all().delete()
    VpmnApplication.objects.all().delete()
    VpmnNetwork.objects.all().delete()
    GroupCustomer.objects.update(merged_into=None)
    for model in _dependents():
        model.objects.all().delete()
    GroupMonth.objects.all().delete()
    GroupMember.objects.all().delete()
    GroupContact.objects.all().delete()
    GroupCustomer.objects.all().delete()


def _dependents():
    """The models of the care pages pointing at groups (deleted before the groups; PROTECT on some)."""
    from kefu.groups import models

    names = ("EventSurvey", "ServiceEvent", "GroupSubscription", "ServiceContact", "GroupSurvey")
    return [getattr(models, name) for name in names if hasattr(models, name)]


def _msisdn(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


@transaction.atomic
def seed(as_of: dt.date | None = None, seed: int = 1) -> dict:
    today = as_of or timezone.localdate()
    rng = random.Random(seed)
    _clear()
    cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("code"))
    subscribers = Subscriber.objects.filter(store="on_net").exclude(status=SubscriberStatus.CLOSED)
    by_city: dict[int, list[tuple[int, dt.date, str]]] = {c.pk: [] for c in cities}
    city_of = {r.pk: (r.parent_id if r.level == RegionLevel.COUNTY else r.pk) for r in Region.objects.all()}
    for pk, region_id, joined, brand in subscribers.values_list("pk", "region_id", "join_date", "brand").iterator(
        chunk_size=20000
    ):
        city = city_of.get(region_id)
        if city in by_city:
            by_city[city].append((pk, joined, brand))
    total = sum(len(v) for v in by_city.values())
    wanted = min(200, total // 100)
    managers = {u.region_id: u for u in User.objects.filter(groups__name="manager", is_active=True)}
    plan = VpmnDiscountPlan.objects.filter(active=True).order_by("code").first()
    if plan is None:
        plan, _ = VpmnDiscountPlan.objects.get_or_create(
            code=DEMO_PLAN[0], defaults={"name": DEMO_PLAN[1], "onnet_discount_percent": DEMO_PLAN[2]}
        )
    groups, members, contacts = [], [], []
    number = 0
    for city in cities:
        pool = by_city[city.pk]
        if not pool or not wanted:
            continue
        rng.shuffle(pool)
        count = max(1, round(wanted * len(pool) / total))
        city_name = city.name.removesuffix("市")
        names = rng.sample(NAMES, min(count, len(NAMES)))
        taken = 0
        for i in range(count):
            pattern, industry = names[i % len(names)]
            number += 1
            suffix = "" if i < len(names) else f"（{i // len(names) + 1}）"
            size = rng.choice([4, 6, 8]) if rng.random() < 0.12 else int(min(120, 10 + rng.expovariate(1 / 25)))
            size = min(size, len(pool) - taken, max(0, len(pool) // 3 - taken))
            grade = rng.choices("ABC", weights=(15, 35, 50))[0]
            group = GroupCustomer(
                code=f"JT{number:06d}",
                name=pattern.format(city=city_name) + suffix,
                nature=GroupNature.IMPORTANT if industry in IMPORTANT else GroupNature.ENTERPRISE,
                industry=industry,
                grade=grade,
                region=city,
                customer_manager=managers.get(city.pk),
                address=f"{city.name}{rng.choice(DISTRICTS)}{rng.randrange(1, 300)}号",
                employees=size * rng.randrange(2, 6),
                member_count=0,
            )
            groups.append(group)
            chosen = pool[taken : taken + size]
            taken += size
            group._demo_members = chosen  # kept until the groups have ids
            for k in range(rng.randrange(1, 4)):
                contacts.append(
                    GroupContact(
                        group=group,
                        name=rng.choice(CONTACT_NAMES),
                        role=["leader", "contact", "finance", "it"][k % 4],
                        title=rng.choice(CONTACT_TITLES),
                        msisdn=_msisdn(rng),
                        is_primary=k == 0,
                    )
                )
    GroupCustomer.objects.bulk_create(groups)
    for group in groups:
        group.member_count = 0
        for pk, joined, _brand in group._demo_members:
            start = max(joined, dt.date(2019, 1, 1))
            span = max(1, (today - dt.timedelta(days=40) - start).days)
            joined_on = start + dt.timedelta(days=rng.randrange(span))
            left_on = None
            if rng.random() < 0.05:
                left_on = min(today, joined_on + dt.timedelta(days=rng.randrange(1, 400)))
            else:
                group.member_count += 1
            members.append(
                GroupMember(
                    group=group,
                    subscriber_id=pk,
                    department=rng.choice(DEPARTMENTS),
                    fee_payer=rng.choices(["group", "shared", "member"], weights=(30, 20, 50))[0],
                    joined_on=joined_on,
                    left_on=left_on,
                    left_reason="调离" if left_on else "",
                )
            )
    for c in contacts:
        c.group_id = c.group.pk
    GroupContact.objects.bulk_create(contacts)
    GroupMember.objects.bulk_create(members, batch_size=2000)
    for group in groups:
        GroupCustomer.objects.filter(pk=group.pk).update(member_count=group.member_count)
    networks = _vpmns(groups, members, plan, managers, today, rng)
    report = {"groups": len(groups), "members": len(members), "contacts": len(contacts), **networks}
    try:
        report["key_groups"] = monthly.recompute(monthly.previous_month(today)).key_groups
    except DomainError:  # a date ahead of the clock: the worker computes the month when it comes
        report["key_groups"] = 0
    return report


def _vpmns(groups, members, plan, managers, today: dt.date, rng: random.Random) -> dict:
    """A VPMN for one in six groups with at least the GoTone minimum; one in four agreements ends soon."""
    minimum = parameters.get("groups.vpmn_min_gotone_members")
    ahead = parameters.get("groups.renewal_days_ahead")
    open_by_group: dict[int, list[GroupMember]] = {}
    for m in members:
        if m.left_on is None:
            open_by_group.setdefault(m.group.pk, []).append(m)
    brands = dict(Subscriber.objects.filter(pk__in=[m.subscriber_id for m in members]).values_list("pk", "brand"))
    networks, agreements, vpmn_members = [], [], []
    eligible = 0
    for group in groups:
        gotone = [m for m in open_by_group.get(group.pk, []) if brands.get(m.subscriber_id) == "gotone"]
        if len(gotone) < minimum or group.customer_manager is None:
            continue
        eligible += 1
        if eligible % 6 != 1:  # one in six, the first of them included
            continue
        network = VpmnNetwork(group=group, short_number_from="6000", short_number_to="6999")
        if len(networks) % 4 == 0:  # one in four ends within the renewal window, the first of them included
            ends = today + dt.timedelta(days=rng.randrange(5, ahead))
        else:
            ends = today + dt.timedelta(days=rng.randrange(ahead + 30, 700))
        networks.append(network)
        # a one- or two-year term already begun
        years = 2 if (ends - today).days > 330 else rng.choice([1, 2])
        starts = ends - dt.timedelta(days=365 * years)
        agreements.append(
            VpmnAgreement(
                number=f"VX{group.code[2:]}{starts:%y%m}",
                network=network,
                discount_plan=plan,
                starts_on=starts,
                ends_on=ends,
                signed_at=timezone.make_aware(dt.datetime.combine(starts, dt.time(10))),
                created_by=group.customer_manager,
            )
        )
        for k, m in enumerate(gotone[:900]):
            vpmn_members.append(
                VpmnMember(
                    network=network,
                    subscriber_id=m.subscriber_id,
                    short_number=str(6001 + k),
                    effective_from=max(m.joined_on, starts),
                    added_by=group.customer_manager,
                )
            )
    VpmnNetwork.objects.bulk_create(networks)
    for a in agreements:
        a.network_id = a.network.pk
    for v in vpmn_members:
        v.network_id = v.network.pk
    VpmnAgreement.objects.bulk_create(agreements)
    VpmnMember.objects.bulk_create(vpmn_members, batch_size=2000)
    soon = sum(1 for a in agreements if a.ends_on <= today + dt.timedelta(days=ahead))
    return {"vpmns": len(networks), "vpmn_members": len(vpmn_members), "agreements_ending_soon": soon}
