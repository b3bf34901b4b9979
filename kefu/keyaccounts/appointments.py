"""Appointments (KA-4): business-hall VIP service and customer-manager visits, booked into slots with a
capacity; reschedule and cancel; a reminder goes to staff `keyaccounts.appointment_reminder_hours` before
(fired by `kefu worker`: the job `keyaccounts.reminders`, registered in the app's `ready`).

A slot's `booked` counter is kept under a row lock and a database check (`booked ≤ capacity`): a full slot
answers 409 and nothing is written.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.masking import Masker
from kefu.core.services import record_change, require
from kefu.customers.models import Subscriber
from kefu.keyaccounts.models import Appointment, AppointmentKind, AppointmentSlot, AppointmentStatus

BOOK = "keyaccounts.book_appointment"


@transaction.atomic
def create_slot(
    actor, kind: str, region, starts_at: dt.datetime, ends_at: dt.datetime, capacity: int = 1, manager=None
) -> AppointmentSlot:
    require(actor, BOOK)
    if kind not in AppointmentKind.values:
        raise DomainError(ErrorCode.INVALID, _("Unknown kind of appointment."), field="kind")
    if ends_at <= starts_at:
        raise DomainError(ErrorCode.INVALID, _("A slot ends after it starts."), field="ends_at")
    if capacity < 1:
        raise DomainError(ErrorCode.INVALID, _("A slot has room for at least one."), field="capacity")
    if kind == AppointmentKind.MANAGER_VISIT and manager is None:
        raise DomainError(ErrorCode.INVALID, _("A manager visit needs its customer manager."), field="manager")
    slot = AppointmentSlot.objects.create(
        kind=kind, region=region, manager=manager, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )
    record_change(actor, slot, "create", {"capacity": capacity, "starts_at": starts_at.isoformat()})
    return slot


@transaction.atomic
def withdraw_slot(actor, slot: AppointmentSlot) -> None:
    """Take back a slot nobody has booked (one with bookings, even cancelled ones, stays: its appointments
    point at it; cancel or move them and the slot stays as their record)."""
    require(actor, BOOK)
    slot = AppointmentSlot.objects.select_for_update().get(pk=slot.pk)
    if Appointment.objects.filter(slot=slot).exists():
        raise DomainError(ErrorCode.CONFLICT, _("This slot has bookings: it stays as their record."), field="slot")
    record_change(actor, slot, "withdraw", {"starts_at": slot.starts_at.isoformat(), "capacity": slot.capacity})
    slot.delete()


def _take(slot_id: int, now) -> AppointmentSlot:
    slot = AppointmentSlot.objects.select_for_update().filter(pk=slot_id).first()
    if slot is None:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such slot."), field="slot")
    if slot.starts_at <= now:
        raise DomainError(ErrorCode.CONFLICT, _("This slot has begun or is over."), field="slot")
    if slot.booked >= slot.capacity:
        raise DomainError(ErrorCode.CONFLICT, _("This slot is full."), field="slot")
    AppointmentSlot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    return slot


def _release(slot_id: int) -> None:
    AppointmentSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _remind_at(slot: AppointmentSlot, now) -> dt.datetime | None:
    at = slot.starts_at - dt.timedelta(hours=parameters.get("keyaccounts.appointment_reminder_hours"))
    return max(at, now)


@transaction.atomic
def book(actor, subscriber: Subscriber, slot_id: int, description: str = "", now=None) -> Appointment:
    """Book a slot for a customer; a full slot (or one already begun) is 409."""
    require(actor, BOOK)
    now = now or timezone.now()
    slot = _take(slot_id, now)
    appointment = Appointment.objects.create(
        subscriber=subscriber,
        slot=slot,
        description=description[:300],
        remind_at=_remind_at(slot, now),
        created_by=actor,
    )
    record_change(
        actor,
        appointment,
        "book",
        {"slot": slot.pk, "starts_at": slot.starts_at.isoformat()},
        region_id=subscriber.region_id,
    )
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    found = Appointment.objects.select_for_update().select_related("subscriber", "slot").get(pk=appointment.pk)
    if found.status != AppointmentStatus.BOOKED:
        raise DomainError(
            ErrorCode.CONFLICT,
            _("This appointment is %(status)s.") % {"status": found.get_status_display()},
            field="status",
        )
    return found


@transaction.atomic
def reschedule(actor, appointment: Appointment, slot_id: int, now=None) -> Appointment:
    """Move to another slot of the same kind; the new slot must have room (409), the old one is freed."""
    require(actor, BOOK)
    now = now or timezone.now()
    appointment = _locked(appointment)
    if slot_id == appointment.slot_id:
        return appointment
    new = AppointmentSlot.objects.filter(pk=slot_id).first()
    if new is not None and new.kind != appointment.slot.kind:
        raise DomainError(ErrorCode.INVALID, _("The new slot is for another kind of appointment."), field="slot")
    old_slot = appointment.slot
    new = _take(slot_id, now)
    _release(old_slot.pk)
    appointment.slot = new
    appointment.remind_at = _remind_at(new, now)
    appointment.reminded_at = None
    appointment.save()
    record_change(
        actor,
        appointment,
        "reschedule",
        {"from": old_slot.starts_at.isoformat(), "to": new.starts_at.isoformat()},
        region_id=appointment.subscriber.region_id,
    )
    return appointment


@transaction.atomic
def cancel(actor, appointment: Appointment, reason: str = "") -> Appointment:
    require(actor, BOOK)
    appointment = _locked(appointment)
    _release(appointment.slot_id)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    record_change(actor, appointment, "cancel", {"reason": reason}, region_id=appointment.subscriber.region_id)
    return appointment


@transaction.atomic
def complete(actor, appointment: Appointment) -> Appointment:
    require(actor, BOOK)
    appointment = _locked(appointment)
    appointment.status = AppointmentStatus.DONE
    appointment.save()
    record_change(actor, appointment, "complete", {}, region_id=appointment.subscriber.region_id)
    return appointment


@transaction.atomic
def update_description(actor, appointment: Appointment, description: str) -> Appointment:
    require(actor, BOOK)
    appointment = _locked(appointment)
    appointment.description = description[:300]
    appointment.save()
    record_change(
        actor, appointment, "update", {"description": description}, region_id=appointment.subscriber.region_id
    )
    return appointment


def fire_due_reminders(now=None, batch: int = 500) -> int:
    """Remind the staff of appointments coming up: the visiting manager (manager visits) or the customer's
    manager, else whoever booked it. Each appointment is reminded once (rows claimed under lock)."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = (
            Appointment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("slot", "slot__region", "subscriber")
            .filter(status=AppointmentStatus.BOOKED, reminded_at__isnull=True, remind_at__lte=now)
            .order_by("remind_at", "id")[:batch]
        )
        for appointment in due:
            slot, subscriber = appointment.slot, appointment.subscriber
            recipient_id = slot.manager_id or subscriber.customer_manager_id or appointment.created_by_id
            if recipient_id is not None:
                _notify_one(recipient_id, appointment, slot, subscriber, now)
            appointment.reminded_at = now
            appointment.save(update_fields=["reminded_at"])
            sent += 1
    return sent


def _notify_one(recipient_id, appointment, slot, subscriber, now) -> None:
    from kefu.core.models import Notification

    Notification.objects.create(
        recipient_id=recipient_id,
        kind="appointment",
        text=(
            _("%(kind)s with %(name)s %(msisdn)s at %(when)s, %(place)s")
            % {
                "kind": slot.get_kind_display(),
                "name": subscriber.name,
                "msisdn": Masker(None).msisdn(subscriber.msisdn),
                "when": timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M"),
                "place": slot.region.display_name,
            }
        )[:300],
        link=reverse("customers:360", args=[subscriber.pk]),
        subject=f"appointment:{appointment.pk}",
        created_at=now,
    )
