"""TM Forum TMF632 Party: group customers as `Organization` (`/tmf-api/party/v4/organization`).

Read-only, in the caller's data scope (an out-of-scope id is the same 404 as an unknown one), contact numbers
masked unless the caller may unmask. The TMF list rules (paging, `fields`, filters, errors) are
`kefu.core.tmf_api`'s, as for the TMF632 Individual in `kefu.customers.tmf`.

Mapping: the group code is an `organizationIdentification` (type `groupCode`); nature → `organizationType`;
status active → `validated`, merged or churned → `closed` (TMF632 OrganizationStateType); grade, industry,
region, members and the key-group flag are `partyCharacteristic`s; the customer manager is a `relatedParty`
(role `customerManager`); a merged group names the group it went into as `organizationParentRelationship`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kefu.core.errors import ErrorCode
from kefu.core.masking import Masker
from kefu.core.tmf_api import (
    OUTPUT,
    READ_ERRORS,
    Filter,
    TmfError,
    check_get_query,
    invalid,
    openapi_parameters,
    parse_id,
    parse_list_query,
    select_fields,
    set_count_headers,
    tmf_errors,
)
from kefu.groups import services
from kefu.groups.models import GroupContact, GroupCustomer, GroupGrade, GroupNature, GroupStatus, Industry

router = Router(tags=["TMF632 Party"])

ATTRIBUTES = (
    "id", "href", "isHeadOffice", "isLegalEntity", "name", "nameType", "organizationType", "tradingName",
    "contactMedium", "creditRating", "existsDuring", "externalReference", "organizationChildRelationship",
    "organizationIdentification", "organizationParentRelationship", "otherName", "partyCharacteristic",
    "relatedParty", "status", "taxExemptionCertificate", "@baseType", "@schemaLocation", "@type",
)  # fmt: skip

STATUS = {GroupStatus.ACTIVE: "validated", GroupStatus.MERGED: "closed", GroupStatus.CHURNED: "closed"}
STATUSES = ("initialized", "validated", "closed")
IDENTIFICATION_TYPE = "groupCode"


# --- filters ----------------------------------------------------------------------------------------------


def _one_of(values: list[str], allowed, name: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise invalid(_("Unknown value for %(name)s: %(value)s.") % {"name": name, "value": value}, name)
    return values


def _ids(values: list[str]) -> Q:
    return Q(pk__in=[pk for pk in (parse_id(v) for v in values) if pk is not None])


def _status(values: list[str]) -> Q:
    wanted = _one_of(values, STATUSES, "status")
    return Q(status__in=[code for code, tmf in STATUS.items() if tmf in wanted])


def _bool(values: list[str], name: str) -> bool:
    if values[0] not in ("true", "false"):
        raise invalid(_("%(name)s is true or false.") % {"name": name}, name)
    return values[0] == "true"


FILTERS: dict[str, Filter] = {
    "id": Filter(_ids, "Organization id(s)"),
    "name": Filter(lambda values: Q(name__in=values), "Name, exact", split=False),
    "tradingName": Filter(lambda values: Q(name__in=values), "Name, exact (the same as name)", split=False),
    "status": Filter(_status, "validated (active) or closed (merged or churned)"),
    "organizationType": Filter(
        lambda values: Q(nature__in=_one_of(values, GroupNature.values, "organizationType")), "important or enterprise"
    ),
    "organizationIdentification.identificationId": Filter(lambda values: Q(code__in=values), "Group code"),
    "grade": Filter(lambda values: Q(grade__in=_one_of(values, GroupGrade.values, "grade")), "Grade: A, B or C"),
    "industry": Filter(lambda values: Q(industry__in=_one_of(values, Industry.values, "industry")), "Industry code"),
    "isKeyGroup": Filter(lambda values: Q(is_key_group=_bool(values, "isKeyGroup")), "true or false", split=False),
    "relatedParty.id": Filter(lambda values: Q(customer_manager__username__in=values), "Customer manager username"),
}


# --- schema -----------------------------------------------------------------------------------------------


class Tmf632OrganizationIdentification(Schema):
    identificationType: str
    identificationId: str


class Tmf632Characteristic(Schema):
    name: str
    value: Any
    valueType: str | None = None


class Tmf632TimePeriod(Schema):
    startDateTime: str | None = None
    endDateTime: str | None = None


class Tmf632OrganizationRef(Schema):
    id: str
    href: str | None = None
    name: str | None = None


class Tmf632OrganizationParentRelationship(Schema):
    relationshipType: str | None = None
    organization: Tmf632OrganizationRef


class Tmf632OrgRelatedParty(Schema):
    id: str
    name: str | None = None
    role: str | None = None
    referredType: str = Field(alias="@referredType")


class Tmf632OrgMediumCharacteristic(Schema):
    contactType: str | None = None
    phoneNumber: str | None = None
    emailAddress: str | None = None


class Tmf632OrgContactMedium(Schema):
    mediumType: str
    preferred: bool | None = None
    characteristic: Tmf632OrgMediumCharacteristic


class Tmf632Organization(Schema):
    id: str
    href: str
    name: str | None = None
    tradingName: str | None = None
    isLegalEntity: bool | None = None
    isHeadOffice: bool | None = None
    organizationType: str | None = None
    status: str | None = Field(None, description="validated (active) or closed (merged or churned)")
    existsDuring: Tmf632TimePeriod | None = None
    organizationIdentification: list[Tmf632OrganizationIdentification] | None = None
    organizationParentRelationship: Tmf632OrganizationParentRelationship | None = None
    partyCharacteristic: list[Tmf632Characteristic] | None = None
    contactMedium: list[Tmf632OrgContactMedium] | None = None
    relatedParty: list[Tmf632OrgRelatedParty] | None = None
    type: str | None = Field(None, alias="@type")


# --- mapping ----------------------------------------------------------------------------------------------


def organization(group: GroupCustomer, masker: Masker, collection_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": str(group.pk),
        "href": f"{collection_url}/{group.pk}",
        "name": group.name,
        "tradingName": group.name,
        "isLegalEntity": True,
        "isHeadOffice": group.merged_into_id is None,
        "organizationType": group.nature,
        "status": STATUS[group.status],
        "existsDuring": {
            "startDateTime": group.created_at.isoformat(),
            **({"endDateTime": group.churned_at.isoformat()} if group.churned_at else {}),
        },
        "organizationIdentification": [{"identificationType": IDENTIFICATION_TYPE, "identificationId": group.code}],
        "partyCharacteristic": [
            {"name": "grade", "value": group.grade, "valueType": "string"},
            {"name": "industry", "value": group.industry, "valueType": "string"},
            {"name": "region", "value": group.region.code, "valueType": "string"},
            {"name": "memberCount", "value": group.member_count, "valueType": "integer"},
            {"name": "qualifies", "value": services.qualifies(group), "valueType": "boolean"},
            {"name": "isKeyGroup", "value": group.is_key_group, "valueType": "boolean"},
            {"name": "monthlySpendFen", "value": group.monthly_spend_fen, "valueType": "integer"},
        ],
        "contactMedium": [
            {
                "mediumType": "mobile",
                "preferred": contact.is_primary,
                "characteristic": {"contactType": contact.role, "phoneNumber": masker.msisdn(contact.msisdn)},
            }
            for contact in group.active_contacts
        ],
        "@type": "Organization",
    }
    if group.customer_manager is not None:
        manager = group.customer_manager
        resource["relatedParty"] = [
            {
                "id": manager.username,
                "name": manager.get_full_name() or manager.username,
                "role": "customerManager",
                "@referredType": "Individual",
            }
        ]
    if group.merged_into is not None:
        resource["organizationParentRelationship"] = {
            "relationshipType": "mergedInto",
            "organization": {
                "id": str(group.merged_into_id),
                "href": f"{collection_url}/{group.merged_into_id}",
                "name": group.merged_into.name,
            },
        }
    return resource


def _queryset(user):
    return (
        GroupCustomer.objects.restrict(user)
        .select_related("region", "customer_manager", "merged_into")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=GroupContact.objects.filter(active=True).order_by("-is_primary", "name"),
                to_attr="active_contacts",
            )
        )
        .order_by("pk")
    )


def _require_view(request) -> None:
    if not request.user.has_perm(services.VIEW):
        raise TmfError(ErrorCode.FORBIDDEN, _("You may not read group customers."))


def _collection(request) -> str:
    return request.build_absolute_uri(reverse("api:tmf632_organization_list"))


@router.get(
    "/organization",
    response={200: list[Tmf632Organization], **READ_ERRORS},
    url_name="tmf632_organization_list",
    openapi_extra=openapi_parameters(FILTERS, collection=True),
    **OUTPUT,
)
@tmf_errors
def list_organizations(request, response: HttpResponse):
    """Group customers of the caller's data scope as Organizations; filters, `fields`, `offset`/`limit`."""
    _require_view(request)
    query = parse_list_query(
        request.GET, ATTRIBUTES, FILTERS, split_values=tuple(n for n, f in FILTERS.items() if f.split)
    )
    condition = Q()
    for name, values in query.filters.items():
        condition &= FILTERS[name].to_q(values)
    qs = _queryset(request.user).filter(condition)
    total = qs.count()
    page = list(qs[query.offset : query.offset + query.limit])
    masker, url = Masker(request.user), _collection(request)
    items = [select_fields(organization(g, masker, url), query.fields) for g in page]
    set_count_headers(response, total, len(items))
    return items


@router.get(
    "/organization/{id}",
    response={200: Tmf632Organization, **READ_ERRORS},
    url_name="tmf632_organization",
    openapi_extra=openapi_parameters(FILTERS, collection=False),
    **OUTPUT,
)
@tmf_errors
def get_organization(request, id: str):
    """One group customer; unknown and out-of-scope ids are the same 404."""
    _require_view(request)
    fields = check_get_query(request.GET, ATTRIBUTES)
    pk = parse_id(id)
    group = _queryset(request.user).filter(pk=pk).first() if pk is not None else None
    if group is None:
        raise TmfError(ErrorCode.NOT_FOUND, _("No organization with this id."))
    return select_fields(organization(group, Masker(request.user), _collection(request)), fields)
