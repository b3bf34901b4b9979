import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MSISDN_PATTERN = r"^1[3-9]\d{9}$"
_MSISDN = re.compile(MSISDN_PATTERN)
MSISDN_RULE = _("an MSISDN is 11 digits starting with 13 to 19")


def is_msisdn(value: str) -> bool:
    return bool(_MSISDN.match(value or ""))


def validate_msisdn(value: str) -> None:
    if not is_msisdn(value):
        raise ValidationError(MSISDN_RULE, code="invalid_msisdn")
