"""Contacts: every interaction with a customer on any channel is one record (CC-1)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.core.scope import ScopedQuerySet
from kefu.customers.models import Channel


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class Contact(models.Model):
    subscriber = models.ForeignKey(
        "customers.Subscriber", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL
    )
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    wrap_up = models.CharField(_("wrap-up code"), max_length=40, blank=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    recording_ref = models.CharField(_("recording"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_field = "region"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["subscriber", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"
