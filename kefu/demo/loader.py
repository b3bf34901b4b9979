"""Loading the demo province into the database (the business operation behind `kefu demo`).

PostgreSQL: one transaction that truncates the customer tables, drops their indexes and keys (and the
foreign keys pointing at them), streams every chunk with binary COPY (FREEZE), analyses, rebuilds the
indexes and keys and moves the id sequences past the explicit ids. A failure rolls all of it back, indexes included.
SQLite: one transaction that deletes the old customers (and the rows pointing at them, as TRUNCATE …
CASCADE does on PostgreSQL) and inserts with executemany.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.contact.models import Contact
from kefu.core import parameters
from kefu.core.models import Region, User
from kefu.customers.models import Bill, InfoUpdate, Payment, PricePlan, Subscriber, Subscription, UsageSummary
from kefu.demo import generator, reference
from kefu.demo.columns import PG_COPY_HEADER, PG_COPY_TRAILER, Column, pg_binary, rows
from kefu.demo.province import CITIES, PRICE_PLANS, county_code

MODELS: dict[str, type[models.Model]] = {
    "subscriber": Subscriber,
    "bill": Bill,
    "usage": UsageSummary,
    "payment": Payment,
    "subscription": Subscription,
    "contact": Contact,
}
# Emptied before loading (InfoUpdate is not generated, but belongs to the replaced subscribers).
REPLACED: tuple[type[models.Model], ...] = (Contact, Payment, Bill, UsageSummary, Subscription, InfoUpdate, Subscriber)


@dataclass
class LoadReport:
    subscribers: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class Progress:
    """A one-line progress bar with rows per second, redrawn at most five times a second."""

    def __init__(self, total: int, stream=None, verbose: bool = False, width: int = 28):
        self.total, self.stream, self.verbose, self.width = total, stream, verbose, width
        self.started = time.monotonic()
        self.done = self.rows = 0
        self._drawn = 0.0

    def update(self, done: int, rows: int) -> None:
        self.done, self.rows = done, rows
        now = time.monotonic()
        if self.stream is not None and (now - self._drawn > 0.2 or done >= self.total):
            self._drawn = now
            elapsed = max(now - self.started, 1e-9)
            filled = int(self.width * done / max(self.total, 1))
            self.stream.write(
                "\r"
                + _("%(bar)s %(done)s/%(total)s subscribers · %(rows)s rows · %(rate)s rows/s · %(seconds)d s")
                % {
                    "bar": "[" + "#" * filled + "-" * (self.width - filled) + "]",
                    "done": f"{done:,}",
                    "total": f"{self.total:,}",
                    "rows": f"{rows:,}",
                    "rate": f"{rows / elapsed:,.0f}",
                    "seconds": elapsed,
                }
            )
            self.stream.flush()

    def note(self, message: str) -> None:
        if self.stream is not None:
            self.stream.write(("\n" if self.done else "") + message + "\n")
            self.stream.flush()
            self.done = 0

    def detail(self, message: str) -> None:
        if self.stream is not None and self.verbose:
            self.stream.write(message + "\n")


def build_context(subscribers: int, seed: int, as_of: dt.date) -> generator.Context:
    """The generator's inputs from the reference data in the database (seeded beforehand)."""
    codes = [county_code(city[0], c[0]) for city in CITIES for c in city[4]]
    region_ids = dict(Region.objects.filter(code__in=codes).values_list("code", "id"))
    plan_ids = dict(PricePlan.objects.filter(code__in=[p[0] for p in PRICE_PLANS]).values_list("code", "id"))
    users = dict(User.objects.filter(username__regex=r"^(manager|agent|clerk)\.").values_list("username", "id"))
    cities = [city[0] for city in CITIES]
    return generator.Context(
        subscribers=subscribers,
        seed=seed,
        as_of=as_of,
        counties=generator.counties_of(CITIES, region_ids),
        plans=tuple(generator.Plan(code, brand, fee, plan_ids[code]) for code, _n, brand, fee in PRICE_PLANS),
        managers={c: users[f"manager.{c}"] for c in cities},
        agents={c: users[f"agent.{c}"] for c in cities},
        clerks={c: users[f"clerk.{c}"] for c in cities},
        good_credit_level=int(parameters.get("customers.good_credit_level")),
    )


@transaction.atomic
def load_demo(
    subscribers: int, seed: int, password: str, as_of: dt.date | None = None, stream=None, verbose: bool = False
) -> tuple[list[tuple[str, str, str]], LoadReport]:
    """Seed the reference data and staff, then replace all customers with the generated province.

    One transaction: if anything fails, the database is left as it was. Progress goes to `stream`
    (None: silent); `verbose` adds the time of every index rebuild."""
    started = time.monotonic()
    regions = reference.seed_regions()
    reference.seed_price_plans()
    logins = reference.seed_staff(password, regions)
    context = build_context(subscribers, seed, as_of or timezone.localdate())
    report = LoadReport(subscribers)
    progress = Progress(subscribers, stream, verbose)
    if connection.vendor == "postgresql":
        _load_postgresql(context, report, progress)
    else:
        _load_rows(context, report, progress)
    report.seconds = time.monotonic() - started
    return logins, report


def _chunks(context: generator.Context, report: LoadReport, progress: Progress, encode):
    """Yield (table key, encoded rows) for every chunk. A worker thread generates and encodes the next
    chunk while the caller writes this one (numpy and the database driver release the GIL)."""
    plan = generator.layout(context)

    def produce(k: int):
        tables = generator.generate_chunk(context, plan, k)
        out = []
        for key, columns in tables.items():
            _check_complete(MODELS[key], columns)
            out.append((key, len(columns[0]), encode(columns)))
        return out

    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-demo") as pool:
        pending = pool.submit(produce, 0) if context.chunks else None
        for k in range(context.chunks):
            tables = pending.result()
            pending = pool.submit(produce, k + 1) if k + 1 < context.chunks else None
            for key, count, encoded in tables:
                yield key, encoded
                report.rows[key] = report.rows.get(key, 0) + count
            done += context.chunk_size(k)
            progress.update(done, report.total_rows)


def _check_complete(model: type[models.Model], columns: list[Column]) -> None:
    given = {c.name for c in columns}
    for f in model._meta.concrete_fields:
        if f.attname not in given and not f.null and f.db_default is models.NOT_PROVIDED:
            raise RuntimeError(f"the demo generator does not fill the required column {model.__name__}.{f.name}")


def _column_list(model: type[models.Model], names: list[str]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def emptied_models() -> list[type[models.Model]]:
    """The replaced models and every model whose rows point at them, directly or through one another (work
    orders, grading results, …): what PostgreSQL's TRUNCATE … CASCADE empties, emptied on SQLite too."""
    candidates = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    emptied = list(REPLACED)
    grown = True
    while grown:
        grown = False
        for model in candidates:
            if model not in emptied and any(
                f.is_relation and f.concrete and f.related_model in emptied for f in model._meta.local_fields
            ):
                emptied.append(model)
                grown = True
    return emptied


def _delete_existing() -> None:
    # Foreign keys are checked at commit on SQLite, when every referring row is gone as well.
    with connection.cursor() as cursor:
        for model in emptied_models():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def _as_rows(columns: list[Column]) -> tuple[list[str], list[tuple]]:
    return [c.name for c in columns], rows(columns)


def _load_rows(context: generator.Context, report: LoadReport, progress: Progress) -> None:
    with transaction.atomic():
        _delete_existing()
        with connection.cursor() as cursor:
            for key, (names, values) in _chunks(context, report, progress, _as_rows):
                model = MODELS[key]
                sql = "INSERT INTO {} ({}) VALUES ({})".format(
                    connection.ops.quote_name(model._meta.db_table),
                    _column_list(model, names),
                    ", ".join(["%s"] * len(names)),
                )
                cursor.executemany(sql, values)


def _load_postgresql(context: generator.Context, report: LoadReport, progress: Progress) -> None:
    tables = [m._meta.db_table for m in REPLACED]
    with transaction.atomic(), connection.cursor() as cursor:
        # Run any deferred foreign-key checks now: ALTER TABLE refuses tables with pending trigger events.
        connection.check_constraints()
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # index builds sort in memory
        cursor.execute("SET LOCAL work_mem = '256MB'")  # foreign-key validation hashes in memory
        cursor.execute("TRUNCATE {} CASCADE".format(", ".join(connection.ops.quote_name(t) for t in tables)))
        indexes, foreign_keys = _drop_keys_and_indexes(cursor, tables)
        raw = cursor.cursor  # the psycopg cursor: COPY is not part of Django's cursor API
        for key, (names, payload) in _chunks(context, report, progress, pg_binary):
            model = MODELS[key]
            table = connection.ops.quote_name(model._meta.db_table)
            statement = f"COPY {table} ({_column_list(model, names)}) FROM STDIN WITH (FORMAT binary, FREEZE)"
            with raw.copy(statement) as copy:
                copy.write(PG_COPY_HEADER)
                copy.write(payload)
                copy.write(PG_COPY_TRAILER)
        progress.note(_("Analysing the tables and rebuilding their indexes and keys…"))
        statements = ["ANALYZE {}".format(", ".join(connection.ops.quote_name(t) for t in tables)), *indexes]
        # Every foreign key now has its index and its target's primary key: validating it by merging the
        # two index-only scans beats hashing the referring table (COPY FREEZE set the visibility map).
        statements += ["SET LOCAL enable_hashjoin = off", *foreign_keys, "SET LOCAL enable_hashjoin = on"]
        statements += connection.ops.sequence_reset_sql(no_style(), list(REPLACED))
        for statement in statements:
            began = time.monotonic()
            cursor.execute(statement)
            progress.detail(f"{time.monotonic() - began:7.2f} s  {statement[:100]}")


def _drop_keys_and_indexes(cursor, tables: list[str]) -> tuple[list[str], list[str]]:
    """Drop every index and constraint of the tables, primary keys included (maintaining a primary key
    costs COPY as much as writing the row), and every foreign key pointing at them from other tables.

    Returns the DDL that recreates them: primary keys, indexes, unique and check constraints; and, to run
    after those, the foreign keys (which validate the loaded rows)."""
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint
        WHERE (conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'u', 'x', 'c', 'f'))
           OR (confrelid = ANY(%s::regclass[]) AND contype = 'f')
        ORDER BY position(contype::text IN 'puxcf'), 1, 2
        """,
        [tables, tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
          )
        ORDER BY 1
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    for table, name, _definition, _kind in reversed(constraints):  # foreign keys first
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    add = {
        kind: [
            f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            for table, name, definition, k in constraints
            if k == kind
        ]
        for kind in "puxcf"
    }
    return [*add["p"], *(definition for _name, definition in indexes), *add["u"], *add["x"], *add["c"]], add["f"]
