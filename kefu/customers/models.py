"""Subscribers, bills, payments, usage, subscriptions and information updates (CUS-1..5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kefu.core.models import ChoiceLabels
from kefu.core.scope import ScopedQuerySet
from kefu.core.validators import validate_msisdn


class Brand(models.TextChoices):
    GOTONE = "gotone", _("GoTone")
    MZONE = "mzone", _("M-Zone")
    EASYOWN = "easyown", _("Easyown")


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ARREARS_STOPPED = "arrears_stopped", _("Stopped for arrears")
    CLOSED = "closed", _("Closed")


class VipTier(models.TextChoices):
    DIAMOND = "diamond", _("Diamond card")
    GOLD = "gold", _("Gold card")
    SILVER = "silver", _("Silver card")
    HIGH_VALUE = "high_value", _("Personal high value")
    ORDINARY = "ordinary", _("Ordinary")


class CreditLevel(models.IntegerChoices):
    ONE = 1, _("1 star")
    TWO = 2, _("2 stars")
    THREE = 3, _("3 stars")
    FOUR = 4, _("4 stars")
    FIVE = 5, _("5 stars")


class IdType(models.TextChoices):
    ID_CARD = "id_card", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO = "hk_macao", _("Mainland travel permit for Hong Kong and Macao residents")
    MILITARY = "military", _("Military ID")
    BUSINESS_LICENCE = "business", _("Business licence")


class ProfileStore(models.TextChoices):
    """On-net and retained profile stores (CUS-4): a closed subscriber's profile is retained with its history."""

    ON_NET = "on_net", _("On-net profiles")
    RETAINED = "retained", _("Retained profiles")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    HALL = "hall", _("Business hall")
    WEB = "web", _("Internet")
    TERMINAL = "terminal", _("Self-service terminal")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    FAX = "fax", _("Fax")
    LETTER = "letter", _("Letter")
    MANAGER = "manager", _("Customer manager")
    BOSS = "boss", _("BOSS interface")


class PricePlan(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    brand = models.CharField(_("brand"), max_length=10, choices=Brand.choices)
    monthly_fee_fen = models.PositiveIntegerField(_("monthly fee (fen)"))

    class Meta:
        verbose_name = _("price plan")
        verbose_name_plural = _("price plans")
        ordering = ["brand", "monthly_fee_fen"]

    def __str__(self) -> str:
        return self.name


class SubscriberQuerySet(ScopedQuerySet):
    def on_net(self):
        return self.filter(store=ProfileStore.ON_NET)


class Subscriber(ChoiceLabels, models.Model):
    msisdn = models.CharField(_("MSISDN"), max_length=11, validators=[validate_msisdn])
    name = models.CharField(_("name"), max_length=60)
    id_type = models.CharField(_("ID type"), max_length=10, choices=IdType.choices, default=IdType.ID_CARD)
    id_number = models.CharField(_("ID number"), max_length=32)
    address = models.CharField(_("address"), max_length=200, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    brand = models.CharField(_("brand"), max_length=10, choices=Brand.choices)
    price_plan = models.ForeignKey(PricePlan, verbose_name=_("price plan"), on_delete=models.PROTECT)
    status = models.CharField(
        _("status"), max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.ACTIVE
    )
    store = models.CharField(
        _("profile store"), max_length=10, choices=ProfileStore.choices, default=ProfileStore.ON_NET
    )
    region = models.ForeignKey(
        "core.Region", verbose_name=_("home region"), on_delete=models.PROTECT, related_name="subscribers"
    )
    join_date = models.DateField(_("join date"))
    contracted = models.BooleanField(_("contracted"), default=False)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    credit_level = models.PositiveSmallIntegerField(
        _("credit level"), choices=CreditLevel.choices, default=CreditLevel.THREE
    )
    vip_tier = models.CharField(
        _("VIP tier"), max_length=12, choices=VipTier.choices, default=VipTier.ORDINARY
    )
    points_balance = models.IntegerField(_("points balance"), default=0)
    customer_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portfolio",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SubscriberQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        permissions = [
            ("close_subscriber", _("Can close and restore subscribers")),
            ("export_subscriber", _("Can export subscriber lists")),
        ]
        constraints = [
            # A number belongs to one on-net subscriber; retained profiles keep their old number.
            models.UniqueConstraint(
                fields=["msisdn"], condition=Q(store="on_net"), name="subscriber_on_net_msisdn"
            ),
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="subscriber_points_not_negative"),
        ]
        indexes = [
            models.Index(fields=["msisdn"]),
            models.Index(fields=["id_number"]),
            models.Index(fields=["name"]),
            models.Index(fields=["region", "store"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.msisdn[:3]}****{self.msisdn[-4:]}"


class Bill(models.Model):
    """A monthly bill with its fee items in integer fen (CUS-2)."""

    FEE_ITEMS = (
        "plan_fee_fen",
        "voice_fee_fen",
        "sms_fee_fen",
        "data_fee_fen",
        "roaming_fee_fen",
        "vas_fee_fen",
        "other_fee_fen",
        "discount_fen",
    )

    # The unique (subscriber, month) constraint's index serves lookups by subscriber: no second index.
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="bills", db_index=False)
    month = models.DateField(_("month"))
    plan_fee_fen = models.IntegerField(_("plan fee"), default=0)
    voice_fee_fen = models.IntegerField(_("voice"), default=0)
    sms_fee_fen = models.IntegerField(_("SMS/MMS"), default=0)
    data_fee_fen = models.IntegerField(_("data"), default=0)
    roaming_fee_fen = models.IntegerField(_("roaming"), default=0)
    vas_fee_fen = models.IntegerField(_("value-added services"), default=0)
    other_fee_fen = models.IntegerField(_("other"), default=0)
    discount_fen = models.IntegerField(_("discount"), default=0)
    total_fen = models.IntegerField(_("total"))
    paid_fen = models.IntegerField(_("paid"), default=0)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "month"], name="bill_one_per_month"),
            models.CheckConstraint(
                condition=Q(
                    total_fen=F("plan_fee_fen")
                    + F("voice_fee_fen")
                    + F("sms_fee_fen")
                    + F("data_fee_fen")
                    + F("roaming_fee_fen")
                    + F("vas_fee_fen")
                    + F("other_fee_fen")
                    + F("discount_fen")
                ),
                name="bill_total_is_sum_of_items",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.month:%Y-%m}"

    @property
    def arrears_fen(self) -> int:
        return max(self.total_fen - self.paid_fen, 0)


class Payment(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="payments")
    paid_at = models.DateTimeField(_("paid at"))
    amount_fen = models.IntegerField(_("amount"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at"]
        indexes = [models.Index(fields=["subscriber", "paid_at"])]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.amount_fen}"


class UsageSummary(models.Model):
    """A month's usage: voice, SMS, data, roaming and calls to competitor networks (CUS-2)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="usage", db_index=False)
    month = models.DateField(_("month"))
    voice_minutes = models.IntegerField(_("voice minutes"), default=0)
    sms_count = models.IntegerField(_("SMS"), default=0)
    data_mb = models.IntegerField(_("data (MB)"), default=0)
    roaming_minutes = models.IntegerField(_("roaming minutes"), default=0)
    competitor_minutes = models.IntegerField(_("minutes to other networks"), default=0)

    class Meta:
        verbose_name = _("usage summary")
        verbose_name_plural = _("usage summaries")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "month"], name="usage_one_per_month")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.month:%Y-%m}"


class ServiceKind(models.TextChoices):
    BASIC = "basic", _("Basic service")
    VALUE_ADDED = "vas", _("Value-added service")
    SP = "sp", _("Monternet SP service")


class Subscription(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(_("kind"), max_length=5, choices=ServiceKind.choices)
    code = models.CharField(_("service code"), max_length=40)
    name = models.CharField(_("service"), max_length=80)
    sp_code = models.CharField(_("SP code"), max_length=20, blank=True)
    monthly_fee_fen = models.IntegerField(_("monthly fee"), default=0)
    started_on = models.DateField(_("started"))
    ended_on = models.DateField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["kind", "started_on"]
        indexes = [models.Index(fields=["subscriber", "ended_on"])]

    def __str__(self) -> str:
        return self.name


class InfoUpdate(models.Model):
    """A change of a subscriber's profile, with the channel it came from and the staff member (CUS-5)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="info_updates")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), null=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=20, default="update")
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("information update")
        verbose_name_plural = _("information updates")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.at:%Y-%m-%d}"
