"""How key-account objects are shown to a caller (API and, later, pages): masking applied in one place."""

from __future__ import annotations

from kefu.core.masking import Masker
from kefu.customers.models import Subscriber
from kefu.keyaccounts import points, reasons
from kefu.keyaccounts.models import GradingRun, PointsEntry, Redemption, RedemptionItem, RuleVersion, TierChange
from kefu.keyaccounts.rules import tier_label


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


def _time(value):
    return value.isoformat() if value else None


def version(v: RuleVersion, with_rules: bool = True) -> dict:
    data = {
        "id": v.pk,
        "ruleset": v.ruleset.code,
        "number": v.number,
        "status": v.status,
        "status_label": v.get_status_display(),
        "note": v.note,
        "based_on": v.based_on_id,
        "drafted_by": _user(v.drafted_by),
        "created_at": _time(v.created_at),
        "updated_at": _time(v.updated_at),
        "previewed_at": _time(v.previewed_at),
        "preview_month": v.preview_month.strftime("%Y-%m") if v.preview_month else None,
        "approved_by": _user(v.approved_by),
        "approved_at": _time(v.approved_at),
        "published_by": _user(v.published_by),
        "published_at": _time(v.published_at),
        "retired_at": _time(v.retired_at),
    }
    if with_rules:
        data["rules"] = v.rules
        data["preview"] = v.preview
    return data


def run(r: GradingRun) -> dict:
    return {
        "id": r.pk,
        "month": r.month.strftime("%Y-%m"),
        "rule_version": {"id": r.rule_version_id, "number": r.rule_version.number},
        "started_by": _user(r.started_by),
        "started_at": _time(r.started_at),
        "finished_at": _time(r.finished_at),
        "subscribers": r.subscribers,
        "tier_changes": r.tier_changes,
        "credit_changes": r.credit_changes,
        "potential": r.potential,
        "moves": r.summary.get("moves", []),
    }


def _subscriber(s: Subscriber, masker: Masker) -> dict:
    region = s.region
    city = region.parent if region.level == "county" else region
    return {
        "id": s.pk,
        "msisdn": masker.msisdn(s.msisdn),
        "name": s.name,
        "city": city.code if city else None,
        "city_name": city.display_name if city else None,
    }


def tier_change(c: TierChange, masker: Masker) -> dict:
    return {
        "id": c.pk,
        "month": c.month.strftime("%Y-%m"),
        "subscriber": _subscriber(c.subscriber, masker),
        "old_tier": c.old_tier,
        "old_tier_label": tier_label(c.old_tier),
        "new_tier": c.new_tier,
        "new_tier_label": tier_label(c.new_tier),
        "old_credit": c.old_credit,
        "new_credit": c.new_credit,
        "reason": reasons.render(c.reason_data) or c.reason,
        "reason_data": c.reason_data,
        "rule_version": c.rule_version.number,
        "run": c.run_id,
        "created_at": _time(c.created_at),
    }


def entry(e: PointsEntry) -> dict:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "points": e.points,
        "balance_after": e.balance_after,
        "reason": e.reason,
        "reference": e.reference,
        "month": e.month.strftime("%Y-%m"),
        "created_at": _time(e.created_at),
        "created_by": _user(e.created_by) if e.created_by_id else None,
    }


def statement(s: Subscriber, masker: Masker, qs, offset: int, limit: int) -> dict:
    return {
        "subscriber": _subscriber(s, masker),
        "balance": s.points_balance,
        "vip_tier": s.vip_tier,
        "vip_tier_label": tier_label(s.vip_tier),
        "expiring": [
            {"earned_year": b.earned_year, "points": b.points, "expires_on": b.expires_on.isoformat()}
            for b in points.buckets(s)
        ],
        "count": qs.count(),
        "offset": offset,
        "limit": limit,
        "entries": [entry(e) for e in qs[offset : offset + limit]],
    }


def item(i: RedemptionItem) -> dict:
    return {"code": i.code, "name": i.name, "points": i.points, "stock": i.stock, "active": i.active}


def redemption(r: Redemption, masker: Masker) -> dict:
    return {
        "id": r.pk,
        "subscriber": _subscriber(r.subscriber, masker),
        "item": item(r.item),
        "quantity": r.quantity,
        "points": r.points,
        "balance_after": r.entry.balance_after,
        "staff": _user(r.staff),
        "staff_region": r.staff_region.code if r.staff_region_id else None,
        "customer_region": r.customer_region.code,
        "cross_region": r.cross_region,
        "created_at": _time(r.created_at),
    }
