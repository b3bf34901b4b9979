"""The VPMN API (/api/v1/vpmn): an application from draft to approval, members and agreements, refusals
answering 4xx with the field and nothing changed, region scope and masking."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.groups import vpmn
from kefu.groups.models import VpmnAgreement, VpmnApplication, VpmnMember, VpmnNetwork

FORM = {
    "applicant_name": "王主任",
    "applicant_msisdn": "13912340000",
    "requested_plan": "vpmn-basic",
    "expected_members": 10,
    "short_number_from": "600",
    "short_number_to": "699",
    "term_months": 12,
}


@pytest.fixture
def group(make_group, manager_xian):
    return make_group(members=10, manager=manager_xian)


def _approved(api, group, manager, leader):
    api.login(manager)
    created = api.post("/api/v1/vpmn/applications", {"group": group.code, **FORM}).json()
    api.post(f"/api/v1/vpmn/applications/{created['number']}/submit", {"version": created["version"]})
    api.login(leader)
    response = api.post(f"/api/v1/vpmn/applications/{created['number']}/approve", {"version": 2})
    assert response.status_code == 200, response.content
    api.login(manager)
    return response.json()


def test_application_from_draft_to_approval(api, group, manager_xian, leader_xian):
    api.login(manager_xian)
    response = api.post("/api/v1/vpmn/applications", {"group": group.code, "requested_plan": "vpmn-plus"})
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["version"] == 1
    # submitting an incomplete form: 422 naming the field
    refused = api.post(f"/api/v1/vpmn/applications/{draft['number']}/submit", {"version": 1})
    assert refused.status_code == 422 and refused.json()["field"] == "applicant_name"
    patched = api.patch(f"/api/v1/vpmn/applications/{draft['number']}", {**FORM, "version": 1})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert patched.json()["applicant_msisdn"] == "139****0000"  # masked for a customer manager
    stale = api.patch(f"/api/v1/vpmn/applications/{draft['number']}", {"note": "x", "version": 1})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    submitted = api.post(f"/api/v1/vpmn/applications/{draft['number']}/submit", {"version": 2})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    own = api.post(f"/api/v1/vpmn/applications/{draft['number']}/approve", {"version": 3})
    assert own.status_code == 403  # a manager may not approve

    api.login(leader_xian)
    queue = api.get("/api/v1/vpmn/queue").json()
    assert [a["number"] for a in queue] == [draft["number"]]
    approved = api.post(f"/api/v1/vpmn/applications/{draft['number']}/approve", {"version": 3})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "approved" and body["agreement"]["discount_plan"] == "vpmn-basic"
    network = api.get(f"/api/v1/vpmn/networks/{group.code}").json()
    assert network["short_number_from"] == "600" and network["agreement"]["number"] == body["agreement"]["number"]


def test_reject_without_reason_is_refused(api, group, manager_xian, leader_xian):
    api.login(manager_xian)
    created = api.post("/api/v1/vpmn/applications", {"group": group.code, **FORM}).json()
    api.post(f"/api/v1/vpmn/applications/{created['number']}/submit", {})
    api.login(leader_xian)
    missing = api.post(f"/api/v1/vpmn/applications/{created['number']}/reject", {"reason": ""})
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    assert VpmnApplication.objects.get().status == "submitted"


def test_nine_gotone_members_answer_422_and_nothing_changes(api, make_group, manager_xian):
    group = make_group(members=9, manager=manager_xian)
    api.login(manager_xian)
    created = api.post("/api/v1/vpmn/applications", {"group": group.code, **FORM}).json()
    refused = api.post(f"/api/v1/vpmn/applications/{created['number']}/submit", {"version": 1})
    assert refused.status_code == 422 and refused.json()["field"] == "group"
    assert VpmnApplication.objects.get().version == 1


def test_members_and_agreements_through_the_api(api, group, manager_xian, leader_xian):
    _approved(api, group, manager_xian, leader_xian)
    msisdns = list(group.members.values_list("subscriber__msisdn", flat=True))
    added = api.post(f"/api/v1/vpmn/networks/{group.code}/members", {"msisdn": msisdns[0], "short_number": "610"})
    assert added.status_code == 201 and added.json()["short_number"] == "610"
    assert added.json()["msisdn"] == f"{msisdns[0][:3]}****{msisdns[0][-4:]}"
    duplicate = api.post(f"/api/v1/vpmn/networks/{group.code}/members", {"msisdn": msisdns[1], "short_number": "610"})
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "short_number"
    assert VpmnMember.objects.count() == 1
    listed = api.get(f"/api/v1/vpmn/networks/{group.code}/members").json()
    assert listed["total"] == 1 and listed["items"][0]["msisdn"].count("*") == 4
    member_id = added.json()["id"]
    changed = api.patch(f"/api/v1/vpmn/networks/{group.code}/members/{member_id}", {"short_number": "611"})
    assert changed.status_code == 200 and changed.json()["short_number"] == "611"
    removed = api.post(f"/api/v1/vpmn/networks/{group.code}/members/{changed.json()['id']}/remove", {})
    assert removed.status_code == 200 and removed.json()["effective_to"] is not None

    before = VpmnAgreement.objects.count()
    backwards = api.post(
        f"/api/v1/vpmn/networks/{group.code}/agreements",
        {"discount_plan": "vpmn-plus", "starts_on": "2030-02-01", "ends_on": "2030-01-01"},
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "ends_on"
    bad_date = api.post(
        f"/api/v1/vpmn/networks/{group.code}/agreements",
        {"discount_plan": "vpmn-plus", "starts_on": "2030-13-01", "term_months": 12},
    )
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "starts_on"
    assert VpmnAgreement.objects.count() == before
    agreements = api.get(f"/api/v1/vpmn/networks/{group.code}/agreements").json()
    terminated = api.post(f"/api/v1/vpmn/agreements/{agreements[0]['number']}/terminate", {"reason": "撤销"})
    assert terminated.status_code == 200 and terminated.json()["status"] == "terminated"


def test_a_baoji_user_gets_404_everywhere(api, group, manager_xian, leader_xian, manager_baoji, make_staff):
    approved = _approved(api, group, manager_xian, leader_xian)
    leader_baoji = make_staff("leader.baoji", "leader", "baoji")
    for user in (manager_baoji, leader_baoji):
        api.login(user)
        assert api.get("/api/v1/vpmn/applications").json()["total"] == 0
        assert api.get(f"/api/v1/vpmn/applications/{approved['number']}").status_code == 404
        assert api.get(f"/api/v1/vpmn/networks/{group.code}").status_code == 404
        assert api.get(f"/api/v1/vpmn/networks/{group.code}/members").status_code == 404
        assert api.post(f"/api/v1/vpmn/networks/{group.code}/members", {"msisdn": "13800000001"}).status_code == 404
        assert api.post("/api/v1/vpmn/applications", {"group": group.code, **FORM}).status_code == 404
        number = approved["agreement"]["number"]
        assert api.post(f"/api/v1/vpmn/agreements/{number}/terminate", {"reason": "x"}).status_code == 404
    assert VpmnNetwork.objects.get().group == group and VpmnMember.objects.count() == 0


def test_renewals_list_and_start_due_for_administrators(api, group, manager_xian, leader_xian, admin_user):
    approved = _approved(api, group, manager_xian, leader_xian)
    agreement = VpmnAgreement.objects.get(number=approved["agreement"]["number"])
    agreement.ends_on = vpmn.today() + dt.timedelta(days=10)
    agreement.save()
    assert api.post("/api/v1/vpmn/renewals/start-due").status_code == 403
    api.login(admin_user)
    assert api.post("/api/v1/vpmn/renewals/start-due").json() == {"started": 1}
    assert api.post("/api/v1/vpmn/renewals/start-due").json() == {"started": 0}
    api.login(manager_xian)
    renewals = api.get("/api/v1/vpmn/renewals").json()
    assert renewals["total"] == 1 and renewals["items"][0]["step"] == "notify"


def test_merge_candidates_and_merge(api, make_group, manager_xian):
    small = make_group(members=5, industry="education", manager=manager_xian)
    other = make_group(members=4, industry="education", manager=manager_xian)
    api.login(manager_xian)
    candidates = api.get(f"/api/v1/vpmn/groups/{small.code}/merge-candidates").json()
    assert [c["code"] for c in candidates] == [other.code]
    unknown = api.post(f"/api/v1/vpmn/groups/{small.code}/merge", {"into": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "into"
    merged = api.post(f"/api/v1/vpmn/groups/{small.code}/merge", {"into": other.code})
    assert merged.status_code == 200
    assert merged.json() == {"code": small.code, "status": "merged", "merged_into": other.code}
