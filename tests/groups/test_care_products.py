"""Group products (GRP-5): the seeded catalogue, subscriptions (one open per product), promotion plans and
trainings within scope, the monthly promotion report (API, page, xlsx opened with openpyxl), bad input."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from kefu.groups.catalogue import DEFAULT_PRODUCTS
from kefu.groups.models import GroupProduct, GroupSubscription, PromotionPlan, TrainingSession
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _sub(group, code, started, ended=None, quantity=1, staff=None):
    return GroupSubscription.objects.create(
        group=group,
        product=GroupProduct.objects.get(code=code),
        started_on=started,
        ended_on=ended,
        quantity=quantity,
        sold_by=staff,
    )


def test_the_catalogue_is_seeded(api, manager_xian):
    codes = {code for code, *_rest in DEFAULT_PRODUCTS}
    assert codes <= set(GroupProduct.objects.values_list("code", flat=True))
    names = {p.name for p in GroupProduct.objects.all()}
    assert {"集团短信", "移动办公", "WLAN", "IP增值业务", "小区广播"} <= names
    api.login(manager_xian)
    listed = api.get("/api/v1/groups/care/products").json()
    assert codes <= {p["code"] for p in listed}


def test_subscriptions_one_open_per_product_and_bad_input(api, make_group, manager_xian, manager_baoji):
    group = make_group(manager=manager_xian)
    url = f"/api/v1/groups/{group.code}/subscriptions"
    api.login(manager_baoji)
    assert api.post(url, {"product": "group-sms", "started_on": "2026-11-01"}).status_code == 404
    api.login(manager_xian)
    ok = api.post(url, {"product": "group-sms", "started_on": "2026-11-01", "quantity": 50})
    assert ok.status_code == 201, ok.content
    assert ok.json()["quantity"] == 50
    again = api.post(url, {"product": "group-sms", "started_on": "2026-11-05"})
    assert again.status_code == 409 and again.json()["field"] == "product"
    cases = [
        ({"product": "telegraph", "started_on": "2026-11-01"}, "product"),
        ({"product": "wlan", "started_on": "2026-11-01", "quantity": 0}, "quantity"),
        ({"product": "wlan", "started_on": "2026-11-01", "ended_on": "2026-10-01"}, "ended_on"),
        ({"product": "wlan", "started_on": "not a date"}, "started_on"),
    ]
    for payload, field in cases:
        bad = api.post(url, payload)
        assert bad.status_code == 422 and bad.json()["field"] == field, (payload, bad.content)
    assert GroupSubscription.objects.count() == 1
    sub_id = ok.json()["id"]
    early = api.post(f"{url}/{sub_id}/end", {"ended_on": "2026-10-01"})
    assert early.status_code == 422 and early.json()["field"] == "ended_on"
    ended = api.post(f"{url}/{sub_id}/end", {"ended_on": "2026-11-20"})
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2026-11-20"
    assert api.post(url, {"product": "group-sms", "started_on": "2026-11-21"}).status_code == 201
    assert [s["ended_on"] for s in api.get(url, open=True).json()] == [None]


def test_promotion_plans_and_trainings_within_scope(api, leader_xian, manager_xian, manager_baoji):
    api.login(manager_xian)
    plan = {"product": "group-sms", "region": "xian", "month": "2026-10", "target_subscriptions": 4}
    assert api.post("/api/v1/groups/care/promotion-plans", plan).status_code == 403
    api.login(leader_xian)
    assert api.post("/api/v1/groups/care/promotion-plans", {**plan, "region": "baoji"}).json()["field"] == "region"
    assert api.post("/api/v1/groups/care/promotion-plans", {**plan, "month": "2026-13"}).json()["field"] == "month"
    bad = api.post("/api/v1/groups/care/promotion-plans", {**plan, "target_subscriptions": -1})
    assert bad.status_code == 422 and bad.json()["field"] == "target_subscriptions"
    assert PromotionPlan.objects.count() == 0
    assert api.post("/api/v1/groups/care/promotion-plans", plan).status_code == 201
    again = api.post("/api/v1/groups/care/promotion-plans", {**plan, "target_subscriptions": 5})
    assert again.status_code == 201 and PromotionPlan.objects.get().target_subscriptions == 5
    training = {
        "title": "集团短信业务培训",
        "product": "group-sms",
        "region": "xian",
        "held_on": "2026-10-12",
        "trainer": "陈老师",
        "attendees": [manager_xian.username],
    }
    refused = api.post("/api/v1/groups/care/trainings", {**training, "attendees": [manager_baoji.username]})
    assert refused.status_code == 422 and refused.json()["field"] == "attendees"
    assert api.post("/api/v1/groups/care/trainings", {**training, "region": "baoji"}).json()["field"] == "region"
    assert TrainingSession.objects.count() == 0
    done = api.post("/api/v1/groups/care/trainings", training)
    assert done.status_code == 201 and done.json()["attendees"] == [manager_xian.username]
    assert [t["title"] for t in api.get("/api/v1/groups/care/trainings", month="2026-10").json()] == [
        "集团短信业务培训"
    ]
    api.login(manager_baoji)
    assert api.get("/api/v1/groups/care/trainings").json() == []
    assert api.get("/api/v1/groups/care/promotion-plans").json() == []


@pytest.fixture
def october(make_group, manager_xian, manager_baoji, leader_xian, make_staff):
    """Xi'an: group SMS target 4 (city 3 + Yanta county 1), 2 new in October, 1 older still active, 1 ended in
    September; one training. Baoji: 1 new group SMS, target 2."""
    xian1, xian2 = make_group(manager=manager_xian), make_group(manager=manager_xian)
    baoji = make_group(region="baoji", manager=manager_baoji)
    _sub(xian1, "group-sms", dt.date(2026, 10, 3), staff=manager_xian)
    _sub(xian2, "group-sms", dt.date(2026, 10, 31), staff=manager_xian)
    _sub(xian1, "wlan", dt.date(2026, 5, 1), staff=manager_xian)
    _sub(xian2, "wlan", dt.date(2026, 2, 1), dt.date(2026, 9, 30), staff=manager_xian)
    _sub(xian1, "mobile-office", dt.date(2026, 11, 2), staff=manager_xian)  # November: not in October
    _sub(baoji, "group-sms", dt.date(2026, 10, 9), staff=manager_baoji)
    from kefu.core.models import Region

    sms = GroupProduct.objects.get(code="group-sms")
    for region, target in (("xian", 3), ("xian-yanta", 1), ("baoji", 2)):
        PromotionPlan.objects.create(
            product=sms,
            region=Region.objects.get(code=region),
            month=dt.date(2026, 10, 1),
            target_subscriptions=target,
            created_by=leader_xian,
        )
    TrainingSession.objects.create(
        product=sms, region=Region.objects.get(code="xian"), title="培训", held_on=dt.date(2026, 10, 12), trainer="陈"
    )


def _row(report, city, product):
    return next(r for r in report["rows"] if r["city"] == city and r["product"] == product)


def test_the_monthly_report_per_product_and_city(api, october, leader_xian, admin_user):
    api.login(leader_xian)
    report = api.get("/api/v1/groups/care/promotion-report", month="2026-10").json()
    sms = _row(report, "xian", "group-sms")
    assert (sms["target"], sms["new"], sms["achievement_pct"], sms["active"], sms["trainings"]) == (4, 2, 50.0, 2, 1)
    wlan = _row(report, "xian", "wlan")
    assert (wlan["target"], wlan["new"], wlan["achievement_pct"], wlan["active"]) == (None, 0, None, 1)
    assert _row(report, "xian", "mobile-office")["new"] == 0
    assert {r["city"] for r in report["rows"]} == {"xian"}  # a Xi'an leader sees no Baoji rows
    api.login(admin_user)
    report = api.get("/api/v1/groups/care/promotion-report", month="2026-10").json()
    baoji = _row(report, "baoji", "group-sms")
    assert (baoji["target"], baoji["new"], baoji["achievement_pct"]) == (2, 1, 50.0)
    bad = api.get("/api/v1/groups/care/promotion-report", month="October")
    assert bad.status_code == 422 and bad.json()["field"] == "month"


def test_the_xlsx_report_opens_and_holds_the_figures(api, client, october, leader_xian, manager_baoji):
    api.login(leader_xian)
    response = api.get("/api/v1/groups/care/promotion-report.xlsx", month="2026-10")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 1
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows[0]) == 9 and all(isinstance(h, str) for h in rows[0])
    sms = next(r for r in rows[1:] if r[0] == "xian" and r[2] == "group-sms")
    assert sms[4:] == (4, 2, 50, 2, 1)
    assert all(isinstance(v, (int, float)) for v in sms[4:])
    assert not any(r[0] == "baoji" for r in rows[1:])
    client.login(username=manager_baoji.username, password=PASSWORD)
    page = client.get("/groups/care/promotion/report.xlsx", {"month": "2026-10"})
    rows = list(load_workbook(io.BytesIO(page.content)).active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"baoji"}
    assert client.get("/groups/care/promotion/report.xlsx", {"month": "2026-1x"}).status_code == 422


def test_promotion_and_product_pages(client, october, make_group, leader_xian, manager_xian, manager_baoji):
    client.login(username=leader_xian.username, password=PASSWORD)
    page = client.get("/groups/care/promotion/", {"month": "2026-10"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-city="xian" data-product="group-sms"' in html
    assert 'class="tag bad"' in html and 'data-city="baoji"' not in html
    refused = client.post(
        "/groups/care/promotion/?month=2026-10",
        {"product": "wlan", "region": "xian", "month": "2026-1", "target_subscriptions": "3"},
    )
    assert refused.status_code == 422
    done = client.post(
        "/groups/care/promotion/?month=2026-10",
        {"product": "wlan", "region": "xian", "month": "2026-10", "target_subscriptions": "3"},
    )
    assert done.status_code == 302
    assert PromotionPlan.objects.filter(product__code="wlan").count() == 1
    assert client.get("/groups/care/trainings/").status_code == 200
    assert client.get("/groups/care/catalogue/").status_code == 200
    group = make_group(manager=manager_xian)
    client.login(username=manager_xian.username, password=PASSWORD)
    url = f"/groups/care/g/{group.code}/products/"
    assert client.get(url).status_code == 200
    ok = client.post(url, {"action": "subscribe", "product": "wlan", "started_on": "2026-11-01", "quantity": "2"})
    assert ok.status_code == 302
    dup = client.post(url, {"action": "subscribe", "product": "wlan", "started_on": "2026-11-02", "quantity": "1"})
    assert dup.status_code == 409 and 'data-error-for="product"' in dup.content.decode()
    assert GroupSubscription.objects.filter(group=group).count() == 1
    client.login(username=manager_baoji.username, password=PASSWORD)
    assert client.get(url).status_code == 404
