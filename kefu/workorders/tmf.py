"""TMF621 Trouble Ticket v4 (`/tmf-api/troubleTicket/v4`): work orders for an operator's other systems.

Thin: the mapping is `tmf_mapping`, the list conventions `core.tmf_api`, every rule `services`.
Invalid input is 400 here (the TMF621 specification and its conformance kit say so), in the TMF
`Error` shape. A ticket's `id` is the order number. PATCH may carry `If-Match: "<version>"`
(GET and PATCH answer with the ETag); a stale one is 409.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import urlparse

from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, Router, Schema, Status

from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.masking import Masker
from kefu.core.tmf_api import (
    TmfError,
    TmfProblem,
    check_get_query,
    parse_list_query,
    select_fields,
    set_count_headers,
)
from kefu.core.validators import is_msisdn
from kefu.customers.models import Channel
from kefu.workorders import clock, events, services, tmf_mapping
from kefu.workorders.models import Listener, Satisfaction, WorkOrder

router = Router(tags=["TMF621 Trouble Ticket"])

_ERRORS = {400: TmfProblem, 401: Problem, 403: TmfProblem, 404: TmfProblem, 405: TmfProblem, 409: TmfProblem}


class Tmf621Error(TmfError):
    """TMF621 answers invalid input with 400 Bad Request."""

    @property
    def status(self) -> int:
        return 400 if self.code == ErrorCode.INVALID else super().status


def tmf621(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            raise Tmf621Error(exc.code, exc.message, field=exc.field, **exc.extra) from exc

    return wrapper


def _invalid(message: str, field: str) -> Tmf621Error:
    return Tmf621Error(ErrorCode.INVALID, message, field=field)


def _etag(response: HttpResponse, order: WorkOrder) -> None:
    response["ETag"] = f'"{order.version}"'


def _if_match(request) -> int | None:
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    digits = raw.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise _invalid(_('If-Match takes the version from the ETag, e.g. "7".'), "If-Match")
    return int(digits)


def _resource(request, order: WorkOrder) -> dict:
    order = services.get_order(request.user, order.number)
    return tmf_mapping.ticket(order, Masker(request.user), services.timeline(order))


# --- schemas for the OpenAPI document ---------------------------------------------------------


class Tmf621EventSubscriptionInput(Schema):
    callback: str
    query: str | None = None


class Tmf621EventSubscription(Schema):
    id: str
    callback: str
    query: str | None = None


# --- reading -----------------------------------------------------------------------------------


def _filter(qs, name: str, values: list[str]):
    if name == "status":
        unknown = [v for v in values if v not in tmf_mapping.STATUSES]
        if unknown:
            raise _invalid(_("Unknown status: %(value)s.") % {"value": unknown[0]}, "status")
        condition = Q(pk__in=[])
        for value in values:
            condition |= tmf_mapping.status_condition(value)
        return qs.filter(condition)
    if name == "priority":
        wanted = [tmf_mapping.PRIORITY_VALUES.get(v.lower()) for v in values]
        return qs.filter(priority__in=[w for w in wanted if w])
    if name == "name":
        return qs.filter(title__in=values)
    if name == "ticketType":
        return qs.filter(
            Q(data__ticketType__in=values) | (Q(category__code__in=values) & ~Q(data__has_key="ticketType"))
        )
    return qs.filter(**{f"data__{name}__in": values})  # severity, externalId


@router.get("/troubleTicket", response={200: list[dict[str, Any]], **_ERRORS}, url_name="tmf621_ticket_list")
@tmf621
def list_tickets(request, response: HttpResponse):
    """Tickets (work orders) of the caller's scope, newest first; filters status, ticketType, severity,
    priority, externalId, name (comma-separated values: any of them); `fields`, `offset`, `limit`."""
    services.require_view(request.user)
    query = parse_list_query(request.GET, tmf_mapping.ATTRIBUTES, tmf_mapping.FILTERS, split_values=tmf_mapping.FILTERS)
    qs = services.scoped_orders(request.user).select_related(*services.RELATED)
    for name, values in query.filters.items():
        qs = _filter(qs, name, values)
    qs = qs.order_by("-created_at", "-id")
    total = qs.count()
    masker = Masker(request.user)
    want_timeline = query.fields is None or {"note", "statusChange", "attachment"} & query.fields
    items = []
    for order in qs[query.offset : query.offset + query.limit]:
        timeline = services.timeline(order) if want_timeline else None
        items.append(select_fields(tmf_mapping.ticket(order, masker, timeline), query.fields))
    set_count_headers(response, total, len(items))
    return items


@router.get("/troubleTicket/{id}", response={200: dict[str, Any], **_ERRORS}, url_name="tmf621_ticket")
@tmf621
def get_ticket(request, id: str, response: HttpResponse):
    """One ticket; `fields` selects attributes. Unknown and out-of-scope ids are the same 404."""
    fields = check_get_query(request.GET, tmf_mapping.ATTRIBUTES)
    order = services.get_order(request.user, id)
    _etag(response, order)
    return select_fields(tmf_mapping.ticket(order, Masker(request.user), services.timeline(order)), fields)


# --- creating ----------------------------------------------------------------------------------

_IGNORED_ON_CREATE = {
    "status",
    "statusChange",
    "id",
    "href",
    "creationDate",
    "lastUpdate",
    "@type",
    "@baseType",
    "@schemaLocation",
    "statusChangeDate",
    "statusChangeReason",
    "expectedResolutionDate",
    "resolutionDate",
}
_CREATE_KEYS = {
    "description",
    "severity",
    "ticketType",
    "name",
    "priority",
    "externalId",
    "requestedResolutionDate",
    "channel",
    "relatedParty",
    "note",
}


def _text(body: dict, key: str, required: bool = False, limit: int = 4000) -> str | None:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _invalid(_("%(name)s is required.") % {"name": key}, key)
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _invalid(_("%(name)s must be text of at most %(limit)d characters.") % {"name": key, "limit": limit}, key)
    return value.strip()


def _priority(body: dict) -> int | None:
    value = _text(body, "priority", limit=20)
    if value is None:
        return None
    if value.lower() not in tmf_mapping.PRIORITY_VALUES:
        raise _invalid(_("priority is one of Critical, High, Medium, Low."), "priority")
    return tmf_mapping.PRIORITY_VALUES[value.lower()]


def _notes(body: dict) -> list[tuple[str, str]]:
    notes = body.get("note")
    if notes is None:
        return []
    if not isinstance(notes, list):
        raise _invalid(_("note must be a list of notes."), "note")
    out = []
    for index, note in enumerate(notes):
        if not isinstance(note, dict) or not isinstance(note.get("text"), str) or not note["text"].strip():
            raise _invalid(_("Every note needs a text."), f"note[{index}].text")
        out.append((note["text"].strip()[:4000], str(note.get("author") or "")[:100]))
    return out


def _date(body: dict, key: str) -> str | None:
    value = _text(body, key, limit=40)
    if value is None:
        return None
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(_("%(name)s must be a date and time (ISO 8601).") % {"name": key}, key) from None
    return value


def _customer(body: dict) -> dict:
    parties = body.get("relatedParty") or []
    if not isinstance(parties, list):
        raise _invalid(_("relatedParty must be a list."), "relatedParty")
    for index, party in enumerate(parties):
        if not isinstance(party, dict) or str(party.get("role", "")).lower() != "customer":
            continue
        value = str(party.get("id") or "").strip()
        if is_msisdn(value):
            return {"msisdn": value}
        if value.isdigit():
            return {"customer_id": int(value)}
        raise _invalid(_("The customer's id is an MSISDN or a customer id."), f"relatedParty[{index}].id")
    return {}


def _channel(body: dict) -> str:
    channel = body.get("channel")
    if channel is None:
        return Channel.WEB
    value = (channel.get("id") or channel.get("name") or "") if isinstance(channel, dict) else ""
    if value not in Channel.values:
        raise _invalid(_("channel.id is one of: %(values)s.") % {"values": ", ".join(Channel.values)}, "channel.id")
    return value


@router.post("/troubleTicket", response={201: dict[str, Any], **_ERRORS}, url_name="tmf621_ticket_create")
@tmf621
def create_ticket(request, response: HttpResponse, payload: Body[dict[str, Any]]):
    """Create a ticket (TroubleTicket_Create: description, severity and ticketType are required).

    `ticketType` is one of our category codes or a type mapped by the parameter
    `workorders.tmf_ticket_types` (complaint, inquiry, request, suggestion; anything else: fault report).
    A customer is named by a relatedParty with role `customer` and id = MSISDN (or customer id).
    Duplicates (same customer and type within 72 h) are accepted and noted in the timeline."""
    body = payload
    unknown = sorted(set(body) - _CREATE_KEYS - _IGNORED_ON_CREATE)
    if unknown:
        raise _invalid(_("This attribute cannot be set here: %(name)s.") % {"name": unknown[0]}, unknown[0])
    description = _text(body, "description", required=True)
    severity = _text(body, "severity", required=True, limit=40)
    ticket_type = _text(body, "ticketType", required=True, limit=40)
    name = _text(body, "name", limit=200) or description[:60]
    notes = _notes(body)
    category = tmf_mapping.category_for(ticket_type)
    if category is None:
        raise _invalid(_("Unknown ticketType."), "ticketType")
    data = {"severity": severity, "ticketType": ticket_type}
    for key in ("externalId",):
        if (value := _text(body, key, limit=100)) is not None:
            data[key] = value
    if (requested := _date(body, "requestedResolutionDate")) is not None:
        data["requestedResolutionDate"] = requested
    with transaction.atomic():
        order = services.create(
            request.user,
            category=category.code,
            title=name,
            description=description,
            channel=_channel(body),
            priority=_priority(body),
            confirm_duplicate=True,
            data=data,
            **_customer(body),
        )
        for text, author in notes:
            services.add_note(request.user, order.number, text, author=author)
    order = services.get_order(request.user, order.number)
    _etag(response, order)
    response["Location"] = tmf_mapping.href(order)
    return Status(201, tmf_mapping.ticket(order, Masker(request.user), services.timeline(order)))


# --- changing ----------------------------------------------------------------------------------

_READ_ONLY = {
    "id",
    "href",
    "creationDate",
    "lastUpdate",
    "statusChange",
    "statusChangeDate",
    "resolutionDate",
    "expectedResolutionDate",
    "ticketType",
    "relatedParty",
    "channel",
    "attachment",
    "troubleTicketRelationship",
    "@type",
    "@baseType",
    "@schemaLocation",
}
_PATCHABLE = {
    "name",
    "description",
    "priority",
    "severity",
    "externalId",
    "requestedResolutionDate",
    "statusChangeReason",
    "status",
    "note",
}


def _first_step_forward(order: WorkOrder) -> str | None:
    definition = order.definition()
    for t in definition.transitions_from(order.step):
        if not definition.step(t.target).final and not t.required:
            return t.code
    return None


def _change_status(user, number: str, target: str, reason: str, version: int | None) -> None:
    order = services.get_order(user, number)
    current = tmf_mapping.tmf_status(order)
    if target == current:
        return
    if target == "held":
        services.suspend(user, number, version=version, reason=reason or _("Put on hold through TMF621."))
    elif target == "cancelled":
        services.withdraw(user, number, version=version, reason=reason or _("Cancelled through TMF621."))
    elif target in ("inProgress", "acknowledged") and current == "held":
        order = services.resume(user, number, version=version)
        if target == "inProgress" and tmf_mapping.tmf_status(order) == "acknowledged":
            _change_status(user, number, target, reason, None)
    elif target == "inProgress" and current == "acknowledged" and (code := _first_step_forward(order)):
        services.transition(user, number, code, version=version)
    elif target == "closed" and current == "resolved":
        services.callback(user, number, version=version, satisfaction=Satisfaction.SATISFIED, note=reason)
    elif target in ("resolved", "closed") and current in ("acknowledged", "inProgress"):
        if not reason:
            raise _invalid(_("Give the result in statusChangeReason."), "statusChangeReason")
        services.close(user, number, version=version, result=reason)
    else:
        raise Tmf621Error(
            ErrorCode.CONFLICT,
            _("A ticket that is %(current)s cannot become %(target)s here.") % {"current": current, "target": target},
            field="status",
        )


@router.patch("/troubleTicket/{id}", response={200: dict[str, Any], **_ERRORS}, url_name="tmf621_ticket_patch")
@tmf621
def patch_ticket(request, id: str, response: HttpResponse, payload: Body[dict[str, Any]]):
    """Change name, description, priority, severity, externalId, requestedResolutionDate, add notes, or
    move the status: held (suspend), inProgress (resume / pass on), resolved or closed (close with
    statusChangeReason as the result; closed at the callback step records a satisfied callback),
    cancelled (withdraw). All or nothing."""
    body = payload
    read_only = sorted(set(body) & _READ_ONLY)
    if read_only:
        raise _invalid(_("This attribute cannot be changed: %(name)s.") % {"name": read_only[0]}, read_only[0])
    unknown = sorted(set(body) - _PATCHABLE)
    if unknown:
        raise _invalid(_("Unknown attribute: %(name)s.") % {"name": unknown[0]}, unknown[0])
    status = body.get("status")
    if status is not None and status not in tmf_mapping.STATUSES:
        raise _invalid(_("Unknown status."), "status")
    version = _if_match(request)
    reason = _text(body, "statusChangeReason") or ""
    data = {}
    for key in ("severity", "externalId"):
        if key in body:
            data[key] = _text(body, key, limit=100) or ""
    if "requestedResolutionDate" in body:
        data["requestedResolutionDate"] = _date(body, "requestedResolutionDate")
    if reason:
        data["statusChangeReason"] = reason
    notes = _notes(body)
    with transaction.atomic():
        details = {
            "title": _text(body, "name", limit=200) if "name" in body else None,
            "description": _text(body, "description") if "description" in body else None,
            "priority": _priority(body) if "priority" in body else None,
        }
        if any(v is not None for v in details.values()) or data:
            services.update_details(request.user, id, version=version, data=data, **details)
            version = None
        for text, author in notes:
            services.add_note(request.user, id, text, author=author)
        if status is not None:
            _change_status(request.user, id, status, reason, version)
        elif version is not None:
            services._lock(id, version, request.user)  # an empty patch still checks the version
    order = services.get_order(request.user, id)
    _etag(response, order)
    return tmf_mapping.ticket(order, Masker(request.user), services.timeline(order))


@router.delete("/troubleTicket/{id}", response={405: TmfProblem, **_ERRORS})
@tmf621
def delete_ticket(request, id: str):
    """Work orders are kept for the record: cancel one with PATCH status=cancelled instead."""
    services.get_order(request.user, id)
    return Status(
        405,
        {
            "code": "not_allowed",
            "reason": _("Method not allowed"),
            "message": _("Work orders are never deleted; PATCH the status to cancelled."),
            "detail": _("Work orders are never deleted; PATCH the status to cancelled."),
            "status": "405",
            "@type": "Error",
        },
    )


# --- hub ---------------------------------------------------------------------------------------


@router.post("/hub", response={201: Tmf621EventSubscription, **_ERRORS}, url_name="tmf621_hub")
@tmf621
def register_listener(request, payload: Tmf621EventSubscriptionInput):
    """Register a listener: events about the tickets the caller may see are POSTed to `callback`.
    `query` may name the event types (`eventType=TroubleTicketCreateEvent,TroubleTicketStatusChangeEvent`)."""
    if not request.user.has_perm("workorders.add_listener"):
        raise Tmf621Error(ErrorCode.FORBIDDEN, _("You may not register event listeners."))
    url = urlparse(payload.callback)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise _invalid(_("callback must be an http or https URL."), "callback")
    wanted = events.parse_query(payload.query or "")
    unknown = [e for e in wanted if e not in events.EVENT_TYPES]
    if unknown:
        raise _invalid(_("Unknown event type: %(name)s.") % {"name": unknown[0]}, "query")
    listener = Listener.objects.create(
        callback=payload.callback,
        query=payload.query or "",
        event_types=wanted,
        owner=request.user,
        created_at=clock.now(),
    )
    services.record_change(request.user, listener, "create", {"callback": listener.callback, "query": listener.query})
    return Status(201, {"id": str(listener.pk), "callback": listener.callback, "query": listener.query})


@router.delete("/hub/{id}", response={204: None, **_ERRORS})
@tmf621
def unregister_listener(request, id: str):
    listener = Listener.objects.filter(pk=int(id) if id.isdigit() else 0).first()
    if listener is None or not (
        listener.owner_id == request.user.pk or request.user.has_perm("workorders.delete_listener")
    ):
        raise NotFound(_("No listener with this id."))
    services.record_change(request.user, listener, "delete", {"callback": listener.callback})
    listener.delete()
    return Status(204, None)
