"""The contact centre of `kefu demo`: one hotline centre per city, so that each city's demo logins
find a working desktop, wallboard and workforce page.

Per city: a centre (`<city>-10086`) with three skill groups (综合 general, 账务 billing, VIP with
overflow to general after 30 s and a callback offer over 5 minutes), the city's `agent.<city>` as an
agent of general and billing and its `manager.<city>` (the customer manager) in VIP, so VIP callers
reach their manager first; an IVR entry menu (self-service balance, bill, points, status; transfer to
each group; goodbye); the wrap-up codes; tomorrow's shifts of the two agents; and the call records of
the last eight days and of today until now (inbound calls over a daily profile, about 5 % abandoned,
the callers drawn from the city's on-net subscribers) — enough for the wallboard's figures of today
and a workforce forecast (same weekday last week) for today and tomorrow. A province-wide switch
login (`switch.10086`) drives the CTI API and the IVR. Running it again replaces what it made.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from kefu.contact.models import (
    Agent,
    AgentSkill,
    Contact,
    ContactCentre,
    Direction,
    IvrMenu,
    IvrNode,
    Outcome,
    RouterCheckpoint,
    RouterEvent,
    RouterOutbox,
    RouterState,
    SkillGroup,
    WrapUpCode,
)
from kefu.core.models import DataScope, Region, RegionLevel, User
from kefu.customers.models import Channel, Subscriber
from kefu.demo import vocab
from kefu.workforce.models import Shift

HISTORY_DAYS = 8
CALL_PREFIX = "demo-"
SWITCH_LOGIN = "switch.10086"
#: Share of a day's calls in each half-hour (00:00 .. 23:30): a morning and an afternoon peak.
_PROFILE = np.array(
    [1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1.5, 2, 3, 4, 6, 8, 9, 9, 8, 7]
    + [6, 5, 6, 7, 8, 8, 7, 6, 5, 4, 4, 4, 3.5, 3, 3, 2.5, 2, 2, 1.5, 1.5, 1, 1, 1, 1],
    dtype=float,
)
_PROFILE /= _PROFILE.sum()
_GROUPS = (("general", "综合业务", 0.6), ("billing", "账务查询", 0.3), ("vip", "VIP 专席", 0.1))


def _calls_per_day(city_code: str) -> int:
    return 320 if city_code == "xian" else 80


@transaction.atomic
def seed(as_of: dt.date | None = None, seed: int = 1, password: str | None = None) -> dict:
    """Create (or replace) the demo contact centres; returns what it made and the switch login row."""
    today = as_of or timezone.localdate()
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    _clear()
    for code, name, _share in vocab.CONTACT_TOPICS:
        WrapUpCode.objects.update_or_create(code=code, defaults={"name": name, "active": True})
    cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("code"))
    province = Region.objects.filter(level=RegionLevel.PROVINCE).first()
    users = {u.username: u for u in User.objects.filter(username__regex=r"^(agent|manager)\.")}
    callers = _callers(cities)
    made = {"centres": 0, "agents": 0, "calls": 0}
    contacts: list[Contact] = []
    for city in cities:
        centre, _ = ContactCentre.objects.update_or_create(
            code=f"{city.code}-10086", defaults={"name": f"{city.name.removesuffix('市')} 10086", "region": city}
        )
        made["centres"] += 1
        groups = {}
        for code, name, _share in _GROUPS:
            groups[code], _ = SkillGroup.objects.update_or_create(
                code=f"{city.code}-{code}",
                defaults={"centre": centre, "name": name, "region": city, "aht": 180, "active": True},
            )
        vip = groups["vip"]
        vip.overflow_after, vip.callback_threshold = 30, 300
        vip.save(update_fields=["overflow_after", "callback_threshold"])
        vip.overflow_to.set([groups["general"]])
        staff = []
        for username, code, skills in (
            (f"agent.{city.code}", f"{city.code}-a01", {"general": 2, "billing": 1}),
            (f"manager.{city.code}", f"{city.code}-m01", {"vip": 3}),
        ):
            user = users.get(username)
            if user is None:
                continue
            agent, _ = Agent.objects.update_or_create(
                user=user, defaults={"centre": centre, "code": code, "extension": f"8{len(staff) + 1:03d}"}
            )
            AgentSkill.objects.filter(agent=agent).delete()
            for group, level in skills.items():
                AgentSkill.objects.create(agent=agent, group=groups[group], level=level)
            staff.append(agent)
            made["agents"] += 1
        _ivr(centre, city, groups)
        _shifts(staff, today + dt.timedelta(days=1))
        contacts += _history(centre, city, groups, staff, callers.get(city.pk, []), today, rng, nprng)
    Contact.objects.bulk_create(contacts, batch_size=2000)
    made["calls"] = len(contacts)
    login = _switch_login(province, password)
    return {**made, "logins": [login] if login else []}


def _clear() -> None:
    demo = ContactCentre.objects.filter(code__endswith="-10086")
    Contact.objects.filter(call_id__startswith=CALL_PREFIX).delete()
    for model in (RouterEvent, RouterOutbox, RouterCheckpoint, RouterState):
        model.objects.filter(centre__in=demo).delete()
    IvrMenu.objects.filter(centre__in=demo).delete()
    Shift.objects.filter(agent__centre__in=demo).delete()


def _callers(cities: list[Region]) -> dict[int, list[tuple[int, str, str, int]]]:
    """Up to 400 on-net subscribers per city: (id, msisdn, tier, county region id)."""
    city_of = {r.pk: r.parent_id for r in Region.objects.filter(level=RegionLevel.COUNTY)}
    out: dict[int, list] = {c.pk: [] for c in cities}
    rows = Subscriber.objects.on_net().values_list("pk", "msisdn", "vip_tier", "region_id").order_by("pk")
    for pk, msisdn, tier, region_id in rows[:20000].iterator(chunk_size=5000):
        pool = out.get(city_of.get(region_id, region_id))
        if pool is not None and len(pool) < 400:
            pool.append((pk, msisdn, tier or "ordinary", region_id))
    return out


def _ivr(centre: ContactCentre, city: Region, groups: dict[str, SkillGroup]) -> None:
    menu = IvrMenu.objects.create(
        centre=centre,
        code=f"{city.code}-main",
        name=f"{centre.name} 主菜单",
        greeting="您好，欢迎致电中国移动 10086。",
        entry=True,
    )
    queries = IvrNode.objects.create(menu=menu, digit="1", label="自助查询", kind="menu", prompt="请选择查询项目。")
    for digit, label, service in (
        ("1", "余额", "balance"),
        ("2", "账单", "last_bill"),
        ("3", "积分", "points"),
        ("4", "服务状态", "status"),
    ):
        IvrNode.objects.create(
            menu=menu, parent=queries, digit=digit, label=label, kind="self_service", service=service
        )
    IvrNode.objects.create(menu=menu, parent=queries, digit="*", label="返回", kind="back")
    IvrNode.objects.create(menu=menu, digit="2", label="账务查询", kind="transfer", group=groups["billing"])
    IvrNode.objects.create(menu=menu, digit="8", label="VIP 专席", kind="transfer", group=groups["vip"])
    IvrNode.objects.create(menu=menu, digit="0", label="人工服务", kind="transfer", group=groups["general"])
    IvrNode.objects.create(menu=menu, digit="9", label="再见", kind="hang_up")


def _shifts(agents: list[Agent], day: dt.date) -> None:
    for agent, (start, end) in zip(agents, ((8, 17), (9, 18)), strict=False):
        Shift.objects.create(
            agent=agent,
            starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(start))),
            ends_at=timezone.make_aware(dt.datetime.combine(day, dt.time(end))),
            break_minutes=60,
        )


def _history(centre, city, groups, staff, callers, today, rng, nprng) -> list[Contact]:
    """Inbound calls of the last HISTORY_DAYS days and of today until now."""
    now = timezone.now()
    by_group = {"vip": staff[1] if len(staff) > 1 else None, "general": staff[0] if staff else None}
    by_group["billing"] = by_group["general"]
    topics = [code for code, _name, _share in vocab.CONTACT_TOPICS]
    weights = [share for _code, _name, share in vocab.CONTACT_TOPICS]
    out = []
    number = 0
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        midnight = timezone.make_aware(dt.datetime.combine(day, dt.time()))
        daily = _calls_per_day(city.code) * (0.8 if day.weekday() >= 5 else 1.0)
        counts = nprng.poisson(daily * _PROFILE)
        for interval, count in enumerate(counts):
            for _ in range(int(count)):
                started = midnight + dt.timedelta(seconds=interval * 1800 + rng.random() * 1800)
                if started > now:
                    continue
                number += 1
                group = rng.choices([g for g, _n, _s in _GROUPS], [s for _g, _n, s in _GROUPS])[0]
                caller = rng.choice(callers) if callers and rng.random() < 0.7 else None
                wait = rng.expovariate(1 / 15)
                abandoned = rng.random() < 0.05
                answered = None if abandoned else started + dt.timedelta(seconds=wait)
                talk = rng.lognormvariate(5.0, 0.5)  # about 170 s
                ended = started + dt.timedelta(seconds=wait if abandoned else wait + talk)
                if ended > now:  # still going: leave it to the live router
                    continue
                agent = by_group[group]
                topic = rng.choices(topics, weights)[0]
                out.append(
                    Contact(
                        centre=centre,
                        call_id=f"{CALL_PREFIX}{city.code}-{number}",
                        leg=1,
                        channel=Channel.HOTLINE,
                        direction=Direction.INBOUND,
                        started_at=started,
                        answered_at=answered,
                        ended_at=ended,
                        queue=groups[group].code,
                        caller=caller[1] if caller else f"0{29 + rng.randrange(10)}{rng.randrange(10**7, 10**8)}",
                        tier=caller[2] if caller else "ordinary",
                        subscriber_id=caller[0] if caller else None,
                        region_id=caller[3] if caller else city.pk,
                        agent_id=agent.user_id if agent and not abandoned else None,
                        outcome=Outcome.ABANDONED if abandoned else Outcome.RESOLVED,
                        wrap_up="" if abandoned else topic,
                        recording_ref="" if abandoned else f"rec/{day:%Y%m%d}/{city.code}-{number}.wav",
                        satisfaction=None if abandoned or rng.random() < 0.6 else rng.choice((3, 4, 5, 5, 5)),
                    )
                )
    return out


def _switch_login(province: Region | None, password: str | None) -> tuple[str, str, str] | None:
    if province is None:
        return None
    user, _ = User.objects.update_or_create(
        username=SWITCH_LOGIN,
        defaults={"first_name": "交换机接口", "region": province, "data_scope": DataScope.PROVINCE, "is_staff": False},
    )
    if password:
        User.objects.filter(pk=user.pk).update(password=make_password(password))
    role = Group.objects.filter(name="switch").first()
    if role is not None:
        user.groups.set([role])
    return (SWITCH_LOGIN, "switch", province.name)
