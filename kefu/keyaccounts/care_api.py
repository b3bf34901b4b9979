"""Staff API (thin) for appointments (KA-4), customer managers (KA-6) and service standards (KA-7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kefu.core.api import Problem
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.models import Region
from kefu.core.services import require
from kefu.customers import services as customers
from kefu.keyaccounts import appointments, managers, standards
from kefu.keyaccounts.models import Appointment, AppointmentSlot, ManagerTask, WorkPlan
from kefu.warehouse.store import parse_month

router = Router(tags=["key accounts"])
_ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _require(request, perm: str) -> None:
    require(request.user, perm)


# --- appointments -----------------------------------------------------------------------------------------


def slot_json(s: AppointmentSlot) -> dict:
    return {
        "id": s.pk,
        "kind": s.kind,
        "region": s.region.code,
        "manager": s.manager.username if s.manager_id else None,
        "starts_at": timezone.localtime(s.starts_at).isoformat(),
        "ends_at": timezone.localtime(s.ends_at).isoformat(),
        "capacity": s.capacity,
        "booked": s.booked,
        "free": s.capacity - s.booked,
    }


def appointment_json(a: Appointment, masker: Masker) -> dict:
    return {
        "id": a.pk,
        "status": a.status,
        "msisdn": masker.msisdn(a.subscriber.msisdn),
        "name": a.subscriber.name,
        "slot": slot_json(a.slot),
        "description": a.description,
        "remind_at": a.remind_at.isoformat() if a.remind_at else None,
    }


class SlotIn(Schema):
    kind: str
    region: str = Field(..., description="Region code of the business hall")
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(1, ge=1, le=1000)
    manager: str | None = Field(None, description="Username of the customer manager (manager visits)")


@router.get("/appointment-slots", response={200: list[dict[str, Any]], **_ERRORS})
def list_slots(request, kind: str = "", free: bool = False):
    """Future slots of the caller's scope."""
    _require(request, "keyaccounts.view_appointment")
    qs = (
        AppointmentSlot.objects.restrict(request.user)
        .select_related("region", "manager")
        .filter(starts_at__gt=timezone.now())
    )
    if kind:
        qs = qs.filter(kind=kind)
    return [slot_json(s) for s in qs[:500] if not free or s.booked < s.capacity]


@router.post("/appointment-slots", response={201: dict[str, Any], **_ERRORS})
def create_slot(request, payload: SlotIn):
    region = Region.objects.filter(code=payload.region).first()
    if region is None:
        raise DomainError(ErrorCode.INVALID, _("Unknown region."), field="region")
    manager = None
    if payload.manager:
        manager = get_user_model().objects.filter(username=payload.manager).first()
        if manager is None:
            raise DomainError(ErrorCode.INVALID, _("Unknown customer manager."), field="manager")
    slot = appointments.create_slot(
        request.user, payload.kind, region, payload.starts_at, payload.ends_at, payload.capacity, manager
    )
    return Status(201, slot_json(slot))


class BookIn(Schema):
    msisdn: str
    slot: int
    description: str = Field("", max_length=300)


class MoveIn(Schema):
    slot: int


def _appointment(request, appointment_id: int) -> Appointment:
    _require(request, "keyaccounts.view_appointment")
    qs = Appointment.objects.restrict(request.user).select_related("subscriber", "slot__region", "slot__manager")
    return get_object_or_404(qs, pk=appointment_id)


@router.post("/appointments", response={201: dict[str, Any], **_ERRORS})
def book(request, payload: BookIn):
    """Book a slot for a customer (a full slot: 409)."""
    subscriber = customers.get_on_net(request.user, payload.msisdn)
    a = appointments.book(request.user, subscriber, payload.slot, payload.description)
    return Status(201, appointment_json(_appointment(request, a.pk), Masker(request.user)))


@router.post("/appointments/{appointment_id}/reschedule", response={200: dict[str, Any], **_ERRORS})
def reschedule(request, appointment_id: int, payload: MoveIn):
    appointments.reschedule(request.user, _appointment(request, appointment_id), payload.slot)
    return appointment_json(_appointment(request, appointment_id), Masker(request.user))


@router.post("/appointments/{appointment_id}/cancel", response={200: dict[str, Any], **_ERRORS})
def cancel(request, appointment_id: int):
    appointments.cancel(request.user, _appointment(request, appointment_id))
    return appointment_json(_appointment(request, appointment_id), Masker(request.user))


# --- customer managers ------------------------------------------------------------------------------------


def _month(value: str | None) -> dt.date:
    if not value:
        today = timezone.localdate()
        return dt.date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)  # last month
    try:
        return parse_month(value)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, _("A month is written YYYY-MM, e.g. 2026-10."), field="month") from None


def _me_manager(request) -> None:
    if not request.user.groups.filter(name="manager").exists():
        raise DomainError(ErrorCode.FORBIDDEN, _("This is for customer managers."))


@router.get("/manager/portfolio", response={200: list[dict[str, Any]], **_ERRORS})
def my_portfolio(request):
    _me_manager(request)
    masker = Masker(request.user)
    return [
        {"id": s.pk, "msisdn": masker.msisdn(s.msisdn), "name": s.name, "vip_tier": s.vip_tier}
        for s in managers.portfolio(request.user).restrict(request.user).order_by("name")[:2000]
    ]


class PlanIn(Schema):
    period: str
    starts_on: dt.date
    goals: str = Field(..., max_length=4000)
    target_visits: int = Field(0, ge=0)
    target_calls: int = Field(0, ge=0)


def _plan(p: WorkPlan) -> dict:
    return {
        "id": p.pk,
        "period": p.period,
        "starts_on": p.starts_on.isoformat(),
        "goals": p.goals,
        "target_visits": p.target_visits,
        "target_calls": p.target_calls,
    }


@router.get("/manager/plans", response={200: list[dict[str, Any]], **_ERRORS})
def my_plans(request):
    _me_manager(request)
    return [_plan(p) for p in WorkPlan.objects.filter(manager=request.user)[:100]]


@router.post("/manager/plans", response={201: dict[str, Any], **_ERRORS})
def create_plan(request, payload: PlanIn):
    _me_manager(request)
    plan = managers.create_plan(request.user, **payload.dict())
    return Status(201, _plan(plan))


class LogIn(Schema):
    msisdn: str
    kind: str
    summary: str = Field(..., max_length=300)
    at: dt.datetime | None = None


@router.post("/manager/log", response={201: dict[str, Any], **_ERRORS})
def log_contact(request, payload: LogIn):
    _me_manager(request)
    subscriber = customers.get_on_net(request.user, payload.msisdn)
    entry = managers.log_contact(request.user, subscriber, payload.kind, payload.summary, payload.at)
    return Status(201, {"id": entry.pk, "kind": entry.kind, "at": entry.at.isoformat(), "summary": entry.summary})


class TaskIn(Schema):
    manager: str
    title: str = Field(..., max_length=200)
    deadline: dt.date
    msisdn: str | None = None


class ProgressIn(Schema):
    progress: int = Field(..., ge=0, le=100)
    note: str = Field("", max_length=300)


class EvaluationIn(Schema):
    evaluation: int = Field(..., ge=1, le=5)
    note: str = Field("", max_length=300)


def _task(t: ManagerTask) -> dict:
    return {
        "id": t.pk,
        "manager": t.manager.username,
        "title": t.title,
        "deadline": t.deadline.isoformat(),
        "progress": t.progress,
        "progress_note": t.progress_note,
        "status": t.status,
        "evaluation": t.evaluation,
        "dispatched_by": t.dispatched_by.username,
    }


@router.post("/manager-tasks", response={201: dict[str, Any], **_ERRORS})
def dispatch_task(request, payload: TaskIn):
    _require(request, "keyaccounts.dispatch_managertask")
    manager = get_user_model().objects.filter(username=payload.manager).first()
    if manager is None:
        raise DomainError(ErrorCode.INVALID, _("Unknown customer manager."), field="manager")
    subscriber = customers.get_on_net(request.user, payload.msisdn) if payload.msisdn else None
    task = managers.dispatch_task(request.user, manager, payload.title, payload.deadline, subscriber)
    return Status(201, _task(task))


def _task_or_404(request, task_id: int) -> ManagerTask:
    qs = ManagerTask.objects.select_related("manager", "dispatched_by")
    if not request.user.has_perm("keyaccounts.dispatch_managertask"):
        qs = qs.filter(manager=request.user)
    return get_object_or_404(qs, pk=task_id)


@router.get("/manager-tasks", response={200: list[dict[str, Any]], **_ERRORS})
def list_tasks(request, manager: str = ""):
    qs = ManagerTask.objects.select_related("manager", "dispatched_by")
    if not request.user.has_perm("keyaccounts.dispatch_managertask"):
        qs = qs.filter(manager=request.user)
    elif manager:
        qs = qs.filter(manager__username=manager)
    return [_task(t) for t in qs[:500]]


@router.post("/manager-tasks/{task_id}/progress", response={200: dict[str, Any], **_ERRORS})
def task_progress(request, task_id: int, payload: ProgressIn):
    return _task(managers.report_progress(request.user, _task_or_404(request, task_id), payload.progress, payload.note))


@router.post("/manager-tasks/{task_id}/evaluation", response={200: dict[str, Any], **_ERRORS})
def task_evaluation(request, task_id: int, payload: EvaluationIn):
    task = managers.evaluate_task(request.user, _task_or_404(request, task_id), payload.evaluation, payload.note)
    return _task(ManagerTask.objects.select_related("manager", "dispatched_by").get(pk=task.pk))


@router.get("/manager/score", response={200: dict[str, Any], **_ERRORS})
def my_score(request, month: str | None = None, manager: str = ""):
    """A manager's monthly score (theirs; leaders may name a manager)."""
    who = request.user
    if manager and manager != request.user.username:
        _require(request, "keyaccounts.dispatch_managertask")
        who = get_object_or_404(get_user_model(), username=manager)
    else:
        _me_manager(request)
    return managers.score(who, _month(month))


# --- service standards ------------------------------------------------------------------------------------


@router.get("/standards", response={200: dict[str, Any], **_ERRORS})
def service_standards(request, quarter: str | None = None):
    """Each tier's KPIs for a quarter (YYYY-Qn; default the current one) against the targets, in the caller's
    scope."""
    _require(request, "keyaccounts.view_tierchange")
    return standards.measure(request.user, quarter)
