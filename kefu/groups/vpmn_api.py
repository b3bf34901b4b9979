"""VPMN API at /api/v1/vpmn (thin: the rules are in `vpmn` and `renewal`): applications and their approval,
a group's VPMN with members, short numbers and agreements, renewals and the merge of small groups.

Everything is scoped by region (another region's records answer 404) and MSISDNs leave masked unless the
caller may unmask. Bad input answers 4xx naming the field and the reason; nothing is changed."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema, Status

from kefu.core.api import Problem
from kefu.core.masking import Masker
from kefu.core.services import record_access, require
from kefu.groups import renewal, vpmn

router = Router(tags=["VPMN"])

_ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


class Page(Schema):
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


def _application(request, application) -> dict:
    return vpmn.mask_application(vpmn.present_application(application), Masker(request.user))


# --- applications -----------------------------------------------------------------------------------------


class ApplicationFilters(Page):
    status: str | None = None
    group: str | None = Field(None, description="group code")
    q: str = Field("", max_length=vpmn.SEARCH_MAX, description="group code or name, or application number")


class ApplicationForm(Schema):
    applicant_name: str | None = Field(None, max_length=60)
    applicant_msisdn: str | None = Field(None, max_length=11)
    requested_plan: str | None = Field(None, description="discount plan code (see /plans)")
    expected_members: int | None = None
    short_number_from: str | None = Field(None, max_length=8)
    short_number_to: str | None = Field(None, max_length=8)
    term_months: int | None = None
    note: str | None = None


class ApplicationIn(ApplicationForm):
    group: str = Field(..., description="group code")


class ApplicationPatch(ApplicationForm):
    version: int | None = Field(None, description="the version read (a stale one answers 409)")


class VersionIn(Schema):
    version: int | None = None


class ApproveIn(VersionIn):
    starts_on: str | None = Field(None, description="YYYY-MM-DD; default today")
    note: str = Field("", max_length=300)


class RejectIn(VersionIn):
    reason: str = Field(..., description="why the application is rejected")


@router.get("/plans", response={200: list[dict[str, Any]], 403: Problem})
def list_plans(request):
    """The VPMN discount plans an application or agreement chooses from."""
    require(request.user, vpmn.VIEW)
    return [
        {
            "code": p.code,
            "name": p.name,
            "onnet_discount_percent": p.onnet_discount_percent,
            "monthly_fee_fen": p.monthly_fee_fen,
            "description": p.description,
        }
        for p in vpmn.discount_plans()
    ]


@router.get("/applications", response={200: dict[str, Any], **_ERRORS})
def list_applications(request, filters: Query[ApplicationFilters]):
    """Applications of the caller's scope in the approval order (important groups first, then by submission)."""
    qs = vpmn.applications(request.user, status=filters.status).filter(vpmn.search_filter(filters.q))
    if filters.group:
        qs = qs.filter(group__code=filters.group)
    total = qs.count()
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"total": total, "items": [_application(request, a) for a in rows]}


@router.get("/queue", response={200: list[dict[str, Any]], **_ERRORS})
def approval_queue(request):
    """Submitted applications a team leader decides, in priority order."""
    return [_application(request, a) for a in vpmn.approval_queue(request.user)[:500]]


@router.post("/applications", response={201: dict[str, Any], **_ERRORS})
def create_application(request, payload: ApplicationIn):
    """A draft application of a group (complete the form, then submit)."""
    data = payload.dict(exclude_unset=True)
    group = vpmn.get_group(request.user, data.pop("group"))
    application = vpmn.create_application(request.user, group, data)
    return Status(201, _application(request, vpmn.get_application(request.user, application.number)))


@router.get("/applications/{number}", response={200: dict[str, Any], **_ERRORS})
def get_application(request, number: str):
    return _application(request, vpmn.get_application(request.user, number))


@router.patch("/applications/{number}", response={200: dict[str, Any], **_ERRORS})
def update_application(request, number: str, payload: ApplicationPatch):
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    application = vpmn.update_application(request.user, number, data, version=version)
    return _application(request, vpmn.get_application(request.user, application.number))


@router.post("/applications/{number}/submit", response={200: dict[str, Any], **_ERRORS})
def submit_application(request, number: str, payload: VersionIn):
    """Submit for approval: ≥ the GoTone members the parameter asks, the form complete, a valid short-number
    range, no other open application or VPMN of the group."""
    application = vpmn.submit_application(request.user, number, version=payload.version)
    return _application(request, vpmn.get_application(request.user, application.number))


@router.post("/applications/{number}/approve", response={200: dict[str, Any], **_ERRORS})
def approve_application(request, number: str, payload: ApproveIn):
    """Approve (a second person: never the application's creator): the VPMN and its first agreement."""
    application, network, agreement = vpmn.approve_application(
        request.user, number, version=payload.version, starts_on=payload.starts_on, note=payload.note
    )
    return {
        **_application(request, vpmn.get_application(request.user, application.number)),
        "network": vpmn.present_network(network),
        "agreement": vpmn.present_agreement(agreement),
    }


@router.post("/applications/{number}/reject", response={200: dict[str, Any], **_ERRORS})
def reject_application(request, number: str, payload: RejectIn):
    application = vpmn.reject_application(request.user, number, version=payload.version, reason=payload.reason)
    return _application(request, vpmn.get_application(request.user, application.number))


# --- a group's VPMN -----------------------------------------------------------------------------------------


def _network(request, code: str):
    return vpmn.network_of(request.user, vpmn.get_group(request.user, code))


@router.get("/networks/{code}", response={200: dict[str, Any], **_ERRORS})
def get_network(request, code: str):
    """The group's VPMN: range, member count and the agreement in force."""
    network = _network(request, code)
    current = vpmn.agreement_in_force(network)
    return {
        **vpmn.present_network(network),
        "agreement": vpmn.present_agreement(current) if current else None,
    }


class MemberFilters(Page):
    include_ended: bool = False


@router.get("/networks/{code}/members", response={200: dict[str, Any], **_ERRORS})
def list_members(request, code: str, filters: Query[MemberFilters]):
    """Members with their short numbers (MSISDNs masked unless the caller may unmask)."""
    network = _network(request, code)
    qs = vpmn.members(network, include_ended=filters.include_ended)
    total = qs.count()
    masker = Masker(request.user)
    record_access(request.user, "view", network, detail="vpmn members", channel="api")
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"total": total, "items": [vpmn.present_member(m, masker) for m in rows]}


class MemberIn(Schema):
    msisdn: str = Field(..., description="a member of the group")
    short_number: str | None = Field(None, description="default: the next free one of the range")
    effective_from: str | None = Field(None, description="YYYY-MM-DD; default today")


class MemberRemoveIn(Schema):
    effective_to: str | None = Field(None, description="YYYY-MM-DD; default today")


class ShortNumberIn(Schema):
    short_number: str


@router.post("/networks/{code}/members", response={201: dict[str, Any], **_ERRORS})
def add_member(request, code: str, payload: MemberIn):
    group = vpmn.get_group(request.user, code)
    member = vpmn.add_member(
        request.user,
        group,
        msisdn=payload.msisdn,
        short_number=payload.short_number,
        effective_from=payload.effective_from,
    )
    return Status(201, vpmn.present_member(member, Masker(request.user)))


@router.post("/networks/{code}/members/{member_id}/remove", response={200: dict[str, Any], **_ERRORS})
def remove_member(request, code: str, member_id: int, payload: MemberRemoveIn):
    group = vpmn.get_group(request.user, code)
    member = vpmn.remove_member(request.user, group, member_id, effective_to=payload.effective_to)
    return vpmn.present_member(member, Masker(request.user))


@router.patch("/networks/{code}/members/{member_id}", response={200: dict[str, Any], **_ERRORS})
def change_short_number(request, code: str, member_id: int, payload: ShortNumberIn):
    """Give a member another short number (the old one ends today; the history is kept)."""
    group = vpmn.get_group(request.user, code)
    member = vpmn.change_short_number(request.user, group, member_id, short_number=payload.short_number)
    return vpmn.present_member(member, Masker(request.user))


# --- agreements --------------------------------------------------------------------------------------------


class AgreementIn(Schema):
    discount_plan: str
    starts_on: str = Field(..., description="YYYY-MM-DD")
    ends_on: str | None = Field(None, description="YYYY-MM-DD, after starts_on; or give term_months")
    term_months: int | None = None


class TerminateIn(Schema):
    reason: str


@router.get("/networks/{code}/agreements", response={200: list[dict[str, Any]], **_ERRORS})
def list_agreements(request, code: str):
    return [vpmn.present_agreement(a) for a in vpmn.agreements(_network(request, code))]


@router.post("/networks/{code}/agreements", response={201: dict[str, Any], **_ERRORS})
def create_agreement(request, code: str, payload: AgreementIn):
    group = vpmn.get_group(request.user, code)
    agreement = vpmn.create_agreement(
        request.user,
        group,
        plan=payload.discount_plan,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        term_months=payload.term_months,
    )
    return Status(201, vpmn.present_agreement(agreement))


@router.post("/agreements/{number}/terminate", response={200: dict[str, Any], **_ERRORS})
def terminate_agreement(request, number: str, payload: TerminateIn):
    return vpmn.present_agreement(vpmn.terminate_agreement(request.user, number, reason=payload.reason))


# --- renewals and merges ------------------------------------------------------------------------------------


@router.get("/renewals", response={200: dict[str, Any], **_ERRORS})
def list_renewals(request, filters: Query[Page]):
    """Renewals of the caller's scope with their work orders (newest first)."""
    qs = renewal.renewals(request.user)
    total = qs.count()
    return {
        "total": total,
        "items": [renewal.present_renewal(r) for r in qs[filters.offset : filters.offset + filters.limit]],
    }


@router.post("/renewals/start-due", response={200: dict[str, Any], **_ERRORS})
def start_due_renewals(request):
    """Administrators: start the renewals falling due now (the worker does this on every pass)."""
    return {"started": renewal.start_due(request.user)}


@router.get("/groups/{code}/merge-candidates", response={200: list[dict[str, Any]], **_ERRORS})
def merge_candidates(request, code: str):
    """Other small active groups of the same industry in the same city (those the caller may see)."""
    group = vpmn.get_group(request.user, code)
    return [
        {"code": g.code, "name": g.name, "members": g.open_members, "region": g.region.code}
        for g in renewal.merge_candidates(group, user=request.user)
    ]


class MergeIn(Schema):
    into: str = Field(..., description="code of the group to merge into")
    reason: str = Field("", max_length=300)


@router.post("/groups/{code}/merge", response={200: dict[str, Any], **_ERRORS})
def merge(request, code: str, payload: MergeIn):
    """Merge a small group into another of the same industry in the same city."""
    group = renewal.merge_group(request.user, code, payload.into, payload.reason)
    return {"code": group.code, "status": group.status, "merged_into": group.merged_into.code}
