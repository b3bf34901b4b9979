"""Trying to break in (issue 6): every groups/VPMN/care endpoint and page, walked as Baoji staff against a Xi'an
group's records, must answer like an unknown record (404) or a refusal (403/4xx), show nothing of Xi'an and
change nothing; and MSISDNs leave masked for staff without the unmask permission.

The endpoint list is generated from the OpenAPI document and the URLconf: a new endpoint or page that is not
classified below fails `test_every_endpoint_and_page_is_classified` until someone says how to attack it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone
from openpyxl import load_workbook

from kefu.core.masking import mask_msisdn
from kefu.groups import urls as group_urls
from kefu.groups.models import ApplicationStatus, VpmnApplication
from tests.conftest import PASSWORD
from tests.groups.conftest import APPLICANT, PARTICIPANT, World, snapshot

pytestmark = pytest.mark.django_db

API_PREFIXES = ("/api/v1/groups", "/api/v1/vpmn", "/tmf-api/party/v4/organization")

# --- how each endpoint is attacked ---------------------------------------------------------------------------

REFUSED = (403, 404)  # out of scope answers like unknown; a missing permission is refused before the lookup
REFUSED_INPUT = (403, 404, 422)  # a Xi'an record named in the body is not one of the caller's


@dataclass
class Probe:
    """One request as Baoji staff: path parameters and body from the world; the statuses that are fine."""

    expect: tuple[int, ...]
    params: Callable[[World], dict] = lambda w: {}
    body: Callable[[World], Any] = lambda w: {}
    query: Callable[[World], dict] = lambda w: {}
    upload: Callable[[World], bytes] | None = None  # multipart `file` (the member import)


def _xa(**extra) -> Callable[[World], dict]:
    """Path parameters naming the Xi'an group (and, by name, its records)."""
    pick = {
        "code": lambda w: w.group.code,
        "group_id": lambda w: w.group.pk,
        "id": lambda w: w.group.pk,
        "contact_id": lambda w: w.contact.pk,
        "member_id": lambda w: w.member.pk,
        "vpmn_member_id": lambda w: w.vpmn_member.pk,
        "event_id": lambda w: w.event.pk,
        "subscription_id": lambda w: w.subscription.pk,
        "application": lambda w: w.application.number,
        "agreement": lambda w: w.agreement.number,
    }

    def params(w: World) -> dict:
        return {name: pick[source](w) for name, source in {"code": "code", **extra}.items()}

    return params


def _own(**extra) -> Callable[[World], dict]:
    """Path parameters naming the caller's own (Baoji) group."""

    def params(w: World) -> dict:
        return {"code": w.baoji_group.code, **{k: v(w) for k, v in extra.items()}}

    return params


def _csv(w: World) -> bytes:
    return ("msisdn\n" + "\n".join(w.xian_msisdns[:3]) + "\n").encode()


LIST = (200, 403)  # a list answers (only the caller's rows) or the permission is missing
TODAY = dt.date.today().isoformat()

API_PROBES: dict[tuple[str, str], list[Probe]] = {
    ("GET", "/api/v1/groups"): [Probe(LIST), Probe(LIST, query=lambda w: {"q": "XA-SECRET"})],
    ("POST", "/api/v1/groups"): [
        Probe(REFUSED_INPUT, body=lambda w: {"name": "偷建", "nature": "enterprise", "industry": "government",
                                             "grade": "B", "region": "xian"}),
        Probe(REFUSED_INPUT, body=lambda w: {"name": "偷建", "nature": "enterprise", "industry": "government",
                                             "grade": "B", "region": "baoji", "customer_manager": "manager.xian"}),
    ],  # fmt: skip
    ("GET", "/api/v1/groups/id/{group_id}"): [Probe(REFUSED, _xa(group_id="group_id"))],
    ("GET", "/api/v1/groups/{code}"): [Probe(REFUSED, _xa())],
    ("PATCH", "/api/v1/groups/{code}"): [
        Probe(REFUSED, _xa(), body=lambda w: {"name": "改名"}),
        Probe(REFUSED_INPUT, _own(), body=lambda w: {"region": "xian"}),
    ],
    ("GET", "/api/v1/groups/{code}/contacts"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/{code}/contacts"): [
        Probe(REFUSED, _xa(), body=lambda w: {"name": "张三", "msisdn": "13900000000"})
    ],
    ("PATCH", "/api/v1/groups/{code}/contacts/{contact_id}"): [
        Probe(REFUSED, _xa(contact_id="contact_id"), body=lambda w: {"name": "张三"}),
        Probe(REFUSED, _own(contact_id=lambda w: w.contact.pk), body=lambda w: {"name": "张三"}),
    ],
    ("POST", "/api/v1/groups/{code}/contacts/{contact_id}/deactivate"): [
        Probe(REFUSED, _xa(contact_id="contact_id")),
        Probe(REFUSED, _own(contact_id=lambda w: w.contact.pk)),
    ],
    ("GET", "/api/v1/groups/{code}/members"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/{code}/members"): [
        Probe(REFUSED, _xa(), body=lambda w: {"msisdn": w.xian_msisdns[0]}),
        Probe(REFUSED_INPUT, _own(), body=lambda w: {"msisdn": w.xian_msisdns[0]}),  # a Xi'an subscriber
    ],
    ("POST", "/api/v1/groups/{code}/members/{member_id}/remove"): [
        Probe(REFUSED, _xa(member_id="member_id")),
        Probe(REFUSED, _own(member_id=lambda w: w.member.pk)),
    ],
    ("POST", "/api/v1/groups/{code}/members/import/preview"): [Probe(REFUSED, _xa(), upload=_csv)],
    ("POST", "/api/v1/groups/{code}/members/import/confirm"): [
        Probe(REFUSED, _xa(), body=lambda w: {"token": "0" * 64}, upload=_csv),
        Probe((403, 409, 422), _own(), body=lambda w: {"token": "0" * 64}, upload=_csv),
    ],
    ("GET", "/api/v1/groups/{code}/members/export"): [Probe(REFUSED, _xa())],
    ("GET", "/api/v1/groups/{code}/months"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/months/recompute"): [Probe((403,), body=lambda w: {"month": "2026-10"})],
    ("GET", "/api/v1/groups/care/service-plan"): [Probe(LIST)],
    ("PUT", "/api/v1/groups/care/service-plan/{grade}/{kind}"): [
        Probe((403,), lambda w: {"grade": "A", "kind": "phone_visit"}, body=lambda w: {"period": "month", "times": 9})
    ],
    ("GET", "/api/v1/groups/care/behind-plan"): [Probe(LIST)],
    ("GET", "/api/v1/groups/care/standards"): [Probe(LIST)],
    ("GET", "/api/v1/groups/care/products"): [Probe(LIST)],
    ("GET", "/api/v1/groups/care/promotion-plans"): [Probe(LIST)],
    ("POST", "/api/v1/groups/care/promotion-plans"): [
        Probe(REFUSED_INPUT, body=lambda w: {"product": "group-sms", "region": "xian", "month": TODAY[:7],
                                             "target_subscriptions": 1}),
        Probe(REFUSED_INPUT, body=lambda w: {"product": "group-sms", "region": "xian-yanta", "month": TODAY[:7],
                                             "target_subscriptions": 1}),
    ],  # fmt: skip
    ("GET", "/api/v1/groups/care/trainings"): [Probe(LIST)],
    ("POST", "/api/v1/groups/care/trainings"): [
        Probe(REFUSED_INPUT, body=lambda w: {"title": "t", "region": "xian", "held_on": TODAY, "trainer": "x"}),
        Probe(REFUSED_INPUT, body=lambda w: {"title": "t", "region": "baoji", "held_on": TODAY, "trainer": "x",
                                             "attendees": ["manager.xian"]}),
    ],  # fmt: skip
    ("GET", "/api/v1/groups/care/promotion-report"): [Probe(LIST)],
    ("GET", "/api/v1/groups/care/promotion-report.xlsx"): [Probe(LIST)],
    ("GET", "/api/v1/groups/care/events"): [Probe(LIST), Probe(LIST, query=lambda w: {"group": w.group.code})],
    ("GET", "/api/v1/groups/care/events/{event_id}"): [Probe(REFUSED, lambda w: {"event_id": w.event.pk})],
    ("POST", "/api/v1/groups/care/events/{event_id}/surveys"): [
        Probe(REFUSED, lambda w: {"event_id": w.event.pk}, body=lambda w: {"participant": "x", "score": 3})
    ],
    ("GET", "/api/v1/groups/{code}/service-contacts"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/{code}/service-contacts"): [
        Probe(REFUSED, _xa(), body=lambda w: {"kind": "phone_visit", "at": timezone.now().isoformat(), "summary": "x"}),
        Probe(REFUSED_INPUT, _own(), body=lambda w: {"kind": "phone_visit", "at": timezone.now().isoformat(),
                                                     "summary": "x", "contact": w.contact.pk}),
    ],  # fmt: skip
    ("GET", "/api/v1/groups/{code}/plan-progress"): [Probe(REFUSED, _xa())],
    ("GET", "/api/v1/groups/{code}/surveys"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/{code}/surveys"): [
        Probe(REFUSED, _xa(), body=lambda w: {"surveyed_on": TODAY, "satisfied": False, "aware": False}),
        Probe(REFUSED_INPUT, _own(), body=lambda w: {"surveyed_on": TODAY, "satisfied": False, "aware": False,
                                                     "contact": w.contact.pk}),
    ],  # fmt: skip
    ("GET", "/api/v1/groups/{code}/subscriptions"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/{code}/subscriptions"): [
        Probe(REFUSED, _xa(), body=lambda w: {"product": "wlan", "started_on": TODAY})
    ],
    ("POST", "/api/v1/groups/{code}/subscriptions/{subscription_id}/end"): [
        Probe(REFUSED, _xa(subscription_id="subscription_id"), body=lambda w: {"ended_on": TODAY}),
        Probe(REFUSED, _own(subscription_id=lambda w: w.subscription.pk), body=lambda w: {"ended_on": TODAY}),
    ],
    ("GET", "/api/v1/groups/{code}/events"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/groups/{code}/events"): [
        Probe(REFUSED, _xa(), body=lambda w: {"held_on": TODAY, "place": "x"}),
        Probe(REFUSED_INPUT, _own(), body=lambda w: {"held_on": TODAY, "place": "x", "staff": ["manager.xian"]}),
    ],
    ("GET", "/api/v1/vpmn/plans"): [Probe(LIST)],
    ("GET", "/api/v1/vpmn/applications"): [
        Probe(LIST),
        Probe(LIST, query=lambda w: {"q": w.application.number}),
        Probe(LIST, query=lambda w: {"group": w.group.code}),
    ],
    ("POST", "/api/v1/vpmn/applications"): [
        Probe(REFUSED_INPUT, body=lambda w: {"group": w.group.code, "requested_plan": "vpmn-basic"})
    ],
    ("GET", "/api/v1/vpmn/queue"): [Probe(LIST)],
    ("GET", "/api/v1/vpmn/applications/{number}"): [Probe(REFUSED, _xa(number="application"))],
    ("PATCH", "/api/v1/vpmn/applications/{number}"): [
        Probe(REFUSED, _xa(number="application"), body=lambda w: {"note": "x"})
    ],
    ("POST", "/api/v1/vpmn/applications/{number}/submit"): [Probe(REFUSED, _xa(number="application"))],
    ("POST", "/api/v1/vpmn/applications/{number}/approve"): [Probe(REFUSED, _xa(number="application"))],
    ("POST", "/api/v1/vpmn/applications/{number}/reject"): [
        Probe(REFUSED, _xa(number="application"), body=lambda w: {"reason": "x"})
    ],
    ("GET", "/api/v1/vpmn/networks/{code}"): [Probe(REFUSED, _xa())],
    ("GET", "/api/v1/vpmn/networks/{code}/members"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/vpmn/networks/{code}/members"): [
        Probe(REFUSED, _xa(), body=lambda w: {"msisdn": w.xian_msisdns[1]})
    ],
    ("POST", "/api/v1/vpmn/networks/{code}/members/{member_id}/remove"): [
        Probe(REFUSED, _xa(member_id="vpmn_member_id"))
    ],
    ("PATCH", "/api/v1/vpmn/networks/{code}/members/{member_id}"): [
        Probe(REFUSED, _xa(member_id="vpmn_member_id"), body=lambda w: {"short_number": "650"})
    ],
    ("GET", "/api/v1/vpmn/networks/{code}/agreements"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/vpmn/networks/{code}/agreements"): [
        Probe(REFUSED, _xa(), body=lambda w: {"discount_plan": "vpmn-basic", "starts_on": "2030-01-01",
                                              "term_months": 12}),
    ],  # fmt: skip
    ("POST", "/api/v1/vpmn/agreements/{number}/terminate"): [
        Probe(REFUSED, _xa(number="agreement"), body=lambda w: {"reason": "x"})
    ],
    ("GET", "/api/v1/vpmn/renewals"): [Probe(LIST)],
    ("POST", "/api/v1/vpmn/renewals/start-due"): [Probe((403,))],
    ("GET", "/api/v1/vpmn/groups/{code}/merge-candidates"): [Probe(REFUSED, _xa())],
    ("POST", "/api/v1/vpmn/groups/{code}/merge"): [
        Probe(REFUSED, _xa(), body=lambda w: {"into": w.baoji_group.code}),
        Probe(REFUSED_INPUT, _own(), body=lambda w: {"into": w.group.code}),
    ],
    ("GET", "/tmf-api/party/v4/organization"): [
        Probe(LIST),
        Probe(LIST, query=lambda w: {"id": str(w.group.pk)}),
        Probe(LIST, query=lambda w: {"organizationIdentification.identificationId": w.group.code}),
    ],
    ("GET", "/tmf-api/party/v4/organization/{id}"): [Probe(REFUSED, _xa(id="id"))],
}


# Pages: (url name) → probes of (method, kwargs, form data, statuses that are fine).
@dataclass
class PageProbe:
    method: str
    kwargs: Callable[[World], dict]
    expect: tuple[int, ...]
    data: Callable[[World], dict] = lambda w: {}


PAGE_REFUSED = (403, 404, 405)  # 405: a POST-only page asked with GET says nothing about the record


def _code(w: World) -> dict:
    return {"code": w.group.code}


PAGE_PROBES: dict[str, list[PageProbe]] = {
    "list": [PageProbe("GET", lambda w: {}, LIST)],
    "create": [
        PageProbe("POST", lambda w: {}, (200, 400, 403, 422), lambda w: {"name": "偷建", "nature": "enterprise",
                  "industry": "government", "grade": "B", "region": "xian"}),
    ],  # fmt: skip
    "months": [PageProbe("GET", lambda w: {}, LIST)],
    "detail": [PageProbe("GET", _code, PAGE_REFUSED)],
    "edit": [PageProbe("GET", _code, PAGE_REFUSED), PageProbe("POST", _code, PAGE_REFUSED, lambda w: {"name": "x"})],
    "contact_add": [PageProbe("POST", _code, PAGE_REFUSED, lambda w: {"name": "x", "msisdn": "13900000000",
                                                                      "role": "contact"})],  # fmt: skip
    "contact_edit": [
        PageProbe("GET", lambda w: {**_code(w), "contact_id": w.contact.pk}, PAGE_REFUSED),
        PageProbe("GET", lambda w: {"code": w.baoji_group.code, "contact_id": w.contact.pk}, PAGE_REFUSED),
    ],
    "contact_deactivate": [
        PageProbe("POST", lambda w: {**_code(w), "contact_id": w.contact.pk}, PAGE_REFUSED),
        PageProbe("POST", lambda w: {"code": w.baoji_group.code, "contact_id": w.contact.pk}, PAGE_REFUSED),
    ],
    "member_add": [
        PageProbe("POST", _code, PAGE_REFUSED, lambda w: {"msisdn": w.xian_msisdns[0], "fee_payer": "member"}),
        PageProbe("POST", lambda w: {"code": w.baoji_group.code}, (403, 422),
                  lambda w: {"msisdn": w.xian_msisdns[0], "fee_payer": "member"}),
    ],  # fmt: skip
    "member_remove": [
        PageProbe("POST", lambda w: {**_code(w), "member_id": w.member.pk}, PAGE_REFUSED),
        PageProbe("POST", lambda w: {"code": w.baoji_group.code, "member_id": w.member.pk}, PAGE_REFUSED),
    ],
    "member_import": [PageProbe("GET", _code, PAGE_REFUSED), PageProbe("POST", _code, PAGE_REFUSED, lambda w: {
        "confirm": "1", "token": "0" * 64})],  # fmt: skip
    "member_export": [PageProbe("GET", _code, PAGE_REFUSED)],
    "vpmn_applications": [PageProbe("GET", lambda w: {}, LIST)],
    "vpmn_queue": [PageProbe("GET", lambda w: {}, LIST)],
    "vpmn_renewals": [PageProbe("GET", lambda w: {}, LIST)],
    "vpmn_apply": [PageProbe("GET", _code, PAGE_REFUSED), PageProbe("POST", _code, PAGE_REFUSED, lambda w: {
        "requested_plan": "vpmn-basic"})],  # fmt: skip
    "vpmn_application": [PageProbe("GET", lambda w: {"number": w.application.number}, PAGE_REFUSED)],
    "vpmn_application_edit": [
        PageProbe("GET", lambda w: {"number": w.application.number}, PAGE_REFUSED),
        PageProbe("POST", lambda w: {"number": w.application.number}, PAGE_REFUSED, lambda w: {"note": "x"}),
    ],
    "vpmn_application_action": [
        PageProbe("POST", lambda w, action=action: {"number": w.application.number, "action": action}, PAGE_REFUSED,
                  lambda w: {"reason": "x"})
        for action in ("submit", "approve", "reject")
    ],  # fmt: skip
    "vpmn_network": [PageProbe("GET", _code, PAGE_REFUSED)],
    "vpmn_member_add": [PageProbe("POST", _code, PAGE_REFUSED, lambda w: {"msisdn": w.xian_msisdns[1]})],
    "vpmn_member_remove": [PageProbe("POST", lambda w: {**_code(w), "member_id": w.vpmn_member.pk}, PAGE_REFUSED)],
    "vpmn_member_change": [
        PageProbe("POST", lambda w: {**_code(w), "member_id": w.vpmn_member.pk}, PAGE_REFUSED,
                  lambda w: {"short_number": "650"})
    ],  # fmt: skip
    "vpmn_agreement_add": [
        PageProbe("POST", _code, PAGE_REFUSED, lambda w: {"discount_plan": "vpmn-basic", "starts_on": "2030-01-01",
                                                          "term_months": "12"})
    ],  # fmt: skip
    "vpmn_agreement_terminate": [
        PageProbe("POST", lambda w: {**_code(w), "number": w.agreement.number}, PAGE_REFUSED,
                  lambda w: {"reason": "x"}),
        PageProbe("POST", lambda w: {"code": w.baoji_group.code, "number": w.agreement.number}, PAGE_REFUSED,
                  lambda w: {"reason": "x"}),
    ],  # fmt: skip
    "vpmn_merge": [
        PageProbe("POST", _code, PAGE_REFUSED, lambda w: {"into": w.baoji_group.code}),
        PageProbe("POST", lambda w: {"code": w.baoji_group.code}, (200, 302, 403, 404, 409, 422),
                  lambda w: {"into": w.group.code}),
    ],  # fmt: skip
    "care_plan": [PageProbe("GET", lambda w: {}, LIST)],
    "care": [PageProbe("GET", lambda w: {}, LIST)],
    "care_standards": [PageProbe("GET", lambda w: {}, LIST)],
    "care_catalogue": [PageProbe("GET", lambda w: {}, LIST)],
    "care_promotion": [
        PageProbe("GET", lambda w: {}, LIST),
        PageProbe("POST", lambda w: {}, (403, 422), lambda w: {"product": "group-sms", "region": "xian",
                  "month": TODAY[:7], "target_subscriptions": "1"}),
    ],  # fmt: skip
    "care_promotion_xlsx": [PageProbe("GET", lambda w: {}, LIST)],
    "care_trainings": [
        PageProbe("GET", lambda w: {}, LIST),
        PageProbe("POST", lambda w: {}, (403, 422), lambda w: {"title": "t", "region": "xian", "held_on": TODAY,
                  "trainer": "x"}),
    ],  # fmt: skip
    "care_events": [PageProbe("GET", lambda w: {}, LIST)],
    "care_event": [PageProbe("GET", lambda w: {"event_id": w.event.pk}, PAGE_REFUSED)],
    "care_log": [PageProbe("GET", _code, PAGE_REFUSED)],
    "care_survey": [PageProbe("GET", _code, PAGE_REFUSED)],
    "care_products": [
        PageProbe("GET", _code, PAGE_REFUSED),
        PageProbe("POST", lambda w: {"code": w.baoji_group.code}, (403, 404),
                  lambda w: {"action": "end", "subscription": w.subscription.pk, "ended_on": TODAY}),
    ],  # fmt: skip
    "care_event_new": [PageProbe("GET", _code, PAGE_REFUSED)],
}


# --- the endpoint lists ------------------------------------------------------------------------------------


def api_endpoints() -> set[tuple[str, str]]:
    from kefu.api import api

    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(API_PREFIXES)
        for method in operations
    }


def page_names() -> set[str]:
    return {p.name for p in group_urls.urlpatterns if isinstance(p, URLPattern)}


def test_every_endpoint_and_page_is_classified():
    """A new endpoint or page of the area fails here until it has its probes above."""
    assert api_endpoints() == set(API_PROBES), "classify these: " + repr(api_endpoints() ^ set(API_PROBES))
    assert page_names() == set(PAGE_PROBES), "classify these: " + repr(page_names() ^ set(PAGE_PROBES))


# --- the attacks ---------------------------------------------------------------------------------------------


def _token(client, user) -> str:
    response = client.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _call(client, token: str, method: str, path: str, probe: Probe, w: World):
    url = path.format(**probe.params(w))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(url, probe.query(w), **headers)
    if probe.upload is not None:
        data = {**probe.body(w), "file": io.BytesIO(probe.upload(w))}
        data["file"].name = "members.csv"
        return client.post(url, data, **headers)
    return client.generic(method, url, _json(probe.body(w)), content_type="application/json", **headers)


def _json(body) -> str:
    import json

    return json.dumps(body)


def _text(response) -> str:
    if response.get("Content-Type", "").startswith(XLSX):
        return _xlsx_text(response.content)
    return response.content.decode("utf-8", "replace")


XLSX = "application/vnd.openxmlformats"


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row) for sheet in book.worksheets for row in sheet.iter_rows(
            values_only=True)
    )  # fmt: skip


@pytest.fixture
def attackers(manager_baoji, agent_baoji):
    return {"manager.baoji": manager_baoji, "agent.baoji": agent_baoji}


@pytest.mark.parametrize("endpoint", sorted(API_PROBES), ids=lambda e: f"{e[0]} {e[1]}")
def test_api_endpoint_keeps_xian_out_of_reach(client, world, attackers, endpoint):
    method, path = endpoint
    for name, user in attackers.items():
        token = _token(client, user)
        for probe in API_PROBES[endpoint]:
            before = snapshot()
            response = _call(client, token, method, path, probe, world)
            where = f"{name} {method} {path.format(**probe.params(world))}"
            assert response.status_code in probe.expect, f"{where}: {response.status_code} {response.content[:300]}"
            if response.status_code >= 400:
                body = response.json()
                assert body.get("detail") or body.get("message") or body.get("reason"), where
                if response.status_code == 422 and probe.expect == REFUSED_INPUT:
                    assert body.get("field"), f"{where}: a refusal names the field: {body}"
            text = _text(response)
            for secret in world.secrets():
                assert secret not in text, f"{where} shows {secret!r}"
            assert snapshot() == before, f"{where} changed something"


@pytest.mark.parametrize("name", sorted(PAGE_PROBES))
def test_page_keeps_xian_out_of_reach(client, world, attackers, name):
    for username, user in attackers.items():
        client.force_login(user)
        for probe in PAGE_PROBES[name]:
            url = reverse(f"groups:{name}", kwargs=probe.kwargs(world))
            before = snapshot()
            if probe.method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, probe.data(world))
            where = f"{username} {probe.method} {url}"
            assert response.status_code in probe.expect, f"{where}: {response.status_code}"
            text = _text(response) if response.status_code != 302 else response["Location"]
            # a form shows back what was typed, and a page may repeat its own address
            sent = {str(v) for v in [*probe.data(world).values(), *probe.kwargs(world).values()]}
            for secret in set(world.secrets()) - sent:
                assert secret not in text, f"{where} shows {secret!r}"
            assert snapshot() == before, f"{where} changed something"


# --- masking -------------------------------------------------------------------------------------------------

_FULL_NUMBER = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def _reads_showing_numbers(w: World) -> list[tuple[str, str]]:
    """API reads and pages of the Xi'an group that show MSISDNs (members, contacts, applicants, participants)."""
    code, number = w.group.code, w.application.number
    return [
        ("api", f"/api/v1/groups/{code}/contacts"),
        ("api", f"/api/v1/groups/{code}/members?include_left=true"),
        ("api", f"/api/v1/groups/{code}/members/export?include_left=true"),
        ("api", f"/api/v1/vpmn/applications/{number}"),
        ("api", "/api/v1/vpmn/applications"),
        ("api", f"/api/v1/vpmn/networks/{code}/members"),
        ("api", f"/api/v1/groups/care/events/{w.event.pk}"),
        ("api", f"/tmf-api/party/v4/organization/{w.group.pk}"),
        ("api", "/tmf-api/party/v4/organization"),
        ("page", reverse("groups:detail", args=[code])),
        ("page", reverse("groups:contact_edit", args=[code, w.contact.pk])),
        ("page", reverse("groups:member_export", args=[code])),
        ("page", reverse("groups:vpmn_application", args=[number])),
        ("page", reverse("groups:vpmn_network", args=[code])),
        ("page", reverse("groups:care_event", args=[w.event.pk])),
    ]


@pytest.mark.parametrize("role", ["manager", "leader", "agent"])
def test_numbers_leave_masked_without_unmask(client, world, make_staff, role, manager_xian, leader_xian):
    users = {"manager": manager_xian, "leader": leader_xian}
    user = users.get(role) or make_staff(f"{role}.xian", role, "xian")
    # an application still in draft, so the edit form (with the applicant's number) is open too
    VpmnApplication.objects.filter(pk=world.application.pk).update(status=ApplicationStatus.DRAFT)
    token = _token(client, user)
    client.force_login(user)
    reads = [*_reads_showing_numbers(world), ("page", reverse("groups:vpmn_application_edit", args=[
        world.application.number]))]  # fmt: skip
    numbers = {*world.xian_msisdns, APPLICANT, PARTICIPANT}
    seen_masked = 0
    for kind, url in reads:
        if kind == "api":
            response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        else:
            response = client.get(url)
        if response.status_code == 403:
            continue  # the role may not read this at all
        assert response.status_code == 200, f"{role} {url}: {response.status_code}"
        text = _text(response)
        shown = set(_FULL_NUMBER.findall(text)) & numbers
        assert not shown, f"{role} {url} shows {shown}"
        seen_masked += sum(mask_msisdn(n) in text for n in numbers)
    assert seen_masked > 0


def test_unmask_shows_the_numbers(client, world, admin_user):
    """The other side of masking: the administrator (who may unmask) sees them, so the check above is real."""
    token = _token(client, admin_user)
    response = client.get(f"/api/v1/groups/{world.group.code}/contacts", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert world.contact.msisdn in response.content.decode()


# --- regressions found by the walk above ---------------------------------------------------------------------


def test_edit_forms_keep_a_masked_number_unchanged(client, world, manager_xian):
    """The contact and application edit forms start masked; sent back untouched, the stored number stays."""
    VpmnApplication.objects.filter(pk=world.application.pk).update(status=ApplicationStatus.DRAFT, version=1)
    client.force_login(manager_xian)
    contact_url = reverse("groups:contact_edit", args=[world.group.code, world.contact.pk])
    masked = mask_msisdn(world.contact.msisdn)
    assert f'value="{masked}"' in client.get(contact_url).content.decode()
    form = {"name": "李明", "role": "contact", "msisdn": masked, "title": "办公室主任"}
    assert client.post(contact_url, form).status_code == 302
    world.contact.refresh_from_db()
    assert (world.contact.msisdn, world.contact.title) == ("13912345678", "办公室主任")
    assert client.post(contact_url, {**form, "msisdn": "13911112222"}).status_code == 302
    world.contact.refresh_from_db()
    assert world.contact.msisdn == "13911112222"

    edit_url = reverse("groups:vpmn_application_edit", args=[world.application.number])
    assert f'value="{mask_msisdn(APPLICANT)}"' in client.get(edit_url).content.decode()
    application = {
        "applicant_name": "王主任", "applicant_msisdn": mask_msisdn(APPLICANT), "requested_plan": "vpmn-basic",
        "expected_members": "10", "short_number_from": "700", "short_number_to": "799", "term_months": "12",
        "note": "改了备注", "version": "1",
    }  # fmt: skip
    assert client.post(edit_url, application).status_code == 302
    world.application.refresh_from_db()
    assert (world.application.applicant_msisdn, world.application.note) == (APPLICANT, "改了备注")


def test_an_agreement_is_terminated_only_through_its_own_group(client, world, make_group, manager_xian):
    other = make_group(members=3, manager=manager_xian)
    client.force_login(manager_xian)
    url = reverse("groups:vpmn_agreement_terminate", args=[other.code, world.agreement.number])
    before = snapshot()
    assert client.post(url, {"reason": "走错了集团"}).status_code == 404
    assert snapshot() == before
    own = reverse("groups:vpmn_agreement_terminate", args=[world.group.code, world.agreement.number])
    assert client.post(own, {"reason": "集团撤销"}).status_code == 302
    world.agreement.refresh_from_db()
    assert world.agreement.status == "terminated"


def test_reads_of_members_and_contacts_are_logged(client, world, manager_xian):
    """Like the VPMN member list and the export: who looked at a group's members and contacts, and where."""
    from kefu.core.models import AccessLog

    client.force_login(manager_xian)
    assert client.get(reverse("groups:detail", args=[world.group.code])).status_code == 200
    token = _token(client, manager_xian)
    for path in ("members", "contacts"):
        url = f"/api/v1/groups/{world.group.code}/{path}"
        assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    logged = set(
        AccessLog.objects.filter(user=manager_xian, object_id=str(world.group.pk)).values_list("channel", "detail")
    )
    assert {("web", "group members and contacts"), ("api", "group members"), ("api", "group contacts")} <= logged
