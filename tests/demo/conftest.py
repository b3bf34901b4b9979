"""Fixtures for the demo province: a small generated province and digests of its rows."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.conf import settings

from kefu.core.models import Region, User
from kefu.customers.models import PricePlan
from kefu.demo import generator, loader
from kefu.demo.columns import rows

AS_OF = dt.date(2026, 11, 15)
PASSWORD = "Demo-pass-2026"
SMALL = 300


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres_only") and "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch):
    """Chunks of 128 subscribers, so that a few hundred subscribers cross chunk boundaries."""
    monkeypatch.setattr(generator, "CHUNK", 128)


@pytest.fixture
def load(db):
    def load_(subscribers: int = SMALL, seed: int = 1, password: str = PASSWORD):
        return loader.load_demo(subscribers, seed, password, AS_OF)

    return load_


@pytest.fixture
def province(load):
    """A generated province of SMALL subscribers (seed 1) and its load report."""
    _logins, report = load()
    return report


def _natural_keys() -> dict[str, dict[int, str]]:
    users = dict(User.objects.values_list("id", "username"))
    return {
        "region_id": dict(Region.objects.values_list("id", "code")),
        "price_plan_id": dict(PricePlan.objects.values_list("id", "code")),
        "customer_manager_id": users,
        "agent_id": users,
    }


def _normal(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _digest(names: list[str], table: list[tuple]) -> str:
    keys = _natural_keys()
    convert = [keys.get(name) for name in names]
    out = hashlib.sha256()
    for row in table:
        values = [m[v] if m is not None and v is not None else _normal(v) for m, v in zip(convert, row, strict=True)]
        out.update(repr(values).encode())
    return out.hexdigest()


def database_digests() -> dict[str, str]:
    """A digest of every generated table as stored, with foreign keys replaced by codes and usernames."""
    context = loader.build_context(1, 1, AS_OF)
    names = {key: [c.name for c in columns] for key, columns in _one_chunk(context).items()}
    return {
        key: _digest(names[key], list(model.objects.order_by("id").values_list(*names[key])))
        for key, model in loader.MODELS.items()
    }


def generated_digests(subscribers: int, seed: int) -> dict[str, str]:
    """The same digests computed from the generator's output, without the database."""
    context = loader.build_context(subscribers, seed, AS_OF)
    plan = generator.layout(context)
    tables: dict[str, list] = {}
    names: dict[str, list[str]] = {}
    for k in range(context.chunks):
        for key, columns in generator.generate_chunk(context, plan, k).items():
            names[key] = [c.name for c in columns]
            tables.setdefault(key, []).extend(rows(columns))
    return {key: _digest(names[key], sorted(table)) for key, table in tables.items()}


def _one_chunk(context):
    return generator.generate_chunk(context, generator.layout(context), 0)
