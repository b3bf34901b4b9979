"""TM Forum TMF658 Loyalty Management (`/tmf-api/loyaltyManagement/v4`): read-only points accounts.

TMF658's resource names: a `LoyaltyAccount` ("a loyalty account, containing loyalty balances") per
subscriber; its `LoyaltyBalance`s (a quantity with a validity period: here one per year the points were
earned, valid until they expire); and `LoyaltyExecutionPoint`s ("a record of a loyalty action that was
applied"): the lines of the points ledger (accrual, tenure bonus, redemption, expiry, adjustment).
Ids: the account's id is the subscriber's id; a balance is `<subscriber id>-<year earned>`; an execution
point is a ledger line's id. In the caller's data scope, masked unless the caller may unmask; reads are
logged. List rules (fields, offset/limit, filters, errors) are those of `core.tmf_api`.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from kefu.core.errors import ErrorCode
from kefu.core.masking import Masker, may_unmask
from kefu.core.models import AccessAction
from kefu.core.services import record_access
from kefu.core.tmf_api import (
    READ_ERRORS,
    TmfError,
    check_get_query,
    parse_id,
    parse_list_query,
    select_fields,
    set_count_headers,
    tmf_errors,
)
from kefu.customers import services as customers
from kefu.customers.models import ProfileStore, Subscriber, SubscriberStatus
from kefu.keyaccounts import points
from kefu.keyaccounts.models import PointsEntry
from kefu.keyaccounts.rules import tier_label

router = Router(tags=["TMF658 Loyalty"])

ACCOUNT_ATTRIBUTES = (
    "id", "href", "name", "state", "accountType", "accountBalance", "characteristic", "description",
    "lastModified", "loyaltyProgramProduct", "relatedParty", "@type",
)  # fmt: skip
BALANCE_ATTRIBUTES = ("id", "href", "quantity", "loyaltyAccount", "loyaltyProgramMember", "validFor", "@type")
POINT_ATTRIBUTES = (
    "id", "href", "type", "commonName", "description", "datetime", "quantity", "loyaltyAccount",
    "loyaltyProgramMember", "characteristic", "@type",
)  # fmt: skip
ACCOUNT_STATE = {
    SubscriberStatus.ACTIVE: "Active",
    SubscriberStatus.SUSPENDED: "Suspended",
    SubscriberStatus.ARREARS_STOPPED: "Suspended",
    SubscriberStatus.CLOSED: "Closed",
}
PROGRAM = {"id": "personal", "name": "Personal key accounts", "@referredType": "LoyaltyProgramProduct"}


def _require(request) -> None:
    if not (
        request.user.has_perm("customers.view_subscriber") and request.user.has_perm("keyaccounts.view_pointsentry")
    ):
        raise TmfError(ErrorCode.FORBIDDEN, _("You may not read points accounts."))


def _href(request, name: str, pk) -> str:
    return request.build_absolute_uri(reverse(f"api:{name}", args=[str(pk)]))


def _account_ref(request, s: Subscriber) -> dict:
    return {
        "id": str(s.pk),
        "href": _href(request, "tmf658_account", s.pk),
        "name": s.name,
        "@referredType": "LoyaltyAccount",
    }


def _member_ref(request, s: Subscriber) -> dict:
    return {
        "id": str(s.pk),
        "href": request.build_absolute_uri(reverse("api:tmf629_customer", args=[str(s.pk)])),
        "name": s.name,
        "@referredType": "LoyaltyProgramMember",
    }


def account(request, s: Subscriber, masker: Masker) -> dict:
    return {
        "id": str(s.pk),
        "href": _href(request, "tmf658_account", s.pk),
        "@type": "LoyaltyAccount",
        "name": f"{s.name} {masker.msisdn(s.msisdn)}",
        "state": ACCOUNT_STATE[s.status],
        "accountType": "points",
        "accountBalance": [{"balanceType": "points", "amount": {"unit": "points", "value": s.points_balance}}],
        "lastModified": timezone.localtime(s.updated_at).isoformat(),
        "loyaltyProgramProduct": PROGRAM,
        "relatedParty": [{**_member_ref(request, s), "role": "Customer", "@referredType": "Customer"}],
        "characteristic": [
            {"name": "msisdn", "value": masker.msisdn(s.msisdn), "valueType": "string"},
            {"name": "vipTier", "value": s.vip_tier, "valueType": "string"},
            {"name": "vipTierLabel", "value": tier_label(s.vip_tier), "valueType": "string"},
        ],
    }


def _end_of_day(day: dt.date) -> str:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59))).isoformat()


def balances(request, s: Subscriber) -> list[dict]:
    return [
        {
            "id": f"{s.pk}-{b.earned_year}",
            "href": _href(request, "tmf658_balance", f"{s.pk}-{b.earned_year}"),
            "@type": "LoyaltyBalance",
            "quantity": {"amount": b.points, "units": "points"},
            "loyaltyAccount": _account_ref(request, s),
            "loyaltyProgramMember": _member_ref(request, s),
            "validFor": {
                "startDateTime": timezone.make_aware(dt.datetime(b.earned_year, 1, 1)).isoformat(),
                "endDateTime": _end_of_day(b.expires_on),
            },
        }
        for b in points.buckets(s)
    ]


def execution_point(request, e: PointsEntry) -> dict:
    s = e.subscriber
    return {
        "id": str(e.pk),
        "href": _href(request, "tmf658_execution_point", e.pk),
        "@type": "LoyaltyExecutionPoint",
        "type": e.kind,
        "commonName": e.get_kind_display(),
        "description": e.reason,
        "datetime": timezone.localtime(e.created_at).isoformat(),
        "quantity": {"amount": e.points, "units": "points"},
        "loyaltyAccount": _account_ref(request, s),
        "loyaltyProgramMember": _member_ref(request, s),
        "characteristic": [
            {"name": "balanceAfter", "value": e.balance_after, "valueType": "integer"},
            {"name": "month", "value": e.month.strftime("%Y-%m"), "valueType": "string"},
            {"name": "reference", "value": e.reference, "valueType": "string"},
        ],
    }


def _log(request, subscriber: Subscriber | None, detail: str, total: int | None = None) -> None:
    if subscriber is None:
        customers.log_search(request.user, detail, total or 0, channel="api")
    else:
        action = AccessAction.UNMASK if may_unmask(request.user) else AccessAction.VIEW
        record_access(request.user, action, subscriber, detail=detail, channel="api")


def _subscriber(request, raw: str, not_found: str) -> Subscriber:
    pk = parse_id(raw)
    subscriber = (
        Subscriber.objects.restrict(request.user).select_related("region").filter(pk=pk).first() if pk else None
    )
    if subscriber is None:
        raise TmfError(ErrorCode.NOT_FOUND, not_found)
    return subscriber


@router.get("/loyaltyAccount", response={200: list[dict], **READ_ERRORS}, url_name="tmf658_account_list")
@tmf_errors
def list_accounts(request, response: HttpResponse):
    """Points accounts of the on-net subscribers of the caller's scope; filter `state`."""
    _require(request)
    query = parse_list_query(request.GET, ACCOUNT_ATTRIBUTES, ("state",), split_values=("state",))
    qs = Subscriber.objects.restrict(request.user).filter(store=ProfileStore.ON_NET).order_by("id")
    if "state" in query.filters:
        wanted = set(query.filters["state"])
        qs = qs.filter(status__in=[code for code, state in ACCOUNT_STATE.items() if state in wanted])
    total = qs.count()
    masker = Masker(request.user)
    items = [
        select_fields(account(request, s, masker), query.fields) for s in qs[query.offset : query.offset + query.limit]
    ]
    _log(request, None, f"tmf658 loyaltyAccount {request.GET.urlencode()}", total)
    set_count_headers(response, total, len(items))
    return items


@router.get("/loyaltyAccount/{id}", response={200: dict, **READ_ERRORS}, url_name="tmf658_account")
@tmf_errors
def get_account(request, id: str):
    _require(request)
    fields = check_get_query(request.GET, ACCOUNT_ATTRIBUTES)
    s = _subscriber(request, id, _("No loyalty account with this id."))
    _log(request, s, "tmf658 loyaltyAccount")
    return select_fields(account(request, s, Masker(request.user)), fields)


@router.get("/loyaltyBalance", response={200: list[dict], **READ_ERRORS}, url_name="tmf658_balance_list")
@tmf_errors
def list_balances(request, response: HttpResponse):
    """The balances of one account (`loyaltyAccount.id` is required): one per year earned, valid until expiry."""
    _require(request)
    query = parse_list_query(request.GET, BALANCE_ATTRIBUTES, ("loyaltyAccount.id",))
    if "loyaltyAccount.id" not in query.filters:
        raise TmfError(ErrorCode.INVALID, _("Give loyaltyAccount.id."), field="loyaltyAccount.id")
    s = _subscriber(request, query.filters["loyaltyAccount.id"][0], _("No loyalty account with this id."))
    _log(request, s, "tmf658 loyaltyBalance")
    found = balances(request, s)
    items = [select_fields(b, query.fields) for b in found[query.offset : query.offset + query.limit]]
    set_count_headers(response, len(found), len(items))
    return items


@router.get("/loyaltyBalance/{id}", response={200: dict, **READ_ERRORS}, url_name="tmf658_balance")
@tmf_errors
def get_balance(request, id: str):
    _require(request)
    fields = check_get_query(request.GET, BALANCE_ATTRIBUTES)
    account_id, _sep, year = id.partition("-")
    s = _subscriber(request, account_id, _("No loyalty balance with this id."))
    found = [b for b in balances(request, s) if b["id"] == id]
    if not year or not found:
        raise TmfError(ErrorCode.NOT_FOUND, _("No loyalty balance with this id."))
    _log(request, s, "tmf658 loyaltyBalance")
    return select_fields(found[0], fields)


@router.get("/loyaltyExecutionPoint", response={200: list[dict], **READ_ERRORS}, url_name="tmf658_execution_point_list")
@tmf_errors
def list_execution_points(request, response: HttpResponse):
    """Ledger lines (newest first) of the caller's scope; filters `loyaltyAccount.id`, `type`."""
    _require(request)
    query = parse_list_query(request.GET, POINT_ATTRIBUTES, ("loyaltyAccount.id", "type"), split_values=("type",))
    qs = PointsEntry.objects.restrict(request.user).select_related("subscriber").order_by("-created_at", "-id")
    if "loyaltyAccount.id" in query.filters:
        pk = parse_id(query.filters["loyaltyAccount.id"][0])
        qs = qs.filter(subscriber_id=pk) if pk else qs.none()
    if "type" in query.filters:
        qs = qs.filter(kind__in=query.filters["type"])
    total = qs.count()
    items = [
        select_fields(execution_point(request, e), query.fields) for e in qs[query.offset : query.offset + query.limit]
    ]
    _log(request, None, f"tmf658 loyaltyExecutionPoint {request.GET.urlencode()}", total)
    set_count_headers(response, total, len(items))
    return items


@router.get("/loyaltyExecutionPoint/{id}", response={200: dict, **READ_ERRORS}, url_name="tmf658_execution_point")
@tmf_errors
def get_execution_point(request, id: str):
    _require(request)
    fields = check_get_query(request.GET, POINT_ATTRIBUTES)
    pk = parse_id(id)
    entry = (
        PointsEntry.objects.restrict(request.user).select_related("subscriber").filter(pk=pk).first() if pk else None
    )
    if entry is None:
        raise TmfError(ErrorCode.NOT_FOUND, _("No loyalty execution point with this id."))
    _log(request, entry.subscriber, "tmf658 loyaltyExecutionPoint")
    return select_fields(execution_point(request, entry), fields)
