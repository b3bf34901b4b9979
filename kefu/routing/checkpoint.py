"""Checkpoints of the routing engine: its whole state as JSON-ready data, and back.

Pure Python (no Django import). The router service writes a checkpoint now and then, so that a
restart loads the last checkpoint and replays only the events logged after it instead of the whole
log since the first day (:func:`kefu.routing.engine.replay` does the same from an empty engine).

``dump(engine)`` keeps everything that decides what the engine does next: the weights, every group
(rules, handle-time estimate, the live entries of its queue with their keys and sequence numbers,
its ready agents per level in the order they became ready), every agent (state, reason, skills in
login order, call), every live call, the final state of finished calls, the timers and the sequence
counter. Stale queue entries and timers (of calls that left the queue) are left out: the engine
drops them lazily anyway, so a restored engine decides exactly as the original would
(``tests/routing/test_checkpoint.py`` checks it on random event sequences). ``load(data)`` builds
the engine back; its ``log`` starts empty.

Ids (calls, agents, groups) must be JSON values: the router uses strings.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from .engine import Agent, Call, Engine, SkillGroup
from .states import AgentState, CallState

FORMAT = 1


def _live(call: Call, epoch: int) -> bool:
    return call.state is CallState.QUEUED and call.epoch == epoch


def dump(engine: Engine, *, forget_finished: bool = False) -> dict[str, Any]:
    """The engine's state as JSON-ready data. ``forget_finished`` leaves out the finished calls
    (then a late event for one of them is refused as ``unknown_call`` instead of ``bad_state``)."""
    groups = []
    for g in engine.groups.values():
        groups.append(
            {
                "id": g.id,
                "overflow_to": [x.id for x in g.overflow_to],
                "overflow_after": g.overflow_after,
                "callback_threshold": g.callback_threshold,
                "aht": g.aht,
                "heap": sorted([key, seq, epoch, call.id] for key, seq, epoch, call in g.heap if _live(call, epoch)),
                "live": g.live,
                "ready": [[level, list(agents)] for level, agents in g.ready.items()],
                "staffed": g.staffed,
            }
        )
    agents = [
        {
            "id": a.id,
            "state": a.state.value,
            "reason": a.reason,
            "call": a.call.id if a.call is not None else None,
            "consult": a.consult.id if a.consult is not None else None,
            "skills": [[group, level] for group, level in a.skills.items()],
        }
        for a in engine.agents.values()
    ]
    calls = [
        {
            "id": c.id,
            "group": c.group.id,
            "tier": c.tier,
            "manager": c.manager,
            "state": c.state.value,
            "agent": c.agent.id if c.agent is not None else None,
            "served": c.served.id if c.served is not None else None,
            "key": c.key,
            "epoch": c.epoch,
            "offered_at": c.offered_at,
            "queued_at": c.queued_at,
            "answered_at": c.answered_at,
            "targets": [t.id for t in c.targets],
            "overflowed": c.overflowed,
            "callback_offered": c.callback_offered,
            "consultant": c.consultant.id if c.consultant is not None else None,
            "consult_state": c.consult_state,
        }
        for c in engine.calls.values()
    ]
    return {
        "format": FORMAT,
        "weights": dict(engine.weights),
        "auto_answer": engine.auto_answer,
        "aht_alpha": engine.aht_alpha,
        "remember_finished": engine.remember_finished,
        "seq": engine.seq,
        "counts": {state.value: n for state, n in engine.counts.items()},
        "groups": groups,
        "agents": agents,
        "calls": calls,
        "finished": [] if forget_finished else [[k, v.value] for k, v in engine.finished.items()],
        "timers": sorted(
            [due, seq, kind, epoch, call.id] for due, seq, kind, epoch, call in engine.timers if _live(call, epoch)
        ),
    }


def load(data: Mapping[str, Any], *, weights: Mapping[str, float] | None = None) -> Engine:
    """An engine in the state ``data`` describes (from :func:`dump`, possibly through JSON).

    ``weights`` replaces the tier weights; only allowed when no call is queued, because the queue
    keys were computed with the old ones."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown checkpoint format {data.get('format')!r}")
    engine = Engine(
        data["weights"] if weights is None else weights,
        auto_answer=data["auto_answer"],
        aht_alpha=data["aht_alpha"],
        remember_finished=data["remember_finished"],
    )
    engine.log = []
    if weights is not None and any(c["state"] == CallState.QUEUED.value for c in data["calls"]):
        raise ValueError("the weights change only while no call is queued")
    engine.seq = data["seq"]
    engine.counts = {CallState(k): v for k, v in data["counts"].items()}
    groups: dict[Hashable, SkillGroup] = {}
    for g in data["groups"]:
        group = SkillGroup(g["id"], g["aht"])
        group.overflow_after = g["overflow_after"]
        group.callback_threshold = g["callback_threshold"]
        group.live = g["live"]
        group.staffed = g["staffed"]
        group.ready = {level: OrderedDict() for level, _ in g["ready"]}
        group.levels = sorted(group.ready, reverse=True)
        groups[group.id] = group
    for g in data["groups"]:
        groups[g["id"]].overflow_to = tuple(groups[x] for x in g["overflow_to"])
    engine.groups = groups
    agents: dict[Hashable, Agent] = {}
    for a in data["agents"]:
        agent = Agent(a["id"])
        agent.state = AgentState(a["state"])
        agent.reason = a["reason"]
        agent.skills = {group: level for group, level in a["skills"]}
        agent.groups = [groups[group] for group in agent.skills]
        agent.slots = [groups[group].ready[level] for group, level in agent.skills.items()]
        agents[agent.id] = agent
    engine.agents = agents
    calls: dict[Hashable, Call] = {}
    for c in data["calls"]:
        call = Call(c["id"], groups[c["group"]], c["tier"], c["manager"], c["offered_at"])
        call.state = CallState(c["state"])
        call.agent = agents[c["agent"]] if c["agent"] is not None else None
        call.served = groups[c["served"]] if c["served"] is not None else None
        call.key = c["key"]
        call.epoch = c["epoch"]
        call.queued_at = c["queued_at"]
        call.answered_at = c["answered_at"]
        call.targets = tuple(groups[t] for t in c["targets"])
        call.overflowed = c["overflowed"]
        call.callback_offered = c["callback_offered"]
        call.consultant = agents[c["consultant"]] if c.get("consultant") is not None else None
        call.consult_state = c.get("consult_state")
        calls[call.id] = call
    engine.calls = calls
    for a in data["agents"]:
        if a["call"] is not None:
            agents[a["id"]].call = calls[a["call"]]
        if a.get("consult") is not None:
            agents[a["id"]].consult = calls[a["consult"]]
    for g in data["groups"]:
        group = groups[g["id"]]
        for level, ids in g["ready"]:
            ready = group.ready[level]
            for agent_id in ids:
                ready[agent_id] = agents[agent_id]
        group.heap = [(key, seq, epoch, calls[call_id]) for key, seq, epoch, call_id in g["heap"]]
        heapq.heapify(group.heap)
    engine.timers = [(due, seq, kind, epoch, calls[call_id]) for due, seq, kind, epoch, call_id in data["timers"]]
    heapq.heapify(engine.timers)
    engine.finished = {k: CallState(v) for k, v in data["finished"]}
    return engine
