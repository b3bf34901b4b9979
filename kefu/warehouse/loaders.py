"""Filling the warehouse: from the operational database, and from BOSS interface files (CSV).

A BOSS file is checked whole before anything is written: if any row is bad the file is refused with the
line number and reason of every bad row (up to `MAX_REPORTED`), and the warehouse is unchanged.
The file format is in docs/warehouse.md.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator

import pyarrow as pa
from django.db import connection
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.validators import is_msisdn
from kefu.warehouse import get_warehouse
from kefu.warehouse.store import BILL_ITEMS, SCHEMAS, USAGE_ITEMS, Warehouse, month_key, parse_month

CHUNK = 50_000
MAX_REPORTED = 1000

BOSS_COLUMNS = {
    "bills": ("msisdn", "month", *BILL_ITEMS, "total_fen", "paid_fen"),
    "usage": ("msisdn", "month", *USAGE_ITEMS),
}


def _batches(cursor, names: list[str], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    while True:
        rows = cursor.fetchmany(CHUNK)
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        yield pa.RecordBatch.from_arrays(
            [pa.array(col, type=schema.field(name).type) for col, name in zip(columns, names, strict=True)],
            names=names,
        )


def _month_value(value) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10]).replace(day=1)
    return value.replace(day=1)


def _db_months(table: str) -> list[dt.date]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT month FROM {table}")  # noqa: S608 (a fixed table name)
        return sorted({_month_value(row[0]) for row in cursor.fetchall()})


def load_subscribers(warehouse: Warehouse | None = None) -> int:
    """Copy the subscriber dimension (`customers_subscriber`) into the warehouse snapshot."""
    from kefu.core.models import Region, RegionLevel

    warehouse = warehouse or get_warehouse()
    regions = {r.id: (r.level, r.parent_id) for r in Region.objects.only("id", "level", "parent_id")}

    def city_of(region_id):
        level, parent = regions.get(region_id, (None, None))
        if level == RegionLevel.COUNTY:
            return parent
        if level == RegionLevel.CITY:
            return region_id
        return None

    schema = SCHEMAS["subscribers"]
    names = [n for n in schema.names if n != "city_id"]

    def batches():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, region_id, join_date, contracted, credit_level, vip_tier, store, status, "
                "customer_manager_id FROM customers_subscriber ORDER BY id"
            )
            for batch in _batches(cursor, names, schema):
                table = pa.Table.from_batches([batch])
                cities = pa.array([city_of(r) for r in table.column("region_id").to_pylist()], type=pa.int64())
                yield table.append_column("city_id", cities)

    rows = warehouse.replace_snapshot(batches())
    warehouse.record_load("subscribers", None, "database", rows)
    return rows


def load_from_database(months: Iterable[dt.date] | None = None, warehouse: Warehouse | None = None) -> dict:
    """Copy bills and usage of the given months (default: every month present) and the subscriber snapshot
    from the operational database. Each month replaces its partition."""
    warehouse = warehouse or get_warehouse()
    loaded: dict[str, dict[str, int]] = {"bills": {}, "usage": {}}
    wanted = sorted({m.replace(day=1) for m in months}) if months is not None else None
    for kind, table, items in (
        ("bills", "customers_bill", (*BILL_ITEMS, "total_fen", "paid_fen")),
        ("usage", "customers_usagesummary", USAGE_ITEMS),
    ):
        schema = SCHEMAS[kind]
        names = ["subscriber_id", *items]
        for month in wanted if wanted is not None else _db_months(table):
            end = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)

            def batches(table=table, names=names, schema=schema, month=month, end=end):
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {', '.join(names)} FROM {table} WHERE month >= %s AND month < %s "  # noqa: S608
                        "ORDER BY subscriber_id",
                        [month, end],
                    )
                    for batch in _batches(cursor, names, schema):
                        table_ = pa.Table.from_batches([batch])
                        yield table_.append_column("month", pa.array([month] * table_.num_rows, type=pa.date32()))

            rows = warehouse.replace_month(kind, month, batches())
            warehouse.record_load(kind, month, "database", rows)
            loaded[kind][month_key(month)] = rows
    loaded["subscribers"] = load_subscribers(warehouse)
    return loaded


# --- BOSS interface files --------------------------------------------------------------------------------


class _Problems:
    def __init__(self):
        self.items: list[dict] = []
        self.count = 0

    def add(self, line: int, field: str | None, reason: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED:
            self.items.append({"line": line, "field": field, "reason": reason})


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return codecs.decode(data.removeprefix(codecs.BOM_UTF8), "utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DomainError(
            ErrorCode.INVALID,
            _("The file is not UTF-8 text (line %(line)d); nothing was loaded.") % {"line": line},
            field="file",
            errors=[{"line": line, "field": None, "reason": _("not UTF-8 text")}],
            bad_rows=1,
        ) from None


def load_boss_file(
    kind: str, data: bytes | str, month: dt.date | None = None, warehouse: Warehouse | None = None, name: str = ""
) -> dict:
    """Check and load one BOSS interface file of `kind` ("bills" or "usage") for one month.

    The file's month is `month` when given, else the month of its rows (all rows must carry the same month).
    Returns {"kind", "month", "rows"}; raises DomainError (422) listing the bad rows when any row is bad.
    """
    if kind not in BOSS_COLUMNS:
        raise DomainError(ErrorCode.INVALID, _("Unknown kind of BOSS file: use bills or usage."), field="kind")
    warehouse = warehouse or get_warehouse()
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    expected = BOSS_COLUMNS[kind]
    problems = _Problems()
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != expected:
        raise DomainError(
            ErrorCode.INVALID,
            _("The first line must name the columns: %(columns)s.") % {"columns": ",".join(expected)},
            field="file",
            errors=[{"line": 1, "field": None, "reason": _("wrong header")}],
            bad_rows=1,
        )
    numeric = expected[2:]
    rows: list[tuple] = []  # (line, msisdn, values...)
    seen: dict[str, int] = {}
    file_month = month.replace(day=1) if month else None
    for line_no, record in enumerate(reader, start=2):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        if len(record) != len(expected):
            problems.add(
                line_no,
                None,
                _("%(found)d columns instead of %(expected)d") % {"found": len(record), "expected": len(expected)},
            )
            continue
        msisdn, month_text, *numbers = (value.strip() for value in record)
        bad = False
        if not is_msisdn(msisdn):
            problems.add(line_no, "msisdn", _("not an MSISDN (11 digits starting with 13 to 19)"))
            bad = True
        elif msisdn in seen:
            problems.add(line_no, "msisdn", _("the same MSISDN as line %(line)d") % {"line": seen[msisdn]})
            bad = True
        else:
            seen[msisdn] = line_no
        try:
            row_month = parse_month(month_text)
        except ValueError:
            problems.add(line_no, "month", _("the month must be written YYYY-MM"))
            bad = True
        else:
            if file_month is None:
                file_month = row_month
            elif row_month != file_month:
                problems.add(
                    line_no,
                    "month",
                    _("month %(month)s differs from the file's month %(file)s")
                    % {"month": month_key(row_month), "file": month_key(file_month)},
                )
                bad = True
        values = []
        for column, raw in zip(numeric, numbers, strict=True):
            try:
                value = int(raw)
            except ValueError:
                problems.add(line_no, column, _("not a whole number of fen or units"))
                bad = True
                continue
            if column == "discount_fen":
                if value > 0:
                    problems.add(line_no, column, _("a discount is zero or negative"))
                    bad = True
            elif value < 0:
                problems.add(line_no, column, _("negative"))
                bad = True
            if abs(value) > 2**31 - 1:
                problems.add(line_no, column, _("too large"))
                bad = True
            values.append(value)
        if not bad and kind == "bills":
            items = dict(zip(numeric, values, strict=True))
            total = sum(items[name] for name in BILL_ITEMS)
            if total != items["total_fen"]:
                problems.add(
                    line_no,
                    "total_fen",
                    _("total %(total)d is not the sum of the fee items %(sum)d")
                    % {"total": items["total_fen"], "sum": total},
                )
                bad = True
        if not bad:
            rows.append((line_no, msisdn, *values))
    # MSISDNs must be known on-net subscribers.
    ids = _subscriber_ids([row[1] for row in rows])
    known = []
    for row in rows:
        subscriber_id = ids.get(row[1])
        if subscriber_id is None:
            problems.add(row[0], "msisdn", _("no on-net subscriber has this MSISDN"))
        else:
            known.append((subscriber_id, *row[2:]))
    if problems.count:
        raise DomainError(
            ErrorCode.INVALID,
            _("%(count)d bad rows in the file; nothing was loaded.") % {"count": problems.count},
            field="file",
            errors=problems.items,
            bad_rows=problems.count,
        )
    if file_month is None:
        raise DomainError(
            ErrorCode.INVALID,
            _("The file has no rows: give its month to load an empty month."),
            field="month",
            errors=[],
            bad_rows=0,
        )
    schema = SCHEMAS[kind]
    known.sort()
    columns = list(zip(*known, strict=True)) if known else [[] for _ in range(1 + len(numeric))]
    arrays = {"subscriber_id": pa.array(columns[0], type=pa.int64())}
    for column, values in zip(numeric, columns[1:], strict=True):
        arrays[column] = pa.array(values, type=schema.field(column).type)
    arrays["month"] = pa.array([file_month] * len(known), type=pa.date32())
    table = pa.table(arrays)
    loaded = warehouse.replace_month(kind, file_month, [table])
    warehouse.record_load(kind, file_month, f"boss:{name}"[:200] if name else "boss", loaded)
    return {"kind": kind, "month": month_key(file_month), "rows": loaded}


def _subscriber_ids(msisdns: list[str]) -> dict[str, int]:
    from kefu.customers.models import ProfileStore, Subscriber

    found: dict[str, int] = {}
    for i in range(0, len(msisdns), 2000):
        chunk = msisdns[i : i + 2000]
        found.update(Subscriber.objects.filter(msisdn__in=chunk, store=ProfileStore.ON_NET).values_list("msisdn", "id"))
    return found
