"""VPMN operations (GRP-4, issue 6 items 4, 9): applications, networks, agreements, members.

The only place that changes VPMN data. Every change runs in `transaction.atomic`, is audited, and refuses
bad input with a `DomainError` naming the field before the first write; the database constraints (one VPMN
per group, a short number once per VPMN, a subscriber in one VPMN, an agreement ending after it starts)
back the checks up, and a race that reaches them answers 409. Reads start with `.restrict(user)`: a record
outside the caller's region answers like an unknown one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.masking import Masker
from kefu.core.scope import may_see_region
from kefu.core.services import record_change, require
from kefu.customers.models import Brand, ProfileStore, SubscriberStatus
from kefu.groups import services as group_services
from kefu.groups.models import (
    AgreementStatus,
    ApplicationStatus,
    GroupCustomer,
    GroupMember,
    GroupNature,
    GroupStatus,
    VpmnAgreement,
    VpmnApplication,
    VpmnDiscountPlan,
    VpmnMember,
    VpmnNetwork,
)

VIEW = "groups.view_vpmnnetwork"
APPLY = "groups.add_vpmnapplication"
EDIT_APPLICATION = "groups.change_vpmnapplication"
APPROVE = "groups.approve_vpmnapplication"
MANAGE = "groups.change_vpmnnetwork"

_MSISDN = re.compile(r"^1\d{10}$")
# Important groups (党政军公检法, media, utilities) are approved first (seed 3.3 (4)).
PRIORITY = {GroupNature.IMPORTANT: 10, GroupNature.ENTERPRISE: 0}
OPEN_APPLICATION = (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
FORM_FIELDS = (
    "applicant_name",
    "applicant_msisdn",
    "requested_plan",
    "expected_members",
    "short_number_from",
    "short_number_to",
    "term_months",
    "note",
)


def _invalid(message: str, field: str, **extra) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, field=field, **extra)


def _conflict(message: str, field: str | None = None, **extra) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message, field=field, **extra)


def today() -> dt.date:
    return timezone.localdate()


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(starts_on: dt.date, months: int) -> dt.date:
    """The last day of a term of `months` starting on `starts_on`."""
    return add_months(starts_on, months) - dt.timedelta(days=1)


# Agreements, terms and membership dates lie in this range (a term added to 9999-12-31 would overflow).
YEARS = (2000, 2100)


def _parse_date(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise _invalid(_("Give a date as YYYY-MM-DD."), field) from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise _invalid(_("Give a date from %(first)d to %(last)d.") % {"first": YEARS[0], "last": YEARS[1]}, field)
    return day


# ---------------------------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------------------------


def get_group(user, code: str) -> GroupCustomer:
    """The group of a VPMN page or call: the VPMN permission, then the one scoped lookup of groups."""
    require(user, VIEW)
    return group_services.get_group(user, code)


def applications(user, status: str | None = None, group: GroupCustomer | None = None):
    """The applications of the caller's scope, the approval queue's order (important groups first, then by
    submission time)."""
    require(user, VIEW)
    qs = VpmnApplication.objects.restrict(user).select_related("group", "requested_plan", "created_by", "decided_by")
    if status:
        if status not in ApplicationStatus.values:
            raise _invalid(_("Unknown status."), "status")
        qs = qs.filter(status=status)
    if group is not None:
        qs = qs.filter(group=group)
    return qs.order_by("-priority", "submitted_at", "id")


def approval_queue(user):
    require(user, APPROVE)
    return applications(user, status=ApplicationStatus.SUBMITTED)


def get_application(user, number: str) -> VpmnApplication:
    require(user, VIEW)
    application = (
        VpmnApplication.objects.restrict(user)
        .select_related("group__region", "requested_plan", "created_by", "decided_by")
        .filter(number=number)
        .first()
    )
    if application is None:
        raise NotFound(_("No VPMN application with this number."))
    return application


def network_of(user, group: GroupCustomer) -> VpmnNetwork:
    require(user, VIEW)
    network = VpmnNetwork.objects.restrict(user).filter(group=group).select_related("group").first()
    if network is None:
        raise NotFound(_("This group has no VPMN."))
    return network


def members(network: VpmnNetwork, include_ended: bool = False):
    qs = network.members.select_related("subscriber").order_by("short_number", "id")
    return qs if include_ended else qs.in_force(today())


def agreements(network: VpmnNetwork):
    return network.agreements.select_related("discount_plan", "renewal_of").order_by("-starts_on", "-id")


def agreement_in_force(network: VpmnNetwork, on: dt.date | None = None) -> VpmnAgreement | None:
    on = on or today()
    return (
        network.agreements.filter(
            status__in=(AgreementStatus.ACTIVE, AgreementStatus.RENEWING), starts_on__lte=on, ends_on__gte=on
        )
        .select_related("discount_plan")
        .order_by("-starts_on")
        .first()
    )


def discount_plans():
    return VpmnDiscountPlan.objects.filter(active=True).order_by("code")


def gotone_members(group: GroupCustomer) -> int:
    """Open members of the group on GoTone (全球通), on-net and active: the seed's first condition."""
    return GroupMember.objects.filter(
        group=group,
        left_on__isnull=True,
        subscriber__brand=Brand.GOTONE,
        subscriber__store=ProfileStore.ON_NET,
        subscriber__status=SubscriberStatus.ACTIVE,
    ).count()


# ---------------------------------------------------------------------------------------------------------
# short numbers
# ---------------------------------------------------------------------------------------------------------


def _digits_bounds() -> tuple[int, int]:
    low, high = parameters.get("groups.short_number_digits")
    return int(low), int(high)


def check_short_number(value: str, field: str) -> str:
    """A short number: digits only, first digit not 0, as many digits as `groups.short_number_digits` allows."""
    value = (value or "").strip()
    low, high = _digits_bounds()
    if not value.isdigit() or not value.isascii():
        raise _invalid(_("A short number is made of digits only."), field)
    if value[0] == "0":
        raise _invalid(_("A short number does not start with 0."), field)
    if not low <= len(value) <= high:
        raise _invalid(
            _("A short number has %(low)s to %(high)s digits.") % {"low": low, "high": high},
            field,
        )
    return value


def check_range(first: str, last: str) -> tuple[str, str]:
    first = check_short_number(first, "short_number_from")
    last = check_short_number(last, "short_number_to")
    if len(first) != len(last):
        raise _invalid(_("Both ends of the short-number range have the same number of digits."), "short_number_to")
    if int(first) > int(last):
        raise _invalid(_("The range ends at or after its first number."), "short_number_to")
    return first, last


def _in_range(network: VpmnNetwork, value: str) -> bool:
    first, last = network.short_number_from, network.short_number_to
    return len(value) == len(first) and int(first) <= int(value) <= int(last)


def next_free_short_number(network: VpmnNetwork) -> str | None:
    used = set(network.members.in_force(today()).values_list("short_number", flat=True))
    width = len(network.short_number_from)
    for n in range(int(network.short_number_from), int(network.short_number_to) + 1):
        candidate = str(n).zfill(width)
        if candidate not in used:
            return candidate
    return None


# ---------------------------------------------------------------------------------------------------------
# applications
# ---------------------------------------------------------------------------------------------------------


def _stale(obj, version) -> DomainError | None:
    if version in (None, ""):
        return None
    try:
        version = int(version)
    except (TypeError, ValueError):
        return _invalid(_("Give a whole number."), "version")
    if version != obj.version:
        return _conflict(
            _("Someone else changed this meanwhile (version %(current)s, yours %(yours)s); reload and try again.")
            % {"current": obj.version, "yours": version},
            "version",
            current_version=obj.version,
        )
    return None


def _plan(code, field: str = "requested_plan") -> VpmnDiscountPlan:
    code = code.code if isinstance(code, VpmnDiscountPlan) else code
    plan = VpmnDiscountPlan.objects.filter(code=code or "", active=True).first()
    if plan is None:
        raise _invalid(_("Choose one of the VPMN discount plans."), field)
    return plan


def _clean_form(data: dict, application: VpmnApplication | None = None) -> dict:
    """Check the form fields given (types, lengths, formats); completeness is checked at submission."""
    unknown = sorted(set(data) - set(FORM_FIELDS))
    if unknown:
        raise _invalid(_("Unknown field %(field)s.") % {"field": unknown[0]}, unknown[0])
    clean: dict = {}
    for name, value in data.items():
        if value is None:
            continue
        if name in ("applicant_name", "applicant_msisdn", "short_number_from", "short_number_to", "note"):
            value = str(value).strip()
        if name == "applicant_name" and len(value) > 60:
            raise _invalid(_("At most 60 characters."), name)
        if name == "note" and len(value) > 2000:
            raise _invalid(_("At most 2000 characters."), name)
        if name == "applicant_msisdn" and value and not _MSISDN.match(value):
            raise _invalid(_("A mobile number has 11 digits and starts with 1."), name)
        if name in ("short_number_from", "short_number_to") and value:
            check_short_number(value, name)
        if name == "requested_plan":
            value = _plan(value)
        if name in ("expected_members", "term_months"):
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise _invalid(_("Give a whole number."), name) from None
            if name == "expected_members" and not 0 <= value <= 100000:
                raise _invalid(_("Give a number between 0 and 100000."), name)
            if name == "term_months" and not 1 <= value <= 60:
                raise _invalid(_("A term is 1 to 60 months."), name)
        clean[name] = value
    return clean


def _refuse_open_application_or_vpmn(group: GroupCustomer, exclude_pk=None) -> None:
    if VpmnNetwork.objects.filter(group=group).exists():
        raise _conflict(_("This group already has a VPMN."), "group")
    others = VpmnApplication.objects.filter(group=group, status__in=OPEN_APPLICATION)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    other = others.first()
    if other is not None:
        raise _conflict(
            _("This group already has an open VPMN application (%(number)s).") % {"number": other.number},
            "group",
            application=other.number,
        )


@transaction.atomic
def create_application(user, group: GroupCustomer, data: dict) -> VpmnApplication:
    """A draft application for a group of the caller's scope (the form may be incomplete until submission)."""
    require(user, APPLY)
    if group.status != GroupStatus.ACTIVE:
        raise _conflict(_("The group is not active."), "group")
    clean = _clean_form(data)
    if "requested_plan" not in clean:
        raise _invalid(_("Choose one of the VPMN discount plans."), "requested_plan")
    GroupCustomer.objects.select_for_update().filter(pk=group.pk).first()  # one open application at a time
    _refuse_open_application_or_vpmn(group)
    application = VpmnApplication.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        group=group,
        priority=PRIORITY.get(group.nature, 0),
        created_by=user,
        **{"expected_members": 0, **clean},
    )
    application.number = f"VA{today():%Y%m%d}{application.pk:06d}"
    application.save(update_fields=["number"])
    record_change(user, application, "create", _changes(clean), region_id=group.region_id)
    return application


def _changes(clean: dict) -> dict:
    return {k: (v.code if isinstance(v, VpmnDiscountPlan) else v) for k, v in clean.items()}


def _lock_application(user, number: str, version) -> VpmnApplication:
    visible = get_application(user, number)
    application = VpmnApplication.objects.select_for_update(of=("self",)).select_related("group").get(pk=visible.pk)
    stale = _stale(application, version)
    if stale:
        raise stale
    return application


def _save_application(user, application: VpmnApplication, action: str, changes: dict) -> VpmnApplication:
    application.version += 1
    application.save()
    record_change(user, application, action, changes, region_id=application.group.region_id)
    return application


@transaction.atomic
def update_application(user, number: str, data: dict, *, version=None) -> VpmnApplication:
    """Change a draft's form."""
    require(user, EDIT_APPLICATION)
    application = _lock_application(user, number, version)
    if application.status != ApplicationStatus.DRAFT:
        raise _conflict(_("Only a draft can be changed."), "status")
    clean = _clean_form(data)
    for name, value in clean.items():
        setattr(application, name, value)
    return _save_application(user, application, "update", _changes(clean))


def _require_complete(application: VpmnApplication) -> None:
    required = {
        "applicant_name": application.applicant_name,
        "applicant_msisdn": application.applicant_msisdn,
        "expected_members": application.expected_members,
        "short_number_from": application.short_number_from,
        "short_number_to": application.short_number_to,
    }
    for name, value in required.items():
        if not value:
            raise _invalid(_("The application form needs this field before it is submitted."), name, reason="missing")
    if not _MSISDN.match(application.applicant_msisdn):
        raise _invalid(_("A mobile number has 11 digits and starts with 1."), "applicant_msisdn")


@transaction.atomic
def submit_application(user, number: str, *, version=None) -> VpmnApplication:
    """Submit a draft for approval once the seed's conditions hold: enough GoTone members, the form complete,
    a valid short-number range, and no other open application or VPMN for the group."""
    require(user, EDIT_APPLICATION)
    application = _lock_application(user, number, version)
    if application.status != ApplicationStatus.DRAFT:
        raise _conflict(_("Only a draft can be submitted."), "status")
    group = application.group
    if group.status != GroupStatus.ACTIVE:
        raise _conflict(_("The group is not active."), "group")
    _require_complete(application)
    check_range(application.short_number_from, application.short_number_to)
    needed = parameters.get("groups.vpmn_min_gotone_members")
    count = gotone_members(group)
    if count < needed:
        raise _invalid(
            _("A VPMN needs at least %(needed)s GoTone members on the network; this group has %(count)s.")
            % {"needed": needed, "count": count},
            "group",
            reason="too_few_gotone_members",
            gotone_members=count,
            needed=needed,
        )
    _refuse_open_application_or_vpmn(group, exclude_pk=application.pk)
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.gotone_members = count
    application.priority = PRIORITY.get(group.nature, 0)
    return _save_application(user, application, "submit", {"gotone_members": count, "priority": application.priority})


def _require_decider(user, application: VpmnApplication) -> None:
    require(user, APPROVE)
    if application.created_by_id == user.pk:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _("A second person decides: you created this application."),
            reason="own_application",
        )
    if application.status != ApplicationStatus.SUBMITTED:
        raise _conflict(_("Only a submitted application can be decided."), "status")


@transaction.atomic
def approve_application(
    user, number: str, *, version=None, starts_on=None, note: str = ""
) -> tuple[VpmnApplication, VpmnNetwork, VpmnAgreement]:
    """Approve: the group's VPMN and its first agreement (the application's term from `starts_on`, default
    today) are created with the decision, in one transaction."""
    application = _lock_application(user, number, version)
    _require_decider(user, application)
    starts_on = _parse_date(starts_on, "starts_on") or today()
    note = (note or "").strip()
    if len(note) > 300:
        raise _invalid(_("At most 300 characters."), "note")
    first, last = check_range(application.short_number_from, application.short_number_to)
    now = timezone.now()
    try:
        with transaction.atomic():
            network = VpmnNetwork.objects.create(
                group=application.group, short_number_from=first, short_number_to=last
            )
            agreement = _new_agreement(
                user,
                network,
                application.requested_plan,
                starts_on,
                term_end(starts_on, application.term_months),
                application=application,
                signed_at=now,
            )
    except IntegrityError:
        raise _conflict(_("This group already has a VPMN."), "group") from None
    application.status = ApplicationStatus.APPROVED
    application.decided_by = user
    application.decided_at = now
    application.decision_note = note
    _save_application(user, application, "approve", {"network": network.pk, "agreement": agreement.number})
    record_change(
        user,
        network,
        "create",
        {"application": application.number, "range": [first, last]},
        region_id=application.group.region_id,
    )
    return application, network, agreement


@transaction.atomic
def reject_application(user, number: str, *, version=None, reason: str = "") -> VpmnApplication:
    application = _lock_application(user, number, version)
    _require_decider(user, application)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(_("Give the reason for the rejection."), "reason")
    if len(reason) > 300:
        raise _invalid(_("At most 300 characters."), "reason")
    application.status = ApplicationStatus.REJECTED
    application.decided_by = user
    application.decided_at = timezone.now()
    application.decision_note = reason
    return _save_application(user, application, "reject", {"reason": reason})


# ---------------------------------------------------------------------------------------------------------
# agreements
# ---------------------------------------------------------------------------------------------------------


def _new_agreement(
    user, network, plan, starts_on, ends_on, *, application=None, renewal_of=None, signed_at=None
) -> VpmnAgreement:
    if ends_on <= starts_on:
        raise _invalid(_("An agreement ends after it starts."), "ends_on", reason="ends_before_start")
    overlapping = network.agreements.filter(
        status__in=(AgreementStatus.ACTIVE, AgreementStatus.RENEWING), starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if renewal_of is not None:
        overlapping = overlapping.exclude(pk=renewal_of.pk)
    clash = overlapping.first()
    if clash is not None:
        raise _conflict(
            _("The agreement %(number)s is in force in this period.") % {"number": clash.number},
            "starts_on",
            agreement=clash.number,
        )
    agreement = VpmnAgreement.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        network=network,
        application=application,
        renewal_of=renewal_of,
        discount_plan=plan,
        starts_on=starts_on,
        ends_on=ends_on,
        signed_at=signed_at,
        archived_at=signed_at if renewal_of is not None else None,
        created_by=user,
    )
    agreement.number = f"VX{starts_on:%Y%m%d}{agreement.pk:06d}"
    agreement.save(update_fields=["number"])
    record_change(
        user,
        agreement,
        "create",
        {
            "plan": plan.code,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "renewal_of": renewal_of.number if renewal_of else None,
        },
        region_id=network.group.region_id,
    )
    return agreement


@transaction.atomic
def create_agreement(
    user, group: GroupCustomer, *, plan, starts_on, ends_on=None, term_months=None
) -> VpmnAgreement:
    """A new agreement of the group's VPMN: an end date after the start, or a term in months."""
    require(user, MANAGE)
    network = network_of(user, group)
    plan = _plan(plan, "discount_plan")
    starts_on = _parse_date(starts_on, "starts_on")
    if starts_on is None:
        raise _invalid(_("Give the date the agreement starts."), "starts_on")
    ends_on = _parse_date(ends_on, "ends_on")
    if ends_on is None:
        if term_months in (None, ""):
            raise _invalid(_("Give the end date or the term."), "ends_on")
        try:
            months = int(term_months)
        except (TypeError, ValueError):
            raise _invalid(_("Give a whole number."), "term_months") from None
        if not 1 <= months <= 60:
            raise _invalid(_("A term is 1 to 60 months."), "term_months")
        ends_on = term_end(starts_on, months)
    VpmnNetwork.objects.select_for_update().filter(pk=network.pk).first()
    try:
        with transaction.atomic():
            return _new_agreement(user, network, plan, starts_on, ends_on, signed_at=timezone.now())
    except IntegrityError:
        raise _invalid(_("An agreement ends after it starts."), "ends_on", reason="ends_before_start") from None


def get_agreement(user, number: str) -> VpmnAgreement:
    require(user, VIEW)
    agreement = (
        VpmnAgreement.objects.restrict(user)
        .select_related("network__group", "discount_plan")
        .filter(number=number)
        .first()
    )
    if agreement is None:
        raise NotFound(_("No VPMN agreement with this number."))
    return agreement


@transaction.atomic
def terminate_agreement(user, number: str, *, reason: str, group: GroupCustomer | None = None) -> VpmnAgreement:
    """End an agreement in force; given `group` (a page of that group's VPMN), another group's agreement answers
    like an unknown one."""
    require(user, MANAGE)
    visible = get_agreement(user, number)
    if group is not None and visible.network.group_id != group.pk:
        raise NotFound(_("No VPMN agreement with this number."))
    locked = VpmnAgreement.objects.select_for_update(of=("self",)).select_related("network__group")
    agreement = locked.get(pk=visible.pk)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(_("Give the reason for the termination."), "reason")
    if len(reason) > 300:
        raise _invalid(_("At most 300 characters."), "reason")
    if agreement.status not in (AgreementStatus.ACTIVE, AgreementStatus.RENEWING):
        raise _conflict(_("Only an agreement in force can be terminated."), "status")
    before = agreement.status
    agreement.status = AgreementStatus.TERMINATED
    agreement.save(update_fields=["status"])
    record_change(
        user,
        agreement,
        "terminate",
        {"status": [before, agreement.status], "reason": reason},
        region_id=agreement.network.group.region_id,
    )
    return agreement


# ---------------------------------------------------------------------------------------------------------
# members
# ---------------------------------------------------------------------------------------------------------


def _lock_network(user, group: GroupCustomer) -> VpmnNetwork:
    require(user, MANAGE)
    network = network_of(user, group)
    network = VpmnNetwork.objects.select_for_update(of=("self",)).select_related("group").get(pk=network.pk)
    if not network.active:
        raise _conflict(_("This VPMN is closed."), "group")
    return network


def _group_subscriber(group: GroupCustomer, msisdn: str):
    msisdn = (msisdn or "").strip()
    if not _MSISDN.match(msisdn):
        raise _invalid(_("A mobile number has 11 digits and starts with 1."), "msisdn")
    membership = (
        GroupMember.objects.filter(
            group=group, left_on__isnull=True, subscriber__msisdn=msisdn, subscriber__store=ProfileStore.ON_NET
        )
        .select_related("subscriber")
        .first()
    )
    if membership is None:
        raise _invalid(_("This number is not a member of the group; add it to the group first."), "msisdn")
    return membership.subscriber


def _refuse_other_vpmn(user, network: VpmnNetwork, subscriber) -> None:
    current = membership_of(subscriber)
    if current is None:
        return
    if current.network_id == network.pk:
        raise _conflict(
            _("This subscriber is already in this VPMN (short number %(short)s).") % {"short": current.short_number},
            "msisdn",
            reason="already_member",
        )
    other = current.network.group
    if may_see_region(user, other.region_id):
        message = _("This subscriber is in the VPMN of another group (%(code)s); remove them there first.") % {
            "code": other.code
        }
    else:
        message = _("This subscriber is in the VPMN of another group; that group must remove them first.")
    raise _conflict(message, "msisdn", reason="in_other_vpmn")


def _check_member_short_number(network: VpmnNetwork, short_number: str, exclude_pk=None) -> str:
    short_number = check_short_number(short_number, "short_number")
    if not _in_range(network, short_number):
        raise _invalid(
            _("The short number lies outside this VPMN's range %(first)s–%(last)s.")
            % {"first": network.short_number_from, "last": network.short_number_to},
            "short_number",
            reason="out_of_range",
        )
    taken = network.members.filter(short_number=short_number).in_force(today())
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _conflict(
            _("The short number %(short)s is already used in this VPMN.") % {"short": short_number},
            "short_number",
            reason="duplicate_short_number",
        )
    return short_number


def _member_race() -> DomainError:
    return _conflict(
        _("The short number or the subscriber was taken meanwhile; reload and try again."), "short_number"
    )


@transaction.atomic
def add_member(user, group: GroupCustomer, *, msisdn: str, short_number=None, effective_from=None) -> VpmnMember:
    """Add a member of the group to its VPMN with a short number in the range (the next free one if none is
    given), in force from `effective_from` (default today)."""
    network = _lock_network(user, group)
    subscriber = _group_subscriber(group, msisdn)
    _refuse_other_vpmn(user, network, subscriber)
    if short_number not in (None, ""):
        short_number = _check_member_short_number(network, str(short_number))
    else:
        short_number = next_free_short_number(network)
        if short_number is None:
            raise _conflict(_("Every short number of this VPMN's range is in use."), "short_number", reason="full")
    effective_from = _parse_date(effective_from, "effective_from") or today()
    try:
        with transaction.atomic():
            member = VpmnMember.objects.create(
                network=network,
                subscriber=subscriber,
                short_number=short_number,
                effective_from=effective_from,
                added_by=user,
            )
    except IntegrityError:
        raise _member_race() from None
    record_change(
        user,
        member,
        "add",
        {"subscriber": subscriber.pk, "short_number": short_number, "effective_from": effective_from.isoformat()},
        region_id=group.region_id,
    )
    return member


def _open_member(network: VpmnNetwork, member_id) -> VpmnMember:
    member = (
        VpmnMember.objects.select_for_update(of=("self",))
        .filter(network=network, pk=member_id)
        .in_force(today())
        .select_related("subscriber")
        .first()
    )
    if member is None:
        raise NotFound(_("No member in force with this id in this VPMN."))
    return member


@transaction.atomic
def remove_member(user, group: GroupCustomer, member_id: int, *, effective_to=None) -> VpmnMember:
    network = _lock_network(user, group)
    member = _open_member(network, member_id)
    effective_to = _parse_date(effective_to, "effective_to") or today()
    if effective_to < member.effective_from:
        raise _invalid(_("A member leaves on or after the day they joined."), "effective_to")
    member.effective_to = effective_to
    member.removed_by = user
    member.save(update_fields=["effective_to", "removed_by"])
    record_change(
        user, member, "remove", {"effective_to": effective_to.isoformat()}, region_id=group.region_id
    )
    return member


@transaction.atomic
def change_short_number(user, group: GroupCustomer, member_id: int, *, short_number: str) -> VpmnMember:
    """Give a member another short number: the old row ends today and a new one starts today (history kept)."""
    network = _lock_network(user, group)
    member = _open_member(network, member_id)
    new = _check_member_short_number(network, str(short_number or ""), exclude_pk=member.pk)
    if new == member.short_number:
        raise _invalid(_("This is already the member's short number."), "short_number")
    day = max(today(), member.effective_from)
    old, leaves = member.short_number, member.effective_to  # a removal dated ahead goes with the new number
    try:
        with transaction.atomic():
            member.effective_to = day
            member.removed_by = user
            member.save(update_fields=["effective_to", "removed_by"])
            changed = VpmnMember.objects.create(
                network=network,
                subscriber=member.subscriber,
                short_number=new,
                effective_from=day,
                effective_to=leaves,
                added_by=user,
            )
    except IntegrityError:
        raise _member_race() from None
    record_change(user, changed, "change_short_number", {"short_number": [old, new]}, region_id=group.region_id)
    return changed


def membership_of(subscriber) -> VpmnMember | None:
    """The subscriber's VPMN membership in force (the call centre's 360 panel, VAS-3)."""
    return (
        VpmnMember.objects.filter(subscriber=subscriber).in_force(today()).select_related("network__group").first()
    )


# ---------------------------------------------------------------------------------------------------------
# presenting (API and pages)
# ---------------------------------------------------------------------------------------------------------


def _user(u) -> str | None:
    return u.username if u is not None else None


def present_application(a: VpmnApplication) -> dict:
    return {
        "number": a.number,
        "group": a.group.code,
        "group_name": a.group.name,
        "nature": a.group.nature,
        "status": a.status,
        "status_label": a.get_status_display(),
        "priority": a.priority,
        "applicant_name": a.applicant_name,
        "applicant_msisdn": a.applicant_msisdn,
        "requested_plan": a.requested_plan.code,
        "expected_members": a.expected_members,
        "short_number_from": a.short_number_from,
        "short_number_to": a.short_number_to,
        "term_months": a.term_months,
        "note": a.note,
        "gotone_members": a.gotone_members,
        "created_by": _user(a.created_by),
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
        "decided_by": _user(a.decided_by),
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "decision_note": a.decision_note,
        "version": a.version,
    }


def mask_application(a: dict, masker: Masker) -> dict:
    return {**a, "applicant_msisdn": masker.msisdn(a["applicant_msisdn"]) if a["applicant_msisdn"] else ""}


def present_agreement(a: VpmnAgreement) -> dict:
    return {
        "number": a.number,
        "status": a.status,
        "status_label": a.get_status_display(),
        "discount_plan": a.discount_plan.code,
        "discount_plan_name": a.discount_plan.name,
        "starts_on": a.starts_on.isoformat(),
        "ends_on": a.ends_on.isoformat(),
        "renewal_of": a.renewal_of.number if a.renewal_of_id else None,
        "application": a.application.number if a.application_id else None,
    }


def present_member(m: VpmnMember, masker: Masker) -> dict:
    return {
        "id": m.pk,
        "short_number": m.short_number,
        "msisdn": masker.msisdn(m.subscriber.msisdn),
        "name": m.subscriber.name,
        "effective_from": m.effective_from.isoformat(),
        "effective_to": m.effective_to.isoformat() if m.effective_to else None,
    }


def present_network(n: VpmnNetwork) -> dict:
    return {
        "group": n.group.code,
        "group_name": n.group.name,
        "short_number_from": n.short_number_from,
        "short_number_to": n.short_number_to,
        "active": n.active,
        "members": n.members.in_force(today()).count(),
        "created_at": n.created_at.isoformat(),
    }


SEARCH_MAX = 60


def search_filter(q: str):
    q = (q or "").strip()
    if len(q) > SEARCH_MAX:  # a long LIKE pattern is refused by SQLite ("pattern too complex")
        raise _invalid(_("At most %(n)d characters.") % {"n": SEARCH_MAX}, "q")
    q = q.replace("\x00", "")  # PostgreSQL text holds no NUL
    return Q(group__code__iexact=q) | Q(group__name__icontains=q) | Q(number__iexact=q) if q else Q()
