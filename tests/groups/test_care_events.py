"""Special services (GRP-6): on-site service events with the work done, participant surveys (masked numbers),
the per-event summary, scope and bad input; the care panel of the group page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from kefu.groups import care_views
from kefu.groups.models import EventSurvey, ServiceEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _event_payload(**extra):
    return {
        "held_on": "2026-11-10",
        "place": "市政府大院",
        "staff": ["manager.xian"],
        "new_lines": 12,
        "vpmn_joins": 30,
        "demonstrations": "移动办公、集团短信",
        "other_work": "手机维修 8 部",
        **extra,
    }


def test_events_and_surveys_through_the_api(api, make_group, manager_xian, manager_baoji, admin_user):
    group = make_group(manager=manager_xian)
    url = f"/api/v1/groups/{group.code}/events"
    api.login(manager_baoji)
    assert api.post(url, _event_payload(staff=[])).status_code == 404
    api.login(manager_xian)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    cases = [
        (_event_payload(held_on=future), "held_on"),
        (_event_payload(staff=["manager.baoji"]), "staff"),
        (_event_payload(place=""), "place"),
        (_event_payload(new_lines=-1), "new_lines"),
    ]
    for payload, field in cases:
        bad = api.post(url, payload)
        assert bad.status_code == 422 and bad.json()["field"] == field, (payload, bad.content)
    assert ServiceEvent.objects.count() == 0
    made = api.post(url, _event_payload())
    assert made.status_code == 201, made.content
    event = made.json()
    assert (event["new_lines"], event["vpmn_joins"], event["staff"]) == (12, 30, ["manager.xian"])
    assert event["survey"] == {"answers": 0, "mean_score": None, "per_score": {str(n): 0 for n in range(1, 6)}}
    surveys = f"/api/v1/groups/care/events/{event['id']}/surveys"
    for payload, field in (
        ({"participant": "张三", "score": 6}, "score"),
        ({"participant": "张三", "score": 0}, "score"),
        ({"participant": "", "score": 4}, "participant"),
        ({"participant": "张三", "score": 4, "msisdn": "12345"}, "msisdn"),
    ):
        bad = api.post(surveys, payload)
        assert bad.status_code == 422 and bad.json()["field"] == field, (payload, bad.content)
    assert EventSurvey.objects.count() == 0
    first = api.post(surveys, {"participant": "张三", "score": 5, "needs": "更多流量", "msisdn": "13912345678"})
    assert first.status_code == 201 and first.json()["msisdn"] == "139****5678"
    api.post(surveys, {"participant": "李四", "score": 4})
    api.post(surveys, {"participant": "王五", "score": 3})
    detail = api.get(f"/api/v1/groups/care/events/{event['id']}").json()
    assert detail["survey"]["answers"] == 3 and detail["survey"]["mean_score"] == 4.0
    assert detail["survey"]["per_score"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert detail["answers"][0]["msisdn"] == "139****5678"
    assert [e["id"] for e in api.get(url).json()] == [event["id"]]
    api.login(admin_user)  # may unmask
    assert api.get(f"/api/v1/groups/care/events/{event['id']}").json()["answers"][0]["msisdn"] == "13912345678"
    api.login(manager_baoji)
    assert api.get("/api/v1/groups/care/events").json() == []
    assert api.get(f"/api/v1/groups/care/events/{event['id']}").status_code == 404
    assert api.post(surveys, {"participant": "赵六", "score": 5}).status_code == 404
    assert EventSurvey.objects.count() == 3


def test_event_pages(client, make_group, manager_xian, manager_baoji):
    group = make_group(manager=manager_xian)
    client.login(username=manager_xian.username, password=PASSWORD)
    new_url = f"/groups/care/g/{group.code}/events/new/"
    assert client.get(new_url).status_code == 200
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    form = {"held_on": future, "place": "厂区", "staff": ["manager.xian"], "new_lines": "5", "vpmn_joins": "7"}
    refused = client.post(new_url, form)
    assert refused.status_code == 422 and 'data-error-for="held_on"' in refused.content.decode()
    assert ServiceEvent.objects.count() == 0
    done = client.post(new_url, {**form, "held_on": timezone.localdate().isoformat()})
    assert done.status_code == 302
    event = ServiceEvent.objects.get()
    page_url = f"/groups/care/events/{event.pk}/"
    assert done["Location"] == page_url
    bad = client.post(page_url, {"participant": "张三", "score": "9"})
    assert bad.status_code == 422
    ok = client.post(page_url, {"participant": "张三", "score": "4", "msisdn": "13912345678"})
    assert ok.status_code == 302
    html = client.get(page_url).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    assert 'data-field="mean_score">4.0<' in html or 'data-field="mean_score">4<' in html
    listing = client.get("/groups/care/events/").content.decode()
    assert f'data-event="{event.pk}"' in listing
    client.login(username=manager_baoji.username, password=PASSWORD)
    assert f'data-event="{event.pk}"' not in client.get("/groups/care/events/").content.decode()
    assert client.get(page_url).status_code == 404
    assert client.get(new_url).status_code == 404


def test_the_care_panel_for_the_group_page(rf, make_group, manager_xian):
    group = make_group(manager=manager_xian)
    ServiceEvent.objects.create(
        group=group, held_on=dt.date(2026, 11, 1), place="礼堂", new_lines=3, created_by=manager_xian
    )
    request = rf.get("/")
    request.user = manager_xian
    html = render_to_string("groups/care_panel.html", {"care": care_views.panel(manager_xian, group)}, request)
    assert 'id="group-care"' in html and "礼堂" in html
    assert f"/groups/care/g/{group.code}/log/" in html and f"/groups/care/g/{group.code}/survey/" in html


def test_care_demo_data_fills_the_dashboard_and_the_report(make_group, manager_xian, admin_user):
    from kefu.groups import care_demo, products, standards
    from kefu.groups.models import GroupSurvey, ServiceContact

    for grade in "ABC":
        make_group(grade=grade, manager=manager_xian)
    today = timezone.localdate()
    first = care_demo.seed(today, seed=3)
    assert first["contacts"] > 0 and first["promotion_plans"] > 0
    again = care_demo.seed(today, seed=3)  # replaces, does not add up
    assert ServiceContact.objects.count() == again["contacts"] == first["contacts"]
    assert GroupSurvey.objects.filter(surveyed_on__gt=today).count() == 0
    assert ServiceContact.objects.filter(at__gt=timezone.now()).count() == 0
    report = standards.measure(admin_user, f"{today:%Y-%m}")
    assert any(r["key"] == "xian" for r in report["by_city"])
    rows = products.promotion_report(admin_user, today.replace(day=1))["rows"]
    assert any(r["target"] for r in rows)
