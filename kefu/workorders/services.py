"""Work-order operations (WO-1..7): the only place that changes orders, workflows and timers.

Every change runs in `transaction.atomic`, locks the order row (`select_for_update`), checks the
caller's `version` (optimistic locking: a stale one is a CONFLICT carrying the current state), writes
a timeline event and an audit event, and re-plans the order's timers. Every read goes through
`WorkOrder.objects.restrict(user)`. Nothing is half-written: a refused operation raises DomainError
before the first write or rolls back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from kefu.core import notifications as inbox
from kefu.core import parameters, prepared
from kefu.core.cache import TTLCache
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.models import AuditEvent, Notification, Region, RegionLevel
from kefu.core.scope import may_see_region, scope_region_ids
from kefu.core.services import audit_event, record_access, record_change
from kefu.customers.models import Channel, ProfileStore, Subscriber, VipTier
from kefu.workorders import clock, events, sla
from kefu.workorders.errors import Reason
from kefu.workorders.models import (
    Attachment,
    Category,
    EventKind,
    NumberSequence,
    Priority,
    RootCause,
    Satisfaction,
    Status,
    Timer,
    TimerKind,
    Workflow,
    WorkflowVersion,
    WorkOrder,
    WorkOrderEvent,
)
from kefu.workorders.tmf_mapping import tmf_status
from kefu.workorders.workflow import (
    DefinitionError,
    Problem,
    StepDef,
    TransitionDef,
    WorkflowDef,
    missing_fields,
    parse,
)

VIEW = "workorders.view_workorder"
ADD = "workorders.add_workorder"
MONITOR = "workorders.monitor_workorder"
SUPERVISE = "workorders.supervise_workorder"
PUBLISH = "workorders.publish_workflow"

# Fields a transition stores on the order itself; every other field goes to `order.data`.
_MODEL_FIELDS = ("result", "root_cause", "satisfaction")
_VIP_HIGH = (VipTier.DIAMOND, VipTier.GOLD)


# ---------------------------------------------------------------------------------------------
# who may do what
# ---------------------------------------------------------------------------------------------


_GROUPS = TTLCache(ttl=60.0)


def groups_of(user) -> frozenset[str]:
    """The user's groups (roles, skill groups); a change reaches every process within a minute."""
    cached = getattr(user, "_kefu_groups", None)
    if cached is None:
        if not user.is_authenticated:
            return frozenset()
        cached = _GROUPS.get_or_compute(user.pk, lambda: frozenset(user.groups.values_list("name", flat=True)))
        user._kefu_groups = cached
    return cached


def _require(user, perm: str) -> None:
    if not (user.is_authenticated and user.is_active and user.has_perm(perm)):
        raise DomainError(ErrorCode.FORBIDDEN, _("You do not have permission to do this."))


def _step_region_id(order: WorkOrder, step: StepDef) -> int:
    return order.accepting_region_id if step.region == "accepting" else order.handling_region_id


def may_act(user, order: WorkOrder, step: StepDef) -> bool:
    """The user holds a role (and skill group) of the step and the step's region is in their scope."""
    if step.final or not (user.is_authenticated and user.is_active):
        return False
    if not user.is_superuser:
        groups = groups_of(user)
        if step.roles and not groups.intersection(step.roles):
            return False
        if step.skill_group and step.skill_group not in groups:
            return False
    return may_see_region(user, _step_region_id(order, step))


def require_view(user) -> None:
    _require(user, VIEW)


def _is_monitor(user) -> bool:
    return user.has_perm(MONITOR)


# ---------------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------------


def scoped_orders(user) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.restrict(user)


RELATED = (
    "category",
    "customer__region",
    "accepting_region",
    "handling_region",
    "handler",
    "workflow_version__workflow",
    "created_by",
)


def get_order(user, number: str) -> WorkOrder:
    """An order of the caller's scope by number; unknown and out-of-scope are the same 404."""
    _require(user, VIEW)
    order = scoped_orders(user).select_related(*RELATED).filter(number=number).first()
    if order is None:
        raise NotFound(_("No work order with this number."))
    return order


@dataclass
class Filters:
    status: str | None = None
    step: str | None = None
    category: str | None = None
    handling_region: str | None = None
    handler: str | None = None
    customer_id: int | None = None
    mine: bool = False
    group: bool = False
    overdue: bool = False
    due_soon: bool = False
    q: str = ""


def _subtree(model, code: str, field_name: str) -> list[int]:
    """The ids of a category or region and everything under it (per-process cache, a minute at most behind)."""

    def compute():
        node = model.objects.filter(code=code).values_list("path", flat=True).first()
        if node is None:
            return None
        return list(model.objects.filter(path__startswith=node).values_list("id", flat=True))

    ids = _LIST_REFERENCE.get_or_compute((model._meta.label, "subtree", code), compute)
    if ids is None:
        if model is Category:
            _category(code, active_only=False)  # raises the unknown-category error
        _region(code, field_name)  # raises the unknown-region error
    return ids


def search(user, filters: Filters | None = None) -> QuerySet[WorkOrder]:
    """Orders of the caller's scope matching the filters, soonest step due time first (WO-4 lists, queues).
    Take pages of it with `page` (ids first, then the rows)."""
    _require(user, VIEW)
    f = filters or Filters()
    now = clock.now()
    qs = scoped_orders(user)
    if f.status:
        if f.status not in Status.values:
            raise DomainError(ErrorCode.INVALID, _("Unknown status."), field="status")
        qs = qs.filter(status=f.status)
    if f.step:
        qs = qs.filter(step=f.step)
    # sub-trees as id lists (tiny tables, cached): the order query stays on its own indexes, without joins
    if f.category:
        qs = qs.filter(category__in=_subtree(Category, f.category, "category"))
    if f.handling_region:
        qs = qs.filter(handling_region__in=_subtree(Region, f.handling_region, "handling_region"))
    if f.handler:
        qs = qs.filter(handler__username=f.handler)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.mine:
        qs = qs.filter(handler=user, status__in=(Status.OPEN, Status.SUSPENDED))
    if f.group:
        qs = qs.filter(status=Status.OPEN, queue__in=sorted(groups_of(user)))
        ids = scope_region_ids(user)
        if ids is not None:
            qs = qs.filter(queue_region__in=ids)
    if f.overdue:
        qs = qs.filter(status=Status.OPEN).filter(Q(step_due_at__lt=now) | Q(due_at__lt=now))
    if f.due_soon:
        soon = now + timedelta(hours=parameters.get("workorders.due_soon_hours"))
        qs = qs.filter(status=Status.OPEN).filter(
            Q(step_due_at__gte=now, step_due_at__lte=soon) | Q(due_at__gte=now, due_at__lte=soon)
        )
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(number=term.upper()) | Q(title__icontains=term))
    return qs.order_by(F("step_due_at").asc(nulls_last=True), "id")


# What a list shows of an order (presenters.summary): the customer and the handler are joined; the
# regions, the category and the workflow version — a few small reference tables — come from a
# per-process cache (a minute at most behind an edit), which keeps the page query's plan small.
LIST_RELATED = ("customer", "handler")
_LIST_REFERENCE = TTLCache(ttl=60.0)
_REFERENCE_FIELDS = (
    ("category", Category),
    ("accepting_region", Region),
    ("handling_region", Region),
    ("workflow_version", WorkflowVersion),
)


def _reference_row(model, pk):
    return _LIST_REFERENCE.get_or_compute((model._meta.label, pk), lambda: model.objects.get(pk=pk))


# The columns a list row shows (the long texts and JSON stay in the database until an order is opened).
LIST_FIELDS = (
    *"number title category priority channel vip_tier accepting_region handling_region cross_region step".split(),
    *"queue queue_region status step_due_at due_at first_response_due_at first_responded_at".split(),
    *"escalation_level created_at updated_at closed_at version workflow_version".split(),
    *"customer__name customer__msisdn customer__vip_tier".split(),
    *"handler__username handler__first_name handler__last_name".split(),
)


def orders_by_ids(ids: list[int]) -> list[WorkOrder]:
    """The orders of `ids`, in that order, with what a list shows."""
    rows = WorkOrder.objects.select_related(*LIST_RELATED).only(*LIST_FIELDS).in_bulk(ids)
    orders = [rows[i] for i in ids if i in rows]
    for name, model in _REFERENCE_FIELDS:
        field = WorkOrder._meta.get_field(name)
        for order in orders:
            field.set_cached_value(order, _reference_row(model, getattr(order, field.attname)))
    return orders


def page(qs: QuerySet[WorkOrder], offset: int = 0, limit: int = 20) -> list[WorkOrder]:
    """One page of a `search`: first the ids (a narrow query the queue indexes answer alone, sorted by
    due time), then those orders with their related rows — a deferred join, so that the joins touch the
    20 rows shown and not every order that matches."""
    return orders_by_ids(list(qs.values_list("id", flat=True)[offset : offset + limit]))


def monitor(user) -> dict:
    """Where every active order of the caller's scope is: counts by step, region and handler, with
    overdue and due-soon counts (WO-4)."""
    _require(user, VIEW)
    now = clock.now()
    soon = now + timedelta(hours=parameters.get("workorders.due_soon_hours"))
    overdue = Q(status=Status.OPEN) & (Q(step_due_at__lt=now) | Q(due_at__lt=now))
    due_soon = Q(status=Status.OPEN) & ~overdue & (Q(step_due_at__lte=soon) | Q(due_at__lte=soon))
    rows = (
        scoped_orders(user)
        .active()
        .values("workflow_version__workflow__code", "step", "handling_region__code", "handler__username")
        .annotate(
            total=Count("id"),
            suspended=Count("id", filter=Q(status=Status.SUSPENDED)),
            overdue=Count("id", filter=overdue),
            due_soon=Count("id", filter=due_soon),
        )
    )
    buckets: dict[str, dict] = {"by_step": {}, "by_region": {}, "by_handler": {}}
    totals = {"total": 0, "suspended": 0, "overdue": 0, "due_soon": 0}
    for row in rows:
        keys = {
            "by_step": f"{row['workflow_version__workflow__code']}:{row['step']}",
            "by_region": row["handling_region__code"],
            "by_handler": row["handler__username"] or "",
        }
        for bucket, key in keys.items():
            counts = buckets[bucket].setdefault(key, dict.fromkeys(totals, 0))
            for name in totals:
                counts[name] += row[name]
        for name in totals:
            totals[name] += row[name]
    return {"totals": totals, **{b: [{"key": k, **v} for k, v in sorted(d.items())] for b, d in buckets.items()}}


def open_orders_for_customer(user, subscriber: Subscriber, limit: int = 20) -> list[WorkOrder]:
    """The customer's active orders the caller may see (customer 360)."""
    if not user.has_perm(VIEW):
        return []
    # on every screen pop: compiled once per data scope (kefu.core.prepared)
    return prepared.fetch(
        ("workorders.open_for_customer", scope_region_ids(user), limit),
        lambda pk: scoped_orders(user)
        .active()
        .filter(customer_id=pk)
        .select_related("category", "workflow_version")
        .order_by(F("due_at").asc(nulls_last=True), "id")[:limit],
        subscriber.pk,
    )


def timeline(order: WorkOrder) -> list[WorkOrderEvent]:
    return list(order.events.select_related("actor").order_by("at", "id"))


def allowed_actions(user, order: WorkOrder) -> dict:
    """What the caller may do with the order now: the page shows exactly these buttons."""
    definition = order.definition()
    step = definition.step(order.step)
    active = order.is_active
    is_open = order.status == Status.OPEN
    acts = is_open and may_act(user, order, step)
    free = order.handler_id in (None, user.pk) or _is_monitor(user)
    transitions = []
    if acts and free:
        transitions = [_transition_info(t, definition) for t in definition.transitions_from(order.step)]
    return {
        "transitions": transitions,
        "claim": acts and order.handler_id != user.pk,
        "close": bool(acts and free and definition.closing_transitions(order.step) and not step.callback),
        "callback": bool(acts and free and step.callback),
        "reply": active and _may_reply(user, order),
        "note": True,
        "attach": active,
        "urge": is_open,
        "supervise": is_open and user.has_perm(SUPERVISE),
        "reassign": active and _is_monitor(user),
        "suspend": is_open and (order.handler_id == user.pk or _is_monitor(user)),
        "resume": order.status == Status.SUSPENDED and (order.handler_id == user.pk or _is_monitor(user)),
        "withdraw": active and _may_withdraw(user, order),
        "merge": bool(acts and free),
        "split": bool(acts and free),
    }


def _transition_info(t: TransitionDef, definition: WorkflowDef) -> dict:
    target = definition.step(t.target)
    return {
        "code": t.code,
        "name": t.name,
        "name_en": t.name_en,
        "to": t.target,
        "to_name": target.name,
        "final": target.final,
        "required": list(t.required),
        "optional": list(t.optional),
    }


def _may_reply(user, order: WorkOrder) -> bool:
    """Whoever acts on the order now, its handler, its creator (the customer's first contact) or a leader."""
    return (
        may_act(user, order, order.current_step())
        or user.pk in (order.handler_id, order.created_by_id)
        or _is_monitor(user)
    )


def _may_withdraw(user, order: WorkOrder) -> bool:
    if _is_monitor(user):
        return True
    return order.created_by_id == user.pk and order.step == order.definition().initial


# The kinds of notification work orders write into the staff inbox (kefu.core.notifications).
NOTIFICATION_KINDS = ("warning", "escalation", "urge", "supervise", "reassign")


def notifications(user, unread_only: bool = True) -> QuerySet[Notification]:
    """The caller's work-order notifications (their own and their role's in their scope), newest first."""
    return inbox.inbox(user, unread_only).filter(kind__in=NOTIFICATION_KINDS)


def mark_read(user, ids: list[int]) -> int:
    return inbox.mark_read(user, ids, at=clock.now())


# ---------------------------------------------------------------------------------------------
# reference data
# ---------------------------------------------------------------------------------------------


def _category(code: str, active_only: bool = True) -> Category:
    category = Category.objects.select_related("parent__parent", "workflow").filter(code=code).first()
    if category is None or (active_only and not category.active):
        raise DomainError(
            ErrorCode.INVALID, _("Unknown work-order category."), field="category", reason=Reason.UNKNOWN_CATEGORY
        )
    return category


def _region(code: str, field_name: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise DomainError(ErrorCode.INVALID, _("Unknown region code."), field=field_name, reason=Reason.UNKNOWN_REGION)
    return region


def _city_of(region: Region) -> Region:
    return region.ancestor_at(RegionLevel.CITY) or region


def published_version(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.versions.filter(published_at__isnull=False).order_by("-number").first()


# The category and the workflow version a new order of a category code starts on, per process: a
# category edited or a version published reaches the other processes within this many seconds (the
# publishing process at once).
_NEW_ORDER_REFERENCE = TTLCache(ttl=10.0)


def _category_and_version(code: str) -> tuple[Category, WorkflowVersion | None]:
    def compute():
        category = _category(code)
        workflow = category.effective_workflow()
        version = (
            workflow.versions.filter(published_at__isnull=False).select_related("workflow").order_by("-number").first()
            if workflow
            else None
        )
        return category, version

    return _NEW_ORDER_REFERENCE.get_or_compute(code, compute)


def categories() -> list[Category]:
    return list(Category.objects.filter(active=True).select_related("parent", "workflow").order_by("path"))


def eligible_handlers(order: WorkOrder, step_code: str | None = None, limit: int = 200) -> list:
    """The staff who may act at a step of the order (default: its current step), by username: the
    choices of a dispatch or a reassignment. Same rule as acting: role, skill group, region in scope."""
    definition = order.definition()
    code = step_code or order.step
    if not definition.has_step(code) or definition.step(code).final:
        return []
    step = definition.step(code)
    city = _city_of(Region.objects.select_related("parent").get(pk=_step_region_id(order, step)))
    groups = list(step.roles) or ([step.skill_group] if step.skill_group else [])
    candidates = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=groups)
        .filter(Q(region__path__startswith=city.path) | Q(region__level=RegionLevel.PROVINCE))
        .select_related("region__parent__parent")
        .prefetch_related("groups")
        .distinct()
        .order_by("username")
    )
    eligible = []
    for candidate in candidates[: limit * 2]:
        candidate._kefu_groups = frozenset(g.name for g in candidate.groups.all())
        if may_act(candidate, order, step):
            eligible.append(candidate)
    return eligible[:limit]


def step_names() -> dict[str, str]:
    """ "workflow:step" → the step's name, from every published version (the newest name wins): the labels
    of the monitoring counts and the step filter of the queues."""
    names: dict[str, str] = {}
    versions = WorkflowVersion.objects.filter(published_at__isnull=False).select_related("workflow")
    for version in versions.order_by("workflow__code", "number"):
        for step in version.parsed().steps:
            names[f"{version.workflow.code}:{step.code}"] = step.name
    return names


# ---------------------------------------------------------------------------------------------
# workflows (WO-2)
# ---------------------------------------------------------------------------------------------

_PROBLEM_MESSAGES = {
    "duplicate_step": "These step codes appear more than once: %(names)s.",
    "no_initial": "The first step %(names)s is not among the steps.",
    "initial_is_final": "The first step %(names)s must not be a final step.",
    "no_final": "The workflow needs at least one final step.",
    "unknown_step_in_transition": "These transitions lead from or to steps that do not exist: %(names)s.",
    "duplicate_transition": "These transitions are defined twice at the same step: %(names)s.",
    "transition_from_final": "Final steps cannot have transitions out of them: %(names)s.",
    "unreachable": "These steps cannot be reached from the first step: %(names)s.",
    "dead_end": "These steps are not final and have no way out (dead ends): %(names)s.",
    "no_exit": "Orders at these steps can never reach a final step: %(names)s.",
    "no_actor": "Nobody may act at these steps; give them a role or a skill group: %(names)s.",
    "bad_region_rule": "The region rule of these steps must be handling or accepting: %(names)s.",
    "callback_without_handling": "A callback step needs a handling step to re-open to: %(names)s.",
    "callback_without_close": "A callback step needs a transition to a final step: %(names)s.",
    "several_handling_steps": "Only one step may be the handling step: %(names)s.",
    "unknown_group": "These roles or skill groups do not exist: %(names)s.",
}


def describe(problem: Problem) -> str:
    template = _PROBLEM_MESSAGES.get(problem.kind, "%(names)s")
    return _(template) % {"names": ", ".join(problem.subject)}


def check_definition(data) -> tuple[WorkflowDef, list[dict]]:
    """Parse a definition and list what stops it from being published (each with a translated message)."""
    try:
        definition = parse(data)
    except DefinitionError as exc:
        raise DomainError(
            ErrorCode.INVALID, exc.message, field=f"definition.{exc.path}", reason=Reason.INVALID_WORKFLOW
        ) from exc
    problems = definition.problems()
    named = {g for s in definition.steps for g in (*s.roles, *([s.skill_group] if s.skill_group else []))}
    unknown = sorted(named - set(Group.objects.filter(name__in=named).values_list("name", flat=True)))
    if unknown:
        problems.append(Problem("unknown_group", tuple(unknown)))
    return definition, [{"kind": p.kind, "subject": list(p.subject), "message": describe(p)} for p in problems]


def _refuse_problems(problems: list[dict]) -> None:
    if problems:
        raise DomainError(
            ErrorCode.INVALID,
            " ".join(p["message"] for p in problems),
            field="definition",
            reason=Reason.INVALID_WORKFLOW,
            problems=problems,
        )


@transaction.atomic
def save_draft(user, workflow_code: str, definition: dict, note: str = "") -> WorkflowVersion:
    """Create or replace the workflow's draft (the next version number); refused when it has problems."""
    _require(user, PUBLISH)
    workflow = Workflow.objects.select_for_update().filter(code=workflow_code).first()
    if workflow is None:
        raise NotFound(_("No workflow with this code."))
    parsed, problems = check_definition(definition)
    _refuse_problems(problems)
    draft = workflow.versions.filter(published_at__isnull=True).order_by("-number").first()
    if draft is None:
        last = workflow.versions.order_by("-number").values_list("number", flat=True).first() or 0
        draft = WorkflowVersion(workflow=workflow, number=last + 1, created_by=user)
    draft.definition = parsed.to_dict()
    draft.note = note[:200]
    draft.save()
    record_change(user, draft, "save_draft", {"number": draft.number})
    return draft


@transaction.atomic
def publish(user, workflow_code: str, number: int) -> WorkflowVersion:
    """Publish a draft: new orders start on it; orders already running keep their version."""
    _require(user, PUBLISH)
    version = (
        WorkflowVersion.objects.select_for_update()
        .select_related("workflow")
        .filter(workflow__code=workflow_code, number=number)
        .first()
    )
    if version is None:
        raise NotFound(_("No such workflow version."))
    if version.published:
        raise DomainError(ErrorCode.CONFLICT, _("This version is published already."))
    _definition, problems = check_definition(version.definition)
    _refuse_problems(problems)
    version.published_at = timezone.now()
    version.published_by = user
    version.save()
    _NEW_ORDER_REFERENCE.clear()  # this process starts new orders on it at once (and again after commit)
    transaction.on_commit(_NEW_ORDER_REFERENCE.clear)
    record_change(user, version, "publish", {"number": version.number})
    return version


# ---------------------------------------------------------------------------------------------
# numbers, events, timers
# ---------------------------------------------------------------------------------------------


def _next_number(now) -> str:
    """WO<yyyymmdd><nnnnnn>: the local date and the day's running number (50,000 a day fits).

    One statement (insert the day's row or add one to it, returning the number): outside a transaction
    it commits at once, so concurrent creations hold the day's row only for that statement."""
    day = timezone.localtime(now).date()
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - the table name is ours
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        last = cursor.fetchone()[0]
    return f"WO{day:%Y%m%d}{last:06d}"


_STATUS_EVENTS = frozenset(
    (
        EventKind.CREATED,
        EventKind.TRANSITION,
        EventKind.TRANSFER,
        EventKind.CLOSE,
        EventKind.CALLBACK,
        EventKind.REOPEN,
        EventKind.SUSPEND,
        EventKind.RESUME,
        EventKind.WITHDRAW,
        EventKind.MERGE,
    )
)


def _event(order: WorkOrder, actor, kind: str, now, text: str = "", **data) -> WorkOrderEvent:
    actor = actor if actor is not None and actor.is_authenticated else None
    if kind in _STATUS_EVENTS:
        data["tmf_status"] = tmf_status(order)
    event = WorkOrderEvent(order=order, at=now, actor=actor, kind=kind, step=order.step, text=text, data=data)
    buffer = getattr(order, "_write_buffer", None)
    if buffer is not None:  # a creation writes its events and timers in one statement each
        buffer["events"].append(event)
    else:
        event.save(force_insert=True)
    return event


def _audit(user, order: WorkOrder, action: str, changes: dict | None = None) -> None:
    """The audit event of a change of an order (buffered while the order is being created)."""
    buffer = getattr(order, "_write_buffer", None)
    if buffer is not None:
        buffer["audit"].append((user, action, changes))
    else:
        record_change(user, order, action, changes)


def current_state(order: WorkOrder) -> dict:
    return {
        "number": order.number,
        "version": order.version,
        "status": order.status,
        "step": order.step,
        "handler": order.handler.username if order.handler_id else None,
    }


def _lock(order_or_number, version: int | None, user=None) -> WorkOrder:
    """Lock the order row and check the caller's version (optimistic locking)."""
    number = order_or_number.number if isinstance(order_or_number, WorkOrder) else order_or_number
    qs = WorkOrder.objects.select_for_update().filter(number=number)
    order = qs.first()
    if order is None or (user is not None and not scoped_orders(user).filter(pk=order.pk).exists()):
        raise NotFound(_("No work order with this number."))
    if version is not None and order.version != version:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The work order was changed by someone else meanwhile (version %(current)s, yours %(yours)s).")
            % {"current": order.version, "yours": version},
            field="version",
            reason=Reason.STALE_VERSION,
            current=current_state(order),
        )
    order._tmf_before = tmf_status(order)
    return order


def _save(order: WorkOrder, now) -> None:
    order.version += 1
    order.updated_at = now
    if getattr(order, "_write_buffer", None) is None:  # being created: inserted once, at the end
        order.save()
    # TMF621 hub: a change of the ticket status is queued for the listeners in this transaction.
    before = getattr(order, "_tmf_before", None)
    events.status_changed(order, before, now)
    order._tmf_before = tmf_status(order) if before is not None else None


def _require_open(order: WorkOrder) -> None:
    if order.status != Status.OPEN:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The work order is %(status)s.") % {"status": order.get_status_display()},
            reason=Reason.NOT_OPEN,
            current=current_state(order),
        )


def _step_plan(order: WorkOrder, step: StepDef, now) -> list[Timer]:
    """Set the step's due time; return its warning and due timers (unsaved)."""
    if step.final or not step.hours:
        order.step_due_at = None
        return []
    calendar = sla.calendar_for(order.category)
    order.step_due_at = calendar.add(now, step.hours)
    warning = calendar.add(now, step.hours * sla.warning_ratio())
    return [
        Timer(order=order, kind=TimerKind.STEP_WARNING, step=step.code, due_at=warning),
        Timer(order=order, kind=TimerKind.STEP_DUE, step=step.code, due_at=order.step_due_at),
    ]


def _plan_step(order: WorkOrder, step: StepDef, now) -> None:
    """Re-plan the step's due time and timers (the previous step's pending timers are dropped)."""
    buffer = getattr(order, "_write_buffer", None)
    if buffer is not None:  # an order being created (and moved on at once): nothing is written yet
        buffer["timers"] = [
            t for t in buffer["timers"] if t.kind not in (TimerKind.STEP_WARNING, TimerKind.STEP_DUE)
        ] + _step_plan(order, step, now)
        return
    Timer.objects.filter(
        order=order, fired_at__isnull=True, kind__in=(TimerKind.STEP_WARNING, TimerKind.STEP_DUE)
    ).delete()
    Timer.objects.bulk_create(_step_plan(order, step, now))


def _order_plan(order: WorkOrder, now) -> list[Timer]:
    """Set the order's due time (category × VIP tier) and first-response due time; return their timers."""
    calendar = sla.calendar_for(order.category)
    timers = []
    hours = sla.order_hours(order.category, order.vip_tier)
    if hours:
        order.due_at = calendar.add(now, hours)
        warning = calendar.add(now, hours * sla.warning_ratio())
        timers += [
            Timer(order=order, kind=TimerKind.ORDER_WARNING, due_at=warning),
            Timer(order=order, kind=TimerKind.ORDER_DUE, due_at=order.due_at),
        ]
    first = sla.first_response_hours(order.vip_tier) if order.customer_id else None
    if first:
        order.first_response_due_at = calendar.add(now, first)
        timers.append(Timer(order=order, kind=TimerKind.FIRST_RESPONSE, due_at=order.first_response_due_at))
    return timers


def _drop_timers(order: WorkOrder) -> None:
    Timer.objects.filter(order=order, fired_at__isnull=True).delete()


def _enter_step(order: WorkOrder, definition: WorkflowDef, step_code: str, now, handler=None) -> StepDef:
    """Move the order to a step: queue, region, handler, due time and timers follow the step."""
    step = definition.step(step_code)
    order.step = step.code
    order.step_entered_at = now
    if step.final:
        order.queue = ""
        order.queue_region_id = order.handling_region_id
        order.status = Status.CLOSED
        order.closed_at = now
        order.step_due_at = None
        _drop_timers(order)
        return step
    order.queue = step.queue
    order.queue_region_id = _step_region_id(order, step)
    if handler is None:
        handler = _previous_handler(order, step)
    order.handler = handler
    if handler is not None:
        order.step_handlers = {**order.step_handlers, step.code: handler.pk}
    _plan_step(order, step, now)
    return step


def _previous_handler(order: WorkOrder, step: StepDef):
    """Who handled this step before (an order sent back finds its handler again), if still eligible."""
    user_id = order.step_handlers.get(step.code)
    if not user_id:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user if user is not None and may_act(user, order, step) else None


# ---------------------------------------------------------------------------------------------
# creating (WO-1, WO-6, WO-7)
# ---------------------------------------------------------------------------------------------


# What an order needs of its customer (the rest of the profile stays in the database).
_CUSTOMER_FIELDS = ("msisdn", "name", "vip_tier", "store", "region")


def find_customer(user, msisdn: str | None = None, customer_id: int | None = None) -> Subscriber:
    """The customer of a new order. A number outside the caller's scope is still found (cross-region
    service, WO-6: a visiting customer is served where they are); the lookup is written to the access log."""
    from kefu.customers.services import check_msisdn

    if msisdn:
        check_msisdn(msisdn)

        def on_net(number):
            return (
                Subscriber.objects.filter(store=ProfileStore.ON_NET, msisdn=number)
                .select_related("region__parent")
                .only(*_CUSTOMER_FIELDS)
            )

        # on every creation: compiled once per data scope (kefu.core.prepared); unique per store: no ordering
        in_scope = prepared.fetch(
            ("workorders.customer", scope_region_ids(user)), lambda number: on_net(number).restrict(user), msisdn
        )
        subscriber = in_scope[0] if in_scope else None
        if subscriber is None:
            subscriber = next(iter(on_net(msisdn)), None)
            if subscriber is not None:
                record_access(user, "view", subscriber, detail="cross-region work order")
    elif customer_id:
        subscriber = next(
            iter(
                Subscriber.objects.restrict(user)
                .select_related("region__parent")
                .only(*_CUSTOMER_FIELDS)
                .filter(pk=customer_id)
            ),
            None,
        )
    else:
        subscriber = None
    if subscriber is None and (msisdn or customer_id):
        raise DomainError(
            ErrorCode.INVALID, _("No customer with this number."), field="msisdn" if msisdn else "customer"
        )
    return subscriber


DUPLICATES_LISTED = 10


def duplicates_of(customer: Subscriber, category: Category, now) -> list[str]:
    """The customer's orders of this category within the duplicate window (the latest ten, oldest first)."""
    since = now - timedelta(hours=parameters.get("workorders.duplicate_hours"))
    latest = (
        WorkOrder.objects.filter(customer=customer, category=category, created_at__gte=since)
        .exclude(status=Status.WITHDRAWN)
        .order_by("-created_at", "-id")
        .values_list("number", flat=True)[:DUPLICATES_LISTED]
    )
    return list(reversed(latest))


def create(
    user,
    *,
    category: str,
    title: str,
    channel: str,
    description: str = "",
    msisdn: str | None = None,
    customer_id: int | None = None,
    priority: int | None = None,
    accepting_region: str | None = None,
    handling_region: str | None = None,
    confirm_duplicate: bool = False,
    transition: str | None = None,
    fields: dict | None = None,
    split_from: WorkOrder | None = None,
    data: dict | None = None,
) -> WorkOrder:
    """Accept a new order at its workflow's first step, with the creator as handler.

    The handling region is the customer's home city (WO-6); an order of the same customer and category
    within `workorders.duplicate_hours` is refused with the earlier numbers unless `confirm_duplicate`.
    `transition` moves the new order on at once (e.g. "submit" to dispatch), in the same transaction.
    """
    _require(user, ADD)
    now = clock.now()
    cat, version = _category_and_version(category)
    if version is None:
        raise DomainError(
            ErrorCode.INVALID,
            _("This category has no published workflow."),
            field="category",
            reason=Reason.UNKNOWN_CATEGORY,
        )
    if channel not in Channel.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown channel."), field="channel")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise DomainError(ErrorCode.INVALID, _("Give a title of at most 200 characters."), field="title")
    if priority is not None and priority not in Priority.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown priority."), field="priority")
    customer = find_customer(user, msisdn, customer_id)
    if customer is None and cat.requires_customer:
        raise DomainError(
            ErrorCode.INVALID,
            _("Orders of this category need a customer."),
            field="msisdn",
            reason=Reason.CUSTOMER_REQUIRED,
        )
    accepting = _region(accepting_region, "accepting_region") if accepting_region else user.region
    if accepting is None or not may_see_region(user, accepting.pk):
        raise DomainError(ErrorCode.INVALID, _("The accepting region is outside your scope."), field="accepting_region")
    if customer is not None:
        handling = _city_of(customer.region)
    elif handling_region:
        handling = _region(handling_region, "handling_region")
    else:
        handling = _city_of(accepting)
    earlier = duplicates_of(customer, cat, now) if customer is not None and split_from is None else []
    if earlier and not confirm_duplicate:
        raise DomainError(
            ErrorCode.CONFLICT,
            _(
                "This customer has orders of this category from the last %(hours)s hours: %(numbers)s. "
                "Confirm to create another one."
            )
            % {"hours": parameters.get("workorders.duplicate_hours"), "numbers": ", ".join(earlier)},
            field="confirm_duplicate",
            reason=Reason.DUPLICATE,
            duplicates=earlier,
        )
    definition = version.parsed()
    initial = definition.step(definition.initial)
    tier = customer.vip_tier if customer is not None else VipTier.ORDINARY
    order = WorkOrder(
        category=cat,
        priority=priority or (Priority.HIGH if tier in _VIP_HIGH else Priority.NORMAL),
        channel=channel,
        customer=customer,
        vip_tier=tier,
        title=title,
        description=description or "",
        accepting_region=accepting,
        handling_region=handling,
        cross_region=_city_of(accepting).pk != handling.pk,
        workflow_version=version,
        step=initial.code,
        queue=initial.queue,
        step_entered_at=now,
        created_at=now,
        created_by=user,
        split_from=split_from,
        handler=user,
        step_handlers={initial.code: user.pk},
        data=dict(data or {}),
    )
    order.queue_region_id = _step_region_id(order, initial)
    if not may_act(user, order, initial):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _("Your role cannot accept orders of this category (step %(step)s).") % {"step": initial.name},
            reason=Reason.NOT_YOUR_STEP,
        )
    # The order, its timers, timeline events and audit events — of the creation and of a transition
    # taken at once — are written together at the end: one statement each.
    order._write_buffer = {
        "timers": _step_plan(order, initial, now) + _order_plan(order, now),
        "events": [],
        "audit": [],
    }
    order.number = _next_number(now)
    with transaction.atomic():
        _event(
            order,
            user,
            EventKind.CREATED,
            now,
            description or "",
            category=cat.code,
            channel=channel,
            duplicates=earlier,
            cross_region=order.cross_region,
        )
        _audit(
            user,
            order,
            "create",
            {"category": cat.code, "handling_region": handling.code, "accepting_region": accepting.code},
        )
        events.publish(order, events.CREATE, now)
        if transition:
            order._tmf_before = tmf_status(order)
            order = _transition(user, order, transition, fields or {}, now)
        buffer = order.__dict__.pop("_write_buffer")
        order.save(force_insert=True)
        Timer.objects.bulk_create(buffer["timers"])
        order.written_events = WorkOrderEvent.objects.bulk_create(buffer["events"])
        AuditEvent.objects.bulk_create([audit_event(u, order, a, c) for u, a, c in buffer["audit"]])
    return order


# ---------------------------------------------------------------------------------------------
# moving on (WO-2, WO-5)
# ---------------------------------------------------------------------------------------------


def _check_actor(user, order: WorkOrder, step: StepDef) -> None:
    if not may_act(user, order, step):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _("You may not act at the step %(step)s of this order.") % {"step": step.name},
            reason=Reason.NOT_YOUR_STEP,
        )
    if order.handler_id not in (None, user.pk) and not _is_monitor(user):
        raise DomainError(
            ErrorCode.CONFLICT,
            _("%(handler)s is handling this order at this step.") % {"handler": order.handler},
            reason=Reason.CLAIMED_BY_OTHER,
            current=current_state(order),
        )


def _not_allowed(order: WorkOrder, definition: WorkflowDef, code: str) -> DomainError:
    allowed = [t.code for t in definition.transitions_from(order.step)]
    return DomainError(
        ErrorCode.CONFLICT,
        _("The step %(step)s does not allow %(code)s; allowed: %(allowed)s.")
        % {"step": definition.step(order.step).name, "code": code, "allowed": ", ".join(allowed) or "-"},
        field="transition",
        reason=Reason.TRANSITION_NOT_ALLOWED,
        allowed=allowed,
        current=current_state(order),
    )


def _clean_fields(order: WorkOrder, definition: WorkflowDef, t: TransitionDef, given: dict) -> dict:
    """Check the transition's fields: all required present, none unexpected, known ones valid."""
    given = {k: (v.strip() if isinstance(v, str) else v) for k, v in (given or {}).items()}
    accepted = set(t.required) | set(t.optional)
    if definition.step(t.target).final:
        accepted |= {"result", "root_cause"}  # closing may always record them
    unexpected = sorted(set(given) - accepted)
    if unexpected:
        raise DomainError(
            ErrorCode.INVALID,
            _("These fields are not part of the transition %(code)s: %(fields)s.")
            % {"code": t.code, "fields": ", ".join(unexpected)},
            field=f"fields.{unexpected[0]}",
            reason=Reason.UNEXPECTED_FIELDS,
            unexpected=unexpected,
        )
    known = {name: getattr(order, name) for name in _MODEL_FIELDS if name != "satisfaction"}
    missing = missing_fields(t, given, known)
    if missing:
        raise DomainError(
            ErrorCode.INVALID,
            _("The transition %(code)s needs these fields: %(fields)s.")
            % {"code": t.code, "fields": ", ".join(missing)},
            field=f"fields.{missing[0]}",
            reason=Reason.MISSING_FIELDS,
            missing=missing,
        )
    if given.get("root_cause") and given["root_cause"] not in RootCause.values:
        raise _bad_value("root_cause", RootCause.values)
    if given.get("satisfaction") and given["satisfaction"] not in Satisfaction.values:
        raise _bad_value("satisfaction", Satisfaction.values)
    for name, value in given.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise DomainError(ErrorCode.INVALID, _("Give plain text."), field=f"fields.{name}", reason=Reason.BAD_VALUE)
        if isinstance(value, str) and len(value) > 4000:
            raise DomainError(ErrorCode.INVALID, _("At most 4000 characters."), field=f"fields.{name}")
    return given


def _bad_value(name: str, choices) -> DomainError:
    return DomainError(
        ErrorCode.INVALID,
        _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)},
        field=f"fields.{name}",
        reason=Reason.BAD_VALUE,
    )


def _handler_for(order: WorkOrder, step: StepDef, username: str, field_name: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not may_act(user, order, step):
        raise DomainError(
            ErrorCode.INVALID,
            _("%(username)s may not act at the step %(step)s of this order.")
            % {"username": username, "step": step.name},
            field=field_name,
            reason=Reason.UNKNOWN_HANDLER,
        )
    return user


def _transition(user, order: WorkOrder, code: str, given: dict, now) -> WorkOrder:
    """Apply a transition to a locked, open order (the caller has checked the version)."""
    _require_open(order)
    definition = order.definition()
    step = definition.step(order.step)
    _check_actor(user, order, step)
    t = definition.transition(order.step, code)
    if t is None:
        raise _not_allowed(order, definition, code)
    fields = _clean_fields(order, definition, t, given)
    before = current_state(order)
    # who did this step (an order sent back here finds them again)
    order.step_handlers = {**order.step_handlers, step.code: user.pk}
    if order.handler_id is None:
        order.handler = user
    for name in _MODEL_FIELDS:
        if fields.get(name):
            setattr(order, name, fields[name])
    extra = {k: v for k, v in fields.items() if k not in (*_MODEL_FIELDS, "handler", "handling_region")}
    if extra:
        order.data = {**order.data, **extra}
    target = definition.step(t.target)
    if fields.get("handling_region"):
        city = _region(fields["handling_region"], "fields.handling_region")
        if city.level != RegionLevel.CITY:
            raise DomainError(ErrorCode.INVALID, _("Name a city."), field="fields.handling_region")
        order.handling_region = city
        order.cross_region = _city_of(order.accepting_region).pk != city.pk
    handler = None
    if fields.get("handler"):
        handler = _handler_for(order, target, fields["handler"], "fields.handler")
    if step.callback and fields.get("satisfaction") == Satisfaction.DISSATISFIED:
        return _reopen(user, order, definition, fields, before, now)
    _enter_step(order, definition, t.target, now, handler=handler)
    if target.final and order.first_responded_at is None and order.customer_id:
        order.first_responded_at = now
    _save(order, now)
    kind = EventKind.TRANSFER if fields.get("handling_region") else EventKind.TRANSITION
    if target.final:
        kind = EventKind.CALLBACK if step.callback else EventKind.CLOSE
    _event(
        order,
        user,
        kind,
        now,
        fields.get("reason") or fields.get("result") or "",
        transition=t.code,
        name=t.name,
        **{"from": step.code, "to": target.code},
        fields=fields,
    )
    _audit(user, order, "transition", {"transition": t.code, "before": before, "after": current_state(order)})
    return order


def system_transition(order: WorkOrder, code: str, now, text: str = "", **data) -> WorkOrder:
    """Move an open order along transition `code` as the system (no actor, no required fields), on the
    timeline and in the audit trail like any move: for flows another area drives, e.g. the steps of a VPMN
    renewal that a group's grade skips. The caller holds the order (saved inside its transaction)."""
    _require_open(order)
    definition = order.definition()
    t = definition.transition(order.step, code)
    if t is None:
        raise _not_allowed(order, definition, code)
    before = current_state(order)
    source = order.step
    if getattr(order, "_tmf_before", None) is None:
        order._tmf_before = tmf_status(order)
    target = _enter_step(order, definition, t.target, now)
    _save(order, now)
    kind = EventKind.CLOSE if target.final else EventKind.TRANSITION
    moved = {"from": source, "to": t.target}
    _event(order, None, kind, now, text, transition=t.code, name=t.name, fields={}, **moved, **data)
    _audit(None, order, "transition", {"transition": t.code, "before": before, "after": current_state(order)})
    return order


def _reopen(user, order: WorkOrder, definition: WorkflowDef, fields: dict, before: dict, now) -> WorkOrder:
    """A dissatisfied callback sends the order back to its handling step (WO-5)."""
    step = order.step
    order.satisfaction = Satisfaction.DISSATISFIED
    order.reopen_count += 1
    handling = definition.handling_step
    _enter_step(order, definition, handling.code, now)
    _save(order, now)
    _event(
        order,
        user,
        EventKind.CALLBACK,
        now,
        fields.get("reason", ""),
        satisfaction=order.satisfaction,
        **{"from": step},
    )
    _event(order, user, EventKind.REOPEN, now, "", to=handling.code, times=order.reopen_count)
    _audit(user, order, "reopen", {"before": before, "after": current_state(order)})
    return order


@transaction.atomic
def transition(user, number: str, code: str, *, version: int | None, fields: dict | None = None) -> WorkOrder:
    """Take the named transition from the order's current step. Refusals: 409 when the step does not
    allow it (naming the allowed ones), 422 naming missing fields, 409 on a stale version."""
    _require(user, VIEW)
    order = _lock(number, version, user)
    return _transition(user, order, code, fields or {}, clock.now())


@transaction.atomic
def close(user, number: str, *, version: int | None, result: str, root_cause: str = "", transition_code: str = ""):
    """Close with a result and a root cause by the current step's transition into a final step."""
    _require(user, VIEW)
    order = _lock(number, version, user)
    _require_open(order)
    definition = order.definition()
    closing = [
        t for t in definition.closing_transitions(order.step) if not transition_code or t.code == transition_code
    ]
    if not closing or definition.step(order.step).callback:
        raise _not_allowed(order, definition, transition_code or "close")
    fields = {"result": result}
    if root_cause:
        fields["root_cause"] = root_cause
    return _transition(user, order, closing[0].code, fields, clock.now())


@transaction.atomic
def callback(user, number: str, *, version: int | None, satisfaction: str, note: str = "") -> WorkOrder:
    """Record the customer callback (回访): satisfied closes, dissatisfied re-opens to the handling step."""
    _require(user, VIEW)
    order = _lock(number, version, user)
    _require_open(order)
    definition = order.definition()
    step = definition.step(order.step)
    if not step.callback:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The order is not waiting for a callback (step %(step)s).") % {"step": step.name},
            reason=Reason.NOT_A_CALLBACK_STEP,
            current=current_state(order),
        )
    if satisfaction not in Satisfaction.values:
        raise _bad_value("satisfaction", Satisfaction.values)
    closing = definition.closing_transitions(order.step)[0]
    fields = {"satisfaction": satisfaction}
    if note:
        if "reason" in (*closing.required, *closing.optional):
            fields["reason"] = note
        else:
            order.data = {**order.data, "callback_note": note}
    return _transition(user, order, closing.code, fields, clock.now())


@transaction.atomic
def claim(user, number: str, *, version: int | None) -> WorkOrder:
    """Take an order of the group queue (or one whose handler is gone) as one's own."""
    _require(user, VIEW)
    order = _lock(number, version, user)
    _require_open(order)
    step = order.current_step()
    if not may_act(user, order, step):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _("You may not act at the step %(step)s of this order.") % {"step": step.name},
            reason=Reason.NOT_YOUR_STEP,
        )
    if order.handler_id == user.pk:
        return order
    if order.handler_id is not None:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("%(handler)s has claimed this order already.") % {"handler": order.handler},
            reason=Reason.CLAIMED_BY_OTHER,
            current=current_state(order),
        )
    now = clock.now()
    order.handler = user
    order.step_handlers = {**order.step_handlers, step.code: user.pk}
    _save(order, now)
    _event(order, user, EventKind.CLAIM, now)
    _audit(user, order, "claim", {"handler": user.username})
    return order


def _reassign(user, order: WorkOrder, username: str | None, reason: str, now) -> WorkOrder:
    if not _is_monitor(user):
        raise DomainError(ErrorCode.FORBIDDEN, _("You do not have permission to do this."))
    if not order.is_active:
        _require_open(order)
    step = order.current_step()
    handler = _handler_for(order, step, username, "handler") if username else None
    before = order.handler.username if order.handler_id else None
    order.handler = handler
    steps = dict(order.step_handlers)
    if handler is not None:
        steps[step.code] = handler.pk
    else:
        steps.pop(step.code, None)
    order.step_handlers = steps
    _save(order, now)
    _event(order, user, EventKind.REASSIGN, now, reason, **{"from": before, "to": username})
    if handler is not None:
        _notify(
            order, handler, "reassign", _("Work order %(number)s was assigned to you.") % {"number": order.number}, now
        )
    _audit(user, order, "reassign", {"handler": [before, username], "reason": reason})
    return order


@transaction.atomic
def reassign(user, number: str, *, version: int | None, handler: str | None, reason: str = "") -> WorkOrder:
    """Give the order to another eligible handler, or back to the group queue (handler None) (WO-4)."""
    order = _lock(number, version, user)
    return _reassign(user, order, handler, reason, clock.now())


DETAIL_DATA_KEYS = ("severity", "externalId", "requestedResolutionDate", "statusChangeReason")


@transaction.atomic
def update_details(
    user,
    number: str,
    *,
    version: int | None,
    title: str | None = None,
    description: str | None = None,
    priority: int | None = None,
    data: dict | None = None,
) -> WorkOrder:
    """Change an order's title, description, priority or its recorded external attributes
    (severity, externalId, … of TMF621); staff acting on the order, its handler or creator, or a leader."""
    _require(user, VIEW)
    order = _lock(number, version, user)
    if not order.is_active:
        _require_open(order)
    if not _may_reply(user, order):
        raise DomainError(ErrorCode.FORBIDDEN, _("You may not change this order."), reason=Reason.NOT_YOUR_STEP)
    changes: dict = {}
    if title is not None:
        title = title.strip()
        if not title or len(title) > 200:
            raise DomainError(ErrorCode.INVALID, _("Give a title of at most 200 characters."), field="title")
        changes["title"] = [order.title, title]
        order.title = title
    if description is not None:
        changes["description"] = [order.description, description]
        order.description = description
    if priority is not None:
        if priority not in Priority.values:
            raise DomainError(ErrorCode.INVALID, _("Unknown priority."), field="priority")
        changes["priority"] = [order.priority, priority]
        order.priority = priority
    for key, value in (data or {}).items():
        if key not in DETAIL_DATA_KEYS:
            raise DomainError(ErrorCode.INVALID, _("This attribute cannot be changed."), field=key)
        changes[key] = [order.data.get(key), value]
        order.data = {**order.data, key: value}
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    if not changes:
        return order
    now = clock.now()
    _save(order, now)
    _event(order, user, EventKind.UPDATE, now, "", changes=changes)
    _audit(user, order, "update", changes)
    if set(changes) - {"statusChangeReason"}:  # the reason alone belongs to the status change
        events.publish(order, events.ATTRIBUTE_CHANGE, now)
    return order


# ---------------------------------------------------------------------------------------------
# urging, supervision, suspension, withdrawal (WO-3, WO-4)
# ---------------------------------------------------------------------------------------------


def order_link(order: WorkOrder) -> str:
    from django.urls import reverse

    return reverse("workorders:order", args=[order.number])


def _notify(order: WorkOrder, recipient, kind: str, message: str, now, role: str = "", region=None) -> None:
    """Into the staff inbox (kefu.core.notifications): to a person, or to a role in a region."""
    inbox.notify(
        recipient,
        kind=kind,
        text=message,
        link=order_link(order),
        subject=order.number,
        role=role,
        region=region,
        at=now,
    )


def _leaders_of(order: WorkOrder) -> list:
    city = _city_of(order.handling_region)
    return list(
        get_user_model()
        .objects.filter(groups__name="leader", is_active=True, region__path__startswith=city.path)
        .order_by("username")
    )


def _notify_leaders(order: WorkOrder, kind: str, message: str, now) -> list:
    leaders = _leaders_of(order)
    for leader in leaders:
        _notify(order, leader, kind, message, now)
    if not leaders:
        _notify(order, None, kind, message, now, role="leader", region=_city_of(order.handling_region))
    return leaders


def _notify_handler_or_queue(order: WorkOrder, kind: str, message: str, now) -> None:
    if order.handler_id:
        _notify(order, order.handler, kind, message, now)
    else:
        _notify(order, None, kind, message, now, role=order.queue, region=order.queue_region)


def _urge(user, order: WorkOrder, text: str, now) -> WorkOrder:
    _require_open(order)
    count = order.events.filter(kind=EventKind.URGE).count() + 1
    _event(order, user, EventKind.URGE, now, text, count=count)
    _notify_handler_or_queue(
        order, "urge", _("Work order %(number)s was urged (%(count)s).") % {"number": order.number, "count": count}, now
    )
    _audit(user, order, "urge", {"count": count, "text": text})
    return order


@transaction.atomic
def urge(user, number: str, text: str = "") -> WorkOrder:
    """催办: remind the handler (or the queue) that the customer is waiting; does not change the order."""
    _require(user, VIEW)
    order = _lock(number, None, user)
    return _urge(user, order, text, clock.now())


@transaction.atomic
def supervise(user, number: str, text: str = "") -> WorkOrder:
    """督办: a leader puts the order under supervision: priority at least high, handler and leaders told."""
    _require(user, SUPERVISE)
    order = _lock(number, None, user)
    _require_open(order)
    now = clock.now()
    before = order.priority
    order.priority = max(order.priority, Priority.HIGH)
    order.data = {**order.data, "supervised": True}
    _save(order, now)
    _event(order, user, EventKind.SUPERVISE, now, text, priority=[before, order.priority])
    message = _("Work order %(number)s is under supervision.") % {"number": order.number}
    _notify_handler_or_queue(order, "supervise", message, now)
    _notify_leaders(order, "supervise", message, now)
    _audit(user, order, "supervise", {"priority": [before, order.priority], "text": text})
    return order


def _suspend(user, order: WorkOrder, reason: str, now) -> WorkOrder:
    _require_open(order)
    if not (order.handler_id == user.pk or _is_monitor(user)):
        raise DomainError(ErrorCode.FORBIDDEN, _("Only the handler or a team leader may suspend this order."))
    if not reason.strip():
        raise DomainError(ErrorCode.INVALID, _("Give a reason."), field="reason", reason=Reason.MISSING_FIELDS)
    calendar = sla.calendar_for(order.category)
    for timer in Timer.objects.filter(order=order, fired_at__isnull=True, paused_hours__isnull=True):
        timer.paused_hours = calendar.working_hours(now, timer.due_at)
        timer.save(update_fields=["paused_hours"])
    order.status = Status.SUSPENDED
    order.suspended_at = now
    _save(order, now)
    _event(order, user, EventKind.SUSPEND, now, reason)
    _audit(user, order, "suspend", {"reason": reason})
    return order


def _resume(user, order: WorkOrder, now) -> WorkOrder:
    if order.status != Status.SUSPENDED:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("The work order is not suspended."),
            reason=Reason.NOT_OPEN,
            current=current_state(order),
        )
    if not (order.handler_id == user.pk or _is_monitor(user)):
        raise DomainError(ErrorCode.FORBIDDEN, _("Only the handler or a team leader may resume this order."))
    calendar = sla.calendar_for(order.category)
    paused_at = order.suspended_at or now
    # The time limits keep the working time they had left when the order was suspended.
    for name in ("step_due_at", "due_at", "first_response_due_at"):
        due = getattr(order, name)
        if due is not None and due > paused_at:
            setattr(order, name, calendar.add(now, calendar.working_hours(paused_at, due)))
    for timer in Timer.objects.filter(order=order, fired_at__isnull=True, paused_hours__isnull=False):
        timer.due_at = calendar.add(now, timer.paused_hours)
        timer.paused_hours = None
        timer.save(update_fields=["due_at", "paused_hours"])
    order.status = Status.OPEN
    order.suspended_at = None
    _save(order, now)
    _event(order, user, EventKind.RESUME, now, "", suspended_hours=round((now - paused_at).total_seconds() / 3600, 2))
    _audit(user, order, "resume", {})
    return order


def _withdraw(user, order: WorkOrder, reason: str, now) -> WorkOrder:
    if not order.is_active:
        _require_open(order)
    if not _may_withdraw(user, order):
        raise DomainError(
            ErrorCode.FORBIDDEN, _("Only its creator at the first step or a team leader may withdraw this order.")
        )
    if not reason.strip():
        raise DomainError(ErrorCode.INVALID, _("Give a reason."), field="reason", reason=Reason.MISSING_FIELDS)
    before = current_state(order)
    order.status = Status.WITHDRAWN
    order.closed_at = now
    order.queue = ""
    order.suspended_at = None
    order.step_due_at = None
    _drop_timers(order)
    _save(order, now)
    _event(order, user, EventKind.WITHDRAW, now, reason)
    _audit(user, order, "withdraw", {"reason": reason, "before": before})
    return order


@transaction.atomic
def suspend(user, number: str, *, version: int | None, reason: str) -> WorkOrder:
    """挂起: stop the clocks (waiting for the customer, for a third party); resume keeps the time left."""
    _require(user, VIEW)
    return _suspend(user, _lock(number, version, user), reason, clock.now())


@transaction.atomic
def resume(user, number: str, *, version: int | None) -> WorkOrder:
    _require(user, VIEW)
    return _resume(user, _lock(number, version, user), clock.now())


@transaction.atomic
def withdraw(user, number: str, *, version: int | None, reason: str) -> WorkOrder:
    """撤单: the order ends without a result (entered by mistake, the customer no longer wants it)."""
    _require(user, VIEW)
    return _withdraw(user, _lock(number, version, user), reason, clock.now())


# ---------------------------------------------------------------------------------------------
# notes, replies, attachments (WO-7)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def add_note(user, number: str, text: str, *, reply: bool = False, author: str = "") -> WorkOrderEvent:
    """An internal note (staff only) or a reply to the customer; the first reply is the first response."""
    _require(user, VIEW)
    text = (text or "").strip()
    if not text or len(text) > 4000:
        raise DomainError(ErrorCode.INVALID, _("Write between 1 and 4000 characters."), field="text")
    order = _lock(number, None, user)
    now = clock.now()
    extra = {"author": author[:100]} if author else {}
    if not reply:
        event = _event(order, user, EventKind.NOTE, now, text, **extra)
        _audit(user, order, "note", {"event": event.pk})
        return event
    if not order.is_active:
        _require_open(order)
    if not _may_reply(user, order):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            _("Only staff acting on this order may reply to the customer."),
            reason=Reason.NOT_YOUR_STEP,
        )
    event = _event(order, user, EventKind.REPLY, now, text, **extra)
    if order.first_responded_at is None:
        order.first_responded_at = now
        Timer.objects.filter(order=order, kind=TimerKind.FIRST_RESPONSE, fired_at__isnull=True).delete()
        _save(order, now)
    _audit(user, order, "reply", {"event": event.pk})
    return event


# The first bytes of the binary types we accept: a renamed executable is refused.
_MAGIC = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "amr": (b"#!AMR",),
    "wav": (b"RIFF",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}


def _check_upload(upload) -> tuple[str, str]:
    name = get_valid_filename(os.path.basename(upload.name or "")) or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [t.lower() for t in parameters.get("workorders.attachment_types")]
    if extension not in allowed:
        raise DomainError(
            ErrorCode.INVALID,
            _("Files of this type are not accepted; accepted: %(types)s.") % {"types": ", ".join(allowed)},
            field="file",
            reason=Reason.ATTACHMENT_TYPE,
        )
    limit = parameters.get("workorders.attachment_max_bytes")
    if upload.size > limit:
        raise DomainError(
            ErrorCode.INVALID,
            _("The file is larger than %(mb).1f MB.") % {"mb": limit / 1024 / 1024},
            field="file",
            reason=Reason.ATTACHMENT_SIZE,
        )
    if upload.size == 0:
        raise DomainError(ErrorCode.INVALID, _("The file is empty."), field="file", reason=Reason.ATTACHMENT_SIZE)
    magic = _MAGIC.get(extension)
    if magic:
        head = upload.read(8)
        upload.seek(0)
        if not any(head.startswith(m) for m in magic):
            raise DomainError(
                ErrorCode.INVALID,
                _("The content of the file does not match its type .%(ext)s.") % {"ext": extension},
                field="file",
                reason=Reason.ATTACHMENT_TYPE,
            )
    return name, extension


def add_attachment(user, number: str, upload) -> Attachment:
    """Store a file with the order (on disk under MEDIA_ROOT by default), type and size checked."""
    _require(user, VIEW)
    name, _extension = _check_upload(upload)
    with transaction.atomic():
        order = _lock(number, None, user)
        if not order.is_active:
            _require_open(order)
        now = clock.now()
        attachment = Attachment(
            order=order,
            name=name,
            content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
            size=upload.size,
            uploaded_by=user,
            uploaded_at=now,
        )
        attachment.file.save(name, upload, save=False)
        try:
            with transaction.atomic():
                attachment.save()
                _event(order, user, EventKind.ATTACHMENT, now, name, attachment=attachment.pk, size=attachment.size)
                _audit(user, order, "attach", {"name": name, "size": attachment.size})
        except Exception:
            default_storage.delete(attachment.file.name)
            raise
    return attachment


def get_attachment(user, number: str, attachment_id: int) -> Attachment:
    order = get_order(user, number)
    attachment = order.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such attachment."))
    return attachment


# ---------------------------------------------------------------------------------------------
# merge and split (WO-7)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def merge(user, number: str, others: list[str], *, version: int | None, reason: str = "") -> WorkOrder:
    """Fold duplicates into this order: they close as merged, pointing here; all timelines record it."""
    _require(user, VIEW)
    target = _lock(number, version, user)
    _require_open(target)
    _check_actor(user, target, target.current_step())
    numbers = list(dict.fromkeys(n for n in others if n != target.number))
    if not numbers:
        raise DomainError(ErrorCode.INVALID, _("Name the orders to merge into this one."), field="orders")
    now = clock.now()
    merged = []
    for other_number in sorted(numbers):  # a fixed lock order: two merges never deadlock
        other = _lock(other_number, None, user)
        if not other.is_active or other.customer_id != target.customer_id:
            raise DomainError(
                ErrorCode.CONFLICT,
                _("%(number)s cannot be merged: it must be active and of the same customer.")
                % {"number": other.number},
                field="orders",
                reason=Reason.MERGE_REFUSED,
                order=other.number,
            )
        other.status = Status.CLOSED
        other.closed_at = now
        other.queue = ""
        other.step_due_at = None
        other.merged_into = target
        other.result = _("Merged into %(number)s.") % {"number": target.number}
        _drop_timers(other)
        _save(other, now)
        _event(other, user, EventKind.MERGE, now, reason, into=target.number)
        record_change(user, other, "merge", {"into": target.number})
        merged.append(other.number)
    _save(target, now)
    _event(target, user, EventKind.MERGE, now, reason, merged=merged)
    record_change(user, target, "merge", {"merged": merged})
    return target


@transaction.atomic
def split(user, number: str, parts: list[dict], *, version: int | None) -> list[WorkOrder]:
    """Split requests out of an order into new orders of the same customer (each with its own workflow)."""
    _require(user, VIEW)
    source = _lock(number, version, user)
    _require_open(source)
    _check_actor(user, source, source.current_step())
    if not parts:
        raise DomainError(ErrorCode.INVALID, _("Describe at least one new order."), field="parts")
    now = clock.now()
    created = []
    for index, part in enumerate(parts):
        try:
            order = create(
                user,
                category=part.get("category", ""),
                title=part.get("title", ""),
                description=part.get("description", ""),
                channel=source.channel,
                customer_id=source.customer_id,
                accepting_region=source.accepting_region.code,
                handling_region=source.handling_region.code,
                split_from=source,
            )
        except DomainError as exc:
            exc.field = f"parts[{index}].{exc.field}" if exc.field else f"parts[{index}]"
            raise
        created.append(order)
    _save(source, now)
    _event(source, user, EventKind.SPLIT, now, "", into=[o.number for o in created])
    record_change(user, source, "split", {"into": [o.number for o in created]})
    return created


# ---------------------------------------------------------------------------------------------
# bulk monitoring actions (WO-4)
# ---------------------------------------------------------------------------------------------

BULK_ACTIONS = ("reassign", "urge", "suspend", "resume", "withdraw")


@transaction.atomic
def bulk(user, action: str, numbers: list[str], *, handler: str | None = None, reason: str = "") -> list[WorkOrder]:
    """Apply one monitoring action to many orders: all of them or none (the error names the order)."""
    _require(user, MONITOR)
    if action not in BULK_ACTIONS:
        raise DomainError(ErrorCode.INVALID, _("Unknown action."), field="action")
    if not numbers or len(numbers) > 500:
        raise DomainError(ErrorCode.INVALID, _("Name between 1 and 500 orders."), field="orders")
    now = clock.now()
    done = []
    for number in sorted(dict.fromkeys(numbers)):
        try:
            order = _lock(number, None, user)
            if action == "reassign":
                order = _reassign(user, order, handler, reason, now)
            elif action == "urge":
                order = _urge(user, order, reason, now)
            elif action == "suspend":
                order = _suspend(user, order, reason, now)
            elif action == "resume":
                order = _resume(user, order, now)
            else:
                order = _withdraw(user, order, reason, now)
        except DomainError as exc:
            exc.extra["order"] = number
            exc.message = f"{number}: {exc.message}"
            raise
        done.append(order)
    return done


# ---------------------------------------------------------------------------------------------
# timers (WO-3): fired by the worker, each exactly once
# ---------------------------------------------------------------------------------------------


def fire_timer(timer: Timer, now) -> bool:
    """Apply a due timer to its order, inside the worker's transaction (which holds the order's lock).
    False when the order cannot be locked: the timer stays pending for the next pass."""
    order = WorkOrder.objects.select_for_update(skip_locked=True).filter(pk=timer.order_id).first()
    if order is None:
        return False
    relevant = order.status == Status.OPEN
    if timer.kind in (TimerKind.STEP_WARNING, TimerKind.STEP_DUE):
        relevant = relevant and order.step == timer.step
    if timer.kind == TimerKind.FIRST_RESPONSE:
        relevant = relevant and order.first_responded_at is None
    if not relevant:
        return True
    step = order.current_step()
    if timer.kind in (TimerKind.STEP_WARNING, TimerKind.ORDER_WARNING):
        what = _("the step %(step)s") % {"step": step.name} if timer.kind == TimerKind.STEP_WARNING else _("the order")
        message = _("Work order %(number)s: the time limit of %(what)s is near (due %(due)s).") % {
            "number": order.number,
            "what": what,
            "due": timezone.localtime(
                order.step_due_at if timer.kind == TimerKind.STEP_WARNING else order.due_at
            ).strftime("%Y-%m-%d %H:%M"),
        }
        _event(order, None, EventKind.WARNING, now, message, timer=timer.kind)
        _notify_handler_or_queue(order, "warning", message, now)
        return True
    # overdue: escalate — leaders told, priority raised, optionally reassigned
    labels = {
        TimerKind.STEP_DUE: _("the step %(step)s is overdue") % {"step": step.name},
        TimerKind.ORDER_DUE: _("the order is overdue"),
        TimerKind.FIRST_RESPONSE: _("the customer has had no first response"),
    }
    message = _("Work order %(number)s escalated: %(what)s.") % {"number": order.number, "what": labels[timer.kind]}
    before = current_state(order)
    priority = order.priority
    order.priority = min(order.priority + 1, Priority.URGENT)
    order.escalation_level += 1
    leaders = _notify_leaders(order, "escalation", message, now)
    reassign_to = parameters.get("workorders.escalation_reassign")
    if reassign_to in ("pool", "leader") and order.handler_id:
        new = next((u for u in leaders if may_act(u, order, step)), None) if reassign_to == "leader" else None
        order.handler = new
        order.step_handlers = {
            **{k: v for k, v in order.step_handlers.items() if k != step.code},
            **({step.code: new.pk} if new else {}),
        }
    _save(order, now)
    _event(
        order,
        None,
        EventKind.ESCALATION,
        now,
        message,
        timer=timer.kind,
        priority=[priority, order.priority],
        level=order.escalation_level,
        leaders=[u.username for u in leaders],
    )
    record_change(None, order, "escalate", {"timer": timer.kind, "before": before, "after": current_state(order)})
    return True
