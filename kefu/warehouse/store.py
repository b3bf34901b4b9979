"""The warehouse on disk: month partitions of Parquet files, catalogued in a DuckDB file.

    <root>/                    settings.DATA_DIR / "warehouse" by default (KEFU_WAREHOUSE_DIR overrides)
      warehouse.duckdb         views `bills`, `usage`, `subscribers` over the files, and the `loads` history
      bills/2026-10/part-0.parquet
      usage/2026-10/part-0.parquet
      subscribers/snapshot.parquet   the subscriber dimension (replaced whole at each load)

A month is replaced by writing the new partition beside the old one and swapping the directories, so a
month loaded twice is replaced, never doubled, and a reader never sees half a month. Jobs read the Parquet
files through an in-memory DuckDB (or Spark) connection, so reading never locks the DuckDB file; only
a load opens it, briefly, to record itself.

No Django import: the benchmark and the Spark test use this module alone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BILL_ITEMS = (
    "plan_fee_fen",
    "voice_fee_fen",
    "sms_fee_fen",
    "data_fee_fen",
    "roaming_fee_fen",
    "vas_fee_fen",
    "other_fee_fen",
    "discount_fen",
)
USAGE_ITEMS = ("voice_minutes", "sms_count", "data_mb", "roaming_minutes", "competitor_minutes")

SCHEMAS: dict[str, pa.Schema] = {
    "bills": pa.schema(
        [
            ("subscriber_id", pa.int64()),
            ("month", pa.date32()),
            *[(name, pa.int32()) for name in BILL_ITEMS],
            ("total_fen", pa.int32()),
            ("paid_fen", pa.int32()),
        ]
    ),
    "usage": pa.schema(
        [("subscriber_id", pa.int64()), ("month", pa.date32()), *[(name, pa.int32()) for name in USAGE_ITEMS]]
    ),
    "subscribers": pa.schema(
        [
            ("subscriber_id", pa.int64()),
            ("region_id", pa.int64()),
            ("city_id", pa.int64()),
            ("join_date", pa.date32()),
            ("contracted", pa.bool_()),
            ("credit_level", pa.int16()),
            ("vip_tier", pa.string()),
            ("store", pa.string()),
            ("status", pa.string()),
            ("customer_manager_id", pa.int64()),
        ]
    ),
}
MONTHLY = ("bills", "usage")
_MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")


def month_key(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> dt.date:
    """'2026-10' → date(2026, 10, 1); ValueError otherwise."""
    if not isinstance(text, str) or not _MONTH_DIR.match(text.strip()):
        raise ValueError(text)
    year, month = text.strip().split("-")
    return dt.date(int(year), int(month), 1)


class Warehouse:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # --- layout ---------------------------------------------------------------------------------------

    def kind_dir(self, kind: str) -> Path:
        if kind not in SCHEMAS:
            raise ValueError(kind)
        return self.root / kind

    def partition_dir(self, kind: str, month: dt.date) -> Path:
        return self.kind_dir(kind) / month_key(month)

    @property
    def snapshot_path(self) -> Path:
        return self.kind_dir("subscribers") / "snapshot.parquet"

    @property
    def catalog_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    def months(self, kind: str) -> list[dt.date]:
        directory = self.kind_dir(kind)
        if not directory.is_dir():
            return []
        return sorted(
            parse_month(entry.name)
            for entry in directory.iterdir()
            if entry.is_dir() and _MONTH_DIR.match(entry.name) and any(entry.glob("*.parquet"))
        )

    def has_snapshot(self) -> bool:
        return self.snapshot_path.exists()

    def files(self, kind: str, months: list[dt.date] | None = None) -> list[str]:
        if kind == "subscribers":
            return [str(self.snapshot_path)] if self.has_snapshot() else []
        chosen = self.months(kind) if months is None else [m for m in self.months(kind) if m in set(months)]
        return [str(path) for m in chosen for path in sorted(self.partition_dir(kind, m).glob("*.parquet"))]

    # --- writing --------------------------------------------------------------------------------------

    def _staging(self) -> Path:
        staging = self.root / ".staging" / uuid.uuid4().hex
        staging.mkdir(parents=True)
        return staging

    def replace_month(self, kind: str, month: dt.date, batches) -> int:
        """Write a month partition from Arrow record batches (or tables), replacing the month if present.
        Returns the number of rows written."""
        if kind not in MONTHLY:
            raise ValueError(kind)
        schema = SCHEMAS[kind]
        staging = self._staging()
        rows = 0
        try:
            with pq.ParquetWriter(staging / "part-0.parquet", schema, compression="zstd") as writer:
                for batch in batches:
                    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                    table = table.select(schema.names).cast(schema)
                    rows += table.num_rows
                    writer.write_table(table)
            target = self.partition_dir(kind, month)
            target.parent.mkdir(parents=True, exist_ok=True)
            old = None
            if target.exists():
                old = self.root / ".staging" / f"old-{uuid.uuid4().hex}"
                target.rename(old)
            staging.rename(target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return rows

    def replace_snapshot(self, batches) -> int:
        schema = SCHEMAS["subscribers"]
        staging = self._staging()
        rows = 0
        try:
            path = staging / "snapshot.parquet"
            with pq.ParquetWriter(path, schema, compression="zstd") as writer:
                for batch in batches:
                    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                    table = table.select(schema.names).cast(schema)
                    rows += table.num_rows
                    writer.write_table(table)
            self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, self.snapshot_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return rows

    def record_load(self, kind: str, month: dt.date | None, source: str, rows: int) -> None:
        """Note the load in the DuckDB catalog and refresh its views (for analysts' ad-hoc SQL)."""
        import duckdb

        con = duckdb.connect(str(self.catalog_path))
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS loads (kind VARCHAR, month DATE, source VARCHAR, rows BIGINT, "
                "loaded_at TIMESTAMPTZ DEFAULT current_timestamp)"
            )
            con.execute(
                "INSERT INTO loads (kind, month, source, rows) VALUES (?, ?, ?, ?)", [kind, month, source, rows]
            )
            for view in SCHEMAS:
                files = self.files(view)
                if files:
                    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                    con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet([{listed}])")
        finally:
            con.close()

    def loads(self) -> list[dict]:
        import duckdb

        if not self.catalog_path.exists():
            return []
        con = duckdb.connect(str(self.catalog_path), read_only=True)
        try:
            cursor = con.execute(
                "SELECT kind, month, source, rows, loaded_at FROM loads ORDER BY loaded_at DESC LIMIT 200"
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            con.close()

    # --- reading --------------------------------------------------------------------------------------

    def duckdb(self):
        """An in-memory Ibis DuckDB connection for jobs (the Parquet files are read in place)."""
        import ibis

        return ibis.duckdb.connect(threads=os.cpu_count() or 1)

    def table(self, con, kind: str, months: list[dt.date] | None = None):
        """The Ibis table of `kind` on the connection `con` (DuckDB or PySpark)."""
        files = self.files(kind, months)
        if not files:
            # An empty table of the right shape, so that jobs run (and find nothing) on an empty warehouse.
            return con.create_table(f"empty_{kind}_{uuid.uuid4().hex[:8]}", schema=_ibis_schema(kind), temp=True)
        if con.name == "pyspark":
            import ibis

            parts = [con.read_parquet(path) for path in files]
            return parts[0] if len(parts) == 1 else ibis.union(*parts)
        return con.read_parquet(files)


def _ibis_schema(kind: str):
    import ibis

    return ibis.schema({field.name: _ibis_type(field.type) for field in SCHEMAS[kind]})


def _ibis_type(arrow_type: pa.DataType) -> str:
    return {
        pa.int64(): "int64",
        pa.int32(): "int32",
        pa.int16(): "int16",
        pa.date32(): "date",
        pa.bool_(): "boolean",
        pa.string(): "string",
    }[arrow_type]
