"""TM Forum TMF629 Customer (`/tmf-api/customerManagement/v4`) and TMF632 Individual (`/tmf-api/party/v4`).

Read-only views of subscribers for an operator's other systems, in the caller's data scope, masked
unless the caller may unmask. Thin: the mapping is `tmf_mapping`, the TMF list rules `core.tmf_api`,
the scoped reads and the access log `services`. See docs/api/tmf.md.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kefu.core.errors import ErrorCode, NotFound
from kefu.core.masking import Masker
from kefu.core.tmf_api import (
    OUTPUT,
    READ_ERRORS,
    TmfError,
    check_get_query,
    openapi_parameters,
    parse_id,
    parse_list_query,
    select_fields,
    set_count_headers,
    tmf_errors,
)
from kefu.customers import services, tmf_mapping
from kefu.customers.tmf_mapping import (
    CUSTOMER_ATTRIBUTES,
    CUSTOMER_FILTERS,
    INDIVIDUAL_ATTRIBUTES,
    INDIVIDUAL_FILTERS,
)

tmf629_router = Router(tags=["TMF629 Customer"])
individual_router = Router(tags=["TMF632 Party"])


# --- schemas (for the OpenAPI document; output keeps only the attributes present) -----------------
# ninja keeps one OpenAPI component per class name across the whole API: the names carry the API number.


class Tmf629TimePeriod(Schema):
    startDateTime: str | None = None
    endDateTime: str | None = None


class Tmf629RelatedParty(Schema):
    id: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    referredType: str = Field(alias="@referredType")


class Tmf629MediumCharacteristic(Schema):
    contactType: str | None = None
    phoneNumber: str | None = None
    emailAddress: str | None = None
    street1: str | None = None
    city: str | None = None
    stateOrProvince: str | None = None
    country: str | None = None


class Tmf629ContactMedium(Schema):
    mediumType: str
    preferred: bool | None = None
    characteristic: Tmf629MediumCharacteristic
    validFor: Tmf629TimePeriod | None = None


class Tmf629Characteristic(Schema):
    name: str
    value: Any
    valueType: str | None = None


class Tmf629Customer(Schema):
    id: str
    href: str
    name: str | None = None
    status: str | None = Field(None, description="Approved, Suspended or Closed")
    statusReason: str | None = None
    validFor: Tmf629TimePeriod | None = None
    engagedParty: Tmf629RelatedParty | None = None
    contactMedium: list[Tmf629ContactMedium] | None = None
    characteristic: list[Tmf629Characteristic] | None = None
    relatedParty: list[Tmf629RelatedParty] | None = None
    type: str | None = Field(None, alias="@type")


class Tmf632IndividualIdentification(Schema):
    identificationType: str
    identificationId: str


class Tmf632Individual(Schema):
    id: str
    href: str
    givenName: str | None = None
    familyName: str | None = None
    fullName: str | None = None
    formattedName: str | None = None
    birthDate: str | None = Field(None, description="Only for callers who may see personal data unmasked")
    status: str | None = None
    individualIdentification: list[Tmf632IndividualIdentification] | None = None
    contactMedium: list[Tmf629ContactMedium] | None = None
    type: str | None = Field(None, alias="@type")


# --- shared steps -------------------------------------------------------------------------------


def _require_view(request) -> None:
    if not request.user.has_perm("customers.view_subscriber"):
        raise TmfError(ErrorCode.FORBIDDEN, _("You may not read customer data."))


def _links(request) -> tmf_mapping.Links:
    return tmf_mapping.Links(
        customers=request.build_absolute_uri(reverse("api:tmf629_customer_list")),
        individuals=request.build_absolute_uri(reverse("api:tmf632_individual_list")),
    )


def _list(request, response: HttpResponse, attributes, filters, to_resource, detail: str) -> list[dict]:
    _require_view(request)
    query = parse_list_query(request.GET, attributes, filters, split_values=tmf_mapping.split_filters(filters))
    qs = services.filtered(request.user, tmf_mapping.condition(filters, query.filters))
    total = qs.count()
    page = list(qs[query.offset : query.offset + query.limit])
    services.log_search(request.user, f"{detail} {request.GET.urlencode()}", total, channel="api")
    masker, links = Masker(request.user), _links(request)
    items = [select_fields(to_resource(subscriber, masker, links), query.fields) for subscriber in page]
    set_count_headers(response, total, len(items))
    return items


def _get(request, id: str, attributes, to_resource, detail: str, not_found: str) -> dict:
    _require_view(request)
    fields = check_get_query(request.GET, attributes)
    pk = parse_id(id)
    try:
        if pk is None:
            raise NotFound(not_found)
        subscriber = services.view_by_id(request.user, pk, detail=detail, channel="api")
    except NotFound:
        raise TmfError(ErrorCode.NOT_FOUND, not_found) from None
    return select_fields(to_resource(subscriber, Masker(request.user), _links(request)), fields)


# --- TMF629 Customer ----------------------------------------------------------------------------


@tmf629_router.get(
    "/customer",
    response={200: list[Tmf629Customer], **READ_ERRORS},
    url_name="tmf629_customer_list",
    openapi_extra=openapi_parameters(CUSTOMER_FILTERS, collection=True),
    **OUTPUT,
)
@tmf_errors
def list_customers(request, response: HttpResponse):
    """Customers (subscribers) of the caller's data scope; filters, `fields`, `offset`/`limit`."""
    return _list(request, response, CUSTOMER_ATTRIBUTES, CUSTOMER_FILTERS, tmf_mapping.customer, "tmf629")


@tmf629_router.get(
    "/customer/{id}",
    response={200: Tmf629Customer, **READ_ERRORS},
    url_name="tmf629_customer",
    openapi_extra=openapi_parameters(CUSTOMER_FILTERS, collection=False),
    **OUTPUT,
)
@tmf_errors
def get_customer(request, id: str):
    """One customer; unknown and out-of-scope ids are the same 404. The read is logged."""
    return _get(request, id, CUSTOMER_ATTRIBUTES, tmf_mapping.customer, "tmf629", _("No customer with this id."))


# --- TMF632 Individual --------------------------------------------------------------------------


@individual_router.get(
    "/individual",
    response={200: list[Tmf632Individual], **READ_ERRORS},
    url_name="tmf632_individual_list",
    openapi_extra=openapi_parameters(INDIVIDUAL_FILTERS, collection=True),
    **OUTPUT,
)
@tmf_errors
def list_individuals(request, response: HttpResponse):
    """The persons behind the subscribers of the caller's data scope."""
    return _list(request, response, INDIVIDUAL_ATTRIBUTES, INDIVIDUAL_FILTERS, tmf_mapping.individual, "tmf632")


@individual_router.get(
    "/individual/{id}",
    response={200: Tmf632Individual, **READ_ERRORS},
    url_name="tmf632_individual",
    openapi_extra=openapi_parameters(INDIVIDUAL_FILTERS, collection=False),
    **OUTPUT,
)
@tmf_errors
def get_individual(request, id: str):
    """One individual (the same id as its Customer); unknown and out-of-scope ids are the same 404."""
    return _get(request, id, INDIVIDUAL_ATTRIBUTES, tmf_mapping.individual, "tmf632", _("No individual with this id."))
