"""VPMN renewal (GRP-4, seed 3.5): a work order of the `vpmn-renewal` workflow per agreement about to end.

The work-order engine runs the flow (steps, roles, time limits, timeline); this module only
- starts one renewal per agreement in force ending within `groups.renewal_days_ahead` days (the worker job;
  `VpmnRenewal` is one-to-one with the agreement, so a second pass starts nothing), handled in the group's
  region by the group's customer manager;
- passes the steps the group's grade skips (`groups.renewal_skip_steps`): the system takes the step's
  transition to the next step of the chain, with the engine's own moves, at the start and whenever the order
  enters such a step; each pass is on the order's timeline and the codes are kept in `skipped_steps`;
- checks the offer (the discount plan chosen at "new offer") when it is given;
- when the order reaches "signed and archived", creates the following agreement (next term, the plan chosen)
  and marks the old one renewed;
- offers small groups (under `groups.min_members` members) a merge with other small groups of the same
  industry in the same city, and merges a group into another on request.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.cache import TTLCache
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.models import RegionLevel
from kefu.core.services import record_change, require
from kefu.customers.models import Channel
from kefu.groups import vpmn
from kefu.groups.models import (
    AgreementStatus,
    GroupCustomer,
    GroupMember,
    GroupStatus,
    VpmnAgreement,
    VpmnDiscountPlan,
    VpmnMember,
    VpmnNetwork,
    VpmnRenewal,
)
from kefu.groups.seed import RENEWAL_CATEGORY, RENEWAL_CHAIN

logger = logging.getLogger("kefu.groups.renewal")

VIEW = vpmn.VIEW
RUN = "groups.run_group_month"  # administrators run the group jobs by hand
MERGE = "groups.change_groupcustomer"
FINAL_STEP = RENEWAL_CHAIN[-1]


# ---------------------------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------------------------


def renewals(user, group: GroupCustomer | None = None):
    require(user, VIEW)
    qs = VpmnRenewal.objects.restrict(user).select_related(
        "agreement__network__group", "agreement__discount_plan", "work_order", "new_agreement"
    )
    if group is not None:
        qs = qs.filter(agreement__network__group=group)
    return qs.order_by("-started_at", "-id")


def present_renewal(r: VpmnRenewal) -> dict:
    order = r.work_order
    return {
        "agreement": r.agreement.number,
        "group": r.agreement.network.group.code,
        "group_name": r.agreement.network.group.name,
        "ends_on": r.agreement.ends_on.isoformat(),
        "work_order": order.number,
        "step": order.step,
        "status": order.status,
        "started_at": r.started_at.isoformat(),
        "skipped_steps": list(r.skipped_steps),
        "merge_candidates": list(order.data.get("merge_candidates", [])),
        "new_agreement": r.new_agreement.number if r.new_agreement_id else None,
    }


def skip_steps_for(grade: str) -> list[str]:
    """The steps of the chain a grade skips (never the first decision's final step)."""
    configured = parameters.get("groups.renewal_skip_steps").get(grade, []) or []
    return [code for code in RENEWAL_CHAIN[:-1] if code in configured]


# ---------------------------------------------------------------------------------------------------------
# starting
# ---------------------------------------------------------------------------------------------------------


def open_members(group: GroupCustomer) -> int:
    return GroupMember.objects.filter(group=group, left_on__isnull=True).count()


def _city(region):
    return region.ancestor_at(RegionLevel.CITY) or region


def merge_candidates(group: GroupCustomer, user=None) -> list[GroupCustomer]:
    """Other small active groups (under `groups.min_members` members) of the same industry in the same city."""
    city = _city(group.region)
    small = parameters.get("groups.min_members")
    qs = GroupCustomer.objects.active() if user is None else GroupCustomer.objects.restrict(user).active()
    return list(
        qs.filter(industry=group.industry, region__path__startswith=city.path)
        .exclude(pk=group.pk)
        .annotate(open_members=Count("members", filter=Q(members__left_on__isnull=True)))
        .filter(open_members__lt=small)
        .select_related("region")
        .order_by("open_members", "code")
    )


def due_agreements(now=None):
    day = timezone.localdate(now or timezone.now())
    ahead = day + dt.timedelta(days=parameters.get("groups.renewal_days_ahead"))
    return (
        VpmnAgreement.objects.filter(
            status=AgreementStatus.ACTIVE,
            starts_on__lte=day,
            ends_on__gte=day,
            ends_on__lte=ahead,
            renewal__isnull=True,
            network__active=True,
            network__group__status=GroupStatus.ACTIVE,
            # a group without a customer manager waits for one (checked again on every pass, without a log line)
            network__group__customer_manager__is_active=True,
        )
        .select_related("network__group__region", "network__group__customer_manager", "discount_plan")
        .order_by("ends_on", "id")
    )


def start_renewal(agreement: VpmnAgreement, now=None) -> VpmnRenewal | None:
    """Start the renewal of one agreement; None when it is not due or already started, or the group has no
    customer manager to handle it."""
    from kefu.workorders import services as orders

    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            VpmnAgreement.objects.select_for_update(of=("self",))
            .select_related("network__group__region", "network__group__customer_manager", "discount_plan")
            .get(pk=agreement.pk)
        )
        if locked.status != AgreementStatus.ACTIVE or VpmnRenewal.objects.filter(agreement=locked).exists():
            return None
        group = locked.network.group
        manager = group.customer_manager
        if manager is None or not manager.is_active:
            logger.warning("VPMN renewal of %s not started: group %s has no customer manager", locked, group.code)
            return None
        skipped = skip_steps_for(group.grade)
        members = open_members(group)
        candidates = merge_candidates(group) if members < parameters.get("groups.min_members") else []
        description = _("The VPMN agreement %(number)s of %(group)s ends on %(ends)s.") % {
            "number": locked.number,
            "group": f"{group.code} {group.name}",
            "ends": locked.ends_on.isoformat(),
        }
        if members < parameters.get("groups.min_members"):
            description += " " + _(
                "The group has %(members)s members, fewer than %(needed)s: offer a merge with a group of the same "
                "industry (%(candidates)s)."
            ) % {
                "members": members,
                "needed": parameters.get("groups.min_members"),
                "candidates": ", ".join(c.code for c in candidates) or "-",
            }
        order = orders.create(
            manager,
            category=RENEWAL_CATEGORY,
            title=(_("VPMN renewal: %(group)s") % {"group": group.name})[:200],
            channel=Channel.MANAGER,
            description=description,
            handling_region=group.region.code,
            data={
                "group": group.code,
                "agreement": locked.number,
                "current_plan": locked.discount_plan.code,
                "members": members,
                "merge_candidates": [c.code for c in candidates],
                "started_by": "system",
            },
        )
        renewal = VpmnRenewal.objects.create(agreement=locked, work_order=order, started_at=now, skipped_steps=skipped)
        locked.status = AgreementStatus.RENEWING
        locked.save(update_fields=["status"])
        record_change(
            None,
            locked,
            "renewal_started",
            {"work_order": order.number, "skipped_steps": skipped, "merge_candidates": [c.code for c in candidates]},
            region_id=group.region_id,
        )
        _pass_skipped(order, renewal)
        return renewal


def start_due_renewals(now=None) -> int:
    """Start a renewal for every agreement due (idempotent); returns how many started."""
    started = 0
    for agreement in list(due_agreements(now)[:500]):
        try:
            if start_renewal(agreement, now) is not None:
                started += 1
        except DomainError as exc:  # one group's problem must not stop the others
            logger.warning("VPMN renewal of %s not started: %s", agreement, exc.message)
        except Exception:
            logger.exception("VPMN renewal of %s failed", agreement)
    return started


def start_due(user, now=None) -> int:
    """The administrators' button: run the renewal job now."""
    require(user, RUN)
    return start_due_renewals(now)


def expire_lapsed(now=None) -> int:
    """Agreements past their end date are expired (a renewal still running goes on and signs the next one)."""
    day = timezone.localdate(now or timezone.now())
    expired = 0
    with transaction.atomic():
        lapsed = (
            VpmnAgreement.objects.select_for_update(of=("self",))
            .select_related("network__group")
            .filter(status__in=[AgreementStatus.ACTIVE, AgreementStatus.RENEWING], ends_on__lt=day)
            .order_by("id")[:500]
        )
        for agreement in lapsed:
            before = agreement.status
            agreement.status = AgreementStatus.EXPIRED
            agreement.save(update_fields=["status"])
            record_change(
                None,
                agreement,
                "expired",
                {"status": [before, AgreementStatus.EXPIRED], "ends_on": agreement.ends_on.isoformat()},
                region_id=agreement.network.group.region_id,
            )
            expired += 1
    return expired


def job(now=None) -> int:
    return start_due_renewals(now) + expire_lapsed(now)


# ---------------------------------------------------------------------------------------------------------
# following the order
# ---------------------------------------------------------------------------------------------------------


def _forward(definition, step_code: str):
    index = RENEWAL_CHAIN.index(step_code)
    target = RENEWAL_CHAIN[index + 1]
    return next((t for t in definition.transitions_from(step_code) if t.target == target), None)


def _pass_skipped(order, renewal: VpmnRenewal) -> None:
    """Take the system's transition out of every skipped step the order stands at (the engine's moves)."""
    from kefu.workorders import services as orders
    from kefu.workorders.models import Status

    order._vpmn_following = True
    try:
        while order.status == Status.OPEN and order.step in renewal.skipped_steps and order.step in RENEWAL_CHAIN:
            definition = order.definition()
            t = _forward(definition, order.step)
            if t is None:
                return
            orders.system_transition(
                order,
                t.code,
                timezone.now(),
                _("Step skipped for grade %(grade)s groups.") % {"grade": renewal.agreement.network.group.grade},
                skipped=True,
            )
        if order.status == Status.CLOSED and order.step == FINAL_STEP and renewal.new_agreement_id is None:
            complete(order, renewal)
    finally:
        order._vpmn_following = False


def _plan_and_term(order, old: VpmnAgreement) -> tuple[VpmnDiscountPlan, int]:
    data = order.data or {}
    plan = old.discount_plan
    if data.get("plan"):
        plan = VpmnDiscountPlan.objects.filter(code=str(data["plan"]).strip(), active=True).first()
        if plan is None:
            raise DomainError(
                ErrorCode.INVALID,
                _("Choose one of the VPMN discount plans: %(codes)s.")
                % {"codes": ", ".join(vpmn.discount_plans().values_list("code", flat=True))},
                field="fields.plan",
            )
    end = old.ends_on + dt.timedelta(days=1)
    months = max(1, (end.year - old.starts_on.year) * 12 + end.month - old.starts_on.month)
    if data.get("term_months") not in (None, ""):
        try:
            months = int(data["term_months"])
        except (TypeError, ValueError):
            months = 0
        if not 1 <= months <= 60:
            raise DomainError(ErrorCode.INVALID, _("A term is 1 to 60 months."), field="fields.term_months")
    return plan, months


def complete(order, renewal: VpmnRenewal) -> VpmnAgreement:
    """Signed and archived: the following agreement, on the plan of the new offer; the old one renewed."""
    from django.contrib.auth import get_user_model

    locked = VpmnAgreement.objects.select_for_update(of=("self",)).select_related("network__group")
    old = locked.get(pk=renewal.agreement_id)
    plan, months = _plan_and_term(order, old)
    actor_id = order.step_handlers.get("members") or order.handler_id or order.created_by_id
    actor = get_user_model().objects.get(pk=actor_id)
    starts_on = old.ends_on + dt.timedelta(days=1)
    new = vpmn._new_agreement(
        actor,
        old.network,
        plan,
        starts_on,
        vpmn.term_end(starts_on, months),
        renewal_of=old,
        signed_at=timezone.now(),
    )
    old.status = AgreementStatus.RENEWED
    old.save(update_fields=["status"])
    renewal.new_agreement = new
    renewal.save(update_fields=["new_agreement"])
    record_change(
        actor,
        old,
        "renewed",
        {"work_order": order.number, "new_agreement": new.number},
        region_id=old.network.group.region_id,
    )
    return new


_CATEGORY_ID = TTLCache(ttl=60.0)


def _renewal_category_id():
    from kefu.workorders.models import Category

    return _CATEGORY_ID.get_or_compute(
        "id", lambda: Category.objects.filter(code=RENEWAL_CATEGORY).values_list("id", flat=True).first()
    )


def order_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    """Every saved renewal order: check the offer, pass skipped steps, complete at "signed and archived"."""
    from kefu.workorders.models import Status

    if created or raw or getattr(instance, "_vpmn_following", False):
        return
    if instance.category_id is None or instance.category_id != _renewal_category_id():
        return
    renewal = (
        VpmnRenewal.objects.select_related("agreement__network__group").filter(work_order_id=instance.pk).first()
    )
    if renewal is None:
        return
    if instance.status == Status.WITHDRAWN:
        _withdrawn(renewal)
        return
    if (instance.data or {}).get("plan") or (instance.data or {}).get("term_months"):
        _plan_and_term(instance, renewal.agreement)  # refuses a bad offer with the transition that gives it
    _pass_skipped(instance, renewal)


def _withdrawn(renewal: VpmnRenewal) -> None:
    """A withdrawn renewal order puts its agreement back in force (it is not started again)."""
    agreement = renewal.agreement
    if agreement.status == AgreementStatus.RENEWING:
        agreement.status = AgreementStatus.ACTIVE
        agreement.save(update_fields=["status"])
        record_change(
            None,
            agreement,
            "renewal_withdrawn",
            {"work_order": renewal.work_order_id, "status": [AgreementStatus.RENEWING, AgreementStatus.ACTIVE]},
            region_id=agreement.network.group.region_id,
        )


def connect() -> None:
    from kefu.workorders.models import WorkOrder

    post_save.connect(order_saved, sender=WorkOrder, dispatch_uid="kefu.groups.renewal.order_saved")


# ---------------------------------------------------------------------------------------------------------
# merging small groups
# ---------------------------------------------------------------------------------------------------------


def _scoped_group(user, code: str, field: str) -> GroupCustomer:
    known = isinstance(code, str) and code and "\x00" not in code  # PostgreSQL text holds no NUL
    group = GroupCustomer.objects.restrict(user).select_related("region").filter(code=code).first() if known else None
    if group is None:
        code = ErrorCode.NOT_FOUND if field == "group" else ErrorCode.INVALID
        raise DomainError(code, _("No group with this code."), field=field)
    return group


@transaction.atomic
def merge_group(user, source_code: str, target_code: str, reason: str = "") -> GroupCustomer:
    """Merge a small group into another of the same industry in the same city: the members move (one already
    in the target just leaves the small group), VPMN members of the small group join the target's VPMN with
    free short numbers when it has one, the small group's VPMN and agreements end, status merged."""
    require(user, MERGE)
    source = _scoped_group(user, source_code, "group")
    target = _scoped_group(user, target_code, "into")
    if source.pk == target.pk:
        raise DomainError(ErrorCode.INVALID, _("Choose another group to merge into."), field="into")
    locked = GroupCustomer.objects.select_for_update(of=("self",)).select_related("region")
    rows = {g.pk: g for g in locked.filter(pk__in=(source.pk, target.pk)).order_by("pk")}
    source, target = rows[source.pk], rows[target.pk]
    if source.status != GroupStatus.ACTIVE:
        raise DomainError(ErrorCode.CONFLICT, _("The group is not active."), field="group")
    if target.status != GroupStatus.ACTIVE:
        raise DomainError(ErrorCode.INVALID, _("The group to merge into is not active."), field="into")
    small = parameters.get("groups.min_members")
    if open_members(source) >= small:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("Only a group with fewer than %(needed)s members is merged.") % {"needed": small},
            field="group",
        )
    if target.industry != source.industry or _city(target.region).pk != _city(source.region).pk:
        raise DomainError(
            ErrorCode.INVALID, _("Merge into a group of the same industry in the same city."), field="into"
        )
    today = timezone.localdate()
    moved = left = 0
    in_target = set(
        GroupMember.objects.filter(group=target, left_on__isnull=True).values_list("subscriber_id", flat=True)
    )
    for membership in GroupMember.objects.select_for_update().filter(group=source, left_on__isnull=True):
        if membership.subscriber_id in in_target:
            membership.left_on = max(today, membership.joined_on)
            membership.left_reason = _("Merged into %(code)s") % {"code": target.code}
            membership.save(update_fields=["left_on", "left_reason"])
            left += 1
        else:
            membership.group = target
            membership.save(update_fields=["group"])
            moved += 1
    vpmn_moved = _merge_vpmn(user, source, target, today)
    source.status = GroupStatus.MERGED
    source.merged_into = target
    source.member_count = 0
    source.save(update_fields=["status", "merged_into", "member_count", "updated_at"])
    target.member_count = open_members(target)
    target.save(update_fields=["member_count", "updated_at"])
    changes = {"into": target.code, "members_moved": moved, "members_already_in": left, "vpmn_moved": vpmn_moved}
    if reason:
        changes["reason"] = reason[:300]
    record_change(user, source, "merge", changes, region_id=source.region_id)
    record_change(user, target, "merge_in", {"from": source.code, **changes}, region_id=target.region_id)
    return source


def _merge_vpmn(user, source: GroupCustomer, target: GroupCustomer, today) -> int:
    network = VpmnNetwork.objects.select_for_update().filter(group=source).first()
    if network is None:
        return 0
    target_network = VpmnNetwork.objects.select_for_update().filter(group=target, active=True).first()
    moved = 0
    for member in VpmnMember.objects.select_for_update().filter(network=network).in_force(today):
        leaves = member.effective_to  # a removal dated ahead goes with the member to the new VPMN
        member.effective_to = max(today, member.effective_from)
        member.removed_by = user
        member.save(update_fields=["effective_to", "removed_by"])
        if target_network is not None:
            short = vpmn.next_free_short_number(target_network)
            if short is not None:
                VpmnMember.objects.create(
                    network=target_network,
                    subscriber_id=member.subscriber_id,
                    short_number=short,
                    effective_from=member.effective_to,
                    effective_to=leaves,
                    added_by=user,
                )
                moved += 1
    network.agreements.filter(status__in=(AgreementStatus.ACTIVE, AgreementStatus.RENEWING)).update(
        status=AgreementStatus.TERMINATED
    )
    network.active = False
    network.save(update_fields=["active"])
    return moved

