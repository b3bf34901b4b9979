"""Key-account fixtures: a warehouse in a temporary directory and subscribers with a year of bills."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.customers.models import Bill
from kefu.warehouse import get_warehouse

# The graded month of these tests and the 12 months that end with it.
MONTH = dt.date(2026, 10, 1)
YEAR = [dt.date(2025 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(12)]  # 2025-11 … 2026-10


@pytest.fixture
def warehouse(settings, tmp_path):
    settings.KEFU_WAREHOUSE_DIR = tmp_path / "warehouse"
    return get_warehouse()


@pytest.fixture
def billed(make_subscriber):
    """A subscriber with 12 monthly bills of `total_fen` each (all paid unless `late` names months unpaid)."""

    def make(total_fen: int, region: str = "xian-yanta", late: int = 0, months: int = 12, **fields):
        subscriber = make_subscriber(region=region, **fields)
        for i, month in enumerate(YEAR[-months:]):
            unpaid = i < late
            Bill.objects.create(
                subscriber=subscriber,
                month=month,
                plan_fee_fen=total_fen,
                total_fen=total_fen,
                paid_fen=0 if unpaid else total_fen,
            )
        return subscriber

    return make


@pytest.fixture
def second_admin(make_staff):
    from kefu.core.models import DataScope

    return make_staff("admin2", "administrator", "shaanxi", DataScope.ALL)
