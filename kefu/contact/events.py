"""The CTI vocabulary (CC-5): the events a switch adapter sends in, and the messages Kefu sends out.

One definition for every transport (HTTP `/api/v1/cti/events`, the WebSocket `/ws/cti/<centre>/`,
the Redis stream the router reads) and for the contract tests in tests/contact/contract/. The
reference for adapter authors is docs/contact-centre.md.

Events in (`type`):

    agent.login        {agent}                                   签入 with the skills configured for the agent
    agent.state        {agent, state, reason?}                   state: ready | not_ready | break | logged_out
    agent.logout       {agent}                                   签出
    call.offered       {call, group, caller?, tier?}             a call enters a skill group's queue
    call.answered      {call}                                    the agent picked up
    call.not_answered  {call, reason?}                           ring, no answer
    call.abandoned     {call}                                    the caller hung up before an answer
    call.callback_accepted {call}                                the caller took the callback offer
    call.transferred   {call, to_group | to_agent, wrap_up?}     blind transfer
    call.ended         {call, wrap_up?, recording?}              an answered call ended
    call.consult       {call, to_group | to_agent}               consult a ready agent (or a group's best) while
                                                                 the customer is held: a consult leg is offered
    call.consult_answered  {call}                                the consulted agent picked up the consult leg
    call.conferenced   {call}                                    the customer joins the consult (three-way)
    call.consult_completed {call, wrap_up?}                      warm transfer: the call moves to the consulted agent
    call.consult_cancelled {call, reason?}                       back to the customer (or the consulted agent
                                                                 declines, does not answer, leaves the conference)

Every event may carry `ref` (the adapter's id for it, echoed in the messages it causes).

Messages out (`type`): call.assigned, call.queued, call.overflowed, call.callback_offer,
call.answered, call.not_answered, call.abandoned, call.callback, call.transferred, call.ended,
call.consult_offered, call.consult_answered, call.conferenced, call.consult_completed,
call.consult_cancelled, agent.state, event.refused; each with `seq` (increasing, no gaps per centre), `at` (epoch
seconds) and `centre`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from pydantic import ValidationError as PydanticValidationError

from kefu.core.errors import DomainError, ErrorCode

_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ref: str | None = Field(None, max_length=64, description="The adapter's id of this event, echoed back")


def _check_id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{what} is 1 to 64 letters, digits or _ . : @ -")
    return value


def _check_code(value: str | None) -> str | None:
    if value is not None and not _CODE.match(value):
        raise ValueError("a code is 1 to 40 letters, digits, _ or -")
    return value


class _AgentEvent(_Event):
    agent: str = Field(description="The agent code (工号)")

    @field_validator("agent")
    @classmethod
    def _agent_code(cls, value: str) -> str:
        return _check_code(value)


class _CallEvent(_Event):
    call: str = Field(description="The switch's call id")

    @field_validator("call")
    @classmethod
    def _call_id(cls, value: str) -> str:
        return _check_id(value, "a call id")


class AgentLogin(_AgentEvent):
    type: Literal["agent.login"]


class AgentLogout(_AgentEvent):
    type: Literal["agent.logout"]


class AgentStateEvent(_AgentEvent):
    type: Literal["agent.state"]
    state: Literal["ready", "not_ready", "break", "logged_out"]
    reason: str | None = Field(None, max_length=80, description="Required for not_ready (示忙)")


class CallOffered(_CallEvent):
    type: Literal["call.offered"]
    group: str = Field(description="The skill group code (the IVR's choice)")
    caller: str | None = Field(
        None, max_length=20, description="The calling number; an on-net subscriber is recognised"
    )
    tier: Literal["diamond", "gold", "silver", "high_value", "ordinary"] | None = Field(
        None, description="Overrides the tier of the recognised subscriber"
    )

    @field_validator("group")
    @classmethod
    def _group_code(cls, value: str) -> str:
        return _check_code(value)


class CallAnswered(_CallEvent):
    type: Literal["call.answered"]


class CallNotAnswered(_CallEvent):
    type: Literal["call.not_answered"]
    reason: str = Field("no answer", max_length=80)


class CallAbandoned(_CallEvent):
    type: Literal["call.abandoned"]


class CallbackAccepted(_CallEvent):
    type: Literal["call.callback_accepted"]


class CallTransferred(_CallEvent):
    type: Literal["call.transferred"]
    to_group: str | None = None
    to_agent: str | None = None
    wrap_up: bool = True

    @field_validator("to_group", "to_agent")
    @classmethod
    def _codes(cls, value: str | None) -> str | None:
        return _check_code(value)


class CallEnded(_CallEvent):
    type: Literal["call.ended"]
    wrap_up: bool = Field(True, description="The agent goes to after-call work (话后); false: straight to ready")
    recording: str | None = Field(None, max_length=200, description="The recording's path under the media root")


class CallConsult(_CallEvent):
    type: Literal["call.consult"]
    to_group: str | None = None
    to_agent: str | None = None

    @field_validator("to_group", "to_agent")
    @classmethod
    def _codes(cls, value: str | None) -> str | None:
        return _check_code(value)


class ConsultAnswered(_CallEvent):
    type: Literal["call.consult_answered"]


class Conferenced(_CallEvent):
    type: Literal["call.conferenced"]


class ConsultCompleted(_CallEvent):
    type: Literal["call.consult_completed"]
    wrap_up: bool = Field(True, description="The first agent goes to after-call work (话后); false: ready")


class ConsultCancelled(_CallEvent):
    type: Literal["call.consult_cancelled"]
    reason: str = Field("cancelled", max_length=80)


CtiEvent = Annotated[
    AgentLogin
    | AgentLogout
    | AgentStateEvent
    | CallOffered
    | CallAnswered
    | CallNotAnswered
    | CallAbandoned
    | CallbackAccepted
    | CallTransferred
    | CallEnded
    | CallConsult
    | ConsultAnswered
    | Conferenced
    | ConsultCompleted
    | ConsultCancelled,
    Field(discriminator="type"),
]

EVENT_TYPES = (
    "agent.login",
    "agent.logout",
    "agent.state",
    "call.offered",
    "call.answered",
    "call.not_answered",
    "call.abandoned",
    "call.callback_accepted",
    "call.transferred",
    "call.ended",
    "call.consult",
    "call.consult_answered",
    "call.conferenced",
    "call.consult_completed",
    "call.consult_cancelled",
)

_adapter: TypeAdapter = TypeAdapter(CtiEvent)


def parse(data) -> dict:
    """Validate one event (a dict from JSON); the event as a plain dict, or DomainError naming the field."""
    if not isinstance(data, dict):
        raise DomainError(ErrorCode.INVALID, _("An event is a JSON object."), field=None)
    if data.get("type") not in EVENT_TYPES:
        raise DomainError(
            ErrorCode.INVALID,
            _("Unknown event type; one of: %(types)s.") % {"types": ", ".join(EVENT_TYPES)},
            field="type",
        )
    try:
        event = _adapter.validate_python(data)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"][1:]) or None
        raise DomainError(ErrorCode.INVALID, error["msg"], field=field) from None
    result = event.model_dump(exclude_none=True)
    if result["type"] == "call.transferred" and ("to_group" in result) == ("to_agent" in result):
        raise DomainError(ErrorCode.INVALID, _("Transfer to a skill group or to an agent."), field="to_group")
    if result["type"] == "call.consult" and ("to_group" in result) == ("to_agent" in result):
        raise DomainError(ErrorCode.INVALID, _("Consult a skill group or an agent."), field="to_group")
    if result["type"] == "agent.state" and result["state"] == "not_ready" and not result.get("reason"):
        raise DomainError(ErrorCode.INVALID, _("Not ready (示忙) needs a reason."), field="reason")
    return result


# ------------------------------------------------------------------------------ refusals

#: The engine's refusal codes (docs/routing.md) as messages for people, and the HTTP status of each.
REFUSALS = {
    "unknown_call": (_("No such call."), 404, "call"),
    "unknown_agent": (_("No such agent."), 404, "agent"),
    "unknown_group": (_("No such skill group."), 404, "group"),
    "duplicate_call": (_("A call with this id was offered already."), 409, "call"),
    "illegal_transition": (_("The agent cannot change to this state now."), 409, "state"),
    "bad_state": (_("The call is not in a state that allows this."), 409, "call"),
    "agent_busy": (_("The agent is not ready."), 409, "to_agent"),
    "bad_value": (_("A value of the event is not allowed."), 422, None),
}


def refusal_message(code: str, reason: str = "") -> str:
    """The translated message of an engine refusal (in the active language)."""
    if code == "illegal_transition":
        if "on a call" in reason:
            return str(_("The agent is on a call: end or transfer the call first."))
        if "ringing" in reason:
            return str(_("A call is ringing at the agent: answer it first."))
        if "logged out" in reason:
            return str(_("The agent is logged out: log in first."))
        if "logged in already" in reason:
            return str(_("The agent is logged in already."))
    if code == "bad_state" and "consult is in progress" in reason:
        return str(_("A consult is in progress: complete or cancel it first."))
    if code == "bad_state" and ("consult" in reason or "not on the line" in reason):
        return str(_("No consult in this state on the call."))
    if code == "agent_busy" and "of the group" in reason:
        return str(_("No agent of the group is ready."))
    if code == "bad_value" and "needs a reason" in reason:
        return str(_("Not ready (示忙) needs a reason."))
    message, _status, _field = REFUSALS.get(code, (_("The event was refused."), 409, None))
    return str(message)


def refusal_error(message: dict) -> DomainError:
    """An `event.refused` message as the DomainError the HTTP API answers with."""
    code = message["code"]
    _message, status, field = REFUSALS.get(code, (None, 409, None))
    if code == "agent_busy" or (field == "agent" and message.get("event") in ("call.transferred", "call.consult")):
        field = "to_agent"
    error_code = {404: ErrorCode.NOT_FOUND, 422: ErrorCode.INVALID}.get(status, ErrorCode.CONFLICT)
    return DomainError(
        error_code,
        refusal_message(code, message.get("reason", "")),
        field=field,
        refused=code,
        reason=message.get("reason", ""),
    )
