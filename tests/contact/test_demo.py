"""`kefu demo` leaves the contact centre usable: a centre per city with skill groups, the city's agent
and manager as agents, wrap-up codes, an IVR menu, tomorrow's shifts and the calls of the last days
(the wallboard's figures and the workforce forecast show something); run again, it replaces them."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from kefu.contact.models import Agent, Contact, ContactCentre, IvrMenu, SkillGroup, WrapUpCode
from kefu.contact.router import RouterCore
from kefu.core.services import login
from kefu.workforce import services as workforce
from kefu.workforce.models import Shift


def _demo(as_of: dt.date) -> str:
    out = io.StringIO()
    call_command(
        "demo",
        subscribers=200,
        seed=3,
        password="Kefu-demo-3",
        as_of=as_of,
        skip_keyaccounts=True,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def test_the_demo_contact_centre_is_ready_to_use(db):
    today = timezone.localdate()
    output = _demo(today)
    assert "switch.10086" in output and login("switch.10086", "Kefu-demo-3").username == "switch.10086"
    centre = ContactCentre.objects.get(code="xian-10086")
    assert ContactCentre.objects.filter(code__endswith="-10086").count() == 10
    assert set(SkillGroup.objects.filter(centre=centre).values_list("code", flat=True)) == {
        "xian-general",
        "xian-billing",
        "xian-vip",
    }
    assert Agent.objects.get(user__username="agent.xian").centre == centre
    assert Agent.objects.get(user__username="manager.xian").skills.get().group.code == "xian-vip"
    assert WrapUpCode.objects.filter(code="bill_inquiry").exists()
    assert IvrMenu.objects.get(centre=centre, entry=True).nodes.filter(kind="transfer").count() == 3
    assert Shift.objects.filter(agent__centre=centre).count() == 2
    # the wallboard has today's figures (up to now), the forecast of tomorrow last week's calls
    calls = Contact.objects.filter(centre=centre)
    assert calls.count() > 1000 and calls.filter(outcome="abandoned").exists()
    assert calls.filter(subscriber__isnull=False).exists()
    staffing = workforce.staffing(centre, today + dt.timedelta(days=1))
    assert staffing.weeks_used == 1 and staffing.required.max() >= 1 and staffing.rostered.max() >= 1
    if timezone.localtime().hour >= 10:
        stats = RouterCore(centre).today_stats()
        assert sum(row["offered"] for row in stats.values()) > 0
    # run again: replaced, not doubled
    count = Contact.objects.filter(call_id__startswith="demo-").count()
    _demo(today - dt.timedelta(days=1))
    assert ContactCentre.objects.filter(code__endswith="-10086").count() == 10
    assert Shift.objects.filter(agent__centre=centre).count() == 2
    assert 0 < Contact.objects.filter(call_id__startswith="demo-").count() <= count * 1.3
