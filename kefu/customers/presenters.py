"""How a subscriber is shown to a caller: one place that applies masking, for the API, pages and exports."""

from __future__ import annotations

from kefu.core.masking import Masker
from kefu.customers.models import Bill, Subscriber
from kefu.customers.services import Customer360


def city_of(subscriber: Subscriber):
    region = subscriber.region
    return region.parent if region.level == "county" else region


def summary(subscriber: Subscriber, masker: Masker) -> dict:
    city = city_of(subscriber)
    return {
        "id": subscriber.pk,
        "msisdn": masker.msisdn(subscriber.msisdn),
        "name": subscriber.name,
        "brand": subscriber.brand,
        "brand_label": subscriber.get_brand_display(),
        "status": subscriber.status,
        "status_label": subscriber.get_status_display(),
        "vip_tier": subscriber.vip_tier,
        "vip_tier_label": subscriber.get_vip_tier_display(),
        "city": city.code if city else None,
        "city_name": city.display_name if city else None,
        "region": subscriber.region.code,
        "region_name": subscriber.region.display_name,
        "store": subscriber.store,
    }


def profile(subscriber: Subscriber, masker: Masker) -> dict:
    manager = subscriber.customer_manager
    return {
        **summary(subscriber, masker),
        "id_type": subscriber.id_type,
        "id_type_label": subscriber.get_id_type_display(),
        "id_number": masker.id_number(subscriber.id_number),
        "address": masker.address(subscriber.address),
        "price_plan": subscriber.price_plan.code,
        "price_plan_name": subscriber.price_plan.name,
        "join_date": subscriber.join_date,
        "contracted": subscriber.contracted,
        "contract_end": subscriber.contract_end,
        "credit_level": subscriber.credit_level,
        "credit_level_label": subscriber.get_credit_level_display(),
        "points_balance": subscriber.points_balance,
        "customer_manager": (
            {"username": manager.username, "name": manager.get_full_name() or manager.username} if manager else None
        ),
        "masked": not masker.unmasked,
    }


_FEE_KEYS = tuple((name, name.removesuffix("_fen")) for name in Bill.FEE_ITEMS)  # six bills on every screen pop


def bill(b: Bill) -> dict:
    return {
        "month": f"{b.month.year:04d}-{b.month.month:02d}",
        "items": {key: getattr(b, name) for name, key in _FEE_KEYS},
        "total_fen": b.total_fen,
        "paid_fen": b.paid_fen,
        "arrears_fen": b.arrears_fen,
    }


def view_360(view: Customer360, masker: Masker, user=None) -> dict:
    """The 360 view; given the caller, also the subscriber's groups, VPMN short number and agreement (VAS-3)."""
    data = {
        "profile": profile(view.subscriber, masker),
        "bills": [bill(b) for b in view.bills],
        "arrears_fen": view.arrears_fen,
        "subscriptions": [
            {
                "kind": s.kind,
                "code": s.code,
                "name": s.name,
                "sp_code": s.sp_code,
                "monthly_fee_fen": s.monthly_fee_fen,
                "started_on": s.started_on,
            }
            for s in view.subscriptions
        ],
        "recent_contacts": [
            {
                "channel": c.channel,
                "channel_label": c.get_channel_display(),
                "direction": c.direction,
                "started_at": c.started_at,
                "outcome": c.outcome,
                "summary": c.summary,
                "agent": c.agent.username if c.agent else None,
            }
            for c in view.contacts
        ],
        "open_work_orders": view.open_work_orders,
    }
    if user is not None:
        from kefu.groups.services import groups_for_subscriber

        data["groups"] = groups_for_subscriber(user, view.subscriber)
    return data
