"""Reasons for a tier or credit change, rendered in the reader's language from the data the engine records."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from kefu.keyaccounts.rules import tier_label, yuan


def render(data: dict) -> str:
    """E.g. "average spend 523.40 yuan ≥ 500.00 yuan (Gold card)"."""
    avg = yuan(data.get("avg_spend_fen", 0))
    parts = []
    for why in data.get("why", []):
        code = why.get("code")
        if code == "tier_spend":
            parts.append(
                _("average spend %(avg)s yuan ≥ %(threshold)s yuan (%(tier)s)")
                % {"avg": avg, "threshold": yuan(why["threshold_fen"]), "tier": tier_label(why["tier"])}
            )
        elif code == "spend_below_qualification":
            parts.append(
                _("average spend %(avg)s yuan < %(threshold)s yuan (qualification)")
                % {"avg": avg, "threshold": yuan(why["threshold_fen"])}
            )
        elif code == "too_few_months":
            parts.append(
                _("%(months)d months billed < %(required)d required")
                % {"months": data.get("months", 0), "required": why["required"]}
            )
        elif code == "credit_too_low":
            parts.append(
                _("credit level %(credit)d < %(required)d (good credit)")
                % {"credit": why["credit"], "required": why["required"]}
            )
        elif code == "not_contracted":
            parts.append(_("not a contracted customer"))
        elif code == "credit_rule":
            parts.append(
                _("credit level %(old)d → %(new)d: %(years)d years on the network, %(late)d months paid late")
                % {
                    "old": why["old"],
                    "new": why["new"],
                    "years": data.get("tenure_years", 0),
                    "late": data.get("late_months", 0),
                }
            )
    return "; ".join(parts)


def render_english(data: dict) -> str:
    with translation.override("en"):
        return render(data)
