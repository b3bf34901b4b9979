"""Outbound calling (CC-7): task lists (from callbacks accepted in the queue; campaigns later),
dialling attempts and their results, retry rules, the do-not-call list.

Retry rule: an attempt that does not reach the customer (no answer, busy, call later) schedules the
next one after `contact.outbound_retry_minutes[n]` (the last value repeats) until the task has had
its `max_attempts`; then it is given up. Reached: done. Wrong number: given up. Refused: the number
goes on the do-not-call list and the task is blocked. A task to a number on the list is never called.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.contact.models import (
    Contact,
    ContactCentre,
    Direction,
    DoNotCall,
    OutboundAttempt,
    OutboundTask,
    Outcome,
)
from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode, NotFound
from kefu.core.masking import Masker
from kefu.core.services import record_change
from kefu.core.validators import is_msisdn
from kefu.customers.models import Channel

R = OutboundAttempt.Result
RETRY = {R.NO_ANSWER, R.BUSY, R.CALL_LATER}


def on_do_not_call(msisdn: str, today=None) -> bool:
    today = today or timezone.localdate()
    return DoNotCall.objects.filter(msisdn=msisdn).exclude(until__lt=today).exists()


def tasks_for(user, centre: ContactCentre, due_within_minutes: int = 60) -> list[dict]:
    """The agent's list: pending tasks of the centre in the agent's scope, due soon, theirs or nobody's."""
    horizon = timezone.now() + timedelta(minutes=due_within_minutes)
    masker = Masker(user)
    rows = (
        OutboundTask.objects.restrict(user)
        .filter(centre=centre, status=OutboundTask.Status.PENDING, next_attempt_at__lte=horizon)
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
        .order_by("next_attempt_at", "id")
    )
    return [_row(task, masker) for task in rows[:200]]


def _row(task: OutboundTask, masker: Masker) -> dict:
    return {
        "id": task.pk,
        "next_attempt_at": task.next_attempt_at,
        "source": task.source,
        "source_label": task.get_source_display(),
        "customer": masker.msisdn(task.msisdn),
        "attempts": task.attempts,
        "max_attempts": task.max_attempts,
        "status": task.status,
        "status_label": task.get_status_display(),
        "note": task.note,
    }


def get_task(user, task_id: int) -> OutboundTask:
    task = OutboundTask.objects.restrict(user).select_related("subscriber", "group").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such outbound task."))
    return task


@transaction.atomic
def create_task(
    user, centre: ContactCentre, msisdn: str, *, source: str = OutboundTask.Source.MANUAL, campaign: str = "", note=""
) -> OutboundTask:
    if not is_msisdn(msisdn):
        raise DomainError(ErrorCode.INVALID, _("Enter an 11-digit mobile number."), field="msisdn")
    from kefu.customers.models import Subscriber

    subscriber = Subscriber.objects.restrict(user).on_net().filter(msisdn=msisdn).first()
    task = OutboundTask.objects.create(
        centre=centre,
        region_id=subscriber.region_id if subscriber else centre.region_id,
        subscriber=subscriber,
        msisdn=msisdn,
        source=source,
        campaign=campaign,
        note=note[:200],
        next_attempt_at=timezone.now(),
        max_attempts=parameters.get("contact.outbound_max_attempts"),
        status=OutboundTask.Status.BLOCKED if on_do_not_call(msisdn) else OutboundTask.Status.PENDING,
    )
    record_change(user, task, "create", {"msisdn": masked(msisdn), "source": source})
    return task


def masked(msisdn: str) -> str:
    return msisdn[:3] + "****" + msisdn[-4:] if len(msisdn) == 11 else msisdn


@transaction.atomic
def record_attempt(user, task_id: int, result: str, note: str = "", now=None) -> OutboundAttempt:
    """One dialling attempt and its result; moves the task on by the retry rules; writes the call record."""
    now = now or timezone.now()
    task = OutboundTask.objects.restrict(user).select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such outbound task."))
    if result not in R.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown result."), field="result")
    if task.status != OutboundTask.Status.PENDING:
        raise DomainError(ErrorCode.CONFLICT, _("This task is not waiting for a call any more."), field="task")
    if on_do_not_call(task.msisdn):
        task.status = OutboundTask.Status.BLOCKED
        task.save(update_fields=["status"])
        raise DomainError(ErrorCode.CONFLICT, _("This number is on the do-not-call list."), field="task")
    contact = Contact.objects.create(
        subscriber=task.subscriber,
        region_id=task.region_id,
        centre=task.centre,
        channel=Channel.HOTLINE,
        direction=Direction.OUTBOUND,
        started_at=now,
        ended_at=now,
        agent=user,
        queue=task.group.code if task.group_id else "outbound",
        outcome={R.REACHED: Outcome.RESOLVED, R.BUSY: Outcome.BUSY}.get(result, Outcome.NO_ANSWER),
        caller=task.msisdn,
        summary=note[:200],
        details={"outbound_task": task.pk, "result": result},
    )
    attempt = OutboundAttempt.objects.create(
        task=task, agent=user, at=now, result=result, note=note[:200], contact=contact
    )
    task.attempts += 1
    task.assigned_to = user
    if result == R.REACHED:
        task.status = OutboundTask.Status.DONE
    elif result == R.WRONG_NUMBER:
        task.status = OutboundTask.Status.FAILED
    elif result == R.REFUSED:
        task.status = OutboundTask.Status.BLOCKED
        DoNotCall.objects.get_or_create(
            msisdn=task.msisdn, defaults={"reason": note[:200] or _("refused"), "added_by": user}
        )
    elif task.attempts >= task.max_attempts:
        task.status = OutboundTask.Status.FAILED
    else:
        delays = parameters.get("contact.outbound_retry_minutes") or [60]
        task.next_attempt_at = now + timedelta(minutes=delays[min(task.attempts - 1, len(delays) - 1)])
    task.save(update_fields=["attempts", "assigned_to", "status", "next_attempt_at"])
    record_change(user, task, "attempt", {"result": result, "status": task.status}, region_id=task.region_id)
    return attempt


@transaction.atomic
def add_do_not_call(user, msisdn: str, reason: str = "", until=None) -> DoNotCall:
    if not is_msisdn(msisdn):
        raise DomainError(ErrorCode.INVALID, _("Enter an 11-digit mobile number."), field="msisdn")
    entry, _created = DoNotCall.objects.update_or_create(
        msisdn=msisdn, defaults={"reason": reason[:200], "added_by": user, "until": until}
    )
    OutboundTask.objects.filter(msisdn=msisdn, status=OutboundTask.Status.PENDING).update(
        status=OutboundTask.Status.BLOCKED
    )
    record_change(user, entry, "do_not_call", {"msisdn": masked(msisdn)})
    return entry
