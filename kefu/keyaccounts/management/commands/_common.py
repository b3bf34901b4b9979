"""Shared bits of the key-account commands: the month argument and the acting user."""

from __future__ import annotations

import argparse

from django.core.management.base import CommandError

from kefu.core.models import User
from kefu.warehouse.store import parse_month


def month_arg(value: str):
    try:
        return parse_month(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a month is written YYYY-MM, e.g. 2026-10") from None


def acting_user(username: str | None):
    """The staff member the command acts as (audited as them); none: the system."""
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active staff member {username!r}.")
    return user
