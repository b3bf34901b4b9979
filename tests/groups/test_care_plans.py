"""Service plans (GRP-2): the seeded default plan, progress against it, the behind-plan rule, logging contacts
(scope, the future, bad input), the plan edited by administrators, behind plan on the manager's home page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kefu.core.errors import DomainError
from kefu.core.models import AuditEvent
from kefu.groups import service_plans
from kefu.groups.catalogue import DEFAULT_PLAN, seed_service_plan
from kefu.groups.models import GroupContact, ServiceContact, ServicePlanItem
from kefu.groups.service_plans import behind_plan, expected_by, period_bounds, plan_progress

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _log(group, manager, kind: str, day: dt.date, n: int = 1):
    for _i in range(n):
        ServiceContact.objects.create(group=group, kind=kind, at=_at(day), staff=manager, summary="拜访")


def test_default_plan_is_seeded_per_grade_with_a_more_than_b_more_than_c_and_never_overwritten():
    items = {(i.grade, i.kind): i for i in ServicePlanItem.objects.all()}
    assert len(items) == 3 * len(DEFAULT_PLAN)
    for kind in DEFAULT_PLAN:
        a, b, c = (items[(g, kind)] for g in "ABC")
        assert a.period == b.period == c.period
        assert a.times > b.times > c.times > 0
    ServicePlanItem.objects.filter(grade="A", kind="phone_visit").update(times=9)
    ServicePlanItem.objects.filter(grade="C", kind="symposium").delete()
    assert seed_service_plan() == 1
    assert ServicePlanItem.objects.get(grade="A", kind="phone_visit").times == 9
    assert ServicePlanItem.objects.filter(grade="C", kind="symposium").exists()


def test_period_bounds_and_the_pro_rated_rule():
    assert period_bounds("month", dt.date(2026, 12, 15)) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert period_bounds("quarter", dt.date(2026, 11, 26)) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert period_bounds("quarter", dt.date(2026, 5, 2)) == (dt.date(2026, 4, 1), dt.date(2026, 7, 1))
    assert period_bounds("year", dt.date(2026, 5, 2)) == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    start, end = dt.date(2026, 11, 1), dt.date(2026, 12, 1)  # 30 days
    assert expected_by(4, start, end, dt.date(2026, 11, 7)) == 0  # 4 × 7 / 30 = 0.93
    assert expected_by(4, start, end, dt.date(2026, 11, 8)) == 1  # 4 × 8 / 30 = 1.07
    assert expected_by(4, start, end, dt.date(2026, 11, 15)) == 2
    assert expected_by(1, start, end, dt.date(2026, 11, 29)) == 0  # once a period: due on its last day
    assert expected_by(1, start, end, dt.date(2026, 11, 30)) == 1
    assert expected_by(4, start, end, dt.date(2026, 11, 30)) == 4


def test_plan_progress_counts_the_current_period_of_each_kind(make_group, manager_xian):
    group = make_group(grade="A", manager=manager_xian)
    today = dt.date(2026, 11, 16)  # day 16 of 30; day 47 of the quarter's 92; day 320 of 365
    _log(group, manager_xian, "phone_visit", dt.date(2026, 11, 2))
    _log(group, manager_xian, "phone_visit", dt.date(2026, 10, 30), n=3)  # last month: not counted
    _log(group, manager_xian, "onsite_visit", dt.date(2026, 10, 5))  # this quarter
    _log(group, manager_xian, "holiday_sms", dt.date(2026, 2, 1), n=5)  # this year
    rows = {r["kind"]: r for r in plan_progress(group, today)}
    assert set(rows) == set(DEFAULT_PLAN)
    phone = rows["phone_visit"]
    assert (phone["planned"], phone["expected"], phone["done"], phone["behind"]) == (4, 2, 1, True)
    onsite = rows["onsite_visit"]  # 3 × 47 / 92 = 1.53 → 1 due, 1 done
    assert (onsite["planned"], onsite["expected"], onsite["done"], onsite["behind"]) == (3, 1, 1, False)
    assert onsite["from"] == dt.date(2026, 10, 1) and onsite["to"] == dt.date(2026, 12, 31)
    sms = rows["holiday_sms"]  # 6 × 320 / 365 = 5.26 → 5 due, 5 done
    assert (sms["expected"], sms["done"], sms["behind"]) == (5, 5, False)
    letters = rows["holiday_letter"]  # 4 × 320 / 365 = 3.5 → 3 due, none done
    assert (letters["expected"], letters["done"], letters["behind"]) == (3, 0, True)


def test_behind_plan_lists_only_the_managers_active_groups_and_their_late_kinds(make_group, manager_xian, make_staff):
    other = make_staff("manager.xian2", "manager", "xian")
    today = dt.date(2026, 11, 30)  # the month's last day: the month's whole plan is due
    mine = make_group(grade="C", manager=manager_xian)
    on_plan = make_group(grade="C", manager=manager_xian)
    make_group(grade="A", manager=other)  # someone else's
    make_group(grade="A", manager=manager_xian, status="churned")  # left the network
    for group in (mine, on_plan):
        _log(group, manager_xian, "onsite_visit", dt.date(2026, 10, 10))
        _log(group, manager_xian, "promotion", dt.date(2026, 10, 10))
        _log(group, manager_xian, "symposium", dt.date(2026, 3, 10))
        _log(group, manager_xian, "holiday_letter", dt.date(2026, 3, 10))
        _log(group, manager_xian, "holiday_sms", dt.date(2026, 3, 10), n=3)
    _log(on_plan, manager_xian, "phone_visit", dt.date(2026, 11, 3))
    rows = behind_plan(manager_xian, today)
    assert [r["group"].code for r in rows] == [mine.code]
    assert [k["kind"] for k in rows[0]["kinds"]] == ["phone_visit"]
    assert rows[0]["kinds"][0]["missing"] == 1
    assert behind_plan(other, dt.date(2026, 1, 1)) == []  # day one: nothing due yet


def test_log_a_contact_refuses_the_future_others_contact_persons_and_bad_kinds(make_group, manager_xian):
    group = make_group(manager=manager_xian)
    other = make_group()
    stranger = GroupContact.objects.get(group=other)
    good = service_plans.log_contact(
        manager_xian,
        group,
        "phone_visit",
        timezone.now() - dt.timedelta(hours=1),
        " 电话回访 ",
        GroupContact.objects.get(group=group).pk,
    )
    assert good.summary == "电话回访" and good.staff == manager_xian
    assert AuditEvent.objects.filter(action="groups.service_contact.log", object_id=str(good.pk)).exists()
    cases = [
        ({"kind": "phone_visit", "at": timezone.now() + dt.timedelta(days=1), "summary": "x"}, "at"),
        ({"kind": "telepathy", "at": timezone.now(), "summary": "x"}, "kind"),
        ({"kind": "phone_visit", "at": timezone.now(), "summary": "  "}, "summary"),
        ({"kind": "phone_visit", "at": timezone.now(), "summary": "x", "contact_id": stranger.pk}, "contact"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as exc:
            service_plans.log_contact(manager_xian, group, **kwargs)
        assert exc.value.field == field
    assert ServiceContact.objects.count() == 1


def test_contacts_through_the_api_scope_and_bad_input(api, make_group, manager_xian, manager_baoji):
    group = make_group(manager=manager_xian)
    contact = GroupContact.objects.get(group=group)
    api.login(manager_baoji)
    at = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    refused = api.post(
        f"/api/v1/groups/{group.code}/service-contacts", {"kind": "phone_visit", "at": at, "summary": "x"}
    )
    assert refused.status_code == 404
    assert api.get(f"/api/v1/groups/{group.code}/plan-progress").status_code == 404
    api.login(manager_xian)
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()
    bad = api.post(
        f"/api/v1/groups/{group.code}/service-contacts", {"kind": "phone_visit", "at": future, "summary": "x"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "at"
    missing = api.post(f"/api/v1/groups/{group.code}/service-contacts", {"kind": "phone_visit", "summary": "x"})
    assert missing.status_code == 422 and missing.json()["field"] == "at"
    assert ServiceContact.objects.count() == 0
    ok = api.post(
        f"/api/v1/groups/{group.code}/service-contacts",
        {"kind": "onsite_visit", "at": at, "summary": "上门座谈", "contact": contact.pk},
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["contact"]["name"] == "李明"
    listed = api.get(f"/api/v1/groups/{group.code}/service-contacts").json()
    assert [c["summary"] for c in listed] == ["上门座谈"]
    progress = api.get(f"/api/v1/groups/{group.code}/plan-progress").json()
    onsite = next(k for k in progress["kinds"] if k["kind"] == "onsite_visit")
    assert onsite["done"] == 1 and onsite["planned"] == 2  # grade B


def test_only_administrators_edit_the_plan(api, client, manager_xian, admin_user):
    url = "/api/v1/groups/care/service-plan/B/phone_visit"
    api.login(manager_xian)
    headers = api._headers()
    denied = client.put(url, {"period": "month", "times": 3}, content_type="application/json", **headers)
    assert denied.status_code == 403
    api.login(admin_user)
    headers = api._headers()
    bad = client.put(url, {"period": "fortnight", "times": 3}, content_type="application/json", **headers)
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    bad = client.put(url, {"period": "month", "times": -1}, content_type="application/json", **headers)
    assert bad.status_code == 422 and bad.json()["field"] == "times"
    unknown = client.put(
        "/api/v1/groups/care/service-plan/D/phone_visit",
        {"period": "month", "times": 3},
        content_type="application/json",
        **headers,
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "grade"
    assert ServicePlanItem.objects.get(grade="B", kind="phone_visit").times == 2
    ok = client.put(url, {"period": "month", "times": 3}, content_type="application/json", **headers)
    assert ok.status_code == 200 and ok.json()["times"] == 3
    assert ServicePlanItem.objects.get(grade="B", kind="phone_visit").times == 3
    plan = api.get("/api/v1/groups/care/service-plan").json()
    assert {"grade": "B", "kind": "phone_visit", "period": "month", "times": 3} in plan


def test_plan_page_edit_by_administrator_only(client, manager_xian, admin_user):
    from tests.conftest import PASSWORD

    client.login(username=manager_xian.username, password=PASSWORD)
    assert client.get("/groups/care/service-plan/").status_code == 200
    assert (
        client.post(
            "/groups/care/service-plan/", {"grade": "A", "kind": "phone_visit", "period": "month", "times": "7"}
        ).status_code
        == 403
    )
    client.login(username=admin_user.username, password=PASSWORD)
    page = client.get("/groups/care/service-plan/")
    assert 'name="times"' in page.content.decode()
    bad = client.post(
        "/groups/care/service-plan/", {"grade": "A", "kind": "phone_visit", "period": "month", "times": "-2"}
    )
    assert bad.status_code == 422
    assert ServicePlanItem.objects.get(grade="A", kind="phone_visit").times == 4
    ok = client.post(
        "/groups/care/service-plan/", {"grade": "A", "kind": "phone_visit", "period": "month", "times": "7"}
    )
    assert ok.status_code == 302
    assert ServicePlanItem.objects.get(grade="A", kind="phone_visit").times == 7


def test_log_page_and_behind_plan_on_the_managers_home(client, make_group, manager_xian, manager_baoji):
    from tests.conftest import PASSWORD

    group = make_group(grade="A", manager=manager_xian)
    client.login(username=manager_xian.username, password=PASSWORD)
    ServicePlanItem.objects.filter(grade="A", kind="phone_visit").update(times=99)  # due from the 1st day on
    home = client.get("/keyaccounts/manager/")
    assert home.status_code == 200
    html = home.content.decode()
    assert f'data-group="{group.code}"' in html and 'data-kind="phone_visit"' in html
    assert f"/groups/care/g/{group.code}/log/" in html
    page = client.get(f"/groups/care/g/{group.code}/log/")
    assert page.status_code == 200 and "李明" in page.content.decode()
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(f"/groups/care/g/{group.code}/log/", {"kind": "phone_visit", "at": future, "summary": "x"})
    assert refused.status_code == 422 and 'data-error-for="at"' in refused.content.decode()
    assert ServiceContact.objects.count() == 0
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    for _i in range(4):
        done = client.post(f"/groups/care/g/{group.code}/log/", {"kind": "phone_visit", "at": now, "summary": "回访"})
        assert done.status_code == 302
    row = next(r for r in plan_progress(group) if r["kind"] == "phone_visit")
    assert row["done"] == 4
    client.login(username=manager_baoji.username, password=PASSWORD)
    assert client.get(f"/groups/care/g/{group.code}/log/").status_code == 404
    assert (
        client.post(f"/groups/care/g/{group.code}/log/", {"kind": "phone_visit", "at": now, "summary": "x"}).status_code
        == 404
    )
    assert ServiceContact.objects.count() == 4


def test_behind_plan_through_the_api(api, make_group, manager_xian, manager_baoji):
    group = make_group(grade="A", manager=manager_xian)
    ServicePlanItem.objects.filter(grade="A", kind="phone_visit").update(times=99)  # due from the 1st day on
    api.login(manager_xian)
    rows = api.get("/api/v1/groups/care/behind-plan").json()
    assert [r["group"] for r in rows] == [group.code]
    phone = next(k for k in rows[0]["kinds"] if k["kind"] == "phone_visit")
    assert phone["behind"] and phone["done"] == 0 and phone["planned"] == 99
    api.login(manager_baoji)
    assert api.get("/api/v1/groups/care/behind-plan").json() == []
