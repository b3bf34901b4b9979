"""`kefu router`: the router of one contact centre as an asyncio process over Redis Streams.

The loop: read a batch of events from `kefu:cti:<centre>:in` (from the position committed with the
last batch), let the RouterCore apply them and commit (log, call records, outbox, input position:
one transaction, in the one database thread), then publish the messages: the out stream
`kefu:cti:<centre>:out` (each message once: after a restart, those already in the stream by their
`seq` are skipped), the channel layer (desktops, wallboards), the replies the web processes wait
for; then delete them from the outbox. Between batches it sleeps until the next event or the next
due timer of the engine (overflow, callback offer), and pushes a wallboard snapshot at most once a
second (also kept in `kefu:cti:<centre>:snapshot` for the web processes).

Killed at any point, it restarts from the database: the checkpoint, the events after it, the
unpublished outbox; the input stream is read on from the committed position.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor

from kefu.contact import transport
from kefu.contact.router import KEEP_CHECKPOINTS, RouterCore

log = logging.getLogger("kefu.contact.router")


class RouterService:
    def __init__(
        self,
        centre: str,
        redis_url: str,
        *,
        batch: int = 200,
        checkpoint_every: int | None = None,
        keep_checkpoints: int = KEEP_CHECKPOINTS,
    ):
        self.centre = centre
        self.redis_url = redis_url
        self.batch = batch
        self.checkpoint_every = checkpoint_every
        self.keep_checkpoints = keep_checkpoints
        self.stop = asyncio.Event()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="kefu-router-db")
        self.stream_in = transport.STREAM_IN.format(centre=centre)
        self.stream_out = transport.STREAM_OUT.format(centre=centre)
        self.snapshot_key = transport.SNAPSHOT_KEY.format(centre=centre)
        self.dirty = True
        self.last_snapshot = 0.0

    async def db(self, fn, *args):
        """Run a database call in the router's one database thread (its connection stays open)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def run(self) -> None:
        import redis.asyncio as aioredis

        self.redis = aioredis.Redis.from_url(self.redis_url, decode_responses=True)
        self.core = core = await self.db(
            lambda: RouterCore.for_code(
                self.centre, checkpoint_every=self.checkpoint_every, keep_checkpoints=self.keep_checkpoints
            )
        )
        if core.fresh:  # a new log: an out stream from an earlier one would hide our first seqs
            await self.redis.delete(self.stream_out)
        await self.publish(await self.db(core.pending), {}, after_restart=True)
        await self.publish(await self.db(core.process_safely, [(None, {"type": "config.reload"})]), {})
        log.info("router %s running (input at %s)", self.centre, core.input_position)
        while not self.stop.is_set():
            due = core.engine.next_due()
            block = 1000 if due is None else int(min(1000.0, max(1.0, (due - time.time()) * 1000)))
            response = await self.redis.xread({self.stream_in: core.input_position}, count=self.batch, block=block)
            items: list[tuple[str, dict]] = []
            replies: dict[str, list[str]] = {}
            for _stream, entries in response or []:
                for entry_id, fields in entries:
                    event = _event(fields.get("event"))
                    items.append((entry_id, event))
                    if fields.get("reply") and event.get("ref"):
                        replies.setdefault(fields["reply"], []).append(event["ref"])
            due = core.engine.next_due()
            if items or (due is not None and due <= time.time()):
                out = await self.db(core.process_safely, items)
                await self.publish(out, replies)
                await self.db(core.maybe_checkpoint)
            await self.push_snapshot()
        await self.redis.aclose()

    async def publish(self, messages: list[dict], replies: dict[str, list[str]], after_restart: bool = False) -> None:
        if after_restart and messages:
            last = await self.redis.xrevrange(self.stream_out, count=1)
            published = int(last[0][1]["seq"]) if last else 0
            fresh = [m for m in messages if m["seq"] > published]
            log.info("router %s: %s messages to publish after the restart", self.centre, len(fresh))
        else:
            fresh = messages
        if fresh:
            async with self.redis.pipeline(transaction=False) as pipe:
                for m in fresh:
                    pipe.xadd(
                        self.stream_out,
                        {"seq": str(m["seq"]), "message": json.dumps(m, ensure_ascii=False)},
                        maxlen=transport.OUT_MAXLEN,
                        approximate=True,
                    )
                await pipe.execute()
            await transport.send_to_channels(transport.channel_sends(fresh))
            self.dirty = True
        if replies:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, refs in replies.items():
                    wanted = set(refs)
                    pipe.rpush(key, json.dumps([m for m in messages if m.get("ref") in wanted], ensure_ascii=False))
                    pipe.expire(key, 60)
                await pipe.execute()
        if messages:
            await self.db(self.core.published, messages[-1]["seq"])

    async def push_snapshot(self) -> None:
        if not self.dirty or time.monotonic() - self.last_snapshot < 1.0:
            return
        snapshot = await self.db(self.core.snapshot)
        await self.redis.set(self.snapshot_key, json.dumps(snapshot, ensure_ascii=False), ex=3600)
        payload = {"type": "cti.snapshot", "snapshot": snapshot}
        await transport.send_to_channels([(transport.wallboard_group(self.centre), payload)])
        self.dirty = False
        self.last_snapshot = time.monotonic()

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)


def _event(raw: str | None) -> dict:
    """An event from the input stream (web processes validated and enriched it); unreadable: refused."""
    try:
        event = json.loads(raw or "")
    except ValueError:
        return {"type": "invalid"}
    return event if isinstance(event, dict) and isinstance(event.get("type"), str) else {"type": "invalid"}


async def serve(centre: str, redis_url: str, **options) -> None:
    service = RouterService(centre, redis_url, **options)
    service.install_signals()
    await service.run()
