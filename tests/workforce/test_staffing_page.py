"""The workforce page: calls forecast from the call records of past weeks, Erlang C agents required per
half-hour for the target, the roster's coverage, drawn as a chart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.contact.models import Agent, AgentSkill, Contact, ContactCentre, SkillGroup
from kefu.workforce import erlang, services
from kefu.workforce.models import Shift

DAY = dt.date(2026, 11, 30)  # a Monday


@pytest.fixture
def centre(regions):
    centre = ContactCentre.objects.create(code="xa10086", name="西安 10086", region=regions["xian"])
    SkillGroup.objects.create(centre=centre, code="general", name="综合", region=regions["xian"], aht=180)
    return centre


def _calls(centre, day: dt.date, hour: int, count: int, talk: int = 180):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    Contact.objects.bulk_create(
        Contact(
            centre=centre,
            region=centre.region,
            channel="hotline",
            started_at=start + dt.timedelta(seconds=i * (1800 // count)),
            answered_at=start + dt.timedelta(seconds=i * (1800 // count) + 5),
            ended_at=start + dt.timedelta(seconds=i * (1800 // count) + 5 + talk),
            queue="general",
            outcome="answered",
            call_id=f"{day}-{hour}-{i}",
        )
        for i in range(count)
    )


def test_the_requirement_follows_the_weighted_weekday_forecast(centre):
    # 10:00-10:30 on the four Mondays before: 120, 100, 80, 60 calls (weights 0.4, 0.3, 0.2, 0.1 -> 100)
    for weeks_back, count in zip((1, 2, 3, 4), (120, 100, 80, 60), strict=True):
        _calls(centre, DAY - dt.timedelta(days=7 * weeks_back), 10, count)
    result = services.staffing(centre, DAY)
    assert result.weeks_used == 4 and result.forecast[20] == pytest.approx(100.0)
    assert result.aht == pytest.approx(180.0)
    assert result.required[20] == 14 == erlang.agents_required(100, 180)  # the textbook case: 10 Erlangs, 14 agents
    assert result.required[0] == 0
    strict = services.staffing(centre, DAY, target_sl=0.9, target_time=15)
    assert strict.required[20] > 14


def test_the_roster_covers_the_half_hours_its_shifts_fill(centre, make_staff):
    agents = []
    for i in range(3):
        agent = Agent.objects.create(user=make_staff(f"w{i}", "agent", "xian"), centre=centre, code=f"w{i}")
        AgentSkill.objects.create(agent=agent, group=SkillGroup.objects.get(code="general"), level=1)
        agents.append(agent)
    at = lambda h, m=0: timezone.make_aware(dt.datetime.combine(DAY, dt.time(h, m)))  # noqa: E731
    Shift.objects.create(agent=agents[0], starts_at=at(9), ends_at=at(17), break_minutes=60)
    Shift.objects.create(agent=agents[1], starts_at=at(9, 15), ends_at=at(12))
    Shift.objects.create(agent=agents[2], starts_at=at(20), ends_at=at(23, 59))
    covered = services.rostered(centre, None, DAY)
    assert covered[18] == 1  # 09:00-09:30: the 9:15 shift does not cover it whole
    assert covered[19] == 2 and covered[23] == 2 and covered[24] == 1
    assert covered[25] == 0 and covered[26] == 0  # the hour of break in the middle of 9-17 (12:30-13:30)
    assert covered[47] == 0 and covered[46] == 1


def test_the_page_shows_the_chart_and_the_gaps(client, centre, make_staff):
    for weeks_back in (1, 2):
        _calls(centre, DAY - dt.timedelta(days=7 * weeks_back), 10, 100)
    leader = make_staff("leader.w", "leader", "xian")
    client.force_login(leader)
    response = client.get(f"/workforce/{centre.code}/", {"day": DAY.isoformat(), "group": "general"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and 'data-interval="20" data-required="14" data-rostered="0"' in body
    assert 'id="short"' in body  # nobody is rostered
    assert client.get(f"/workforce/{centre.code}/", {"target_sl": "150"}).status_code == 400
    assert client.get(f"/workforce/{centre.code}/", {"group": "nope"}).status_code == 400
    client.force_login(make_staff("agent.w", "agent", "xian"))
    assert client.get(f"/workforce/{centre.code}/").status_code == 403
