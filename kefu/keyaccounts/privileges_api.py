"""Privileges API (thin): the partner API (partners authenticate with their own token) and the staff
endpoints for partners, settlements, VIP cards and the green channel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.services import require
from kefu.customers import services as customers
from kefu.keyaccounts import privileges
from kefu.keyaccounts.models import GreenChannelRequest, Partner
from kefu.warehouse.store import parse_month

_ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _month(value: str) -> dt.date:
    try:
        return parse_month(value)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, _("A month is written YYYY-MM, e.g. 2026-10."), field="month") from None


# --- the partner API ----------------------------------------------------------------------------------------


class PartnerAuth(HttpBearer):
    def authenticate(self, request, token):
        return privileges.partner_for_token(token)


partner_router = Router(tags=["partners"], auth=PartnerAuth())


class CardIn(Schema):
    msisdn: str = Field("", max_length=11, description="The customer's number, or")
    card_number: str = Field("", max_length=20, description="the VIP card number")
    name: str = Field(..., min_length=1, max_length=60, description="The customer's name as on their ID")


class VisitIn(CardIn):
    companions: int = Field(0, ge=0, le=privileges.MAX_COMPANIONS)
    reference: str = Field(..., min_length=1, max_length=60, description="The partner's own id of the visit")
    used_at: dt.datetime | None = None
    scheduled_for: dt.datetime | None = Field(None, description="Pick-up: the time booked")
    details: str = Field("", max_length=200, description="Pick-up: flight or train, place")


@partner_router.post("/verify", response={200: dict[str, Any], 422: Problem})
def verify(request, payload: CardIn):
    """Verify a card: "verified" with the tier and the persons left this year, or "not verified" (nothing else)."""
    return privileges.verify(request.auth, payload.msisdn, payload.card_number, payload.name)


@partner_router.post("/visits", response={201: dict[str, Any], **_ERRORS})
def record_visit(request, payload: VisitIn):
    """Record a visit (with at most one companion) or a pick-up booking; counted against the yearly allowance."""
    use = privileges.record_use(request.auth, **payload.dict())
    return Status(
        201,
        {
            "id": use.pk,
            "reference": use.reference,
            "persons": use.persons,
            "amount_fen": use.price_fen,
            "remaining": privileges.remaining_after(use),
        },
    )


@partner_router.get("/settlements/{month}", response={200: dict[str, Any], 422: Problem})
def own_settlement(request, month: str, format: str = "json"):
    """The partner's own monthly settlement (JSON, or `?format=csv`)."""
    report = privileges.settlement(request.auth, _month(month))
    if format == "csv":
        return _csv(report)
    return report


def _csv(report: dict) -> HttpResponse:
    response = HttpResponse(privileges.settlement_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="settlement-{report["partner"]}-{report["month"]}.csv"'
    return response


# --- staff ------------------------------------------------------------------------------------------------

router = Router(tags=["key accounts"])


def _require(request, perm: str) -> None:
    require(request.user, perm)


class PartnerIn(Schema):
    code: str = Field(..., pattern=r"^[a-z0-9-]{2,40}$")
    name: str = Field(..., min_length=1, max_length=80)
    service: str
    price_fen: int = Field(0, ge=0)


def _partner(p: Partner) -> dict:
    return {"code": p.code, "name": p.name, "service": p.service, "price_fen": p.price_fen, "active": p.active}


@router.get("/partners", response={200: list[dict[str, Any]], 403: Problem})
def list_partners(request):
    _require(request, "keyaccounts.manage_partners")
    return [_partner(p) for p in Partner.objects.all()]


@router.post("/partners", response={201: dict[str, Any], **_ERRORS})
def create_partner(request, payload: PartnerIn):
    """A new partner; the answer carries its API token, shown this once."""
    partner, token = privileges.create_partner(
        request.user, payload.code, payload.name, payload.service, payload.price_fen
    )
    return Status(201, {**_partner(partner), "token": token})


@router.get("/partners/{code}/settlements/{month}", response={200: dict[str, Any], **_ERRORS})
def settlement(request, code: str, month: str, format: str = "json"):
    """A partner's monthly settlement report (JSON, or `?format=csv`)."""
    _require(request, "keyaccounts.manage_partners")
    report = privileges.settlement(get_object_or_404(Partner, code=code), _month(month))
    return _csv(report) if format == "csv" else report


@router.post("/customers/{msisdn}/vip-card", response={200: dict[str, Any], **_ERRORS})
def issue_card(request, msisdn: str):
    subscriber = customers.get_on_net(request.user, msisdn)
    card = privileges.issue_card(request.user, subscriber)
    return {"number": card.number, "issued_at": card.issued_at.isoformat()}


class GreenIn(Schema):
    msisdn: str
    service: str = Field(..., max_length=200)
    wanted_at: dt.datetime
    note: str = Field("", max_length=300)


class DecisionIn(Schema):
    note: str = Field("", max_length=300)


def _green(r: GreenChannelRequest, masker: Masker) -> dict:
    return {
        "id": r.pk,
        "msisdn": masker.msisdn(r.subscriber.msisdn),
        "name": r.subscriber.name,
        "service": r.service,
        "wanted_at": r.wanted_at.isoformat(),
        "status": r.status,
        "requested_by": r.requested_by.username,
        "decided_by": r.decided_by.username if r.decided_by else None,
        "fulfilled_by": r.fulfilled_by.username if r.fulfilled_by else None,
        "note": r.note,
    }


def _green_or_404(request, request_id: int) -> GreenChannelRequest:
    _require(request, "customers.view_subscriber")
    qs = GreenChannelRequest.objects.restrict(request.user).select_related(
        "subscriber", "requested_by", "decided_by", "fulfilled_by"
    )
    return get_object_or_404(qs, pk=request_id)


@router.get("/green-channel", response={200: list[dict[str, Any]], 403: Problem})
def list_green(request, status: str = ""):
    _require(request, "customers.view_subscriber")
    qs = GreenChannelRequest.objects.restrict(request.user).select_related(
        "subscriber", "requested_by", "decided_by", "fulfilled_by"
    )
    if status:
        qs = qs.filter(status=status)
    masker = Masker(request.user)
    return [_green(r, masker) for r in qs[:200]]


@router.post("/green-channel", response={201: dict[str, Any], **_ERRORS})
def request_green(request, payload: GreenIn):
    subscriber = customers.get_on_net(request.user, payload.msisdn)
    req = privileges.request_green_channel(request.user, subscriber, payload.service, payload.wanted_at, payload.note)
    return Status(201, _green(_green_or_404(request, req.pk), Masker(request.user)))


@router.post("/green-channel/{request_id}/{decision}", response={200: dict[str, Any], **_ERRORS})
def decide_green(request, request_id: int, decision: str, payload: DecisionIn):
    """`approve`, `reject` or `fulfil` a request."""
    req = _green_or_404(request, request_id)
    if decision in ("approve", "reject"):
        privileges.decide_green_channel(request.user, req, decision == "approve", payload.note)
    elif decision == "fulfil":
        privileges.fulfil_green_channel(request.user, req, payload.note)
    else:
        raise DomainError(ErrorCode.NOT_FOUND, _("Not found."))
    return _green(_green_or_404(request, request_id), Masker(request.user))
