"""TMF683 Party Interaction v4 (`/tmf-api/partyInteraction/v4/partyInteraction`): every contact (CC-1),
read-only, in the caller's data scope, with `fields`, `offset`/`limit` and attribute filters
(kefu.core.tmf_api). A call's recording is an attachment whose `url` streams it to the roles that
may hear it (every access logged); the caller's number is masked unless the reader may unmask.

Mapping: `interactionDate` start/end = the contact's times; `direction` inbound/outbound;
`status` opened (waiting or ringing), inProgress (answered, not ended), completed (ended);
`channel` [{id: channel code, name, role: "interaction channel"}, {id: queue, role: "queue"}];
`reason` = the wrap-up code, `description` = the summary; `relatedParty`: the customer
(`@referredType` Customer, the TMF629 id), the agent (`@referredType` Individual, role agent);
`interactionItem`: one per call leg fact (outcome, wait, satisfaction) as items with a `reason`;
`interactionRelationship`: the other legs of the same call (relationshipType "transferredFrom"/"transferredTo").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kefu.contact.models import Contact, Direction, Outcome
from kefu.core.errors import ErrorCode
from kefu.core.masking import Masker
from kefu.core.models import AccessAction
from kefu.core.services import record_access
from kefu.core.tmf_api import (
    OUTPUT,
    READ_ERRORS,
    TmfError,
    check_get_query,
    invalid,
    parse_id,
    parse_list_query,
    select_fields,
    set_count_headers,
    tmf_errors,
)
from kefu.customers.models import Channel

router = Router(tags=["TMF683 Party Interaction"])

ATTRIBUTES = (
    "id",
    "href",
    "creationDate",
    "description",
    "direction",
    "reason",
    "status",
    "statusChangeDate",
    "attachment",
    "channel",
    "interactionDate",
    "interactionItem",
    "interactionRelationship",
    "note",
    "relatedParty",
    "@type",
)


def _status_q(values: list[str]) -> Q:
    allowed = {"opened", "inProgress", "completed"}
    bad = [v for v in values if v not in allowed]
    if bad:
        raise invalid(_("Unknown status: %(value)s.") % {"value": bad[0]}, "status")
    q = Q(pk__in=[])
    if "opened" in values:
        q |= Q(ended_at__isnull=True, answered_at__isnull=True)
    if "inProgress" in values:
        q |= Q(ended_at__isnull=True, answered_at__isnull=False)
    if "completed" in values:
        q |= Q(ended_at__isnull=False)
    return q


def _direction_q(values: list[str]) -> Q:
    codes = {"inbound": Direction.INBOUND, "outbound": Direction.OUTBOUND}
    bad = [v for v in values if v not in codes]
    if bad:
        raise invalid(_("direction is inbound or outbound."), "direction")
    return Q(direction__in=[codes[v] for v in values])


def _ids(values: list[str], field: str) -> list[int]:
    ids = [parse_id(v) for v in values]
    return [i for i in ids if i is not None]


def _date_q(values: list[str], lookup: str, field: str) -> Q:
    try:
        moment = datetime.fromisoformat(values[0].replace("Z", "+00:00"))
    except ValueError:
        raise invalid(_("%(name)s is a date-time (ISO 8601).") % {"name": field}, field) from None
    return Q(**{f"started_at__{lookup}": moment})


FILTERS = {
    "id": lambda v: Q(pk__in=_ids(v, "id")),
    "status": _status_q,
    "direction": _direction_q,
    "channel.id": lambda v: Q(channel__in=v),
    "reason": lambda v: Q(wrap_up__in=v),
    "relatedParty.id": lambda v: Q(subscriber_id__in=_ids(v, "relatedParty.id")),
    "interactionDate.startDateTime.gt": lambda v: _date_q(v, "gt", "interactionDate.startDateTime.gt"),
    "interactionDate.startDateTime.lt": lambda v: _date_q(v, "lt", "interactionDate.startDateTime.lt"),
}
SPLIT = ("id", "status", "direction", "channel.id", "reason", "relatedParty.id")


class Tmf683RelatedParty(Schema):
    id: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    referredType: str = Field(alias="@referredType")


class Tmf683Channel(Schema):
    id: str
    name: str | None = None
    role: str | None = None


class Tmf683TimePeriod(Schema):
    startDateTime: str | None = None
    endDateTime: str | None = None


class Tmf683Attachment(Schema):
    id: str | None = None
    attachmentType: str | None = None
    mimeType: str | None = None
    name: str | None = None
    url: str | None = None
    type: str | None = Field(None, alias="@type")


class Tmf683Item(Schema):
    id: str
    reason: str | None = None
    resolution: str | None = None


class Tmf683Relationship(Schema):
    id: str
    href: str | None = None
    relationshipType: str


class Tmf683PartyInteraction(Schema):
    id: str
    href: str
    creationDate: str | None = None
    description: str | None = None
    direction: str | None = None
    reason: str | None = None
    status: str | None = None
    statusChangeDate: str | None = None
    attachment: list[Tmf683Attachment] | None = None
    channel: list[Tmf683Channel] | None = None
    interactionDate: Tmf683TimePeriod | None = None
    interactionItem: list[Tmf683Item] | None = None
    interactionRelationship: list[Tmf683Relationship] | None = None
    note: list[dict[str, Any]] | None = None
    relatedParty: list[Tmf683RelatedParty] | None = None
    type: str | None = Field(None, alias="@type")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def interaction(contact: Contact, masker: Masker, request, legs: dict) -> dict:
    """One contact as a TMF683 PartyInteraction."""
    href = request.build_absolute_uri(reverse("api:tmf683_interaction", args=[contact.pk]))
    if contact.ended_at:
        status = "completed"
    elif contact.answered_at:
        status = "inProgress"
    else:
        status = "opened"
    channel = [{"id": contact.channel, "name": str(Channel(contact.channel).label), "role": "interaction channel"}]
    if contact.queue:
        channel.append({"id": contact.queue, "name": contact.queue, "role": "queue"})
    parties = []
    if contact.subscriber_id:
        parties.append(
            {
                "id": str(contact.subscriber_id),
                "href": request.build_absolute_uri(reverse("api:tmf629_customer", args=[contact.subscriber_id])),
                "name": contact.subscriber.name if contact.subscriber else None,
                "role": "customer",
                "@referredType": "Customer",
            }
        )
    elif contact.caller:
        parties.append({"id": masker.msisdn(contact.caller), "role": "caller", "@referredType": "Individual"})
    if contact.agent_id:
        parties.append(
            {
                "id": contact.agent.username,
                "name": contact.agent.get_full_name() or None,
                "role": "agent",
                "@referredType": "Individual",
            }
        )
    items = [
        {
            "id": "outcome",
            "reason": contact.outcome or None,
            "resolution": _outcome_label(contact.outcome),
        }
    ]
    if contact.answered_at:
        items.append({"id": "wait", "reason": "wait seconds", "resolution": f"{contact.wait_seconds:.0f}"})
    if contact.satisfaction:
        items.append({"id": "satisfaction", "reason": "satisfaction 1-5", "resolution": str(contact.satisfaction)})
    resource: dict[str, Any] = {
        "id": str(contact.pk),
        "href": href,
        "creationDate": _iso(contact.started_at),
        "description": contact.summary or None,
        "direction": "outbound" if contact.direction == Direction.OUTBOUND else "inbound",
        "reason": contact.wrap_up or None,
        "status": status,
        "statusChangeDate": _iso(contact.ended_at or contact.answered_at or contact.started_at),
        "channel": channel,
        "interactionDate": {"startDateTime": _iso(contact.started_at), "endDateTime": _iso(contact.ended_at)},
        "interactionItem": items,
        "relatedParty": parties,
        "attachment": [],
        "interactionRelationship": [],
        "note": [],
        "@type": "PartyInteraction",
    }
    if contact.recording_ref:
        resource["attachment"].append(
            {
                "id": f"recording-{contact.pk}",
                "attachmentType": "recording",
                "mimeType": "audio/wav" if contact.recording_ref.endswith(".wav") else None,
                "name": contact.recording_ref.rsplit("/", 1)[-1],
                "url": request.build_absolute_uri(reverse("contact:recording", args=[contact.pk])),
                "@type": "Attachment",
            }
        )
    for other_pk, other_leg in legs.get(contact.call_id, []) if contact.call_id else []:
        if other_pk == contact.pk:
            continue
        kind = "transferredFrom" if other_leg < contact.leg else "transferredTo"
        resource["interactionRelationship"].append(
            {
                "id": str(other_pk),
                "href": request.build_absolute_uri(reverse("api:tmf683_interaction", args=[other_pk])),
                "relationshipType": kind,
            }
        )
    return resource


def _outcome_label(outcome: str) -> str | None:
    if not outcome:
        return None
    return str(Outcome(outcome).label) if outcome in Outcome.values else outcome


def _require(request) -> None:
    if not request.user.has_perm("contact.view_contact"):
        raise TmfError(ErrorCode.FORBIDDEN, _("You may not read contacts."))


def _legs(contacts: list[Contact]) -> dict:
    calls = {(c.centre_id, c.call_id) for c in contacts if c.call_id}
    if not calls:
        return {}
    q = Q(pk__in=[])
    for centre_id, call_id in calls:
        q |= Q(centre_id=centre_id, call_id=call_id)
    legs: dict = {}
    for pk, call_id, leg in Contact.objects.filter(q).values_list("pk", "call_id", "leg").order_by("leg"):
        legs.setdefault(call_id, []).append((pk, leg))
    return {k: v for k, v in legs.items() if len(v) > 1}


def _scoped(request):
    return Contact.objects.restrict(request.user).select_related("subscriber", "agent")


@router.get(
    "/partyInteraction",
    response={200: list[Tmf683PartyInteraction], **READ_ERRORS},
    url_name="tmf683_interaction_list",
    **OUTPUT,
)
@tmf_errors
def list_interactions(request, response: HttpResponse):
    """Contacts of the caller's data scope, newest first; filters: id, status, direction, channel.id,
    reason (wrap-up code), relatedParty.id (customer), interactionDate.startDateTime.gt/.lt."""
    _require(request)
    query = parse_list_query(request.GET, ATTRIBUTES, FILTERS, split_values=SPLIT)
    condition = Q()
    for name, values in query.filters.items():
        condition &= FILTERS[name](values)
    qs = _scoped(request).filter(condition).order_by("-started_at", "-id")
    total = qs.count()
    page = list(qs[query.offset : query.offset + query.limit])
    record_access(request.user, AccessAction.SEARCH, detail=f"tmf683 {request.GET.urlencode()}"[:200], channel="api")
    masker, legs = Masker(request.user), _legs(page)
    items = [select_fields(interaction(c, masker, request, legs), query.fields) for c in page]
    set_count_headers(response, total, len(items))
    return items


@router.get(
    "/partyInteraction/{id}",
    response={200: Tmf683PartyInteraction, **READ_ERRORS},
    url_name="tmf683_interaction",
    **OUTPUT,
)
@tmf_errors
def get_interaction(request, id: str):
    """One contact; unknown and out-of-scope ids are the same 404."""
    _require(request)
    fields = check_get_query(request.GET, ATTRIBUTES)
    pk = parse_id(id)
    contact = _scoped(request).filter(pk=pk).first() if pk is not None else None
    if contact is None:
        raise TmfError(ErrorCode.NOT_FOUND, _("No interaction with this id."))
    record_access(request.user, AccessAction.VIEW, contact, detail="tmf683", channel="api")
    return select_fields(interaction(contact, Masker(request.user), request, _legs([contact])), fields)
