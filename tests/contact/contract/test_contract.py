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
