"""The staff inbox: one place for every notification (work-order warnings and escalations, urges,
assignments, key-account tier changes, …) — the services behind the notifications page and the top bar.

A notification goes to one person, or to a role in a region when there is nobody in particular (a
queue without a handler, a city without a team leader): every member of that group whose data scope
holds the region sees it, and the first who marks it read marks it for the group.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.models import Notification
from kefu.core.scope import scope_region_ids

# How the kinds written by each area are named in the inbox (a kind not listed shows as its code).
KIND_LABELS = {
    "warning": _("Time-limit warning"),
    "escalation": _("Escalation"),
    "urge": _("Urged"),
    "supervise": _("Supervision"),
    "reassign": _("Assigned to you"),
    "tier_change": _("Tier change"),
    "key_group": _("Key group (集团大客户)"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def notify(
    recipient=None,
    *,
    kind: str,
    text: str,
    link: str = "",
    subject: str = "",
    role: str = "",
    region=None,
    at=None,
) -> Notification:
    """Write one notification (inside the caller's transaction: it exists only if the change does)."""
    if recipient is None and not role:
        raise ValueError("a notification needs a recipient or a role")
    return Notification.objects.create(
        recipient=recipient,
        role="" if recipient is not None else role,
        region=None if recipient is not None else region,
        kind=kind[:30],
        text=text[:300],
        link=link[:200],
        subject=subject[:40],
        created_at=at or timezone.now(),
    )


def _groups(user) -> list[str]:
    cached = getattr(user, "_kefu_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._kefu_groups = cached
    return sorted(cached)


def addressed_to(user) -> Q:
    """Notifications for `user`: their own, and those of their roles in regions of their scope."""
    mine = Q(recipient=user)
    groups = _groups(user)
    if not groups:
        return mine
    to_role = Q(recipient__isnull=True, role__in=groups)
    ids = scope_region_ids(user)
    if ids is not None:
        to_role &= Q(region__in=ids) | Q(region__isnull=True)
    return mine | to_role


def inbox(user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    if not (user.is_authenticated and user.is_active):
        return Notification.objects.none()
    qs = Notification.objects.filter(addressed_to(user))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return inbox(user, unread_only=True).count()


def mark_read(user, ids: list[int] | None = None, at=None) -> int:
    """Mark the given notifications of the user's inbox read (all unread ones when `ids` is None);
    ids of other people's notifications are ignored. Returns how many were marked."""
    qs = inbox(user, unread_only=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return Notification.objects.filter(pk__in=list(qs.values_list("pk", flat=True)[:5000])).update(
        read_at=at or timezone.now()
    )
