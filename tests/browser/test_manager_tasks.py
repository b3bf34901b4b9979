"""Issue 5 item 8 in a real browser: a team leader dispatches a task to a customer manager from the tasks page,
the manager finds it on their home page and reports it done, the leader evaluates it."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.keyaccounts.models import ManagerTask
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/customers/")


def test_a_task_dispatched_progressed_and_evaluated_from_the_pages(transactional_db, page, make_staff, make_subscriber):
    leader = make_staff("leader.xian", "leader", "xian")
    manager = make_staff("manager.xian", "manager", "xian")
    customer = make_subscriber(name="周钻石", vip_tier="diamond", customer_manager=manager)
    deadline = timezone.localdate() + dt.timedelta(days=3)

    _login(page, leader.username)
    page.locator('nav a[href="/keyaccounts/manager/tasks/"]').click()
    form = page.locator("#task-form")
    form.locator("select[name=manager]").select_option(str(manager.pk))
    form.locator("input[name=title]").fill("走访钻石客户周钻石")
    form.locator("input[name=deadline]").fill(deadline.isoformat())
    form.locator("input[name=msisdn]").fill(customer.msisdn)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "open"
    # a leader without the unmask permission sees the customer's number masked
    assert page.locator('[data-field="msisdn"]').inner_text() == f"{customer.msisdn[:3]}****{customer.msisdn[-4:]}"
    task = ManagerTask.objects.get()
    assert task.manager == manager and task.deadline == deadline

    _login(page, manager.username)
    page.goto("/keyaccounts/manager/")
    page.locator(f'#tasks tr[data-task="{task.pk}"] a').click()
    progress = page.locator("#progress-form")
    progress.locator("input[name=progress]").fill("100")
    progress.locator("input[name=note]").fill("已上门拜访")
    with page.expect_navigation():
        progress.locator("button[type=submit]").click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "done"
    assert page.locator("#evaluation-form").count() == 0  # the manager does not evaluate

    _login(page, leader.username)
    page.goto("/keyaccounts/manager/tasks/?status=done")
    page.locator(f'#tasks tr[data-id="{task.pk}"] a').click()
    evaluation = page.locator("#evaluation-form")
    evaluation.locator("select[name=evaluation]").select_option("4")
    evaluation.locator("input[name=note]").fill("及时")
    with page.expect_navigation():
        evaluation.locator("button[type=submit]").click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "evaluated"
    assert page.locator('[data-field="evaluation"]').inner_text() == "4"
    task.refresh_from_db()
    assert task.status == "evaluated" and task.evaluation == 4 and task.progress_note == "已上门拜访"
