"""A work order as a TMF621 TroubleTicket (v4), and back: statuses, priorities, ticket types.

Status mapping (our status and step → TMF `status`):

=================================================  ==============
open, at the workflow's first step                  acknowledged
open, at the callback step (回访: handled, waiting)  resolved
open, at any other step                             inProgress
suspended                                           held
closed                                              closed
closed as merged into another order (duplicate)     rejected
withdrawn                                           cancelled
=================================================  ==============
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from kefu.core import parameters
from kefu.core.masking import Masker
from kefu.workorders.models import (
    Category,
    EventKind,
    Priority,
    Status,
    WorkflowVersion,
    WorkOrder,
)

BASE = "/tmf-api/troubleTicket/v4"
STATUSES = ("acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "closed", "resolved")
PRIORITY_NAMES = {Priority.LOW: "Low", Priority.NORMAL: "Medium", Priority.HIGH: "High", Priority.URGENT: "Critical"}
PRIORITY_VALUES = {name.lower(): value for value, name in PRIORITY_NAMES.items()}
ATTRIBUTES = (
    "id",
    "href",
    "name",
    "description",
    "severity",
    "ticketType",
    "priority",
    "status",
    "statusChangeDate",
    "statusChangeReason",
    "creationDate",
    "lastUpdate",
    "expectedResolutionDate",
    "requestedResolutionDate",
    "resolutionDate",
    "externalId",
    "channel",
    "relatedParty",
    "note",
    "statusChange",
    "troubleTicketRelationship",
    "attachment",
    "@type",
)
FILTERS = ("status", "ticketType", "severity", "priority", "externalId", "name")


def tmf_status(order: WorkOrder) -> str:
    if order.status == Status.WITHDRAWN:
        return "cancelled"
    if order.status == Status.CLOSED:
        return "rejected" if order.merged_into_id else "closed"
    if order.status == Status.SUSPENDED:
        return "held"
    definition = order.definition()
    if order.step == definition.initial:
        return "acknowledged"
    if definition.step(order.step).callback:
        return "resolved"
    return "inProgress"


def _step_pairs(kind: str) -> Q:
    """(version, step) pairs of every workflow version's first (kind=initial) or callback steps."""
    condition = Q(pk__in=[])
    for version in WorkflowVersion.objects.all():
        definition = version.parsed()
        codes = [definition.initial] if kind == "initial" else [s.code for s in definition.steps if s.callback]
        if codes:
            condition |= Q(workflow_version=version.pk, step__in=codes)
    return condition


def status_condition(status: str) -> Q:
    if status == "cancelled":
        return Q(status=Status.WITHDRAWN)
    if status == "closed":
        return Q(status=Status.CLOSED, merged_into__isnull=True)
    if status == "rejected":
        return Q(status=Status.CLOSED, merged_into__isnull=False)
    if status == "held":
        return Q(status=Status.SUSPENDED)
    if status == "acknowledged":
        return Q(status=Status.OPEN) & _step_pairs("initial")
    if status == "resolved":
        return Q(status=Status.OPEN) & _step_pairs("callback")
    if status == "inProgress":
        return Q(status=Status.OPEN) & ~_step_pairs("initial") & ~_step_pairs("callback")
    return Q(pk__in=[])  # pending: never used by us


def ticket_type(order: WorkOrder) -> str:
    return order.data.get("ticketType") or order.category.code


def severity(order: WorkOrder) -> str:
    return order.data.get("severity") or ("Major" if order.priority >= Priority.HIGH else "Minor")


def category_for(ticket_type_value: str) -> Category | None:
    """Our category for a TMF ticketType: a category code as is, else `workorders.tmf_ticket_types`."""
    category = Category.objects.filter(code=ticket_type_value, active=True).first()
    if category is not None:
        return category
    table = parameters.get("workorders.tmf_ticket_types")
    code = table.get(ticket_type_value.lower(), table.get("*"))
    return Category.objects.filter(code=code, active=True).first() if code else None


def _t(value):
    return timezone.localtime(value).isoformat() if value is not None else None


def href(order: WorkOrder) -> str:
    return f"{BASE}/troubleTicket/{order.number}"


_STATUS_EVENTS = (
    EventKind.CREATED,
    EventKind.TRANSITION,
    EventKind.TRANSFER,
    EventKind.CLOSE,
    EventKind.CALLBACK,
    EventKind.REOPEN,
    EventKind.SUSPEND,
    EventKind.RESUME,
    EventKind.WITHDRAW,
    EventKind.MERGE,
)


def ticket(order: WorkOrder, masker: Masker, events=None) -> dict:
    """The TroubleTicket of an order. `events` (the timeline) adds notes and status changes."""
    parties = []
    if order.customer_id:
        parties.append(
            {
                "id": str(order.customer_id),
                "name": order.customer.name,
                "role": "customer",
                "@referredType": "Individual",
                "href": f"/tmf-api/party/v4/individual/{order.customer_id}",
                "contactMedium": masker.msisdn(order.customer.msisdn),
            }
        )
    if order.handler_id:
        parties.append(
            {"id": order.handler.username, "name": str(order.handler), "role": "handler", "@referredType": "Individual"}
        )
    resource = {
        "id": order.number,
        "href": href(order),
        "name": order.title,
        "description": order.description or order.title,
        "severity": severity(order),
        "ticketType": ticket_type(order),
        "priority": PRIORITY_NAMES[order.priority],
        "status": tmf_status(order),
        "statusChangeDate": _t(order.closed_at or order.suspended_at or order.step_entered_at),
        "statusChangeReason": order.data.get("statusChangeReason", ""),
        "creationDate": _t(order.created_at),
        "lastUpdate": _t(order.updated_at),
        "expectedResolutionDate": _t(order.due_at),
        "requestedResolutionDate": order.data.get("requestedResolutionDate"),
        "resolutionDate": _t(order.closed_at) if order.status == Status.CLOSED else None,
        "externalId": order.data.get("externalId", ""),
        "channel": {"id": order.channel, "name": order.get_channel_display()},
        "relatedParty": parties,
        "troubleTicketRelationship": [
            {"id": o.number, "href": href(o), "relationshipType": kind}
            for o, kind in ((order.merged_into, "isDuplicateOf"), (order.split_from, "isSplitFrom"))
            if o is not None
        ],
        "@type": "TroubleTicket",
    }
    if events is not None:
        resource["note"] = [
            {
                "id": str(e.pk),
                "author": e.data.get("author") or (e.actor.username if e.actor_id else ""),
                "date": _t(e.at),
                "text": e.text,
                "@type": "Note" if e.kind == EventKind.NOTE else "Reply",
            }
            for e in events
            if e.kind in (EventKind.NOTE, EventKind.REPLY)
        ]
        resource["statusChange"] = [
            {"changeDate": _t(e.at), "changeReason": e.text, "status": e.data.get("tmf_status", "")}
            for e in events
            if e.kind in _STATUS_EVENTS and e.data.get("tmf_status")
        ]
        resource["attachment"] = [
            {
                "id": str(a.pk),
                "name": a.name,
                "mimeType": a.content_type,
                "size": {"amount": a.size, "units": "bytes"},
                "url": f"/api/v1/workorders/{order.number}/attachments/{a.pk}",
                "@referredType": "Attachment",
            }
            for a in order.attachments.all()
        ]
    return resource
