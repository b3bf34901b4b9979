"""The grading job is written once with Ibis: on PySpark (local mode) it gives exactly what it gives on DuckDB.

Needs the `spark` extra (`pip install -e '.[spark]'`) and Java 17; skipped cleanly without them.
"""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pyarrow as pa
import pytest

from kefu.keyaccounts import engine
from kefu.keyaccounts.rules import EngineParams, default_rules, parse_rules
from kefu.warehouse.store import BILL_ITEMS, Warehouse

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (the optional `spark` extra)")
if shutil.which("java") is None:
    pytest.skip("PySpark needs Java (java is not on PATH)", allow_module_level=True)

MONTH = dt.date(2026, 10, 1)


def _synthetic(root, subscribers: int = 400, seed: int = 7) -> Warehouse:
    rng = np.random.default_rng(seed)
    w = Warehouse(root)
    ids = np.arange(1, subscribers + 1, dtype=np.int64)
    tiers = np.array(["diamond", "gold", "silver", "high_value", "ordinary"])
    w.replace_snapshot(
        [
            pa.table(
                {
                    "subscriber_id": ids,
                    "region_id": rng.integers(10, 20, subscribers),
                    "city_id": rng.integers(1, 4, subscribers),
                    "join_date": [
                        dt.date(2000 + int(y), int(m), 1)
                        for y, m in zip(rng.integers(0, 27, subscribers), rng.integers(1, 13, subscribers), strict=True)
                    ],
                    "contracted": rng.random(subscribers) < 0.7,
                    "credit_level": rng.integers(1, 6, subscribers).astype(np.int16),
                    "vip_tier": tiers[rng.integers(0, 5, subscribers)],
                    "store": np.where(rng.random(subscribers) < 0.95, "on_net", "retained"),
                    "status": ["active"] * subscribers,
                    "customer_manager_id": pa.nulls(subscribers, pa.int64()),
                }
            )
        ]
    )
    scale = rng.choice([8000, 16000, 32000, 55000, 110000], subscribers)
    for back in range(14):
        month = engine.month_start(MONTH, back)
        present = rng.random(subscribers) < 0.9
        totals = (scale * rng.uniform(0.6, 1.4, subscribers)).astype(np.int32)[present]
        n = int(present.sum())
        table = {"subscriber_id": ids[present], "month": [month] * n}
        table.update({name: np.zeros(n, dtype=np.int32) for name in BILL_ITEMS})
        table["plan_fee_fen"] = totals
        table["total_fen"] = totals
        table["paid_fen"] = np.where(rng.random(n) < 0.9, totals, 0).astype(np.int32)
        w.replace_month("bills", month, [pa.table(table)])
    return w


def _run(con, w: Warehouse, params: EngineParams):
    result = engine.grade(w.table(con, "bills"), w.table(con, "subscribers"), MONTH, params)
    frame = con.execute(result).sort_values("subscriber_id").reset_index(drop=True)
    matrix = con.execute(engine.movement_matrix(result)).sort_values(["city_id", "old_tier", "tier"])
    return frame, matrix.reset_index(drop=True)


def test_grading_on_pyspark_equals_grading_on_duckdb(tmp_path):
    import ibis
    from pyspark.sql import SparkSession

    w = _synthetic(tmp_path / "warehouse")
    params = EngineParams.from_rules(
        parse_rules(default_rules({"diamond": 1000, "gold": 500, "silver": 300, "high_value": 150}, 150, 3))
    )
    duck, duck_matrix = _run(w.duckdb(), w, params)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("kefu-grading-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        spark, spark_matrix = _run(ibis.pyspark.connect(session), w, params)
    finally:
        session.stop()
    assert 300 < len(duck) < 400  # the on-net subscribers only
    columns = list(engine.RESULT_COLUMNS)
    left = duck[columns].astype({"potential": bool, "contracted": bool})
    right = spark[columns].astype({"potential": bool, "contracted": bool})
    for column in columns:
        assert left[column].astype(str).tolist() == right[column].astype(str).tolist(), column
    assert duck_matrix.astype(str).values.tolist() == spark_matrix.astype(str).values.tolist()
    # The data exercise every tier.
    assert set(duck["tier"]) == {"diamond", "gold", "silver", "high_value", "ordinary"}
