"""Masking of personal data (PLT-2): ID numbers, MSISDNs and addresses leave the server masked
unless the caller holds `core.unmask_personal_data`."""

import re

UNMASK_PERMISSION = "core.unmask_personal_data"

# The address is kept up to the district or county (区/县/旗) or, failing that, the city.
_ADDRESS_KEEP = re.compile(r"^.*?(?:区|县|旗)|^.*?市")


def may_unmask(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(UNMASK_PERMISSION))


def mask_msisdn(msisdn: str) -> str:
    if len(msisdn) < 8:
        return "*" * len(msisdn)
    return f"{msisdn[:3]}****{msisdn[-4:]}"


def mask_id_number(id_number: str) -> str:
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_address(address: str) -> str:
    if not address:
        return address
    kept = _ADDRESS_KEEP.match(address)
    prefix = kept.group(0) if kept else address[: min(6, len(address) // 2)]
    return prefix + "****" if len(prefix) < len(address) else prefix


def mask_email(email: str) -> str:
    """Keep the first character of the mailbox and the domain: `13800000001@139.com` → `1***@139.com`
    (a China Mobile mailbox is often the MSISDN itself)."""
    if not email:
        return email
    local, at, domain = email.rpartition("@")
    if not at:
        return mask_id_number(email)
    return f"{local[:1]}***@{domain}"


class Masker:
    """Applies masking for one caller; build once per request."""

    def __init__(self, user):
        self.unmasked = may_unmask(user)

    def msisdn(self, value: str) -> str:
        return value if self.unmasked else mask_msisdn(value)

    def id_number(self, value: str) -> str:
        return value if self.unmasked else mask_id_number(value)

    def address(self, value: str) -> str:
        return value if self.unmasked else mask_address(value)

    def email(self, value: str) -> str:
        return value if self.unmasked else mask_email(value)
