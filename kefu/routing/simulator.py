"""A discrete-event simulator of a contact centre that drives the routing engine.

Pure Python (no Django import). The event list is a heap of (time, sequence, kind, subject); each
event calls the engine as a switch would (offer, end, abandon, agent state changes, tick) and
acts on the engine's decisions. The model (see docs/routing.md):

- arrivals per skill group: a Poisson process whose rate is constant within each interval of a
  daily profile (calls per interval, 48 half-hours by default, repeated day after day), drawn
  exactly by inverting the integrated rate;
- handle time per group: exponential, lognormal or fixed; optional wrap-up time;
- patience per group (optional): a caller still queued when it runs out hangs up (abandons);
- callback offers: a caller who is offered a callback accepts with the group's probability;
- agents work shifts with breaks; an agent busy when a break or the shift's end comes takes it
  after the call (through wrap-up, so the engine never hands them another call first).

Calls are auto-answered (the agent is talking when assigned). The run is deterministic for a seed:
each random stream (arrivals, handle times, patience, tiers, callbacks) is seeded from the seed
and the stream's name. The output is one :class:`CallRecord` per offered call.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .decisions import Assignment, CallbackOffer
from .engine import Engine
from .states import AgentState

INTERVAL = 1800.0  # seconds in one interval of a daily profile
DAY = 86400.0


class Exponential:
    __slots__ = ("mean",)

    def __init__(self, mean: float) -> None:
        if not mean > 0:
            raise ValueError("the mean must be > 0")
        self.mean = float(mean)

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean)


class LogNormal:
    """Lognormal with the given mean and standard deviation (of the variable, not of its log)."""

    __slots__ = ("mean", "sd", "mu", "sigma")

    def __init__(self, mean: float, sd: float) -> None:
        if not (mean > 0 and sd > 0):
            raise ValueError("mean and sd must be > 0")
        self.mean, self.sd = float(mean), float(sd)
        self.sigma = math.sqrt(math.log(1.0 + (sd / mean) ** 2))
        self.mu = math.log(mean) - self.sigma**2 / 2

    def sample(self, rng: random.Random) -> float:
        return rng.lognormvariate(self.mu, self.sigma)


class Fixed:
    __slots__ = ("mean",)

    def __init__(self, value: float) -> None:
        if value < 0:
            raise ValueError("the value must be >= 0")
        self.mean = float(value)

    def sample(self, rng: random.Random) -> float:
        return self.mean


Distribution = Exponential | LogNormal | Fixed


@dataclass
class GroupModel:
    """One skill group: its traffic and its routing rules."""

    id: str
    profile: Sequence[float]  # calls per interval, repeated (one value: a constant rate)
    handle: Distribution
    patience: Distribution | None = None  # None: nobody abandons
    wrap_up: Distribution | None = None  # None: straight back to ready
    tiers: Mapping[str, float] = field(default_factory=lambda: {"ordinary": 1.0})
    callback_accept: float = 0.0  # probability that a caller accepts a callback offer
    overflow_to: Sequence[str] = ()
    overflow_after: float | None = None
    callback_threshold: float | None = None


@dataclass
class AgentModel:
    id: str
    skills: Mapping[str, int]
    shifts: Sequence[tuple[float, float]] = ((0.0, math.inf),)  # seconds from the start
    breaks: Sequence[tuple[float, float]] = ()  # (start, length in seconds)


@dataclass(slots=True)
class CallRecord:
    call_id: int
    group: str  # the group it was offered to
    tier: str
    offered_at: float
    queue: str | None = None  # the group whose agent answered
    answered_at: float | None = None
    abandoned_at: float | None = None
    ended_at: float | None = None
    agent: str | None = None
    outcome: str = "waiting"  # answered | abandoned | callback | waiting (still queued at the end)

    @property
    def wait(self) -> float | None:
        """Seconds from offer to answer, or to hanging up."""
        if self.answered_at is not None:
            return self.answered_at - self.offered_at
        if self.abandoned_at is not None:
            return self.abandoned_at - self.offered_at
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SimulationResult:
    records: list[CallRecord]
    engine: Engine
    duration: float

    def service_level(self, threshold: float = 20.0, since: float = 0.0, group: str | None = None) -> float:
        """Share of the calls offered (from ``since`` on) answered within ``threshold`` seconds;
        abandoned calls count as missed, calls still waiting at the end are left out."""
        answered = total = 0
        for r in self.records:
            if r.offered_at < since or (group is not None and r.group != group) or r.outcome == "waiting":
                continue
            total += 1
            if r.answered_at is not None and r.answered_at - r.offered_at <= threshold:
                answered += 1
        return answered / total if total else math.nan


# event kinds, in the order they are handled at the same instant
_END, _WRAP, _AGENT, _ABANDON, _ARRIVAL, _TICK = range(6)
_LOGIN, _LOGOUT, _BREAK, _BACK = range(4)


class Simulator:
    def __init__(
        self,
        groups: Sequence[GroupModel],
        agents: Sequence[AgentModel],
        *,
        seed: int = 1,
        interval: float = INTERVAL,
        weights: Mapping[str, float] | None = None,
        record_events: bool = False,
    ) -> None:
        self.groups = {g.id: g for g in groups}
        self.agents = {a.id: a for a in agents}
        self.interval = float(interval)
        self.engine = Engine(weights, auto_answer=True, record=record_events, remember_finished=False)
        for g in groups:  # first the groups, then their rules: overflow targets must exist
            self.engine.define_group(g.id, aht=g.handle.mean)
        for g in groups:
            refused = self.engine.define_group(
                g.id,
                overflow_to=tuple(g.overflow_to),
                overflow_after=g.overflow_after,
                callback_threshold=g.callback_threshold,
                aht=g.handle.mean,
            )
            if refused:
                raise ValueError(refused[0].reason)
        self.rng = {
            name: random.Random(f"{seed}:{name}") for name in ("handle", "patience", "tier", "callback", "wrap")
        }
        self.arrival_rng = {g.id: random.Random(f"{seed}:arrivals:{g.id}") for g in groups}
        self.tier_choice = {g.id: (list(g.tiers), list(_cumulative(g.tiers.values()))) for g in groups}

    def _next_arrival(self, group: GroupModel, t: float, until: float) -> float:
        """Next arrival after t of a Poisson process with a piecewise-constant rate."""
        need = self.arrival_rng[group.id].expovariate(1.0)  # unit-rate exponential to spend
        profile, n, width = group.profile, len(group.profile), self.interval
        while t < until:
            index = int(t // width)
            end = (index + 1) * width
            rate = profile[index % n] / width
            if rate > 0:
                if need <= rate * (end - t):
                    return t + need / rate
                need -= rate * (end - t)
            t = end
        return math.inf

    def run(self, duration: float) -> SimulationResult:
        engine = self.engine
        events: list = []
        push, pop = heapq.heappush, heapq.heappop
        self.counter = counter = itertools.count()
        for g in self.groups.values():
            first = self._next_arrival(g, 0.0, duration)
            if first < duration:
                push(events, (first, _ARRIVAL, next(counter), g))
        pending: dict[str, tuple[int, float]] = {}  # agent -> (what to do after the call, break length)
        for a in self.agents.values():
            for start, end in a.shifts:
                push(events, (start, _AGENT, next(counter), (_LOGIN, a)))
                if end < duration:
                    push(events, (end, _AGENT, next(counter), (_LOGOUT, a)))
            for start, length in a.breaks:
                push(events, (start, _AGENT, next(counter), (_BREAK, a, length)))

        records: list[CallRecord] = []
        handle_rng, patience_rng = self.rng["handle"], self.rng["patience"]
        tier_rng, callback_rng, wrap_rng = self.rng["tier"], self.rng["callback"], self.rng["wrap"]
        groups = self.groups
        next_tick = math.inf
        # only groups with an overflow or callback rule need the engine's clock
        timed = any(g.overflow_after is not None or g.callback_threshold is not None for g in groups.values())

        def act(decisions: list, now: float) -> None:
            for d in decisions:
                if d.__class__ is Assignment:
                    record = records[d.call]
                    record.answered_at = now
                    record.agent = d.agent
                    record.queue = d.group
                    record.outcome = "answered"
                    handle = groups[record.group].handle.sample(handle_rng)
                    push(events, (now + handle, _END, next(counter), d.call))
                elif d.__class__ is CallbackOffer:
                    g = groups[d.group]
                    if g.callback_accept > 0 and callback_rng.random() < g.callback_accept:
                        engine.callback_accepted(d.call, now)
                        records[d.call].outcome = "callback"
                        records[d.call].ended_at = now

        def after_call(agent_id: str, now: float) -> None:
            """An agent just finished a call (and any wrap-up): a pending break or logout now."""
            todo = pending.pop(agent_id, None)
            if todo is None:
                act(engine.agent_state(agent_id, AgentState.READY, now), now)
            elif todo[0] == _LOGOUT:
                engine.agent_logout(agent_id, now)
            else:
                engine.agent_state(agent_id, AgentState.BREAK, now, "break")
                push(events, (now + todo[1], _AGENT, next(counter), (_BACK, self.agents[agent_id])))

        while events:
            now, kind, _, subject = pop(events)
            if now >= duration:
                break
            if kind == _ARRIVAL:
                g = subject
                call_id = len(records)
                names, cumulative = self.tier_choice[g.id]
                tier = names[0] if len(names) == 1 else _pick(names, cumulative, tier_rng.random())
                records.append(CallRecord(call_id, g.id, tier, now))
                decisions = engine.call_offered(call_id, g.id, now, tier)
                first = decisions[0]
                if first.__class__ is Assignment and len(decisions) == 1:  # the common case, inline
                    record = records[call_id]
                    record.answered_at = now
                    record.agent = first.agent
                    record.queue = first.group
                    record.outcome = "answered"
                    push(events, (now + g.handle.sample(handle_rng), _END, next(counter), call_id))
                else:
                    if g.patience is not None and first.__class__ is not Assignment:
                        push(events, (now + g.patience.sample(patience_rng), _ABANDON, next(counter), call_id))
                    act(decisions, now)
                following = self._next_arrival(g, now, duration)
                if following < duration:
                    push(events, (following, _ARRIVAL, next(counter), g))
            elif kind == _END:
                call_id = subject
                record = records[call_id]
                record.ended_at = now
                agent_id = record.agent
                wrap = groups[record.group].wrap_up
                if wrap is not None:
                    engine.call_ended(call_id, now, wrap_up=True)
                    push(events, (now + wrap.sample(wrap_rng), _WRAP, next(counter), agent_id))
                elif agent_id in pending:
                    engine.call_ended(call_id, now, wrap_up=True)
                    after_call(agent_id, now)
                else:
                    decisions = engine.call_ended(call_id, now, wrap_up=False)
                    if decisions:
                        act(decisions, now)
            elif kind == _ABANDON:
                record = records[subject]
                if record.outcome == "waiting":
                    engine.call_abandoned(subject, now)
                    record.abandoned_at = now
                    record.outcome = "abandoned"
            elif kind == _WRAP:
                after_call(subject, now)
            elif kind == _AGENT:
                self._agent_event(subject, now, pending, act, events, duration)
            elif kind == _TICK:
                next_tick = math.inf
                act(engine.tick(now), now)
            if timed:
                due = engine.next_due()
                if due is not None and due < next_tick:
                    next_tick = due
                    push(events, (due, _TICK, next(counter), None))
        return SimulationResult(records, engine, duration)

    def _agent_event(self, subject: tuple, now: float, pending: dict, act, events: list, duration: float) -> None:
        engine = self.engine
        what, agent = subject[0], subject[1]
        state = engine.agents[agent.id].state if agent.id in engine.agents else AgentState.LOGGED_OUT
        busy = state is AgentState.TALKING or state is AgentState.WRAP_UP
        if what == _LOGIN:
            if pending.get(agent.id, (None,))[0] == _LOGOUT:
                del pending[agent.id]  # still on the last call of a shift that ended: stays on
            if state is AgentState.LOGGED_OUT:
                engine.agent_login(agent.id, agent.skills, now)
                act(engine.agent_state(agent.id, AgentState.READY, now), now)
        elif what == _LOGOUT:
            if busy:
                pending[agent.id] = (_LOGOUT, 0.0)
            elif state is not AgentState.LOGGED_OUT:
                engine.agent_logout(agent.id, now)
        elif what == _BREAK:
            length = subject[2]
            if busy:
                pending.setdefault(agent.id, (_BREAK, length))
            elif state is AgentState.READY or state is AgentState.NOT_READY:
                engine.agent_state(agent.id, AgentState.BREAK, now, "break")
                heapq.heappush(events, (now + length, _AGENT, next(self.counter), (_BACK, agent)))
        elif what == _BACK:
            if state is AgentState.BREAK:
                act(engine.agent_state(agent.id, AgentState.READY, now), now)


def simulate(
    groups: Sequence[GroupModel],
    agents: Sequence[AgentModel],
    duration: float,
    *,
    seed: int = 1,
    interval: float = INTERVAL,
    weights: Mapping[str, float] | None = None,
    record_events: bool = False,
) -> SimulationResult:
    """Run the model for ``duration`` seconds; see the module docstring."""
    sim = Simulator(groups, agents, seed=seed, interval=interval, weights=weights, record_events=record_events)
    return sim.run(duration)


def _cumulative(values) -> list[float]:
    total = 0.0
    out = []
    values = list(values)
    whole = sum(values)
    if whole <= 0:
        raise ValueError("tier shares must add up to more than 0")
    for v in values:
        total += v / whole
        out.append(total)
    out[-1] = 1.0
    return out


def _pick(names: list[str], cumulative: list[float], u: float) -> str:
    for name, edge in zip(names, cumulative, strict=True):
        if u < edge:
            return name
    return names[-1]
