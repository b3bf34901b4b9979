"""Key-account grading: the Ibis grading job on DuckDB against its floor and against pandas.

    .venv/bin/python bench/grading.py [--subscribers 10000000] [--dir /tmp/kefu-bench-grading] [--no-pandas]

It generates N subscribers × 12 months of bills synthetically, straight into the warehouse's Parquet month
partitions (numpy + pyarrow, not through Django; kept between runs in --dir and regenerated when N
changes), then runs, each in its own process so that each one's peak memory is its own:

- **ibis**: the product's grading job (`kefu.keyaccounts.engine.grade`, the default rules) on DuckDB,
  materialised as an Arrow table of every subscriber's tier, credit level and potential flag;
- **floor**: one hand-written DuckDB SQL statement computing the same columns;
- **pandas**: the same rules in pandas (read the Parquet files, group, merge, numpy selects).

All three must agree (tier, credit and potential of every subscriber: a checksum). It prints time, peak
RSS and the ratios. Targets (issue 5): ibis within 1.5× of the floor, ≥ 10× faster than pandas, peak memory
under 8 GB.

Needs nothing beyond the product's packages (pandas comes with ibis's DuckDB extra). About 1 GB of Parquet
per 10 M subscribers in --dir.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from kefu.keyaccounts import engine  # noqa: E402
from kefu.keyaccounts.rules import TIER_RANK, EngineParams, Rules, default_rules  # noqa: E402
from kefu.warehouse.store import BILL_ITEMS, Warehouse  # noqa: E402

MONTH = dt.date(2026, 10, 1)
CHUNK = 2_000_000
TIERS = np.array(["diamond", "gold", "silver", "high_value", "ordinary"])


def params() -> EngineParams:
    # The seed's defaults, validated as a rule version would be (no Django: no gettext needed unless refused).
    rules = Rules.model_validate(
        default_rules({"diamond": 1000, "gold": 500, "silver": 300, "high_value": 150}, 150, 3)
    )
    return EngineParams.from_rules(rules)


# --- data -------------------------------------------------------------------------------------------------


def generate(w: Warehouse, n: int, seed: int = 1) -> None:
    """A province's worth of subscribers: spend is log-normal around 80 yuan, so that a few percent reach the
    VIP tiers, as in a real base; 10 % of bills unpaid for a while; 3 % of subscribers missing a month."""
    rng = np.random.default_rng(seed)
    level = np.empty(n, dtype=np.float64)

    def snapshot():
        for start in range(0, n, CHUNK):
            size = min(CHUNK, n - start)
            ids = np.arange(start + 1, start + size + 1, dtype=np.int64)
            level[start : start + size] = rng.lognormal(np.log(8000), 0.9, size)
            join = np.datetime64("2000-01-01") + rng.integers(0, 26 * 365, size).astype("timedelta64[D]")
            yield pa.table(
                {
                    "subscriber_id": ids,
                    "region_id": rng.integers(1, 110, size),
                    "city_id": rng.integers(1, 11, size),
                    "join_date": pa.array(join, pa.date32()),
                    "contracted": rng.random(size) < 0.6,
                    "credit_level": rng.integers(1, 6, size).astype(np.int16),
                    "vip_tier": TIERS[rng.choice(5, size, p=[0.005, 0.02, 0.04, 0.08, 0.855])],
                    "store": np.where(rng.random(size) < 0.97, "on_net", "retained"),
                    "status": np.full(size, "active"),
                    "customer_manager_id": pa.nulls(size, pa.int64()),
                }
            )

    w.replace_snapshot(snapshot())
    zeros = pa.array(np.zeros(CHUNK, dtype=np.int32))
    for back in range(12):
        month = engine.month_start(MONTH, back)

        def bills(month=month):
            for start in range(0, n, CHUNK):
                size = min(CHUNK, n - start)
                present = rng.random(size) < 0.97
                ids = np.arange(start + 1, start + size + 1, dtype=np.int64)[present]
                total = (level[start : start + size][present] * rng.uniform(0.7, 1.3, present.sum())).astype(np.int32)
                paid = np.where(rng.random(total.size) < 0.9, total, 0).astype(np.int32)
                m = total.size
                columns = {"subscriber_id": ids, "month": pa.array(np.full(m, np.datetime64(month)), pa.date32())}
                columns.update({name: zeros[:m] for name in BILL_ITEMS})
                columns["plan_fee_fen"] = total
                columns["total_fen"] = total
                columns["paid_fen"] = paid
                yield pa.table(columns)

        w.replace_month("bills", month, bills())


# --- the three implementations ------------------------------------------------------------------------------


def run_ibis(w: Warehouse, p: EngineParams) -> pa.Table:
    con = w.duckdb()
    window = [engine.month_start(MONTH, back) for back in range(p.window_months)]
    result = engine.grade(w.table(con, "bills", window), w.table(con, "subscribers"), MONTH, p)
    return result.select("subscriber_id", "tier", "credit", "potential").to_pyarrow()


def floor_sql(w: Warehouse, p: EngineParams) -> str:
    start = engine.month_start(MONTH, p.window_months - 1)
    recent = engine.month_start(MONTH, p.recent_months - 1)
    bills = ", ".join(
        f"'{f}'" for f in w.files("bills", [engine.month_start(MONTH, b) for b in range(p.window_months)])
    )
    credit = " ".join(
        f"WHEN tenure >= {r.min_tenure_years} AND late <= {r.max_late_months}"
        + (f" AND months > 0 AND spend >= months * {r.min_avg_fen}" if r.min_avg_fen else "")
        + f" THEN {r.level}"
        for r in p.credit_rules
    )
    qualifies = (
        f"months >= {p.min_months} AND credit >= {p.good_credit_level}"
        + (" AND contracted" if p.require_contract else "")
        + f" AND spend >= months * {p.qualify_fen}"
    )
    tiers = " ".join(f"WHEN {qualifies} AND spend >= months * {fen} THEN '{code}'" for code, fen in p.tiers)
    index = MONTH.year * 12 + MONTH.month
    return f"""
    WITH b AS (
        SELECT subscriber_id, sum(total_fen::BIGINT) AS spend, count(*) AS months,
               sum(CASE WHEN paid_fen < total_fen AND month < DATE '{MONTH}' THEN 1 ELSE 0 END) AS late,
               sum(CASE WHEN month >= DATE '{recent}' THEN total_fen::BIGINT ELSE 0 END) AS recent_spend,
               sum(CASE WHEN month >= DATE '{recent}' THEN 1 ELSE 0 END) AS recent_months
        FROM read_parquet([{bills}])
        WHERE month BETWEEN DATE '{start}' AND DATE '{MONTH}'
        GROUP BY subscriber_id
    ), s AS (
        SELECT s.subscriber_id, s.contracted,
               coalesce(b.spend, 0) AS spend, coalesce(b.months, 0) AS months, coalesce(b.late, 0) AS late,
               coalesce(b.recent_spend, 0) AS recent_spend, coalesce(b.recent_months, 0) AS recent_months,
               ({index} - (year(s.join_date) * 12 + month(s.join_date))) // 12 AS tenure
        FROM read_parquet('{w.snapshot_path}') s LEFT JOIN b USING (subscriber_id)
        WHERE s.store = 'on_net'
    ), c AS (SELECT *, CASE {credit} ELSE {p.credit_default} END AS credit FROM s),
    t AS (SELECT *, CASE {tiers} ELSE 'ordinary' END AS tier FROM c)
    SELECT subscriber_id, tier, credit,
           tier = 'ordinary' AND (
               (months > 0 AND spend * 100 >= months * {p.potential_within_pct * p.lowest_fen})
               OR (recent_months >= {p.recent_months} AND months - recent_months > 0 AND recent_spend > 0
                   AND recent_spend * (months - recent_months) * 100
                       >= (spend - recent_spend) * recent_months * {100 + p.potential_rising_pct})
           ) AS potential
    FROM t
    """


def run_floor(w: Warehouse, p: EngineParams) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    return con.execute(floor_sql(w, p)).to_arrow_table()


def run_pandas(w: Warehouse, p: EngineParams) -> pa.Table:
    import pandas as pd
    import pyarrow.parquet as pq

    start = np.datetime64(engine.month_start(MONTH, p.window_months - 1))
    recent_start = np.datetime64(engine.month_start(MONTH, p.recent_months - 1))
    month = np.datetime64(MONTH)
    frames = []
    for path in w.files("bills", [engine.month_start(MONTH, b) for b in range(p.window_months)]):
        table = pq.read_table(path, columns=["subscriber_id", "month", "total_fen", "paid_fen"])
        frames.append(table.to_pandas(date_as_object=False))
    bills = pd.concat(frames, ignore_index=True)
    del frames
    bills = bills[(bills["month"] >= start) & (bills["month"] <= month)]
    total = bills["total_fen"].astype(np.int64)
    is_recent = bills["month"] >= recent_start
    bills = bills.assign(
        spend=total,
        late=((bills["paid_fen"] < bills["total_fen"]) & (bills["month"] < month)).astype(np.int64),
        recent_spend=total.where(is_recent, 0),
        recent_months=is_recent.astype(np.int64),
    )
    agg = bills.groupby("subscriber_id", sort=False).agg(
        spend=("spend", "sum"),
        months=("spend", "size"),
        late=("late", "sum"),
        recent_spend=("recent_spend", "sum"),
        recent_months=("recent_months", "sum"),
    )
    del bills
    subs = pq.read_table(w.snapshot_path, columns=["subscriber_id", "join_date", "contracted", "store"]).to_pandas(
        date_as_object=False
    )
    subs = subs[subs["store"] == "on_net"]
    df = subs.merge(agg, how="left", left_on="subscriber_id", right_index=True)
    for column in ("spend", "months", "late", "recent_spend", "recent_months"):
        df[column] = df[column].fillna(0).astype(np.int64)
    join = df["join_date"].dt
    df["tenure"] = ((MONTH.year * 12 + MONTH.month) - (join.year * 12 + join.month)) // 12
    spend, months = df["spend"].to_numpy(), df["months"].to_numpy()
    conditions = [
        (df["tenure"].to_numpy() >= r.min_tenure_years)
        & (df["late"].to_numpy() <= r.max_late_months)
        & (((months > 0) & (spend >= months * r.min_avg_fen)) if r.min_avg_fen else True)
        for r in p.credit_rules
    ]
    credit = np.select(conditions, [r.level for r in p.credit_rules], default=p.credit_default)
    qualifies = (months >= p.min_months) & (credit >= p.good_credit_level) & (spend >= months * p.qualify_fen)
    if p.require_contract:
        qualifies &= df["contracted"].to_numpy()
    tier = np.select(
        [qualifies & (spend >= months * fen) for _, fen in p.tiers], [code for code, _ in p.tiers], default="ordinary"
    )
    recent_spend, recent_months = df["recent_spend"].to_numpy(), df["recent_months"].to_numpy()
    older_months, older_spend = months - recent_months, spend - recent_spend
    near = (months > 0) & (spend * 100 >= months * (p.potential_within_pct * p.lowest_fen))
    rising = (
        (recent_months >= p.recent_months)
        & (older_months > 0)
        & (recent_spend > 0)
        & (recent_spend * older_months * 100 >= older_spend * recent_months * (100 + p.potential_rising_pct))
    )
    potential = (tier == "ordinary") & (near | rising)
    return pa.table(
        {"subscriber_id": df["subscriber_id"].to_numpy(), "tier": tier, "credit": credit, "potential": potential}
    )


def checksum(table: pa.Table) -> dict:
    """Order-independent: counts by tier, credit and potential, and a sum over ids weighted by the results."""
    ids = table.column("subscriber_id").to_numpy().astype(np.uint64)
    tiers = np.array(table.column("tier").to_pylist(), dtype=object)
    rank = np.vectorize(TIER_RANK.get, otypes=[np.uint64])(tiers)
    credit = table.column("credit").to_numpy().astype(np.uint64)
    potential = table.column("potential").to_numpy(zero_copy_only=False).astype(np.uint64)
    weighted = int(np.sum(ids * (rank * 100 + credit * 10 + potential), dtype=np.uint64))
    tier_counts = {code: int((tiers == code).sum()) for code in TIER_RANK}
    return {"rows": table.num_rows, "tiers": tier_counts, "potential": int(potential.sum()), "weighted": weighted}


PHASES = {"ibis": run_ibis, "floor": run_floor, "pandas": run_pandas}


def phase(name: str, directory: Path) -> None:
    w = Warehouse(directory)
    p = params()
    began = time.perf_counter()
    table = PHASES[name](w, p)
    seconds = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "check": checksum(table)}))


def run_phase(name: str, directory: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--dir", str(directory)], check=True, capture_output=True, text=True
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/kefu-bench-grading"))
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas peer")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ibis and floor, in turns (best kept)")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args.dir)
        return

    directory = args.dir / f"n{args.subscribers}"
    marker = directory / "complete"
    if not marker.exists():
        began = time.perf_counter()
        print(f"generating {args.subscribers:,} subscribers × 12 months of bills in {directory} …", flush=True)
        generate(Warehouse(directory), args.subscribers)
        marker.write_text("ok")
        print(f"  generated in {time.perf_counter() - began:.1f} s", flush=True)
    size = sum(f.stat().st_size for f in directory.rglob("*.parquet"))
    print(f"warehouse: {size / 2**20:.0f} MiB of Parquet; {os.cpu_count()} cores", flush=True)

    # The floor and the job run in turns (the best of --repeat runs each is kept), so that a burst of load
    # on the machine weighs on both alike; pandas runs once.
    runs: dict[str, list[dict]] = {"floor": [], "ibis": []}
    for _ in range(args.repeat):
        for name in ("floor", "ibis"):
            runs[name].append(run_phase(name, directory))
            print(f"  {name:>6}: {runs[name][-1]['seconds']:8.2f} s", flush=True)
    if not args.no_pandas:
        runs["pandas"] = [run_phase("pandas", directory)]
    results = {}
    for name, done in runs.items():
        best = dict(min(done, key=lambda r: r["seconds"]))
        best["peak_mib"] = max(r["peak_mib"] for r in done)
        results[name] = best
        print(f"{name:>7}: {best['seconds']:8.2f} s   peak RSS {best['peak_mib']:8.0f} MiB", flush=True)

    reference = results["floor"]["check"]
    for name, result in results.items():
        if result["check"] != reference:
            print(f"MISMATCH: {name} {result['check']} != floor {reference}")
            sys.exit(1)
    print(f"all agree: {reference['rows']:,} subscribers graded; tiers {reference['tiers']}")
    ratio_floor = results["ibis"]["seconds"] / results["floor"]["seconds"]
    print(f"ibis / floor  = {ratio_floor:.2f}×   (target ≤ 1.5×)")
    if "pandas" in results:
        speedup = results["pandas"]["seconds"] / results["ibis"]["seconds"]
        print(f"pandas / ibis = {speedup:.1f}×   (target ≥ 10×)")
    peak = max(r["peak_mib"] for r in results.values())
    print(
        f"peak memory   = {peak / 1024:.2f} GiB   (target < 8 GiB; ibis {results['ibis']['peak_mib'] / 1024:.2f} GiB)"
    )


if __name__ == "__main__":
    main()
