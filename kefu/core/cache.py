"""A small per-process cache with a time to live, for reference data read on every request
(parameters, permissions of a role, the regions of a data scope). Each process may lag a change by
at most `ttl` seconds; `clear_all()` drops every cache at once (tests, and after a change in this process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_registry: list[TTLCache] = []


class TTLCache:
    def __init__(self, ttl: float, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _registry.append(self)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def clear_all() -> None:
    for cache in _registry:
        cache.clear()
