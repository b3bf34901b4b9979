"""Customer search, 360 view, profile updates, closing/restoring and export (thin: rules are in services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from kefu.core.api import Problem, answer
from kefu.core.masking import Masker
from kefu.core.services import require
from kefu.customers import exports, presenters, services
from kefu.customers.models import Channel, ProfileStore

router = Router(tags=["customers"])


class SearchParams(Schema):
    q: str = Field("", max_length=60, description="MSISDN, ID number, name prefix or 4-10 digits of a number")
    city: str = Field("", max_length=40, description="city code (pinyin), e.g. xian")
    store: ProfileStore = ProfileStore.ON_NET
    offset: int = Field(0, ge=0)
    limit: int = Field(20, ge=1, le=200)


class CustomerSummary(Schema):
    id: int
    msisdn: str
    name: str
    brand: str
    brand_label: str
    status: str
    status_label: str
    vip_tier: str
    vip_tier_label: str
    city: str | None
    city_name: str | None
    region: str
    region_name: str
    store: str


class CustomerPage(Schema):
    count: int
    offset: int
    limit: int
    items: list[CustomerSummary]


def _require(request, perm: str) -> None:
    require(request.user, perm)


@router.get("", response={200: CustomerPage, 422: Problem})
def search_customers(request, params: Query[SearchParams]):
    """Search subscribers in the caller's data scope by MSISDN, ID number or name."""
    _require(request, "customers.view_subscriber")
    qs = services.search(request.user, params.q, params.city, params.store)
    page = list(qs[params.offset : params.offset + params.limit])
    count = qs.count()
    services.log_search(request.user, params.q, count, channel="api")
    masker = Masker(request.user)
    return {
        "count": count,
        "offset": params.offset,
        "limit": params.limit,
        "items": [presenters.summary(s, masker) for s in page],
    }


@router.get("/export", response={200: None, 403: Problem, 422: Problem})
def export_customers(request, params: Query[SearchParams]):
    """CSV of the search result (caller's scope, masked unless the caller may unmask)."""
    _require(request, "customers.export_subscriber")
    body = exports.subscribers_csv(request.user, params.q, params.city, params.store, channel="api")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers.csv"'
    return response


@router.get("/{msisdn}/360", response={200: dict[str, Any], 404: Problem, 422: Problem})
def customer_360(request, msisdn: str):
    """The agent's first screen: profile, tier, points, credit, recent bills, open orders, contacts."""
    _require(request, "customers.view_subscriber")
    view = services.customer_360(request.user, services.get_on_net(request.user, msisdn), channel="api")
    return answer(request, presenters.view_360(view, Masker(request.user), request.user))


class InfoUpdateIn(Schema):
    channel: Channel
    name: str | None = Field(None, min_length=1, max_length=60)
    address: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    birth_date: dt.date | None = None
    contracted: bool | None = None
    contract_end: dt.date | None = None


@router.patch("/{msisdn}", response={200: dict[str, Any], 404: Problem, 422: Problem})
def update_customer(request, msisdn: str, payload: InfoUpdateIn):
    """Update profile information, recording the source channel and the staff member (CUS-5)."""
    _require(request, "customers.change_subscriber")
    subscriber = services.get_on_net(request.user, msisdn)
    changes = payload.dict(exclude_unset=True, exclude={"channel"})
    update = services.update_info(request.user, subscriber, changes, payload.channel)
    update.subscriber.refresh_from_db()
    return {"changes": update.changes, "profile": presenters.profile(update.subscriber, Masker(request.user))}


class CloseIn(Schema):
    channel: Channel
    reason: str = Field("", max_length=200)


@router.post("/{msisdn}/close", response={200: dict[str, Any], 403: Problem, 404: Problem, 409: Problem, 422: Problem})
def close_customer(request, msisdn: str, payload: CloseIn):
    """Close a subscription: the profile moves to the retained store (CUS-4)."""
    _require(request, "customers.close_subscriber")
    subscriber = services.close(
        request.user, services.get_on_net(request.user, msisdn), payload.channel, payload.reason
    )
    return presenters.summary(subscriber, Masker(request.user))


class RestoreIn(Schema):
    channel: Channel
    msisdn: str | None = None


@router.post(
    "/retained/{subscriber_id}/restore",
    response={200: dict[str, Any], 403: Problem, 404: Problem, 409: Problem},
)
def restore_customer(request, subscriber_id: int, payload: RestoreIn):
    """Bring a retained profile back on the network with its history (CUS-4)."""
    _require(request, "customers.close_subscriber")
    subscriber = services.get_retained(request.user, subscriber_id)
    subscriber = services.restore(request.user, subscriber, payload.channel, payload.msisdn)
    return presenters.summary(subscriber, Masker(request.user))
