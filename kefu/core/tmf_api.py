"""TM Forum Open API conventions (TMF630 REST guidelines, v4) shared by the routers under /tmf-api/.

One place for what every TMF resource collection does the same way:

- `offset` / `limit` paging with the `X-Total-Count` and `X-Result-Count` headers;
- `fields=a,b` attribute selection: only those first-level attributes, plus `id` and `href`;
- attribute filters as plain query parameters (`?status=Approved&name=张伟`), several filters AND-ed,
  comma-separated values of one filter OR-ed; an unknown parameter is refused, naming it;
- errors in the TMF `Error` shape (`code`, `reason`, `message`, `status`), which also carries Kefu's
  problem keys (`detail`, `field`) so that one client can read every error of the API the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema

from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
RESERVED_PARAMETERS = ("fields", "offset", "limit")
# Ids are database primary keys (64-bit); anything else is simply not found.
_MAX_ID = 2**63 - 1

_REASONS = {
    ErrorCode.INVALID: gettext_lazy("Invalid request"),
    ErrorCode.NOT_FOUND: gettext_lazy("Resource not found"),
    ErrorCode.FORBIDDEN: gettext_lazy("Operation not allowed"),
    ErrorCode.CONFLICT: gettext_lazy("Conflict"),
}


class TmfError(DomainError):
    """A DomainError answered in the TMF `Error` shape; the API root renders it like any DomainError."""

    @classmethod
    def from_domain(cls, exc: DomainError) -> TmfError:
        return cls(exc.code, exc.message, field=exc.field, **exc.extra)

    def as_problem(self) -> dict:
        problem = super().as_problem()
        problem.update(
            {
                "reason": str(_REASONS.get(self.code, self.code)),
                "message": self.message,
                "status": str(self.status),
                "@type": "Error",
            }
        )
        return problem


class TmfProblem(Schema):
    """The TMF `Error` as we send it (declare it as the 4xx response of TMF operations)."""

    code: str
    reason: str
    message: str
    status: str
    detail: str = Field(description="The same as message (Kefu's problem shape)")
    field: str | None = Field(None, description="The query parameter or attribute at fault")
    type: str = Field("Error", alias="@type")


# The 4xx answers of a read-only TMF operation, and how its resources are written (only what is set, by alias).
READ_ERRORS = {403: TmfProblem, 404: TmfProblem, 422: TmfProblem, 401: Problem}
OUTPUT = {"exclude_unset": True, "by_alias": True}


@dataclass(frozen=True)
class Filter:
    """An attribute filter of a resource collection: its values as a query, and its OpenAPI description."""

    to_q: Callable[[list[str]], Q]
    description: str
    split: bool = True  # the value may be a comma-separated list (OR)


def openapi_parameters(filters: Mapping[str, Filter], collection: bool) -> dict:
    """The query parameters of a TMF GET for the OpenAPI document: `fields`, and on a collection the paging
    parameters and the filters."""
    params = [
        {
            "in": "query",
            "name": "fields",
            "required": False,
            "schema": {"type": "string"},
            "description": "Comma-separated attributes to return (id and href always come)",
        }
    ]
    if collection:
        params += [
            {"in": "query", "name": "offset", "required": False, "schema": {"type": "integer", "minimum": 0}},
            {
                "in": "query",
                "name": "limit",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
            *(
                {
                    "in": "query",
                    "name": name,
                    "required": False,
                    "schema": {"type": "string"},
                    "description": spec.description + (" (comma-separated values: any of them)" if spec.split else ""),
                }
                for name, spec in filters.items()
            ),
        ]
    return {"parameters": params}


def tmf_errors(view):
    """Decorate a TMF operation so that the DomainErrors of the services it calls come out TMF-shaped."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except TmfError:
            raise
        except DomainError as exc:
            raise TmfError.from_domain(exc) from exc

    return wrapper


def invalid(message: str, field: str) -> TmfError:
    return TmfError(ErrorCode.INVALID, message, field=field)


def parse_id(value: str) -> int | None:
    """The integer id in a path or filter, or None when it cannot be one of ours (then: not found)."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= _MAX_ID else None


@dataclass(frozen=True)
class ListQuery:
    offset: int
    limit: int
    fields: frozenset[str] | None  # None: every attribute
    filters: dict[str, list[str]]  # filter name → the values asked for (OR-ed), empty values dropped


def parse_fields(params: QueryDict, attributes: Collection[str]) -> frozenset[str] | None:
    raw = ",".join(params.getlist("fields"))
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        return None
    unknown = [name for name in names if name not in attributes]
    if unknown:
        raise invalid(_("Unknown attribute in fields: %(name)s.") % {"name": unknown[0]}, "fields")
    return frozenset(names)


def _integer(params: QueryDict, name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(_("%(name)s must be a whole number.") % {"name": name}, name) from None
    if value < low or (high is not None and value > high):
        if high is None:
            message = _("%(name)s must be at least %(low)d.") % {"name": name, "low": low}
        else:
            message = _("%(name)s must be between %(low)d and %(high)d.") % {"name": name, "low": low, "high": high}
        raise invalid(message, name)
    return value


def parse_list_query(
    params: QueryDict, attributes: Collection[str], filters: Collection[str], split_values: Collection[str] = ()
) -> ListQuery:
    """Read `fields`, `offset`, `limit` and the filters of a collection GET; refuse any other parameter.

    `split_values` names the filters whose value may be a comma-separated list (OR); other filters
    take the value whole (a name may hold a comma).
    """
    unknown = sorted(set(params) - set(RESERVED_PARAMETERS) - set(filters))
    if unknown:
        raise invalid(_("Unknown query parameter: %(name)s.") % {"name": unknown[0]}, unknown[0])
    asked: dict[str, list[str]] = {}
    for name in filters:
        values = []
        for raw in params.getlist(name):
            parts = raw.split(",") if name in split_values else [raw]
            values.extend(part.strip() for part in parts if part.strip())
        if values:
            asked[name] = values
    return ListQuery(
        offset=_integer(params, "offset", 0, 0, None),
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        fields=parse_fields(params, attributes),
        filters=asked,
    )


def check_get_query(params: QueryDict, attributes: Collection[str]) -> frozenset[str] | None:
    """A single-resource GET takes `fields` only."""
    unknown = sorted(set(params) - {"fields"})
    if unknown:
        raise invalid(_("Unknown query parameter: %(name)s.") % {"name": unknown[0]}, unknown[0])
    return parse_fields(params, attributes)


def select_fields(resource: Mapping, fields: frozenset[str] | None) -> dict:
    if fields is None:
        return dict(resource)
    keep = fields | {"id", "href"}
    return {key: value for key, value in resource.items() if key in keep}


def set_count_headers(response: HttpResponse, total: int, returned: int) -> None:
    response["X-Total-Count"] = str(total)
    response["X-Result-Count"] = str(returned)
