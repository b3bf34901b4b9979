"""System parameters (SYS-3): every threshold is a parameter with a named default."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from kefu.core.cache import TTLCache


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


# Parameters are read on hot paths (the 360 view): each process keeps them for a few seconds, so a change
# made in the UI reaches every worker process within CACHE_SECONDS.
CACHE_SECONDS = 10.0
_cache = TTLCache(CACHE_SECONDS)


def get(key: str) -> Any:
    spec = SPECS[key]
    return _cache.get_or_compute("all", _load).get(key, spec.default)


def _load() -> dict[str, Any]:
    from kefu.core.models import Parameter

    return dict(Parameter.objects.values_list("key", "value"))


def forget_cached() -> None:
    """Drop this process's copy (called after a change)."""
    _cache.clear()
