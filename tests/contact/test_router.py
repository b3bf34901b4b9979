"""The router's core in the database: call records as calls go, the durable log, restarts from the log
and from checkpoints, the fence against a second router, bad input refused while the router keeps going."""

from __future__ import annotations

import logging

import pytest

from kefu.contact.models import (
    Contact,
    OutboundTask,
    RouterCheckpoint,
    RouterEvent,
    RouterOutbox,
    RouterState,
)
from kefu.contact.router import Fenced, RouterCore
from kefu.core.models import Parameter
from kefu.core.parameters import forget_cached


def _send(core: RouterCore, *events: dict, now: float | None = None) -> list[dict]:
    return core.process_safely([(None, e) for e in events], now)


def _types(messages: list[dict]) -> list[str]:
    return [m["type"] for m in messages]


@pytest.fixture
def core(centre, agents):
    core = RouterCore(centre)
    _send(core, {"type": "config.reload"}, now=1000.0)
    return core


def test_an_offered_call_goes_to_the_best_skilled_ready_agent_and_is_recorded(core, agents, make_subscriber):
    subscriber = make_subscriber(vip_tier="gold")
    _send(core, {"type": "agent.login", "agent": "a001"}, {"type": "agent.login", "agent": "a002"}, now=1001.0)
    _send(core, {"type": "agent.state", "agent": "a002", "state": "ready"}, now=1002.0)
    out = _send(core, {"type": "agent.state", "agent": "a001", "state": "ready"}, now=1003.0)
    assert out[-1] == {**out[-1], "type": "agent.state", "agent": "a001", "state": "ready"}

    out = _send(
        core,
        {
            "type": "call.offered",
            "call": "c1",
            "group": "general",
            "caller": subscriber.msisdn,
            "subscriber": subscriber.pk,
            "region": subscriber.region_id,
            "tier": "gold",
        },
        now=1010.0,
    )
    assigned = next(m for m in out if m["type"] == "call.assigned")
    assert (assigned["agent"], assigned["group"], assigned["via"]) == ("a001", "general", "offer")  # level 2 > 1
    assert assigned["subscriber"] == subscriber.pk
    assert {"type": "agent.state", "agent": "a001", "state": "ringing"}.items() <= next(
        m for m in out if m["type"] == "agent.state"
    ).items()
    contact = Contact.objects.get(call_id="c1")
    assert (contact.subscriber, contact.agent, contact.queue, contact.tier) == (
        subscriber,
        agents["a001"].user,
        "general",
        "gold",
    )
    assert contact.region_id == subscriber.region_id and contact.outcome == "queued"

    _send(core, {"type": "call.answered", "call": "c1"}, now=1015.0)
    out = _send(core, {"type": "call.ended", "call": "c1", "recording": "rec/2026/c1.wav"}, now=1100.0)
    assert _types(out) == ["call.ended", "agent.state"] and out[1]["state"] == "wrap_up"
    contact.refresh_from_db()
    assert contact.outcome == "answered" and contact.recording_ref == "rec/2026/c1.wav"
    assert (contact.answered_at - contact.started_at).total_seconds() == 5.0
    assert (contact.ended_at - contact.answered_at).total_seconds() == 85.0


def test_every_accepted_event_is_in_the_log_and_messages_are_numbered_without_gaps(core):
    _send(core, {"type": "agent.login", "agent": "a002"}, {"type": "agent.state", "agent": "a002", "state": "ready"})
    out = _send(core, {"type": "call.offered", "call": "c1", "group": "general"})
    kinds = list(RouterEvent.objects.order_by("seq").values_list("data__kind", flat=True))
    assert kinds == ["configure", "group", "group", "group", "group", "login", "state", "offer"]
    state = RouterState.objects.get(centre=core.centre)
    assert state.log_seq == len(kinds) == core.log_seq
    seqs = [m["seq"] for m in out]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[-1] == state.out_seq
    # the outbox holds them until the transport has published them
    assert RouterOutbox.objects.filter(centre=core.centre).count() == state.out_seq
    core.published(state.out_seq)
    assert not RouterOutbox.objects.exists()


def test_a_restarted_router_rebuilds_queues_and_agents_from_the_log(core, centre):
    _send(
        core,
        {"type": "agent.login", "agent": "a001"},
        {"type": "agent.login", "agent": "a003"},
        {"type": "agent.state", "agent": "a003", "state": "ready"},
        {"type": "call.offered", "call": "c1", "group": "vip", "tier": "gold"},
        {"type": "call.offered", "call": "c2", "group": "general"},
        {"type": "call.offered", "call": "c3", "group": "general", "tier": "diamond"},
        now=2000.0,
    )
    before = core.engine.snapshot()
    assert before["groups"]["general"]["queue"] == ["c3", "c2"]

    restarted = RouterCore(centre)
    assert restarted.engine.snapshot() == before
    # and it goes on deciding as the first one would have
    out = _send(restarted, {"type": "agent.state", "agent": "a001", "state": "ready"}, now=2010.0)
    assigned = [m for m in out if m["type"] == "call.assigned"]
    assert [(m["call"], m["agent"]) for m in assigned] == [("c3", "a001")]


def test_a_checkpoint_spares_the_replay_of_the_events_before_it(centre, agents):
    core = RouterCore(centre, checkpoint_every=5)
    _send(core, {"type": "config.reload"}, now=100.0)
    _send(core, {"type": "agent.login", "agent": "a001"}, {"type": "agent.state", "agent": "a001", "state": "ready"})
    _send(core, {"type": "call.offered", "call": "c1", "group": "general"}, {"type": "call.answered", "call": "c1"})
    assert core.maybe_checkpoint()
    cp = RouterCheckpoint.objects.get()
    assert cp.log_seq == core.log_seq == RouterState.objects.get().checkpoint_seq
    _send(core, {"type": "call.offered", "call": "c2", "group": "general"})
    # the events before the checkpoint are not needed any more to rebuild the state
    RouterEvent.objects.filter(seq__lte=cp.log_seq).delete()
    restarted = RouterCore(centre)
    assert restarted.engine.snapshot()["groups"] == core.engine.snapshot()["groups"]
    assert restarted.engine.snapshot()["agents"] == core.engine.snapshot()["agents"]
    assert restarted.engine.queue("general") == ["c2"]
    # a finished call is remembered across the checkpoint: its id cannot be offered again
    _send(restarted, {"type": "call.ended", "call": "c1"})
    out = _send(restarted, {"type": "call.offered", "call": "c1", "group": "general"})
    assert out[0]["code"] == "duplicate_call"


def test_new_tier_weights_apply_at_a_checkpoint_with_no_call_queued(core, centre):
    Parameter.objects.create(key="contact.vip_weights", value={"diamond": 1000, "gold": 900, "silver": 120})
    forget_cached()
    _send(core, {"type": "call.offered", "call": "c1", "group": "general"})
    assert core.maybe_checkpoint() is False  # a call is queued: the weights wait
    _send(core, {"type": "call.abandoned", "call": "c1"})
    assert core.maybe_checkpoint() is True
    assert core.engine.weights["gold"] == 900.0
    assert RouterCore(centre).engine.weights["gold"] == 900.0


def test_a_second_router_on_the_same_centre_is_fenced_off(core, centre):
    other = RouterCore(centre)
    _send(core, {"type": "agent.login", "agent": "a001"})
    with pytest.raises(Fenced):
        other.process([(None, {"type": "agent.login", "agent": "a002"})])


def test_bad_events_are_refused_with_a_reason_logged_and_the_router_goes_on(core, caplog):
    _send(core, {"type": "agent.login", "agent": "a002"}, {"type": "agent.state", "agent": "a002", "state": "ready"})
    _send(core, {"type": "call.offered", "call": "c1", "group": "general"}, {"type": "call.answered", "call": "c1"})
    with caplog.at_level(logging.WARNING, logger="kefu.contact.router"):
        out = _send(
            core,
            {"type": "call.answered", "call": "nope"},
            {"type": "agent.state", "agent": "ghost", "state": "ready"},
            {"type": "agent.state", "agent": "a002", "state": "logged_out"},  # talking -> logged out
            {"type": "call.offered", "call": "c1", "group": "general"},
            {"type": "call.offered", "call": "c9"},  # no group: fails inside, refused alone
            {"type": "call.ended", "call": "c1"},
        )
    refused = [(m["code"], m["subject"] or m["call"]) for m in out if m["type"] == "event.refused"]
    assert refused == [
        ("unknown_call", "nope"),
        ("unknown_agent", "ghost"),
        ("illegal_transition", "a002"),
        ("duplicate_call", "c1"),
        ("internal", "c9"),
    ]
    # a message for people (in the site language) beside the engine's English reason
    assert "on a call" in out[2]["message"] or "通话" in out[2]["message"]
    assert [m["type"] for m in out][-2:] == ["call.ended", "agent.state"]  # the good event still went through
    assert "refused" in caplog.text and "illegal_transition" in caplog.text
    assert not core.engine.invariant_violations()


def test_a_callback_accepted_in_the_queue_becomes_an_outbound_task(core, make_subscriber):
    subscriber = make_subscriber()
    _send(
        core,
        {
            "type": "call.offered",
            "call": "c1",
            "group": "vip",
            "caller": subscriber.msisdn,
            "subscriber": subscriber.pk,
        },
        now=5000.0,
    )
    out = _send(core, {"type": "call.callback_accepted", "call": "c1"}, now=5020.0)
    task = OutboundTask.objects.get()
    assert out[0] == {**out[0], "type": "call.callback", "task": task.pk}
    assert (task.msisdn, task.subscriber, task.source, task.group.code) == (
        subscriber.msisdn,
        subscriber,
        "callback",
        "vip",
    )
    assert Contact.objects.get(call_id="c1").outcome == "callback"


def test_a_transfer_closes_the_leg_and_the_next_leg_is_a_new_record(core, agents):
    for agent in ("a001", "a003"):
        _send(core, {"type": "agent.login", "agent": agent}, {"type": "agent.state", "agent": agent, "state": "ready"})
    _send(core, {"type": "call.offered", "call": "c1", "group": "vip"}, now=6000.0)
    _send(core, {"type": "call.answered", "call": "c1"}, now=6001.0)
    out = _send(core, {"type": "call.transferred", "call": "c1", "to_group": "general"}, now=6100.0)
    assert [m for m in out if m["type"] == "call.assigned"][0]["agent"] == "a001"
    legs = list(Contact.objects.filter(call_id="c1").order_by("leg").values_list("leg", "queue", "outcome", "agent"))
    assert legs == [
        (1, "vip", "transferred", agents["a003"].user_id),
        (2, "general", "queued", agents["a001"].user_id),
    ]


def test_overflow_fires_on_the_clock(core):
    _send(
        core,
        {"type": "agent.login", "agent": "a002"},
        {"type": "agent.state", "agent": "a002", "state": "ready"},
        {"type": "agent.state", "agent": "a002", "state": "break"},
        now=6990.0,
    )
    _send(core, {"type": "call.offered", "call": "c1", "group": "vip"}, now=7000.0)
    assert _send(core, now=7010.0) == []
    _send(core, {"type": "agent.state", "agent": "a002", "state": "ready"}, now=7020.0)  # general only
    out = _send(core, now=7031.0)
    assert _types(out) == ["call.overflowed", "call.assigned", "agent.state"]
    assert out[1]["agent"] == "a002" and out[1]["via"] == "overflow"


def test_messages_committed_but_not_published_are_found_after_a_restart(core, centre):
    """A router killed between its commit and the publication: the restarted one publishes them."""
    out = _send(
        core, {"type": "agent.login", "agent": "a001"}, {"type": "agent.state", "agent": "a001", "state": "ready"}
    )
    core.published(out[0]["seq"])  # the first was published, then the process died
    restarted = RouterCore(centre)
    assert restarted.pending() == out[1:]


def test_a_consult_then_warm_transfer_moves_the_call_and_opens_the_next_leg(core, agents, centre):
    for agent in ("a001", "a003"):
        _send(core, {"type": "agent.login", "agent": agent}, {"type": "agent.state", "agent": agent, "state": "ready"})
    _send(core, {"type": "call.offered", "call": "c1", "group": "vip"}, now=7000.0)  # a003 (vip 3)
    _send(core, {"type": "call.answered", "call": "c1"}, now=7001.0)
    out = _send(core, {"type": "call.consult", "call": "c1", "to_group": "general"}, now=7010.0)
    offer = next(m for m in out if m["type"] == "call.consult_offered")
    assert (offer["agent"], offer["consultant"], offer["group"]) == ("a003", "a001", "general")
    states = {m["agent"]: m for m in out if m["type"] == "agent.state"}
    assert states["a001"]["state"] == "ringing" and states["a001"]["consult"] == "c1" and states["a001"]["call"] is None
    assert Contact.objects.get(call_id="c1").details["consult"] == {"agent": "a001", "group": "general"}
    # the consulted agent is on a consult leg: no customer call reaches it meanwhile
    out = _send(core, {"type": "call.offered", "call": "c2", "group": "general"}, now=7011.0)
    assert _types(out) == ["call.queued"]
    # a router restarted in the middle of the consult has it as it was
    restarted = RouterCore(centre)
    assert restarted.engine.snapshot() == core.engine.snapshot()
    out = _send(restarted, {"type": "call.consult_answered", "call": "c1"}, now=7015.0)
    assert _types(out) == ["call.consult_answered", "agent.state"] and out[0]["consultant"] == "a001"
    out = _send(restarted, {"type": "call.consult_completed", "call": "c1"}, now=7030.0)
    completed = out[0]
    assert completed["type"] == "call.consult_completed" and completed["to_agent"] == "a001"
    assert {m["agent"]: m["state"] for m in out if m["type"] == "agent.state"} == {"a001": "talking", "a003": "wrap_up"}
    legs = list(
        Contact.objects.filter(call_id="c1").order_by("leg").values_list("leg", "outcome", "agent", "answered_at")
    )
    assert [leg[:3] for leg in legs] == [
        (1, "transferred", agents["a003"].user_id),
        (2, "answered", agents["a001"].user_id),
    ]
    assert legs[1][3] is not None and completed["contact"] == Contact.objects.get(call_id="c1", leg=2).pk
    assert "consult" not in Contact.objects.get(call_id="c1", leg=1).details
    out = _send(restarted, {"type": "call.ended", "call": "c1", "wrap_up": False}, now=7100.0)
    assert [(m["call"], m["agent"]) for m in out if m["type"] == "call.assigned"] == [("c2", "a001")]


def test_a_conference_and_a_cancelled_consult_leave_the_call_with_its_agent(core, agents):
    for agent in ("a001", "a002", "a003"):
        _send(core, {"type": "agent.login", "agent": agent}, {"type": "agent.state", "agent": agent, "state": "ready"})
    _send(core, {"type": "call.offered", "call": "c1", "group": "vip"}, {"type": "call.answered", "call": "c1"})
    _send(core, {"type": "call.consult", "call": "c1", "to_agent": "a002"})
    out = _send(core, {"type": "call.conferenced", "call": "c1"})
    assert out[0]["code"] == "bad_state"  # not answered yet
    _send(core, {"type": "call.consult_answered", "call": "c1"})
    out = _send(core, {"type": "call.conferenced", "call": "c1"})
    assert out[0]["type"] == "call.conferenced"
    assert Contact.objects.get(call_id="c1").details["conference"] == ["a002"]
    out = _send(core, {"type": "call.consult_cancelled", "call": "c1", "reason": "left"})
    assert {m["agent"]: m["state"] for m in out if m["type"] == "agent.state"} == {"a002": "ready"}
    assert core.engine.calls["c1"].agent.id == "a003"
    assert Contact.objects.filter(call_id="c1").count() == 1
    # a consult to a busy agent, or during a consult a blind transfer, is refused with a reason
    out = _send(core, {"type": "call.consult", "call": "c1", "to_agent": "a003"})
    assert (out[0]["type"], out[0]["code"]) == ("event.refused", "agent_busy")
    _send(core, {"type": "call.consult", "call": "c1", "to_agent": "a002"})
    out = _send(core, {"type": "call.transferred", "call": "c1", "to_group": "general"})
    assert out[0]["code"] == "bad_state" and "consult is in progress" in out[0]["reason"]
    # the customer hangs up during the consult: the consulted agent is free, the record says no consult
    out = _send(core, {"type": "call.ended", "call": "c1"})
    assert out[0]["consultant"] == "a002"
    assert {m["agent"]: m["state"] for m in out if m["type"] == "agent.state"} == {"a002": "ready", "a003": "wrap_up"}
    assert "consult" not in Contact.objects.get(call_id="c1").details
    assert not core.engine.invariant_violations()


def test_after_each_checkpoint_the_log_before_the_oldest_kept_one_is_deleted(centre, agents):
    core = RouterCore(centre, checkpoint_every=3, keep_checkpoints=2)
    _send(core, {"type": "config.reload"}, now=100.0)
    _send(core, {"type": "agent.login", "agent": "a001"}, {"type": "agent.state", "agent": "a001", "state": "ready"})
    for n in range(6):
        _send(core, {"type": "call.offered", "call": f"p{n}", "group": "general"})
        _send(core, {"type": "call.answered", "call": f"p{n}"})
        _send(core, {"type": "call.ended", "call": f"p{n}", "wrap_up": False})
        core.maybe_checkpoint()
    _send(core, {"type": "call.offered", "call": "last", "group": "general"})
    checkpoints = list(RouterCheckpoint.objects.order_by("log_seq").values_list("log_seq", flat=True))
    assert len(checkpoints) == 2
    seqs = list(RouterEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(checkpoints[0] + 1, core.log_seq + 1))  # nothing before the oldest kept checkpoint
    # a restart still rebuilds the same state, from the latest checkpoint or (if it were lost) the oldest
    assert RouterCore(centre).engine.snapshot() == core.engine.snapshot()
    RouterCheckpoint.objects.filter(log_seq=checkpoints[1]).delete()
    restarted = RouterCore(centre)
    assert restarted.engine.snapshot()["agents"] == core.engine.snapshot()["agents"]
    assert restarted.engine.calls.keys() == core.engine.calls.keys() == {"last"}


def test_kefu_router_prune_keeps_the_checkpoints_asked_for(centre, agents):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    core = RouterCore(centre, checkpoint_every=10_000, keep_checkpoints=10)
    _send(core, {"type": "config.reload"}, now=100.0)
    for _ in range(3):
        _send(core, {"type": "agent.login", "agent": "a002"}, {"type": "agent.logout", "agent": "a002"})
        assert core.maybe_checkpoint(force=True)
    first = RouterCheckpoint.objects.order_by("log_seq").first().log_seq
    assert RouterCheckpoint.objects.count() == 3
    assert RouterEvent.objects.order_by("seq").first().seq == first + 1
    with pytest.raises(CommandError):
        call_command("router", "--centre", centre.code, "--prune", "--keep-checkpoints", "0")
    call_command("router", "--centre", centre.code, "--prune", "--keep-checkpoints", "1")
    assert list(RouterCheckpoint.objects.values_list("log_seq", flat=True)) == [core.log_seq]
    assert not RouterEvent.objects.exists()
    restarted = RouterCore(centre)
    assert restarted.engine.snapshot() == core.engine.snapshot()
