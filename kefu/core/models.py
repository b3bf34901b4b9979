"""Organisation, staff, data scope, audit and access logs, API tokens, parameters (PLT-1..3, SYS-3)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@cache
def _choice_labels(field: models.Field) -> dict:
    return dict(field.flatchoices)


class ChoiceLabels:
    """`get_FOO_display()` from a value → label map built once per field.

    Django's own rebuilds the map on every call and hashes each (lazy, translated) label to do so: on the
    customer 360, whose profile shows six such labels, that was a fifth of the request's CPU. The label is
    still translated at each call, in the caller's language."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _choice_labels(field).get(value, value)
        except TypeError:  # an unhashable value (e.g. a list): Django's way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class Region(models.Model):
    """A node of the organisation tree: province → city → county.

    `path` is the chain of codes from the root ("/shaanxi/xian/yanta/"), so a subtree is one prefix.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=200, unique=True, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    def ancestor_at(self, level: str) -> Region | None:
        """This region or the ancestor at `level` (None when the region is above that level)."""
        node: Region | None = self
        while node is not None and node.level != level:
            node = node.parent
        return node

    @property
    def city(self) -> Region | None:
        return self.ancestor_at(RegionLevel.CITY)


class DataScope(models.TextChoices):
    COUNTY = "county", _("Own county")
    CITY = "city", _("Own city")
    PROVINCE = "province", _("Own province")
    ALL = "all", _("All regions")


class User(AbstractUser):
    """A staff member: belongs to one region and sees the data of its data scope."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    data_scope = models.CharField(_("data scope"), max_length=10, choices=DataScope.choices, default=DataScope.COUNTY)
    employee_no = models.CharField(_("employee number"), max_length=20, blank=True)
    failed_logins = models.PositiveIntegerField(_("failed logins in a row"), default=0, editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        permissions = [
            ("unmask_personal_data", _("Can see personal data unmasked")),
            ("view_audit_log", _("Can read the audit and access logs")),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class AuditEvent(models.Model):
    """Who changed which business object, when, and how (PLT-3)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    UNMASK = "unmask", _("Viewed unmasked")
    SEARCH = "search", _("Searched")
    EXPORT = "export", _("Exported")


class AccessLog(models.Model):
    """Every read of a customer's data by staff (PLT-2, PLT-3)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT)
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, default="web")

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type}:{self.object_id}"


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class Parameter(models.Model):
    """A system parameter changed from the UI (SYS-3); defaults live in kefu.core.parameters."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """A message in a staff member's inbox: a tier change of a customer in their portfolio, a work-order
    warning, escalation or urge, a reminder. Addressed to one person (`recipient`), or — when there is
    nobody in particular — to a role in a region (`role` + `region`: every member of that group whose data
    scope holds the region sees it; the first to mark it read marks it for all). `link` is the page the
    message is about, `subject` its business key (e.g. a work-order number)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    role = models.CharField(_("role"), max_length=40, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30)
    text = models.CharField(_("text"), max_length=300)
    link = models.CharField(_("link"), max_length=200, blank=True)
    subject = models.CharField(_("about"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="core_notification_inbox"),
            models.Index(
                fields=["role", "region", "read_at"],
                condition=models.Q(recipient__isnull=True),
                name="core_notification_role_inbox",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(role=""),
                name="core_notification_addressed",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]
