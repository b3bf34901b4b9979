"""Bad input (issue 6 item 9 and the house rule): every write endpoint of the groups, VPMN and care APIs, sent
garbage — wrong types, missing fields, unknown codes, dates reversed or out of range, huge strings — answers
4xx JSON naming the field, never 500, and changes nothing. A few pages' forms the same way."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from kefu.groups import vpmn
from kefu.groups.models import ApplicationStatus, VpmnApplication
from tests.conftest import PASSWORD
from tests.groups.conftest import World, snapshot

pytestmark = pytest.mark.django_db

HUGE = "长" * 20_000
TODAY = "2026-11-20"

GROUP = {"name": "新集团", "nature": "enterprise", "industry": "government", "grade": "B", "region": "xian"}
APPLICATION = {"requested_plan": "vpmn-basic"}

# (who, method, path, body, status, field); the path's {…} are filled from the world.
CASES = [
    # groups
    ("manager", "POST", "/api/v1/groups", {}, 422, "name"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "name": HUGE}, 422, "name"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "nature": "secret"}, 422, "nature"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "grade": 5}, 422, "grade"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "region": "atlantis"}, 422, "region"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "employees": "many"}, 422, "employees"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "employees": 10**30}, 422, "employees"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "code": "x!"}, 422, "code"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "code": "XA-SECRET"}, 409, "code"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "surprise": 1}, 422, "surprise"),
    ("manager", "POST", "/api/v1/groups", {**GROUP, "customer_manager": "nobody"}, 422, "customer_manager"),
    ("manager", "PATCH", "/api/v1/groups/{code}", {"status": "churned"}, 403, "status"),
    ("leader", "PATCH", "/api/v1/groups/{code}", {"status": "merged"}, 422, "status"),
    ("manager", "PATCH", "/api/v1/groups/{code}", {"key_group_approved": True}, 403, "key_group_approved"),
    ("manager", "PATCH", "/api/v1/groups/{code}", {"employees": -1}, 422, "employees"),
    ("manager", "PATCH", "/api/v1/groups/{code}", {"name": ""}, 422, "name"),
    ("manager", "PATCH", "/api/v1/groups/{code}", {"name": None}, 422, "name"),
    # contacts
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张三"}, 422, "msisdn"),
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张三", "msisdn": "123"}, 422, "msisdn"),
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张三", "msisdn": "13900000000", "email": "x"},
     422, "email"),
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张三", "msisdn": "13900000000",
     "birth_date": "2999-01-01"}, 422, "birth_date"),
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张三", "msisdn": "13900000000",
     "birth_date": "yesterday"}, 422, "birth_date"),
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张三", "msisdn": "13900000000", "role": "boss"},
     422, "role"),
    ("manager", "PATCH", "/api/v1/groups/{code}/contacts/{contact}", {"msisdn": 13900000000}, 422, "msisdn"),
    ("manager", "PATCH", "/api/v1/groups/{code}/contacts/{contact}", {"is_primary": "maybe"}, 422, "is_primary"),
    ("manager", "PATCH", "/api/v1/groups/{code}/contacts/999999", {"name": "x"}, 404, None),
    # members
    ("manager", "POST", "/api/v1/groups/{code}/members", {"msisdn": "abc"}, 422, "msisdn"),
    ("manager", "POST", "/api/v1/groups/{code}/members", {"msisdn": "{member_msisdn}"}, 409, "msisdn"),
    ("manager", "POST", "/api/v1/groups/{code}/members", {"msisdn": "13800000000", "joined_on": "2999-01-01"},
     422, None),
    ("manager", "POST", "/api/v1/groups/{code}/members", {"msisdn": "13800000000", "fee_payer": "boss"},
     422, "fee_payer"),
    ("manager", "POST", "/api/v1/groups/{code}/members", {"msisdn": "13800000000", "department": HUGE},
     422, "department"),
    ("manager", "POST", "/api/v1/groups/{code}/members/{member}/remove", {"left_on": "2000-01-01"}, 422, "left_on"),
    ("manager", "POST", "/api/v1/groups/{code}/members/{member}/remove", {"left_on": "soon"}, 422, "left_on"),
    ("manager", "POST", "/api/v1/groups/{code}/members/{member}/remove", {"reason": HUGE}, 422, "reason"),
    ("admin", "POST", "/api/v1/groups/months/recompute", {"month": "2026-13"}, 422, "month"),
    ("admin", "POST", "/api/v1/groups/months/recompute", {}, 422, "month"),
    # care: service plan, contacts, surveys, products, events
    ("admin", "PUT", "/api/v1/groups/care/service-plan/A/phone_visit", {"period": "day", "times": 1}, 422, "period"),
    ("admin", "PUT", "/api/v1/groups/care/service-plan/A/phone_visit", {"period": "month", "times": -1},
     422, "times"),
    ("admin", "PUT", "/api/v1/groups/care/service-plan/Z/phone_visit", {"period": "month", "times": 1},
     422, "grade"),
    ("admin", "PUT", "/api/v1/groups/care/service-plan/A/karaoke", {"period": "month", "times": 1}, 422, "kind"),
    ("manager", "POST", "/api/v1/groups/{code}/service-contacts", {"kind": "karaoke", "at": "2026-11-01T10:00",
     "summary": "x"}, 422, "kind"),
    ("manager", "POST", "/api/v1/groups/{code}/service-contacts", {"kind": "phone_visit", "at": "2999-11-01T10:00",
     "summary": "x"}, 422, "at"),
    ("manager", "POST", "/api/v1/groups/{code}/service-contacts", {"kind": "phone_visit", "at": "0001-01-01T00:00",
     "summary": "x"}, 422, "at"),
    ("manager", "POST", "/api/v1/groups/{code}/service-contacts", {"kind": "phone_visit", "at": "2026-11-01T10:00",
     "summary": "x", "contact": 999999}, 422, "contact"),
    ("manager", "POST", "/api/v1/groups/{code}/service-contacts", {"kind": "phone_visit", "at": "2026-11-01T10:00",
     "summary": HUGE}, 422, "summary"),
    ("manager", "POST", "/api/v1/groups/{code}/surveys", {"surveyed_on": "2999-01-01", "satisfied": True,
     "aware": True}, 422, "surveyed_on"),
    ("manager", "POST", "/api/v1/groups/{code}/surveys", {"surveyed_on": TODAY, "satisfied": "very",
     "aware": True}, 422, "satisfied"),
    ("manager", "POST", "/api/v1/groups/{code}/surveys", {"surveyed_on": TODAY, "satisfied": True, "aware": True,
     "contact": 999999}, 422, "contact"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions", {"product": "nope", "started_on": TODAY},
     422, "product"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions", {"product": "wlan", "started_on": TODAY,
     "ended_on": "2026-01-01"}, 422, "ended_on"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions", {"product": "wlan", "started_on": TODAY,
     "quantity": 0}, 422, "quantity"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions", {"product": "wlan", "started_on": "2999-01-01"},
     422, "started_on"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions", {"product": "group-sms", "started_on": TODAY},
     409, "product"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions/{subscription}/end", {"ended_on": "2000-01-01"},
     422, "ended_on"),
    ("manager", "POST", "/api/v1/groups/{code}/subscriptions/{subscription}/end", {}, 422, "ended_on"),
    ("manager", "POST", "/api/v1/groups/{code}/events", {"held_on": "2999-01-01", "place": "x"}, 422, "held_on"),
    ("manager", "POST", "/api/v1/groups/{code}/events", {"held_on": TODAY, "place": ""}, 422, "place"),
    ("manager", "POST", "/api/v1/groups/{code}/events", {"held_on": TODAY, "place": "x", "new_lines": -1},
     422, "new_lines"),
    ("manager", "POST", "/api/v1/groups/{code}/events", {"held_on": TODAY, "place": "x", "staff": ["nobody"]},
     422, "staff"),
    ("manager", "POST", "/api/v1/groups/{code}/events", {"held_on": TODAY, "place": "x", "staff": "manager.xian"},
     422, "staff"),
    ("manager", "POST", "/api/v1/groups/care/events/{event}/surveys", {"participant": "x", "score": 9}, 422, "score"),
    ("manager", "POST", "/api/v1/groups/care/events/{event}/surveys", {"participant": "x", "score": 3,
     "msisdn": "12"}, 422, "msisdn"),
    ("manager", "POST", "/api/v1/groups/care/events/{event}/surveys", {"participant": "", "score": 3},
     422, "participant"),
    ("leader", "POST", "/api/v1/groups/care/promotion-plans", {"product": "wlan", "region": "xian",
     "month": "2026-13", "target_subscriptions": 1}, 422, "month"),
    ("leader", "POST", "/api/v1/groups/care/promotion-plans", {"product": "wlan", "region": "xian",
     "month": "2026-11", "target_subscriptions": -1}, 422, "target_subscriptions"),
    ("leader", "POST", "/api/v1/groups/care/promotion-plans", {"product": "nope", "region": "xian",
     "month": "2026-11", "target_subscriptions": 1}, 422, "product"),
    ("leader", "POST", "/api/v1/groups/care/promotion-plans", {"product": "wlan", "region": "atlantis",
     "month": "2026-11", "target_subscriptions": 1}, 422, "region"),
    ("leader", "POST", "/api/v1/groups/care/trainings", {"title": "t", "region": "xian", "held_on": "soon",
     "trainer": "x"}, 422, "held_on"),
    ("leader", "POST", "/api/v1/groups/care/trainings", {"title": "", "region": "xian", "held_on": TODAY,
     "trainer": "x"}, 422, "title"),
    ("leader", "POST", "/api/v1/groups/care/trainings", {"title": "t", "region": "xian", "held_on": TODAY,
     "trainer": "x", "attendees": [7]}, 422, "attendees"),
    ("leader", "POST", "/api/v1/groups/care/trainings", {"title": "t", "region": "xian", "held_on": TODAY,
     "trainer": "x", "product": "nope"}, 422, "product"),
    # VPMN applications
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "NOPE", **APPLICATION}, 404, None),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", "requested_plan": "nope"},
     422, "requested_plan"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", **APPLICATION, "applicant_msisdn": "12"},
     422, "applicant_msisdn"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", **APPLICATION,
     "short_number_from": "0123"}, 422, "short_number_from"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", **APPLICATION, "term_months": 99},
     422, "term_months"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", **APPLICATION, "expected_members": -5},
     422, "expected_members"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", **APPLICATION, "note": HUGE}, 422, "note"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{code}", **APPLICATION}, 409, "group"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": ["x"], **APPLICATION}, 422, "group"),
    ("manager", "PATCH", "/api/v1/vpmn/applications/{application}", {"version": "x"}, 422, "version"),
    ("manager", "PATCH", "/api/v1/vpmn/applications/{application}", {"note": "x"}, 409, "status"),
    ("manager", "POST", "/api/v1/vpmn/applications/{application}/submit", {"version": "x"}, 422, "version"),
    ("leader", "POST", "/api/v1/vpmn/applications/{small_application}/approve", {"starts_on": "9999-12-01"},
     422, "starts_on"),
    ("leader", "POST", "/api/v1/vpmn/applications/{small_application}/approve", {"starts_on": "someday"},
     422, "starts_on"),
    ("leader", "POST", "/api/v1/vpmn/applications/{small_application}/approve", {"note": HUGE}, 422, "note"),
    ("leader", "POST", "/api/v1/vpmn/applications/{small_application}/approve", {"version": 99}, 409, "version"),
    ("leader", "POST", "/api/v1/vpmn/applications/{application}/reject", {"reason": ""}, 422, "reason"),
    ("leader", "POST", "/api/v1/vpmn/applications/{application}/reject", {"reason": HUGE}, 422, "reason"),
    ("leader", "POST", "/api/v1/vpmn/applications/{application}/reject", {}, 422, "reason"),
    # VPMN members and agreements
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "13800000000"}, 422, "msisdn"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "{vpmn_msisdn}"}, 409, "msisdn"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "{member2_msisdn}",
     "short_number": "600"}, 409, "short_number"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "{member2_msisdn}",
     "short_number": "999"}, 422, "short_number"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "{member2_msisdn}",
     "short_number": "0600"}, 422, "short_number"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "{member2_msisdn}",
     "effective_from": "someday"}, 422, "effective_from"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members", {"msisdn": "{member2_msisdn}",
     "effective_from": "0001-01-01"}, 422, "effective_from"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/members/{vpmn_member}/remove",
     {"effective_to": "2000-01-01"}, 422, "effective_to"),
    ("manager", "PATCH", "/api/v1/vpmn/networks/{code}/members/{vpmn_member}", {"short_number": "abc"},
     422, "short_number"),
    ("manager", "PATCH", "/api/v1/vpmn/networks/{code}/members/{vpmn_member}", {}, 422, "short_number"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/agreements", {"discount_plan": "vpmn-basic",
     "starts_on": "2030-06-01", "ends_on": "2030-01-01"}, 422, "ends_on"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/agreements", {"discount_plan": "vpmn-basic",
     "starts_on": "someday", "term_months": 12}, 422, "starts_on"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/agreements", {"discount_plan": "vpmn-basic",
     "starts_on": "2030-06-01", "term_months": 0}, 422, "term_months"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/agreements", {"discount_plan": "vpmn-basic",
     "starts_on": "9999-12-31", "term_months": 12}, 422, "starts_on"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/agreements", {"discount_plan": "nope",
     "starts_on": "2030-06-01", "term_months": 12}, 422, "discount_plan"),
    ("manager", "POST", "/api/v1/vpmn/networks/{code}/agreements", {"discount_plan": "vpmn-basic",
     "starts_on": "2030-06-01"}, 422, "ends_on"),
    ("manager", "POST", "/api/v1/vpmn/agreements/{agreement}/terminate", {"reason": ""}, 422, "reason"),
    ("manager", "POST", "/api/v1/vpmn/agreements/{agreement}/terminate", {"reason": HUGE}, 422, "reason"),
    ("manager", "POST", "/api/v1/vpmn/groups/{code}/merge", {"into": "NOPE"}, 422, "into"),
    ("manager", "POST", "/api/v1/vpmn/groups/{small}/merge", {"into": "{small}"}, 422, "into"),
    ("manager", "POST", "/api/v1/vpmn/groups/{small}/merge", {"into": "{code}", "reason": HUGE}, 422, "reason"),
    # NUL characters (PostgreSQL text cannot hold them)
    ("manager", "POST", "/api/v1/groups", {**GROUP, "name": "a\x00b"}, 422, "name"),
    ("manager", "POST", "/api/v1/groups/{code}/contacts", {"name": "张\x00三", "msisdn": "13900000000"}, 422, "name"),
    ("manager", "POST", "/api/v1/vpmn/applications", {"group": "{small}", **APPLICATION, "note": "\x00"}, 422, "note"),
    ("manager", "POST", "/api/v1/vpmn/groups/{small}/merge", {"into": "A\x00B"}, 422, "into"),
    ("manager", "POST", "/api/v1/groups/{code}/events", {"held_on": TODAY, "place": "x", "staff": ["a\x00"]},
     422, "staff"),
    ("leader", "POST", "/api/v1/groups/care/trainings", {"title": "t", "region": "xian", "held_on": TODAY,
     "trainer": "x", "attendees": ["a\x00"]}, 422, "attendees"),
    ("manager", "POST", "/api/v1/vpmn/networks/A%00B/members", {"msisdn": "13800000000"}, 422, "code"),
]  # fmt: skip


@pytest.fixture
def users(manager_xian, leader_xian, admin_user):
    return {"manager": manager_xian, "leader": leader_xian, "admin": admin_user}


@pytest.fixture
def small(make_group, manager_xian):
    """A Xi'an group of 3 members in the world group's industry (merged from), with a submitted application."""
    group = make_group(members=3, manager=manager_xian, industry="government", code="XA-SMALL")
    VpmnApplication.objects.create(
        number="VA-XA-SMALL",
        group=group,
        status=ApplicationStatus.SUBMITTED,
        applicant_name="赵主任",
        applicant_msisdn="13955550000",
        requested_plan=vpmn.discount_plans().first(),
        expected_members=3,
        short_number_from="600",
        short_number_to="699",
        created_by=manager_xian,
    )
    return group


def _fill(text: str, w: World, small) -> str:
    members = list(w.group.members.select_related("subscriber").order_by("id"))
    return text.format(
        code=w.group.code,
        small=small.code,
        small_application="VA-XA-SMALL",
        contact=w.contact.pk,
        member=w.member.pk,
        member_msisdn=w.member.subscriber.msisdn,
        member2_msisdn=members[1].subscriber.msisdn,
        vpmn_msisdn=w.vpmn_member.subscriber.msisdn,
        vpmn_member=w.vpmn_member.pk,
        application=w.application.number,
        agreement=w.agreement.number,
        subscription=w.subscription.pk,
        event=w.event.pk,
    )


def _token(client, user) -> str:
    response = client.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    return response.json()["token"]


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "field"),
    CASES,
    ids=[f"{c[1]} {c[2]} {c[5]} {i}" for i, c in enumerate(CASES)],
)
def test_bad_input_is_refused_naming_the_field(client, world, small, users, who, method, path, body, status, field):
    body = {k: _fill(v, world, small) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    url = _fill(path, world, small)
    before = snapshot()
    response = client.generic(
        method,
        url,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {_token(client, users[who])}",
    )
    assert response.status_code == status, response.content.decode()[:500]
    problem = response.json()
    assert problem.get("detail"), problem
    if field is not None:
        assert (problem.get("field") or "").split(".")[0] == field, problem  # `attendees.0`: the list's first
    assert snapshot() == before


# --- member files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("members.csv", b""),
        ("members.xlsx", b"PK\x03\x04 not really a workbook"),
        ("members.csv", b"number\n13800000001\n"),
        ("members.csv", b"msisdn,secret\n13800000001,x\n"),
        ("members.csv", b"msisdn\n" + b"1" * 200_000 + b"\n"),  # one field longer than the csv module allows
        ("members.csv", b'msisdn\n"13800000001\n'),  # an unterminated quote
        ("members.csv", b"\xff\xfe\x00m\x00s"),
        ("members.pdf", b"%PDF-1.4"),
    ],
    ids=["empty", "fake-xlsx", "no-msisdn", "unknown-column", "huge-field", "open-quote", "utf16", "pdf"],
)
def test_a_bad_member_file_is_refused(client, world, manager_xian, name, content):
    token = _token(client, manager_xian)
    upload = io.BytesIO(content)
    upload.name = name
    before = snapshot()
    response = client.post(
        f"/api/v1/groups/{world.group.code}/members/import/preview",
        {"file": upload},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (200, 422), response.content[:300]
    if response.status_code == 422:
        assert response.json()["field"] == "file"
    else:  # read as rows: every one of them bad, none applied
        assert response.json()["good_rows"] == 0
    assert snapshot() == before


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/vpmn/applications", {"q": HUGE}, "q"),
        ("/api/v1/vpmn/applications", {"status": "lost"}, "status"),
        ("/api/v1/vpmn/applications", {"limit": "all"}, "limit"),
        ("/api/v1/groups", {"q": HUGE}, "q"),
        ("/api/v1/groups", {"grade": "Z"}, "grade"),
        ("/api/v1/groups", {"region": "atlantis"}, "region"),
        ("/api/v1/groups", {"offset": -1}, "offset"),
        ("/api/v1/groups/care/standards", {"period": "2026-Q9"}, "period"),
        ("/api/v1/groups/care/promotion-report", {"month": "2026-13"}, "month"),
        ("/api/v1/groups/care/promotion-plans", {"month": "someday"}, "month"),
        ("/api/v1/groups/care/trainings", {"month": "someday"}, "month"),
        ("/api/v1/groups/care/events", {"since": "someday"}, "since"),
        ("/tmf-api/party/v4/organization", {"status": "lost"}, "status"),
        ("/tmf-api/party/v4/organization", {"name": "a\x00b"}, "name"),
        ("/api/v1/vpmn/applications", {"q": "a\x00b"}, "q"),
        ("/api/v1/groups/care/events", {"group": "a\x00b"}, "group"),
        ("/api/v1/groups/care/promotion-report", {"month": "\x00"}, "month"),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(client, world, manager_xian, path, params, field):
    response = client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {_token(client, manager_xian)}")
    assert response.status_code in (400, 422), response.content[:300]
    problem = response.json()
    assert field in json.dumps(problem), problem


def test_confirm_without_a_preview_token_is_refused(client, world, manager_xian):
    upload = io.BytesIO(b"msisdn\n13800000001\n")
    upload.name = "members.csv"
    before = snapshot()
    response = client.post(
        f"/api/v1/groups/{world.group.code}/members/import/confirm",
        {"file": upload, "token": "short"},
        HTTP_AUTHORIZATION=f"Bearer {_token(client, manager_xian)}",
    )
    assert response.status_code == 422 and response.json()["field"] == "token"
    assert snapshot() == before


# --- pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "name", "kwargs", "data"),
    [
        ("manager", "care_products", {"code": "XA-SECRET"}, {"action": "end", "subscription": "abc"}),
        ("manager", "care_products", {"code": "XA-SECRET"}, {"action": "end", "subscription": "{subscription}",
                                                            "ended_on": "never"}),
        ("leader", "vpmn_application_action", {"number": "VA-XA-SECRET", "action": "approve"}, {"version": "abc"}),
        ("leader", "vpmn_application_action", {"number": "VA-XA-SMALL", "action": "approve"},
         {"starts_on": "9999-12-01"}),
        ("manager", "vpmn_agreement_add", {"code": "XA-SECRET"}, {"discount_plan": "vpmn-basic",
                                                                  "starts_on": "9999-12-31", "term_months": "12"}),
        ("manager", "vpmn_member_add", {"code": "XA-SECRET"}, {"msisdn": "abc", "short_number": "x"}),
        ("manager", "care_log", {"code": "XA-SECRET"}, {"kind": "phone_visit", "at": "0001-01-01T00:00",
                                                        "summary": "x"}),
        ("manager", "create", {}, {"name": HUGE, "nature": "x", "grade": "Z", "region": "atlantis"}),
        ("manager", "member_remove", {"code": "XA-SECRET", "member_id": "{member}"}, {"left_on": "2000-01-01"}),
    ],  # fmt: skip
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_form_input_is_refused_on_the_page(client, world, small, users, who, name, kwargs, data):
    client.force_login(users[who])
    kwargs = {k: _fill(str(v), world, small) for k, v in kwargs.items()}
    data = {k: _fill(v, world, small) if v.startswith("{") else v for k, v in data.items()}
    before = snapshot()
    response = client.post(reverse(f"groups:{name}", kwargs=kwargs), data)
    assert response.status_code in (302, 400, 404, 409, 422), response.status_code
    assert snapshot() == before


# Every field name a groups page reads; each page gets all of them, filled with one kind of garbage.
FORM_FIELDS = (
    "action address applicant_msisdn applicant_name at attendees aware code comment confirm contact "
    "customer_manager demonstrations department discount_plan effective_from effective_to email employees "
    "ended_on ends_on expected_members fee_payer grade held_on industry into is_primary joined_on key_group kind "
    "left_on manager month msisdn name nature needs new_lines note other_work participant period place product q "
    "quantity reason region requested_plan role satisfied score short_number short_number_from short_number_to "
    "staff started_on starts_on status subscription summary surveyed_on target_subscriptions term_months times "
    "title token trainer version vpmn_joins"
).split()
GARBAGE = {
    "words": "abc",
    "huge": "长" * 1000,  # over every field's limit, under Django's limit of a request body
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31T23:59",
    "huge-number": "9" * 40,
    "nul": "a\x00b",
}


def _page_kwargs(name: str, w: World) -> dict:
    from tests.groups.test_break_in import PAGE_PROBES

    return PAGE_PROBES[name][0].kwargs(w)


@pytest.mark.parametrize("name", sorted(__import__("tests.groups.test_break_in").groups.test_break_in.PAGE_PROBES))
def test_no_page_form_fails_on_garbage(client, world, users, name):
    """Every page, asked and posted every field it might read with each kind of garbage, by each role: never a
    500, and nothing changed when the answer is a refusal."""
    url = reverse(f"groups:{name}", kwargs=_page_kwargs(name, world))
    for who in ("manager", "admin"):  # a team leader may do less than an administrator, more than a manager
        client.force_login(users[who])
        for kind, value in GARBAGE.items():
            garbage = {field: value for field in [*FORM_FIELDS, "page", "since", "period", "members"]}
            before = snapshot()
            if not url.endswith(".xlsx") and "export" not in url:
                response = client.get(url, garbage)
                assert response.status_code < 500, f"{who} GET {kind} {url}: {response.status_code}"
            response = client.post(url, garbage)
            assert response.status_code < 500, f"{who} POST {kind} {url}: {response.status_code}"
            if response.status_code >= 400:
                assert snapshot() == before, f"{who} {kind} {url} refused but changed something"
            if response.status_code in (400, 409, 422):  # a refused form says why
                html = response.content.decode()
                assert 'role="alert"' in html or "notice error" in html or 'class="error' in html, f"{who} {kind} {url}"
