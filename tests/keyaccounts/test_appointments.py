"""Appointments (KA-4): slots with a capacity (a full slot 409), book, reschedule, cancel; the reminder is
fired by `kefu worker`'s pass; TMF646 Appointment at /tmf-api/appointment/v4/appointment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.models import Notification, Region
from kefu.keyaccounts import appointments
from kefu.keyaccounts.models import Appointment, AppointmentSlot
from kefu.workorders import worker

T = "/tmf-api/appointment/v4/appointment"
A = "/api/v1/keyaccounts"


@pytest.fixture
def slots(admin_user):
    hall = Region.objects.get(code="xian-yanta")
    start = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    one = appointments.create_slot(admin_user, "hall_vip", hall, start, start + dt.timedelta(hours=1), capacity=1)
    two = appointments.create_slot(
        admin_user, "hall_vip", hall, start + dt.timedelta(hours=1), start + dt.timedelta(hours=2), capacity=2
    )
    return one, two


def test_book_a_full_slot_is_409_reschedule_frees_the_old_slot_and_cancel_frees_the_new(
    api, agent_xian, slots, make_subscriber
):
    one, two = slots
    first = make_subscriber(name="李娜")
    second = make_subscriber(name="王五")
    api.login(agent_xian)
    booked = api.post(f"{A}/appointments", {"msisdn": first.msisdn, "slot": one.pk, "description": "补卡"})
    assert booked.status_code == 201 and booked.json()["slot"]["free"] == 0
    full = api.post(f"{A}/appointments", {"msisdn": second.msisdn, "slot": one.pk})
    assert full.status_code == 409 and full.json()["field"] == "slot"
    assert Appointment.objects.count() == 1
    moved = api.post(f"{A}/appointments/{booked.json()['id']}/reschedule", {"slot": two.pk}).json()
    assert moved["slot"]["id"] == two.pk
    assert AppointmentSlot.objects.get(pk=one.pk).booked == 0
    assert api.post(f"{A}/appointments", {"msisdn": second.msisdn, "slot": one.pk}).status_code == 201
    cancelled = api.post(f"{A}/appointments/{booked.json()['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and AppointmentSlot.objects.get(pk=two.pk).booked == 0
    assert api.post(f"{A}/appointments/{booked.json()['id']}/cancel").status_code == 409


def test_the_worker_sends_each_reminder_once(admin_user, slots, make_subscriber, make_staff):
    manager = make_staff("manager.xian", "manager", "xian")
    customer = make_subscriber(name="李娜", customer_manager=manager)
    one, _two = slots
    appointment = appointments.book(admin_user, customer, one.pk)
    assert appointment.remind_at == one.starts_at - dt.timedelta(hours=24)
    assert worker.run_once(now=one.starts_at - dt.timedelta(hours=30))["keyaccounts.reminders"] == 0
    assert worker.run_once(now=one.starts_at - dt.timedelta(hours=20))["keyaccounts.reminders"] == 1
    assert worker.run_once(now=one.starts_at - dt.timedelta(hours=19))["keyaccounts.reminders"] == 0
    reminder = Notification.objects.get(kind="appointment")
    assert reminder.recipient == manager and customer.msisdn not in reminder.text


def test_tmf646_create_list_get_patch_with_fields_and_paging(api, agent_xian, agent_baoji, slots, make_subscriber):
    one, two = slots
    customer = make_subscriber(name="李娜")
    api.login(agent_xian)
    body = {
        "category": "hall_vip",
        "validFor": {"startDateTime": timezone.localtime(one.starts_at).isoformat()},
        "relatedParty": [{"id": str(customer.pk), "role": "customer"}],
        "description": "VIP 厅办理",
    }
    created = api.post(T, body)
    assert created.status_code == 201, created.content
    resource = created.json()
    assert resource["status"] == "confirmed" and resource["@type"] == "Appointment"
    assert resource["relatedPlace"]["id"] == "xian-yanta"
    assert resource["contactMedium"][0]["characteristic"]["phoneNumber"] != customer.msisdn
    assert api.post(T, body).status_code == 409  # the slot is full
    missing = api.post(T, {**body, "validFor": {"startDateTime": "2030-01-01T00:00:00+08:00"}})
    assert missing.status_code == 422 and missing.json()["field"] == "validFor.startDateTime"
    assert missing.json()["@type"] == "Error"

    listed = api.get(T, fields="status,validFor", limit="1")
    assert listed["X-Total-Count"] == "1"
    assert set(listed.json()[0]) == {"id", "href", "status", "validFor"}
    assert api.get(T, colour="red").status_code == 422
    rid = resource["id"]
    moved = api.patch(f"{T}/{rid}", {"validFor": {"startDateTime": timezone.localtime(two.starts_at).isoformat()}})
    assert moved.status_code == 200 and moved.json()["relatedEntity"][0]["id"] == str(two.pk)
    assert api.patch(f"{T}/{rid}", {"status": "cancelled"}).json()["status"] == "cancelled"
    assert api.get(f"{T}/{rid}", fields="status").json() == {"id": rid, "href": resource["href"], "status": "cancelled"}
    # another city's agent does not see it
    assert api.login(agent_baoji).get(f"{T}/{rid}").status_code == 404
