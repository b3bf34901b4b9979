"""`kefu router` as a real process over Redis Streams, killed (SIGKILL) in the middle of a stream of
events and restarted: no call lost, none assigned twice, every message published once, and the
state rebuilt from checkpoint + log equal to that of an engine that was never interrupted."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import uuid

import pytest

from kefu.routing.decisions import Assignment
from kefu.routing.engine import Engine
from tests.contact import live

pytestmark = pytest.mark.django_db(transaction=True)

AGENTS = 12


def _script(seed: int, group: str, n_calls: int) -> tuple[list[dict], Engine, list[tuple[str, str]]]:
    """A plausible stream of CTI events (agents log in and get ready, calls come and end), checked
    on a reference engine that is never interrupted; its assignments in order."""
    rng = random.Random(seed)
    engine = Engine(auto_answer=True)
    engine.define_group(group, 0.0)
    events: list[dict] = []
    assignments: list[tuple[str, str]] = []
    t = 0.0

    def apply(event: dict, decisions: list) -> None:
        assert not [d for d in decisions if d.kind == "refused"], (event, decisions)
        events.append(event)
        assignments.extend((d.call, d.agent) for d in decisions if isinstance(d, Assignment))

    for i in range(AGENTS):
        t += 1
        agent = f"a{i:02d}"
        apply({"type": "agent.login", "agent": agent}, engine.agent_login(agent, {group: 1}, t))
        apply({"type": "agent.state", "agent": agent, "state": "ready"}, engine.agent_state(agent, "ready", t))
    offered = 0
    while offered < n_calls or engine.calls:
        t += 1
        connected = sorted(c for c, call in engine.calls.items() if call.state.value == "connected")
        if offered < n_calls and (rng.random() < 0.55 or not connected):
            offered += 1
            call = f"k{offered:04d}"
            apply({"type": "call.offered", "call": call, "group": group}, engine.call_offered(call, group, t))
        elif connected:
            call = rng.choice(connected)
            apply({"type": "call.ended", "call": call, "wrap_up": False}, engine.call_ended(call, t, wrap_up=False))
    return events, engine, assignments


def _out(redis, stream: str) -> list[dict]:
    return [json.loads(fields["message"]) for _id, fields in redis.xrange(stream)]


def test_a_router_killed_mid_stream_loses_no_call_and_assigns_none_twice(server_db, tmp_path):
    redis = live.redis_or_skip()
    code = f"crash-{uuid.uuid4().hex[:8]}"
    streams = (f"kefu:cti:{code}:in", f"kefu:cti:{code}:out", f"kefu:cti:{code}:snapshot")
    centre = live.seed(server_db, "seed_centre", code, AGENTS, True)
    events, reference, expected = _script(7, centre["group"], n_calls=150)
    assert len(expected) == 150 and len(events) > 300

    env = live.child_env(server_db, REDIS_URL=live.REDIS_URL, KEFU_ROUTER="redis")
    command = [live.PYTHON, "-m", "kefu", "router", "--centre", code, "--checkpoint-every", "40", "--batch", "7"]
    logs = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"router{len(logs)}.log", "w+")  # noqa: SIM115 - read after the process ends
        logs.append(log)
        return subprocess.Popen(command, env=env, cwd=live.ROOT, stdout=log, stderr=subprocess.STDOUT)

    def assigned() -> int:
        return sum(1 for m in _out(redis, streams[1]) if m["type"] == "call.assigned")

    try:
        first_half = len(events) * 2 // 3
        for event in events[:first_half]:
            redis.xadd(streams[0], {"event": json.dumps(event)})
        router = start()
        live.wait_for(lambda: assigned() >= 40, timeout=60, what="the first assignments")
        router.send_signal(signal.SIGKILL)  # in the middle of the stream: events are still waiting
        router.wait(timeout=10)
        assert assigned() < sum(1 for _ in expected), "the router was killed too late to prove anything"

        for event in events[first_half:]:  # the switch goes on sending while the router is down
            redis.xadd(streams[0], {"event": json.dumps(event)})
        router = start()
        live.wait_for(lambda: assigned() >= len(expected), timeout=120, what="every call assigned")
        live.wait_for(
            lambda: live.seed(server_db, "router_counts", code)["log_seq"] >= len(events) + 2,
            timeout=60,
            what="every event logged",
        )
        router.send_signal(signal.SIGTERM)
        assert router.wait(timeout=20) == 0

        messages = _out(redis, streams[1])
        # every message published exactly once, in order, with no gap
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        assert not [m for m in messages if m["type"] == "event.refused"]
        # the same assignments, in the same order, as an engine that was never interrupted
        got = [(m["call"], m["agent"]) for m in messages if m["type"] == "call.assigned"]
        assert got == expected
        assert len({call for call, _agent in got}) == len(got)

        counts = live.seed(server_db, "router_counts", code)
        assert counts["log_seq"] == len(events) + 2  # + configure + group
        # the log was pruned after the checkpoints: only the events after the oldest kept one are left
        assert 1 <= counts["checkpoints"] <= 3
        assert counts["oldest_checkpoint"] > 0 and counts["first_event"] == counts["oldest_checkpoint"] + 1
        assert counts["events"] == counts["log_seq"] - counts["oldest_checkpoint"]
        assert counts["contacts"] == 150 and counts["open_contacts_per_agent"] <= 1
        restart_log = (tmp_path / "router1.log").read_text()
        assert "checkpoint at 0," not in restart_log, restart_log  # the restart began at a checkpoint

        state = live.seed(server_db, "router_state", code)
        snapshot = reference.snapshot()
        assert state["agents"] == {a: [s["state"], s["call"]] for a, s in snapshot["agents"].items()}
        assert state["calls"] == {} == snapshot["calls"]
    finally:
        for log in logs:
            log.close()
        redis.delete(*streams)


class _FakeCore:
    def __init__(self):
        self.published_upto = 0

    def published(self, seq: int) -> None:
        self.published_upto = seq


def test_after_a_restart_messages_already_in_the_out_stream_are_not_published_again():
    """The window between publishing and deleting from the outbox: a restarted router finds the
    messages in its outbox again, and skips those the stream already has (by seq)."""
    import asyncio

    from kefu.contact.service import RouterService

    redis = live.redis_or_skip()
    code = f"dedupe-{uuid.uuid4().hex[:8]}"
    messages = [{"type": "agent.state", "seq": n, "centre": code, "agent": "a1", "state": "ready"} for n in range(1, 6)]

    async def scenario():
        service = RouterService(code, live.REDIS_URL)
        import redis.asyncio as aioredis

        service.redis = aioredis.Redis.from_url(live.REDIS_URL, decode_responses=True)
        service.core = _FakeCore()
        await service.publish(messages[:3], {})  # published, then the router dies before the outbox is cleared
        await service.publish(messages, {}, after_restart=True)
        await service.redis.aclose()
        return service.core.published_upto

    try:
        assert asyncio.run(scenario()) == 5
        assert [m["seq"] for m in _out(redis, f"kefu:cti:{code}:out")] == [1, 2, 3, 4, 5]
    finally:
        redis.delete(f"kefu:cti:{code}:out")
