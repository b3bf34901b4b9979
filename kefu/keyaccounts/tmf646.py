"""TM Forum TMF646 Appointment (`/tmf-api/appointment/v4/appointment`): list, get, create and patch the
appointments of the caller's scope, following TMF646 v4.0.0.

Mapping: `category` is the kind (`hall_vip`, `manager_visit`); `validFor` is the slot's start and end;
`status` is `confirmed` (booked), `cancelled` or `completed`; `relatedParty` holds the customer (role
`customer`, id = the TMF629 customer id) and, for a visit, the customer manager (role `customerManager`);
`relatedPlace` is the business hall's region; `relatedEntity` the time slot; `contactMedium` the customer's
number, masked unless the caller may unmask.

Create: `category`, `validFor.startDateTime` and the customer in `relatedParty` are required; the slot of
that kind starting then (in `relatedPlace.id`, a region code, when given) is booked — none: 422 naming
`validFor`; full: 409. Patch: `validFor` reschedules, `status` `cancelled`/`completed` cancels or completes,
`description` changes. List rules (fields, offset/limit, filters, errors) are those of `core.tmf_api`.
"""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Router, Status

from kefu.core.api import Problem
from kefu.core.errors import ErrorCode
from kefu.core.masking import Masker
from kefu.core.tmf_api import (
    TmfError,
    TmfProblem,
    check_get_query,
    invalid,
    parse_id,
    parse_list_query,
    select_fields,
    set_count_headers,
    tmf_errors,
)
from kefu.customers.models import Subscriber
from kefu.keyaccounts import appointments
from kefu.keyaccounts.models import Appointment, AppointmentKind, AppointmentSlot, AppointmentStatus

router = Router(tags=["TMF646 Appointment"])

ATTRIBUTES = (
    "id", "href", "category", "creationDate", "description", "externalId", "lastUpdate", "contactMedium",
    "relatedEntity", "relatedParty", "relatedPlace", "status", "validFor", "@type",
)  # fmt: skip
STATUS = {
    AppointmentStatus.BOOKED: "confirmed",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.DONE: "completed",
}
_ERRORS = {403: TmfProblem, 404: TmfProblem, 409: TmfProblem, 422: TmfProblem, 401: Problem}


def _require(request, perm: str = "keyaccounts.view_appointment") -> None:
    if not (request.user.has_perm("customers.view_subscriber") and request.user.has_perm(perm)):
        raise TmfError(ErrorCode.FORBIDDEN, _("You may not do this with appointments."))


def _iso(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat()


def resource(request, a: Appointment, masker: Masker) -> dict:
    slot, s = a.slot, a.subscriber
    parties = [
        {
            "id": str(s.pk),
            "href": request.build_absolute_uri(reverse("api:tmf629_customer", args=[str(s.pk)])),
            "name": s.name,
            "role": "customer",
            "@referredType": "Customer",
        }
    ]
    if slot.manager_id:
        parties.append(
            {
                "id": slot.manager.username,
                "name": slot.manager.get_full_name() or slot.manager.username,
                "role": "customerManager",
                "@referredType": "Individual",
            }
        )
    return {
        "id": str(a.pk),
        "href": request.build_absolute_uri(reverse("api:tmf646_appointment", args=[str(a.pk)])),
        "@type": "Appointment",
        "category": slot.kind,
        "creationDate": _iso(a.created_at),
        "lastUpdate": _iso(a.updated_at),
        "description": a.description,
        "externalId": "",
        "status": STATUS[a.status],
        "validFor": {"startDateTime": _iso(slot.starts_at), "endDateTime": _iso(slot.ends_at)},
        "relatedParty": parties,
        "relatedPlace": {
            "id": slot.region.code,
            "name": slot.region.display_name,
            "role": "businessHall",
            "@referredType": "GeographicSite",
        },
        "relatedEntity": [{"id": str(slot.pk), "role": "timeSlot", "@referredType": "TimeSlot"}],
        "contactMedium": [
            {"mediumType": "mobile", "preferred": True, "characteristic": {"phoneNumber": masker.msisdn(s.msisdn)}}
        ],
    }


def _qs(request):
    return Appointment.objects.restrict(request.user).select_related(
        "slot", "slot__region", "slot__manager", "subscriber"
    )


def _get(request, raw: str) -> Appointment:
    pk = parse_id(raw)
    found = _qs(request).filter(pk=pk).first() if pk else None
    if found is None:
        raise TmfError(ErrorCode.NOT_FOUND, _("No appointment with this id."))
    return found


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise invalid(_("The body is not JSON."), "body") from None
    if not isinstance(body, dict):
        raise invalid(_("The body is a JSON object."), "body")
    return body


def _start(body: dict) -> dt.datetime:
    valid_for = body.get("validFor")
    raw = valid_for.get("startDateTime") if isinstance(valid_for, dict) else None
    start = parse_datetime(raw) if isinstance(raw, str) else None
    if start is None:
        raise invalid(_("validFor.startDateTime is required, an ISO 8601 time."), "validFor.startDateTime")
    return start if timezone.is_aware(start) else timezone.make_aware(start)


def _slot_for(kind: str, start: dt.datetime, place: str | None) -> int:
    qs = AppointmentSlot.objects.filter(kind=kind, starts_at=start)
    if place:
        qs = qs.filter(region__code=place)
    slot = qs.order_by("booked", "id").first()
    if slot is None:
        raise invalid(_("No slot of this kind starts at this time."), "validFor.startDateTime")
    return slot.pk


def _place(body: dict) -> str | None:
    place = body.get("relatedPlace")
    return place.get("id") if isinstance(place, dict) else None


@router.get("/appointment", response={200: list[dict], **_ERRORS}, url_name="tmf646_appointment_list")
@tmf_errors
def list_appointments(request, response: HttpResponse):
    """Appointments of the caller's scope, newest first; filters `status`, `category`, `relatedParty.id`."""
    _require(request)
    query = parse_list_query(
        request.GET, ATTRIBUTES, ("status", "category", "relatedParty.id"), split_values=("status", "category")
    )
    qs = _qs(request).order_by("-created_at", "-id")
    if "status" in query.filters:
        qs = qs.filter(status__in=[code for code, name in STATUS.items() if name in query.filters["status"]])
    if "category" in query.filters:
        qs = qs.filter(slot__kind__in=query.filters["category"])
    if "relatedParty.id" in query.filters:
        ids = [pk for pk in (parse_id(v) for v in query.filters["relatedParty.id"]) if pk]
        qs = qs.filter(subscriber_id__in=ids)
    total = qs.count()
    masker = Masker(request.user)
    items = [
        select_fields(resource(request, a, masker), query.fields) for a in qs[query.offset : query.offset + query.limit]
    ]
    set_count_headers(response, total, len(items))
    return items


@router.get("/appointment/{id}", response={200: dict, **_ERRORS}, url_name="tmf646_appointment")
@tmf_errors
def get_appointment(request, id: str):
    _require(request)
    fields = check_get_query(request.GET, ATTRIBUTES)
    return select_fields(resource(request, _get(request, id), Masker(request.user)), fields)


@router.post("/appointment", response={201: dict, **_ERRORS}, url_name="tmf646_appointment_create")
@tmf_errors
def create_appointment(request):
    _require(request, "keyaccounts.book_appointment")
    body = _body(request)
    kind = body.get("category")
    if kind not in AppointmentKind.values:
        raise invalid(_("category is one of: %(kinds)s.") % {"kinds": ", ".join(AppointmentKind.values)}, "category")
    start = _start(body)
    parties = body.get("relatedParty") if isinstance(body.get("relatedParty"), list) else []
    customer = next((p for p in parties if isinstance(p, dict) and p.get("role") in ("customer", "Customer")), None)
    pk = parse_id(str(customer.get("id", ""))) if customer else None
    subscriber = Subscriber.objects.restrict(request.user).filter(pk=pk).first() if pk else None
    if subscriber is None:
        raise invalid(_("relatedParty needs the customer (role customer) of your scope."), "relatedParty")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise invalid(_("description is text."), "description")
    appointment = appointments.book(request.user, subscriber, _slot_for(kind, start, _place(body)), description)
    return Status(201, resource(request, _get(request, str(appointment.pk)), Masker(request.user)))


@router.patch("/appointment/{id}", response={200: dict, **_ERRORS}, url_name="tmf646_appointment_patch")
@tmf_errors
def patch_appointment(request, id: str):
    _require(request, "keyaccounts.book_appointment")
    appointment = _get(request, id)
    body = _body(request)
    allowed = {"validFor", "status", "description", "relatedPlace"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid(_("%(name)s cannot be changed.") % {"name": unknown[0]}, unknown[0])
    if "description" in body:
        if not isinstance(body["description"], str):
            raise invalid(_("description is text."), "description")
        appointments.update_description(request.user, appointment, body["description"])
    if "validFor" in body:
        place = _place(body) or appointment.slot.region.code
        appointments.reschedule(request.user, appointment, _slot_for(appointment.slot.kind, _start(body), place))
    if "status" in body:
        status = body["status"]
        if status == "cancelled":
            appointments.cancel(request.user, appointment)
        elif status == "completed":
            appointments.complete(request.user, appointment)
        elif status != STATUS[appointment.status]:
            raise invalid(_("status can be set to cancelled or completed."), "status")
    return resource(request, _get(request, id), Masker(request.user))
