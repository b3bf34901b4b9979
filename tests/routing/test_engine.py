"""One test per routing rule: states, priority, agent choice, overflow, callback, manager, replay."""

from __future__ import annotations

import json

import pytest

from kefu.routing.decisions import (
    Assignment,
    CallbackOffer,
    ConsultOffer,
    Overflowed,
    Queued,
    Refused,
    decision_to_dict,
)
from kefu.routing.engine import Engine, event_to_dict, replay
from kefu.routing.states import AGENT_TRANSITIONS, AgentState, CallState

S = AgentState


def centre(**group_rules) -> Engine:
    engine = Engine()
    engine.define_group("billing")
    engine.define_group("vip", **group_rules)
    return engine


def ready(engine: Engine, agent: str, skills: dict[str, int], now: float = 0.0) -> list:
    assert engine.agent_login(agent, skills, now) == []
    return engine.agent_state(agent, S.READY, now)


def put_in(engine: Engine, state: AgentState) -> None:
    """Bring agent 'a' into ``state`` the way a real desktop would."""
    if state is S.LOGGED_OUT:
        engine.agent_login("a", {"vip": 1}, 0)
        engine.agent_logout("a", 0)
        return
    engine.agent_login("a", {"vip": 1}, 0)
    if state is S.LOGGED_IN:
        return
    if state in (S.NOT_READY, S.BREAK):
        engine.agent_state("a", state, 0, reason="training")
        return
    engine.agent_state("a", S.READY, 0)
    if state is S.READY:
        return
    engine.call_offered("c", "vip", 1)
    if state is S.RINGING:
        return
    engine.call_answered("c", 2)
    if state is S.TALKING:
        return
    engine.call_ended("c", 3)
    assert state is S.WRAP_UP


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("wanted", [s for s in S if s is not S.RINGING])
def test_agent_state_changes_follow_the_table(current, wanted):
    engine = centre()
    put_in(engine, current)
    assert engine.agent_state_of("a") is current
    decisions = engine.agent_state("a", wanted, 10, reason="lunch")
    legal = wanted in AGENT_TRANSITIONS[current] and wanted is not S.LOGGED_IN
    if legal:
        assert not any(isinstance(d, Refused) for d in decisions)
        assert engine.agent_state_of("a") is wanted
    else:
        assert [d.code for d in decisions] == ["illegal_transition"]
        assert decisions[0].reason
        assert engine.agent_state_of("a") is current
    assert engine.invariant_violations() == []


def test_an_agent_on_a_call_cannot_log_out_and_is_told_why():
    engine = centre()
    put_in(engine, S.TALKING)
    (refused,) = engine.agent_logout("a", 5)
    assert refused.code == "illegal_transition"
    assert "on a call" in refused.reason
    assert engine.agent_state_of("a") is S.TALKING
    assert engine.call_state_of("c") is CallState.CONNECTED


def test_not_ready_needs_a_reason_and_keeps_it():
    engine = centre()
    engine.agent_login("a", {"vip": 1}, 0)
    assert engine.agent_state("a", S.NOT_READY, 1)[0].code == "bad_value"
    assert engine.agent_state("a", S.NOT_READY, 1, reason="coaching") == []
    assert engine.snapshot()["agents"]["a"]["reason"] == "coaching"


def test_the_queue_serves_diamond_gold_silver_high_value_ordinary():
    engine = centre()
    engine.agent_login("a", {"vip": 1}, 0)
    for i, tier in enumerate(["ordinary", "high_value", "silver", "gold", "diamond"]):
        assert isinstance(engine.call_offered(tier, "vip", 10 + i * 0.1, tier=tier)[0], Queued)
    assert engine.queue("vip") == ["diamond", "gold", "silver", "high_value", "ordinary"]
    served = []
    for t in range(5):
        (assignment,) = engine.agent_state("a", S.READY, 20 + t)
        served.append(assignment.call)
        engine.call_answered(assignment.call, 20 + t)
        engine.call_ended(assignment.call, 20.5 + t)
    assert served == ["diamond", "gold", "silver", "high_value", "ordinary"]


def test_waiting_time_counts_so_an_ordinary_caller_does_not_starve():
    engine = centre()  # default weights: gold 180 s ahead of ordinary
    engine.agent_login("a", {"vip": 1}, 0)
    engine.call_offered("patient", "vip", 0)
    engine.call_offered("gold early", "vip", 100, tier="gold")  # score 180 + wait vs. wait + 100
    engine.call_offered("gold late", "vip", 200, tier="gold")  # 20 s less head start than the wait
    assert engine.queue("vip") == ["gold early", "patient", "gold late"]


def test_weights_are_configurable_down_to_strict_priority():
    engine = Engine({"gold": 1e9, "diamond": 2e9})
    engine.define_group("vip")
    engine.agent_login("a", {"vip": 1}, 0)
    engine.call_offered("old", "vip", 0)
    engine.call_offered("gold", "vip", 10_000, tier="gold")
    engine.call_offered("diamond", "vip", 20_000, tier="diamond")
    assert engine.queue("vip") == ["diamond", "gold", "old"]
    with pytest.raises(ValueError):
        Engine({"gold": -1})
    with pytest.raises(ValueError):
        Engine({"platinum": 5})


def test_the_best_skilled_then_longest_ready_agent_gets_the_call():
    engine = centre()
    ready(engine, "junior", {"vip": 1}, 0)
    ready(engine, "senior early", {"vip": 3}, 2)
    ready(engine, "senior late", {"vip": 3}, 5)
    assert engine.ready_agents("vip") == ["senior early", "senior late", "junior"]
    (first,) = engine.call_offered("c1", "vip", 10)
    (second,) = engine.call_offered("c2", "vip", 11)
    (third,) = engine.call_offered("c3", "vip", 12)
    assert [first.agent, second.agent, third.agent] == ["senior early", "senior late", "junior"]
    assert first.via == "offer" and first.waited == 0


def test_an_agent_who_comes_back_ready_goes_to_the_end_of_the_idle_line():
    engine = centre()
    ready(engine, "x", {"vip": 1}, 0)
    ready(engine, "y", {"vip": 1}, 1)
    engine.agent_state("x", S.NOT_READY, 2, reason="toilet")
    engine.agent_state("x", S.READY, 3)
    assert engine.call_offered("c", "vip", 4)[0].agent == "y"


def test_a_freed_agent_takes_the_best_call_of_all_its_groups():
    engine = centre()
    engine.agent_login("a", {"vip": 1, "billing": 1}, 0)
    engine.call_offered("billing call", "billing", 10)
    engine.call_offered("vip call", "vip", 20, tier="silver")  # 120 s head start beats 10 s of waiting
    (assignment,) = engine.agent_state("a", S.READY, 30)
    assert (assignment.call, assignment.group, assignment.via, assignment.waited) == ("vip call", "vip", "queue", 10)


def test_overflow_to_another_group_after_the_configured_wait():
    engine = centre(overflow_to=["billing"], overflow_after=60)
    ready(engine, "b", {"billing": 1}, 0)
    engine.call_offered("c", "vip", 100)
    assert engine.next_due() == 160
    assert engine.tick(159) == []
    overflowed, assignment = engine.tick(160)
    assert overflowed == Overflowed("c", "vip", ("billing",), 160)
    assert (assignment.agent, assignment.group, assignment.via, assignment.waited) == ("b", "billing", "overflow", 60)


def test_an_overflowed_call_waits_in_both_queues_and_the_first_free_agent_takes_it():
    engine = centre(overflow_to=["billing"], overflow_after=30)
    engine.agent_login("v", {"vip": 1}, 0)
    engine.agent_login("b", {"billing": 1}, 0)
    engine.call_offered("c", "vip", 0)
    engine.tick(30)
    assert engine.queue("vip") == ["c"] and engine.queue("billing") == ["c"]
    (assignment,) = engine.agent_state("b", S.READY, 40)
    assert assignment.call == "c"
    assert engine.queue("vip") == [] and engine.queue("billing") == []
    assert engine.agent_state("v", S.READY, 41) == []


def test_callback_offer_when_the_expected_wait_is_over_the_threshold():
    engine = centre(callback_threshold=100)
    engine.define_group("vip", callback_threshold=100, aht=120)
    engine.agent_login("a", {"vip": 1}, 0)
    engine.agent_state("a", S.NOT_READY, 0, reason="meeting")  # logged in, not serving: counts as 1
    queued, offer = engine.call_offered("c1", "vip", 1)
    assert isinstance(queued, Queued) and queued.expected_wait == 120
    assert offer == CallbackOffer("c1", "vip", 1, 120)
    assert engine.callback_accepted("c1", 5) == []
    assert engine.call_state_of("c1") is CallState.CALLBACK
    assert engine.queue("vip") == []


def test_callback_offer_when_a_caller_has_waited_past_the_threshold():
    engine = centre()
    engine.define_group("vip", callback_threshold=90, aht=30)
    for name in ("a", "b"):
        ready(engine, name, {"vip": 1})
        engine.call_offered(f"busy {name}", "vip", 0)
    (queued,) = engine.call_offered("c", "vip", 10)  # expected wait 1 x 30 s / 2 agents: no offer yet
    assert queued.expected_wait == 15
    assert engine.tick(99) == []
    assert engine.tick(100) == [CallbackOffer("c", "vip", 100, 15)]
    assert engine.tick(500) == []  # offered once


def test_a_vip_goes_first_to_a_ready_customer_manager():
    engine = centre()
    ready(engine, "senior", {"vip": 5}, 0)
    ready(engine, "manager", {"billing": 1}, 1)  # no vip skill needed
    (assignment,) = engine.call_offered("c", "vip", 2, tier="gold", manager="manager")
    assert (assignment.agent, assignment.via) == ("manager", "manager")


def test_a_vip_whose_manager_is_busy_is_routed_as_usual():
    engine = centre()
    ready(engine, "senior", {"vip": 5}, 0)
    engine.agent_login("manager", {"vip": 1}, 0)
    (assignment,) = engine.call_offered("c", "vip", 2, tier="gold", manager="manager")
    assert assignment.agent == "senior"
    (ordinary,) = engine.call_offered("d", "vip", 3, tier="ordinary", manager="senior")
    assert isinstance(ordinary, Queued)  # the manager rule is for VIPs; senior is busy anyway


def test_ring_no_answer_puts_the_call_back_in_its_place_and_the_agent_not_ready():
    engine = centre()
    ready(engine, "a", {"vip": 1})
    engine.call_offered("first", "vip", 0)
    engine.call_offered("second", "vip", 5)
    (queued,) = engine.call_not_answered("first", 20)
    assert queued.call == "first"
    assert engine.queue("vip") == ["first", "second"]
    assert engine.agent_state_of("a") is S.NOT_READY
    assert engine.snapshot()["agents"]["a"]["reason"] == "no answer"


def test_a_caller_hanging_up_while_ringing_frees_the_agent_for_the_next_call():
    engine = centre()
    ready(engine, "a", {"vip": 1})
    engine.call_offered("first", "vip", 0)
    engine.call_offered("second", "vip", 1)
    (assignment,) = engine.call_abandoned("first", 3)
    assert (assignment.call, assignment.agent) == ("second", "a")
    assert engine.call_state_of("first") is CallState.ABANDONED


def test_end_with_and_without_wrap_up():
    engine = Engine(auto_answer=True)
    engine.define_group("vip")
    ready(engine, "a", {"vip": 1})
    (assignment,) = engine.call_offered("c1", "vip", 0)
    assert assignment.answered and engine.agent_state_of("a") is S.TALKING
    engine.call_offered("c2", "vip", 1)
    assert engine.call_ended("c1", 60) == []
    assert engine.agent_state_of("a") is S.WRAP_UP
    (next_call,) = engine.agent_state("a", S.READY, 70)
    assert next_call.call == "c2"
    assert engine.call_ended("c2", 80, wrap_up=False) == []
    assert engine.agent_state_of("a") is S.READY


def test_transfer_to_a_group_and_to_an_agent():
    engine = centre()
    ready(engine, "a", {"vip": 1})
    engine.agent_login("b", {"billing": 1}, 0)
    engine.call_offered("c", "vip", 0)
    engine.call_answered("c", 1)
    (queued,) = engine.call_transferred("c", 30, to_group="billing")
    assert queued.group == "billing" and engine.queue("billing") == ["c"]
    assert engine.agent_state_of("a") is S.WRAP_UP
    (assignment,) = engine.agent_state("b", S.READY, 40)
    assert assignment.waited == 10
    engine.call_answered("c", 41)
    assert engine.call_transferred("c", 50, to_agent="a")[0].code == "agent_busy"
    engine.agent_state("a", S.READY, 50)
    (to_a,) = engine.call_transferred("c", 51, to_agent="a")
    assert (to_a.agent, to_a.via) == ("a", "transfer")
    assert engine.invariant_violations() == []


def _consulting() -> Engine:
    """Agent a talks to the customer on call c; b (billing 1) and b2 (billing 2) are ready."""
    engine = centre()
    ready(engine, "a", {"vip": 1})
    ready(engine, "b", {"billing": 1}, 1)
    ready(engine, "b2", {"billing": 2}, 2)
    engine.call_offered("c", "vip", 3)
    engine.call_answered("c", 4)
    return engine


def test_consult_a_group_offers_a_consult_leg_to_its_best_agent_not_a_customer_call():
    engine = _consulting()
    (offer,) = engine.consult_started("c", 10, to_group="billing")
    assert isinstance(offer, ConsultOffer)
    assert (offer.call, offer.from_agent, offer.agent, offer.group) == ("c", "a", "b2", "billing")
    assert engine.agent_state_of("b2") is S.RINGING
    assert engine.agents["b2"].call is None and engine.agents["b2"].consult is engine.calls["c"]
    assert engine.calls["c"].agent.id == "a" and engine.call_state_of("c") is CallState.CONNECTED
    # the consulted agent takes no customer call meanwhile, and cannot log out
    (queued,) = engine.call_offered("c2", "billing", 11)
    assert isinstance(queued, Assignment) and queued.agent == "b"  # b2 is consulted, b gets the call
    assert engine.agent_state("b2", S.LOGGED_OUT, 12)[0].code == "illegal_transition"
    assert engine.invariant_violations() == []


def test_warm_transfer_moves_the_call_to_the_consulted_agent():
    engine = _consulting()
    engine.consult_started("c", 10, to_agent="b")
    assert engine.consult_completed("c", 11)[0].code == "bad_state"  # b has not answered yet
    assert engine.call_transferred("c", 11, to_group="billing")[0].code == "bad_state"
    assert engine.consult_answered("c", 12) == []
    assert engine.agent_state_of("b") is S.TALKING
    assert engine.consult_completed("c", 20, wrap_up=True) == []
    assert engine.calls["c"].agent.id == "b" and engine.agents["b"].call is engine.calls["c"]
    assert engine.agent_state_of("a") is S.WRAP_UP and engine.agents["a"].call is None
    assert engine.call_ended("c", 30, wrap_up=False) == []
    assert engine.agent_state_of("b") is S.READY
    assert engine.invariant_violations() == []


def test_conference_then_the_first_agent_leaves_or_the_call_ends():
    engine = _consulting()
    engine.consult_started("c", 10, to_agent="b")
    assert engine.consult_conferenced("c", 11)[0].code == "bad_state"  # not answered yet
    engine.consult_answered("c", 12)
    assert engine.consult_conferenced("c", 13) == []
    assert engine.calls["c"].consult_state == "conference"
    engine.call_ended("c", 40)  # the customer hangs up: both agents are free
    assert engine.agent_state_of("a") is S.WRAP_UP and engine.agent_state_of("b") is S.READY
    assert engine.invariant_violations() == []


def test_cancel_a_consult_back_to_the_customer_frees_the_consulted_agent_for_the_queue():
    engine = _consulting()
    engine.consult_started("c", 10, to_agent="b")
    engine.consult_answered("c", 11)
    engine.call_offered("c2", "billing", 12)  # b2 takes it
    engine.call_offered("c3", "billing", 13)  # waits
    (taken,) = engine.consult_cancelled("c", 20, "back to the customer")
    assert (taken.call, taken.agent, taken.via) == ("c3", "b", "queue")
    assert engine.calls["c"].agent.id == "a" and engine.calls["c"].consultant is None
    assert engine.invariant_violations() == []


def test_bad_consults_are_refused_with_a_reason_and_change_nothing():
    engine = _consulting()
    engine.agent_state("b", S.BREAK, 5)
    before = engine.snapshot()
    codes = [
        engine.consult_started("c", 6, to_agent="b")[0].code,  # on a break
        engine.consult_started("c", 6, to_agent="nobody")[0].code,
        engine.consult_started("c", 6, to_group="nowhere")[0].code,
        engine.consult_started("c", 6)[0].code,
        engine.consult_started("unknown", 6, to_agent="b2")[0].code,
        engine.consult_answered("c", 6)[0].code,
        engine.consult_cancelled("c", 6)[0].code,
    ]
    assert codes == [
        "agent_busy",
        "unknown_agent",
        "unknown_group",
        "bad_value",
        "unknown_call",
        "bad_state",
        "bad_state",
    ]
    assert engine.snapshot() == before
    engine.agent_state("b2", S.BREAK, 6)
    before = engine.snapshot()
    assert engine.consult_started("c", 7, to_group="billing")[0].code == "agent_busy"
    assert engine.snapshot() == before


def test_a_consult_replays_from_the_log():
    engine = _consulting()
    engine.consult_started("c", 10, to_group="billing")
    engine.consult_answered("c", 11)
    engine.consult_conferenced("c", 12)
    snapshot = engine.snapshot()
    assert replay(json.loads(json.dumps([event_to_dict(e) for e in engine.log]))).snapshot() == snapshot
    engine.consult_completed("c", 13, wrap_up=False)
    assert replay(engine.log).snapshot() == engine.snapshot()


def test_a_stale_queue_entry_never_brings_back_a_transferred_call():
    engine = centre(overflow_to=["billing"], overflow_after=10)
    engine.define_group("sales")
    engine.agent_login("v", {"vip": 1}, 0)
    ready(engine, "b", {"billing": 1})
    engine.call_offered("c", "vip", 0)
    engine.tick(10)  # overflowed, taken by b: its entry in the vip queue is stale
    engine.call_answered("c", 11)
    engine.call_transferred("c", 20, to_group="sales")
    assert engine.agent_state("v", S.READY, 21) == []  # v does not serve sales
    assert engine.queue("sales") == ["c"]


def test_bad_events_are_refused_with_a_reason_and_change_nothing():
    engine = centre()
    ready(engine, "a", {"vip": 1})
    before = engine.snapshot()
    refusals = [
        engine.call_offered("c", "nowhere", 1),
        engine.call_offered("c", "vip", 1, tier="platinum"),
        engine.call_answered("ghost", 1),
        engine.call_ended("ghost", 1),
        engine.agent_state("ghost", S.READY, 1),
        engine.agent_state("a", "dancing", 1),
        engine.agent_login("a", {"vip": 1}, 1),
        engine.agent_login("b", {"vip": 0}, 1),
        engine.agent_login("b", {"nowhere": 1}, 1),
        engine.agent_login("b", {}, 1),
        engine.define_group("x", overflow_to=["nowhere"], overflow_after=5),
        engine.define_group("x", overflow_to=["vip"]),
        engine.call_transferred("ghost", 1, to_group="vip"),
    ]
    codes = [r[0].code for r in refusals]
    assert codes == [
        "unknown_group",
        "bad_value",
        "unknown_call",
        "unknown_call",
        "unknown_agent",
        "bad_value",
        "illegal_transition",
        "bad_value",
        "unknown_group",
        "bad_value",
        "unknown_group",
        "bad_value",
        "unknown_call",
    ]
    assert all(isinstance(r[0], Refused) and r[0].reason for r in refusals)
    assert engine.snapshot() == before
    engine.call_offered("c", "vip", 2)
    assert engine.call_offered("c", "vip", 3)[0].code == "duplicate_call"
    engine.call_answered("c", 3)
    engine.call_ended("c", 4)
    assert engine.call_ended("c", 5)[0].code == "bad_state"


def test_replay_of_the_log_rebuilds_the_same_state_also_through_json():
    engine = centre(overflow_to=["billing"], overflow_after=20, callback_threshold=50)
    ready(engine, "a", {"vip": 2, "billing": 1})
    engine.agent_login("b", {"billing": 1}, 0)
    engine.call_offered(1, "vip", 1, tier="gold")
    for i in range(2, 6):
        engine.call_offered(i, "vip", i)
    engine.tick(30)
    engine.agent_state("b", S.READY, 31)
    engine.call_answered(1, 32)
    engine.call_abandoned(4, 33)
    assert engine.invariant_violations() == []
    text = "\n".join(json.dumps(event_to_dict(e)) for e in engine.log)
    rebuilt = replay(json.loads(line) for line in text.splitlines())
    assert rebuilt.snapshot() == engine.snapshot()
    assert rebuilt.log == engine.log
    # and the rebuilt engine carries on exactly as the original would
    assert rebuilt.call_ended(1, 40, wrap_up=False) == engine.call_ended(1, 40, wrap_up=False)


def test_decisions_serialise_to_plain_dicts():
    data = decision_to_dict(Assignment("c", "a", "vip", 1.0, 0.0, "offer"))
    assert data == {
        "kind": "assignment",
        "call": "c",
        "agent": "a",
        "group": "vip",
        "at": 1.0,
        "waited": 0.0,
        "via": "offer",
        "answered": False,
    }
    assert json.dumps(decision_to_dict(Overflowed("c", "vip", ("billing",), 3.0)))


def test_the_routing_and_workforce_cores_import_no_django():
    import subprocess
    import sys

    code = (
        "import sys, kefu.routing.engine, kefu.routing.simulator, kefu.workforce.erlang;"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
