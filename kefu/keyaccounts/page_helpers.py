"""What the key-account pages share: a permission check that accepts any of several permissions, and the
HTTP status of a form refused by a service."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kefu.core.errors import DomainError, ErrorCode


def any_permission(*perms: str):
    """The view is for users holding at least one of `perms` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_perm(p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def form_status(exc: DomainError) -> int:
    """A customer not found from a number typed into a form is bad input on a page that exists: 422."""
    return 422 if exc.code == ErrorCode.NOT_FOUND else exc.status


def last_month() -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
