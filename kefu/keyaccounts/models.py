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
