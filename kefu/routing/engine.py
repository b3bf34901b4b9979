"""The ACD routing engine: skill groups, agents, queues, priorities, overflow and callbacks.

Pure Python (no Django import). One engine owns the routing state of one contact centre; it is
driven by events (each a method call carrying the time ``now`` in seconds) and answers each event
with the list of decisions it took (:mod:`kefu.routing.decisions`). It is single-threaded: every
method runs to completion before the next one starts, so an assignment is atomic - the agent
and the call are bound to each other in one step and no agent ever holds two calls, no call two
agents (``invariant_violations`` checks it, the hypothesis state machine drives it).

Priority (see docs/routing.md): a queued call's score at time t is
``weight[tier] + (t - queued_at)``, in seconds. The highest score is served first, so a tier's
weight is the head start, in seconds of waiting, it has over an ordinary call; nobody starves,
because a call that has waited longer than the largest weight is ahead of every call that comes
after it. Since every call's score grows at the same rate, the order never changes while calls
wait, and each queue is a heap keyed on ``queued_at - weight[tier]``.

Agents: among the ready agents of a group the engine picks the best skill level (higher is
better) and, at that level, the one who has been ready longest. Each (group, level) keeps its ready
agents in an ordered dict in the order they became ready, so the choice costs O(levels) and an
agent's state change O(skills): nothing scans all agents or all calls.

Every accepted event is appended to ``log`` as a tuple; :func:`replay` rebuilds an engine from such
a log (also from its JSON form, :func:`event_to_dict` / :func:`event_from_dict`).
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from .decisions import Assignment, CallbackOffer, ConsultOffer, Decision, Overflowed, Queued, Refused
from .states import (
    DEFAULT_WEIGHTS,
    SERVING_STATES,
    AgentState,
    CallState,
    Tier,
    transition_refusal,
)

_LOGGED_OUT = AgentState.LOGGED_OUT
_LOGGED_IN = AgentState.LOGGED_IN
_READY = AgentState.READY
_RINGING_A = AgentState.RINGING
_TALKING = AgentState.TALKING
_WRAP_UP = AgentState.WRAP_UP
_NOT_READY = AgentState.NOT_READY
_BREAK = AgentState.BREAK

_QUEUED = CallState.QUEUED
_RINGING = CallState.RINGING
_CONNECTED = CallState.CONNECTED
_ENDED = CallState.ENDED
_ABANDONED = CallState.ABANDONED
_CALLBACK = CallState.CALLBACK

_OVERFLOW = 0
_CALLBACK_TIMER = 1

_STATE_BY_VALUE = {s.value: s for s in AgentState}


class SkillGroup:
    """A skill group (业务组) and its queue."""

    __slots__ = (
        "id",
        "overflow_to",
        "overflow_after",
        "callback_threshold",
        "aht",
        "heap",
        "live",
        "ready",
        "levels",
        "staffed",
    )

    def __init__(self, group_id: Hashable, aht: float) -> None:
        self.id = group_id
        self.overflow_to: tuple = ()
        self.overflow_after: float | None = None
        self.callback_threshold: float | None = None
        self.aht = aht  # running estimate of the handle time, for the expected wait
        self.heap: list = []  # (key, seq, epoch, call); stale entries are dropped lazily
        self.live = 0  # calls queued here now
        self.ready: dict[int, OrderedDict] = {}  # level -> ready agents, longest ready first
        self.levels: list[int] = []  # levels present, best (highest) first
        self.staffed = 0  # logged-in agents of this group in a serving state


class Agent:
    __slots__ = ("id", "state", "reason", "call", "consult", "skills", "groups", "slots")

    def __init__(self, agent_id: Hashable) -> None:
        self.id = agent_id
        self.state = _LOGGED_OUT
        self.reason: str | None = None
        self.call: Call | None = None  # the customer call the agent holds (ringing or talking)
        self.consult: Call | None = None  # the call the agent is consulted on (a consult leg, not a customer call)
        self.skills: dict = {}  # group id -> level
        self.groups: list[SkillGroup] = []
        self.slots: list[OrderedDict] = []  # the ready structures this agent sits in when ready


class Call:
    __slots__ = (
        "id",
        "group",
        "tier",
        "manager",
        "state",
        "agent",
        "served",
        "key",
        "epoch",
        "offered_at",
        "queued_at",
        "answered_at",
        "targets",
        "overflowed",
        "callback_offered",
        "consultant",
        "consult_state",
    )

    def __init__(self, call_id: Hashable, group: SkillGroup, tier: str, manager: Hashable, now: float):
        self.id = call_id
        self.group = group  # home group (the one offered to, or transferred to)
        self.tier = tier
        self.manager = manager
        self.state = _QUEUED
        self.agent: Agent | None = None
        self.served: SkillGroup | None = None
        self.key = 0.0
        self.epoch = 0
        self.offered_at = now
        self.queued_at = now
        self.answered_at: float | None = None
        self.targets: tuple = ()  # groups whose queues hold this call now
        self.overflowed = False
        self.callback_offered = False
        self.consultant: Agent | None = None  # the agent consulted while the customer is held
        self.consult_state: str | None = None  # ringing | talking | conference


class Engine:
    """See the module docstring. Public methods are the events; each returns a list of decisions."""

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        *,
        auto_answer: bool = False,
        aht_alpha: float = 0.05,
        record: bool = True,
        remember_finished: bool = True,
    ) -> None:
        merged = dict(DEFAULT_WEIGHTS)
        if weights:
            for tier, weight in weights.items():
                tier = Tier(tier).value
                weight = float(weight)
                if not math.isfinite(weight) or weight < 0:
                    raise ValueError(f"weight of {tier} must be a finite number of seconds >= 0")
                merged[tier] = weight
        if not 0 < aht_alpha <= 1:
            raise ValueError("aht_alpha must be in (0, 1]")
        self.weights = merged
        self.auto_answer = auto_answer
        self.aht_alpha = float(aht_alpha)
        self.groups: dict[Hashable, SkillGroup] = {}
        self.agents: dict[Hashable, Agent] = {}
        self.calls: dict[Hashable, Call] = {}  # live calls: queued, ringing or connected
        self.finished: dict[Hashable, CallState] = {}  # final state of finished calls
        self.remember_finished = remember_finished
        self.timers: list = []  # (due, seq, kind, epoch, call)
        self.seq = 0
        self.log: list[tuple] | None = [] if record else None
        self.counts = {s: 0 for s in CallState}  # calls that reached each final state
        if self.log is not None:
            self.log.append(("configure", 0.0, dict(merged), auto_answer, self.aht_alpha))

    # ------------------------------------------------------------------ configuration events

    def define_group(
        self,
        group_id: Hashable,
        now: float = 0.0,
        *,
        overflow_to: Sequence[Hashable] = (),
        overflow_after: float | None = None,
        callback_threshold: float | None = None,
        aht: float = 180.0,
    ) -> list[Decision]:
        """Create a skill group or change its rules (its queue and agents stay)."""
        overflow_to = tuple(overflow_to or ())
        for target in overflow_to:
            if target == group_id or target not in self.groups:
                return [_refuse("group", "unknown_group", f"overflow group {target!r} is not defined", target)]
        if overflow_to and overflow_after is None:
            return [_refuse("group", "bad_value", "an overflow group needs overflow_after", group_id)]
        for name, value in (("overflow_after", overflow_after), ("callback_threshold", callback_threshold)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                return [_refuse("group", "bad_value", f"{name} must be a number of seconds >= 0", group_id)]
        if not (math.isfinite(aht) and aht > 0):
            return [_refuse("group", "bad_value", "aht must be a number of seconds > 0", group_id)]
        group = self.groups.get(group_id)
        if group is None:
            group = self.groups[group_id] = SkillGroup(group_id, float(aht))
        else:
            group.aht = float(aht)
        group.overflow_to = tuple(self.groups[g] for g in overflow_to)
        group.overflow_after = overflow_after
        group.callback_threshold = callback_threshold
        if self.log is not None:
            self.log.append(("group", now, group_id, overflow_to, overflow_after, callback_threshold, aht))
        return []

    # ------------------------------------------------------------------ agent events

    def agent_login(self, agent_id: Hashable, skills: Mapping[Hashable, int], now: float) -> list[Decision]:
        """签入: the agent logs in with its skills (group id -> level, higher is better)."""
        agent = self.agents.get(agent_id)
        if agent is not None and agent.state is not _LOGGED_OUT:
            return [_refuse("login", "illegal_transition", "the agent is logged in already", agent_id)]
        if not skills:
            return [_refuse("login", "bad_value", "an agent needs at least one skill", agent_id)]
        for group_id, level in skills.items():
            if group_id not in self.groups:
                return [_refuse("login", "unknown_group", f"skill group {group_id!r} is not defined", group_id)]
            if type(level) is not int or level < 1:
                return [_refuse("login", "bad_value", "a skill level is a whole number >= 1", agent_id)]
        if agent is None:
            agent = self.agents[agent_id] = Agent(agent_id)
        agent.skills = dict(skills)
        agent.groups = []
        agent.slots = []
        for group_id, level in agent.skills.items():
            group = self.groups[group_id]
            ready = group.ready.get(level)
            if ready is None:
                ready = group.ready[level] = OrderedDict()
                group.levels = sorted(group.ready, reverse=True)
            agent.groups.append(group)
            agent.slots.append(ready)
        agent.state = _LOGGED_IN
        agent.reason = None
        if self.log is not None:
            self.log.append(("login", now, agent_id, dict(skills)))
        return []

    def agent_logout(self, agent_id: Hashable, now: float) -> list[Decision]:
        """签出."""
        return self.agent_state(agent_id, _LOGGED_OUT, now)

    def agent_state(
        self, agent_id: Hashable, state: AgentState | str, now: float, reason: str | None = None
    ) -> list[Decision]:
        """An agent (or a team leader for the agent) asks for a state: ready, not ready (with a
        reason), break, logged out. Illegal changes (e.g. talking -> logged out) are refused."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return [_refuse("state", "unknown_agent", "no such agent", agent_id)]
        if state.__class__ is not AgentState:
            state = _STATE_BY_VALUE.get(state)
            if state is None:
                return [_refuse("state", "bad_value", "no such agent state", agent_id)]
        refusal = transition_refusal(agent.state, state)
        if refusal is not None:
            return [_refuse("state", "illegal_transition", refusal, agent_id)]
        if state is _NOT_READY and not reason:
            return [_refuse("state", "bad_value", "not ready needs a reason", agent_id)]
        if self.log is not None:
            self.log.append(("state", now, agent_id, state.value, reason))
        agent.reason = reason if state is _NOT_READY or state is _BREAK else None
        return self._move(agent, state, now)

    # ------------------------------------------------------------------ call events

    def call_offered(
        self,
        call_id: Hashable,
        group_id: Hashable,
        now: float,
        tier: str = "ordinary",
        manager: Hashable = None,
    ) -> list[Decision]:
        """A call arrives for a skill group; ``manager`` is the agent id of a VIP's customer manager."""
        group = self.groups.get(group_id)
        if group is None:
            return [_refuse("offer", "unknown_group", f"skill group {group_id!r} is not defined", group_id)]
        if call_id in self.calls or call_id in self.finished:
            return [_refuse("offer", "duplicate_call", "a call with this id was offered already", call_id)]
        weight = self.weights.get(tier)
        if weight is None:
            try:
                tier = Tier(tier).value
            except ValueError:
                return [_refuse("offer", "bad_value", f"unknown customer tier {tier!r}", call_id)]
            weight = self.weights[tier]
        if self.log is not None:
            self.log.append(("offer", now, call_id, group_id, tier, manager))
        call = Call(call_id, group, tier, manager, now)
        call.key = now - weight
        self.calls[call_id] = call
        if manager is not None and tier != "ordinary":
            agent = self.agents.get(manager)
            if agent is not None and agent.state is _READY:
                return [self._assign(call, agent, group, now, "manager")]
        if not group.live:  # calls waiting here mean no agent of the group is ready
            for level in group.levels:
                ready = group.ready[level]
                if ready:
                    return [self._assign(call, next(iter(ready.values())), group, now, "offer")]
        return self._enqueue(call, (group,), now)

    def call_answered(self, call_id: Hashable, now: float) -> list[Decision]:
        """The agent picked up a ringing call: the agent is talking."""
        call = self.calls.get(call_id)
        if call is None or call.state is not _RINGING:
            return [self._bad_call("answer", call_id, call, "is not ringing")]
        if self.log is not None:
            self.log.append(("answer", now, call_id))
        call.state = _CONNECTED
        call.answered_at = now
        call.agent.state = _TALKING
        return []

    def call_not_answered(self, call_id: Hashable, now: float, reason: str = "no answer") -> list[Decision]:
        """Ring, no answer: the agent goes not ready and the call goes back to its place in the queue."""
        call = self.calls.get(call_id)
        if call is None or call.state is not _RINGING:
            return [self._bad_call("no_answer", call_id, call, "is not ringing")]
        if self.log is not None:
            self.log.append(("no_answer", now, call_id, reason))
        agent = call.agent
        agent.call = None
        agent.state = _NOT_READY
        agent.reason = reason
        self._staff(agent, -1)
        call.agent = None
        call.served = None
        targets = (call.group, *call.group.overflow_to) if call.overflowed else (call.group,)
        for group in targets:
            for level in group.levels:
                ready = group.ready[level]
                if ready:
                    return [self._assign(call, next(iter(ready.values())), group, now, "requeue")]
        call.state = _QUEUED
        return self._enqueue(call, targets, now)

    def call_abandoned(self, call_id: Hashable, now: float) -> list[Decision]:
        """The caller hung up before being answered (queued, or ringing at an agent)."""
        call = self.calls.get(call_id)
        if call is None or (call.state is not _QUEUED and call.state is not _RINGING):
            return [self._bad_call("abandon", call_id, call, "is not waiting")]
        if self.log is not None:
            self.log.append(("abandon", now, call_id))
        if call.state is _QUEUED:
            self._leave_queue(call)
            self._finish(call, _ABANDONED)
            return []
        agent = call.agent
        agent.call = None
        call.agent = None
        self._finish(call, _ABANDONED)
        agent.state = _RINGING_A  # leaving RINGING for READY: _move puts the agent back in the queues
        return self._move(agent, _READY, now)

    def callback_accepted(self, call_id: Hashable, now: float) -> list[Decision]:
        """The caller accepted a callback offer: the call leaves the queue (an outbound task follows)."""
        call = self.calls.get(call_id)
        if call is None or call.state is not _QUEUED:
            return [self._bad_call("callback", call_id, call, "is not queued")]
        if self.log is not None:
            self.log.append(("callback", now, call_id))
        self._leave_queue(call)
        self._finish(call, _CALLBACK)
        return []

    def call_ended(self, call_id: Hashable, now: float, wrap_up: bool = True) -> list[Decision]:
        """An answered call ended; the agent goes to wrap-up (话后), or straight to ready."""
        call = self.calls.get(call_id)
        if call is None or call.state is not _CONNECTED:
            return [self._bad_call("end", call_id, call, "is not connected")]
        if self.log is not None:
            self.log.append(("end", now, call_id, wrap_up))
        agent = call.agent
        served = call.served
        served.aht += self.aht_alpha * ((now - call.answered_at) - served.aht)
        agent.call = None
        if call.consultant is not None:  # the consulted agent is released with the call
            decisions = self._release_consultant(call, now)
            self._finish(call, _ENDED)
            if wrap_up:
                agent.state = _WRAP_UP
                return decisions
            agent.state = _TALKING
            return decisions + self._move(agent, _READY, now)
        self._finish(call, _ENDED)
        if wrap_up:
            agent.state = _WRAP_UP
            return []
        agent.state = _TALKING
        return self._move(agent, _READY, now)

    def call_transferred(
        self,
        call_id: Hashable,
        now: float,
        to_group: Hashable = None,
        to_agent: Hashable = None,
        wrap_up: bool = True,
    ) -> list[Decision]:
        """Blind transfer of a connected call to a skill group's queue or to a ready agent."""
        call = self.calls.get(call_id)
        if call is None or call.state is not _CONNECTED:
            return [self._bad_call("transfer", call_id, call, "is not connected")]
        if call.consultant is not None:
            return [_refuse("transfer", "bad_state", "a consult is in progress; complete or cancel it first", call_id)]
        if (to_group is None) == (to_agent is None):
            return [_refuse("transfer", "bad_value", "transfer to a group or to an agent", call_id)]
        target_agent = None
        if to_group is not None:
            group = self.groups.get(to_group)
            if group is None:
                return [_refuse("transfer", "unknown_group", f"skill group {to_group!r} is not defined", to_group)]
        else:
            target_agent = self.agents.get(to_agent)
            if target_agent is None:
                return [_refuse("transfer", "unknown_agent", "no such agent", to_agent)]
            if target_agent.state is not _READY:
                return [_refuse("transfer", "agent_busy", "the agent is not ready", to_agent)]
            group = call.group
        if self.log is not None:
            self.log.append(("transfer", now, call_id, to_group, to_agent, wrap_up))
        old = call.agent
        old.call = None
        call.agent = None
        call.served = None
        call.epoch += 1
        call.group = group
        call.overflowed = False
        call.queued_at = now
        call.key = now - self.weights[call.tier]
        decisions: list[Decision] = []
        if target_agent is not None:
            decisions.append(self._assign(call, target_agent, group, now, "transfer"))
        if wrap_up:
            old.state = _WRAP_UP
        else:
            old.state = _TALKING
            decisions.extend(self._move(old, _READY, now))
        if target_agent is None:
            call.state = _QUEUED
            for level in group.levels:
                ready = group.ready[level]
                if ready:
                    decisions.append(self._assign(call, next(iter(ready.values())), group, now, "offer"))
                    return decisions
            decisions.extend(self._enqueue(call, (group,), now))
        return decisions

    # ------------------------------------------------------------------ consult (warm transfer, conference)

    def consult_started(
        self, call_id: Hashable, now: float, to_group: Hashable = None, to_agent: Hashable = None
    ) -> list[Decision]:
        """The agent on a connected call consults a ready agent, or the best ready agent of a group
        (best skill level, longest ready), while the customer is held. The consulted agent is offered
        a consult leg: ringing (talking with auto-answer), holding no customer call. A consult is
        not queued: with nobody ready it is refused (``agent_busy``)."""
        call = self.calls.get(call_id)
        if call is None or call.state is not _CONNECTED:
            return [self._bad_call("consult", call_id, call, "is not connected")]
        if call.consultant is not None:
            return [_refuse("consult", "bad_state", "a consult is in progress already", call_id)]
        if (to_group is None) == (to_agent is None):
            return [_refuse("consult", "bad_value", "consult a group or an agent", call_id)]
        if to_group is not None:
            group = self.groups.get(to_group)
            if group is None:
                return [_refuse("consult", "unknown_group", f"skill group {to_group!r} is not defined", to_group)]
            target = next((next(iter(group.ready[lvl].values())) for lvl in group.levels if group.ready[lvl]), None)
            if target is None:
                return [_refuse("consult", "agent_busy", "no agent of the group is ready", to_group)]
        else:
            target = self.agents.get(to_agent)
            if target is None:
                return [_refuse("consult", "unknown_agent", "no such agent", to_agent)]
            if target.state is not _READY:
                return [_refuse("consult", "agent_busy", "the agent is not ready", to_agent)]
            group = call.group
        if self.log is not None:
            self.log.append(("consult", now, call_id, to_group, to_agent))
        target_id = target.id
        for ready in target.slots:
            del ready[target_id]
        target.consult = call
        call.consultant = target
        if self.auto_answer:
            target.state = _TALKING
            call.consult_state = "talking"
        else:
            target.state = _RINGING_A
            call.consult_state = "ringing"
        return [ConsultOffer(call.id, call.agent.id, target_id, group.id, now, self.auto_answer)]

    def consult_answered(self, call_id: Hashable, now: float) -> list[Decision]:
        """The consulted agent picked up the consult leg: the two agents talk, the customer is held."""
        call = self.calls.get(call_id)
        if call is None or call.consult_state != "ringing":
            return [self._bad_consult("consult_answer", call_id, call, "no consult leg is ringing")]
        if self.log is not None:
            self.log.append(("consult_answer", now, call_id))
        call.consult_state = "talking"
        call.consultant.state = _TALKING
        return []

    def consult_conferenced(self, call_id: Hashable, now: float) -> list[Decision]:
        """The agent joins the customer to the consult: a three-way call. The call stays the first
        agent's until the consult is completed (the agent leaves) or cancelled (the other leaves)."""
        call = self.calls.get(call_id)
        if call is None or call.consult_state != "talking":
            return [self._bad_consult("conference", call_id, call, "the consulted agent is not on the line")]
        if self.log is not None:
            self.log.append(("conference", now, call_id))
        call.consult_state = "conference"
        return []

    def consult_completed(self, call_id: Hashable, now: float, wrap_up: bool = True) -> list[Decision]:
        """Warm transfer: the call moves to the consulted agent, who talks to the customer now; the
        first agent goes to wrap-up (or ready)."""
        call = self.calls.get(call_id)
        if call is None or call.consult_state not in ("talking", "conference"):
            return [self._bad_consult("consult_complete", call_id, call, "the consulted agent is not on the line")]
        if self.log is not None:
            self.log.append(("consult_complete", now, call_id, wrap_up))
        old = call.agent
        new = call.consultant
        new.consult = None
        new.call = call
        call.agent = new
        call.consultant = None
        call.consult_state = None
        old.call = None
        if wrap_up:
            old.state = _WRAP_UP
            return []
        old.state = _TALKING
        return self._move(old, _READY, now)

    def consult_cancelled(self, call_id: Hashable, now: float, reason: str = "cancelled") -> list[Decision]:
        """The consult ends without a transfer (the first agent goes back to the customer, or the
        consulted agent declines, does not answer or leaves the conference): the consulted agent is
        ready again."""
        call = self.calls.get(call_id)
        if call is None or call.consultant is None:
            return [self._bad_consult("consult_cancel", call_id, call, "no consult is in progress")]
        if self.log is not None:
            self.log.append(("consult_cancel", now, call_id, reason))
        return self._release_consultant(call, now)

    def _release_consultant(self, call: Call, now: float) -> list[Decision]:
        consultant = call.consultant
        if consultant is None:
            return []
        consultant.consult = None
        call.consultant = None
        call.consult_state = None
        consultant.state = _TALKING  # leaving a busy state for READY: _move puts the agent back in the queues
        return self._move(consultant, _READY, now)

    def _bad_consult(self, event: str, call_id: Hashable, call: Call | None, what: str) -> Refused:
        if call is None:
            return self._bad_call(event, call_id, call, what)
        return _refuse(event, "bad_state", what, call_id)

    # ------------------------------------------------------------------ time

    def next_due(self) -> float | None:
        """When the next time-based rule (overflow, callback) may fire, or None."""
        timers = self.timers
        while timers:
            _, _, _, epoch, call = timers[0]
            if call.state is _QUEUED and call.epoch == epoch:
                return timers[0][0]
            heapq.heappop(timers)
        return None

    def tick(self, now: float) -> list[Decision]:
        """Apply the time-based rules due by ``now``: overflow and callback offers."""
        timers = self.timers
        decisions: list[Decision] = []
        logged = False
        while timers and timers[0][0] <= now:
            _, _, kind, epoch, call = heapq.heappop(timers)
            if call.state is not _QUEUED or call.epoch != epoch:
                continue
            if not logged and self.log is not None:
                self.log.append(("tick", now))
                logged = True
            if kind == _OVERFLOW:
                if not call.overflowed:
                    self._overflow(call, now, decisions)
            elif not call.callback_offered:
                call.callback_offered = True
                decisions.append(CallbackOffer(call.id, call.group.id, now, self._expected_wait(call.group)))
            if call.state is _QUEUED:
                self._arm(call)
        return decisions

    # ------------------------------------------------------------------ internals

    def _bad_call(self, event: str, call_id: Hashable, call: Call | None, what: str) -> Refused:
        if call is None:
            final = self.finished.get(call_id)
            if final is not None:
                return _refuse(event, "bad_state", f"the call is {final.value} already", call_id)
            return _refuse(event, "unknown_call", "no such call", call_id)
        return _refuse(event, "bad_state", f"the call {what} (it is {call.state.value})", call_id)

    def _assign(self, call: Call, agent: Agent, group: SkillGroup, now: float, via: str) -> Assignment:
        if agent.state is _READY:
            agent_id = agent.id
            for ready in agent.slots:
                del ready[agent_id]
        if call.state is _QUEUED and call.targets:
            self._leave_queue(call)
        call.agent = agent
        call.served = group
        agent.call = call
        if self.auto_answer:
            call.state = _CONNECTED
            call.answered_at = now
            agent.state = _TALKING
        else:
            call.state = _RINGING
            agent.state = _RINGING_A
        return Assignment(call.id, agent.id, group.id, now, now - call.queued_at, via, self.auto_answer)

    def _leave_queue(self, call: Call) -> None:
        for group in call.targets:
            group.live -= 1
        call.targets = ()

    def _finish(self, call: Call, state: CallState) -> None:
        call.state = state
        del self.calls[call.id]
        if self.remember_finished:
            self.finished[call.id] = state
        self.counts[state] += 1

    def _enqueue(self, call: Call, targets: tuple, now: float) -> list[Decision]:
        """Put a call in the queues of ``targets`` (no agent of theirs is ready) and arm its timers."""
        call.epoch += 1
        epoch = call.epoch
        call.targets = targets
        key = call.key
        for group in targets:
            self.seq += 1
            group.live += 1
            heap = group.heap
            heapq.heappush(heap, (key, self.seq, epoch, call))
            if len(heap) > 64 and len(heap) > 3 * group.live:
                group.heap = [e for e in heap if e[3].state is _QUEUED and e[2] == e[3].epoch]
                heapq.heapify(group.heap)
        home = call.group
        expected = home.live * home.aht / (home.staffed or 1)
        queued = Queued(call.id, home.id, now, expected)
        threshold = home.callback_threshold
        if threshold is not None and not call.callback_offered and expected > threshold:
            call.callback_offered = True
            self._arm(call)
            return [queued, CallbackOffer(call.id, home.id, now, expected)]
        if threshold is not None or home.overflow_after is not None:
            self._arm(call)
        return [queued]

    def _arm(self, call: Call) -> None:
        """Set the call's next timer: its overflow or its callback offer, whichever is due first.
        One timer per queued call; the next one is set when it fires."""
        home = call.group
        due = None
        if home.overflow_after is not None and not call.overflowed:
            due = call.queued_at + home.overflow_after
            kind = _OVERFLOW
        threshold = home.callback_threshold
        if threshold is not None and not call.callback_offered:
            at = call.queued_at + threshold
            if due is None or at < due:
                due = at
                kind = _CALLBACK_TIMER
        if due is not None:
            self.seq += 1
            heapq.heappush(self.timers, (due, self.seq, kind, call.epoch, call))

    def _overflow(self, call: Call, now: float, decisions: list[Decision]) -> None:
        home = call.group
        new = tuple(g for g in home.overflow_to if g not in call.targets)
        call.overflowed = True
        if not new:
            return
        decisions.append(Overflowed(call.id, home.id, tuple(g.id for g in new), now))
        for group in new:
            for level in group.levels:
                ready = group.ready[level]
                if ready:
                    decisions.append(self._assign(call, next(iter(ready.values())), group, now, "overflow"))
                    return
        epoch = call.epoch
        key = call.key
        for group in new:
            self.seq += 1
            group.live += 1
            heapq.heappush(group.heap, (key, self.seq, epoch, call))
        call.targets = call.targets + new

    def _expected_wait(self, group: SkillGroup) -> float:
        """Expected wait of a call joining the queue now: calls queued x handle time / agents."""
        return group.live * group.aht / (group.staffed or 1)

    def _staff(self, agent: Agent, delta: int) -> None:
        for group in agent.groups:
            group.staffed += delta

    def _move(self, agent: Agent, state: AgentState, now: float) -> list[Decision]:
        """Move an agent between states; an agent becoming ready takes the best waiting call."""
        old = agent.state
        if old is state:
            return []
        was_serving = old in SERVING_STATES
        if old is _READY:
            agent_id = agent.id
            for ready in agent.slots:
                del ready[agent_id]
        if state is _READY:
            best = best_group = None
            for group in agent.groups:
                heap = group.heap
                while heap:
                    entry = heap[0]
                    call = entry[3]
                    if call.state is _QUEUED and entry[2] == call.epoch:
                        if best is None or entry < best:
                            best = entry
                            best_group = group
                        break
                    heapq.heappop(heap)
            if not was_serving:
                self._staff(agent, 1)
            if best is not None:
                agent.state = _LOGGED_IN  # not in the ready lists: _assign has nothing to remove
                return [self._assign(best[3], agent, best_group, now, "queue")]
            agent.state = _READY
            agent_id = agent.id
            for ready in agent.slots:
                ready[agent_id] = agent
            return []
        agent.state = state
        if was_serving and state not in SERVING_STATES:
            self._staff(agent, -1)
        return []

    # ------------------------------------------------------------------ reading the state

    def queue(self, group_id: Hashable) -> list[Hashable]:
        """Call ids queued for a group (its own calls and overflowed ones), in the order of service."""
        group = self.groups[group_id]
        live = sorted(e for e in group.heap if e[3].state is _QUEUED and e[2] == e[3].epoch)
        return [e[3].id for e in live]

    def ready_agents(self, group_id: Hashable) -> list[Hashable]:
        """Ready agent ids of a group in the order they would be chosen."""
        group = self.groups[group_id]
        return [agent_id for level in group.levels for agent_id in group.ready[level]]

    def longest_wait(self, group_id: Hashable, now: float) -> float:
        group = self.groups[group_id]
        waits = [now - e[3].queued_at for e in group.heap if e[3].state is _QUEUED and e[2] == e[3].epoch]
        return max(waits, default=0.0)

    def expected_wait(self, group_id: Hashable) -> float:
        return self._expected_wait(self.groups[group_id])

    def agent_state_of(self, agent_id: Hashable) -> AgentState:
        return self.agents[agent_id].state

    def call_state_of(self, call_id: Hashable) -> CallState:
        call = self.calls.get(call_id)
        return call.state if call is not None else self.finished[call_id]

    def snapshot(self) -> dict[str, Any]:
        """The whole routing state as plain data (two engines in the same state give equal ones)."""
        return {
            "weights": dict(self.weights),
            "auto_answer": self.auto_answer,
            "groups": {
                g.id: {
                    "overflow_to": [x.id for x in g.overflow_to],
                    "overflow_after": g.overflow_after,
                    "callback_threshold": g.callback_threshold,
                    "aht": round(g.aht, 9),
                    "live": g.live,
                    "staffed": g.staffed,
                    "queue": self.queue(g.id),
                    "ready": {lvl: list(g.ready[lvl]) for lvl in g.levels},
                }
                for g in self.groups.values()
            },
            "agents": {
                a.id: {
                    "state": a.state.value,
                    "reason": a.reason,
                    "call": a.call.id if a.call is not None else None,
                    "consult": a.consult.id if a.consult is not None else None,
                    "skills": dict(a.skills),
                }
                for a in self.agents.values()
            },
            "calls": {
                c.id: {
                    "state": c.state.value,
                    "group": c.group.id,
                    "tier": c.tier,
                    "agent": c.agent.id if c.agent is not None else None,
                    "targets": [g.id for g in c.targets],
                    "key": c.key,
                    "queued_at": c.queued_at,
                    "overflowed": c.overflowed,
                    "callback_offered": c.callback_offered,
                    "consultant": c.consultant.id if c.consultant is not None else None,
                    "consult_state": c.consult_state,
                }
                for c in self.calls.values()
            },
            "finished": {k: v.value for k, v in self.finished.items()},
            "timers": sorted(
                (due, kind, call.id)
                for due, _, kind, epoch, call in self.timers
                if call.state is _QUEUED and call.epoch == epoch
            ),
        }

    def invariant_violations(self) -> list[str]:
        """What is wrong with the state (an empty list when all is well). For tests and debugging."""
        problems = []
        holders: dict[Hashable, Hashable] = {}
        for agent in self.agents.values():
            call = agent.call
            consult = agent.consult
            busy = agent.state is _RINGING_A or agent.state is _TALKING
            if busy != (call is not None or consult is not None):
                problems.append(f"agent {agent.id!r} is {agent.state.value} with call {call and call.id!r}")
            if consult is not None:
                if call is not None:
                    problems.append(f"agent {agent.id!r} holds call {call.id!r} while consulted on {consult.id!r}")
                if consult.consultant is not agent or consult.agent is agent:
                    problems.append(f"agent {agent.id!r} is consulted on {consult.id!r}, which does not say so")
                if self.calls.get(consult.id) is not consult or consult.state is not _CONNECTED:
                    problems.append(f"agent {agent.id!r} is consulted on a call that is not connected")
                ringing = consult.consult_state == "ringing"
                if ringing != (agent.state is _RINGING_A):
                    problems.append(f"agent {agent.id!r} is {agent.state.value} on a {consult.consult_state} consult")
            if call is not None:
                if call.agent is not agent:
                    problems.append(f"agent {agent.id!r} holds call {call.id!r} assigned to someone else")
                if call.id in holders:
                    problems.append(f"call {call.id!r} is held by {holders[call.id]!r} and {agent.id!r}")
                holders[call.id] = agent.id
                if self.calls.get(call.id) is not call:
                    problems.append(f"agent {agent.id!r} holds finished call {call.id!r}")
            in_ready = [agent.id in ready for ready in agent.slots]
            if agent.state is _READY and not all(in_ready):
                problems.append(f"ready agent {agent.id!r} is missing from a ready list")
            if agent.state is not _READY and any(in_ready):
                problems.append(f"agent {agent.id!r} is {agent.state.value} but in a ready list")
        live = dict.fromkeys(self.groups, 0)
        for call in self.calls.values():
            if call.state is _QUEUED:
                if call.agent is not None:
                    problems.append(f"queued call {call.id!r} has an agent")
                if not call.targets:
                    problems.append(f"queued call {call.id!r} is in no queue")
                for group in call.targets:
                    live[group.id] += 1
            if (call.consultant is None) != (call.consult_state is None):
                problems.append(f"call {call.id!r} has consultant {call.consultant} in state {call.consult_state}")
            if call.consultant is not None and (call.state is not _CONNECTED or call.consultant.consult is not call):
                problems.append(f"call {call.id!r} has a consult it cannot have")
            if call.state is _RINGING or call.state is _CONNECTED:
                if call.agent is None or call.agent.call is not call:
                    problems.append(f"{call.state.value} call {call.id!r} is not held by its agent")
                if call.targets:
                    problems.append(f"{call.state.value} call {call.id!r} is still in a queue")
            elif call.state is not _QUEUED:
                problems.append(f"finished call {call.id!r} is among the live calls")
            if call.id in self.finished:
                problems.append(f"call {call.id!r} is live and finished")
        for group in self.groups.values():
            if live[group.id] != group.live:
                problems.append(f"group {group.id!r} counts {group.live} queued calls, has {live[group.id]}")
            staffed = sum(1 for a in self.agents.values() if group.id in a.skills and a.state in SERVING_STATES)
            if staffed != group.staffed:
                problems.append(f"group {group.id!r} counts {group.staffed} staffed agents, has {staffed}")
            if live[group.id] and any(group.ready[level] for level in group.levels):
                problems.append(f"group {group.id!r} has ready agents while calls wait")
        return problems

    # ------------------------------------------------------------------ replay

    def apply(self, event: tuple | Mapping[str, Any]) -> list[Decision]:
        """Apply one logged event (a tuple from ``log`` or its dict form)."""
        if isinstance(event, Mapping):
            event = event_from_dict(event)
        kind, now, *args = event
        if kind == "offer":
            call_id, group_id, tier, manager = args
            return self.call_offered(call_id, group_id, now, tier, manager)
        if kind == "end":
            return self.call_ended(args[0], now, args[1])
        if kind == "state":
            agent_id, state, reason = args
            return self.agent_state(agent_id, state, now, reason)
        if kind == "answer":
            return self.call_answered(args[0], now)
        if kind == "abandon":
            return self.call_abandoned(args[0], now)
        if kind == "tick":
            return self.tick(now)
        if kind == "login":
            return self.agent_login(args[0], args[1], now)
        if kind == "no_answer":
            return self.call_not_answered(args[0], now, args[1])
        if kind == "transfer":
            call_id, to_group, to_agent, wrap_up = args
            return self.call_transferred(call_id, now, to_group, to_agent, wrap_up)
        if kind == "callback":
            return self.callback_accepted(args[0], now)
        if kind == "consult":
            call_id, to_group, to_agent = args
            return self.consult_started(call_id, now, to_group, to_agent)
        if kind == "consult_answer":
            return self.consult_answered(args[0], now)
        if kind == "conference":
            return self.consult_conferenced(args[0], now)
        if kind == "consult_complete":
            return self.consult_completed(args[0], now, args[1])
        if kind == "consult_cancel":
            return self.consult_cancelled(args[0], now, args[1])
        if kind == "group":
            group_id, overflow_to, overflow_after, callback_threshold, aht = args
            return self.define_group(
                group_id,
                now,
                overflow_to=overflow_to,
                overflow_after=overflow_after,
                callback_threshold=callback_threshold,
                aht=aht,
            )
        raise ValueError(f"unknown event kind {kind!r}")


def _refuse(event: str, code: str, reason: str, subject: Hashable = None) -> Refused:
    return Refused(event, code, reason, subject)


#: Field names of each event kind, after ``kind`` and ``t``.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "configure": ("weights", "auto_answer", "aht_alpha"),
    "group": ("group", "overflow_to", "overflow_after", "callback_threshold", "aht"),
    "login": ("agent", "skills"),
    "state": ("agent", "state", "reason"),
    "offer": ("call", "group", "tier", "manager"),
    "answer": ("call",),
    "no_answer": ("call", "reason"),
    "abandon": ("call",),
    "callback": ("call",),
    "end": ("call", "wrap_up"),
    "transfer": ("call", "to_group", "to_agent", "wrap_up"),
    "consult": ("call", "to_group", "to_agent"),
    "consult_answer": ("call",),
    "conference": ("call",),
    "consult_complete": ("call", "wrap_up"),
    "consult_cancel": ("call", "reason"),
    "tick": (),
}


def event_to_dict(event: tuple) -> dict[str, Any]:
    """A logged event as a JSON-ready dict: ``{"kind": ..., "t": ..., <fields>}``."""
    kind, now, *args = event
    data: dict[str, Any] = {"kind": kind, "t": now}
    for name, value in zip(EVENT_FIELDS[kind], args, strict=True):
        if isinstance(value, tuple):
            value = list(value)
        elif name == "skills":
            value = [[g, lvl] for g, lvl in value.items()]  # group ids need not be strings
        data[name] = value
    return data


def event_from_dict(data: Mapping[str, Any]) -> tuple:
    kind = data["kind"]
    fields = EVENT_FIELDS.get(kind)
    if fields is None:
        raise ValueError(f"unknown event kind {kind!r}")
    args = []
    for name in fields:
        value = data[name]
        if name == "skills":
            value = {g: lvl for g, lvl in value}
        elif name == "overflow_to":
            value = tuple(value)
        args.append(value)
    return (kind, data["t"], *args)


def replay(events: Iterable[tuple | Mapping[str, Any]], **options: Any) -> Engine:
    """Rebuild an engine from its event log (tuples from ``Engine.log`` or their dict form)."""
    engine: Engine | None = None
    for event in events:
        if isinstance(event, Mapping):
            event = event_from_dict(event)
        if event[0] == "configure":
            if engine is not None:
                raise ValueError("configure must be the first event of a log")
            _, _, weights, auto_answer, aht_alpha = event
            engine = Engine(weights, auto_answer=auto_answer, aht_alpha=aht_alpha, **options)
            continue
        if engine is None:
            engine = Engine(**options)
        refused = [d for d in engine.apply(event) if isinstance(d, Refused)]
        if refused:
            raise ValueError(f"event {event!r} was refused on replay: {refused[0].reason}")
    return engine if engine is not None else Engine(**options)
