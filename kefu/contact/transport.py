"""How CTI events reach the router and how its messages go out.

Two modes (setting `KEFU_ROUTER`, from the environment; default `redis` when `REDIS_URL` is set):

- `embedded` (the default without Redis): the router runs inside the web process (`Hub`), one
  `RouterCore` per centre behind a lock; a submitted event is processed at once and the caller gets
  the messages it caused. Messages go to the desktops through the in-memory channel layer. One web
  process only: `kefu serve` runs one worker in this mode.
- `redis` (production): `kefu router --centre CODE` (kefu.contact.service) runs the engine in its own
  asyncio process. Web processes append events to the Redis stream `kefu:cti:<centre>:in` and wait
  briefly for the reply; the router publishes its messages to the stream `kefu:cti:<centre>:out`
  (each with its `seq`) for switch adapters, and to the Redis channel layer for the desktops and
  wallboards of every web worker.

Channel-layer groups (names are ASCII): `cc.<centre>.agent.<code>` (one agent's desktop),
`cc.<centre>.wallboard`, `cc.<centre>.cti` (every message, for WebSocket adapters).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode

log = logging.getLogger("kefu.contact.transport")

STREAM_IN = "kefu:cti:{centre}:in"
STREAM_OUT = "kefu:cti:{centre}:out"
SNAPSHOT_KEY = "kefu:cti:{centre}:snapshot"
REPLY_KEY = "kefu:cti:reply:{token}"
OUT_MAXLEN = 100_000


def mode() -> str:
    return getattr(settings, "KEFU_ROUTER", "embedded")


def agent_group(centre: str, agent: str) -> str:
    return f"cc.{centre}.agent.{agent}"


def wallboard_group(centre: str) -> str:
    return f"cc.{centre}.wallboard"


def cti_group(centre: str) -> str:
    return f"cc.{centre}.cti"


def channel_sends(messages: Iterable[dict]) -> list[tuple[str, dict]]:
    """(group, channel message) pairs for the router's messages: every message to the centre's CTI
    group, a message about an agent to that agent's desktop (a consult's to both agents), agent states
    to the wallboard."""
    sends = []
    for m in messages:
        centre = m["centre"]
        payload = {"type": "cti.message", "message": m}
        sends.append((cti_group(centre), payload))
        if m.get("agent"):
            sends.append((agent_group(centre, m["agent"]), payload))
        if m.get("to_agent") and m["type"] == "call.transferred":
            sends.append((agent_group(centre, m["to_agent"]), payload))
        if m.get("consultant") and m["consultant"] != m.get("agent"):  # both desks of a consult
            sends.append((agent_group(centre, m["consultant"]), payload))
        if m["type"] in ("agent.state", "call.assigned", "call.queued", "call.abandoned", "call.ended"):
            sends.append((wallboard_group(centre), payload))
    return sends


async def send_to_channels(sends: list[tuple[str, dict]]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    for group, payload in sends:
        try:
            await layer.group_send(group, payload)
        except Exception:  # a desktop that misses a message catches up from the snapshot on reconnect
            log.exception("channel layer send to %s failed", group)


# ---------------------------------------------------------------------------------------- embedded


class Hub:
    """The embedded router of this process: one RouterCore per centre, processed under one lock.

    Consumers attach the server's event loop (the in-memory channel layer lives on it); messages are
    sent to the channel layer on that loop. A timer thread (setting `KEFU_ROUTER_TIMER`) fires the
    engine's time rules (overflow, callback offers) and pushes wallboard snapshots."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.routers: dict[str, object] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.dirty: set[str] = set()

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def router(self, centre: str):
        from kefu.contact.router import RouterCore

        with self.lock:
            core = self.routers.get(centre)
            if core is None:
                core = self.routers[centre] = RouterCore.for_code(centre)
                self._publish(core, core.pending())  # committed before a restart, not yet published
                self._publish(core, core.process_safely([(None, {"type": "config.reload"})]))
            return core

    def submit(self, centre: str, events: list[dict]) -> list[dict]:
        with self.lock:
            core = self.router(centre)
            out = core.process_safely([(None, e) for e in events])
            self._publish(core, out)
            core.maybe_checkpoint()
        self._start_timer()
        self.wake.set()
        return out

    def snapshot(self, centre: str) -> dict:
        with self.lock:
            return self.router(centre).snapshot()

    def reset(self) -> None:
        """Forget the routers (tests; a process that re-reads the database)."""
        with self.lock:
            self.routers.clear()
            self.dirty.clear()

    def _publish(self, core, out: list[dict]) -> None:
        if not out:
            return
        self.dirty.add(core.code)
        sends = channel_sends(out)
        loop = self.loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(send_to_channels(sends), loop)
        core.published(out[-1]["seq"])

    def _start_timer(self) -> None:
        if self.thread is not None or not getattr(settings, "KEFU_ROUTER_TIMER", True):
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._timer, name="kefu-router-timer", daemon=True)
                self.thread.start()

    def _timer(self) -> None:
        while True:
            with self.lock:
                dues = [core.engine.next_due() for core in self.routers.values()]
            dues = [d for d in dues if d is not None]
            wait = min([max(0.0, min(dues) - time.time()), 1.0]) if dues else 1.0
            self.wake.wait(wait)
            self.wake.clear()
            try:
                self._tick()
            except Exception:
                log.exception("embedded router timer")
            finally:
                close_old_connections()

    def _tick(self) -> None:
        now = time.time()
        with self.lock:
            for code, core in list(self.routers.items()):
                due = core.engine.next_due()
                if due is not None and due <= now:
                    self._publish(core, core.process_safely([], now))
                if code in self.dirty:
                    self.dirty.discard(code)
                    snapshot = core.snapshot(now)
                    loop = self.loop
                    if loop is not None and loop.is_running():
                        payload = {"type": "cti.snapshot", "snapshot": snapshot}
                        asyncio.run_coroutine_threadsafe(send_to_channels([(wallboard_group(code), payload)]), loop)


hub = Hub()


# ---------------------------------------------------------------------------------------- redis

_redis_client = None


def redis_client():
    """This process's (sync) Redis client."""
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    return _redis_client


def submit_redis(centre: str, events: list[dict], wait: float | None = None) -> list[dict] | None:
    """Append the events to the router's input stream and wait up to `wait` seconds for the messages
    they caused. None when the router did not answer in time (the events stay queued for it)."""
    client = redis_client()
    token = uuid.uuid4().hex
    for event in events:
        event.setdefault("ref", uuid.uuid4().hex)
    reply = REPLY_KEY.format(token=token)
    with client.pipeline(transaction=False) as pipe:
        for event in events:
            pipe.xadd(STREAM_IN.format(centre=centre), {"event": json.dumps(event, ensure_ascii=False), "reply": reply})
        pipe.execute()
    wait = getattr(settings, "KEFU_CTI_REPLY_SECONDS", 3.0) if wait is None else wait
    answered = client.blpop([reply], timeout=wait) if wait > 0 else None
    if answered is None:
        return None
    return json.loads(answered[1])


def snapshot_redis(centre: str) -> dict | None:
    raw = redis_client().get(SNAPSHOT_KEY.format(centre=centre))
    return json.loads(raw) if raw else None


# ---------------------------------------------------------------------------------------- either


def submit(centre: str, events: list[dict], wait: float | None = None) -> list[dict] | None:
    """Send events to the centre's router; the messages they caused (None: not answered within `wait`)."""
    if mode() == "redis":
        return submit_redis(centre, events, wait)
    return hub.submit(centre, events)


def snapshot(centre: str) -> dict:
    if mode() == "redis":
        data = snapshot_redis(centre)
        if data is None:
            raise DomainError(ErrorCode.CONFLICT, _("The router of this contact centre is not running."))
        return data
    return hub.snapshot(centre)
