"""System parameters (SYS-3): every threshold is a parameter with a named default."""

import time
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    default: Any
    description: str


SPECS: dict[str, ParameterSpec] = {
    spec.key: spec
    for spec in [
        ParameterSpec("security.lockout_after_failures", 5, _("Failed logins in a row that lock an account")),
        ParameterSpec("security.lockout_minutes", 15, _("Minutes an account stays locked")),
        ParameterSpec("security.api_token_hours", 12, _("Hours an API token stays valid")),
        ParameterSpec("customers.recent_bill_months", 6, _("Bills shown on the customer 360 view")),
        ParameterSpec("customers.recent_contacts", 10, _("Contacts shown on the customer 360 view")),
        ParameterSpec("customers.good_credit_level", 3, _("Lowest credit level counted as good credit")),
    ]
}


# Parameters are read on hot paths (the 360 view); each process keeps them for a few seconds, so a change
# made in the UI reaches every worker process within CACHE_SECONDS.
CACHE_SECONDS = 10.0
_cache: dict[str, Any] = {}
_cache_loaded_at = float("-inf")


def get(key: str) -> Any:
    global _cache, _cache_loaded_at
    spec = SPECS[key]
    now = time.monotonic()
    if now - _cache_loaded_at > CACHE_SECONDS:
        from kefu.core.models import Parameter

        _cache = dict(Parameter.objects.values_list("key", "value"))
        _cache_loaded_at = now
    return _cache.get(key, spec.default)


def forget_cached() -> None:
    """Drop this process's copy (called after a change, and by tests)."""
    global _cache_loaded_at
    _cache_loaded_at = float("-inf")
