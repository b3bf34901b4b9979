"""Group customers as plain dicts for the API and the pages; personal data masked through the caller's Masker."""

from __future__ import annotations

from kefu.core.masking import Masker
from kefu.groups import services
from kefu.groups.models import GroupContact, GroupCustomer, GroupMember, GroupMonth


def form_msisdn(masker: Masker, stored: str) -> str:
    """The number an edit form starts with: masked like everywhere else unless the user may unmask."""
    return masker.msisdn(stored) if stored else stored


def typed_msisdn(masker: Masker, typed: str, stored: str) -> str:
    """The number an edit form sends back: its masked start left as it was means "unchanged"."""
    if stored and not masker.unmasked and typed == masker.msisdn(stored):
        return stored
    return typed


def _staff(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


def group(g: GroupCustomer) -> dict:
    return {
        "id": g.pk,
        "code": g.code,
        "name": g.name,
        "nature": g.nature,
        "nature_label": g.get_nature_display(),
        "industry": g.industry,
        "industry_label": g.get_industry_display(),
        "grade": g.grade,
        "grade_label": g.get_grade_display(),
        "region": g.region.code,
        "region_name": g.region.display_name,
        "customer_manager": _staff(g.customer_manager),
        "status": g.status,
        "status_label": g.get_status_display(),
        "is_key_group": g.is_key_group,
        "key_group_approved": g.key_group_approved,
        "monthly_spend_fen": g.monthly_spend_fen,
        "member_count": g.member_count,
        "qualifies": services.qualifies(g),
    }


def group_detail(g: GroupCustomer) -> dict:
    return {
        **group(g),
        "address": g.address,
        "employees": g.employees,
        "merged_into": g.merged_into.code if g.merged_into_id and g.merged_into else None,
        "churned_at": g.churned_at,
        "created_at": g.created_at,
        "updated_at": g.updated_at,
    }


def contact(c: GroupContact, masker: Masker) -> dict:
    return {
        "id": c.pk,
        "name": c.name,
        "role": c.role,
        "role_label": c.get_role_display(),
        "title": c.title,
        "msisdn": masker.msisdn(c.msisdn),
        "email": masker.email(c.email),
        "birth_date": c.birth_date if masker.unmasked else None,
        "is_primary": c.is_primary,
        "active": c.active,
    }


def member(m: GroupMember, masker: Masker) -> dict:
    s = m.subscriber
    return {
        "id": m.pk,
        "subscriber_id": s.pk,
        "msisdn": masker.msisdn(s.msisdn),
        "name": s.name,
        "brand": s.brand,
        "brand_label": s.get_brand_display(),
        "department": m.department,
        "fee_payer": m.fee_payer,
        "fee_payer_label": m.get_fee_payer_display(),
        "joined_on": m.joined_on,
        "left_on": m.left_on,
        "left_reason": m.left_reason,
    }


def month(gm: GroupMonth) -> dict:
    return {
        "month": gm.month.strftime("%Y-%m"),
        "members_at_start": gm.members_at_start,
        "members_left": gm.members_left,
        "members_at_end": gm.members_at_end,
        "spend_fen": gm.spend_fen,
        "rank": gm.rank,
        "is_key_group": gm.is_key_group,
        "computed_at": gm.computed_at,
    }
