"""A checkpoint (through JSON) restores an engine that decides exactly as the original from then on."""

from __future__ import annotations

import json
import random

import pytest

from kefu.routing import checkpoint
from kefu.routing.decisions import decision_to_dict
from kefu.routing.engine import Engine
from kefu.routing.states import AgentState

GROUPS = ["g0", "g1", "g2"]
AGENTS = [f"a{i}" for i in range(6)]
TIERS = ["ordinary", "high_value", "silver", "gold", "diamond"]


def _engine() -> Engine:
    engine = Engine({"gold": 80.0, "diamond": 100.0})
    engine.define_group("g2", callback_threshold=45.0)
    engine.define_group("g1", aht=60.0)
    engine.define_group("g0", overflow_to=["g1"], overflow_after=30.0, callback_threshold=90.0)
    return engine


def _random_event(rng: random.Random, engine: Engine, now: float, counter: list[int]):
    """One plausible event (some of them refused: that is part of the test)."""
    roll = rng.random()
    calls = sorted(engine.calls, key=str)
    if roll < 0.2:
        counter[0] += 1
        manager = rng.choice(AGENTS) if rng.random() < 0.2 else None
        return ("call_offered", f"c{counter[0]}", rng.choice(GROUPS), now, rng.choice(TIERS), manager)
    if roll < 0.45:
        agent = rng.choice(AGENTS)
        if engine.agents.get(agent) is None or engine.agent_state_of(agent) is AgentState.LOGGED_OUT:
            skills = {g: rng.randint(1, 3) for g in rng.sample(GROUPS, rng.randint(1, 3))}
            return ("agent_login", agent, skills, now)
        state = rng.choice(["ready"] * 6 + ["not_ready", "break", "logged_out"])
        return ("agent_state", agent, state, now, "meeting" if state == "not_ready" else None)
    if not calls:
        return ("tick", now)
    by_state: dict[str, list] = {}
    for call_id in calls:
        by_state.setdefault(engine.call_state_of(call_id).value, []).append(call_id)

    def pick(state: str):
        # mostly a call in the state the event expects; now and then any call (refused)
        return rng.choice(by_state.get(state) or calls) if rng.random() < 0.9 else rng.choice(calls)

    if roll < 0.55:
        return ("call_answered", pick("ringing"), now)
    if roll < 0.72:
        return ("call_ended", pick("connected"), now, rng.random() < 0.5)
    if roll < 0.76:
        return ("call_abandoned", pick("queued"), now)
    if roll < 0.8:
        return ("call_not_answered", pick("ringing"), now, "no answer")
    if roll < 0.84:
        return ("callback_accepted", pick("queued"), now)
    if 0.92 <= roll < 0.96:  # consults: offered, answered, conferenced, completed, cancelled
        call = pick("connected")
        consult = engine.calls[call].consult_state if call in engine.calls else None
        if consult is None:
            if rng.random() < 0.5:
                return ("consult_started", call, now, rng.choice(GROUPS), None)
            return ("consult_started", call, now, None, rng.choice(AGENTS))
        step = rng.random()
        if consult == "ringing" and step < 0.7:
            return ("consult_answered", call, now)
        if consult == "talking" and step < 0.3:
            return ("consult_conferenced", call, now)
        if step < 0.75:
            return ("consult_completed", call, now, rng.random() < 0.5)
        return ("consult_cancelled", call, now, "back to the customer")
    if roll < 0.92:
        call = pick("connected")
        if rng.random() < 0.5:
            return ("call_transferred", call, now, rng.choice(GROUPS), None, rng.random() < 0.5)
        return ("call_transferred", call, now, None, rng.choice(AGENTS), rng.random() < 0.5)
    return ("tick", now)


def _apply(engine: Engine, event: tuple) -> list[dict]:
    method, *args = event
    return [decision_to_dict(d) for d in getattr(engine, method)(*args)]


@pytest.mark.parametrize("seed", range(8))
def test_a_restored_engine_decides_like_the_original(seed):
    rng = random.Random(seed)
    original = _engine()
    original.auto_answer = seed % 2 == 0
    counter = [0]
    now = 0.0
    restored = None
    cut = rng.randint(50, 250)
    for step in range(400):
        now += rng.expovariate(1 / 4.0)
        event = _random_event(rng, original, now, counter)
        if step == cut:
            data = json.loads(json.dumps(checkpoint.dump(original)))
            restored = checkpoint.load(data)
            assert restored.snapshot() == original.snapshot()
        expected = _apply(original, event)
        if restored is not None:
            assert _apply(restored, event) == expected, (step, event)
            assert restored.snapshot() == original.snapshot()
            assert restored.next_due() == original.next_due()
    assert restored is not None and not restored.invariant_violations()


def test_the_weights_change_only_with_an_empty_queue():
    engine = _engine()
    engine.agent_login("a0", {"g0": 1}, 0.0)
    engine.call_offered("c1", "g0", 1.0, "gold")
    with pytest.raises(ValueError, match="no call is queued"):
        checkpoint.load(checkpoint.dump(engine), weights={"gold": 10.0})
    engine.callback_accepted("c1", 2.0)
    changed = checkpoint.load(checkpoint.dump(engine), weights={"gold": 10.0})
    assert changed.weights["gold"] == 10.0
    assert checkpoint.load(checkpoint.dump(engine, forget_finished=True)).finished == {}
