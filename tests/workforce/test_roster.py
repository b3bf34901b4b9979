"""The roster editor: shifts of a day added, changed and deleted (validated, audited), a day or a week
copied, a greedy roster proposed against the Erlang C requirement and accepted, the coverage chart."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from kefu.contact.models import Agent, AgentSkill, Contact, ContactCentre, SkillGroup
from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent
from kefu.workforce import roster, services
from kefu.workforce.models import Shift

DAY = dt.date(2026, 11, 30)  # a Monday


@pytest.fixture
def centre(regions):
    centre = ContactCentre.objects.create(code="xa10086", name="西安 10086", region=regions["xian"])
    SkillGroup.objects.create(centre=centre, code="general", name="综合", region=regions["xian"], aht=180)
    SkillGroup.objects.create(centre=centre, code="billing", name="账务", region=regions["xian"], aht=180)
    return centre


@pytest.fixture
def agents(centre, make_staff):
    made = []
    for i in range(12):
        agent = Agent.objects.create(user=make_staff(f"w{i:02d}", "agent", "xian"), centre=centre, code=f"w{i:02d}")
        AgentSkill.objects.create(agent=agent, group=SkillGroup.objects.get(code="general"), level=1)
        made.append(agent)
    return made


@pytest.fixture
def leader(make_staff):
    return make_staff("leader.w", "leader", "xian")


def _calls(centre, day: dt.date, hour: int, count: int):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    Contact.objects.bulk_create(
        Contact(
            centre=centre,
            region=centre.region,
            channel="hotline",
            started_at=start + dt.timedelta(seconds=i * (1800 // count)),
            answered_at=start + dt.timedelta(seconds=i * (1800 // count) + 5),
            ended_at=start + dt.timedelta(seconds=i * (1800 // count) + 185),
            queue="general",
            outcome="answered",
            call_id=f"{day}-{hour}-{i}",
        )
        for i in range(count)
    )


def _url(centre):
    return f"/workforce/{centre.code}/roster/"


def test_a_leader_adds_changes_and_deletes_shifts_each_audited(client, centre, agents, leader):
    client.force_login(leader)
    post = {"day": DAY.isoformat(), "action": "save", "agent": "w00", "start": "09:00", "end": "17:00"}
    response = client.post(_url(centre), {**post, "break_minutes": "60"})
    assert response.status_code == 302
    shift = Shift.objects.get()
    assert timezone.localtime(shift.starts_at) == timezone.make_aware(dt.datetime(2026, 11, 30, 9))
    assert shift.break_minutes == 60 and shift.agent == agents[0]
    page = client.get(_url(centre), {"day": DAY.isoformat()}).content.decode()
    assert f'data-shift="{shift.pk}"' in page and 'data-rostered="1"' in page  # in the table and the chart
    # a night shift ends the next day
    client.post(_url(centre), {**post, "agent": "w01", "start": "22:00", "end": "06:00", "break_minutes": "30"})
    night = Shift.objects.get(agent=agents[1])
    assert (night.ends_at - night.starts_at) == dt.timedelta(hours=8)
    # change: later start
    client.post(_url(centre), {**post, "shift": shift.pk, "start": "10:00", "end": "18:00", "break_minutes": "30"})
    shift.refresh_from_db()
    assert timezone.localtime(shift.starts_at).hour == 10 and shift.break_minutes == 30
    client.post(_url(centre), {"day": DAY.isoformat(), "action": "delete", "shift": night.pk})
    assert not Shift.objects.filter(pk=night.pk).exists()
    actions = list(AuditEvent.objects.filter(object_type="workforce.shift").values_list("action", flat=True))
    assert sorted(actions) == ["create", "create", "delete", "update"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"agent": "nobody"}, "agent"),
        ({"start": "09:00", "end": "09:30"}, "end"),  # under an hour
        ({"start": "06:00", "end": "20:00"}, "end"),  # over 12 hours
        ({"break_minutes": "300"}, "break_minutes"),  # more than half the shift
        ({"start": "9 o'clock"}, "start"),
        ({"group": "nope"}, "group"),
        ({"start": "12:00", "end": "15:00"}, "start"),  # overlaps the agent's 9-17 shift
    ],
)
def test_a_bad_shift_is_refused_naming_the_field_and_nothing_changes(client, centre, agents, leader, fields, field):
    roster.save_shift(leader, centre, DAY, "w00", dt.time(9), dt.time(17), 60)
    client.force_login(leader)
    post = {"day": DAY.isoformat(), "action": "save", "agent": "w00", "start": "18:00", "end": "22:00"}
    response = client.post(_url(centre), {**post, "break_minutes": "0", **fields})
    assert response.status_code == 400
    assert response.context["shift_form"].errors.get(field), response.context["shift_form"].errors
    assert Shift.objects.count() == 1


def test_copy_a_day_and_a_week_skipping_agents_already_rostered(client, centre, agents, leader):
    roster.save_shift(leader, centre, DAY, "w00", dt.time(9), dt.time(17), 60)
    roster.save_shift(leader, centre, DAY, "w01", dt.time(13), dt.time(21), 60)
    roster.save_shift(leader, centre, DAY + dt.timedelta(days=2), "w02", dt.time(8), dt.time(16), 30)
    tuesday = DAY + dt.timedelta(days=1)
    roster.save_shift(leader, centre, tuesday, "w01", dt.time(12), dt.time(14), 0)
    client.force_login(leader)
    response = client.post(_url(centre), {"day": DAY.isoformat(), "action": "copy_day", "target": tuesday.isoformat()})
    assert response.status_code == 302
    assert sorted(s.agent.code for s in roster.shifts_for_day(centre, tuesday)) == ["w00", "w01"]  # w01 skipped
    next_week = DAY + dt.timedelta(days=9)  # a Wednesday: the week of Monday 7 Dec
    client.post(_url(centre), {"day": DAY.isoformat(), "action": "copy_week", "target": next_week.isoformat()})
    monday = DAY + dt.timedelta(days=7)
    assert [s.agent.code for s in roster.shifts_for_day(centre, monday + dt.timedelta(days=2))] == ["w02"]
    assert len(roster.shifts_for_day(centre, monday)) == 2
    response = client.post(_url(centre), {"day": DAY.isoformat(), "action": "copy_day", "target": DAY.isoformat()})
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action="copy_roster").count() == 2


def test_the_generated_roster_covers_the_requirement_and_is_saved_only_when_accepted(client, centre, agents, leader):
    for weeks_back in (1, 2, 3, 4):
        for hour in range(9, 17):
            _calls(centre, DAY - dt.timedelta(days=7 * weeks_back), hour, 20)
    required = services.staffing(centre, DAY).required
    assert required.max() > 0
    proposals, deficit, _ = roster.propose(centre, DAY, shift_hours=8, break_minutes=0)
    assert proposals and (deficit <= 0).all()  # 12 agents are enough
    covered = sum(roster.coverage(p.start.hour * 2 + p.start.minute // 30, 16, 0) for p in proposals)
    assert (covered >= required).all()
    assert len({p.agent for p in proposals}) == len(proposals)
    assert not Shift.objects.exists()

    client.force_login(leader)
    response = client.post(
        _url(centre), {"day": DAY.isoformat(), "action": "generate", "shift_hours": "8", "break_minutes": "0"}
    )
    assert response.status_code == 200 and 'id="proposals"' in response.content.decode()
    items = json.loads(response.context["proposals_json"])
    assert len(items) == len(proposals)
    response = client.post(_url(centre), {"day": DAY.isoformat(), "action": "accept", "proposals": json.dumps(items)})
    assert response.status_code == 302
    assert Shift.objects.count() == len(proposals)
    assert (services.rostered(centre, None, DAY) >= required).all()
    # a second proposal has nothing left to do
    assert roster.propose(centre, DAY)[0] == []


def test_with_too_few_agents_the_proposal_says_what_is_still_short(centre, agents, leader):
    for weeks_back in (1, 2):
        _calls(centre, DAY - dt.timedelta(days=7 * weeks_back), 10, 200)
    Agent.objects.exclude(code__in=["w00", "w01"]).update(active=False)
    proposals, deficit, _ = roster.propose(centre, DAY)
    assert [p.agent for p in proposals] == ["w00", "w01"] and (deficit > 0).any()


def test_accepting_a_tampered_proposal_changes_nothing(client, centre, agents, leader):
    client.force_login(leader)
    good = {"agent": "w00", "start": "09:00", "end": "17:00", "break_minutes": 60, "group": None}
    for bad in ([good, {**good, "agent": "w01", "start": "nine"}], [good, {**good, "agent": "x"}], "nonsense"):
        response = client.post(_url(centre), {"day": DAY.isoformat(), "action": "accept", "proposals": json.dumps(bad)})
        assert response.status_code == 400
    assert not Shift.objects.exists()


def test_only_leaders_of_the_region_edit_agents_see_nothing(client, centre, agents, make_staff, leader):
    client.force_login(make_staff("agent.x", "agent", "xian"))
    assert client.get(_url(centre)).status_code == 403
    client.force_login(make_staff("leader.bj", "leader", "baoji"))
    assert client.get(_url(centre)).status_code == 404
    with pytest.raises(DomainError):
        roster.save_shift(make_staff("agent.y", "agent", "xian"), centre, DAY, "w00", dt.time(9), dt.time(17))
    client.force_login(leader)
    assert client.get(_url(centre), {"day": "someday"}).status_code == 404
    assert client.get(_url(centre), {"edit": "999"}).status_code == 404
    assert client.post(_url(centre), {"day": DAY.isoformat(), "action": "delete", "shift": "999"}).status_code == 400
