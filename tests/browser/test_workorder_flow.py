"""Issue 3 item 12 in a real browser: an agent creates a complaint from the customer 360 page, the back
office dispatches and handles it, the team leader approves it, and the agent's callback closes it."""

import pytest

from kefu.workorders.models import Status, WorkOrder
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/customers/")


def _act(page, panel):
    """Press the button of an action panel of the order page and wait for the page to come back."""
    form = page.locator(f'form[data-action="{panel}"]')
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_complaint_from_the_360_page_to_the_closing_callback(transactional_db, page, make_staff, make_subscriber):
    make_staff("agent.xian", "agent", "xian")
    make_staff("backoffice.xian", "backoffice", "xian")
    make_staff("leader.xian", "leader", "xian")
    customer = make_subscriber(region="xian-yanta", name="周星星", vip_tier="gold")

    # the agent, on the caller's 360 page: n, category, Tab, title, Tab, description, create and submit
    _login(page, "agent.xian")
    page.goto(f"/customers/{customer.pk}/")
    page.keyboard.press("n")
    category = page.locator("select[name=category]")
    assert category.evaluate("el => el === document.activeElement")
    category.select_option("complaint-billing")
    page.keyboard.press("Tab")
    page.keyboard.type("话费异常")
    page.keyboard.press("Tab")
    page.keyboard.type("本月多扣 30 元")
    with page.expect_navigation():
        page.locator('button[data-action="create-submit"]').click()
    order = WorkOrder.objects.get()
    assert page.url.endswith(f"/workorders/{order.number}/")
    assert page.locator('[data-field="step"]').inner_text() == "派单"
    assert order.customer == customer and order.step == "dispatch"

    # the back office: the group queue, claim, dispatch to oneself, handle with result and root cause
    _login(page, "backoffice.xian")
    page.goto("/workorders/group/")
    row = page.locator(f'tr[data-number="{order.number}"]')
    with page.expect_navigation():
        row.locator('button[data-action="claim"]').click()
    page.goto(f"/workorders/{order.number}/")
    page.locator('form[data-action="transition:dispatch"] select[name=f_handler]').select_option("backoffice.xian")
    _act(page, "transition:dispatch")
    assert page.locator('[data-field="step"]').inner_text() == "处理"
    # sent without a root cause: the form says so and nothing moves
    page.locator('form[data-action="transition:submit"] textarea[name=f_result]').fill("核实为重复扣费，已退还 30 元")
    _act(page, "transition:submit")
    assert page.locator('details.failed[data-panel="transition:submit"] .error').count() >= 1
    assert page.locator('[data-field="step"]').inner_text() == "处理"
    page.locator('form[data-action="transition:submit"] select[name=f_root_cause]').select_option("billing")
    _act(page, "transition:submit")
    assert page.locator('[data-field="step"]').inner_text() == "审核"

    # the team leader approves
    _login(page, "leader.xian")
    page.goto(f"/workorders/{order.number}/")
    _act(page, "transition:approve")
    assert page.locator('[data-field="step"]').inner_text() == "回访"

    # the agent calls the customer back: very satisfied closes the order
    _login(page, "agent.xian")
    page.goto(f"/customers/{customer.pk}/")
    with page.expect_navigation():
        page.locator(f'#open-orders a[href="/workorders/{order.number}/"]').click()
    page.locator('form[data-action="callback"] input[value="very_satisfied"]').check()
    _act(page, "callback")
    assert page.locator('[data-field="satisfaction"]').get_attribute("data-value") == "very_satisfied"
    assert page.locator('[data-field="status"]').get_attribute("data-value") == "closed"
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.satisfaction == "very_satisfied"
    assert order.root_cause == "billing" and order.result == "核实为重复扣费，已退还 30 元"
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds == ["created", "transition", "claim", "transition", "transition", "transition", "callback"]
    page.goto(f"/customers/{customer.pk}/")
    assert page.locator("#open-orders").count() == 0  # no open orders any more
