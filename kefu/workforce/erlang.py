"""Erlang C staffing and the calls forecast per half-hour. Pure Python + numpy, no Django import.

Notation: ``calls`` offered in an interval of ``interval`` seconds, average handle time ``aht``
(seconds), traffic ``A = calls * aht / interval`` (Erlangs), ``n`` agents.

- Erlang B by the recurrence ``B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1))``: no factorial, no
  power, every step between 0 and 1, so it neither overflows nor loses precision for thousands of
  agents.
- Erlang C (probability that a call waits): ``C = n B / (n - A (1 - B))`` for ``n > A``, 1 otherwise.
- Service level (share answered within ``t`` seconds): ``SL = 1 - C exp(-(n - A) t / aht)``.
- Average speed of answer: ``ASA = C aht / (n - A)``. Occupancy: ``A / n``.
- Agents required: the smallest ``n`` with ``SL >= target`` and ``A / n <= max_occupancy``.

Every function takes scalars or numpy arrays (broadcast together) and answers in kind, so the
staffing of 48 intervals x 200 queues is one call.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np

INTERVAL = 1800.0


def traffic(calls, aht, interval: float = INTERVAL):
    """Offered traffic in Erlangs."""
    return (
        np.asarray(calls, dtype=float) * np.asarray(aht, dtype=float) / interval
        if _any_array(calls, aht)
        else float(calls) * float(aht) / interval
    )


def erlang_b(a, n):
    """Blocking probability of ``n`` servers offered ``a`` Erlangs (by the stable recurrence)."""
    if not _any_array(a, n):
        a, n = float(a), int(n)
        b = 1.0
        for k in range(1, n + 1):
            ab = a * b
            b = ab / (k + ab)
        return b
    a, n = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(n, dtype=np.int64))
    b = np.ones(a.shape)
    top = int(n.max(initial=0))
    for k in range(1, top + 1):
        ab = a * b
        b = np.where(k <= n, ab / (k + ab), b)
    return b


def erlang_c(a, n):
    """Probability that a call waits (Erlang C); 1 when the agents cannot keep up (n <= a)."""
    b = erlang_b(a, n)
    if not _any_array(a, n):
        a, n = float(a), int(n)
        return 1.0 if n <= a else n * b / (n - a * (1.0 - b))
    a, n = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(n, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    return np.where(n > a, c, 1.0)


def service_level(a, n, aht, target_time: float = 20.0):
    """Share of calls answered within ``target_time`` seconds."""
    c = erlang_c(a, n)
    if not _any_array(a, n, aht):
        a, n = float(a), int(n)
        return 0.0 if n <= a else 1.0 - c * math.exp(-(n - a) * target_time / float(aht))
    a, n, aht = np.broadcast_arrays(np.asarray(a, float), np.asarray(n, float), np.asarray(aht, float))
    return np.where(n > a, 1.0 - c * np.exp(-np.maximum(n - a, 0.0) * target_time / aht), 0.0)


def average_speed_of_answer(a, n, aht):
    """Mean wait of all calls, seconds (infinite when n <= a)."""
    c = erlang_c(a, n)
    if not _any_array(a, n, aht):
        a, n = float(a), int(n)
        return math.inf if n <= a else c * float(aht) / (n - a)
    a, n, aht = np.broadcast_arrays(np.asarray(a, float), np.asarray(n, float), np.asarray(aht, float))
    with np.errstate(divide="ignore"):
        return np.where(n > a, c * aht / np.maximum(n - a, 1e-300), np.inf)


def occupancy(a, n):
    """Share of the agents' time on calls: a / n (at most 1)."""
    if not _any_array(a, n):
        return min(1.0, float(a) / int(n)) if int(n) > 0 else 0.0
    a, n = np.broadcast_arrays(np.asarray(a, float), np.asarray(n, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.minimum(1.0, a / n), 0.0)


def agents_required(
    calls,
    aht,
    interval: float = INTERVAL,
    target_sl: float = 0.8,
    target_time: float = 20.0,
    max_occupancy: float = 0.85,
):
    """Fewest agents that answer ``target_sl`` of the calls within ``target_time`` seconds with an
    occupancy of at most ``max_occupancy``. Scalars give an int, arrays an int array."""
    if not 0 < target_sl < 1:
        raise ValueError("target_sl must be between 0 and 1")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be in (0, 1]")
    scalar = not _any_array(calls, aht)
    calls, aht = np.broadcast_arrays(np.asarray(calls, dtype=float), np.asarray(aht, dtype=float))
    if (calls < 0).any() or (aht <= 0).any() or not np.isfinite(calls).all() or not np.isfinite(aht).all():
        raise ValueError("calls must be >= 0 and aht > 0")
    a = calls * aht / interval
    # start where both the stability (n > a) and the occupancy cap hold; the small slack keeps a
    # ratio that is a whole number in theory (8.5 / 0.85) from being rounded up by float error
    n = np.maximum(np.floor(a) + 1, np.ceil(a / max_occupancy - 1e-9)).astype(np.int64)
    n = np.where(a > 0, n, 0)
    b = erlang_b(a, n)
    while True:
        with np.errstate(divide="ignore", invalid="ignore"):
            c = n * b / (n - a * (1.0 - b))
            sl = 1.0 - c * np.exp(-(n - a) * target_time / aht)
        short = (a > 0) & (sl < target_sl)
        if not short.any():
            break
        n = np.where(short, n + 1, n)
        ab = a * b
        with np.errstate(divide="ignore", invalid="ignore"):
            b = np.where(short, ab / (n + ab), b)
    return int(n) if scalar else n


def staffing(
    calls,
    aht,
    interval: float = INTERVAL,
    target_sl: float = 0.8,
    target_time: float = 20.0,
    max_occupancy: float = 0.85,
) -> dict[str, np.ndarray]:
    """Agents required per interval with what they achieve: service level, ASA, occupancy, P(wait)."""
    n = np.asarray(agents_required(calls, aht, interval, target_sl, target_time, max_occupancy))
    calls, aht = np.broadcast_arrays(np.asarray(calls, dtype=float), np.asarray(aht, dtype=float))
    a = calls * aht / interval
    served = n > 0
    nn = np.where(served, n, 1)
    return {
        "agents": n,
        "traffic": a,
        "service_level": np.where(served, service_level(a, nn, aht, target_time), 1.0),
        "asa": np.where(served, average_speed_of_answer(a, nn, aht), 0.0),
        "occupancy": np.where(served, occupancy(a, nn), 0.0),
        "wait_probability": np.where(served, erlang_c(a, nn), 0.0),
    }


# ---------------------------------------------------------------------------------------- forecast


def default_weights(weeks: int) -> np.ndarray:
    """Weights of the same weekday 1, 2, ... ``weeks`` weeks back: linearly decreasing,
    ``w_k = (weeks - k + 1) / sum``; for 4 weeks 0.4, 0.3, 0.2, 0.1."""
    w = np.arange(weeks, 0, -1, dtype=float)
    return w / w.sum()


def weekday_forecast(
    history: Mapping[dt.date, Sequence[float]],
    day: dt.date,
    weeks: int = 4,
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    """Calls per interval for ``day`` from the same weekday and interval of the recent weeks.

    ``history`` maps a date to its calls per interval (48 half-hours, or any fixed count). The
    forecast is the weighted mean of ``day - 7``, ``day - 14``, ... ``day - 7 * weeks``; weeks
    missing from the history are left out and the remaining weights scaled to add up to 1.
    """
    w = np.asarray(default_weights(weeks) if weights is None else weights, dtype=float)
    if w.shape != (weeks,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights: {weeks} numbers >= 0, not all 0")
    rows, used = [], []
    for k in range(1, weeks + 1):
        past = history.get(day - dt.timedelta(days=7 * k))
        if past is not None:
            rows.append(np.asarray(past, dtype=float))
            used.append(w[k - 1])
    if not rows or sum(used) <= 0:
        raise ValueError(f"no history for the {weeks} weeks before {day.isoformat()}")
    if len({r.shape for r in rows}) != 1:
        raise ValueError("every day of the history needs the same number of intervals")
    used_w = np.asarray(used) / sum(used)
    return np.tensordot(used_w, np.stack(rows), axes=1)


def weighted_forecast(history: np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """Vectorised form: ``history[k, ...]`` is the same weekday ``k + 1`` weeks back (any trailing
    shape, e.g. queues x intervals); NaN marks a missing week, left out per cell."""
    history = np.asarray(history, dtype=float)
    weeks = history.shape[0]
    w = np.asarray(default_weights(weeks) if weights is None else weights, dtype=float)
    w = w.reshape((weeks,) + (1,) * (history.ndim - 1))
    present = ~np.isnan(history)
    total = (np.where(present, w, 0.0)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, history * w, 0.0).sum(axis=0) / total


def _any_array(*values) -> bool:
    return any(isinstance(v, (np.ndarray, list, tuple)) for v in values)
