"""Random event sequences against the routing engine, checked after every step.

A model beside the engine follows every call and agent from the events sent and the decisions
returned, and checks: no agent holds two calls and no call two agents; every offered call is exactly
one of queued / ringing / connected / ended / abandoned / called back; no ready agent idles while a
call of one of its groups waits; calls are taken in priority order (tier weight + waiting time);
an offered call goes to the best-skilled, longest-ready agent (or to a ready customer manager);
refusals match the table of legal agent state changes; and replaying the event log (also through
JSON) rebuilds the same state. Consults (warm transfer, conference): a consulted agent is offered a
consult leg, which is not a customer call - the agent holds no call meanwhile, is consulted on one
call at most, is never the call's own agent, and a completed consult moves the call to it.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kefu.routing.decisions import Assignment, CallbackOffer, ConsultOffer, Overflowed, Queued, Refused
from kefu.routing.engine import Engine, event_to_dict, replay
from kefu.routing.states import AGENT_TRANSITIONS, AgentState, CallState

GROUPS = ["g0", "g1", "g2"]
AGENTS = ["a0", "a1", "a2", "a3", "a4"]
TIERS = ["ordinary", "high_value", "silver", "gold", "diamond"]
WEIGHTS = {"diamond": 100.0, "gold": 80.0, "silver": 60.0, "high_value": 40.0, "ordinary": 0.0}
LIVE = {"queued", "ringing", "connected"}


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(WEIGHTS)
        self.engine.define_group("g2", callback_threshold=45.0)
        self.engine.define_group("g1", aht=60.0)
        self.engine.define_group("g0", overflow_to=["g1"], overflow_after=30.0, callback_threshold=90.0)
        self.now = 0.0
        self.step = 0
        self.calls: dict[int, dict] = {}  # model: status, tier, key, targets, home, agent
        self.holding: dict[str, int] = {}  # agent -> call, from the decisions
        self.consulted: dict[str, int] = {}  # agent -> call it is consulted on (a consult leg)
        self.skills: dict[str, dict[str, int]] = {}
        self.ready_since: dict[str, int] = {}
        self.next_call = 0

    # ------------------------------------------------------------------ helpers

    def live(self, status: str) -> list[int]:
        return sorted(c for c, m in self.calls.items() if m["status"] == status)

    def pick(self, status: str, index: int) -> int | None:
        calls = self.live(status)
        return calls[index % len(calls)] if calls else None

    def ready_now(self) -> set[str]:
        return {a for a in self.engine.agents if self.engine.agent_state_of(a) is AgentState.READY}

    def process(self, decisions: list, kind: str) -> None:
        """Check each decision against the model as it stood before the event, then apply it."""
        ready_before = self.ready_now_before
        taken_agents: set[str] = set()
        for d in decisions:
            assert not isinstance(d, Refused), d
            if isinstance(d, Queued):
                model = self.calls[d.call]
                assert model["status"] in ("queued", "offered", "ringing", "connected")
                model["status"] = "queued"
                model["targets"] = {d.group} | model["extra"]
                model["agent"] = None
            elif isinstance(d, Overflowed):
                model = self.calls[d.call]
                assert model["status"] == "queued"
                assert d.from_group == "g0" and d.to_groups == ("g1",)
                model["targets"] |= set(d.to_groups)
                model["extra"] |= set(d.to_groups)
            elif isinstance(d, CallbackOffer):
                model = self.calls[d.call]
                assert model["status"] == "queued"
                assert not model["callback_offered"], "a callback is offered once"
                model["callback_offered"] = True
            elif isinstance(d, ConsultOffer):
                model = self.calls[d.call]
                assert model["status"] == "connected" and model["consultant"] is None
                assert d.from_agent == model["agent"] != d.agent
                assert d.agent not in self.holding, f"agent {d.agent} holds a call and is consulted"
                assert d.agent not in self.consulted, f"agent {d.agent} would be consulted twice"
                assert d.agent in ready_before
                if d.group != model["home"] or model.get("consult_to_group"):
                    candidates = [a for a in ready_before if d.group in self.skills[a]]
                    best = max(candidates, key=lambda a: (self.skills[a][d.group], -self.ready_since[a]))
                    assert d.agent == best, f"{d.agent} consulted, {best} is better skilled or ready longer"
                self.consulted[d.agent] = d.call
                model["consultant"] = d.agent
                model["consult_state"] = "ringing"
            elif isinstance(d, Assignment):
                model = self.calls[d.call]
                assert d.agent not in self.holding, f"agent {d.agent} would hold two calls"
                assert d.agent not in self.consulted, f"agent {d.agent} is on a consult leg"
                assert model["agent"] is None, f"call {d.call} would have two agents"
                assert model["status"] in ("queued", "offered", "ringing", "connected"), model
                if d.via in ("offer", "overflow", "requeue"):
                    candidates = [a for a in ready_before - taken_agents if d.group in self.skills[a]]
                    assert d.agent in candidates, (d, candidates)
                    best = max(candidates, key=lambda a: (self.skills[a][d.group], -self.ready_since[a]))
                    assert d.agent == best, f"{d.agent} chosen, {best} is better skilled or ready longer"
                    event(f"agent chosen among {min(len(candidates), 3)}")
                elif d.via == "queue":
                    served = set(self.skills[d.agent])
                    waiting = [
                        c
                        for c, m in self.calls.items()
                        if m["status"] == "queued" and m["targets"] & served and c not in self.taken_calls
                    ]
                    assert d.call in waiting
                    best_key = min(self.calls[c]["key"] for c in waiting)
                    assert model["key"] == best_key, "a call with a higher priority was waiting"
                    event(f"call chosen among {min(len(waiting), 3)}")
                elif d.via == "manager":
                    assert model["manager"] == d.agent and model["tier"] != "ordinary"
                    assert d.agent in ready_before
                else:
                    assert d.via == "transfer"
                taken_agents.add(d.agent)
                self.taken_calls.add(d.call)
                self.holding[d.agent] = d.call
                model["status"] = "ringing"
                model["agent"] = d.agent
                model["targets"] = set()

    def send(self, kind: str, method, *args, becomes_ready: str | None = None, **kwargs) -> list:
        """Send an event; ``becomes_ready`` is an agent the event itself makes ready before routing."""
        self.ready_now_before = self.ready_now()
        if becomes_ready is not None:
            self.ready_now_before.add(becomes_ready)
            self.ready_since[becomes_ready] = self.step + 0.5  # the most recently ready
        self.taken_calls: set[int] = set()
        decisions = method(*args, **kwargs)
        self.process(decisions, kind)
        return decisions

    # ------------------------------------------------------------------ rules

    @initialize(
        skills=st.lists(
            st.dictionaries(st.sampled_from(GROUPS), st.integers(1, 2), min_size=1, max_size=3),
            min_size=len(AGENTS),
            max_size=len(AGENTS),
        ),
        ready=st.lists(st.booleans(), min_size=len(AGENTS), max_size=len(AGENTS)),
    )
    def staff_the_centre(self, skills: list[dict[str, int]], ready: list[bool]) -> None:
        for agent, agent_skills, is_ready in zip(AGENTS, skills, ready, strict=True):
            self.login(agent, agent_skills)
            if is_ready:
                self.send("state", self.engine.agent_state, agent, AgentState.READY, self.now)
                self.after_every_step()

    @rule(dt=st.sampled_from([0.0, 0.5, 3.0, 20.0, 35.0, 50.0]))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.send("tick", self.engine.tick, self.now)

    @rule(
        agent=st.sampled_from(AGENTS),
        skills=st.dictionaries(st.sampled_from(GROUPS), st.integers(1, 2), min_size=1, max_size=3),
    )
    def login(self, agent: str, skills: dict[str, int]) -> None:
        known = agent in self.engine.agents
        before = self.engine.agent_state_of(agent) if known else AgentState.LOGGED_OUT
        decisions = self.engine.agent_login(agent, skills, self.now)
        if before is AgentState.LOGGED_OUT:
            assert decisions == []
            self.skills[agent] = dict(skills)
        else:
            assert len(decisions) == 1 and decisions[0].code == "illegal_transition"

    @rule(
        agent=st.sampled_from(AGENTS),
        state=st.sampled_from(
            [AgentState.READY, AgentState.NOT_READY, AgentState.BREAK, AgentState.LOGGED_OUT, AgentState.TALKING]
        ),
    )
    def change_state(self, agent: str, state: AgentState) -> None:
        if agent not in self.engine.agents:
            refused = self.engine.agent_state(agent, state, self.now)
            assert refused[0].code == "unknown_agent"
            return
        before = self.engine.agent_state_of(agent)
        reason = "meeting" if state is AgentState.NOT_READY else None
        if state not in AGENT_TRANSITIONS[before]:
            decisions = self.engine.agent_state(agent, state, self.now, reason)
            assert len(decisions) == 1 and decisions[0].code == "illegal_transition"
            assert self.engine.agent_state_of(agent) is before
            return
        self.send("state", self.engine.agent_state, agent, state, self.now, reason)

    @rule(
        group=st.sampled_from(GROUPS),
        tier=st.sampled_from(TIERS),
        manager=st.one_of(st.none(), st.sampled_from(AGENTS)),
    )
    def offer(self, group: str, tier: str, manager: str | None) -> None:
        call = self.next_call
        self.next_call += 1
        manager_ready = manager is not None and manager in self.ready_now()
        self.calls[call] = {
            "status": "offered",
            "tier": tier,
            "key": self.now - WEIGHTS[tier],
            "targets": set(),
            "home": group,
            "agent": None,
            "manager": manager,
            "callback_offered": False,
            "extra": set(),
            "consultant": None,
            "consult_state": None,
        }
        decisions = self.send("offer", self.engine.call_offered, call, group, self.now, tier, manager)
        if manager_ready and tier != "ordinary":
            assert decisions[0].via == "manager"
        assert self.calls[call]["status"] in ("queued", "ringing")

    @rule(calls=st.lists(st.tuples(st.sampled_from(GROUPS), st.sampled_from(TIERS)), min_size=2, max_size=5))
    def rush(self, calls: list[tuple[str, str]]) -> None:
        for group, tier in calls:
            self.offer(group, tier, None)
            self.after_every_step()

    @precondition(lambda self: self.live("ringing"))
    @rule(index=st.integers(0, 50))
    def answer(self, index: int) -> None:
        call = self.pick("ringing", index)
        self.send("answer", self.engine.call_answered, call, self.now)
        self.calls[call]["status"] = "connected"

    @precondition(lambda self: self.live("ringing"))
    @rule(index=st.integers(0, 50))
    def no_answer(self, index: int) -> None:
        call = self.pick("ringing", index)
        model = self.calls[call]
        del self.holding[model["agent"]]
        model["agent"] = None
        model["status"] = "offered"
        decisions = self.send("no_answer", self.engine.call_not_answered, call, self.now)
        assert self.calls[call]["status"] in ("queued", "ringing")
        assert not decisions or not isinstance(decisions[0], Assignment) or decisions[0].via == "requeue"

    @precondition(lambda self: self.live("connected"))
    @rule(index=st.integers(0, 50), wrap_up=st.booleans())
    def end(self, index: int, wrap_up: bool) -> None:
        call = self.pick("connected", index)
        model = self.calls[call]
        del self.holding[model["agent"]]
        model["status"] = "ended"
        model["agent"] = None
        if model["consultant"] is not None:  # the consulted agent is released with the call
            del self.consulted[model["consultant"]]
            model.update(consultant=None, consult_state=None)
        self.send("end", self.engine.call_ended, call, self.now, wrap_up)

    @precondition(lambda self: self.live("queued") or self.live("ringing"))
    @rule(index=st.integers(0, 50))
    def abandon(self, index: int) -> None:
        call = self.pick("queued", index) if self.live("queued") else self.pick("ringing", index)
        model = self.calls[call]
        if model["agent"] is not None:
            del self.holding[model["agent"]]
        model.update(status="abandoned", agent=None, targets=set())
        self.send("abandon", self.engine.call_abandoned, call, self.now)

    @precondition(lambda self: self.live("queued"))
    @rule(index=st.integers(0, 50))
    def accept_callback(self, index: int) -> None:
        call = self.pick("queued", index)
        self.calls[call].update(status="callback", targets=set())
        self.send("callback", self.engine.callback_accepted, call, self.now)

    @precondition(lambda self: self.live("connected"))
    @rule(
        index=st.integers(0, 50), group=st.sampled_from(GROUPS), agent=st.sampled_from(AGENTS), to_agent=st.booleans()
    )
    def transfer(self, index: int, group: str, agent: str, to_agent: bool) -> None:
        call = self.pick("connected", index)
        model = self.calls[call]
        if model["consultant"] is not None:
            refused = self.engine.call_transferred(call, self.now, to_group=group)
            assert refused[0].code == "bad_state"
            return
        if to_agent and agent not in self.ready_now():
            refused = self.engine.call_transferred(call, self.now, to_agent=agent)
            assert refused[0].code in ("agent_busy", "unknown_agent")
            return
        old = model["agent"]
        del self.holding[old]
        model.update(status="offered", agent=None, key=self.now - WEIGHTS[model["tier"]], extra=set())
        if to_agent:
            self.send("transfer", self.engine.call_transferred, call, self.now, to_agent=agent, wrap_up=False)
        else:
            model["home"] = group
            self.send(
                "transfer",
                self.engine.call_transferred,
                call,
                self.now,
                to_group=group,
                wrap_up=False,
                becomes_ready=old,
            )
        assert model["status"] in ("queued", "ringing")

    def consulting(self, *states: str) -> list[int]:
        return sorted(c for c, m in self.calls.items() if m["status"] == "connected" and m["consult_state"] in states)

    @precondition(lambda self: self.live("connected") or self.live("ringing"))
    @rule(index=st.integers(0, 50), pick=st.integers(0, 50), to_agent=st.booleans(), refused=st.booleans())
    def consult(self, index: int, pick: int, to_agent: bool, refused: bool) -> None:
        """Consult a ready agent or a group with a ready agent; or (``refused``) someone who cannot be."""
        if not self.live("connected"):  # answer a ringing call first, so that consults happen often
            self.answer(index)
            self.after_every_step()
        call = self.pick("connected", index)
        model = self.calls[call]
        ready = sorted(self.ready_now())
        idle = [
            a
            for a in AGENTS
            if a in self.engine.agents and AgentState.READY in AGENT_TRANSITIONS[self.engine.agent_state_of(a)]
        ]
        if not ready and not refused and idle:  # make someone ready, so that consults happen often
            self.change_state(idle[pick % len(idle)], AgentState.READY)
            self.after_every_step()
            if self.calls[call]["status"] != "connected":
                return
            ready = sorted(self.ready_now())
        if model["consultant"] is not None:
            decisions = self.engine.consult_started(call, self.now, to_agent=AGENTS[pick % len(AGENTS)])
            assert decisions[0].code == "bad_state"
            return
        if refused or not ready:
            busy = [a for a in AGENTS if a not in ready]
            idle_groups = [g for g in GROUPS if not any(g in self.skills[a] for a in ready)]
            if to_agent and busy:
                decisions = self.engine.consult_started(call, self.now, to_agent=busy[pick % len(busy)])
                assert decisions[0].code in ("agent_busy", "unknown_agent")
            elif idle_groups:
                decisions = self.engine.consult_started(call, self.now, to_group=idle_groups[pick % len(idle_groups)])
                assert decisions[0].code == "agent_busy"
            return
        agent = ready[pick % len(ready)]
        model["consult_to_group"] = not to_agent
        if to_agent:
            decisions = self.send("consult", self.engine.consult_started, call, self.now, to_agent=agent)
        else:
            group = sorted(self.skills[agent])[pick % len(self.skills[agent])]
            decisions = self.send("consult", self.engine.consult_started, call, self.now, to_group=group)
        assert len(decisions) == 1 and isinstance(decisions[0], ConsultOffer)
        assert not to_agent or decisions[0].agent == agent
        event("consult offered")
        assert not to_agent or decisions[0].agent == agent

    @precondition(lambda self: self.consulting("ringing"))
    @rule(index=st.integers(0, 50))
    def answer_consult(self, index: int) -> None:
        calls = self.consulting("ringing")
        call = calls[index % len(calls)]
        self.send("consult_answer", self.engine.consult_answered, call, self.now)
        self.calls[call]["consult_state"] = "talking"

    @precondition(lambda self: self.consulting("talking"))
    @rule(index=st.integers(0, 50))
    def conference(self, index: int) -> None:
        calls = self.consulting("talking")
        call = calls[index % len(calls)]
        self.send("conference", self.engine.consult_conferenced, call, self.now)
        self.calls[call]["consult_state"] = "conference"
        event("conference")

    @precondition(lambda self: self.consulting("talking", "conference"))
    @rule(index=st.integers(0, 50), wrap_up=st.booleans())
    def complete_consult(self, index: int, wrap_up: bool) -> None:
        calls = self.consulting("talking", "conference")
        call = calls[index % len(calls)]
        model = self.calls[call]
        old, new = model["agent"], model["consultant"]
        del self.holding[old]
        del self.consulted[new]
        self.holding[new] = call
        model.update(agent=new, consultant=None, consult_state=None)
        self.send(
            "consult_complete",
            self.engine.consult_completed,
            call,
            self.now,
            wrap_up,
            becomes_ready=None if wrap_up else old,
        )
        assert self.engine.calls[call].agent.id == new
        event("consult completed")
        assert self.engine.agent_state_of(new) is AgentState.TALKING

    @precondition(lambda self: self.consulting("ringing", "talking", "conference"))
    @rule(index=st.integers(0, 50))
    def cancel_consult(self, index: int) -> None:
        calls = self.consulting("ringing", "talking", "conference")
        call = calls[index % len(calls)]
        model = self.calls[call]
        consultant = model["consultant"]
        del self.consulted[consultant]
        model.update(consultant=None, consult_state=None)
        self.send("consult_cancel", self.engine.consult_cancelled, call, self.now, "back to the customer")
        assert self.engine.calls[call].agent.id == model["agent"]

    @rule(
        index=st.integers(0, 50), kind=st.sampled_from(["consult_answer", "conference", "consult_complete", "cancel"])
    )
    def consult_event_in_the_wrong_state(self, index: int, kind: str) -> None:
        wrong = {
            "consult_answer": ("talking", "conference", None),
            "conference": ("ringing", "conference", None),
            "consult_complete": ("ringing", None),
            "cancel": (None,),
        }[kind]
        calls = [c for c, m in self.calls.items() if m["status"] == "connected" and m["consult_state"] in wrong]
        call = calls[index % len(calls)] if calls else 10_000 + index
        method = {
            "consult_answer": self.engine.consult_answered,
            "conference": self.engine.consult_conferenced,
            "consult_complete": self.engine.consult_completed,
            "cancel": self.engine.consult_cancelled,
        }[kind]
        decisions = method(call, self.now)
        assert len(decisions) == 1 and isinstance(decisions[0], Refused)
        assert decisions[0].code in ("bad_state", "unknown_call")

    @rule(index=st.integers(0, 50), kind=st.sampled_from(["answer", "end", "abandon", "callback"]))
    def event_for_a_call_in_the_wrong_state(self, index: int, kind: str) -> None:
        finished = [c for c, m in self.calls.items() if m["status"] not in LIVE]
        call = finished[index % len(finished)] if finished else 10_000 + index
        method = {
            "answer": self.engine.call_answered,
            "end": self.engine.call_ended,
            "abandon": self.engine.call_abandoned,
            "callback": self.engine.callback_accepted,
        }[kind]
        decisions = method(call, self.now)
        assert len(decisions) == 1 and isinstance(decisions[0], Refused)
        assert decisions[0].code in ("bad_state", "unknown_call")

    # ------------------------------------------------------------------ invariants

    @invariant()
    def after_every_step(self) -> None:
        engine = self.engine
        self.step += 1
        assert engine.invariant_violations() == []
        # the ready agents, and since when (in steps), for the longest-ready check
        ready = self.ready_now()
        for agent in ready:
            self.ready_since.setdefault(agent, self.step)
        for agent in list(self.ready_since):
            if agent not in ready:
                del self.ready_since[agent]
        # every call is exactly one thing, the same in the engine and in the model
        status_of = {
            CallState.QUEUED: "queued",
            CallState.RINGING: "ringing",
            CallState.CONNECTED: "connected",
            CallState.ENDED: "ended",
            CallState.ABANDONED: "abandoned",
            CallState.CALLBACK: "callback",
        }
        for call, model in self.calls.items():
            assert status_of[engine.call_state_of(call)] == model["status"], (call, model)
        # agents and calls pair one to one
        for agent, call in self.holding.items():
            assert engine.calls[call].agent.id == agent
        assert len(set(self.holding.values())) == len(self.holding)
        assert sum(1 for m in self.calls.values() if m["status"] in ("ringing", "connected")) == len(self.holding)
        # a consult leg is not a customer call: the consulted agent holds none, and is not the call's agent
        for agent, call in self.consulted.items():
            engine_agent = engine.agents[agent]
            assert engine_agent.call is None and agent not in self.holding
            assert engine_agent.consult is engine.calls[call]
            assert engine.calls[call].consultant is engine_agent
            assert engine.calls[call].agent.id != agent
            assert engine.calls[call].consult_state == self.calls[call]["consult_state"]
        assert len(set(self.consulted.values())) == len(self.consulted)
        for call, model in self.calls.items():
            if model["status"] == "connected" and model["consultant"] is None:
                assert engine.calls[call].consultant is None
        # nobody idles while a call of their group waits
        for group in GROUPS:
            if engine.queue(group):
                assert engine.ready_agents(group) == [], group
            queue = engine.queue(group)
            keys = [self.calls[c]["key"] for c in queue]
            assert keys == sorted(keys), "the queue is not in priority order"

    def teardown(self) -> None:
        engine = self.engine
        snapshot = engine.snapshot()
        assert replay(engine.log).snapshot() == snapshot
        as_json = json.loads(json.dumps([event_to_dict(e) for e in engine.log]))
        assert replay(as_json).snapshot() == snapshot


RoutingMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("ROUTING_EXAMPLES", 120)),
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRouting = RoutingMachine.TestCase
