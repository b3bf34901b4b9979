"""The background worker (`kefu worker`): fires due timers and runs the other registered jobs.

Timers are rows with a due time, so nothing is lost while the worker is stopped: on start it fires
every timer that fell due meanwhile, each exactly once. On PostgreSQL several workers may run side by
side: each claims due timers with `SELECT … FOR UPDATE SKIP LOCKED`, fires them and marks them fired
in the same transaction. On SQLite a write transaction is the single-writer lock (the database runs
in IMMEDIATE mode) and a process lock keeps this process's threads in line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection, transaction

from kefu.workorders import clock
from kefu.workorders.models import Timer, WorkOrder

logger = logging.getLogger("kefu.workorders.worker")

MAX_ATTEMPTS = 5
_sqlite_lock = threading.Lock()


class _SingleWriter:
    """On SQLite, one pass at a time per process (the database itself serialises processes)."""

    def __enter__(self):
        if connection.vendor == "sqlite":
            _sqlite_lock.acquire()

    def __exit__(self, *exc):
        if connection.vendor == "sqlite":
            _sqlite_lock.release()


def fire_due_timers(now=None, batch: int = 200) -> int:
    """Fire every timer due at `now` (default: the clock); returns how many fired.

    A pass locks up to `batch` orders that have due timers (skipping orders locked by someone else —
    a user's request or another worker) and fires all their due timers in that transaction. Orders
    are locked before their timers, the same order the services use, so workers and requests never
    deadlock, and all timers of one order are fired by one worker.
    """
    from kefu.workorders.services import fire_timer

    now = now or clock.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    fired = 0
    while True:
        with _SingleWriter(), transaction.atomic():
            due = Timer.objects.filter(fired_at__isnull=True, paused_hours__isnull=True, due_at__lte=now)
            orders = WorkOrder.objects.filter(pk__in=due.values("order_id")).order_by("pk")
            if skip_locked:
                orders = orders.select_for_update(skip_locked=True)
            order_ids = list(orders.values_list("pk", flat=True)[:batch])
            if not order_ids:
                return fired
            for timer in due.filter(order_id__in=order_ids).order_by("due_at", "id"):
                try:
                    with transaction.atomic():
                        done = fire_timer(timer, now)
                except Exception as exc:  # one bad timer must not stop the others
                    logger.exception("timer %s failed", timer.pk)
                    timer.attempts += 1
                    timer.last_error = f"{type(exc).__name__}: {exc}"[:300]
                    if timer.attempts >= MAX_ATTEMPTS:
                        timer.fired_at = now  # given up: kept with its error for the operators
                    timer.save(update_fields=["attempts", "last_error", "fired_at"])
                    continue
                if done:
                    timer.fired_at = now
                    timer.attempts += 1
                    timer.save(update_fields=["fired_at", "attempts"])
                    fired += 1
        if len(order_ids) < batch:
            return fired


# Jobs run on every pass, in order; other areas append theirs (each takes `now` and returns a count).
def _deliver_events(now=None) -> int:
    from kefu.workorders.events import deliver_outbox

    return deliver_outbox(now)


JOBS: list[tuple[str, Callable]] = [("timers", fire_due_timers), ("events", _deliver_events)]


def run_once(now=None) -> dict[str, int]:
    results = {}
    for name, job in JOBS:
        try:
            results[name] = job(now)
        except Exception:
            logger.exception("job %s failed", name)
            results[name] = -1
    return results


def run_forever(interval: float = 5.0, stop: threading.Event | None = None, passes: int | None = None) -> None:
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        close_old_connections()
        started = time.monotonic()
        results = run_once()
        if any(results.values()):
            logger.info("worker pass: %s", results)
        done += 1
        if passes is not None and done >= passes:
            break
        stop.wait(max(interval - (time.monotonic() - started), 0.0))
    close_old_connections()
