"""Querysets compiled once per process, for reads on a hot path (the customer 360).

Compiling a queryset to SQL (Django's `SQLCompiler.as_sql`) costs more CPU than PostgreSQL needs to
answer a lookup by key: on the customer 360 it was about half of the request. A hot read builds the same
queryset request after request, differing only in a few values (an MSISDN, a subscriber id). `fetch`
builds it once per `shape` with stand-in values, keeps the SQL the ORM made, and then runs that SQL with
the request's values in place of the stand-ins; the rows become model instances exactly as the ORM makes
them (select_related objects, the database's value conversions). The queryset is still written with the
ORM, scope (`restrict`) included, so the rules stay in one place.

`shape` must name everything the queryset depends on besides `values` — e.g. the caller's scope region
ids when it calls `restrict(user)`. A queryset whose values the ORM transforms (so that a stand-in cannot
be found in the parameters) is simply run through the ORM every time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from django.db.models.sql import InsertQuery

from kefu.core.cache import TTLCache


@dataclass(frozen=True)
class _Objects:
    """How a row becomes model instances, as Django's ModelIterable works it out for each query: kept."""

    model: type[Model]
    start: int
    end: int
    init_list: tuple[str, ...]
    related_populators: tuple  # select_related objects (stateless: they only read the row)
    annotations: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Compiled:
    using: str
    sql: str
    params: tuple
    slots: tuple[tuple[int, int, bool], ...]  # (position in params, index of the value, passed as text)
    converters: tuple  # (column, the database's value conversions, expression), as results_iter applies them
    names: tuple[str, ...] | None  # the keys of a values() queryset's rows
    objects: _Objects | None  # or how to make model instances


_EMPTY = object()  # the queryset can match nothing (e.g. an empty scope)
_UNPREPARABLE = object()
# The SQL of a shape never changes while the code does not; the time to live only bounds the memory of
# shapes no longer asked for (e.g. a scope that changed).
_compiled = TTLCache(ttl=3600.0, max_entries=2_000)


def fetch(shape: Hashable, build: Callable[..., QuerySet], *values) -> list:
    """`list(build(*values))` — model instances, or dicts for a values() queryset — without compiling the
    queryset again for a shape already seen. Values may be ints, strings and dates."""
    entry = _compiled.get_or_compute(shape, lambda: _compile(build, values))
    if entry is _EMPTY:
        return []
    if entry is _UNPREPARABLE:
        return list(build(*values))
    return _run(entry, values)


def _stand_in(index: int, value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return -(2**62) + 7919 * index
    if isinstance(value, str):
        return f"\u27eaprepared value {index}\u27eb"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.date(1111, 1, 1) + dt.timedelta(days=index)
    return None


def _compile(build: Callable[..., QuerySet], values: tuple):
    stand_ins = [_stand_in(i, v) for i, v in enumerate(values)]
    if any(s is None for s in stand_ins):
        return _UNPREPARABLE
    queryset = build(*stand_ins)
    if queryset._iterable_class not in (ModelIterable, ValuesIterable) or queryset._known_related_objects:
        return _UNPREPARABLE
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _EMPTY
    if not sql:
        return _EMPTY
    # a date reaches SQLite as its ISO text
    index = {(type(s), s): (i, False) for i, s in enumerate(stand_ins)}
    index.update({(str, s.isoformat()): (i, True) for i, s in enumerate(stand_ins) if isinstance(s, dt.date)})
    slots = tuple((pos, *index[(type(p), p)]) for pos, p in enumerate(params) if (type(p), p) in index)
    if {i for _, i, _ in slots} != set(range(len(values))):
        return _UNPREPARABLE
    columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(columns):
        return _UNPREPARABLE
    converters = tuple((pos, tuple(convs), expr) for pos, (convs, expr) in compiler.get_converters(columns).items())
    db = queryset.db
    if queryset._iterable_class is ValuesIterable:
        query = queryset.query
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        if query.selected:
            names = tuple(query.selected)
        return _Compiled(db, sql, tuple(params), slots, converters, tuple(names), None)
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    objects = _Objects(
        model=klass_info["model"],
        start=start,
        end=end,
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        related_populators=tuple(get_related_populators(klass_info, select, db)),
        annotations=tuple((compiler.annotation_col_map or {}).items()),
    )
    return _Compiled(db, sql, tuple(params), slots, converters, None, objects)


def _run(entry: _Compiled, values: tuple) -> list:
    db = entry.using
    connection = connections[db]
    params = list(entry.params)
    for pos, i, as_text in entry.slots:
        params[pos] = values[i].isoformat() if as_text else values[i]
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    if entry.converters:
        rows = [_converted(row, entry.converters, connection) for row in rows]
    if entry.names is not None:  # as Django's ValuesIterable does
        return [dict(zip(entry.names, row, strict=False)) for row in rows]
    # as Django's ModelIterable does with the rows of a compiled query
    how = entry.objects
    objects = []
    for row in rows:
        obj = how.model.from_db(db, how.init_list, row[how.start : how.end])
        for populator in how.related_populators:
            populator.populate(row, obj)
        for attr_name, col_pos in how.annotations:
            setattr(obj, attr_name, row[col_pos])
        objects.append(obj)
    return objects


def _converted(row, converters, connection) -> list:
    row = list(row)
    for pos, convs, expression in converters:
        value = row[pos]
        for converter in convs:
            value = converter(value, expression, connection)
        row[pos] = value
    return row


def insert(model: type[Model], **values) -> None:
    """Save a new `model(**values)` with an `INSERT` compiled once per model: for an append-only log written on a
    hot path (the access log of each screen pop). Defaults and `auto_now_add` apply as in `save()`; unlike
    `Model.objects.create` it sends no signals and returns nothing."""
    db = router.db_for_write(model)
    fields, sql = _compiled.get_or_compute(("insert", model._meta.label, db), lambda: _insert_statement(model, db))
    obj = model(**values)
    connection = connections[db]
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_statement(model: type[Model], db: str) -> tuple[tuple, str]:
    fields = tuple(f for f in model._meta.local_concrete_fields if f is not model._meta.auto_field)
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    [(sql, _params)] = query.get_compiler(using=db).as_sql()
    return fields, sql
