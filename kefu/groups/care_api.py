"""Staff API (thin) for group care: service plans and contacts (GRP-2), standards and surveys (GRP-3),
products, promotion plans, trainings and the promotion report (GRP-5), on-site service events (GRP-6).

Mounted at /api/v1/groups beside the group router, which owns `/{code}`: the catalogue-wide resources live
under `/care/...` (declared first, so `care` is never read as a group code) and a group's care resources at
`/{code}/service-contacts`, `/plan-progress`, `/surveys`, `/subscriptions` and `/events`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kefu.core.api import Problem
from kefu.core.errors import NotFound
from kefu.core.masking import Masker
from kefu.core.services import require
from kefu.groups import events, products, service_plans, standards
from kefu.groups import services as group_services
from kefu.groups.models import (
    GroupSubscription,
    GroupSurvey,
    PromotionPlan,
    ServiceContact,
    ServiceEvent,
    ServicePlanItem,
    TrainingSession,
)

router = Router(tags=["group care"])
_ERRORS = {400: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
LIST_LIMIT = 500


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# --- presenters ------------------------------------------------------------------------------------------


def plan_item_json(item: ServicePlanItem) -> dict:
    return {"grade": item.grade, "kind": item.kind, "period": item.period, "times": item.times}


def contact_json(c: ServiceContact) -> dict:
    return {
        "id": c.pk,
        "group": c.group.code,
        "kind": c.kind,
        "at": timezone.localtime(c.at).isoformat(),
        "contact": {"id": c.contact_id, "name": c.contact.name} if c.contact_id else None,
        "staff": c.staff.username,
        "summary": c.summary,
    }


def progress_json(row: dict) -> dict:
    return {
        "kind": row["kind"],
        "period": row["period"],
        "from": row["from"].isoformat(),
        "to": row["to"].isoformat(),
        "planned": row["planned"],
        "expected": row["expected"],
        "done": row["done"],
        "behind": row["behind"],
    }


def survey_json(s: GroupSurvey) -> dict:
    return {
        "id": s.pk,
        "group": s.group.code,
        "contact": {"id": s.contact_id, "name": s.contact.name} if s.contact_id else None,
        "surveyed_on": s.surveyed_on.isoformat(),
        "satisfied": s.satisfied,
        "aware": s.aware,
        "comment": s.comment,
        "staff": s.staff.username,
    }


def product_json(p) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "monthly_fee_fen": p.monthly_fee_fen,
        "description": p.description,
        "active": p.active,
    }


def subscription_json(s: GroupSubscription) -> dict:
    return {
        "id": s.pk,
        "group": s.group.code,
        "product": s.product.code,
        "product_name": s.product.name,
        "quantity": s.quantity,
        "started_on": s.started_on.isoformat(),
        "ended_on": _day(s.ended_on),
        "sold_by": s.sold_by.username,
    }


def promotion_plan_json(p: PromotionPlan) -> dict:
    return {
        "id": p.pk,
        "product": p.product.code,
        "region": p.region.code,
        "month": f"{p.month:%Y-%m}",
        "target_subscriptions": p.target_subscriptions,
        "note": p.note,
    }


def training_json(t: TrainingSession) -> dict:
    return {
        "id": t.pk,
        "title": t.title,
        "product": t.product.code if t.product_id else None,
        "region": t.region.code,
        "held_on": t.held_on.isoformat(),
        "trainer": t.trainer,
        "attendees": sorted(u.username for u in t.attendees.all()),
        "note": t.note,
    }


def event_json(e: ServiceEvent, with_summary: bool = True) -> dict:
    data = {
        "id": e.pk,
        "group": e.group.code,
        "group_name": e.group.name,
        "held_on": e.held_on.isoformat(),
        "place": e.place,
        "staff": sorted(u.username for u in e.staff.all()),
        "new_lines": e.new_lines,
        "vpmn_joins": e.vpmn_joins,
        "demonstrations": e.demonstrations,
        "other_work": e.other_work,
        "created_by": e.created_by.username,
    }
    if with_summary:
        data["survey"] = events.summary(e)
    return data


# --- catalogue-wide resources (/care/...) ----------------------------------------------------------------


class PlanItemIn(Schema):
    period: Literal["month", "quarter", "year"]
    times: int = Field(..., ge=0, le=service_plans.MAX_TIMES)


@router.get("/care/service-plan", response={200: list[dict[str, Any]], **_ERRORS})
def list_service_plan(request):
    """The service plan of every grade: contacts of each kind per period."""
    require(request.user, service_plans.VIEW)
    return [plan_item_json(i) for i in ServicePlanItem.objects.all()]


@router.put("/care/service-plan/{grade}/{kind}", response={200: dict[str, Any], **_ERRORS})
def set_service_plan_item(request, grade: str, kind: str, payload: PlanItemIn):
    """Administrators: set how many contacts of a kind a grade gets per period."""
    item = service_plans.set_plan_item(request.user, grade, kind, payload.period, payload.times)
    return plan_item_json(item)


@router.get("/care/behind-plan", response={200: list[dict[str, Any]], **_ERRORS})
def my_groups_behind_plan(request):
    """The caller's own groups (as customer manager) with the kinds behind plan."""
    require(request.user, service_plans.VIEW)
    return [
        {
            "group": row["group"].code,
            "name": row["group"].name,
            "grade": row["group"].grade,
            "kinds": [progress_json(k) for k in row["kinds"]],
        }
        for row in service_plans.behind_plan(request.user)
    ]


@router.get("/care/standards", response={200: dict[str, Any], **_ERRORS})
def group_standards(request, period: str = ""):
    """Satisfaction, awareness, collective and internal churn per grade, by city and by customer manager, for a
    month (YYYY-MM) or quarter (YYYY-Qn) — each against its target (`met`: true, false, or null when there is
    nothing to measure)."""
    return standards.measure(request.user, period or None)


@router.get("/care/products", response={200: list[dict[str, Any]], **_ERRORS})
def list_products(request, all: bool = False):
    require(request.user, service_plans.VIEW)
    return [product_json(p) for p in products.catalogue(active_only=not all)]


class PromotionPlanIn(Schema):
    product: str
    region: str = Field(..., description="Region code (within the caller's scope)")
    month: str = Field(..., description="YYYY-MM")
    target_subscriptions: int = Field(..., ge=0, le=products.MAX_QUANTITY)
    note: str = Field("", max_length=300)


@router.get("/care/promotion-plans", response={200: list[dict[str, Any]], **_ERRORS})
def list_promotion_plans(request, month: str = ""):
    chosen = products.parse_month(month) if month else None
    return [promotion_plan_json(p) for p in products.promotion_plans(request.user, chosen)[:LIST_LIMIT]]


@router.post("/care/promotion-plans", response={201: dict[str, Any], **_ERRORS})
def set_promotion_plan(request, payload: PromotionPlanIn):
    """Set the month's target of new subscriptions of a product in a region (replaces an existing target)."""
    require(request.user, products.ADD_PLAN)
    product = products.get_product(payload.product)
    region = products.region_in_scope(request.user, payload.region)
    month = products.parse_month(payload.month)
    plan = products.set_promotion_target(
        request.user, product, region, month, payload.target_subscriptions, payload.note
    )
    return Status(201, promotion_plan_json(plan))


class TrainingIn(Schema):
    title: str = Field(..., min_length=1, max_length=120)
    product: str | None = None
    region: str
    held_on: dt.date
    trainer: str = Field(..., min_length=1, max_length=60)
    attendees: list[str] = Field(default_factory=list, description="Usernames of staff within the caller's scope")
    note: str = Field("", max_length=300)


@router.get("/care/trainings", response={200: list[dict[str, Any]], **_ERRORS})
def list_trainings(request, month: str = ""):
    qs = products.trainings(request.user)
    if month:
        start = products.parse_month(month)
        qs = qs.filter(held_on__gte=start, held_on__lt=products.next_month(start))
    return [training_json(t) for t in qs[:LIST_LIMIT]]


@router.post("/care/trainings", response={201: dict[str, Any], **_ERRORS})
def record_training(request, payload: TrainingIn):
    require(request.user, products.ADD_TRAINING)
    product = products.get_product(payload.product) if payload.product else None
    region = products.region_in_scope(request.user, payload.region)
    attendees = products.resolve_staff(request.user, payload.attendees, "attendees")
    session = products.record_training(
        request.user, payload.title, region, payload.held_on, payload.trainer, product, attendees, payload.note
    )
    return Status(201, training_json(session))


@router.get("/care/promotion-report", response={200: dict[str, Any], **_ERRORS})
def promotion_report(request, month: str = ""):
    """Per product and city: new subscriptions in the month vs target, achievement %, active subscriptions at
    the month's end, trainings held."""
    return products.promotion_report(request.user, products.parse_month(month))


@router.get("/care/promotion-report.xlsx", response={200: None, **_ERRORS})
def promotion_report_xlsx(request, month: str = ""):
    report = products.promotion_report(request.user, products.parse_month(month))
    response = HttpResponse(
        products.promotion_report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="group-promotion-{report["month"]}.xlsx"'
    return response


@router.get("/care/events", response={200: list[dict[str, Any]], **_ERRORS})
def list_events(request, group: str = "", since: dt.date | None = None):
    """On-site service events of the caller's scope, newest first."""
    qs = events.events(request.user)
    if group:
        qs = qs.filter(group__code=group)
    if since:
        qs = qs.filter(held_on__gte=since)
    return [event_json(e, with_summary=False) for e in qs[:LIST_LIMIT]]


@router.get("/care/events/{event_id}", response={200: dict[str, Any], **_ERRORS})
def get_event(request, event_id: int):
    event = events.get_event(request.user, event_id)
    data = event_json(event)
    data["answers"] = events.survey_rows(event, Masker(request.user))
    return data


class EventSurveyIn(Schema):
    participant: str = Field(..., min_length=1, max_length=60)
    score: int = Field(..., ge=1, le=5)
    needs: str = Field("", max_length=300)
    comment: str = Field("", max_length=300)
    msisdn: str = Field("", max_length=11)


@router.post("/care/events/{event_id}/surveys", response={201: dict[str, Any], **_ERRORS})
def add_event_survey(request, event_id: int, payload: EventSurveyIn):
    require(request.user, events.ADD_EVENT)
    event = events.get_event(request.user, event_id)
    answer = events.add_survey(
        request.user, event, payload.participant, payload.score, payload.needs, payload.comment, payload.msisdn
    )
    masker = Masker(request.user)
    return Status(
        201,
        {
            "id": answer.pk,
            "event": event.pk,
            "participant": answer.participant,
            "msisdn": masker.msisdn(answer.msisdn) if answer.msisdn else "",
            "score": answer.score,
            "summary": events.summary(event),
        },
    )


# --- a group's care resources (/{code}/...) -------------------------------------------------------------


class ServiceContactIn(Schema):
    kind: str
    at: dt.datetime
    summary: str = Field(..., min_length=1, max_length=300)
    contact: int | None = Field(None, description="Id of a contact person of the group")


@router.get("/{code}/service-contacts", response={200: list[dict[str, Any]], **_ERRORS})
def list_service_contacts(request, code: str):
    group = group_services.get_group(request.user, code)
    qs = ServiceContact.objects.filter(group=group).select_related("group", "staff", "contact")
    return [contact_json(c) for c in qs[:LIST_LIMIT]]


@router.post("/{code}/service-contacts", response={201: dict[str, Any], **_ERRORS})
def log_service_contact(request, code: str, payload: ServiceContactIn):
    """Log a contact with the group (not in the future; the contact person must be the group's)."""
    require(request.user, service_plans.LOG_CONTACT)
    group = group_services.get_group(request.user, code)
    logged = service_plans.log_contact(request.user, group, payload.kind, payload.at, payload.summary, payload.contact)
    return Status(201, contact_json(logged))


@router.get("/{code}/plan-progress", response={200: dict[str, Any], **_ERRORS})
def plan_progress(request, code: str):
    group = group_services.get_group(request.user, code)
    return {
        "group": group.code,
        "grade": group.grade,
        "kinds": [progress_json(r) for r in service_plans.plan_progress(group)],
    }


class SurveyIn(Schema):
    surveyed_on: dt.date
    satisfied: bool
    aware: bool
    contact: int | None = None
    comment: str = Field("", max_length=300)


@router.get("/{code}/surveys", response={200: list[dict[str, Any]], **_ERRORS})
def list_surveys(request, code: str):
    group = group_services.get_group(request.user, code)
    qs = GroupSurvey.objects.filter(group=group).select_related("group", "contact", "staff")
    return [survey_json(s) for s in qs[:LIST_LIMIT]]


@router.post("/{code}/surveys", response={201: dict[str, Any], **_ERRORS})
def record_survey(request, code: str, payload: SurveyIn):
    require(request.user, standards.ADD_SURVEY)
    group = group_services.get_group(request.user, code)
    answer = standards.record_survey(
        request.user, group, payload.surveyed_on, payload.satisfied, payload.aware, payload.contact, payload.comment
    )
    return Status(201, survey_json(answer))


class SubscriptionIn(Schema):
    product: str
    started_on: dt.date
    quantity: int = Field(1, ge=1, le=products.MAX_QUANTITY)
    ended_on: dt.date | None = None


class EndIn(Schema):
    ended_on: dt.date


@router.get("/{code}/subscriptions", response={200: list[dict[str, Any]], **_ERRORS})
def list_subscriptions(request, code: str, open: bool = False):
    group = group_services.get_group(request.user, code)
    return [subscription_json(s) for s in products.subscriptions(group, open_only=open)]


@router.post("/{code}/subscriptions", response={201: dict[str, Any], **_ERRORS})
def subscribe(request, code: str, payload: SubscriptionIn):
    require(request.user, products.SUBSCRIBE)
    group = group_services.get_group(request.user, code)
    product = products.get_product(payload.product)
    sub = products.subscribe(request.user, group, product, payload.started_on, payload.quantity, payload.ended_on)
    return Status(201, subscription_json(sub))


@router.post("/{code}/subscriptions/{subscription_id}/end", response={200: dict[str, Any], **_ERRORS})
def end_subscription(request, code: str, subscription_id: int, payload: EndIn):
    require(request.user, products.SUBSCRIBE)
    group = group_services.get_group(request.user, code)
    sub = GroupSubscription.objects.filter(group=group, pk=subscription_id).select_related("group", "product").first()
    if sub is None:
        raise NotFound(_("No such subscription."))
    return subscription_json(products.end_subscription(request.user, sub, payload.ended_on))


class EventIn(Schema):
    held_on: dt.date
    place: str = Field(..., min_length=1, max_length=120)
    staff: list[str] = Field(default_factory=list, description="Usernames of staff within the caller's scope")
    new_lines: int = Field(0, ge=0, le=events.MAX_COUNT)
    vpmn_joins: int = Field(0, ge=0, le=events.MAX_COUNT)
    demonstrations: str = Field("", max_length=300)
    other_work: str = Field("", max_length=300)


@router.get("/{code}/events", response={200: list[dict[str, Any]], **_ERRORS})
def list_group_events(request, code: str):
    group = group_services.get_group(request.user, code)
    return [event_json(e) for e in events.events(request.user).filter(group=group)[:LIST_LIMIT]]


@router.post("/{code}/events", response={201: dict[str, Any], **_ERRORS})
def record_event(request, code: str, payload: EventIn):
    require(request.user, events.ADD_EVENT)
    group = group_services.get_group(request.user, code)
    staff = products.resolve_staff(request.user, payload.staff, "staff")
    event = events.record_event(
        request.user,
        group,
        payload.held_on,
        payload.place,
        staff,
        payload.new_lines,
        payload.vpmn_joins,
        payload.demonstrations,
        payload.other_work,
    )
    return Status(201, event_json(event))
