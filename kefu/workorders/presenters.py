"""How a work order is shown to a caller (API, pages, customer 360): one place, masking applied."""

from __future__ import annotations

from django.utils import timezone

from kefu.core.masking import Masker
from kefu.customers.models import VipTier
from kefu.workorders import clock, services
from kefu.workorders.models import Attachment, EventKind, Priority, Status, WorkOrder, WorkOrderEvent


def _t(value):
    """Times leave in Asia/Shanghai (PLT-4), with their offset."""
    return timezone.localtime(value) if value is not None else None


def _user(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


def _region(region) -> dict:
    return {"code": region.code, "name": region.display_name}


def is_overdue(order: WorkOrder, now=None) -> bool:
    if order.status != Status.OPEN:
        return False
    now = now or clock.now()
    return any(due is not None and due < now for due in (order.step_due_at, order.due_at))


def summary(order: WorkOrder, masker: Masker, now=None) -> dict:
    step = order.current_step()
    customer = order.customer
    return {
        "number": order.number,
        "title": order.title,
        "category": {"code": order.category.code, "name": order.category.display_name, "kind": order.category.kind},
        "priority": order.priority,
        "priority_label": Priority(order.priority).label,
        "channel": order.channel,
        "status": order.status,
        "status_label": Status(order.status).label,
        "step": order.step,
        "step_name": step.name,
        "step_name_en": step.name_en,
        "queue": order.queue,
        "handler": _user(order.handler),
        "accepting_region": _region(order.accepting_region),
        "handling_region": _region(order.handling_region),
        "cross_region": order.cross_region,
        "customer": (
            {
                "id": customer.pk,
                "name": customer.name,
                "msisdn": masker.msisdn(customer.msisdn),
                "vip_tier": customer.vip_tier,
                "vip_tier_label": VipTier(customer.vip_tier).label,
            }
            if customer is not None
            else None
        ),
        "vip_tier": order.vip_tier,
        "step_due_at": _t(order.step_due_at),
        "due_at": _t(order.due_at),
        "first_response_due_at": _t(order.first_response_due_at),
        "first_responded_at": _t(order.first_responded_at),
        "overdue": is_overdue(order, now),
        "escalation_level": order.escalation_level,
        "created_at": _t(order.created_at),
        "updated_at": _t(order.updated_at),
        "closed_at": _t(order.closed_at),
        "version": order.version,
    }


def event(e: WorkOrderEvent) -> dict:
    return {
        "id": e.pk,
        "at": _t(e.at),
        "kind": e.kind,
        "kind_label": EventKind(e.kind).label,
        "step": e.step,
        "actor": _user(e.actor),
        "text": e.text,
        "data": e.data,
        "public": e.public,
    }


def attachment(a: Attachment) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_by": a.uploaded_by.username if a.uploaded_by_id else None,
        "uploaded_at": _t(a.uploaded_at),
    }


def detail(order: WorkOrder, user, masker: Masker, fresh: bool = False) -> dict:
    """The order with its timeline, attachments and allowed actions; `fresh`: just created (its timeline
    is what the creation wrote, it has no attachments yet)."""
    events = order.written_events if fresh else services.timeline(order)
    attachments = [] if fresh else list(order.attachments.select_related("uploaded_by"))
    return {
        **summary(order, masker),
        "description": order.description,
        "result": order.result,
        "root_cause": order.root_cause,
        "root_cause_label": order.get_root_cause_display() if order.root_cause else "",
        "satisfaction": order.satisfaction,
        "satisfaction_label": order.get_satisfaction_display() if order.satisfaction else "",
        "fields": order.data,
        "reopen_count": order.reopen_count,
        "workflow": {"code": order.workflow_version.workflow.code, "version": order.workflow_version.number},
        "merged_into": order.merged_into.number if order.merged_into_id else None,
        "split_from": order.split_from.number if order.split_from_id else None,
        "created_by": _user(order.created_by),
        "timeline": [event(e) for e in events],
        "attachments": [attachment(a) for a in attachments],
        "actions": services.allowed_actions(user, order),
    }


def for_360(order: WorkOrder, now=None) -> dict:
    """The short line of an open order on the customer 360 view."""
    step = order.current_step()
    return {
        "number": order.number,
        "title": order.title,
        "category": order.category.code,
        "category_name": order.category.display_name,
        "step": order.step,
        "step_name": step.name,
        "status": order.status,
        "status_label": Status(order.status).label,
        "due_at": _t(order.due_at),
        "step_due_at": _t(order.step_due_at),
        "overdue": is_overdue(order, now),
    }
