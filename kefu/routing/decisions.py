"""What the engine decides, as plain dataclasses the router publishes as they are."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class Assignment:
    """A call given to an agent. ``via``: ``offer`` (an agent was ready when the call came),
    ``queue`` (an agent became ready and took the call from a queue), ``manager`` (a VIP's customer
    manager), ``overflow`` (an agent of an overflow group), ``transfer`` (transferred to this agent),
    ``requeue`` (a call sent back by ring-no-answer found another agent at once)."""

    call: Hashable
    agent: Hashable
    group: Hashable
    at: float
    waited: float
    via: str
    answered: bool = False  # True with auto-answer: the agent is talking already

    kind = "assignment"


@dataclass(slots=True)
class Queued:
    """A call that found no ready agent and waits in its group's queue."""

    call: Hashable
    group: Hashable
    at: float
    expected_wait: float

    kind = "queued"


@dataclass(slots=True)
class Overflowed:
    """A call waited too long in its group: the agents of ``to_groups`` may now take it too."""

    call: Hashable
    from_group: Hashable
    to_groups: tuple
    at: float

    kind = "overflowed"


@dataclass(slots=True)
class CallbackOffer:
    """Offer the caller a callback: the expected wait is over the group's threshold."""

    call: Hashable
    group: Hashable
    at: float
    expected_wait: float

    kind = "callback_offer"


@dataclass(slots=True)
class ConsultOffer:
    """A consult leg offered to ``agent`` (chosen in ``group`` for a consult to a group) by
    ``from_agent``, who holds the customer's call ``call``; the customer is on hold meanwhile. The
    consult leg is not a customer call: ``agent`` holds no call while consulted."""

    call: Hashable
    from_agent: Hashable
    agent: Hashable
    group: Hashable
    at: float
    answered: bool = False  # True with auto-answer: the consulted agent is talking already

    kind = "consult_offer"


@dataclass(slots=True)
class Refused:
    """An event the engine refused; nothing changed. ``code`` is stable, ``reason`` is English."""

    event: str
    code: str
    reason: str
    subject: Hashable = None

    kind = "refused"


Decision = Assignment | Queued | Overflowed | CallbackOffer | ConsultOffer | Refused


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """A decision as a JSON-ready dict with its ``kind``."""
    data = asdict(decision)
    data["kind"] = decision.kind
    if "to_groups" in data:
        data["to_groups"] = list(data["to_groups"])
    return data
