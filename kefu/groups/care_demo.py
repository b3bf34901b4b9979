"""Group-care demo data, after the groups of `kefu demo` (`kefu.groups.demo.seed`): service contacts this year
(most groups on plan, some behind), survey answers for the last three months, product subscriptions, the
last and the current month's promotion targets per city, product trainings, and on-site service events with
participant surveys. Bulk writes; replaces the care data of an earlier run."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from kefu.core.models import Region, RegionLevel, User
from kefu.groups.catalogue import seed_products, seed_service_plan
from kefu.groups.models import (
    EventSurvey,
    GroupContact,
    GroupCustomer,
    GroupProduct,
    GroupStatus,
    GroupSubscription,
    GroupSurvey,
    PromotionPlan,
    ServiceContact,
    ServiceEvent,
    ServiceKind,
    TrainingSession,
)
from kefu.groups.service_plans import expected_by, period_bounds, plan_items

SUMMARIES = {
    ServiceKind.PHONE_VISIT: ["电话回访，了解近期使用情况", "电话沟通话费账单疑问", "电话通知优惠到期"],
    ServiceKind.ONSITE_VISIT: ["上门拜访办公室主任", "上门处理集团网问题", "上门座谈，收集需求"],
    ServiceKind.SYMPOSIUM: ["集团客户联谊会", "行业客户座谈会"],
    ServiceKind.HOLIDAY_LETTER: ["春节致谢专函", "中秋节致谢专函", "国庆节致谢专函"],
    ServiceKind.HOLIDAY_SMS: ["春节祝贺短信", "中秋祝贺短信", "元旦祝贺短信"],
    ServiceKind.PROMOTION: ["上门推广移动办公", "专函通知集团短信新功能", "推介WLAN接入"],
}
NEEDS = ["希望增加流量包", "需要集团短信平台培训", "希望单位内通话更优惠", "", "", "手机信号室内较弱"]
PARTICIPANTS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞"]
PLACES = ["单位会议室", "办公楼大厅", "职工食堂门口", "厂区广场"]


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours time of `day`, never ahead of the clock (a contact is logged once made)."""
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randrange(9, 18), rng.randrange(60))))
    return min(at, timezone.now() - dt.timedelta(minutes=rng.randrange(1, 60)))


def _day_between(start: dt.date, end: dt.date, rng: random.Random) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def _clear() -> None:
    EventSurvey.objects.all().delete()
    ServiceEvent.objects.all().delete()
    GroupSubscription.objects.all().delete()
    ServiceContact.objects.all().delete()
    GroupSurvey.objects.all().delete()
    PromotionPlan.objects.all().delete()
    TrainingSession.objects.all().delete()


@transaction.atomic
def seed(as_of: dt.date | None = None, seed: int = 1) -> dict:
    today = as_of or timezone.localdate()
    rng = random.Random(seed)
    seed_service_plan()
    seed_products()
    _clear()
    staff = list(User.objects.filter(is_active=True, groups__name__in=["manager", "leader", "administrator"]))
    if not staff:
        return {"contacts": 0, "surveys": 0, "subscriptions": 0, "events": 0}
    by_region: dict[int, list[User]] = {}
    for u in staff:
        by_region.setdefault(u.region_id, []).append(u)
    city_of = {r.pk: (r.parent_id if r.level == RegionLevel.COUNTY else r.pk) for r in Region.objects.all()}
    fallback = staff[0]

    def someone(region_id: int) -> User:
        return rng.choice(by_region.get(region_id) or by_region.get(city_of.get(region_id)) or [fallback])

    groups = list(GroupCustomer.objects.filter(status=GroupStatus.ACTIVE).select_related("customer_manager"))
    people: dict[int, list[int]] = {}
    for gid, cid in GroupContact.objects.filter(active=True).values_list("group_id", "id"):
        people.setdefault(gid, []).append(cid)
    items = plan_items()
    products = list(GroupProduct.objects.filter(active=True))
    contacts, surveys, subscriptions, events = [], [], [], []
    for group in groups:
        manager = group.customer_manager or someone(group.region_id)
        contact_ids = people.get(group.pk, [])
        on_plan = rng.random() < 0.75
        for kind, item in items.get(group.grade, {}).items():
            start, end = period_bounds(item.period, today)
            due = expected_by(item.times, start, end, today)
            done = due + rng.choice([0, 0, 1]) if on_plan else max(0, due - rng.randrange(1, 3))
            for _i in range(done):
                contacts.append(
                    ServiceContact(
                        group=group,
                        kind=kind,
                        at=_at(_day_between(start, today, rng), rng),
                        staff=manager,
                        contact_id=rng.choice(contact_ids) if contact_ids else None,
                        summary=rng.choice(SUMMARIES[kind]),
                    )
                )
        satisfied_rate = {"A": 0.86, "B": 0.8, "C": 0.78}[group.grade]
        for back in range(3):
            if rng.random() < 0.4:
                continue
            month = (today.replace(day=1) - dt.timedelta(days=31 * back)).replace(day=1)
            last = today if back == 0 else (month + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
            for cid in contact_ids:
                surveys.append(
                    GroupSurvey(
                        group=group,
                        contact_id=cid,
                        surveyed_on=_day_between(month, last, rng),
                        satisfied=rng.random() < satisfied_rate,
                        aware=rng.random() < 0.94,
                        staff=manager,
                    )
                )
        for product in rng.sample(products, k=min(len(products), rng.choice([0, 0, 1, 1, 2, 3]))):
            started = today - dt.timedelta(days=rng.randrange(0, 540))
            ended = started + dt.timedelta(days=rng.randrange(60, 360)) if rng.random() < 0.15 else None
            subscriptions.append(
                GroupSubscription(
                    group=group,
                    product=product,
                    quantity=rng.choice([1, 5, 10, 20, 50]),
                    started_on=started,
                    ended_on=ended if ended and ended < today else None,
                    sold_by=manager,
                )
            )
        if rng.random() < 0.08:
            event = ServiceEvent(
                group=group,
                held_on=today - dt.timedelta(days=rng.randrange(1, 90)),
                place=rng.choice(PLACES),
                new_lines=rng.randrange(0, 15),
                vpmn_joins=rng.randrange(0, 30),
                demonstrations=rng.choice(["移动办公、集团短信", "WLAN、定位", "集团短信"]),
                other_work=rng.choice(["手机维修", "业务咨询", "积分兑换", ""]),
                created_by=manager,
            )
            event._staff = manager
            events.append(event)
    ServiceContact.objects.bulk_create(contacts, batch_size=2000)
    GroupSurvey.objects.bulk_create(surveys, batch_size=2000)
    GroupSubscription.objects.bulk_create(subscriptions, batch_size=2000)
    ServiceEvent.objects.bulk_create(events)
    answers = []
    for event in events:
        event.staff.add(event._staff)
        for _i in range(rng.randrange(3, 9)):
            answers.append(
                EventSurvey(
                    event=event,
                    participant=rng.choice(PARTICIPANTS),
                    msisdn=f"139{rng.randrange(10**8):08d}" if rng.random() < 0.5 else "",
                    score=rng.choices([5, 4, 3, 2], weights=(45, 35, 15, 5))[0],
                    needs=rng.choice(NEEDS),
                )
            )
    EventSurvey.objects.bulk_create(answers)
    plans, trainings = _promotion(today, products, someone, rng)
    return {
        "contacts": len(contacts),
        "surveys": len(surveys),
        "subscriptions": len(subscriptions),
        "events": len(events),
        "promotion_plans": plans,
        "trainings": trainings,
    }


def _promotion(today: dt.date, products, someone, rng: random.Random) -> tuple[int, int]:
    """Targets per city and product for the last and the current month; a training or two per city a month."""
    this_month = today.replace(day=1)
    months = [(this_month - dt.timedelta(days=1)).replace(day=1), this_month]
    plans, trainings = [], []
    for city in Region.objects.filter(level=RegionLevel.CITY):
        author = someone(city.pk)
        for month in months:
            for product in products:
                plans.append(
                    PromotionPlan(
                        product=product,
                        region=city,
                        month=month,
                        target_subscriptions=rng.randrange(1, 6),
                        created_by=author,
                    )
                )
            for _i in range(rng.randrange(1, 3)):
                product = rng.choice(products)
                session = TrainingSession(
                    product=product,
                    region=city,
                    title=f"{product.name}业务培训",
                    held_on=_day_between(month, min(today, month + dt.timedelta(days=27)), rng),
                    trainer=rng.choice(["陈老师", "产品经理刘工", "市场部王经理"]),
                )
                session._attendee = author
                trainings.append(session)
    PromotionPlan.objects.bulk_create(plans)
    TrainingSession.objects.bulk_create(trainings)
    for session in trainings:
        session.attendees.add(session._attendee)
    return len(plans), len(trainings)
