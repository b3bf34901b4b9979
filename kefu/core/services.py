"""Platform operations: login with lockout, API tokens, audit trail, access log, parameters."""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import authenticate
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters, prepared
from kefu.core.cache import TTLCache
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.models import AccessLog, ApiToken, AuditEvent, Parameter, User


def audit_event(actor, obj: models.Model, action: str, changes: dict | None = None, region_id=None) -> AuditEvent:
    """The audit event of a change, unsaved (for writing several with one bulk_create)."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
        region_id=region_id if region_id is not None else getattr(obj, "region_id", None),
    )


def require(user, perm: str) -> None:
    """Refuse with 403 unless `user` holds `perm`; system jobs (no user: the `kefu` commands) may do anything."""
    if user is not None and not user.has_perm(perm):
        raise DomainError(ErrorCode.FORBIDDEN, _("You do not have permission to do this."))


def record_change(actor, obj: models.Model, action: str, changes: dict | None = None, region_id=None) -> AuditEvent:
    """Write one audit event for a change of a business object (called inside the changing transaction)."""
    event = audit_event(actor, obj, action, changes, region_id)
    event.save(force_insert=True)
    return event


def record_access(user, action: str, obj: models.Model | None = None, detail: str = "", channel: str = "web") -> None:
    # written on every screen pop: the INSERT is compiled once (kefu.core.prepared)
    prepared.insert(
        AccessLog,
        user=user,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail[:200],
        channel=channel,
    )


def login(username: str, password: str) -> User:
    """Check a username and password, counting failures; raise DomainError when refused.

    After `security.lockout_after_failures` failures in a row the account is locked for
    `security.lockout_minutes`, even for the right password.
    """
    now = timezone.now()
    user = User.objects.filter(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        raise DomainError(
            ErrorCode.ACCOUNT_LOCKED,
            _("This account is locked after repeated failed logins; try again after %(time)s.")
            % {"time": timezone.localtime(user.locked_until).strftime("%H:%M")},
        )
    authenticated = authenticate(username=username, password=password)
    if authenticated is None:
        if user is not None:
            _count_failure(user, now)
        raise DomainError(ErrorCode.BAD_CREDENTIALS, _("Wrong username or password."))
    if authenticated.failed_logins or authenticated.locked_until:
        User.objects.filter(pk=authenticated.pk).update(failed_logins=0, locked_until=None)
    return authenticated


@transaction.atomic
def _count_failure(user: User, now) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_logins += 1
    if user.failed_logins >= parameters.get("security.lockout_after_failures"):
        user.locked_until = now + timedelta(minutes=parameters.get("security.lockout_minutes"))
        user.failed_logins = 0
        record_change(None, user, "locked", {"locked_until": user.locked_until.isoformat()})
    user.save(update_fields=["failed_logins", "locked_until"])


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user: User) -> str:
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        key_hash=_hash(key),
        user=user,
        expires_at=timezone.now() + timedelta(hours=parameters.get("security.api_token_hours")),
    )
    return key


# Every API call authenticates its bearer token: each process keeps a token's user for TOKEN_CACHE_SECONDS
# instead of a three-table join per request. A token deleted, or a user deactivated, in another process
# stops working within that time; in this process at once (`forget_tokens`, connected in CoreConfig.ready).
TOKEN_CACHE_SECONDS = 3.0
_token_users = TTLCache(TOKEN_CACHE_SECONDS)


def user_for_token(key: str) -> User | None:
    key_hash = _hash(key)
    found = _token_users.get_or_compute(key_hash, lambda: _token_owner(key_hash))
    if found is None:
        return None
    user, expires_at = found
    if expires_at <= timezone.now():
        return None
    # each request its own instance: what a request caches on its user (permissions, scope) stays its own
    return copy.copy(user)


def _token_owner(key_hash: str) -> tuple[User, object] | None:
    token = (
        ApiToken.objects.select_related("user", "user__region", "user__region__parent")
        .filter(key_hash=key_hash, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    return (token.user, token.expires_at) if token else None


def forget_tokens(**kwargs) -> None:
    """Drop this process's token cache (a token or a user changed)."""
    _token_users.clear()


def check_parameter(key: str, value) -> None:
    if key not in parameters.SPECS:
        raise DomainError(ErrorCode.INVALID, _("Unknown parameter."), field="key")
    default = parameters.SPECS[key].default
    if type(value) is not type(default):
        raise DomainError(
            ErrorCode.INVALID,
            _("This parameter takes a value like %(example)s.") % {"example": repr(default)},
            field="value",
        )


@transaction.atomic
def set_parameter(actor: User, key: str, value) -> Parameter:
    check_parameter(key, value)
    default = parameters.SPECS[key].default
    param, created = Parameter.objects.select_for_update().get_or_create(key=key, defaults={"value": value})
    old = default if created else param.value
    param.value = value
    param.updated_by = actor
    param.save()
    record_change(actor, param, "update", {"value": [old, value]})
    transaction.on_commit(parameters.forget_cached)
    return param
