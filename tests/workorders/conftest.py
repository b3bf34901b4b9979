"""Fixtures for work orders: a movable clock, the staff of two cities, customers of each."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.core import parameters
from kefu.core.models import Parameter
from kefu.workorders import services

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Thursday 26 November 2026, 09:00 in Shanghai; `clock.advance(hours=5)` moves it."""
    c = Clock(dt.datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))
    monkeypatch.setattr("kefu.workorders.clock.now", c)
    return c


@pytest.fixture
def set_parameter():
    def set_(key, value):
        Parameter.objects.update_or_create(key=key, defaults={"value": value})
        parameters.forget_cached()

    return set_


@pytest.fixture
def staff(make_staff):
    """agent/backoffice/leader for Xi'an and Baoji, an agent for Yan'an."""
    people = {}
    for city in ("xian", "baoji"):
        for role in ("agent", "backoffice", "leader"):
            people[f"{role}.{city}"] = make_staff(f"{role}.{city}", role, city)
    people["backoffice2.xian"] = make_staff("backoffice2.xian", "backoffice", "xian")
    people["agent.yanan"] = make_staff("agent.yanan", "agent", "yanan")
    return people


@pytest.fixture
def xian_customer(make_subscriber):
    return make_subscriber(region="xian-yanta", msisdn="13900000001", vip_tier="gold")


@pytest.fixture
def baoji_customer(make_subscriber):
    return make_subscriber(region="baoji-weibin", msisdn="13900000002", vip_tier="ordinary", name="李强")


@pytest.fixture
def complaint(staff, xian_customer, clock):
    """A billing complaint of a Xi'an gold customer, accepted by the Xi'an agent."""
    return services.create(
        staff["agent.xian"],
        category="complaint-billing",
        title="话费异常",
        description="本月多扣 30 元",
        channel="hotline",
        msisdn=xian_customer.msisdn,
    )


def fresh(order):
    order.refresh_from_db()
    return order
