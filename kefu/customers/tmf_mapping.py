"""A Kefu subscriber as a TM Forum TMF629 `Customer` and as the TMF632 `Individual` behind it.

The one place that maps our fields to TMF attribute names, both ways: the resource dicts for output
(masking through `presenters.profile` and `Masker`) and the filter parameters for input (a TMF
attribute filter becomes a Django `Q` on `Subscriber`). Pure functions: no scope, no logging here.

Ids: the Customer and the Individual of a subscriber share the subscriber's id, so the Customer's
`engagedParty.id` is the Individual's id.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.masking import Masker
from kefu.core.models import Region, RegionLevel
from kefu.core.tmf_api import Filter, invalid, parse_id
from kefu.core.validators import MSISDN_RULE, is_msisdn
from kefu.customers import presenters
from kefu.customers.models import Brand, IdType, Subscriber, SubscriberStatus, VipTier

# First-level attributes of the resources (TMF629 v4.0.0 `Customer`, TMF632 v4.0.0 `Individual`):
# the names `fields=` accepts. An attribute we do not hold is accepted and simply absent.
CUSTOMER_ATTRIBUTES = (
    "id", "href", "name", "status", "statusReason", "account", "agreement", "characteristic",
    "contactMedium", "creditProfile", "engagedParty", "paymentMethod", "relatedParty", "validFor",
    "@baseType", "@schemaLocation", "@type",
)  # fmt: skip
INDIVIDUAL_ATTRIBUTES = (
    "id", "href", "aristocraticTitle", "birthDate", "countryOfBirth", "deathDate", "familyName",
    "familyNamePrefix", "formattedName", "fullName", "gender", "generation", "givenName", "legalName",
    "location", "maritalStatus", "middleName", "nationality", "placeOfBirth", "preferredGivenName", "title",
    "contactMedium", "creditRating", "disability", "externalReference", "individualIdentification",
    "languageAbility", "otherName", "partyCharacteristic", "relatedParty", "skill", "status",
    "taxExemptionCertificate", "@baseType", "@schemaLocation", "@type",
)  # fmt: skip

# TMF629 leaves the Customer status free; our choice follows the spec's own example ("Approved").
CUSTOMER_STATUS = {
    SubscriberStatus.ACTIVE: "Approved",
    SubscriberStatus.SUSPENDED: "Suspended",
    SubscriberStatus.ARREARS_STOPPED: "Suspended",
    SubscriberStatus.CLOSED: "Closed",
}
# TMF632 IndividualStateType is initialized | validated | deceased: a subscriber registered with an
# identity document is validated.
INDIVIDUAL_STATUS = "validated"
INDIVIDUAL_STATUSES = ("initialized", "validated", "deceased")

IDENTIFICATION_TYPE = {
    IdType.ID_CARD: "nationalIdentityCard",
    IdType.PASSPORT: "passport",
    IdType.HK_MACAO: "travelPermit",
    IdType.MILITARY: "militaryIdentityCard",
    IdType.BUSINESS_LICENCE: "businessLicence",
}
COUNTRY = "CN"


@dataclass(frozen=True)
class Links:
    """Absolute URLs of the two collections, for `href`s (built once per request)."""

    customers: str
    individuals: str

    def customer(self, pk) -> str:
        return f"{self.customers}/{pk}"

    def individual(self, pk) -> str:
        return f"{self.individuals}/{pk}"


# --- output -------------------------------------------------------------------------------------


def split_name(name: str) -> tuple[str, str]:
    """(givenName, familyName). A Chinese name's surname is its first character (张伟 → 伟, 张);
    a name written with spaces (a passport holder's) has the family name last."""
    if " " in name:
        given, _sep, family = name.rpartition(" ")
        return given, family
    return name[1:], name[:1]


def _date_time(day: dt.date | None) -> str | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)).isoformat()


def _period(start: str | None, end: str | None = None) -> dict:
    period = {}
    if start:
        period["startDateTime"] = start
    if end:
        period["endDateTime"] = end
    return period


def contact_medium(subscriber: Subscriber, profile: dict, masker: Masker) -> list[dict]:
    """The mobile number, the postal address and the e-mail, masked as `profile` and `masker` say."""
    since = _period(_date_time(subscriber.join_date))
    media = [
        {
            "mediumType": "telephoneNumber",
            "preferred": True,
            "characteristic": {"contactType": "mobile", "phoneNumber": profile["msisdn"]},
            "validFor": since,
        }
    ]
    if subscriber.address:
        city = presenters.city_of(subscriber)
        province = city.parent if city is not None else None
        address = {"contactType": "home", "street1": profile["address"], "country": COUNTRY}
        if city is not None:
            address["city"] = city.display_name
        if province is not None:
            address["stateOrProvince"] = province.display_name
        media.append({"mediumType": "postalAddress", "preferred": False, "characteristic": address})
    if subscriber.email:
        media.append(
            {
                "mediumType": "email",
                "preferred": False,
                "characteristic": {"contactType": "email", "emailAddress": masker.email(subscriber.email)},
            }
        )
    return media


def _characteristic(name: str, value, value_type: str) -> dict:
    return {"name": name, "value": value, "valueType": value_type}


def customer(subscriber: Subscriber, masker: Masker, links: Links) -> dict:
    profile = presenters.profile(subscriber, masker)
    pk = str(subscriber.pk)
    resource = {
        "id": pk,
        "href": links.customer(pk),
        "name": subscriber.name,
        "status": CUSTOMER_STATUS[subscriber.status],
        "statusReason": profile["status_label"],
        "validFor": _period(
            _date_time(subscriber.join_date),
            timezone.localtime(subscriber.closed_at).isoformat() if subscriber.closed_at else None,
        ),
        "engagedParty": {
            "id": pk,
            "href": links.individual(pk),
            "name": subscriber.name,
            "@referredType": "Individual",
        },
        "contactMedium": contact_medium(subscriber, profile, masker),
        "characteristic": [
            _characteristic("brand", subscriber.brand, "string"),
            _characteristic("pricePlan", profile["price_plan"], "string"),
            _characteristic("vipTier", subscriber.vip_tier, "string"),
            _characteristic("creditLevel", subscriber.credit_level, "integer"),
            _characteristic("pointsBalance", subscriber.points_balance, "integer"),
            _characteristic("homeCity", profile["city"], "string"),
            _characteristic("contracted", subscriber.contracted, "boolean"),
        ],
    }
    manager = profile["customer_manager"]
    if manager:
        # Staff are not published as TMF632 individuals: the reference names them, without href.
        resource["relatedParty"] = [
            {
                "id": manager["username"],
                "name": manager["name"],
                "role": "customerManager",
                "@referredType": "Individual",
            }
        ]
    resource["@type"] = "Customer"
    return resource


def individual(subscriber: Subscriber, masker: Masker, links: Links) -> dict:
    profile = presenters.profile(subscriber, masker)
    pk = str(subscriber.pk)
    given, family = split_name(subscriber.name)
    resource = {
        "id": pk,
        "href": links.individual(pk),
        "givenName": given,
        "familyName": family,
        "fullName": subscriber.name,
        "formattedName": subscriber.name,
    }
    # The birth date is the part of the ID number that masking hides: shown to those who may unmask.
    if masker.unmasked and subscriber.birth_date:
        resource["birthDate"] = _date_time(subscriber.birth_date)
    resource.update(
        {
            "status": INDIVIDUAL_STATUS,
            "individualIdentification": [
                {
                    "identificationType": IDENTIFICATION_TYPE.get(subscriber.id_type, subscriber.id_type),
                    "identificationId": profile["id_number"],
                }
            ],
            "contactMedium": contact_medium(subscriber, profile, masker),
            "@type": "Individual",
        }
    )
    return resource


# --- input: attribute filters -------------------------------------------------------------------

NOTHING = Q(pk__in=[])


def _one_of(values: list[str], allowed, field: str) -> list[str]:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise invalid(
            _("Unknown value %(value)s; one of: %(allowed)s.") % {"value": unknown[0], "allowed": ", ".join(allowed)},
            field,
        )
    return values


def _ids(values: list[str]) -> Q:
    ids = [pk for pk in map(parse_id, values) if pk is not None]
    return Q(pk__in=ids) if ids else NOTHING


def _customer_status(values: list[str]) -> Q:
    names = sorted(set(CUSTOMER_STATUS.values()))
    by_lower = {name.lower(): name for name in names}
    wanted = {by_lower.get(value.lower(), value) for value in values}
    _one_of(sorted(wanted), names, "status")
    return Q(status__in=[ours for ours, theirs in CUSTOMER_STATUS.items() if theirs in wanted])


def _individual_status(values: list[str]) -> Q:
    wanted = {value.lower() for value in values}
    _one_of(sorted(wanted), INDIVIDUAL_STATUSES, "status")
    return Q() if INDIVIDUAL_STATUS in wanted else NOTHING


def _credit_levels(values: list[str]) -> Q:
    levels = []
    for value in values:
        if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 5):
            raise invalid(_("creditLevel is a whole number from 1 to 5."), "creditLevel")
        levels.append(int(value))
    return Q(credit_level__in=levels)


def _home_cities(values: list[str]) -> Q:
    cities = {r.code: r for r in Region.objects.filter(code__in=values, level=RegionLevel.CITY)}
    unknown = [value for value in values if value not in cities]
    if unknown:
        raise invalid(_("Unknown city code %(value)s.") % {"value": unknown[0]}, "homeCity")
    condition = NOTHING
    for city in cities.values():
        condition |= Q(region__path__startswith=city.path)
    return condition


def _contracted(values: list[str]) -> Q:
    flags = {"true": True, "false": False}
    _one_of([value.lower() for value in values], list(flags), "contracted")
    return Q(contracted__in=[flags[value.lower()] for value in values])


def _phone_numbers(values: list[str]) -> Q:
    for value in values:
        if not is_msisdn(value):
            raise invalid(str(MSISDN_RULE), PHONE_FILTER)
    return Q(msisdn__in=values)


def _family_names(values: list[str]) -> Q:
    """Names whose split_name family part equals one of the values."""
    condition = NOTHING
    for value in values:
        if " " in value:
            continue
        condition |= Q(name__endswith=f" {value}")
        if len(value) == 1:
            condition |= Q(name__startswith=value) & ~Q(name__contains=" ")
    return condition


def _given_names(values: list[str]) -> Q:
    """Names whose split_name given part equals one of the values (regex: same on SQLite and PostgreSQL)."""
    condition = NOTHING
    for value in values:
        escaped = re.escape(value)
        condition |= Q(name__regex=rf"^{escaped} [^ ]*$")
        if " " not in value:
            condition |= Q(name__regex=rf"^[^ ]{escaped}$")
    return condition


PHONE_FILTER = "contactMedium.characteristic.phoneNumber"


CUSTOMER_FILTERS: dict[str, Filter] = {
    "id": Filter(_ids, "Customer id(s)"),
    "name": Filter(lambda values: Q(name__in=values), "Customer name, exact", split=False),
    "status": Filter(_customer_status, "Approved (active), Suspended (suspended or stopped for arrears), Closed"),
    "brand": Filter(lambda values: Q(brand__in=_one_of(values, Brand.values, "brand")), "Brand code"),
    "pricePlan": Filter(lambda values: Q(price_plan__code__in=values), "Price plan code"),
    "vipTier": Filter(lambda values: Q(vip_tier__in=_one_of(values, VipTier.values, "vipTier")), "VIP tier code"),
    "creditLevel": Filter(_credit_levels, "Credit level, 1 to 5"),
    "homeCity": Filter(_home_cities, "Home city code, e.g. xian"),
    "contracted": Filter(_contracted, "true or false"),
    "engagedParty.id": Filter(_ids, "Id of the Individual"),
    PHONE_FILTER: Filter(_phone_numbers, "Mobile number (11 digits), exact"),
}

INDIVIDUAL_FILTERS: dict[str, Filter] = {
    "id": Filter(_ids, "Individual id(s)"),
    "givenName": Filter(_given_names, "Given name, exact", split=False),
    "familyName": Filter(_family_names, "Family name (surname), exact", split=False),
    "fullName": Filter(lambda values: Q(name__in=values), "Full name, exact", split=False),
    "status": Filter(_individual_status, "initialized, validated or deceased (every subscriber is validated)"),
    "individualIdentification.identificationId": Filter(
        lambda values: Q(id_number__in=[value.upper() for value in values]), "Identity document number, exact"
    ),
    PHONE_FILTER: Filter(_phone_numbers, "Mobile number (11 digits), exact"),
}


def condition(filters: dict[str, Filter], asked: dict[str, list[str]]) -> Q:
    """The AND of the asked filters (each one an OR of its values)."""
    result = Q()
    for name, values in asked.items():
        result &= filters[name].to_q(values)
    return result


def split_filters(filters: dict[str, Filter]) -> tuple[str, ...]:
    return tuple(name for name, spec in filters.items() if spec.split)
