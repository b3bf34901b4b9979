"""Key-account API (thin: the rules are in services, points and the engine): rule versions and their
lifecycle, the what-if preview, grading, tier changes, points, the redemption catalogue and the warehouse."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.services import require
from kefu.customers import services as customers
from kefu.keyaccounts import points, presenters, services
from kefu.keyaccounts.models import GradingRun, PointsEntry, RuleVersion, TierChange
from kefu.keyaccounts.rules import rules_json_schema
from kefu.warehouse import get_warehouse
from kefu.warehouse.store import parse_month

router = Router(tags=["key accounts"])

_ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}
MAX_BOSS_FILE = 512 * 1024 * 1024


def _require(request, perm: str) -> None:
    require(request.user, perm)


def _month(value: str | None, field: str = "month") -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return parse_month(value)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, _("A month is written YYYY-MM, e.g. 2026-10."), field=field) from None


class Page(Schema):
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


# --- rules ------------------------------------------------------------------------------------------------


@router.get("/rules/schema", response={200: dict[str, Any], 403: Problem})
def rules_schema(request):
    """The JSON schema of a rule version (fields, limits, descriptions) for editors."""
    _require(request, "keyaccounts.view_ruleversion")
    return rules_json_schema()


class DraftIn(Schema):
    rules: dict[str, Any] | None = Field(None, description="The rule document; omitted: a copy of the published one")
    note: str = Field("", max_length=300)


class UpdateIn(Schema):
    rules: dict[str, Any] | None = None
    note: str | None = Field(None, max_length=300)


class PreviewIn(Schema):
    month: str | None = Field(None, description="YYYY-MM; default: the latest month in the warehouse")


@router.get("/rulesets/{code}/versions", response={200: list[dict[str, Any]], **_ERRORS})
def list_versions(request, code: str):
    """Every version of a rule set, newest first: the history."""
    _require(request, "keyaccounts.view_ruleversion")
    ruleset = services.get_ruleset(code)
    versions = RuleVersion.objects.filter(ruleset=ruleset).select_related(
        "ruleset", "drafted_by", "approved_by", "published_by"
    )
    return [presenters.version(v, with_rules=False) for v in versions]


@router.post("/rulesets/{code}/versions", response={201: dict[str, Any], **_ERRORS})
def create_version(request, code: str, payload: DraftIn):
    """Draft a new version (validated: a document that does not parse or leaves a tier unreachable is refused)."""
    version = services.draft_version(request.user, payload.rules, payload.note, code=code)
    return Status(201, presenters.version(services.get_version(version.pk)))


@router.get("/versions/{version_id}", response={200: dict[str, Any], **_ERRORS})
def get_version(request, version_id: int):
    _require(request, "keyaccounts.view_ruleversion")
    return presenters.version(services.get_version(version_id))


@router.put("/versions/{version_id}", response={200: dict[str, Any], **_ERRORS})
def update_version(request, version_id: int, payload: UpdateIn):
    """Change a draft (a previewed version goes back to draft)."""
    version = services.update_draft(request.user, services.get_version(version_id), payload.rules, payload.note)
    return presenters.version(services.get_version(version.pk))


@router.post("/versions/{version_id}/preview", response={200: dict[str, Any], **_ERRORS})
def preview_version(request, version_id: int, payload: PreviewIn):
    """What-if: customers moving between tiers (matrix overall and by city, totals before/after, potential VIPs)
    over the whole base, and a sample of movers in the caller's scope with masked numbers."""
    version = services.get_version(version_id)
    preview = services.preview_version(request.user, version, _month(payload.month))
    return {"version": presenters.version(services.get_version(version_id), with_rules=False), **preview}


@router.post("/versions/{version_id}/approve", response={200: dict[str, Any], **_ERRORS})
def approve_version(request, version_id: int):
    """Approve a previewed version (a second person: never its drafter)."""
    version = services.approve_version(request.user, services.get_version(version_id))
    return presenters.version(services.get_version(version.pk))


@router.post("/versions/{version_id}/publish", response={200: dict[str, Any], **_ERRORS})
def publish_version(request, version_id: int):
    """Publish an approved version; the previous one is retired."""
    version = services.publish_version(request.user, services.get_version(version_id))
    return presenters.version(services.get_version(version.pk))


# --- grading ----------------------------------------------------------------------------------------------


class GradeIn(Schema):
    month: str = Field(description="YYYY-MM")


@router.post("/grading", response={200: dict[str, Any], **_ERRORS})
def run_grading(request, payload: GradeIn):
    """Grade every subscriber for the month with the published rules (idempotent)."""
    run = services.grade_month(request.user, _month(payload.month))
    return presenters.run(run)


@router.get("/grading/runs", response={200: list[dict[str, Any]], **_ERRORS})
def list_runs(request, page: Query[Page]):
    _require(request, "keyaccounts.view_gradingrun")
    runs = GradingRun.objects.select_related("rule_version", "started_by")[page.offset : page.offset + page.limit]
    return [presenters.run(r) for r in runs]


@router.get("/grading/runs/{run_id}/changes", response={200: dict[str, Any], **_ERRORS})
def run_changes(request, run_id: int, page: Query[Page]):
    """The changes of one run in the caller's scope (masked)."""
    _require(request, "keyaccounts.view_tierchange")
    qs = (
        TierChange.objects.restrict(request.user)
        .filter(run_id=run_id)
        .select_related("subscriber__region__parent", "rule_version")
        .order_by("id")
    )
    masker = Masker(request.user)
    items = [presenters.tier_change(c, masker) for c in qs[page.offset : page.offset + page.limit]]
    return {"count": qs.count(), "offset": page.offset, "limit": page.limit, "items": items}


@router.get("/customers/{msisdn}/tier-changes", response={200: list[dict[str, Any]], **_ERRORS})
def customer_tier_changes(request, msisdn: str):
    _require(request, "keyaccounts.view_tierchange")
    subscriber = customers.get_on_net(request.user, msisdn)
    masker = Masker(request.user)
    qs = TierChange.objects.filter(subscriber=subscriber).select_related("subscriber__region__parent", "rule_version")
    return [presenters.tier_change(c, masker) for c in qs[:100]]


# --- points -----------------------------------------------------------------------------------------------


class AdjustIn(Schema):
    points: int = Field(description="Points to add (positive) or take (negative)")
    reason: str = Field(max_length=200)


class RedeemIn(Schema):
    item: str = Field(max_length=40)
    quantity: int = Field(1, ge=1, le=100)


class CrossRedeemIn(RedeemIn):
    msisdn: str = Field(max_length=11)
    id_number: str = Field(max_length=32, description="The customer's ID number, as shown on the ID card")


@router.get("/customers/{msisdn}/points", response={200: dict[str, Any], **_ERRORS})
def customer_points(request, msisdn: str, page: Query[Page]):
    """Balance, what expires when, and the ledger (newest first)."""
    _require(request, "keyaccounts.view_pointsentry")
    subscriber = customers.get_on_net(request.user, msisdn)
    qs = PointsEntry.objects.filter(subscriber=subscriber).select_related("created_by")
    return presenters.statement(subscriber, Masker(request.user), qs, page.offset, page.limit)


@router.post("/customers/{msisdn}/points/adjustments", response={201: dict[str, Any], **_ERRORS})
def adjust_points(request, msisdn: str, payload: AdjustIn):
    subscriber = customers.get_on_net(request.user, msisdn)
    entry = points.adjust(request.user, subscriber, payload.points, payload.reason)
    return Status(201, presenters.entry(entry))


@router.post("/customers/{msisdn}/points/redemptions", response={201: dict[str, Any], **_ERRORS})
def redeem_points(request, msisdn: str, payload: RedeemIn):
    """Redeem for a customer of the caller's scope; beyond the balance: 409."""
    _require(request, "keyaccounts.redeem_points")
    subscriber = customers.get_on_net(request.user, msisdn)
    redemption = points.redeem(request.user, subscriber, payload.item, payload.quantity)
    return Status(201, presenters.redemption(redemption, Masker(request.user)))


@router.post("/points/cross-region-redemptions", response={201: dict[str, Any], **_ERRORS})
def redeem_cross_region(request, payload: CrossRedeemIn):
    """Redeem for a customer of another region: the customer's ID number verifies them; both regions are kept."""
    redemption = points.redeem_cross_region(
        request.user, payload.msisdn, payload.id_number, payload.item, payload.quantity
    )
    return Status(201, presenters.redemption(redemption, Masker(request.user)))


class ItemIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    points: int = Field(ge=1, le=10_000_000)
    stock: int = Field(ge=0, le=10_000_000)
    active: bool = True


@router.get("/redemption-items", response={200: list[dict[str, Any]], **_ERRORS})
def list_items(request):
    _require(request, "keyaccounts.view_redemptionitem")
    return [presenters.item(i) for i in points.catalogue(active_only=False)]


@router.put("/redemption-items/{code}", response={200: dict[str, Any], **_ERRORS})
def save_item(request, code: str, payload: ItemIn):
    return presenters.item(
        points.save_item(request.user, code, payload.name, payload.points, payload.stock, payload.active)
    )


class AccrueIn(Schema):
    month: str = Field(description="YYYY-MM")


class ExpireIn(Schema):
    year: int = Field(ge=2000, le=2100)


@router.post("/points/accrual", response={200: dict[str, Any], **_ERRORS})
def accrue(request, payload: AccrueIn):
    """Monthly accrual from the bills in the warehouse, plus tenure bonuses (idempotent)."""
    return points.accrue_month(request.user, _month(payload.month))


@router.post("/points/expiry", response={200: dict[str, Any], **_ERRORS})
def expire(request, payload: ExpireIn):
    """Year-end expiry (idempotent)."""
    return points.expire_year(request.user, payload.year)


# --- warehouse --------------------------------------------------------------------------------------------


class LoadIn(Schema):
    months: list[str] | None = Field(None, description="YYYY-MM months to load; omitted: every month")


@router.get("/warehouse", response={200: dict[str, Any], **_ERRORS})
def warehouse_state(request):
    """The months held per kind and the latest loads."""
    _require(request, "keyaccounts.load_warehouse")
    warehouse = get_warehouse()
    return {
        "months": {kind: [m.strftime("%Y-%m") for m in warehouse.months(kind)] for kind in ("bills", "usage")},
        "subscribers": warehouse.has_snapshot(),
        "loads": [
            {**load, "month": load["month"].strftime("%Y-%m") if load["month"] else None} for load in warehouse.loads()
        ],
    }


@router.post("/warehouse/load", response={200: dict[str, Any], **_ERRORS})
def warehouse_load(request, payload: LoadIn):
    """Copy bills, usage and subscribers from the operational database (a month loaded again is replaced)."""
    months = [_month(m, "months") for m in payload.months] if payload.months is not None else None
    return services.load_warehouse(request.user, months)


@router.post("/warehouse/boss/{kind}", response={200: dict[str, Any], **_ERRORS})
def warehouse_boss(request, kind: str, file: File[UploadedFile], month: str | None = None):
    """Load a BOSS interface file (CSV, UTF-8, money in fen; docs/warehouse.md). A file with any bad row is
    refused whole: 422 with `errors` = [{line, field, reason}] and `bad_rows`."""
    _require(request, "keyaccounts.load_warehouse")
    if file.size is not None and file.size > MAX_BOSS_FILE:
        raise DomainError(ErrorCode.INVALID, _("The file is too large."), field="file")
    return services.load_boss_file(request.user, kind, file.read(), _month(month), name=file.name or "")


# Privileges, appointments, customer managers and service standards (KA-4..7) live in their own modules.
from kefu.keyaccounts import privileges_api  # noqa: E402

router.add_router("", privileges_api.router)
from kefu.keyaccounts import care_api  # noqa: E402

router.add_router("", care_api.router)
