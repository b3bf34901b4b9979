"""Group service standards (GRP-3) on a known data set, every figure checked against hand numbers; misses
marked on the dashboard; scope; survey answers recorded from the API and the page, bad input refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import DomainError
from kefu.groups import standards
from kefu.groups.models import GroupContact, GroupMember, GroupSurvey
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

OCT = "2026-10"


def _answer(group, contact, day, satisfied, aware, staff):
    GroupSurvey.objects.create(
        group=group, contact=contact, surveyed_on=day, satisfied=satisfied, aware=aware, staff=staff
    )


@pytest.fixture
def data(make_group, manager_xian, manager_baoji):
    """October 2026.

    Xi'an, grade A (manager.xian): a1 (10 members since 2024, one leaves on 15 Oct; 5 answers, 4 satisfied;
    4 people asked, all aware by their latest answer), a2 (10 members, leaves the network on 20 Oct), a3 (left
    in September: not in the base). Xi'an grade C: c1, created now with no members (did not exist on 1 Oct).
    Baoji, grade B (manager.baoji): b1 (10 members; 4 answers, 3 satisfied; 2 people, 1 aware).
    """
    oct_ = lambda d: dt.date(2026, 10, d)  # noqa: E731
    a1 = make_group(grade="A", manager=manager_xian)
    a2 = make_group(
        grade="A",
        manager=manager_xian,
        status="churned",
        churned_at=timezone.make_aware(dt.datetime(2026, 10, 20, 9)),
    )
    make_group(grade="A", status="churned", churned_at=timezone.make_aware(dt.datetime(2026, 9, 10, 9)), members=3)
    make_group(grade="C", members=0)
    b1 = make_group(region="baoji", grade="B", manager=manager_baoji)
    leaver = GroupMember.objects.filter(group=a1).first()
    leaver.left_on = oct_(15)
    leaver.save()
    c1 = GroupContact.objects.get(group=a1)
    c2 = GroupContact.objects.create(group=a1, name="王芳", msisdn="13912340002")
    c3 = GroupContact.objects.create(group=a1, name="赵强", msisdn="13912340003")
    _answer(a1, c1, oct_(5), True, False, manager_xian)
    _answer(a1, c1, oct_(20), True, True, manager_xian)  # c1's latest: aware
    _answer(a1, c2, oct_(10), True, True, manager_xian)
    _answer(a1, c3, oct_(12), False, True, manager_xian)
    _answer(a1, None, oct_(15), True, True, manager_xian)  # nobody named: one person
    _answer(a1, c2, dt.date(2026, 9, 30), False, False, manager_xian)  # September: not counted
    d1 = GroupContact.objects.get(group=b1)
    d2 = GroupContact.objects.create(group=b1, name="孙丽", msisdn="13912340004")
    _answer(b1, d1, oct_(3), True, True, manager_baoji)
    _answer(b1, d1, oct_(4), True, True, manager_baoji)
    _answer(b1, d2, oct_(8), True, False, manager_baoji)
    _answer(b1, d2, oct_(9), False, False, manager_baoji)
    return {"a1": a1, "a2": a2, "b1": b1}


def _kpis(rows, **match):
    row = next(r for r in rows if all(r[k] == v for k, v in match.items()))
    return row, {k: (v["value"], v["numerator"], v["denominator"], v["met"]) for k, v in row["kpis"].items()}


def test_each_formula_against_hand_numbers(data, admin_user):
    report = standards.measure(admin_user, OCT)
    assert (report["from"], report["to"]) == ("2026-10-01", "2026-10-31")
    row, k = _kpis(report["by_city"], key="xian", grade="A")
    assert row["groups"] == 3
    assert k["satisfaction"] == (80.0, 4, 5, True)  # 4 of 5 answers; A needs ≥ 80
    assert k["awareness"] == (100.0, 4, 4, True)  # 4 people, all aware by their latest answer; A needs 100
    assert k["collective_churn"] == (50.0, 1, 2, False)  # a2 left of a1+a2 (a3 left before): ≤ 0.5
    assert k["internal_churn"] == (5.0, 1, 20, False)  # 1 of 20 members at the start: ≤ 3
    assert row["misses"] == 2
    _row, k = _kpis(report["by_city"], key="baoji", grade="B")
    assert k["satisfaction"] == (75.0, 3, 4, False)  # B needs ≥ 77
    assert k["awareness"] == (50.0, 1, 2, False)  # d1 aware, d2 not; B needs 95
    assert k["collective_churn"] == (0.0, 0, 1, True)
    assert k["internal_churn"] == (0.0, 0, 10, True)
    _row, k = _kpis(report["by_city"], key="xian", grade="C")
    assert all(v[0] is None and v[3] is None for v in k.values())  # nothing to measure: neither met nor missed
    _row, k = _kpis(report["by_manager"], key="manager.xian", grade="A")
    assert k["collective_churn"] == (50.0, 1, 2, False) and k["satisfaction"] == (80.0, 4, 5, True)
    _row, k = _kpis(report["by_grade"], grade="B")
    assert k["satisfaction"] == (75.0, 3, 4, False)
    # A quarter spans the month; September's answer still is outside it.
    quarter = standards.measure(admin_user, "2026-Q4")
    _row, k = _kpis(quarter["by_city"], key="xian", grade="A")
    assert k["satisfaction"] == (80.0, 4, 5, True) and quarter["to"] == "2026-12-31"
    # November: a2 left before it, so it is no longer in the base.
    november = standards.measure(admin_user, "2026-11")
    _row, k = _kpis(november["by_city"], key="xian", grade="A")
    assert k["collective_churn"] == (0.0, 0, 1, True) and k["internal_churn"] == (0.0, 0, 9, True)


def test_targets_come_from_the_parameters(data, admin_user):
    from kefu.core.services import set_parameter

    set_parameter(admin_user, "groups.collective_churn_max_pct", 60.0)
    report = standards.measure(admin_user, OCT)
    _row, k = _kpis(report["by_city"], key="xian", grade="A")
    assert k["collective_churn"][3] is True


def test_bad_periods_are_refused():
    for bad in ("2026-13", "2026-Q5", "26-10", "октябрь", "1999-01"):
        with pytest.raises(DomainError) as exc:
            standards.parse_period(bad)
        assert exc.value.field == "period"


def test_the_api_is_scoped_and_refuses_a_bad_period(api, data, manager_baoji, admin_user):
    api.login(manager_baoji)
    report = api.get("/api/v1/groups/care/standards", period=OCT).json()
    assert {r["key"] for r in report["by_city"]} == {"baoji"}
    assert {r["key"] for r in report["by_manager"]} == {"manager.baoji"}
    bad = api.get("/api/v1/groups/care/standards", period="2026-13")
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    api.login(admin_user)
    report = api.get("/api/v1/groups/care/standards", period=OCT).json()
    assert {r["key"] for r in report["by_city"]} == {"xian", "baoji"}


def test_dashboard_marks_misses_with_colour_and_text_and_is_scoped(client, data, manager_baoji, leader_xian):
    client.login(username=leader_xian.username, password=PASSWORD)
    page = client.get("/groups/care/standards/", {"period": OCT})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-city="xian" data-grade="A" data-misses="2"' in html
    assert 'data-kpi="collective_churn" data-met="no" class="miss"' in html
    assert html.count('<span class="tag bad">✗ ') >= 2  # a text marker, not colour only
    assert 'data-city="baoji"' not in html
    client.login(username=manager_baoji.username, password=PASSWORD)
    html = client.get("/groups/care/standards/", {"period": OCT}).content.decode()
    assert 'data-city="baoji" data-grade="B" data-misses="2"' in html
    assert 'data-city="xian"' not in html and 'data-manager="manager.xian"' not in html
    bad = client.get("/groups/care/standards/", {"period": "2026-99"})
    assert bad.status_code == 422 and 'data-error-for="period"' in bad.content.decode()


def test_survey_answers_through_the_api(api, make_group, manager_xian, manager_baoji):
    group = make_group(manager=manager_xian)
    other = make_group()
    contact = GroupContact.objects.get(group=group)
    url = f"/api/v1/groups/{group.code}/surveys"
    api.login(manager_baoji)
    today = timezone.localdate().isoformat()
    assert api.post(url, {"surveyed_on": today, "satisfied": True, "aware": True}).status_code == 404
    api.login(manager_xian)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    bad = api.post(url, {"surveyed_on": tomorrow, "satisfied": True, "aware": True})
    assert bad.status_code == 422 and bad.json()["field"] == "surveyed_on"
    bad = api.post(
        url,
        {"surveyed_on": today, "satisfied": True, "aware": True, "contact": GroupContact.objects.get(group=other).pk},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "contact"
    bad = api.post(url, {"surveyed_on": today, "satisfied": "perhaps", "aware": True})
    assert bad.status_code == 422 and bad.json()["field"] == "satisfied"
    assert GroupSurvey.objects.count() == 0
    ok = api.post(url, {"surveyed_on": today, "satisfied": False, "aware": True, "contact": contact.pk})
    assert ok.status_code == 201, ok.content
    assert ok.json()["contact"]["name"] == "李明"
    assert [s["satisfied"] for s in api.get(url).json()] == [False]


def test_survey_page(client, make_group, manager_xian, agent_xian):
    group = make_group(manager=manager_xian)
    client.login(username=agent_xian.username, password=PASSWORD)
    assert client.get(f"/groups/care/g/{group.code}/survey/").status_code == 403
    client.login(username=manager_xian.username, password=PASSWORD)
    assert client.get(f"/groups/care/g/{group.code}/survey/").status_code == 200
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = client.post(
        f"/groups/care/g/{group.code}/survey/", {"surveyed_on": tomorrow, "satisfied": "yes", "aware": "no"}
    )
    assert refused.status_code == 422 and 'data-error-for="surveyed_on"' in refused.content.decode()
    today = timezone.localdate().isoformat()
    done = client.post(
        f"/groups/care/g/{group.code}/survey/", {"surveyed_on": today, "satisfied": "yes", "aware": "no"}
    )
    assert done.status_code == 302
    answer = GroupSurvey.objects.get()
    assert answer.satisfied and not answer.aware and answer.staff == manager_xian


def test_group_care_is_in_the_navigation_of_managers_not_agents(client, manager_xian, agent_xian):
    client.login(username=manager_xian.username, password=PASSWORD)
    nav = client.get("/groups/care/standards/").content.decode().split('<nav class="mainnav">')[1].split("</nav>")[0]
    assert 'href="/groups/care/"' in nav
    client.login(username=agent_xian.username, password=PASSWORD)
    nav = client.get("/groups/").content.decode().split('<nav class="mainnav">')[1].split("</nav>")[0]
    assert 'href="/groups/care/"' not in nav
