"""The API root: every area's router is mounted here, so one OpenAPI document covers them all."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kefu.contact.api import desktop_router as cc_desktop_router
from kefu.contact.api import ivr_router
from kefu.contact.api import router as cti_router
from kefu.contact.tmf import router as tmf683_router
from kefu.core.api import API_AUTH, RENDERER
from kefu.core.api import router as auth_router
from kefu.core.errors import DomainError
from kefu.customers.api import router as customers_router
from kefu.customers.tmf import individual_router, tmf629_router
from kefu.groups.api import router as groups_router
from kefu.groups.care_api import router as groups_care_router
from kefu.groups.tmf import router as organization_router
from kefu.groups.vpmn_api import router as vpmn_router
from kefu.keyaccounts.api import router as keyaccounts_router
from kefu.keyaccounts.privileges_api import partner_router
from kefu.keyaccounts.tmf import router as loyalty_router
from kefu.keyaccounts.tmf646 import router as tmf646_router
from kefu.workorders.api import router as workorders_router
from kefu.workorders.tmf import router as tmf621_router

api = NinjaAPI(
    renderer=RENDERER,
    title="Kefu API",
    version="1",
    description=_("Kefu customer-service platform API. TM Forum Open APIs under /tmf-api/."),
    auth=API_AUTH,
    docs_url="api/docs",
    openapi_url="api/openapi.json",
    urls_namespace="api",
)

api.add_router("api/v1/auth", auth_router)
api.add_router("api/v1/customers", customers_router)
api.add_router("api/v1/workorders", workorders_router)
api.add_router("tmf-api/customerManagement/v4", tmf629_router)
api.add_router("tmf-api/party/v4", individual_router)
api.add_router("api/v1/keyaccounts", keyaccounts_router)
api.add_router("tmf-api/loyaltyManagement/v4", loyalty_router)
api.add_router("api/partner/v1", partner_router)
api.add_router("tmf-api/appointment/v4", tmf646_router)
api.add_router("tmf-api/troubleTicket/v4", tmf621_router)
api.add_router("api/v1/cti", cti_router)
api.add_router("api/v1/contact/desktop", cc_desktop_router)
api.add_router("tmf-api/partyInteraction/v4", tmf683_router)
api.add_router("api/v1/ivr", ivr_router)
api.add_router("api/v1/groups", groups_router)
api.add_router("api/v1/groups", groups_care_router)
api.add_router("api/v1/vpmn", vpmn_router)
api.add_router("tmf-api/party/v4", organization_router)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_problem(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = [{"field": _field_name(err.get("loc", ())), "detail": err.get("msg")} for err in exc.errors]
    first = errors[0] if errors else {"field": None, "detail": _("Invalid input.")}
    return api.create_response(
        request,
        {"code": "invalid", "detail": first["detail"], "field": first["field"], "errors": errors},
        status=422,
    )


def _field_name(loc) -> str | None:
    # ninja locates an error as ("query", "limit") or ("body", "<parameter>", "channel"): keep the field's own path.
    parts = list(loc[2:] if loc and loc[0] == "body" else loc[1:])
    return ".".join(str(part) for part in parts) or None


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(
        request, {"code": "unauthenticated", "detail": _("Log in or send a bearer token.")}, status=401
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "detail": _("Not found.")}, status=404)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return api.create_response(request, {"code": "error", "detail": str(exc)}, status=exc.status_code)
