"""Outbound tasks (from callbacks), attempts, retry rules, the do-not-call list; the desktop and
wallboard pages; the back-office configuration reaching the router."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contact import outbound
from kefu.contact.models import Contact, DoNotCall, OutboundTask
from kefu.contact.transport import hub
from kefu.core.errors import DomainError


@pytest.fixture
def callback_task(cti, make_subscriber):
    subscriber = make_subscriber()
    cti.send({"type": "call.offered", "call": "cb1", "group": "vip", "caller": subscriber.msisdn})
    cti.send({"type": "call.callback_accepted", "call": "cb1"})
    return OutboundTask.objects.get()


def test_a_callback_task_is_retried_by_the_rules_then_given_up(callback_task, agents):
    agent = agents["a001"].user
    now = timezone.now()
    assert [t["id"] for t in outbound.tasks_for(agent, callback_task.centre)] == [callback_task.pk]
    outbound.record_attempt(agent, callback_task.pk, "no_answer", now=now)
    callback_task.refresh_from_db()
    assert callback_task.status == "pending" and callback_task.attempts == 1
    assert callback_task.next_attempt_at == now + dt.timedelta(minutes=10)
    outbound.record_attempt(agent, callback_task.pk, "busy", now=now)
    callback_task.refresh_from_db()
    assert callback_task.next_attempt_at == now + dt.timedelta(minutes=60)
    outbound.record_attempt(agent, callback_task.pk, "no_answer", now=now)
    callback_task.refresh_from_db()
    assert callback_task.status == "failed" and callback_task.attempts == 3
    with pytest.raises(DomainError):
        outbound.record_attempt(agent, callback_task.pk, "reached")
    records = Contact.objects.filter(direction="out").order_by("id")
    assert [c.outcome for c in records] == ["no_answer", "busy", "no_answer"] and records[0].agent == agent


def test_a_reached_customer_closes_the_task_a_refusal_puts_the_number_on_the_do_not_call_list(
    callback_task, agents, centre
):
    agent = agents["a001"].user
    outbound.record_attempt(agent, callback_task.pk, "refused", "不要再打")
    callback_task.refresh_from_db()
    assert callback_task.status == "blocked" and DoNotCall.objects.filter(msisdn=callback_task.msisdn).exists()
    again = outbound.create_task(agent, centre, callback_task.msisdn)
    assert again.status == "blocked"  # never called
    other = outbound.create_task(agent, centre, "13900000001")
    outbound.record_attempt(agent, other.pk, "reached")
    other.refresh_from_db()
    assert other.status == "done"


def test_adding_a_number_to_the_list_blocks_its_pending_tasks(callback_task, admin_user):
    outbound.add_do_not_call(admin_user, callback_task.msisdn, "投诉骚扰")
    callback_task.refresh_from_db()
    assert callback_task.status == "blocked"
    with pytest.raises(DomainError):
        outbound.add_do_not_call(admin_user, "12345", "")


def test_the_desktop_page_lists_the_agents_tasks_and_masks_numbers(client, agents, callback_task):
    client.force_login(agents["a002"].user)
    response = client.get("/contact/desktop/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-agent="a002"' in body and f'data-task="{callback_task.pk}"' in body
    assert callback_task.msisdn not in body and callback_task.msisdn[:3] + "****" in body
    page = client.get(f"/contact/outbound/{callback_task.pk}/")
    assert page.status_code == 200
    response = client.post(f"/contact/outbound/{callback_task.pk}/", {"result": "reached", "note": "已回复"})
    assert response.status_code == 302
    assert client.post(f"/contact/outbound/{callback_task.pk}/", {"result": "reached"}).status_code == 409


def test_pages_need_their_permissions(client, agents, make_staff, centre):
    analyst = make_staff("analyst.x", "analyst", "xian")
    client.force_login(analyst)
    assert client.get("/contact/desktop/").status_code == 403
    assert client.get(f"/contact/wallboard/{centre.code}/").status_code == 403
    client.force_login(make_staff("leader.x", "leader", "xian"))
    response = client.get("/contact/wallboard/")
    assert response.status_code == 200 and b'data-ws="/ws/wallboard/xa10086/"' in response.content
    assert b'data-force="1"' in response.content


def test_a_new_skill_group_from_the_back_office_reaches_the_router(
    client, admin_user, centre, regions, cti, agents, django_capture_on_commit_callbacks
):
    cti.send({"type": "agent.login", "agent": "a001"})  # the router is running
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/contact/skillgroup/add/",
            {
                "centre": centre.pk,
                "code": "broadband",
                "name": "宽带",
                "region": regions["xian"].pk,
                "aht": 200,
                "active": "on",
            },
        )
    assert response.status_code == 302 and response["Location"] == "/admin/contact/skillgroup/", response.content
    assert "broadband" in hub.router(centre.code).engine.groups
    assert hub.router(centre.code).engine.groups["broadband"].aht == 200.0
