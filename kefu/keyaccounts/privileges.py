"""Privileges of key accounts (KA-4, KA-5): VIP cards, partner services (airport lounge 易登机, railway lounge
易登车, diamond pick-up) with a yearly allowance per tier, the partners' monthly settlement, and the green
channel (绿色通道) for out-of-hours service.

VIP hotline priority needs nothing here: routing reads `Subscriber.vip_tier` (parameter `contact.vip_weights`).

Partners are not staff: they call the partner API with their own token. A verification answers "verified"
with the tier and the remaining allowance, or "not verified" and nothing else — whether the number exists,
the name is wrong or the tier has no allowance is never told apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.services import record_change, require
from kefu.customers.models import ProfileStore, Subscriber, SubscriberStatus, VipTier
from kefu.keyaccounts.models import (
    GreenChannelRequest,
    GreenChannelStatus,
    Partner,
    PartnerService,
    PrivilegeUse,
    VipCard,
)
from kefu.keyaccounts.rules import tier_label
from kefu.keyaccounts.services import audit

# Airport and railway lounges share one allowance; the pick-up has its own.
ALLOWANCE_GROUP = {
    PartnerService.AIRPORT_LOUNGE: "lounge",
    PartnerService.RAILWAY_LOUNGE: "lounge",
    PartnerService.PICKUP: "pickup",
}
MAX_COMPANIONS = 1


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- cards and partners -------------------------------------------------------------------------------------


@transaction.atomic
def issue_card(actor, subscriber: Subscriber) -> VipCard:
    """The subscriber's VIP card (issued once: an existing card is returned)."""
    require(actor, "keyaccounts.manage_partners")
    card = VipCard.objects.filter(subscriber=subscriber).first()
    if card is not None:
        return card
    card = VipCard.objects.create(subscriber=subscriber, number=f"VIP{subscriber.pk:010d}{secrets.randbelow(10)}")
    record_change(actor, card, "issue", {"subscriber": subscriber.pk}, region_id=subscriber.region_id)
    return card


@transaction.atomic
def create_partner(actor, code: str, name: str, service: str, price_fen: int = 0) -> tuple[Partner, str]:
    """A new partner and its API token (shown once; only its hash is kept)."""
    require(actor, "keyaccounts.manage_partners")
    if service not in PartnerService.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown partner service."), field="service")
    if price_fen < 0:
        raise DomainError(ErrorCode.INVALID, _("A price cannot be negative."), field="price_fen")
    if Partner.objects.filter(code=code).exists():
        raise DomainError(ErrorCode.CONFLICT, _("A partner with this code exists."), field="code")
    token = secrets.token_urlsafe(32)
    partner = Partner.objects.create(
        code=code, name=name, service=service, price_fen=price_fen, token_hash=token_hash(token)
    )
    record_change(actor, partner, "create", {"code": code, "service": service, "price_fen": price_fen})
    return partner, token


def partner_for_token(token: str) -> Partner | None:
    if not token:
        return None
    return Partner.objects.filter(token_hash=token_hash(token), active=True).first()


# --- allowance and verification -----------------------------------------------------------------------------


def allowance(tier: str, service: str) -> int:
    table = parameters.get("keyaccounts.partner_allowance_per_year").get(ALLOWANCE_GROUP[service], {})
    return int(table.get(tier, 0))


def used(subscriber: Subscriber, service: str, year: int) -> int:
    services = [s for s, group in ALLOWANCE_GROUP.items() if group == ALLOWANCE_GROUP[service]]
    return (
        PrivilegeUse.objects.filter(subscriber=subscriber, service__in=services, year=year).aggregate(n=Sum("persons"))[
            "n"
        ]
        or 0
    )


def _find(msisdn: str, card_number: str, name: str) -> Subscriber | None:
    """The key account with this MSISDN or card number AND this exact name; None otherwise."""
    qs = Subscriber.objects.filter(store=ProfileStore.ON_NET, status=SubscriberStatus.ACTIVE)
    if card_number:
        qs = qs.filter(vip_card__number=card_number.strip())
    elif msisdn:
        qs = qs.filter(msisdn=msisdn.strip())
    else:
        return None
    subscriber = qs.first()
    if subscriber is None or not name or subscriber.name != name.strip():
        return None
    return subscriber


def _not_verified() -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, _("Not verified."), verified=False)


def verify(partner: Partner, msisdn: str = "", card_number: str = "", name: str = "", now=None) -> dict:
    """ "verified" with the tier and the persons left this year, or "not verified" revealing nothing."""
    now = now or timezone.now()
    subscriber = _find(msisdn, card_number, name)
    allowed = allowance(subscriber.vip_tier, partner.service) if subscriber else 0
    ok = subscriber is not None and allowed > 0
    audit(
        None,
        "verify",
        "keyaccounts.partner",
        partner.code,
        {"verified": ok, "by": "card" if card_number else "msisdn", "subscriber": subscriber.pk if ok else None},
    )
    if not ok:
        return {"verified": False}
    remaining = max(allowed - used(subscriber, partner.service, timezone.localtime(now).year), 0)
    return {
        "verified": True,
        "tier": subscriber.vip_tier,
        "tier_label": tier_label(subscriber.vip_tier),
        "allowance_per_year": allowed,
        "remaining": remaining,
    }


def record_use(
    partner: Partner,
    *,
    msisdn: str = "",
    card_number: str = "",
    name: str = "",
    companions: int = 0,
    reference: str,
    used_at: dt.datetime | None = None,
    scheduled_for: dt.datetime | None = None,
    details: str = "",
) -> PrivilegeUse:
    """A lounge visit (the customer and at most one companion) or a pick-up booking, counted against the
    tier's yearly allowance. The partner's reference makes the call idempotent."""
    if not 0 <= companions <= MAX_COMPANIONS:
        raise DomainError(ErrorCode.INVALID, _("At most %(n)d companion.") % {"n": MAX_COMPANIONS}, field="companions")
    if not reference:
        raise DomainError(ErrorCode.INVALID, _("The partner's reference is required."), field="reference")
    if partner.service == PartnerService.PICKUP and scheduled_for is None:
        raise DomainError(ErrorCode.INVALID, _("A pick-up is booked for a time."), field="scheduled_for")
    existing = PrivilegeUse.objects.filter(partner=partner, reference=reference).first()
    if existing is not None:
        return existing
    subscriber = _find(msisdn, card_number, name)
    if subscriber is None or allowance(subscriber.vip_tier, partner.service) <= 0:
        audit(None, "refuse", "keyaccounts.partner", partner.code, {"reference": reference})
        raise _not_verified()
    with transaction.atomic():
        # One use at a time per customer: the subscriber's row is the lock of their allowance.
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        used_at = used_at or timezone.now()
        year = timezone.localtime(scheduled_for or used_at).year
        persons = 1 + companions
        left = allowance(subscriber.vip_tier, partner.service) - used(subscriber, partner.service, year)
        if persons > left:
            raise DomainError(
                ErrorCode.CONFLICT,
                _("The yearly allowance is used up: %(left)d persons left this year.") % {"left": max(left, 0)},
                field="companions" if left > 0 else None,
                remaining=max(left, 0),
            )
        use = PrivilegeUse.objects.create(
            partner=partner,
            subscriber=subscriber,
            service=partner.service,
            tier=subscriber.vip_tier,
            year=year,
            companions=companions,
            persons=persons,
            used_at=used_at,
            scheduled_for=scheduled_for,
            details=details[:200],
            reference=reference[:60],
            price_fen=partner.price_fen * persons,
        )
        record_change(
            None,
            use,
            "record",
            {"partner": partner.code, "persons": persons, "reference": reference},
            region_id=subscriber.region_id,
        )
        return use


def remaining_after(use: PrivilegeUse) -> int:
    return max(allowance(use.tier, use.service) - used(use.subscriber, use.service, use.year), 0)


# --- settlement -------------------------------------------------------------------------------------------


def settlement(partner: Partner, month: dt.date) -> dict:
    """The partner's uses in a month (times in local time), with totals: what the operator pays the partner.
    Customers are shown by masked number only."""
    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    end = timezone.make_aware(dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1))
    uses = PrivilegeUse.objects.filter(partner=partner, used_at__gte=start, used_at__lt=end).select_related(
        "subscriber"
    )
    masker = Masker(None)
    rows = [
        {
            "reference": u.reference,
            "used_at": timezone.localtime(u.used_at).isoformat(),
            "msisdn": masker.msisdn(u.subscriber.msisdn),
            "tier": u.tier,
            "persons": u.persons,
            "amount_fen": u.price_fen,
        }
        for u in uses.order_by("used_at", "id")
    ]
    totals = uses.aggregate(uses=Count("id"), persons=Sum("persons"), amount=Sum("price_fen"))
    return {
        "partner": partner.code,
        "partner_name": partner.name,
        "service": partner.service,
        "month": f"{month:%Y-%m}",
        "price_fen": partner.price_fen,
        "uses": totals["uses"] or 0,
        "persons": totals["persons"] or 0,
        "amount_fen": totals["amount"] or 0,
        "rows": rows,
    }


def settlement_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "used_at", "msisdn", "tier", "persons", "amount_fen"])
    for row in report["rows"]:
        writer.writerow([row[k] for k in ("reference", "used_at", "msisdn", "tier", "persons", "amount_fen")])
    writer.writerow(["total", report["month"], "", "", report["persons"], report["amount_fen"]])
    return out.getvalue()


# --- green channel ----------------------------------------------------------------------------------------


@transaction.atomic
def request_green_channel(actor, subscriber: Subscriber, service: str, wanted_at: dt.datetime, note: str = ""):
    """A customer manager asks for out-of-hours service for a key account of their scope."""
    require(actor, "keyaccounts.request_greenchannel")
    if subscriber.vip_tier == VipTier.ORDINARY:
        raise DomainError(ErrorCode.CONFLICT, _("The green channel is for key accounts only."), field="subscriber")
    if not service.strip():
        raise DomainError(ErrorCode.INVALID, _("Say which service is wanted."), field="service")
    if wanted_at <= timezone.now():
        raise DomainError(ErrorCode.INVALID, _("The time wanted must be in the future."), field="wanted_at")
    req = GreenChannelRequest.objects.create(
        subscriber=subscriber, service=service.strip()[:200], wanted_at=wanted_at, requested_by=actor, note=note[:300]
    )
    record_change(
        actor,
        req,
        "request",
        {"service": req.service, "wanted_at": wanted_at.isoformat()},
        region_id=subscriber.region_id,
    )
    return req


def _locked_request(req: GreenChannelRequest) -> GreenChannelRequest:
    return GreenChannelRequest.objects.select_for_update().select_related("subscriber").get(pk=req.pk)


@transaction.atomic
def decide_green_channel(actor, req: GreenChannelRequest, approve: bool, note: str = "") -> GreenChannelRequest:
    """Approve or reject a request (a second person: never its requester)."""
    require(actor, "keyaccounts.approve_greenchannel")
    req = _locked_request(req)
    if req.status != GreenChannelStatus.REQUESTED:
        raise DomainError(ErrorCode.CONFLICT, _("This request is already decided."), field="status")
    if req.requested_by_id == actor.pk:
        raise DomainError(ErrorCode.FORBIDDEN, _("A request is decided by a second person."), field="decided_by")
    req.status = GreenChannelStatus.APPROVED if approve else GreenChannelStatus.REJECTED
    req.decided_by, req.decided_at = actor, timezone.now()
    if note:
        req.note = note[:300]
    req.save()
    record_change(actor, req, "approve" if approve else "reject", {"note": note}, region_id=req.subscriber.region_id)
    return req


@transaction.atomic
def fulfil_green_channel(actor, req: GreenChannelRequest, note: str = "") -> GreenChannelRequest:
    require(actor, "keyaccounts.fulfil_greenchannel")
    req = _locked_request(req)
    if req.status != GreenChannelStatus.APPROVED:
        raise DomainError(ErrorCode.CONFLICT, _("Only an approved request is fulfilled."), field="status")
    req.status = GreenChannelStatus.FULFILLED
    req.fulfilled_by, req.fulfilled_at = actor, timezone.now()
    if note:
        req.note = note[:300]
    req.save()
    record_change(actor, req, "fulfil", {"note": note}, region_id=req.subscriber.region_id)
    return req
