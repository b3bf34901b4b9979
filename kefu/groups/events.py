"""Special services (GRP-6): on-site service events (流动服务) at a group with the work done there — new lines
opened, VPMN joins, products demonstrated, other work — and the survey of the participants (score 1–5, needs,
comment, optionally their mobile number, masked in output unless the reader may unmask)."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.masking import Masker
from kefu.core.services import record_change, require
from kefu.groups.models import EventSurvey, GroupCustomer, ServiceEvent
from kefu.groups.products import staff_in_scope

ADD_EVENT = "groups.add_serviceevent"
VIEW = "groups.view_groupcustomer"
MAX_COUNT = 100_000
MSISDN = re.compile(r"1\d{10}")


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, field=field)


def _text(value: str, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(_("This field is required."), field)
    if len(value) > limit:
        raise _invalid(_("At most %(n)d characters.") % {"n": limit}, field)
    return value


def _count(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
        raise _invalid(_("A whole number, 0 or more."), field)
    return value


@transaction.atomic
def record_event(
    user,
    group: GroupCustomer,
    held_on: dt.date,
    place: str,
    staff=(),
    new_lines: int = 0,
    vpmn_joins: int = 0,
    demonstrations: str = "",
    other_work: str = "",
) -> ServiceEvent:
    """Record an on-site service event held at a group (not in the future); staff are staff within scope."""
    require(user, ADD_EVENT)
    if held_on is None:
        raise _invalid(_("Give the date of the event."), "held_on")
    if held_on > timezone.localdate():
        raise _invalid(_("An event is recorded once it has been held: the date cannot be in the future."), "held_on")
    place = _text(place, "place", 120, required=True)
    demonstrations = _text(demonstrations, "demonstrations", 300)
    other_work = _text(other_work, "other_work", 300)
    new_lines, vpmn_joins = _count(new_lines, "new_lines"), _count(vpmn_joins, "vpmn_joins")
    staff = list(staff)
    allowed = set(staff_in_scope(user).filter(pk__in=[s.pk for s in staff]).values_list("pk", flat=True))
    if any(s.pk not in allowed for s in staff):
        raise _invalid(_("Event staff are staff within your scope."), "staff")
    event = ServiceEvent.objects.create(
        group=group,
        held_on=held_on,
        place=place,
        new_lines=new_lines,
        vpmn_joins=vpmn_joins,
        demonstrations=demonstrations,
        other_work=other_work,
        created_by=user,
    )
    event.staff.set(staff)
    record_change(
        user,
        event,
        "groups.event.record",
        {"held_on": held_on.isoformat(), "new_lines": new_lines, "vpmn_joins": vpmn_joins},
        group.region_id,
    )
    return event


def events(user):
    require(user, VIEW)
    return ServiceEvent.objects.restrict(user).select_related("group", "created_by").prefetch_related("staff")


def get_event(user, event_id: int) -> ServiceEvent:
    event = events(user).filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("No such service event."))
    return event


@transaction.atomic
def add_survey(
    user, event: ServiceEvent, participant: str, score: int, needs: str = "", comment: str = "", msisdn: str = ""
) -> EventSurvey:
    """A participant's answer to the event's survey."""
    require(user, ADD_EVENT)
    participant = _text(participant, "participant", 60, required=True)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise _invalid(_("The score is 1 to 5."), "score")
    needs, comment = _text(needs, "needs", 300), _text(comment, "comment", 300)
    msisdn = (msisdn or "").strip()
    if msisdn and not MSISDN.fullmatch(msisdn):
        raise _invalid(_("A mobile number is 11 digits starting with 1."), "msisdn")
    answer = EventSurvey.objects.create(
        event=event, participant=participant, score=score, needs=needs, comment=comment, msisdn=msisdn
    )
    record_change(user, answer, "groups.event.survey", {"score": score}, event.group.region_id)
    return answer


def summary(event: ServiceEvent) -> dict:
    """The event's survey: answers, mean score (None without answers), answers per score."""
    qs = EventSurvey.objects.filter(event=event)
    agg = qs.aggregate(n=Count("id"), mean=Avg("score"))
    per_score = dict(qs.values("score").annotate(n=Count("id")).values_list("score", "n"))
    return {
        "answers": agg["n"],
        "mean_score": round(float(agg["mean"]), 2) if agg["mean"] is not None else None,
        "per_score": {str(s): per_score.get(s, 0) for s in range(1, 6)},
    }


def survey_rows(event: ServiceEvent, masker: Masker) -> list[dict]:
    return [
        {
            "id": a.pk,
            "participant": a.participant,
            "msisdn": masker.msisdn(a.msisdn) if a.msisdn else "",
            "score": a.score,
            "needs": a.needs,
            "comment": a.comment,
        }
        for a in event.surveys.all()
    ]
