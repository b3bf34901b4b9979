"""The analytics warehouse: monthly bills and usage of every subscriber as month partitions of Parquet
files with a DuckDB catalog (see docs/warehouse.md). `store` is Django-free; `loaders` fills it from the
operational database and from BOSS interface files."""

from __future__ import annotations

from pathlib import Path


def default_root() -> Path:
    import os

    from django.conf import settings

    return Path(os.environ.get("KEFU_WAREHOUSE_DIR") or settings.DATA_DIR / "warehouse")


def get_warehouse():
    from django.conf import settings

    from kefu.warehouse.store import Warehouse

    return Warehouse(getattr(settings, "KEFU_WAREHOUSE_DIR", None) or default_root())
