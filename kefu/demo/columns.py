"""Column arrays for bulk loading: text built without per-row Python strings, PostgreSQL binary COPY
encoding, and plain Python rows for SQLite.

A table is a list of `Column`s of equal length. Dates are int32 days since 2000-01-01 and timestamps
int64 microseconds since 2000-01-01 UTC, which is what PostgreSQL's binary COPY format expects.
Text is a `Text`: all rows' UTF-8 bytes in one flat uint8 array plus each row's length, so that names,
addresses and ID numbers for a million rows are assembled by numpy from word lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

EPOCH = dt.date(2000, 1, 1)
_EPOCH_NP = np.datetime64("2000-01-01", "D")
_UNIX_TO_PG_DAYS = 10957  # 1970-01-01 .. 2000-01-01

PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
PG_COPY_TRAILER = b"\xff\xff"

# Big-endian storage of each fixed-width kind in PostgreSQL's binary format.
FIXED_DTYPES = {
    "int16": np.dtype(">i2"),
    "int32": np.dtype(">i4"),
    "int64": np.dtype(">i8"),
    "bool": np.dtype("u1"),
    "date": np.dtype(">i4"),
    "timestamp": np.dtype(">i8"),
}
KINDS = (*FIXED_DTYPES, "text")


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def from_day_number(days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def _exclusive_cumsum(lengths: np.ndarray) -> np.ndarray:
    starts = np.empty(len(lengths), np.int64)
    if len(lengths):
        starts[0] = 0
        np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices of every byte of the spans [start, start + length), concatenated in row order.

    Built as the running sum of steps: 1 inside a span, a jump at the first byte of each span."""
    lengths = lengths.astype(np.int64, copy=False)
    keep = lengths > 0
    if not keep.all():
        starts, lengths = starts[keep], lengths[keep]
    total = int(lengths.sum())
    steps = np.ones(total, np.int64)
    if total:
        starts = starts.astype(np.int64, copy=False)
        firsts = _exclusive_cumsum(lengths)
        steps[0] = starts[0]
        steps[firsts[1:]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(steps, out=steps)


class Vocabulary:
    """A fixed list of strings, encoded once, that rows refer to by index."""

    def __init__(self, words):
        encoded = [str(word).encode() for word in words]
        self.words = tuple(str(word) for word in words)
        self.lengths = np.array([len(e) for e in encoded], np.int64)
        self.starts = _exclusive_cumsum(self.lengths)
        self.flat = np.frombuffer(b"".join(encoded), np.uint8) if encoded else np.empty(0, np.uint8)

    def __len__(self) -> int:
        return len(self.words)

    def take(self, codes: np.ndarray) -> Text:
        codes = np.asarray(codes)
        lengths = self.lengths[codes]
        return Text(self.flat[_spans(self.starts[codes], lengths)], lengths)


class Text:
    """One text value per row: the UTF-8 bytes of all rows in `flat`, each row's byte count in `lengths`."""

    __slots__ = ("flat", "lengths")

    def __init__(self, flat: np.ndarray, lengths: np.ndarray):
        self.flat = flat
        self.lengths = lengths.astype(np.int64, copy=False)

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def starts(self) -> np.ndarray:
        return _exclusive_cumsum(self.lengths)

    @classmethod
    def constant(cls, value: str, n: int) -> Text:
        return Vocabulary([value]).take(np.zeros(n, np.int64))

    @classmethod
    def strings(cls, values) -> Text:
        encoded = [str(v).encode() for v in values]
        flat = np.frombuffer(b"".join(encoded), np.uint8) if encoded else np.empty(0, np.uint8)
        return cls(flat.copy(), np.array([len(e) for e in encoded], np.int64))

    @classmethod
    def digits(cls, values: np.ndarray, width: int) -> Text:
        """Non-negative integers as zero-padded decimal text of a fixed width."""
        values = np.asarray(values, np.int64)
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        matrix = ((values[:, None] // powers) % 10 + 48).astype(np.uint8)
        return cls(matrix.ravel(), np.full(len(values), width, np.int64))

    @classmethod
    def number(cls, values: np.ndarray) -> Text:
        """Non-negative integers as decimal text without padding."""
        values = np.asarray(values, np.int64)
        if not len(values):
            return cls(np.empty(0, np.uint8), np.empty(0, np.int64))
        width = max(1, len(str(int(values.max()))))
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        matrix = ((values[:, None] // powers) % 10 + 48).astype(np.uint8)
        ndigits = np.maximum(1, np.floor(np.log10(np.maximum(values, 1))).astype(np.int64) + 1)
        keep = np.arange(width)[None, :] >= (width - ndigits)[:, None]
        return cls(matrix[keep], ndigits)

    @classmethod
    def concat(cls, *parts: Text) -> Text:
        lengths = np.zeros(len(parts[0]), np.int64)
        for part in parts:
            lengths += part.lengths
        out = np.empty(int(lengths.sum()), np.uint8)
        position = _exclusive_cumsum(lengths)
        for part in parts:
            out[_spans(position, part.lengths)] = part.flat
            position += part.lengths
        return cls(out, lengths)

    def take(self, index: np.ndarray) -> Text:
        lengths = self.lengths[index]
        return Text(self.flat[_spans(self.starts[index], lengths)], lengths)

    def where(self, mask: np.ndarray) -> Text:
        """These rows where `mask` holds, the empty string elsewhere."""
        keep = np.repeat(mask, self.lengths)
        return Text(self.flat[keep], np.where(mask, self.lengths, 0))

    def tolist(self) -> list[str]:
        data = self.flat.tobytes()
        ends = np.cumsum(self.lengths).tolist()
        starts = [0, *ends[:-1]] if ends else []
        return [data[s:e].decode() for s, e in zip(starts, ends, strict=True)]


@dataclass
class Column:
    """One column of a table to load; `null` marks the NULL rows (None: no NULLs)."""

    name: str
    kind: str
    values: np.ndarray | Text
    null: np.ndarray | None = None

    def __post_init__(self):
        assert self.kind in KINDS, self.kind
        if self.kind != "text" and not np.issubdtype(np.asarray(self.values).dtype, np.integer):
            self.values = np.asarray(self.values).astype(np.int64)
        if self.null is not None and not self.null.any():
            self.null = None
        assert self.kind != "text" or self.null is None, "text columns are never NULL here"

    def __len__(self) -> int:
        return len(self.values)

    @property
    def fixed(self) -> bool:
        return self.kind != "text"

    def python(self) -> list:
        """Values as Python objects in the form Django's SQLite backend stores them."""
        if self.kind == "text":
            values = self.values.tolist()
        elif self.kind == "bool":
            values = self.values.astype(bool).tolist()
        elif self.kind == "date":
            values = np.datetime_as_string(_EPOCH_NP + self.values.astype("timedelta64[D]"), unit="D").tolist()
        elif self.kind == "timestamp":
            assert not (self.values % 1_000_000).any(), "timestamps are whole seconds"
            stamps = _EPOCH_NP.astype("datetime64[s]") + (self.values // 1_000_000).astype("timedelta64[s]")
            values = [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="s").tolist()]
        else:
            values = self.values.tolist()
        if self.null is not None:
            values = [None if missing else value for value, missing in zip(values, self.null.tolist(), strict=True)]
        return values


def rows(columns: list[Column]) -> list[tuple]:
    """The table as a list of row tuples (for SQLite's executemany and for digests)."""
    return list(zip(*(column.python() for column in columns), strict=True))


MAX_LAYOUTS = 64  # distinct row layouts up to which a table is encoded group by group


def pg_binary(columns: list[Column]) -> tuple[list[str], memoryview]:
    """Encode a table in PostgreSQL's binary COPY format (without header and trailer).

    A row's layout is the byte length of each of its fields (NULL, or the length of its text). When a table
    has only a few layouts (every bill row has the same one; a payment's depends on its channel's name), the
    rows of each layout are one numpy structured array: a template row holds the field count and lengths,
    and each column's values go in with one strided copy. Otherwise every field is scattered into place.
    Rows may come out grouped by layout rather than in the given order. Returns the column order used and
    the encoded rows.
    """
    n = len(columns[0])
    layout = np.zeros(n, np.int64)
    radix = 1
    for column in columns:
        part = column.values.lengths if column.kind == "text" else column.null
        if part is None:
            continue
        size = int(part.max(initial=0)) + 1
        if radix * size > 2**62:
            return _scattered(columns)
        layout += part.astype(np.int64) * radix
        radix *= size
    kinds, inverse = np.unique(layout, return_inverse=True)
    if len(kinds) > MAX_LAYOUTS:
        return _scattered(columns)
    if len(kinds) == 1:
        return [c.name for c in columns], memoryview(_block(columns, None).view(np.uint8))
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse))])
    parts = [_block(columns, order[bounds[g] : bounds[g + 1]]) for g in range(len(kinds))]
    out = np.empty(sum(p.nbytes for p in parts), np.uint8)
    position = 0
    for part in parts:
        out[position : position + part.nbytes] = part.view(np.uint8)
        position += part.nbytes
    return [c.name for c in columns], memoryview(out)


def _block(columns: list[Column], rows: np.ndarray | None) -> np.ndarray:
    """Rows (all, or those of `rows`) that share one layout, as one structured array."""
    n = len(columns[0]) if rows is None else len(rows)
    first = 0 if rows is None else rows[0]
    fields, values = [("count", ">i2")], []
    for i, column in enumerate(columns):
        fields.append((f"l{i}", ">i4"))
        if column.kind == "text":
            width = int(column.values.lengths[first])
            if width:
                text = column.values if rows is None else column.values.take(rows)
                fields.append((f"v{i}", f"S{width}"))
                values.append((f"v{i}", text.flat.view(f"S{width}")))
        elif column.null is None or not column.null[first]:
            fields.append((f"v{i}", FIXED_DTYPES[column.kind]))
            values.append((f"v{i}", column.values if rows is None else column.values[rows]))
    dtype = np.dtype(fields)
    template = np.zeros(1, dtype)
    template["count"] = len(columns)
    for i, column in enumerate(columns):
        if column.kind == "text":
            template[f"l{i}"] = column.values.lengths[first]
        elif column.null is not None and column.null[first]:
            template[f"l{i}"] = -1
        else:
            template[f"l{i}"] = FIXED_DTYPES[column.kind].itemsize
    block = np.empty(n, dtype)
    block.view(np.uint8).reshape(n, dtype.itemsize)[:] = template.view(np.uint8)
    for name, value in values:
        block[name] = value
    return block


def _scattered(columns: list[Column]) -> tuple[list[str], memoryview]:
    """Rows of many layouts: the non-NULL fixed-width columns form one structured array (placed first in
    every row), the other fields are scattered into place one column at a time."""
    n = len(columns[0])
    block_columns = [c for c in columns if c.fixed and c.null is None]
    rest = [c for c in columns if not (c.fixed and c.null is None)]
    order = block_columns + rest
    fields = [("count", ">i2")]
    for i, column in enumerate(block_columns):
        fields += [(f"l{i}", ">i4"), (f"v{i}", FIXED_DTYPES[column.kind])]
    block = np.empty(n, np.dtype(fields))
    block["count"] = len(order)
    for i, column in enumerate(block_columns):
        block[f"l{i}"] = FIXED_DTYPES[column.kind].itemsize
        block[f"v{i}"] = column.values
    names = [c.name for c in order]

    width = block.itemsize
    row_lengths = np.full(n, width, np.int64)
    data_lengths = []
    for column in rest:
        if column.kind == "text":
            length = column.values.lengths
        else:
            size = FIXED_DTYPES[column.kind].itemsize
            length = np.full(n, size, np.int64) if column.null is None else np.where(column.null, 0, size)
        data_lengths.append(length)
        row_lengths += 4 + length
    out = np.empty(int(row_lengths.sum()), np.uint8)
    position = _exclusive_cumsum(row_lengths)
    out[_spans(position, np.full(n, width, np.int64))] = block.view(np.uint8)
    position += width
    four = np.full(n, 4, np.int64)
    for column, length in zip(rest, data_lengths, strict=True):
        header = length.astype(">i4")
        if column.null is not None:
            header[column.null] = -1
        out[_spans(position, four)] = header.view(np.uint8)
        position += 4
        if column.kind == "text":
            out[_spans(position, length)] = column.values.flat
        else:
            values = np.asarray(column.values).astype(FIXED_DTYPES[column.kind])
            if column.null is not None:
                values = values[~column.null]
            out[_spans(position, length)] = values.view(np.uint8)
        position += length
    return names, memoryview(out)
