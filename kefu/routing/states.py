"""Agent and call states of the ACD, and the table of legal agent state changes.

Pure Python: no Django import, so the engine can be tested and benchmarked alone.
"""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    """Where an agent is. The Chinese names are the ones the seed uses."""

    LOGGED_OUT = "logged_out"  # 签出
    LOGGED_IN = "logged_in"  # 签入: logged in, not yet ready
    READY = "ready"  # 就绪: waiting for a call
    RINGING = "ringing"  # 振铃: reserved by the engine for one call, not yet answered
    TALKING = "talking"  # 通话
    WRAP_UP = "wrap_up"  # 话后: after-call work
    NOT_READY = "not_ready"  # 示忙: busy, with a reason
    BREAK = "break"  # 休息


class CallState(StrEnum):
    QUEUED = "queued"  # waiting in one or more skill-group queues
    RINGING = "ringing"  # assigned to an agent, ringing at the agent's phone
    CONNECTED = "connected"  # assigned and answered
    ENDED = "ended"  # finished after being answered
    ABANDONED = "abandoned"  # the caller hung up before being answered
    CALLBACK = "callback"  # the caller accepted a callback offer and left the queue


class Tier(StrEnum):
    """Customer tiers, highest first (钻石卡, 金卡, 银卡, 个人高价值, 普通)."""

    DIAMOND = "diamond"
    GOLD = "gold"
    SILVER = "silver"
    HIGH_VALUE = "high_value"
    ORDINARY = "ordinary"


A = AgentState

#: Changes an agent (or a team leader on the agent's behalf) may ask for: ``AGENT_TRANSITIONS[from]``
#: is the set of states one may go to. Every other change asked for is refused with a reason.
#: ``LOGGED_OUT -> LOGGED_IN`` happens through :meth:`Engine.agent_login`, which brings the skills.
#: RINGING and TALKING accept no change asked for: the call's own events move the agent on.
AGENT_TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    A.LOGGED_OUT: frozenset({A.LOGGED_IN}),
    A.LOGGED_IN: frozenset({A.READY, A.NOT_READY, A.BREAK, A.LOGGED_OUT}),
    A.READY: frozenset({A.NOT_READY, A.BREAK, A.LOGGED_OUT}),
    A.RINGING: frozenset(),
    A.TALKING: frozenset(),
    A.WRAP_UP: frozenset({A.READY, A.NOT_READY, A.BREAK, A.LOGGED_OUT}),
    A.NOT_READY: frozenset({A.READY, A.NOT_READY, A.BREAK, A.LOGGED_OUT}),
    A.BREAK: frozenset({A.READY, A.NOT_READY, A.LOGGED_OUT}),
}

#: Changes only the engine makes, each caused by a call event: ``(from, to): cause``.
ENGINE_TRANSITIONS: dict[tuple[AgentState, AgentState], str] = {
    (A.READY, A.RINGING): "assignment (the call rings at the agent)",
    (A.READY, A.TALKING): "assignment with auto-answer",
    (A.RINGING, A.TALKING): "call answered",
    (A.RINGING, A.READY): "caller hung up while ringing",
    (A.RINGING, A.NOT_READY): "ring, no answer (the call goes back to its place in the queue)",
    (A.TALKING, A.WRAP_UP): "call ended or transferred, with after-call work",
    (A.TALKING, A.READY): "call ended or transferred, without after-call work",
}

#: States in which an agent counts as staffing the groups of its skills (for the expected wait).
SERVING_STATES = frozenset({A.READY, A.RINGING, A.TALKING, A.WRAP_UP})

#: Default priority weights, in seconds of waiting: a gold caller is served before an ordinary
#: caller who has waited up to 180 s less. See docs/routing.md.
DEFAULT_WEIGHTS: dict[str, float] = {
    Tier.DIAMOND.value: 240.0,
    Tier.GOLD.value: 180.0,
    Tier.SILVER.value: 120.0,
    Tier.HIGH_VALUE.value: 60.0,
    Tier.ORDINARY.value: 0.0,
}


def transition_refusal(current: AgentState, wanted: AgentState) -> str | None:
    """Why an agent may not go from ``current`` to ``wanted`` (None when the change is legal)."""
    if wanted in AGENT_TRANSITIONS[current]:
        if wanted is A.LOGGED_IN:
            return "logging in goes through agent_login, which brings the agent's skills"
        return None
    if current is A.TALKING:
        return f"the agent is on a call and cannot go {wanted.value}; end or transfer the call first"
    if current is A.RINGING:
        return f"a call is ringing at the agent, who cannot go {wanted.value}; answer or refuse it first"
    if current is A.LOGGED_OUT:
        return f"the agent is logged out and cannot go {wanted.value}; log in first"
    return f"an agent cannot go from {current.value} to {wanted.value}"
