"""Group customers (集团客户) and VPMN (GRP-1..6, VAS-3).

A group belongs to a region (its customer manager's city or county) and every read for staff goes through
`.restrict(user)`. Members are subscribers; a subscriber may belong to several groups but to one VPMN at a
time. Money is integer fen, periods are the first day of their month.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.scope import ScopedQuerySet


class GroupNature(models.TextChoices):
    """重要集团 (party, government, military, police, courts, media, utilities) or 企业集团."""

    IMPORTANT = "important", _("Important group")
    ENTERPRISE = "enterprise", _("Enterprise group")


class GroupGrade(models.TextChoices):
    A = "A", _("Grade A")
    B = "B", _("Grade B")
    C = "C", _("Grade C")


class Industry(models.TextChoices):
    GOVERNMENT = "government", _("Party and government")
    MILITARY = "military", _("Military and armed police")
    JUSTICE = "justice", _("Police, procuratorate and courts")
    MEDIA = "media", _("Media")
    UTILITIES = "utilities", _("Water, power and energy utilities")
    FINANCE = "finance", _("Finance and insurance")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health care")
    TRANSPORT = "transport", _("Transport and logistics")
    TRADE = "trade", _("Trade and retail")
    OTHER = "other", _("Other")


class GroupStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged into another group")
    CHURNED = "churned", _("Left the network")


class GroupQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(status=GroupStatus.ACTIVE)


class GroupCustomer(models.Model):
    code = models.CharField(_("group code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    nature = models.CharField(_("nature"), max_length=10, choices=GroupNature.choices)
    industry = models.CharField(_("industry"), max_length=16, choices=Industry.choices)
    grade = models.CharField(_("grade"), max_length=1, choices=GroupGrade.choices)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="group_customers"
    )
    customer_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_portfolio",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    employees = models.PositiveIntegerField(_("employees"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=GroupStatus.choices, default=GroupStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_groups",
    )
    # 集团大客户: recomputed monthly from the members' bills (`GroupMonth`), or approved by hand.
    is_key_group = models.BooleanField(_("key group (集团大客户)"), default=False)
    key_group_approved = models.BooleanField(_("key group approved by hand"), default=False)
    monthly_spend_fen = models.BigIntegerField(_("monthly spend"), default=0)
    member_count = models.PositiveIntegerField(_("members"), default=0)
    churned_at = models.DateTimeField(_("left the network"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GroupQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("group customer")
        verbose_name_plural = _("group customers")
        ordering = ["code"]
        permissions = [
            ("import_groupmember", _("Can import and export group members")),
            ("run_group_month", _("Can run the monthly group recomputation")),
        ]
        indexes = [
            models.Index(fields=["region", "status"], name="grp_region_status"),
            models.Index(fields=["customer_manager", "status"], name="grp_manager_status"),
            models.Index(fields=["industry", "status"], name="grp_industry_status"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ContactRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    CONTACT = "contact", _("Day-to-day contact")
    FINANCE = "finance", _("Finance")
    IT = "it", _("Communications / IT")


class GroupContact(models.Model):
    """A contact person of the group (集团联系人); awareness surveys ask them (GRP-3)."""

    group = models.ForeignKey(GroupCustomer, verbose_name=_("group"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role"), max_length=10, choices=ContactRole.choices, default=ContactRole.CONTACT)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    msisdn = models.CharField(_("mobile number"), max_length=11)
    email = models.EmailField(_("e-mail"), blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("group contact person")
        verbose_name_plural = _("group contact persons")
        ordering = ["group", "-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class FeePayer(models.TextChoices):
    """话费支付由集团全部、部分负担或由个人承担."""

    GROUP = "group", _("Paid by the group")
    SHARED = "shared", _("Shared")
    MEMBER = "member", _("Paid by the member")


class GroupMember(models.Model):
    """A subscriber's membership of a group; leaving sets `left_on` and keeps the row for churn figures."""

    group = models.ForeignKey(GroupCustomer, verbose_name=_("group"), on_delete=models.CASCADE, related_name="members")
    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.PROTECT, related_name="group_memberships"
    )
    department = models.CharField(_("department"), max_length=60, blank=True)
    fee_payer = models.CharField(_("fees paid by"), max_length=6, choices=FeePayer.choices, default=FeePayer.MEMBER)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["group", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "subscriber"], condition=Q(left_on__isnull=True), name="grp_member_once"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="grp_member_left_after_join"
            ),
        ]
        indexes = [models.Index(fields=["subscriber", "left_on"], name="grp_member_subscriber")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.subscriber_id}"


class GroupMonth(models.Model):
    """A group's figures for one month, written by the monthly recomputation (GRP-1, GRP-3)."""

    group = models.ForeignKey(GroupCustomer, verbose_name=_("group"), on_delete=models.CASCADE, related_name="months")
    month = models.DateField(_("month"))
    members_at_start = models.PositiveIntegerField(_("members at the start"))
    members_left = models.PositiveIntegerField(_("members who left"))
    members_at_end = models.PositiveIntegerField(_("members at the end"))
    spend_fen = models.BigIntegerField(_("spend"))
    rank = models.PositiveIntegerField(_("spend rank"))
    is_key_group = models.BooleanField(_("key group (集团大客户)"))
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("group month")
        verbose_name_plural = _("group months")
        ordering = ["-month", "rank"]
        constraints = [models.UniqueConstraint(fields=["group", "month"], name="grp_month_once")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.month:%Y-%m}"


# --- service plans and contacts (GRP-2) --------------------------------------------------------------------


class ServiceKind(models.TextChoices):
    PHONE_VISIT = "phone_visit", _("Phone visit")
    ONSITE_VISIT = "onsite_visit", _("On-site visit")
    SYMPOSIUM = "symposium", _("Symposium or get-together")
    HOLIDAY_LETTER = "holiday_letter", _("Holiday care letter")
    HOLIDAY_SMS = "holiday_sms", _("Holiday greeting SMS")
    PROMOTION = "promotion", _("New-business promotion")


class PlanPeriod(models.TextChoices):
    MONTH = "month", pgettext_lazy("period", "Month")
    QUARTER = "quarter", pgettext_lazy("period", "Quarter")
    YEAR = "year", pgettext_lazy("period", "Year")


class ServicePlanItem(models.Model):
    """How many contacts of a kind a group of a grade gets per period (the grade's service content plan)."""

    grade = models.CharField(_("grade"), max_length=1, choices=GroupGrade.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    period = models.CharField(_("period"), max_length=8, choices=PlanPeriod.choices)
    times = models.PositiveSmallIntegerField(_("times per period"))

    class Meta:
        verbose_name = _("service plan item")
        verbose_name_plural = _("service plan")
        ordering = ["grade", "kind"]
        constraints = [models.UniqueConstraint(fields=["grade", "kind"], name="grp_plan_item_once")]

    def __str__(self) -> str:
        return f"{self.grade} {self.kind} {self.times}/{self.period}"


class ServiceContact(models.Model):
    """A service contact logged against the plan: who, when, which kind, with which contact person."""

    group = models.ForeignKey(
        GroupCustomer, verbose_name=_("group"), on_delete=models.CASCADE, related_name="service_contacts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    at = models.DateTimeField(_("time"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        GroupContact,
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.CharField(_("summary"), max_length=300)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("group service contact")
        verbose_name_plural = _("group service contacts")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["group", "kind", "at"], name="grp_contact_group_kind")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.kind} {self.at:%Y-%m-%d}"


class GroupSurvey(models.Model):
    """One contact person's answer to a satisfaction and awareness survey (GRP-3).

    Satisfaction is the share of answers `satisfied`; awareness (知晓率) is the share of contact persons who know
    the group's offers and services.
    """

    group = models.ForeignKey(GroupCustomer, verbose_name=_("group"), on_delete=models.CASCADE, related_name="surveys")
    contact = models.ForeignKey(
        GroupContact,
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    surveyed_on = models.DateField(_("surveyed on"))
    satisfied = models.BooleanField(_("satisfied"))
    aware = models.BooleanField(_("knows the group's offers and services"))
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("group survey answer")
        verbose_name_plural = _("group survey answers")
        ordering = ["-surveyed_on", "-id"]
        indexes = [models.Index(fields=["group", "surveyed_on"], name="grp_survey_group_day")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.surveyed_on}"


# --- VPMN (GRP-4, VAS-3) -----------------------------------------------------------------------------------


class VpmnDiscountPlan(models.Model):
    """A VPMN discount plan (优惠方案) an agreement is signed on."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    onnet_discount_percent = models.PositiveSmallIntegerField(_("discount on calls inside the VPMN (%)"))
    monthly_fee_fen = models.PositiveIntegerField(_("monthly function fee per member"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("VPMN discount plan")
        verbose_name_plural = _("VPMN discount plans")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(onnet_discount_percent__lte=100), name="grp_vpmn_discount_percent")
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class VpmnApplication(models.Model):
    """A group's application for a VPMN (发展VPMN): the form, the conditions checked, the approval."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    group = models.ForeignKey(
        GroupCustomer, verbose_name=_("group"), on_delete=models.PROTECT, related_name="vpmn_applications"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # Important groups are approved first (3.3 (4) of the seed): the approval queue sorts on this.
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    applicant_name = models.CharField(_("applicant (group representative)"), max_length=60)
    applicant_msisdn = models.CharField(_("applicant's mobile number"), max_length=11)
    requested_plan = models.ForeignKey(
        VpmnDiscountPlan, verbose_name=_("discount plan requested"), on_delete=models.PROTECT, related_name="+"
    )
    expected_members = models.PositiveIntegerField(_("members expected"))
    short_number_from = models.CharField(_("short numbers from"), max_length=8)
    short_number_to = models.CharField(_("short numbers to"), max_length=8)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12)
    note = models.TextField(_("note"), blank=True)
    gotone_members = models.PositiveIntegerField(_("GoTone members when submitted"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("VPMN application")
        verbose_name_plural = _("VPMN applications")
        ordering = ["-priority", "submitted_at", "id"]
        permissions = [("approve_vpmnapplication", _("Can approve or reject VPMN applications"))]

    def __str__(self) -> str:
        return self.number


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    RENEWING = "renewing", _("Renewal in progress")
    RENEWED = "renewed", _("Renewed")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class VpmnNetwork(models.Model):
    """A group's VPMN: its short-number range; members and agreements hang off it."""

    group = models.OneToOneField(GroupCustomer, verbose_name=_("group"), on_delete=models.PROTECT, related_name="vpmn")
    short_number_from = models.CharField(_("short numbers from"), max_length=8)
    short_number_to = models.CharField(_("short numbers to"), max_length=8)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("VPMN")
        verbose_name_plural = _("VPMNs")

    def __str__(self) -> str:
        return f"VPMN {self.group_id}"


class VpmnAgreement(models.Model):
    """A VPMN agreement (集团服务协议) with its term and discount plan; renewals chain through `renewal_of`."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    network = models.ForeignKey(
        VpmnNetwork, verbose_name=_("VPMN"), on_delete=models.PROTECT, related_name="agreements"
    )
    application = models.ForeignKey(
        VpmnApplication,
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    renewal_of = models.ForeignKey(
        "self", verbose_name=_("renewal of"), null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )
    discount_plan = models.ForeignKey(
        VpmnDiscountPlan, verbose_name=_("discount plan"), on_delete=models.PROTECT, related_name="agreements"
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    status = models.CharField(
        _("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "network__group__region"

    class Meta:
        verbose_name = _("VPMN agreement")
        verbose_name_plural = _("VPMN agreements")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="grp_agreement_ends_after_start")
        ]
        indexes = [models.Index(fields=["status", "ends_on"], name="grp_agreement_due")]

    def __str__(self) -> str:
        return self.number


class VpmnMemberQuerySet(ScopedQuerySet):
    def in_force(self, day):
        """Members on `day`: not removed, or removed as from a later day (a removal may be dated ahead, e.g. to
        the end of the month: the member keeps the short number until then)."""
        return self.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day))


class VpmnMember(models.Model):
    """A subscriber in a VPMN with a short number from `effective_from`; removal sets `effective_to`, the
    first day without it (`VpmnMemberQuerySet.in_force`).

    A subscriber is in at most one VPMN at a time and a short number is used once within a VPMN: both are
    checked on the rows in force (kefu.groups.vpmn) and backed by partial unique constraints on the rows
    without an end.
    """

    network = models.ForeignKey(VpmnNetwork, verbose_name=_("VPMN"), on_delete=models.CASCADE, related_name="members")
    subscriber = models.ForeignKey(
        "customers.Subscriber", verbose_name=_("subscriber"), on_delete=models.PROTECT, related_name="vpmn_memberships"
    )
    short_number = models.CharField(_("short number"), max_length=8)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = VpmnMemberQuerySet.as_manager()
    scope_field = "network__group__region"

    class Meta:
        verbose_name = _("VPMN member")
        verbose_name_plural = _("VPMN members")
        ordering = ["network", "short_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "short_number"],
                condition=Q(effective_to__isnull=True),
                name="grp_vpmn_short_number_once",
            ),
            models.UniqueConstraint(
                fields=["subscriber"], condition=Q(effective_to__isnull=True), name="grp_vpmn_one_network"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="grp_vpmn_member_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network_id}:{self.short_number}"


class VpmnRenewal(models.Model):
    """The renewal of an agreement, run as a work order of the `vpmn-renewal` workflow (GRP-4)."""

    agreement = models.OneToOneField(
        VpmnAgreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="renewal"
    )
    work_order = models.OneToOneField(
        "workorders.WorkOrder", verbose_name=_("work order"), on_delete=models.PROTECT, related_name="vpmn_renewal"
    )
    new_agreement = models.OneToOneField(
        VpmnAgreement,
        verbose_name=_("new agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewed_by",
    )
    started_at = models.DateTimeField(_("started"))
    skipped_steps = models.JSONField(_("steps skipped for the grade"), default=list, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "agreement__network__group__region"

    class Meta:
        verbose_name = _("VPMN renewal")
        verbose_name_plural = _("VPMN renewals")

    def __str__(self) -> str:
        return f"{self.agreement_id} → {self.work_order_id}"


# --- group products, promotion and training (GRP-5) -------------------------------------------------------


class ProductKind(models.TextChoices):
    GROUP_SMS = "group_sms", _("Group SMS")
    MOBILE_OFFICE = "mobile_office", _("Mobile office")
    LOCATION = "location", _("Mobile location")
    WLAN = "wlan", _("WLAN")
    IP_VAS = "ip_vas", _("IP value-added services")
    CELL_BROADCAST = "cell_broadcast", _("Cell broadcast")
    OTHER = "other", _("Other")


class GroupProduct(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices)
    monthly_fee_fen = models.PositiveIntegerField(_("monthly fee"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("group product")
        verbose_name_plural = _("group products")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class GroupSubscription(models.Model):
    group = models.ForeignKey(
        GroupCustomer, verbose_name=_("group"), on_delete=models.CASCADE, related_name="product_subscriptions"
    )
    product = models.ForeignKey(
        GroupProduct, verbose_name=_("product"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    quantity = models.PositiveIntegerField(_("quantity (lines or seats)"), default=1)
    started_on = models.DateField(_("started"))
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sold by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("group product subscription")
        verbose_name_plural = _("group product subscriptions")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "product"], condition=Q(ended_on__isnull=True), name="grp_subscription_once"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")), name="grp_subscription_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.product_id}"


class PromotionPlan(models.Model):
    """A month's promotion target for a product in a region (the promotion plan of the seed's chapter 4)."""

    product = models.ForeignKey(GroupProduct, verbose_name=_("product"), on_delete=models.PROTECT, related_name="plans")
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    target_subscriptions = models.PositiveIntegerField(_("target (new subscriptions)"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("promotion plan")
        verbose_name_plural = _("promotion plans")
        ordering = ["-month", "product"]
        constraints = [models.UniqueConstraint(fields=["product", "region", "month"], name="grp_promotion_once")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.region_id} {self.month:%Y-%m}"


class TrainingSession(models.Model):
    """A training of customer managers on a product (业务培训)."""

    product = models.ForeignKey(
        GroupProduct,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    held_on = models.DateField(_("held on"))
    trainer = models.CharField(_("trainer"), max_length=60)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


# --- special services (GRP-6) ------------------------------------------------------------------------------


class ServiceEvent(models.Model):
    """An on-site mobile service event (流动服务) at a group, with the work done there."""

    group = models.ForeignKey(
        GroupCustomer, verbose_name=_("group"), on_delete=models.PROTECT, related_name="service_events"
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=120)
    new_lines = models.PositiveIntegerField(_("new lines opened"), default=0)
    vpmn_joins = models.PositiveIntegerField(_("VPMN joins"), default=0)
    demonstrations = models.CharField(_("products demonstrated"), max_length=300, blank=True)
    other_work = models.CharField(_("other work done"), max_length=300, blank=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("staff"), blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "group__region"

    class Meta:
        verbose_name = _("on-site service event")
        verbose_name_plural = _("on-site service events")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.group_id} {self.held_on}"


class EventSurvey(models.Model):
    """A participant's answer to the survey of an on-site service event."""

    SCORES = [(n, str(n)) for n in range(1, 6)]

    event = models.ForeignKey(ServiceEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="surveys")
    participant = models.CharField(_("participant"), max_length=60)
    msisdn = models.CharField(_("mobile number"), max_length=11, blank=True)
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), choices=SCORES)
    needs = models.CharField(_("needs expressed"), max_length=300, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "event__group__region"

    class Meta:
        verbose_name = _("event survey answer")
        verbose_name_plural = _("event survey answers")
        ordering = ["event", "id"]
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="grp_event_score_range")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.participant}"
