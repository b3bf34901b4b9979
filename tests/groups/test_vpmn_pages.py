"""VPMN pages: the application form with its errors, the application page's buttons per permission, the
leaders' queue, the VPMN page with members and agreements, renewals, the group-page panel, and scope."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.groups import renewal, vpmn
from kefu.groups.models import ApplicationStatus, VpmnAgreement, VpmnApplication, VpmnMember
from tests.conftest import PASSWORD

FORM = {
    "applicant_name": "王主任",
    "applicant_msisdn": "13912340000",
    "requested_plan": "vpmn-basic",
    "expected_members": "10",
    "short_number_from": "600",
    "short_number_to": "699",
    "term_months": "12",
    "note": "",
}


@pytest.fixture
def group(make_group, manager_xian):
    return make_group(members=10, manager=manager_xian)


def _login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def test_application_from_the_form_to_approval(client, group, manager_xian, leader_xian):
    _login(client, manager_xian)
    page = client.get(f"/groups/vpmn/apply/{group.code}/")
    assert page.status_code == 200 and "vpmn-basic" in page.content.decode()
    bad = client.post(f"/groups/vpmn/apply/{group.code}/", {**FORM, "short_number_from": "0600"})
    assert bad.status_code == 422 and 'data-error-for="short_number_from"' in bad.content.decode()
    assert VpmnApplication.objects.count() == 0
    created = client.post(f"/groups/vpmn/apply/{group.code}/", FORM)
    application = VpmnApplication.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/vpmn/applications/{application.number}/")
    shown = client.get(created["Location"]).content.decode()
    assert 'data-action="submit"' in shown and 'data-action="approve"' not in shown
    assert "139****0000" in shown
    client.post(f"/groups/vpmn/applications/{application.number}/submit/", {"version": 1})
    assert VpmnApplication.objects.get().status == ApplicationStatus.SUBMITTED

    _login(client, leader_xian)
    queue = client.get("/groups/vpmn/queue/").content.decode()
    assert application.number in queue
    refused = client.post(f"/groups/vpmn/applications/{application.number}/reject/", {"version": 2, "reason": ""})
    assert refused.status_code == 422 and 'data-error-for="reason"' in refused.content.decode()
    approved = client.post(f"/groups/vpmn/applications/{application.number}/approve/", {"version": 2})
    assert approved.status_code == 302 and approved["Location"].endswith(f"/vpmn/g/{group.code}/")
    network_page = client.get(approved["Location"]).content.decode()
    agreement = VpmnAgreement.objects.get()
    assert agreement.number in network_page and 'data-field="range">600–699' in network_page


def test_the_creator_sees_no_decision_buttons(client, group, leader_xian):
    _login(client, leader_xian)
    application = vpmn.create_application(leader_xian, group, {**FORM, "note": "x"})
    vpmn.submit_application(leader_xian, application.number)
    shown = client.get(f"/groups/vpmn/applications/{application.number}/").content.decode()
    assert 'data-action="approve"' not in shown
    own = client.post(f"/groups/vpmn/applications/{application.number}/approve/", {})
    assert own.status_code == 403
    assert VpmnApplication.objects.get().status == ApplicationStatus.SUBMITTED


def test_members_on_the_vpmn_page(client, group, manager_xian, leader_xian):
    application = vpmn.create_application(manager_xian, group, FORM)
    vpmn.submit_application(manager_xian, application.number)
    vpmn.approve_application(leader_xian, application.number)
    _login(client, manager_xian)
    msisdns = list(group.members.values_list("subscriber__msisdn", flat=True))
    client.post(f"/groups/vpmn/g/{group.code}/members/", {"msisdn": msisdns[0], "short_number": "600"})
    duplicate = client.post(f"/groups/vpmn/g/{group.code}/members/", {"msisdn": msisdns[1], "short_number": "600"})
    assert duplicate.status_code == 409 and 'data-error-for="short_number"' in duplicate.content.decode()
    assert VpmnMember.objects.count() == 1
    page = client.get(f"/groups/vpmn/g/{group.code}/").content.decode()
    assert f"{msisdns[0][:3]}****{msisdns[0][-4:]}" in page and msisdns[0] not in page
    backwards = client.post(
        f"/groups/vpmn/g/{group.code}/agreements/",
        {"discount_plan": "vpmn-plus", "starts_on": "2031-02-01", "ends_on": "2031-01-01"},
    )
    assert backwards.status_code == 422 and 'data-error-for="ends_on"' in backwards.content.decode()
    assert VpmnAgreement.objects.count() == 1
    member = VpmnMember.objects.get()
    leaving = vpmn.today() + dt.timedelta(days=3)
    client.post(f"/groups/vpmn/g/{group.code}/members/{member.pk}/remove/", {"effective_to": leaving.isoformat()})
    page = client.get(f"/groups/vpmn/g/{group.code}/").content.decode()
    assert 'data-short="600"' in page and f"{leaving.isoformat()} 起退出" in page  # still a member until then
    client.post(f"/groups/vpmn/g/{group.code}/members/{member.pk}/remove/", {})
    assert VpmnMember.objects.get().effective_to == vpmn.today()
    assert 'data-short="600"' not in client.get(f"/groups/vpmn/g/{group.code}/").content.decode()


def test_the_group_page_panel(group, manager_xian, leader_xian, rf):
    from django.template.loader import render_to_string

    from kefu.groups.vpmn_views import group_panel

    request = rf.get("/")
    request.user = manager_xian
    panel = group_panel(request, group)
    assert panel["network"] is None and panel["can_apply"] and panel["gotone_members"] == 10
    html = render_to_string("groups/vpmn_panel.html", {"group": group, "vpmn": panel}, request=request)
    assert f"/groups/vpmn/apply/{group.code}/" in html

    application = vpmn.create_application(manager_xian, group, FORM)
    vpmn.submit_application(manager_xian, application.number)
    _a, _n, agreement = vpmn.approve_application(leader_xian, application.number)
    html = render_to_string("groups/vpmn_panel.html", {"group": group, "vpmn": group_panel(request, group)})
    assert agreement.number in html and "/groups/vpmn/apply/" not in html


def test_renewals_page_links_to_the_work_orders(client, group, manager_xian, leader_xian, admin_user):
    application = vpmn.create_application(manager_xian, group, FORM)
    vpmn.submit_application(manager_xian, application.number)
    _a, _n, agreement = vpmn.approve_application(leader_xian, application.number)
    agreement.ends_on = vpmn.today() + dt.timedelta(days=5)
    agreement.save()
    _login(client, admin_user)
    client.post("/groups/vpmn/renewals/")
    order = renewal.renewals(admin_user).get().work_order
    page = client.get("/groups/vpmn/renewals/").content.decode()
    assert f"/workorders/{order.number}/" in page


def test_a_baoji_manager_gets_404(client, group, manager_xian, manager_baoji, make_staff):
    application = vpmn.create_application(manager_xian, group, FORM)
    vpmn.submit_application(manager_xian, application.number)
    leader_baoji = make_staff("leader.baoji", "leader", "baoji")
    for user in (manager_baoji, leader_baoji):
        _login(client, user)
        assert client.get(f"/groups/vpmn/applications/{application.number}/").status_code == 404
        assert client.post(f"/groups/vpmn/applications/{application.number}/approve/", {}).status_code == 404
        assert client.get(f"/groups/vpmn/apply/{group.code}/").status_code == 404
        assert client.get(f"/groups/vpmn/g/{group.code}/").status_code == 404
        assert application.number not in client.get("/groups/vpmn/applications/").content.decode()
    assert VpmnApplication.objects.get().status == ApplicationStatus.SUBMITTED


def test_a_role_without_group_rights_is_refused_not_crashed(client, group, manager_xian, make_staff):
    application = vpmn.create_application(manager_xian, group, FORM)
    inspector = make_staff("inspector.xian", "inspector", "xian")
    _login(client, inspector)
    assert client.post(f"/groups/vpmn/applications/{application.number}/submit/", {}).status_code == 403
    assert client.get(f"/groups/vpmn/g/{group.code}/").status_code == 403
    assert VpmnApplication.objects.get().status == ApplicationStatus.DRAFT


def test_the_navigation_leads_managers_and_leaders_to_the_vpmn_pages_and_not_agents(
    client, manager_xian, leader_xian, agent_xian
):
    for user, shown in ((manager_xian, True), (leader_xian, True), (agent_xian, False)):
        _login(client, user)
        page = client.get("/groups/").content.decode() if shown else client.get("/customers/").content.decode()
        assert ('href="/groups/vpmn/applications/"' in page) is shown, user.username
