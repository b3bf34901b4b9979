"""Shifts of the contact-centre roster (CC-9); the requirement comes from kefu.workforce.erlang."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Shift(models.Model):
    """One agent's shift on one day, optionally for one skill group (None: any of the agent's groups)."""

    agent = models.ForeignKey("contact.Agent", verbose_name=_("agent"), on_delete=models.CASCADE, related_name="shifts")
    group = models.ForeignKey(
        "contact.SkillGroup", verbose_name=_("skill group"), null=True, blank=True, on_delete=models.SET_NULL
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    break_minutes = models.PositiveSmallIntegerField(_("break (minutes)"), default=0)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "agent"]
        indexes = [models.Index(fields=["starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"
