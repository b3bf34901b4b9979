"""Contact-centre operations for people and adapters: send CTI events (validated, enriched with the
caller's subscriber, tier and customer manager within the sender's data scope), the agent's own
state changes from the desktop, a team leader forcing a state, wrap-up, configuration reloads.

The router itself (kefu.contact.router) owns the routing state; everything here goes through
`transport.submit`, so the same rules hold for the HTTP API, the WebSocket, the desktop and the
simulator.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.contact import events as cti_events
from kefu.contact import transport
from kefu.contact.models import Agent, Contact, ContactCentre, Outcome, WrapUpCode
from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.services import record_change
from kefu.customers.models import Subscriber

log = logging.getLogger("kefu.contact.cti")


def centre_for(user, code: str) -> ContactCentre:
    centre = ContactCentre.objects.restrict(user).filter(code=code).first()
    if centre is None:
        raise NotFound(_("No such contact centre."))
    return centre


def enrich(user, centre: ContactCentre, event: dict) -> dict:
    """Add what the router needs and may not look up itself: for an offered call, the caller's
    on-net subscriber (in the sender's scope), region, VIP tier and customer manager's agent code."""
    if event["type"] == "call.offered" and event.get("caller"):
        subscriber = (
            Subscriber.objects.restrict(user)
            .on_net()
            .filter(msisdn=event["caller"])
            .only("id", "region_id", "vip_tier", "customer_manager_id")
            .first()
        )
        if subscriber is not None:
            event["subscriber"] = subscriber.pk
            event["region"] = subscriber.region_id
            event.setdefault("tier", subscriber.vip_tier)
            if subscriber.customer_manager_id:
                manager = (
                    Agent.objects.filter(centre=centre, user_id=subscriber.customer_manager_id, active=True)
                    .values_list("code", flat=True)
                    .first()
                )
                if manager:
                    event["manager"] = manager
    return event


def submit(user, centre: ContactCentre, raw_events: list) -> list[dict] | None:
    """Validate, enrich and send events to the centre's router; the messages they caused (None: the
    router has them queued but did not answer in time)."""
    parsed = []
    for index, raw in enumerate(raw_events):
        try:
            parsed.append(enrich(user, centre, cti_events.parse(raw)))
        except DomainError as exc:
            log.warning("CTI event refused before routing (%s): %s %s", centre.code, exc.message, raw)
            if len(raw_events) > 1:
                exc.extra["index"] = index
            raise
    return transport.submit(centre.code, parsed)


def submit_one(user, centre: ContactCentre, raw: dict) -> dict:
    """One event; its messages, or DomainError when the router refused it (the reason translated)."""
    messages = submit(user, centre, [raw])
    if messages is None:
        return {"accepted": None, "ref": raw.get("ref"), "messages": []}
    for message in messages:
        if message["type"] == "event.refused":
            raise cti_events.refusal_error(message)
    return {"accepted": True, "ref": raw.get("ref"), "messages": messages}


# ---------------------------------------------------------------------------------------- desktop


def agent_of(user) -> Agent:
    agent = Agent.objects.select_related("centre").filter(user=user, active=True).first()
    if agent is None:
        raise DomainError(ErrorCode.FORBIDDEN, _("You are not set up as an agent of a contact centre."))
    return agent


def desktop_action(user, action: str, reason: str = "") -> dict:
    """The state buttons: login (签入), ready (就绪), not_ready (示忙, with a reason), break (休息), logout (签出)."""
    agent = agent_of(user)
    return _agent_event(user, agent, action, reason)


#: What a team leader may force: 就绪 ready, 示忙 not ready (with a reason), 休息 break, 签出 logged out.
FORCE_ACTIONS = ("ready", "not_ready", "break", "logout")


def force_state(leader, agent_code: str, action: str, reason: str = "") -> dict:
    """A team leader forces an agent's state: ready, not ready (with a reason), break or logged out.
    An illegal change (e.g. logging out an agent on a call) is refused with the router's reason and
    nothing changes; every attempt is in the log, every forced change in the audit trail."""
    if not leader.has_perm("contact.force_agent_state"):
        raise DomainError(ErrorCode.FORBIDDEN, _("You may not change another agent's state."))
    agent = Agent.objects.select_related("centre", "user").filter(code=agent_code).first()
    if agent is None or not ContactCentre.objects.restrict(leader).filter(pk=agent.centre_id).exists():
        raise NotFound(_("No such agent."))
    if action not in FORCE_ACTIONS:
        raise DomainError(ErrorCode.INVALID, _("Unknown action."), field="action")
    reason = reason.strip()[:80]
    if action == "not_ready" and not reason:
        raise DomainError(ErrorCode.INVALID, _("Not ready (示忙) needs a reason."), field="reason")
    before = _agent_row(agent)
    try:
        result = _agent_event(leader, agent, action, reason or _("set by a team leader"))
    except DomainError as exc:
        log.warning("team leader %s may not force agent %s to %s: %s", leader.username, agent.code, action, exc.message)
        raise
    log.info("team leader %s forced agent %s from %s to %s", leader.username, agent.code, before, action)
    record_change(
        leader,
        agent,
        "force_state",
        {"state": [before, "logged_out" if action == "logout" else action], "reason": reason},
        region_id=agent.centre.region_id,
    )
    return result


def _agent_row(agent: Agent) -> str | None:
    """The agent's state now, from the router's snapshot (None when the router does not know it)."""
    try:
        snapshot = transport.snapshot(agent.centre.code)
    except DomainError:
        return None
    row = next((a for a in snapshot["agents"] if a["agent"] == agent.code), None)
    return row["state"] if row else None


def _agent_event(user, agent: Agent, action: str, reason: str) -> dict:
    if action == "login":
        event = {"type": "agent.login", "agent": agent.code}
    elif action == "logout":
        event = {"type": "agent.logout", "agent": agent.code}
    elif action in ("ready", "not_ready", "break"):
        event = {"type": "agent.state", "agent": agent.code, "state": action}
        if reason:
            event["reason"] = reason
        if action == "not_ready" and reason not in parameters.get("contact.not_ready_reasons"):
            if user == agent.user:  # agents pick from the list; a leader's reason is free text
                raise DomainError(ErrorCode.INVALID, _("Pick a reason for not ready."), field="reason")
    else:
        raise DomainError(ErrorCode.INVALID, _("Unknown action."), field="action")
    return submit_one(user, agent.centre, event)


#: Desktop call actions of a consult, and their CTI event. The consulted agent may answer or leave
#: (cancel) the consult leg; everything else is the call's own agent's.
CONSULT_ACTIONS = {
    "consult": "call.consult",
    "consult_answer": "call.consult_answered",
    "conference": "call.conferenced",
    "consult_complete": "call.consult_completed",
    "consult_cancel": "call.consult_cancelled",
}
CONSULTED_MAY = ("consult_answer", "consult_cancel")


def call_action(user, call_id: str, action: str, **fields) -> dict:
    """What the desktop asks for a call the agent holds: answer, end, transfer (to a group or agent),
    consult (to a group or agent), then complete the transfer, conference or cancel the consult."""
    agent = agent_of(user)
    if action in CONSULT_ACTIONS:
        event = {"type": CONSULT_ACTIONS[action], "call": call_id}
        if action == "consult":
            for name in ("to_group", "to_agent"):
                if fields.get(name):
                    event[name] = fields[name]
        contact = Contact.objects.filter(centre=agent.centre, call_id=call_id).order_by("-leg").first()
        consulted = contact is not None and ((contact.details or {}).get("consult") or {}).get("agent") == agent.code
        mine = contact is not None and contact.agent_id == user.pk
        if not (mine or (consulted and action in CONSULTED_MAY)):
            raise NotFound(_("No such call at your desk."))
        if action == "consult_cancel" and consulted and not mine:
            event["reason"] = "declined by the consulted agent"
        return submit_one(user, agent.centre, event)
    if action == "answer":
        event = {"type": "call.answered", "call": call_id}
    elif action == "end":
        event = {"type": "call.ended", "call": call_id, "wrap_up": True}
    elif action == "transfer":
        event = {"type": "call.transferred", "call": call_id, "wrap_up": True}
        for name in ("to_group", "to_agent"):
            if fields.get(name):
                event[name] = fields[name]
    else:
        raise DomainError(ErrorCode.INVALID, _("Unknown action."), field="action")
    contact = Contact.objects.filter(centre=agent.centre, call_id=call_id).order_by("-leg").first()
    if contact is None or contact.agent_id != user.pk:
        raise NotFound(_("No such call at your desk."))
    return submit_one(user, agent.centre, event)


def desk_resume(centre: str, agent_code: str) -> tuple[dict | None, list[dict]]:
    """The agent's row of the router's snapshot, and the messages a desktop that connects in the middle of
    a call (a reloaded page, a new browser) missed and needs to show it again: the call it holds, as the
    `call.assigned` it got then, and a consult in progress on either side (`call.consult_offered`, then
    `call.conferenced` in a conference). The same messages as live, marked `resumed`."""
    try:
        snapshot = transport.snapshot(centre)
    except DomainError:
        return None, []
    rows = {row["agent"]: row for row in snapshot["agents"]}
    me = rows.get(agent_code)
    if me is None:
        return None, []
    call = me.get("call") or me.get("consult")  # a consulted agent holds a consult leg, not a call of its own
    if not call:
        return me, []
    messages: list[dict] = []
    if me.get("call"):
        messages.append(
            {"type": "call.assigned", "call": call, "agent": agent_code, "answered": me["state"] == "talking"}
        )
        consultant = next((row for row in rows.values() if row.get("consult") == call), None)
        if consultant is not None:
            messages += _consult_messages(call, agent_code, consultant)
    else:
        owner = next((row for row in rows.values() if row.get("call") == call), None)
        if owner is not None:
            messages += _consult_messages(call, owner["agent"], me)
    fields = _call_fields(centre, call) if messages else {}
    return me, [{**message, **fields, "resumed": True} for message in messages]


def _call_fields(centre: str, call: str) -> dict:
    contact = Contact.objects.filter(centre__code=centre, call_id=call).order_by("-leg").first()
    if contact is None:
        return {}
    return {"contact": contact.pk, "subscriber": contact.subscriber_id, "tier": contact.tier}


def _consult_messages(call: str, agent: str, consultant: dict) -> list[dict]:
    state = consultant.get("consult_state")
    offered = {
        "type": "call.consult_offered",
        "call": call,
        "agent": agent,
        "consultant": consultant["agent"],
        "answered": state in ("talking", "conference"),
    }
    if state != "conference":
        return [offered]
    return [offered, {"type": "call.conferenced", "call": call, "agent": agent, "consultant": consultant["agent"]}]


@transaction.atomic
def wrap_up(user, contact_id: int, code: str, summary: str = "", outcome: str = "") -> Contact:
    """话后小结: the agent who took the call records its wrap-up code, summary and outcome."""
    contact = Contact.objects.select_for_update().filter(pk=contact_id, agent=user).first()
    if contact is None:
        raise NotFound(_("No such call of yours."))
    if not WrapUpCode.objects.filter(code=code, active=True).exists():
        raise DomainError(ErrorCode.INVALID, _("Unknown wrap-up code."), field="code")
    if outcome and outcome not in (Outcome.RESOLVED, Outcome.WORK_ORDER, Outcome.ANSWERED):
        raise DomainError(ErrorCode.INVALID, _("Unknown outcome."), field="outcome")
    contact.wrap_up = code
    contact.summary = summary[:200]
    if outcome:
        contact.outcome = outcome
    contact.save(update_fields=["wrap_up", "summary", "outcome"])
    record_change(user, contact, "wrap_up", {"code": code, "outcome": contact.outcome})
    return contact


def reload_config(centre: ContactCentre) -> None:
    """Tell the centre's router that skill groups or rules changed (after the commit)."""
    transaction.on_commit(lambda: transport.submit(centre.code, [{"type": "config.reload"}], wait=0))
