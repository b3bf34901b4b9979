"""Issue 6 item 10 in a real browser: a customer manager applies for a VPMN for a group with 10 GoTone
members from the pages and submits it, a team leader approves it from the approval queue, and the group's
VPMN page shows the agreement."""

import pytest

from kefu.groups.models import ApplicationStatus, VpmnAgreement, VpmnApplication
from tests.conftest import PASSWORD
from tests.groups.conftest import make_group  # noqa: F401 - the groups fixture, used here too

pytestmark = pytest.mark.browser


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_vpmn_application_from_creation_to_approval(transactional_db, page, make_staff, make_group):  # noqa: F811
    manager = make_staff("manager.xian", "manager", "xian")
    make_staff("leader.xian", "leader", "xian")
    group = make_group(members=10, manager=manager, nature="important", industry="government")

    # the customer manager: the group's VPMN page, apply, fill the form (a bad range first), save, submit
    _login(page, "manager.xian")
    page.goto(f"/groups/vpmn/g/{group.code}/")
    assert page.locator('[data-field="no-vpmn"]').count() == 1
    with page.expect_navigation():
        page.locator("#apply").click()
    form = page.locator("#application-form")
    form.locator("input[name=applicant_name]").fill("王主任")
    form.locator("input[name=applicant_msisdn]").fill("13912340000")
    form.locator("select[name=requested_plan]").select_option("vpmn-plus")
    form.locator("input[name=short_number_from]").fill("0600")
    form.locator("input[name=short_number_to]").fill("699")
    with page.expect_navigation():
        form.locator('button[data-action="save"]').click()
    assert page.locator('[data-error-for="short_number_from"]').count() == 1
    assert VpmnApplication.objects.count() == 0
    page.locator("#application-form input[name=short_number_from]").fill("600")
    with page.expect_navigation():
        page.locator('#application-form button[data-action="save"]').click()
    application = VpmnApplication.objects.get()
    assert page.url.endswith(f"/groups/vpmn/applications/{application.number}/")
    assert page.locator('[data-field="msisdn"]').inner_text() == "139****0000"
    assert page.locator('form[data-action="approve"]').count() == 0  # not for the applicant
    with page.expect_navigation():
        page.locator('form[data-action="submit"] button[type=submit]').click()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.gotone_members == 10
    assert page.locator('form[data-action="submit"]').count() == 0

    # the team leader: the approval queue, the application, approve
    _login(page, "leader.xian")
    page.goto("/groups/vpmn/queue/")
    with page.expect_navigation():
        page.locator(f'#applications tr[data-number="{application.number}"] a').click()
    with page.expect_navigation():
        page.locator('form[data-action="approve"] button[type=submit]').click()

    # the VPMN page shows the range and the agreement in force
    agreement = VpmnAgreement.objects.get()
    assert page.url.endswith(f"/groups/vpmn/g/{group.code}/")
    assert page.locator('[data-field="range"]').inner_text() == "600–699"
    assert agreement.number in page.locator('[data-field="agreement"]').inner_text()
    assert page.locator(f'#vpmn-agreements tr[data-number="{agreement.number}"]').count() == 1
    assert agreement.discount_plan.code == "vpmn-plus"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.decided_by.username == "leader.xian"
