"""The long-lived threads in which `kefu serve` runs synchronous code: HTTP requests and the WebSockets'
database calls.

Every Kefu view, service and most middleware are synchronous. asgiref's `sync_to_async` — what Django's
ASGI handler and Channels' `database_sync_to_async` use — runs each call in a copy of the caller's context,
so Django's per-thread state, its database connections included, lives and dies with one call: a
connection per request, or a pool handing one over at each request's start and taking it back at its
end. That hand-over was about 5 % of a screen pop's CPU (docs/performance.md). Each thread of a small pool
keeps one context for its whole life, as the threads of a threaded WSGI server do: its connection stays
open from one request to the next (Django's `CONN_MAX_AGE` and its checks at each request's start and end
still decide when to drop it), so a worker process holds at most one connection per thread.

Code running here that calls `async_to_sync` (a channel-layer send) still runs the coroutine on the
server's event loop, as it would under `sync_to_async`.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from asgiref.sync import SyncToAsync
from django.db import close_old_connections

DEFAULT_THREADS = 4

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_thread = threading.local()


def size() -> int:
    """Threads per process: `kefu serve --threads`, passed on as ASGI_THREADS."""
    return int(os.environ.get("ASGI_THREADS") or DEFAULT_THREADS)


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=size(), thread_name_prefix="kefu-sync")
    return _executor


def run(fn: Callable[..., T], *args) -> asyncio.Future[T]:
    """Await `fn(*args)` run in one of the process's synchronous threads, in that thread's own context."""
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(_pool(), _in_thread_context, loop, fn, args)


async def database_call(fn: Callable[..., T], *args) -> T:
    """`run` for a WebSocket's database work: old or broken connections are dropped before and after, as
    Channels' `database_sync_to_async` does and as Django does around each HTTP request."""
    return await run(_between_connection_checks, fn, args)


def _between_connection_checks(fn, args):
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


def _in_thread_context(loop: asyncio.AbstractEventLoop, fn, args):
    context = getattr(_thread, "context", None)
    if context is None:
        context = _thread.context = contextvars.Context()
    # async_to_sync in this thread sends its coroutine to the loop that is waiting for this call
    SyncToAsync.threadlocal.main_event_loop = loop
    SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
    return context.run(fn, *args)
