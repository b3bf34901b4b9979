"""`kefu simulate`: a simulated period written as call records like live ones; one call offered to the router."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from kefu.contact.models import Contact
from kefu.contact.transport import hub


def test_a_simulated_day_is_written_as_call_records(centre, agents):
    out = StringIO()
    call_command(
        "simulate", "--centre", centre.code, "--hours", "2", "--seed", "3", "--start", "2026-11-30T09:00", stdout=out
    )
    text = out.getvalue()
    assert "general" in text and "Erlang C" in text
    contacts = Contact.objects.filter(centre=centre)
    assert contacts.count() > 50
    answered = contacts.filter(outcome="answered")
    assert answered.exists() and all(c.agent_id and c.answered_at for c in answered)
    assert answered.filter(ended_at__isnull=True).count() <= 3  # only those still talking when the period ends
    assert {c.agent.cc_agent.code for c in answered} <= {"a001", "a002", "a003"}
    assert set(contacts.values_list("queue", flat=True)) <= {"general", "vip", "billing"}
    first = contacts.order_by("started_at").first()
    assert first.started_at.isoformat().startswith("2026-11-30T01:00")  # 09:00 Asia/Shanghai
    # the same seed gives the same figures
    again = StringIO()
    call_command("simulate", "--centre", centre.code, "--hours", "2", "--seed", "3", "--dry-run", stdout=again)
    assert again.getvalue().splitlines()[:3] == text.splitlines()[:3]


def test_offer_one_call_to_the_router(centre, agents, switch_user, make_subscriber, cti):
    subscriber = make_subscriber()
    cti.send({"type": "agent.login", "agent": "a002"})
    cti.send({"type": "agent.state", "agent": "a002", "state": "ready"})
    out = StringIO()
    call_command("simulate", "--centre", centre.code, "--offer", subscriber.msisdn, "--group", "general", stdout=out)
    assert "call.assigned a002" in out.getvalue()
    contact = Contact.objects.get(centre=centre)
    assert contact.subscriber == subscriber and hub.router(centre.code).engine.agents["a002"].state.value == "ringing"
