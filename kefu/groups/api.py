"""Group-customer API at /api/v1/groups (thin: the rules are in services, members and monthly).

Groups are addressed by code (`/{code}`) or by id (`/id/{id}`); a group outside the caller's scope answers
404 like an unknown one. Member numbers are masked unless the caller may unmask. Paths take group codes
(capital letters, digits, hyphens) only, so the care API's lower-case paths under the same prefix stay free.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.models import AccessAction
from kefu.core.services import record_access, require
from kefu.groups import members as member_files
from kefu.groups import monthly, presenters, services
from kefu.groups.models import GroupMonth
from kefu.groups.views import GroupCode  # noqa: F401 - registers the `groupcode` path converter

router = Router(tags=["groups"])


class StrictSchema(Schema):
    """A request body that refuses unknown fields (naming them) instead of ignoring them."""

    model_config = ConfigDict(**Schema.model_config, extra="forbid")

_ERRORS = {400: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
CODE = "/{groupcode:code}"


class GroupQuery(Schema):
    q: str = Field("", max_length=60, description="Part of the name, or the start of the code")
    grade: str = Field("", description="A, B or C")
    nature: str = Field("", description="important or enterprise")
    industry: str = ""
    manager: str = Field("", description="The customer manager's username")
    key_group: bool | None = None
    status: str = ""
    region: str = Field("", description="A region code: the region and everything under it")
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


class GroupIn(StrictSchema):
    code: str | None = Field(None, max_length=20, description="Empty: the next free code")
    name: str = Field(max_length=120)
    nature: str
    industry: str
    grade: str
    region: str = Field(description="Region code, in the caller's scope")
    customer_manager: str | None = Field(None, description="Username of a customer manager in scope")
    address: str = Field("", max_length=200)
    employees: int = Field(0, ge=0)
    key_group_approved: bool | None = Field(None, description="Team leaders only")


class GroupPatch(StrictSchema):
    name: str | None = Field(None, max_length=120)
    nature: str | None = None
    industry: str | None = None
    grade: str | None = None
    region: str | None = None
    customer_manager: str | None = None
    address: str | None = Field(None, max_length=200)
    employees: int | None = Field(None, ge=0)
    key_group_approved: bool | None = None
    status: str | None = None


class ContactIn(StrictSchema):
    name: str = Field(max_length=60)
    msisdn: str
    role: str = "contact"
    title: str = Field("", max_length=60)
    email: str = Field("", max_length=254)
    birth_date: dt.date | None = None
    is_primary: bool = False


class ContactPatch(StrictSchema):
    name: str | None = Field(None, max_length=60)
    msisdn: str | None = None
    role: str | None = None
    title: str | None = Field(None, max_length=60)
    email: str | None = Field(None, max_length=254)
    birth_date: dt.date | None = None
    is_primary: bool | None = None


class MemberIn(StrictSchema):
    msisdn: str
    department: str = Field("", max_length=60)
    fee_payer: Literal["group", "shared", "member"] = "member"
    joined_on: dt.date | None = Field(None, description="Default: today")


class MemberLeaveIn(StrictSchema):
    left_on: dt.date | None = Field(None, description="Default: today")
    reason: str = Field("", max_length=200)


class MemberQuery(Schema):
    include_left: bool = False
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


class MonthIn(StrictSchema):
    month: str = Field(description="YYYY-MM")


def _without_unset(payload: Schema) -> dict[str, Any]:
    return payload.dict(exclude_unset=True)


# --- groups -------------------------------------------------------------------------------------------------


@router.get("", response={200: dict[str, Any], **_ERRORS})
def list_groups(request, params: Query[GroupQuery]):
    """Groups of the caller's scope, filtered; `count` is the number matching."""
    qs = services.search_groups(
        request.user,
        services.GroupFilters(
            grade=params.grade,
            nature=params.nature,
            industry=params.industry,
            manager=params.manager,
            key_group=params.key_group,
            status=params.status,
            region=params.region,
            q=params.q,
        ),
    )
    items = [presenters.group(g) for g in qs[params.offset : params.offset + params.limit]]
    return {"count": qs.count(), "offset": params.offset, "limit": params.limit, "items": items}


@router.post("", response={201: dict[str, Any], **_ERRORS})
def create_group(request, payload: GroupIn):
    data = _without_unset(payload)
    if data.get("key_group_approved") is None:
        data.pop("key_group_approved", None)
    group = services.create_group(request.user, data)
    return Status(201, presenters.group_detail(services.get_group(request.user, group.code)))


@router.get("/id/{int:group_id}", response={200: dict[str, Any], **_ERRORS})
def get_group_by_id(request, group_id: int):
    return presenters.group_detail(services.get_group_by_id(request.user, group_id))


@router.get(CODE, response={200: dict[str, Any], **_ERRORS})
def get_group(request, code: str):
    return presenters.group_detail(services.get_group(request.user, code))


@router.patch(CODE, response={200: dict[str, Any], **_ERRORS})
def update_group(request, code: str, payload: GroupPatch):
    group = services.get_group(request.user, code)
    services.update_group(request.user, group, _without_unset(payload))
    return presenters.group_detail(services.get_group(request.user, code))


# --- contacts ---------------------------------------------------------------------------------------------


@router.get(CODE + "/contacts", response={200: list[dict[str, Any]], **_ERRORS})
def list_contacts(request, code: str):
    group = services.get_group(request.user, code)
    masker = Masker(request.user)
    record_access(request.user, AccessAction.VIEW, group, detail="group contacts", channel="api")
    return [presenters.contact(c, masker) for c in group.contacts.order_by("-active", "-is_primary", "name")]


@router.post(CODE + "/contacts", response={201: dict[str, Any], **_ERRORS})
def add_contact(request, code: str, payload: ContactIn):
    group = services.get_group(request.user, code)
    contact = services.add_contact(request.user, group, payload.dict())
    return Status(201, presenters.contact(contact, Masker(request.user)))


@router.patch(CODE + "/contacts/{int:contact_id}", response={200: dict[str, Any], **_ERRORS})
def update_contact(request, code: str, contact_id: int, payload: ContactPatch):
    group = services.get_group(request.user, code)
    contact = services.update_contact(
        request.user, services.get_contact(request.user, group, contact_id), _without_unset(payload)
    )
    return presenters.contact(contact, Masker(request.user))


@router.post(CODE + "/contacts/{int:contact_id}/deactivate", response={200: dict[str, Any], **_ERRORS})
def deactivate_contact(request, code: str, contact_id: int):
    group = services.get_group(request.user, code)
    contact = services.deactivate_contact(request.user, services.get_contact(request.user, group, contact_id))
    return presenters.contact(contact, Masker(request.user))


# --- members ----------------------------------------------------------------------------------------------


@router.get(CODE + "/members", response={200: dict[str, Any], **_ERRORS})
def list_members(request, code: str, params: Query[MemberQuery]):
    """The group's members (current ones unless `include_left`), numbers masked unless the caller may unmask."""
    group = services.get_group(request.user, code)
    qs = group.members.select_related("subscriber").order_by("left_on", "joined_on", "id")
    if not params.include_left:
        qs = qs.filter(left_on__isnull=True)
    masker = Masker(request.user)
    record_access(request.user, AccessAction.VIEW, group, detail="group members", channel="api")
    items = [presenters.member(m, masker) for m in qs[params.offset : params.offset + params.limit]]
    return {"count": qs.count(), "offset": params.offset, "limit": params.limit, "items": items}


@router.post(CODE + "/members", response={201: dict[str, Any], **_ERRORS})
def add_member(request, code: str, payload: MemberIn):
    group = services.get_group(request.user, code)
    member = services.add_member(
        request.user, group, payload.msisdn, payload.joined_on, payload.department, payload.fee_payer
    )
    return Status(201, presenters.member(member, Masker(request.user)))


@router.post(CODE + "/members/{int:member_id}/remove", response={200: dict[str, Any], **_ERRORS})
def remove_member(request, code: str, member_id: int, payload: MemberLeaveIn):
    group = services.get_group(request.user, code)
    member = services.remove_member(
        request.user, services.get_member(request.user, group, member_id), payload.left_on, payload.reason
    )
    return presenters.member(member, Masker(request.user))


def _content(file: UploadedFile) -> bytes:
    content = file.read(member_files.MAX_FILE_BYTES + 1)
    if len(content) > member_files.MAX_FILE_BYTES:
        raise DomainError(ErrorCode.INVALID, _("The file is larger than 2 MB."), field="file")
    return content


@router.post(CODE + "/members/import/preview", response={200: dict[str, Any], **_ERRORS})
def preview_import(request, code: str, file: File[UploadedFile]):
    """Check a CSV or xlsx member file (multipart `file`): bad rows with line numbers and reasons, the number of
    good rows, and the token the confirmation needs. Nothing is changed."""
    group = services.get_group(request.user, code)
    preview = member_files.preview_import(request.user, group, file.name, _content(file))
    return preview.as_dict(Masker(request.user))


@router.post(CODE + "/members/import/confirm", response={200: dict[str, Any], **_ERRORS})
def confirm_import(request, code: str, file: File[UploadedFile], token: Form[str]):
    """Apply the good rows of the same file (multipart `file` and the preview's `token`); refused with 409 when
    the file or the members changed since the preview."""
    group = services.get_group(request.user, code)
    result = member_files.confirm_import(request.user, group, token, file.name, _content(file))
    group.refresh_from_db()
    return {"applied": result.applied, "member_count": group.member_count}


@router.get(CODE + "/members/export", response={200: None, **_ERRORS})
def export_members(request, code: str, include_left: bool = False):
    """The members as xlsx (masked unless the caller may unmask); the export is logged."""
    group = services.get_group(request.user, code)
    body = member_files.export_members(request.user, group, include_left=include_left, channel="api")
    response = HttpResponse(body, content_type=member_files.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{group.code}-members.xlsx"'
    return response


# --- monthly figures --------------------------------------------------------------------------------------


@router.get(CODE + "/months", response={200: list[dict[str, Any]], **_ERRORS})
def list_months(request, code: str, limit: int = Query(24, ge=1, le=120)):
    """The group's monthly figures (members at start/left/at end, spend, rank, key-group flag), newest first."""
    group = services.get_group(request.user, code)
    return [presenters.month(m) for m in GroupMonth.objects.filter(group=group).order_by("-month")[:limit]]


@router.post("/months/recompute", response={200: dict[str, Any], **_ERRORS})
def recompute_month(request, payload: MonthIn):
    """Recompute a month for every group (administrators): replaces that month's figures, never doubles them."""
    require(request.user, monthly.PERMISSION)
    month = monthly.parse_month(payload.month)
    return monthly.recompute(month, actor=request.user).as_dict()
