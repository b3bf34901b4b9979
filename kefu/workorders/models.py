"""Work orders (WO-1..7): one model for every category, workflows as versioned data, SLA timers.

The scope of an order is its handling region, but the accepting region's staff see it too (WO-6):
`WorkOrderQuerySet.restrict` lets a row through when either region is in the caller's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kefu.core.models import ChoiceLabels
from kefu.core.scope import ScopedQuerySet, scope_region_ids
from kefu.customers.models import Channel, VipTier


def _localised(name: str, name_en: str) -> str:
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


class Workflow(models.Model):
    """A workflow (工单流程): its steps and transitions live in immutable published versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["code"]
        permissions = [("publish_workflow", _("Can edit and publish workflows"))]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)


class ImmutableVersionError(Exception):
    pass


class WorkflowVersion(models.Model):
    """One version of a workflow's definition (kefu.workorders.workflow). A draft may be edited; a
    published version never changes, and every order keeps the version it started on."""

    workflow = models.ForeignKey(
        Workflow, verbose_name=_("workflow"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("workflow version")
        verbose_name_plural = _("workflow versions")
        ordering = ["workflow", "-number"]
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_unique")]

    def __str__(self) -> str:
        return f"{self.workflow.code} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk and WorkflowVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise ImmutableVersionError(f"{self} is published and cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.published:
            raise ImmutableVersionError(f"{self} is published and cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def parsed(self):
        """The definition as a WorkflowDef; published versions never change, so each process parses one once."""
        key = (self.pk, self.published_at)
        cached = _PARSED.get(key) if self.published_at is not None else None
        if cached is None:
            from kefu.workorders.workflow import parse

            cached = parse(self.definition)
            if self.published_at is not None and self.pk:
                _PARSED[key] = cached
        return cached


_PARSED: dict[tuple, object] = {}


class CategoryKind(models.TextChoices):
    BUSINESS = "business", _("Business acceptance")
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    CROSS_REGION = "cross_region", _("Cross-region service")


class Category(models.Model):
    """A node of the category tree; an order's workflow comes from its category or the nearest ancestor's."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CategoryKind.choices)
    workflow = models.ForeignKey(
        Workflow, verbose_name=_("workflow"), null=True, blank=True, on_delete=models.PROTECT, related_name="categories"
    )
    requires_customer = models.BooleanField(_("requires a customer"), default=True)
    active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)
    path = models.CharField(_("path"), max_length=200, unique=True, editable=False)

    class Meta:
        verbose_name = _("work-order category")
        verbose_name_plural = _("work-order categories")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    def lineage(self) -> list[Category]:
        """This category and its ancestors, nearest first."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def effective_workflow(self) -> Workflow | None:
        return next((c.workflow for c in self.lineage() if c.workflow_id), None)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    SUSPENDED = "suspended", pgettext_lazy("work order", "Suspended")
    CLOSED = "closed", pgettext_lazy("work order", "Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RootCause(models.TextChoices):
    NETWORK = "network", _("Network coverage or quality")
    BILLING = "billing", _("Billing or charging error")
    SP = "sp", _("SP / value-added service provider")
    BUSINESS_RULE = "business_rule", _("Business rule or policy")
    SERVICE = "service", _("Service attitude or quality of staff")
    SYSTEM = "system", _("System fault")
    TERMINAL = "terminal", _("Handset or SIM card")
    CUSTOMER = "customer", _("Customer misunderstanding")
    OTHER = "other", _("Other")


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class WorkOrderQuerySet(ScopedQuerySet):
    def restrict(self, user) -> WorkOrderQuerySet:
        """Visible when the handling region or the accepting region is in the caller's scope (WO-6)."""
        ids = scope_region_ids(user)
        if ids is None:
            return self
        return self.filter(Q(handling_region__in=ids) | Q(accepting_region__in=ids))

    def active(self):
        return self.filter(status__in=(Status.OPEN, Status.SUSPENDED))


class WorkOrder(ChoiceLabels, models.Model):
    number = models.CharField(_("number"), max_length=24)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="orders")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Foreign keys that lead a composite index below carry no index of their own (db_index=False):
    # one index fewer to write with every order.
    customer = models.ForeignKey(
        "customers.Subscriber",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        db_index=False,  # wo_duplicates
    )
    vip_tier = models.CharField(_("VIP tier"), max_length=12, choices=VipTier.choices, default=VipTier.ORDINARY)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    accepting_region = models.ForeignKey(
        "core.Region",
        verbose_name=_("accepting region"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # wo_accepting
    )
    handling_region = models.ForeignKey(
        "core.Region",
        verbose_name=_("handling region"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # wo_region_step_due
    )
    cross_region = models.BooleanField(_("cross-region"), default=False)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
        db_index=False,  # wo_handler_queue
    )
    workflow_version = models.ForeignKey(
        WorkflowVersion, verbose_name=_("workflow version"), on_delete=models.PROTECT, related_name="orders"
    )
    step = models.CharField(_("step"), max_length=40)
    # The group queue the current step waits in and the region whose staff act there (denormalised
    # from the workflow version so that "my group's orders" is one indexed query).
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    queue_region = models.ForeignKey(
        "core.Region", verbose_name=_("queue region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    step_entered_at = models.DateTimeField(_("step entered"))
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True)
    due_at = models.DateTimeField(_("order due"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("times re-opened"), default=0)
    result = models.TextField(_("result"), blank=True)
    root_cause = models.CharField(_("root cause"), max_length=20, choices=RootCause.choices, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True)
    data = models.JSONField(_("other fields"), default=dict, blank=True)
    # The last handler at each step, so that an order sent back to a step finds its handler again.
    step_handlers = models.JSONField(_("handlers by step"), default=dict, blank=True)
    # Rarely set: indexed only where set (partial indexes below), so that new orders write no entry.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        db_index=False,
    )
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="splits",
        db_index=False,
    )
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = WorkOrderQuerySet.as_manager()
    scope_field = "handling_region"

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("monitor_workorder", _("Can monitor work orders: reassign, suspend and withdraw in bulk")),
            ("supervise_workorder", _("Can supervise work orders (督办)")),
        ]
        indexes = [
            # The group queue: open orders of a queue and step in due-time order. Partial (open orders
            # only) and covering the region columns, so that PostgreSQL reads a queue page from the index
            # alone, in order, and stops at the 20th order of the caller's regions — no sort of every
            # match (bench/workorder_queue.py: 1,000,000 orders).
            models.Index(
                fields=["queue", "step", "step_due_at", "id"],
                include=["queue_region", "handling_region", "accepting_region"],
                condition=Q(status="open"),
                name="wo_group_queue_open",
            ),
            models.Index(fields=["handling_region", "step", "step_due_at"], name="wo_region_step_due"),
            models.Index(fields=["handler", "status", "step_due_at"], name="wo_handler_queue"),
            models.Index(fields=["accepting_region", "status"], name="wo_accepting"),
            models.Index(fields=["customer", "category", "created_at"], name="wo_duplicates"),
            models.Index(fields=["status", "step_due_at"], name="wo_status_due"),
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="wo_merged_into"),
            models.Index(fields=["split_from"], condition=Q(split_from__isnull=False), name="wo_split_from"),
        ]
        # A constraint rather than unique=True: the same unique index without PostgreSQL's extra
        # pattern (LIKE) index on the number, which nothing searches by prefix.
        constraints = [models.UniqueConstraint(fields=["number"], name="wo_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"[:200]

    @property
    def region_id(self):  # record_change files the audit event under the handling region
        return self.handling_region_id

    @property
    def is_active(self) -> bool:
        return self.status in (Status.OPEN, Status.SUSPENDED)

    def definition(self):
        return self.workflow_version.parsed()

    def current_step(self):
        return self.definition().step(self.step)


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Moved on")
    CLAIM = "claim", _("Claimed")
    REASSIGN = "reassign", _("Reassigned")
    TRANSFER = "transfer", _("Transferred to another region")
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Reply to the customer")
    URGE = "urge", _("Urged")
    SUPERVISE = "supervise", _("Supervised")
    WARNING = "warning", _("Time-limit warning")
    ESCALATION = "escalation", _("Escalated")
    ATTACHMENT = "attachment", _("Attachment added")
    SUSPEND = "suspend", pgettext_lazy("work order", "Suspended")
    RESUME = "resume", _("Resumed")
    WITHDRAW = "withdraw", _("Withdrawn")
    MERGE = "merge", _("Merged")
    SPLIT = "split", _("Split")
    CLOSE = "close", pgettext_lazy("work order", "Closed")
    CALLBACK = "callback", _("Customer callback")
    REOPEN = "reopen", _("Re-opened")
    UPDATE = "update", _("Details changed")


class WorkOrderEvent(models.Model):
    """The timeline: every creation, transition, note, reply, urge, escalation, … of an order."""

    order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # wo_event_timeline
    )
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    step = models.CharField(_("step"), max_length=40, blank=True)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("work-order event")
        verbose_name_plural = _("work-order timeline")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="wo_event_timeline")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def public(self) -> bool:
        """Shown to the customer (self-service portal): replies and the main milestones, never notes."""
        return self.kind in (EventKind.CREATED, EventKind.REPLY, EventKind.CLOSE, EventKind.CALLBACK)


def attachment_path(instance, filename: str) -> str:
    return f"workorders/{instance.order.created_at:%Y/%m}/{instance.order.number}/{filename}"


class Attachment(models.Model):
    order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class TimerKind(models.TextChoices):
    STEP_WARNING = "step_warning", _("Step time-limit warning")
    STEP_DUE = "step_due", _("Step time limit")
    ORDER_WARNING = "order_warning", _("Order time-limit warning")
    ORDER_DUE = "order_due", _("Order time limit")
    FIRST_RESPONSE = "first_response", _("First-response time limit")


class Timer(models.Model):
    """A row with a due time, fired once by the background worker (`kefu worker`); survives restarts."""

    order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="timers",
        db_index=False,  # wo_timer_order
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TimerKind.choices)
    step = models.CharField(_("step"), max_length=40, blank=True)
    due_at = models.DateTimeField(_("due"))
    fired_at = models.DateTimeField(_("fired"), null=True, blank=True)
    # While the order is suspended the timer waits, keeping the working hours it had left.
    paused_hours = models.FloatField(_("hours left while paused"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(fired_at__isnull=True), name="wo_timer_pending"),
            models.Index(fields=["order", "kind"], name="wo_timer_order"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.due_at:%Y-%m-%d %H:%M}"


class NumberSequence(models.Model):
    """The last number handed out per day, for WO<yyyymmdd><nnnnnn>."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("work-order number sequence")
        verbose_name_plural = _("work-order number sequences")

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


class Listener(models.Model):
    """A TMF621 hub subscription: events about the orders its owner may see are POSTed to `callback`."""

    callback = models.URLField(_("callback URL"), max_length=500)
    query = models.CharField(_("query"), max_length=500, blank=True)
    event_types = models.JSONField(_("event types"), default=list, blank=True)  # empty: every event
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("event listener")
        verbose_name_plural = _("event listeners")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.callback


class OutboxEvent(models.Model):
    """An event waiting for delivery to a listener, written in the transaction of the change it reports
    (so it is never lost) and delivered by the worker with retries and back-off."""

    listener = models.ForeignKey(Listener, verbose_name=_("listener"), on_delete=models.CASCADE, related_name="outbox")
    event_id = models.CharField(_("event id"), max_length=40, unique=True)
    event_type = models.CharField(_("event type"), max_length=60)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    dead = models.BooleanField(_("given up"), default=False)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("outgoing event")
        verbose_name_plural = _("outgoing events")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True, dead=False),
                name="wo_outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
