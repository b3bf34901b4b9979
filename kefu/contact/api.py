"""The CTI interface over HTTP (`/api/v1/cti/<centre>/...`, CC-5) and the agent desktop's calls
(`/api/v1/contact/desktop/...`, CC-6). Thin: kefu.contact.services does the work.

Adapters authenticate with a bearer token of a staff account holding `contact.drive_cti` (role
`switch`); the desktop uses the page session (with the CSRF token). The event reference is
docs/contact-centre.md.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Body, Router, Schema, Status

from kefu.contact import services, transport
from kefu.contact.models import ContactCentre
from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.services import require

router = Router(tags=["CTI"])
desktop_router = Router(tags=["Agent desktop"])


class EventResult(Schema):
    accepted: bool | None
    ref: str | None = None
    messages: list[dict[str, Any]]


def _require(request, perm: str) -> None:
    require(request.user, perm)


def _centre(request, centre: str) -> ContactCentre:
    return services.centre_for(request.user, centre)


@router.post(
    "/{centre}/events",
    response={200: EventResult, 202: EventResult, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def post_event(request, centre: str, event: Body[dict[str, Any]]):
    """Send one CTI event (see the event reference). 200 with the messages it caused; 202 when the
    router has queued it but not answered in time; a refusal is 404/409/422 with `code`, `detail`
    (translated), `field` and the router's `refused` code and English `reason`."""
    _require(request, "contact.drive_cti")
    result = services.submit_one(request.user, _centre(request, centre), event)
    return Status(202 if result["accepted"] is None else 200, result)


@router.get("/{centre}/snapshot", response={200: dict[str, Any], 403: Problem, 404: Problem, 409: Problem})
def snapshot(request, centre: str):
    """Queues (waiting, longest wait), agents and their states, today's figures per skill group."""
    if not (request.user.has_perm("contact.drive_cti") or request.user.has_perm("contact.view_wallboard")):
        raise DomainError(ErrorCode.FORBIDDEN, _("You may not do this."))
    return transport.snapshot(_centre(request, centre).code)


@router.get("/{centre}/agents/{agent}", response={200: dict[str, Any], 403: Problem, 404: Problem, 409: Problem})
def agent_state(request, centre: str, agent: str):
    """One agent's state and call (an adapter resynchronising, a desktop reconnecting)."""
    _require(request, "contact.drive_cti")
    data = transport.snapshot(_centre(request, centre).code)
    for row in data["agents"]:
        if row["agent"] == agent:
            return row
    raise DomainError(ErrorCode.NOT_FOUND, _("No such agent."), field="agent")


# ---------------------------------------------------------------------------------------- desktop


class StateRequest(Schema):
    action: str
    reason: str = ""


class CallRequest(Schema):
    action: str
    to_group: str | None = None
    to_agent: str | None = None


class WrapUpRequest(Schema):
    code: str
    summary: str = ""
    outcome: str = ""


class ForceRequest(Schema):
    agent: str
    action: str
    reason: str = ""


@desktop_router.post("/state", response={200: EventResult, 202: EventResult, 403: Problem, 409: Problem, 422: Problem})
def desktop_state(request, body: StateRequest):
    """签入 login, 就绪 ready, 示忙 not_ready (with a reason), 休息 break, 签出 logout."""
    _require(request, "contact.use_desktop")
    result = services.desktop_action(request.user, body.action, body.reason)
    return Status(202 if result["accepted"] is None else 200, result)


@desktop_router.post(
    "/calls/{call}",
    response={200: EventResult, 202: EventResult, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
def desktop_call(request, call: str, body: CallRequest):
    """answer, end, transfer (to_group or to_agent) the call at the agent's desk; consult (to_group or to_agent),
    consult_answer (the consulted agent), conference, consult_complete (warm transfer), consult_cancel."""
    _require(request, "contact.use_desktop")
    result = services.call_action(request.user, call, body.action, to_group=body.to_group, to_agent=body.to_agent)
    return Status(202 if result["accepted"] is None else 200, result)


@desktop_router.post(
    "/contacts/{contact_id}/wrap-up", response={200: dict[str, Any], 403: Problem, 404: Problem, 422: Problem}
)
def desktop_wrap_up(request, contact_id: int, body: WrapUpRequest):
    _require(request, "contact.use_desktop")
    contact = services.wrap_up(request.user, contact_id, body.code, body.summary, body.outcome)
    return {"id": contact.pk, "wrap_up": contact.wrap_up, "outcome": contact.outcome, "summary": contact.summary}


@desktop_router.post(
    "/force", response={200: EventResult, 202: EventResult, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
)
def force_state(request, body: ForceRequest):
    """A team leader sets an agent's state."""
    result = services.force_state(request.user, body.agent, body.action, body.reason)
    return Status(202 if result["accepted"] is None else 200, result)


# ---------------------------------------------------------------------------------------- IVR

ivr_router = Router(tags=["IVR"])


class IvrStart(Schema):
    centre: str
    call: str
    caller: str = ""
    menu: str = ""


class IvrDigits(Schema):
    digits: str


class IvrSurvey(Schema):
    score: int


@ivr_router.post("/sessions", response={200: dict[str, Any], 403: Problem, 404: Problem, 422: Problem})
def ivr_start(request, body: IvrStart):
    """A caller reaches the IVR: the greeting and the choices of the entry menu."""
    _require(request, "contact.drive_cti")
    from kefu.contact import ivr

    return ivr.start(request.user, _centre(request, body.centre), body.call, body.caller, body.menu)


@ivr_router.post(
    "/sessions/{session}/digits", response={200: dict[str, Any], 403: Problem, 404: Problem, 409: Problem, 422: Problem}
)
def ivr_digits(request, session: str, body: IvrDigits):
    """DTMF digits pressed: the next prompt, a self-service answer, a transfer to a skill group or goodbye."""
    _require(request, "contact.drive_cti")
    from kefu.contact import ivr

    return ivr.press(request.user, session, body.digits)


@ivr_router.post(
    "/sessions/{session}/survey", response={200: dict[str, Any], 403: Problem, 404: Problem, 409: Problem, 422: Problem}
)
def ivr_survey(request, session: str, body: IvrSurvey):
    """The satisfaction survey after the call (1-5), stored with the call's record."""
    _require(request, "contact.drive_cti")
    from kefu.contact import ivr

    contact = ivr.survey(request.user, session, body.score)
    return {"contact": contact.pk, "satisfaction": contact.satisfaction}
