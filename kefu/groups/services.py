"""Group customers (GRP-1): the group profile, its contact persons and member subscribers.

Every read starts from `.restrict(user)`: a group outside the caller's scope answers like an unknown one.
Every change is validated before anything is written, runs in one transaction and is audited. The member
count on the group is kept in step with the open memberships (`refresh_member_count`), so lists and the
monthly recomputation read it without counting.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters, prepared
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.models import Region
from kefu.core.scope import may_see_region, scope_region_ids
from kefu.core.services import record_change, require
from kefu.core.validators import MSISDN_RULE, is_msisdn
from kefu.customers.models import Subscriber, SubscriberStatus
from kefu.groups.models import (
    AgreementStatus,
    ContactRole,
    FeePayer,
    GroupContact,
    GroupCustomer,
    GroupGrade,
    GroupMember,
    GroupNature,
    GroupStatus,
    Industry,
    VpmnAgreement,
    VpmnMember,
)

VIEW = "groups.view_groupcustomer"
ADD = "groups.add_groupcustomer"
CHANGE = "groups.change_groupcustomer"
IMPORT = "groups.import_groupmember"

MANAGER_ROLE = "manager"
# Upper-case letters, digits and hyphens, starting with a letter or digit: the page URLs rely on it
# (lower-case paths under /groups/ belong to the VPMN and care pages).
CODE_PATTERN = r"[A-Z0-9][A-Z0-9-]{2,19}"
_CODE = re.compile(rf"^{CODE_PATTERN}$")


# --- reads --------------------------------------------------------------------------------------------------


def scoped_groups(user) -> QuerySet[GroupCustomer]:
    return GroupCustomer.objects.restrict(user).select_related("region", "region__parent", "customer_manager")


def get_group(user, code: str) -> GroupCustomer:
    """The group with this code in the caller's scope; unknown and out-of-scope codes are the same 404."""
    require(user, VIEW)
    known = isinstance(code, str) and "\x00" not in code  # PostgreSQL text holds no NUL: no group has one
    group = scoped_groups(user).filter(code=code).first() if known else None
    if group is None:
        raise NotFound(_("No group customer with this code."))
    return group


def get_group_by_id(user, pk: int) -> GroupCustomer:
    require(user, VIEW)
    group = scoped_groups(user).filter(pk=pk).first()
    if group is None:
        raise NotFound(_("No group customer with this id."))
    return group


@dataclass
class GroupFilters:
    grade: str = ""
    nature: str = ""
    industry: str = ""
    manager: str = ""  # username of the customer manager
    key_group: bool | None = None
    status: str = ""
    region: str = ""  # region code: the region and everything under it
    q: str = ""  # part of the name, or the start of the code


def _choice(value: str, choices, field: str) -> str:
    if value and value not in choices.values:
        raise DomainError(ErrorCode.INVALID, _("Not one of the allowed values."), field=field)
    return value


def search_groups(user, filters: GroupFilters | None = None) -> QuerySet[GroupCustomer]:
    """The caller's groups matching `filters` (an unknown choice value is refused, naming the filter)."""
    require(user, VIEW)
    f = filters or GroupFilters()
    qs = scoped_groups(user)
    if _choice(f.grade, GroupGrade, "grade"):
        qs = qs.filter(grade=f.grade)
    if _choice(f.nature, GroupNature, "nature"):
        qs = qs.filter(nature=f.nature)
    if _choice(f.industry, Industry, "industry"):
        qs = qs.filter(industry=f.industry)
    if _choice(f.status, GroupStatus, "status"):
        qs = qs.filter(status=f.status)
    if f.manager:
        qs = qs.filter(customer_manager__username=f.manager)
    if f.key_group is not None:
        qs = qs.filter(is_key_group=f.key_group)
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        if region is None:
            raise DomainError(ErrorCode.INVALID, _("Unknown region."), field="region")
        qs = qs.filter(region__path__startswith=region.path)
    q = f.q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__istartswith=q))
    return qs.order_by("code")


def managers_in_scope(user) -> QuerySet:
    """Active customer managers whose region lies in the caller's scope (the choices of a group's manager)."""
    qs = get_user_model().objects.filter(groups__name=MANAGER_ROLE, is_active=True).order_by("username")
    ids = scope_region_ids(user)
    return qs if ids is None else qs.filter(region_id__in=ids)


def regions_in_scope(user) -> QuerySet[Region]:
    qs = Region.objects.order_by("path")
    ids = scope_region_ids(user)
    return qs if ids is None else qs.filter(id__in=ids)


def qualifies(group: GroupCustomer) -> bool:
    """A group customer qualifies with at least `groups.min_members` active members (GRP-1)."""
    return group.member_count >= parameters.get("groups.min_members")


def open_members(group: GroupCustomer) -> QuerySet[GroupMember]:
    return group.members.filter(left_on__isnull=True)


def refresh_member_count(group: GroupCustomer) -> int:
    """Keep `member_count` in step with the open memberships (inside the changing transaction)."""
    count = open_members(group).count()
    GroupCustomer.objects.filter(pk=group.pk).update(member_count=count)
    group.member_count = count
    return count


# --- groups -------------------------------------------------------------------------------------------------

EDITABLE = ("name", "nature", "industry", "grade", "region", "customer_manager", "address", "employees")
_LEAD_ONLY = ("key_group_approved", "status")


def _text(value: Any, field: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise DomainError(ErrorCode.INVALID, _("Enter text."), field=field)
    if required and not text:
        raise DomainError(ErrorCode.INVALID, _("This field is required."), field=field)
    if len(text) > max_length:
        raise DomainError(ErrorCode.INVALID, _("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def _region_in_scope(user, code: Any) -> Region:
    region = Region.objects.filter(code=code).first() if isinstance(code, str) and code else None
    if region is None or not may_see_region(user, region.pk):
        raise DomainError(ErrorCode.INVALID, _("Choose a region of your data scope."), field="region")
    return region


def _manager_in_scope(user, username: Any):
    if username in (None, ""):
        return None
    manager = managers_in_scope(user).filter(username=username).first() if isinstance(username, str) else None
    if manager is None:
        raise DomainError(
            ErrorCode.INVALID,
            _("Choose an active customer manager of your data scope."),
            field="customer_manager",
        )
    return manager


def _clean_group(user, data: dict[str, Any], group: GroupCustomer | None) -> dict[str, Any]:
    """Check every field given in `data`; return the model values to set. Nothing is written here."""
    allowed = set(EDITABLE) | set(_LEAD_ONLY) | ({"code"} if group is None else set())
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DomainError(
            ErrorCode.INVALID, _("This field cannot be set here: %(f)s.") % {"f": unknown[0]}, field=unknown[0]
        )
    values: dict[str, Any] = {}
    if "code" in data and data["code"] not in (None, ""):
        code = data["code"].strip().upper() if isinstance(data["code"], str) else ""
        if not _CODE.match(code):
            raise DomainError(
                ErrorCode.INVALID,
                _("A group code is 3 to 20 capital letters, digits or hyphens."),
                field="code",
            )
        if GroupCustomer.objects.filter(code=code).exists():
            raise DomainError(ErrorCode.CONFLICT, _("A group with this code exists already."), field="code")
        values["code"] = code
    required = group is None
    if "name" in data or required:
        values["name"] = _text(data.get("name"), "name", 120)
    for field, choices in (("nature", GroupNature), ("industry", Industry), ("grade", GroupGrade)):
        if field in data or required:
            value = data.get(field)
            if value not in choices.values:
                raise DomainError(ErrorCode.INVALID, _("Choose one of the allowed values."), field=field)
            values[field] = value
    if "region" in data or required:
        values["region"] = _region_in_scope(user, data.get("region"))
    if "customer_manager" in data:
        values["customer_manager"] = _manager_in_scope(user, data.get("customer_manager"))
    if "address" in data:
        values["address"] = _text(data.get("address"), "address", 200, required=False)
    if "employees" in data:
        employees = data.get("employees")
        if isinstance(employees, bool) or not isinstance(employees, int) or not 0 <= employees <= 10_000_000:
            raise DomainError(ErrorCode.INVALID, _("Enter a whole number of employees."), field="employees")
        values["employees"] = employees
    if "key_group_approved" in data:
        if not isinstance(data["key_group_approved"], bool):
            raise DomainError(ErrorCode.INVALID, _("Enter true or false."), field="key_group_approved")
        values["key_group_approved"] = data["key_group_approved"]
    if "status" in data:
        # merging and churn have their own operations; here a group may only be reactivated or churned
        if data["status"] not in (GroupStatus.ACTIVE, GroupStatus.CHURNED):
            raise DomainError(ErrorCode.INVALID, _("Choose active or churned."), field="status")
        values["status"] = data["status"]
    if any(name in values for name in _LEAD_ONLY) and not user_may_lead(user):
        field = next(name for name in _LEAD_ONLY if name in values)
        raise DomainError(ErrorCode.FORBIDDEN, _("Only a team leader may change this."), field=field)
    return values


def user_may_lead(user) -> bool:
    return user is None or user.has_perm("groups.view_groupmonth")


def _next_code() -> str:
    n = (GroupCustomer.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    while GroupCustomer.objects.filter(code=f"G{n:08d}").exists():
        n += 1
    return f"G{n:08d}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Region):
        return value.code
    if hasattr(value, "username"):
        return value.username
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def create_group(user, data: dict[str, Any]) -> GroupCustomer:
    require(user, ADD)
    values = _clean_group(user, data, None)
    values.setdefault("code", _next_code())
    if values.get("status") == GroupStatus.CHURNED:
        values["churned_at"] = timezone.now()
    try:
        with transaction.atomic():
            group = GroupCustomer.objects.create(**values)
    except IntegrityError:
        raise DomainError(ErrorCode.CONFLICT, _("A group with this code exists already."), field="code") from None
    record_change(user, group, "create", {k: _jsonable(v) for k, v in values.items()})
    return group


@transaction.atomic
def update_group(user, group: GroupCustomer, data: dict[str, Any]) -> GroupCustomer:
    require(user, CHANGE)
    group = GroupCustomer.objects.select_for_update().get(pk=group.pk)
    values = _clean_group(user, data, group)
    diff = {}
    for name, value in values.items():
        old = getattr(group, name)
        if old != value:
            diff[name] = [_jsonable(old), _jsonable(value)]
            setattr(group, name, value)
    if "status" in diff:
        group.churned_at = timezone.now() if group.status == GroupStatus.CHURNED else None
    if diff:
        group.save()
        record_change(user, group, "update", diff)
    return group


# --- contact persons ----------------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "title", "msisdn", "email", "birth_date", "is_primary")


def _clean_contact(data: dict[str, Any], creating: bool) -> dict[str, Any]:
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        raise DomainError(
            ErrorCode.INVALID, _("This field cannot be set here: %(f)s.") % {"f": unknown[0]}, field=unknown[0]
        )
    values: dict[str, Any] = {}
    if "name" in data or creating:
        values["name"] = _text(data.get("name"), "name", 60)
    if "msisdn" in data or creating:
        msisdn = data.get("msisdn")
        if not isinstance(msisdn, str) or not is_msisdn(msisdn.strip()):
            raise DomainError(ErrorCode.INVALID, str(MSISDN_RULE), field="msisdn")
        values["msisdn"] = msisdn.strip()
    if "role" in data:
        if data["role"] not in ContactRole.values:
            raise DomainError(ErrorCode.INVALID, _("Choose one of the allowed values."), field="role")
        values["role"] = data["role"]
    if "title" in data:
        values["title"] = _text(data.get("title"), "title", 60, required=False)
    if "email" in data:
        email = _text(data.get("email"), "email", 254, required=False)
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise DomainError(ErrorCode.INVALID, _("Enter a valid e-mail address."), field="email")
        values["email"] = email
    if "birth_date" in data:
        birth = data["birth_date"]
        if birth is not None and not isinstance(birth, dt.date):
            raise DomainError(ErrorCode.INVALID, _("Enter a date."), field="birth_date")
        if birth is not None and birth >= timezone.localdate():
            raise DomainError(ErrorCode.INVALID, _("A birth date lies in the past."), field="birth_date")
        values["birth_date"] = birth
    if "is_primary" in data:
        if not isinstance(data["is_primary"], bool):
            raise DomainError(ErrorCode.INVALID, _("Enter true or false."), field="is_primary")
        values["is_primary"] = data["is_primary"]
    return values


def get_contact(user, group: GroupCustomer, contact_id: int) -> GroupContact:
    contact = GroupContact.objects.restrict(user).filter(group=group, pk=contact_id).first()
    if contact is None:
        raise NotFound(_("No contact person with this id."))
    return contact


def _one_primary(group: GroupCustomer, contact: GroupContact) -> None:
    if contact.is_primary:
        GroupContact.objects.filter(group=group, is_primary=True).exclude(pk=contact.pk).update(is_primary=False)


@transaction.atomic
def add_contact(user, group: GroupCustomer, data: dict[str, Any]) -> GroupContact:
    require(user, CHANGE)
    values = _clean_contact(data, creating=True)
    contact = GroupContact.objects.create(group=group, **values)
    _one_primary(group, contact)
    record_change(user, contact, "create", {k: _jsonable(v) for k, v in values.items()}, region_id=group.region_id)
    return contact


@transaction.atomic
def update_contact(user, contact: GroupContact, data: dict[str, Any]) -> GroupContact:
    require(user, CHANGE)
    values = _clean_contact(data, creating=False)
    contact = GroupContact.objects.select_for_update().select_related("group").get(pk=contact.pk)
    diff = {}
    for name, value in values.items():
        if getattr(contact, name) != value:
            diff[name] = [_jsonable(getattr(contact, name)), _jsonable(value)]
            setattr(contact, name, value)
    if diff:
        contact.save()
        _one_primary(contact.group, contact)
        record_change(user, contact, "update", diff, region_id=contact.group.region_id)
    return contact


@transaction.atomic
def deactivate_contact(user, contact: GroupContact) -> GroupContact:
    require(user, CHANGE)
    contact = GroupContact.objects.select_for_update().select_related("group").get(pk=contact.pk)
    if contact.active:
        contact.active = False
        contact.is_primary = False
        contact.save(update_fields=["active", "is_primary"])
        record_change(user, contact, "deactivate", {"active": [True, False]}, region_id=contact.group.region_id)
    return contact


# --- members ------------------------------------------------------------------------------------------------


def find_member_subscriber(user, msisdn: Any, field: str = "msisdn") -> Subscriber:
    """The subscriber to add as a member: known, in the caller's scope and not closed (else refused)."""
    if not isinstance(msisdn, str) or not is_msisdn(msisdn.strip()):
        raise DomainError(ErrorCode.INVALID, str(MSISDN_RULE), field=field)
    subscriber = Subscriber.objects.restrict(user).filter(msisdn=msisdn.strip()).order_by("-join_date").first()
    if subscriber is None:
        raise DomainError(ErrorCode.INVALID, _("No customer with this number in your data scope."), field=field)
    if subscriber.status == SubscriberStatus.CLOSED or subscriber.store != "on_net":
        raise DomainError(ErrorCode.INVALID, _("This number is closed."), field=field)
    return subscriber


def check_fee_payer(value: Any, field: str = "fee_payer") -> str:
    if value in (None, ""):
        return FeePayer.MEMBER
    if value not in FeePayer.values:
        raise DomainError(ErrorCode.INVALID, _("Fees are paid by group, shared or member."), field=field)
    return value


def check_joined_on(value: Any, field: str = "joined_on") -> dt.date:
    if value is None:
        return timezone.localdate()
    if not isinstance(value, dt.date):
        raise DomainError(ErrorCode.INVALID, _("Enter a date as YYYY-MM-DD."), field=field)
    if value > timezone.localdate():
        raise DomainError(ErrorCode.INVALID, _("A member cannot join in the future."), field=field)
    return value


def get_member(user, group: GroupCustomer, member_id: int) -> GroupMember:
    member = GroupMember.objects.restrict(user).select_related("subscriber").filter(group=group, pk=member_id).first()
    if member is None:
        raise NotFound(_("No member with this id."))
    return member


def is_open_member(group: GroupCustomer, subscriber: Subscriber) -> bool:
    return open_members(group).filter(subscriber=subscriber).exists()


@transaction.atomic
def add_member(
    user,
    group: GroupCustomer,
    msisdn: Any,
    joined_on: dt.date | None = None,
    department: str = "",
    fee_payer: str = "",
) -> GroupMember:
    """Add a subscriber of the caller's scope to the group; refused when already an open member."""
    require(user, CHANGE)
    subscriber = find_member_subscriber(user, msisdn)
    values = {
        "joined_on": check_joined_on(joined_on),
        "department": _text(department, "department", 60, required=False),
        "fee_payer": check_fee_payer(fee_payer),
    }
    group = GroupCustomer.objects.select_for_update().get(pk=group.pk)
    if group.status != GroupStatus.ACTIVE:
        raise DomainError(ErrorCode.CONFLICT, _("Members are added to active groups only."), field="status")
    if is_open_member(group, subscriber):
        raise DomainError(ErrorCode.CONFLICT, _("This number is already a member of the group."), field="msisdn")
    member = GroupMember.objects.create(group=group, subscriber=subscriber, **values)
    refresh_member_count(group)
    record_change(
        user,
        member,
        "add_member",
        {"subscriber": subscriber.pk, **{k: _jsonable(v) for k, v in values.items()}},
        region_id=group.region_id,
    )
    return member


@transaction.atomic
def remove_member(user, member: GroupMember, left_on: dt.date | None = None, reason: str = "") -> GroupMember:
    """End a membership on `left_on` (default today); the row stays for the churn figures."""
    require(user, CHANGE)
    member = GroupMember.objects.select_for_update().select_related("group").get(pk=member.pk)
    if member.left_on is not None:
        raise DomainError(ErrorCode.CONFLICT, _("This member has left already."), field="left_on")
    if left_on is None:
        left_on = timezone.localdate()
    if not isinstance(left_on, dt.date):
        raise DomainError(ErrorCode.INVALID, _("Enter a date as YYYY-MM-DD."), field="left_on")
    if left_on < member.joined_on:
        raise DomainError(ErrorCode.INVALID, _("A member cannot leave before joining."), field="left_on")
    member.left_on = left_on
    member.left_reason = _text(reason, "reason", 200, required=False)
    member.save(update_fields=["left_on", "left_reason"])
    refresh_member_count(member.group)
    record_change(
        user,
        member,
        "remove_member",
        {"left_on": left_on.isoformat(), "reason": member.left_reason},
        region_id=member.group.region_id,
    )
    return member


# --- the customer 360 (VAS-3) ---------------------------------------------------------------------------


def _member_rows(today, subscriber_id: int):
    short_number = (
        VpmnMember.objects.filter(network__group=OuterRef("group"), subscriber_id=subscriber_id)
        .in_force(today)
        .values("short_number")[:1]
    )
    agreement = VpmnAgreement.objects.filter(
        network__group=OuterRef("group"),
        status__in=(AgreementStatus.ACTIVE, AgreementStatus.RENEWING),
        starts_on__lte=today,
        ends_on__gte=today,
    ).order_by("-starts_on", "-id")
    return (
        GroupMember.objects.filter(subscriber_id=subscriber_id, left_on__isnull=True)
        .annotate(
            short_number=Subquery(short_number),
            agreement_number=Subquery(agreement.values("number")[:1]),
            agreement_ends_on=Subquery(agreement.values("ends_on")[:1]),
        )
        .values(
            "group__code",
            "group__name",
            "group__grade",
            "group__region_id",
            "group__is_key_group",
            "short_number",
            "agreement_number",
            "agreement_ends_on",
        )
        .order_by("group__code")
    )


def groups_for_subscriber(user, subscriber: Subscriber) -> list[dict[str, Any]]:
    """The subscriber's groups for the 360 view: name, grade and, when in the group's VPMN, the short number and
    the agreement in force. One query. The caller has checked the subscriber is in scope; a group outside the
    caller's scope is shown without a link (`in_scope`)."""
    # on every screen pop: compiled once per process (kefu.core.prepared; its subqueries cost 3 ms to compile)
    rows = prepared.fetch("groups.for_subscriber", _member_rows, timezone.localdate(), subscriber.pk)
    grades = dict(GroupGrade.choices)
    return [
        {
            "code": row["group__code"],
            "name": row["group__name"],
            "grade": row["group__grade"],
            "grade_label": str(grades.get(row["group__grade"], row["group__grade"])),
            "is_key_group": row["group__is_key_group"],
            "in_scope": may_see_region(user, row["group__region_id"]),
            "short_number": row["short_number"],
            "agreement": (
                {"number": row["agreement_number"], "ends_on": row["agreement_ends_on"]}
                if row["agreement_number"]
                else None
            ),
        }
        for row in rows
    ]
