"""Shared fixtures: the demo province's reference data, staff per role, and a subscriber factory."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import Group

from kefu.core.cache import clear_all
from kefu.core.models import DataScope, User
from kefu.customers.models import Bill, Subscriber
from kefu.demo import reference

PASSWORD = "Kefu-test-2026"


@pytest.fixture(autouse=True)
def _fast_hashing_and_fresh_parameters(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clear_all()


@pytest.fixture(autouse=True)
def _own_warehouse(settings, tmp_path):
    """No test reads or writes the developer's key-account warehouse (`kefu demo` loads it)."""
    settings.KEFU_WAREHOUSE_DIR = tmp_path / "warehouse"


@pytest.fixture
def regions(db):
    return reference.seed_regions()


@pytest.fixture
def plans(db):
    return reference.seed_price_plans()


@pytest.fixture
def make_staff(regions):
    def make(username: str, role: str, region: str, data_scope: str | None = None) -> User:
        from kefu.core.roles import ROLES

        user = User.objects.create_user(
            username=username,
            password=PASSWORD,
            region=regions[region],
            data_scope=data_scope or ROLES[role].data_scope,
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def agent_baoji(make_staff):
    return make_staff("agent.baoji", "agent", "baoji")


@pytest.fixture
def agent_xian(make_staff):
    return make_staff("agent.xian", "agent", "xian")


@pytest.fixture
def admin_user(make_staff):
    user = make_staff("admin", "administrator", "shaanxi", DataScope.ALL)
    return user


_numbers = itertools.count(13800000001)


@pytest.fixture
def make_subscriber(regions, plans):
    def make(region: str = "xian-yanta", bills: int = 0, **fields) -> Subscriber:
        defaults = {
            "msisdn": str(next(_numbers)),
            "name": "张伟",
            "id_number": "610113199001011234",
            "address": "陕西省西安市雁塔区小寨东路 1 号",
            "brand": "gotone",
            "price_plan": plans["gotone-128"],
            "region": regions[region],
            "join_date": dt.date(2015, 3, 1),
            "contracted": True,
            "credit_level": 4,
            "vip_tier": "gold",
            "points_balance": 1200,
        }
        subscriber = Subscriber.objects.create(**{**defaults, **fields})
        for i in range(bills):
            month = dt.date(2026, 10 - i, 1) if i < 10 else dt.date(2025, 22 - i, 1)
            Bill.objects.create(
                subscriber=subscriber,
                month=month,
                plan_fee_fen=12800,
                voice_fee_fen=1500,
                data_fee_fen=2000,
                discount_fen=-300,
                total_fen=12800 + 1500 + 2000 - 300,
                paid_fen=0 if i == 0 else 16000,
            )
        return subscriber

    return make


@pytest.fixture
def api(client):
    """A test client speaking JSON to the API with a bearer token of the given user."""

    class Api:
        def __init__(self):
            self.token = None

        def login(self, user: User, password: str = PASSWORD):
            response = client.post(
                "/api/v1/auth/token",
                {"username": user.username, "password": password},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            self.token = response.json()["token"]
            return self

        def _headers(self):
            return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

        def get(self, path, **params):
            return client.get(path, params, **self._headers())

        def post(self, path, data=None):
            return client.post(path, data or {}, content_type="application/json", **self._headers())

        def patch(self, path, data):
            return client.patch(path, data, content_type="application/json", **self._headers())

    return Api()
