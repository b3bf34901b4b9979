from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen shown as yuan with two decimals (PLT-4)."""
    if fen is None or fen == "":
        return "—"
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return _("¥%(amount)s") % {"amount": f"{sign}{fen // 100:,}.{fen % 100:02d}"}
