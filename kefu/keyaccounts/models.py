"""Key accounts: rule versions (KA-1), grading runs and tier changes (KA-2), points ledger and
redemption (KA-3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kefu.core.scope import ScopedQuerySet
from kefu.customers.models import VipTier


class RuleSet(models.Model):
    """A family of rule versions; the personal key-account rules are the ruleset `personal`."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PREVIEWED = "previewed", _("Previewed")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class RuleVersion(models.Model):
    """One version of the rules: drafted, previewed, approved by a second person, published; kept forever."""

    ruleset = models.ForeignKey(RuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    rules = models.JSONField(_("rules"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    previewed_at = models.DateTimeField(_("previewed"), null=True, blank=True)
    preview_month = models.DateField(_("preview month"), null=True, blank=True)
    preview = models.JSONField(_("preview summary"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["ruleset", "-number"]
        permissions = [("approve_ruleversion", _("Can approve and publish rule versions"))]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "number"], name="ka_version_number"),
            models.UniqueConstraint(
                fields=["ruleset"], condition=Q(status="published"), name="ka_one_published_version"
            ),
            # Separation of duties: whoever drafted a version cannot approve it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(drafted_by__isnull=True) | ~Q(approved_by=F("drafted_by")),
                name="ka_approver_is_not_drafter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ruleset.code} v{self.number}"


class GradingRun(models.Model):
    """One application of the published rules to every subscriber for a month."""

    month = models.DateField(_("month"))
    rule_version = models.ForeignKey(
        RuleVersion, verbose_name=_("rule version"), on_delete=models.PROTECT, related_name="runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    subscribers = models.PositiveIntegerField(_("subscribers graded"), default=0)
    tier_changes = models.PositiveIntegerField(_("tier changes"), default=0)
    credit_changes = models.PositiveIntegerField(_("credit changes"), default=0)
    potential = models.PositiveIntegerField(_("potential VIPs"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("grading run")
        verbose_name_plural = _("grading runs")
        ordering = ["-started_at", "-id"]
        permissions = [
            ("run_grading", _("Can run the monthly grading and points jobs")),
            ("load_warehouse", _("Can load the warehouse")),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.rule_version_id}"


class TierChangeQuerySet(ScopedQuerySet):
    pass


class TierChange(models.Model):
    """A change of a subscriber's VIP tier or credit level by grading, with its reason."""

    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    month = models.DateField(_("month"))
    run = models.ForeignKey(GradingRun, verbose_name=_("grading run"), on_delete=models.CASCADE, related_name="changes")
    rule_version = models.ForeignKey(RuleVersion, verbose_name=_("rule version"), on_delete=models.PROTECT)
    old_tier = models.CharField(_("old tier"), max_length=12, choices=VipTier.choices)
    new_tier = models.CharField(_("new tier"), max_length=12, choices=VipTier.choices)
    old_credit = models.PositiveSmallIntegerField(_("old credit level"))
    new_credit = models.PositiveSmallIntegerField(_("new credit level"))
    reason = models.CharField(_("reason"), max_length=300)
    reason_data = models.JSONField(_("reason data"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TierChangeQuerySet.as_manager()
    scope_field = "subscriber__region"

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["subscriber", "month"], name="ka_tierchange_subscriber")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.month:%Y-%m} {self.old_tier}→{self.new_tier}"


class PointsKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual from spend")
    TENURE_BONUS = "tenure_bonus", _("Tenure bonus")
    REDEMPTION = "redemption", _("Redemption")
    EXPIRY = "expiry", _("Expiry")
    ADJUSTMENT = "adjustment", _("Adjustment")


# Kinds written at most once per subscriber and month (the monthly jobs are idempotent by this key).
ONCE_A_MONTH = (PointsKind.ACCRUAL, PointsKind.TENURE_BONUS, PointsKind.EXPIRY)


class PointsEntryQuerySet(ScopedQuerySet):
    pass


class PointsEntry(models.Model):
    """One line of a subscriber's points ledger; `Subscriber.points_balance` is the sum of the lines."""

    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="points_entries"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PointsKind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=200)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    month = models.DateField(_("month"), help_text=_("The month the points count in (first day)."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PointsEntryQuerySet.as_manager()
    scope_field = "subscriber__region"

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("adjust_points", _("Can adjust points with a reason")),
            ("redeem_points", _("Can redeem points for customers")),
            ("redeem_cross_region", _("Can redeem points for customers of another region")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "kind", "month"],
                condition=Q(kind__in=["accrual", "tenure_bonus", "expiry"]),
                name="ka_points_once_a_month",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ka_points_balance_after_not_negative"),
            models.CheckConstraint(condition=~Q(points=0), name="ka_points_not_zero"),
        ]
        indexes = [models.Index(fields=["subscriber", "month"], name="ka_points_subscriber_month")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.kind} {self.points:+d}"


class RedemptionItem(models.Model):
    """A gift or service in the redemption catalogue."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    points = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(_("stock"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("redemption item")
        verbose_name_plural = _("redemption catalogue")
        ordering = ["points", "code"]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="ka_item_points_positive")]

    def __str__(self) -> str:
        return self.name


class RedemptionQuerySet(ScopedQuerySet):
    pass


class Redemption(models.Model):
    """Points exchanged for a catalogue item, by a staff member, possibly for a customer of another region."""

    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="redemptions"
    )
    item = models.ForeignKey(RedemptionItem, verbose_name=_("item"), on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.PositiveIntegerField(_("points"))
    entry = models.OneToOneField(PointsEntry, verbose_name=_("ledger entry"), on_delete=models.PROTECT)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.PROTECT, related_name="+"
    )
    staff_region = models.ForeignKey(
        "core.Region", verbose_name=_("staff region"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    customer_region = models.ForeignKey(
        "core.Region", verbose_name=_("customer region"), on_delete=models.PROTECT, related_name="+"
    )
    cross_region = models.BooleanField(_("cross-region"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RedemptionQuerySet.as_manager()
    scope_field = "customer_region"

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.item_id} ×{self.quantity}"


# --- privileges (KA-4, KA-5) -------------------------------------------------------------------------------


class VipCard(models.Model):
    """The VIP card of a key account: its number is what a partner may be shown instead of the MSISDN."""

    subscriber = models.OneToOneField(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="vip_card"
    )
    number = models.CharField(_("card number"), max_length=20, unique=True)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("VIP card")
        verbose_name_plural = _("VIP cards")

    def __str__(self) -> str:
        return self.number


class PartnerService(models.TextChoices):
    AIRPORT_LOUNGE = "airport_lounge", _("Airport lounge (易登机)")
    RAILWAY_LOUNGE = "railway_lounge", _("Railway lounge (易登车)")
    PICKUP = "pickup", _("Diamond pick-up")


class Partner(models.Model):
    """A partner serving key accounts (a lounge, a pick-up service); it calls the partner API with its own
    token (only the token's SHA-256 is stored), never with a staff login."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    service = models.CharField(_("service"), max_length=16, choices=PartnerService.choices)
    price_fen = models.PositiveIntegerField(_("price per person (fen)"), default=0)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PrivilegeUseQuerySet(ScopedQuerySet):
    pass


class PrivilegeUse(models.Model):
    """A visit to a partner's lounge (with at most one companion) or a pick-up booking, counted against the
    tier's yearly allowance; the partner's monthly settlement sums them."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="uses")
    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="privilege_uses"
    )
    service = models.CharField(_("service"), max_length=16, choices=PartnerService.choices)
    tier = models.CharField(_("VIP tier"), max_length=12, choices=VipTier.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    persons = models.PositiveSmallIntegerField(_("persons"))
    used_at = models.DateTimeField(_("time"))
    scheduled_for = models.DateTimeField(_("booked for"), null=True, blank=True)
    details = models.CharField(_("details"), max_length=200, blank=True)
    reference = models.CharField(_("partner's reference"), max_length=60)
    price_fen = models.PositiveIntegerField(_("amount (fen)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PrivilegeUseQuerySet.as_manager()
    scope_field = "subscriber__region"

    class Meta:
        verbose_name = _("privilege use")
        verbose_name_plural = _("privilege uses")
        ordering = ["-used_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "reference"], name="ka_use_partner_reference"),
            models.CheckConstraint(condition=Q(companions__lte=1), name="ka_use_at_most_one_companion"),
        ]
        indexes = [models.Index(fields=["subscriber", "year"], name="ka_use_subscriber_year")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.subscriber_id} {self.used_at:%Y-%m-%d}"


class GreenChannelStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    FULFILLED = "fulfilled", _("Fulfilled")


class GreenChannelQuerySet(ScopedQuerySet):
    pass


class GreenChannelRequest(models.Model):
    """绿色通道: a customer manager asks for out-of-hours service for a key account; a second person approves;
    the service is then fulfilled. Every step is audited."""

    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="green_channel"
    )
    service = models.CharField(_("service wanted"), max_length=200)
    wanted_at = models.DateTimeField(_("wanted at"))
    status = models.CharField(
        _("status"), max_length=10, choices=GreenChannelStatus.choices, default=GreenChannelStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fulfilled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = GreenChannelQuerySet.as_manager()
    scope_field = "subscriber__region"

    class Meta:
        verbose_name = _("green-channel request")
        verbose_name_plural = _("green-channel requests")
        ordering = ["-requested_at", "-id"]
        permissions = [
            ("request_greenchannel", _("Can request the green channel for a key account")),
            ("approve_greenchannel", _("Can approve green-channel requests")),
            ("fulfil_greenchannel", _("Can fulfil green-channel requests")),
            ("manage_partners", _("Can manage partners and read their settlements")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="ka_green_decider_is_not_requester",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.wanted_at:%Y-%m-%d %H:%M}"


# --- appointments (KA-4) -----------------------------------------------------------------------------------


class AppointmentKind(models.TextChoices):
    HALL_VIP = "hall_vip", _("Business-hall VIP service")
    MANAGER_VISIT = "manager_visit", _("Customer-manager visit")


class SlotQuerySet(ScopedQuerySet):
    pass


class AppointmentSlot(models.Model):
    """A bookable time of a business hall (its region) or of a customer manager, with a capacity."""

    kind = models.CharField(_("kind"), max_length=14, choices=AppointmentKind.choices)
    region = models.ForeignKey("core.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    objects = SlotQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="ka_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="ka_slot_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Done")


class AppointmentQuerySet(ScopedQuerySet):
    pass


class Appointment(models.Model):
    """A customer's booking of a slot; a reminder is sent at `remind_at` by the worker."""

    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="appointments"
    )
    slot = models.ForeignKey(
        AppointmentSlot, verbose_name=_("slot"), on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppointmentQuerySet.as_manager()
    scope_field = "subscriber__region"

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-created_at", "-id"]
        permissions = [("book_appointment", _("Can book appointments for customers"))]
        indexes = [
            models.Index(
                fields=["remind_at"], condition=Q(reminded_at__isnull=True, status="booked"), name="ka_appt_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.slot_id} {self.status}"


# --- customer managers (KA-6) ------------------------------------------------------------------------------


class PlanPeriod(models.TextChoices):
    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")


class WorkPlan(models.Model):
    """A customer manager's plan for a year, a month or a week (starting on `starts_on`)."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer manager"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=5, choices=PlanPeriod.choices)
    starts_on = models.DateField(_("starts"))
    goals = models.TextField(_("goals"))
    target_visits = models.PositiveIntegerField(_("visits planned"), default=0)
    target_calls = models.PositiveIntegerField(_("calls planned"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["-starts_on", "period"]
        constraints = [
            models.UniqueConstraint(fields=["manager", "period", "starts_on"], name="ka_plan_one_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.manager_id} {self.period} {self.starts_on}"


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    CARE = "care", _("Care (greeting, gift)")


class WorkLogQuerySet(ScopedQuerySet):
    pass


class WorkLog(models.Model):
    """One entry of a customer manager's daily work log: a visit, a call or a care action for a customer."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer manager"), on_delete=models.CASCADE, related_name="+"
    )
    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="manager_log"
    )
    kind = models.CharField(_("kind"), max_length=5, choices=ContactKind.choices)
    at = models.DateTimeField(_("time"))
    summary = models.CharField(_("summary"), max_length=300)

    objects = WorkLogQuerySet.as_manager()
    scope_field = "subscriber__region"

    class Meta:
        verbose_name = _("work-log entry")
        verbose_name_plural = _("work log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subscriber", "at"], name="ka_worklog_subscriber")]

    def __str__(self) -> str:
        return f"{self.manager_id} {self.kind} {self.at:%Y-%m-%d}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    EVALUATED = "evaluated", _("Evaluated")


class ManagerTask(models.Model):
    """A task dispatched to a customer manager with a deadline; the manager reports progress, the dispatcher
    evaluates (score 1–5)."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer manager"), on_delete=models.CASCADE, related_name="+"
    )
    subscriber = models.ForeignKey(
        "customers.Subscriber",
        verbose_name=_("subscriber"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    deadline = models.DateField(_("deadline"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_note = models.CharField(_("progress note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    evaluation = models.PositiveSmallIntegerField(_("evaluation"), null=True, blank=True)
    evaluation_note = models.CharField(_("evaluation note"), max_length=300, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dispatched by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("manager task")
        verbose_name_plural = _("manager tasks")
        ordering = ["deadline", "id"]
        permissions = [("dispatch_managertask", _("Can dispatch and evaluate customer managers' tasks"))]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="ka_task_progress_percent"),
            models.CheckConstraint(
                condition=Q(evaluation__isnull=True) | Q(evaluation__gte=1, evaluation__lte=5),
                name="ka_task_evaluation_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderRun(models.Model):
    """The daily reminder job ran for this day (so the worker generates each day's reminders once)."""

    day = models.DateField(_("day"), unique=True)
    notifications = models.PositiveIntegerField(_("notifications"), default=0)
    ran_at = models.DateTimeField(_("ran"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder run")
        verbose_name_plural = _("reminder runs")

    def __str__(self) -> str:
        return str(self.day)
