"""The CTI contract (docs/contact-centre.md): what any switch adapter (Asterisk ARI, FreeSWITCH ESL) may
rely on, run against every transport (see conftest.py for running it against a live Kefu)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_call_offered_to_a_ready_agent_is_assigned_to_that_agent(cc):
    agent = cc.agents[0]
    cc.login_ready(agent)
    call = cc.call()
    result = cc.send({"type": "call.offered", "call": call, "group": cc.group, "ref": "offer-1"})
    assert result.status == "accepted"
    [assigned] = result.of("call.assigned")
    assert (assigned["call"], assigned["agent"], assigned["group"]) == (call, agent, cc.group)
    assert assigned["ref"] == "offer-1" and isinstance(assigned["seq"], int) and assigned["centre"]
    assert {"agent": agent, "state": "ringing"}.items() <= result.of("agent.state")[0].items()
    cc.send({"type": "call.abandoned", "call": call})
    cc.logout(agent)


def test_a_call_with_no_ready_agent_is_queued_and_assigned_when_one_gets_ready(cc):
    call = cc.call()
    queued = cc.send({"type": "call.offered", "call": call, "group": cc.group})
    assert queued.of("call.queued")[0]["call"] == call and not queued.of("call.assigned")
    agent = cc.agents[1]
    assert cc.send({"type": "agent.login", "agent": agent}).status == "accepted"
    ready = cc.send({"type": "agent.state", "agent": agent, "state": "ready"})
    assert [(m["call"], m["agent"]) for m in ready.of("call.assigned")] == [(call, agent)]
    cc.send({"type": "call.abandoned", "call": call})
    cc.logout(agent)


def test_answer_end_and_wrap_up(cc):
    agent = cc.agents[0]
    cc.login_ready(agent)
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.group})
    answered = cc.send({"type": "call.answered", "call": call})
    assert answered.of("call.answered")[0]["call"] == call
    assert answered.of("agent.state")[0]["state"] == "talking"
    ended = cc.send({"type": "call.ended", "call": call, "wrap_up": True})
    assert ended.of("call.ended")[0]["agent"] == agent and ended.of("agent.state")[0]["state"] == "wrap_up"
    assert cc.send({"type": "agent.state", "agent": agent, "state": "ready"}).of("agent.state")[0]["state"] == "ready"
    again = cc.send({"type": "call.ended", "call": call})
    assert again.status == "refused" and again.problem["refused"] == "bad_state"
    cc.logout(agent)


def test_ring_no_answer_puts_the_agent_not_ready_and_the_call_back_in_the_queue(cc):
    agent = cc.agents[0]
    cc.login_ready(agent)
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.group})
    result = cc.send({"type": "call.not_answered", "call": call})
    assert result.status == "accepted"
    assert result.of("agent.state")[0]["state"] == "not_ready"
    assert result.of("call.queued")[0]["call"] == call
    cc.send({"type": "call.abandoned", "call": call})
    cc.logout(agent)


def test_a_blind_transfer_to_a_group_queues_or_assigns_the_call_there(cc):
    agent = cc.agents[0]
    cc.login_ready(agent)
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.group})
    cc.send({"type": "call.answered", "call": call})
    result = cc.send({"type": "call.transferred", "call": call, "to_group": cc.empty_group, "wrap_up": False})
    assert result.status == "accepted"
    assert result.of("call.transferred")[0]["agent"] == agent
    assert result.of("call.queued")[0]["group"] == cc.empty_group
    assert cc.send({"type": "call.abandoned", "call": call}).status == "accepted"
    cc.logout(agent)


def test_a_consult_offers_a_consult_leg_then_the_call_moves_to_the_consulted_agent(cc):
    first, second = cc.agents[0], cc.agents[1]
    cc.login_ready(first)
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.group})
    cc.send({"type": "call.answered", "call": call})
    busy = cc.send({"type": "call.consult", "call": call, "to_agent": second})  # logged out
    assert busy.status == "refused" and busy.problem["field"] == "to_agent"
    cc.login_ready(second)
    consult = cc.send({"type": "call.consult", "call": call, "to_agent": second})
    assert consult.status == "accepted"
    [offer] = consult.of("call.consult_offered")
    assert (offer["call"], offer["agent"], offer["consultant"]) == (call, first, second)
    assert {"agent": second, "state": "ringing", "call": None, "consult": call}.items() <= (
        consult.of("agent.state")[0].items()
    )
    # while consulted, the agent holds no customer call and cannot log out
    refused = cc.send({"type": "agent.state", "agent": second, "state": "logged_out"})
    assert refused.status == "refused" and refused.problem["refused"] == "illegal_transition"
    assert cc.send({"type": "call.consult_answered", "call": call}).of("call.consult_answered")
    assert cc.send({"type": "call.conferenced", "call": call}).of("call.conferenced")
    done = cc.send({"type": "call.consult_completed", "call": call, "wrap_up": False})
    assert done.of("call.consult_completed")[0]["to_agent"] == second
    states = {m["agent"]: (m["state"], m["call"]) for m in done.of("agent.state")}
    assert states == {first: ("ready", None), second: ("talking", call)}
    ended = cc.send({"type": "call.ended", "call": call, "wrap_up": False})
    assert ended.of("call.ended")[0]["agent"] == second
    cc.logout(first, second)


def test_a_cancelled_consult_leaves_the_call_with_its_agent(cc):
    first, second = cc.agents[0], cc.agents[1]
    cc.login_ready(first, second)
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.group})
    owner = first if cc.send({"type": "call.answered", "call": call}).of("agent.state")[0]["agent"] == first else second
    other = second if owner == first else first
    assert cc.send({"type": "call.consult", "call": call, "to_group": cc.empty_group}).problem["refused"] == (
        "agent_busy"
    )
    cc.send({"type": "call.consult", "call": call, "to_group": cc.group})  # the other agent is the only one ready
    early = cc.send({"type": "call.consult_completed", "call": call})
    assert early.status == "refused" and early.problem["refused"] == "bad_state"
    cancelled = cc.send({"type": "call.consult_cancelled", "call": call, "reason": "no answer"})
    assert cancelled.of("call.consult_cancelled")[0]["consultant"] == other
    assert {m["agent"]: m["state"] for m in cancelled.of("agent.state")} == {other: "ready"}
    assert cc.send({"type": "call.ended", "call": call}).of("call.ended")[0]["agent"] == owner
    cc.logout(first, second)


def test_a_caller_may_abandon_while_queued_and_a_call_id_is_never_reused(cc):
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.empty_group})
    assert cc.send({"type": "call.abandoned", "call": call}).status == "accepted"
    duplicate = cc.send({"type": "call.offered", "call": call, "group": cc.empty_group})
    assert duplicate.status == "refused" and duplicate.problem["refused"] == "duplicate_call"


def test_bad_events_are_refused_with_a_code_a_field_and_a_reason(cc):
    agent = cc.agents[0]
    cc.login_ready(agent)
    call = cc.call()
    cc.send({"type": "call.offered", "call": call, "group": cc.group})
    cc.send({"type": "call.answered", "call": call})

    illegal = cc.send({"type": "agent.state", "agent": agent, "state": "logged_out"})  # talking -> logged out
    assert illegal.status == "refused"
    assert (illegal.problem["refused"], illegal.problem["field"]) == ("illegal_transition", "state")
    assert illegal.problem["detail"] and illegal.problem["reason"]
    unknown_call = cc.send({"type": "call.answered", "call": cc.call()})
    assert (unknown_call.problem["refused"], unknown_call.problem["field"]) == ("unknown_call", "call")
    unknown_agent = cc.send({"type": "agent.login", "agent": "no-such-agent"})
    assert (unknown_agent.problem["refused"], unknown_agent.problem["field"]) == ("unknown_agent", "agent")
    malformed = cc.send({"type": "call.offered", "call": cc.call()})
    assert malformed.status == "invalid" and malformed.problem["field"] == "group"
    unknown_type = cc.send({"type": "call.teleported", "call": call})
    assert unknown_type.status == "invalid" and unknown_type.problem["field"] == "type"

    # the interface goes on working after bad input
    assert cc.send({"type": "call.ended", "call": call, "wrap_up": False}).status == "accepted"
    cc.logout(agent)


def test_messages_are_numbered_in_order(cc):
    agent = cc.agents[1]
    cc.login_ready(agent)
    seqs = []
    for _ in range(3):
        call = cc.call()
        result = cc.send({"type": "call.offered", "call": call, "group": cc.group})
        seqs += [m["seq"] for m in result.messages]
        seqs += [m["seq"] for m in cc.send({"type": "call.abandoned", "call": call}).messages]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    cc.logout(agent)
