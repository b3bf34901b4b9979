"""Issue 5 item 12 in a real browser: an administrator drafts a threshold change and sees the what-if preview,
a second administrator approves and publishes it, grading runs and a customer's tier changes on the 360 page."""

import pytest

from kefu.core.models import DataScope
from kefu.customers.models import Bill
from kefu.warehouse.loaders import load_from_database
from tests.conftest import PASSWORD
from tests.keyaccounts.conftest import YEAR

pytestmark = pytest.mark.browser


def _login(page, username):
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/customers/")


def test_threshold_change_previewed_approved_graded_and_seen_on_the_360_page(
    transactional_db, page, make_staff, make_subscriber, settings, tmp_path
):
    settings.KEFU_WAREHOUSE_DIR = tmp_path / "warehouse"
    make_staff("admin1", "administrator", "shaanxi", DataScope.ALL)
    make_staff("admin2", "administrator", "shaanxi", DataScope.ALL)
    # 480 yuan a month for a year: silver today, gold once the gold threshold drops to 450.
    customer = make_subscriber(region="xian-yanta", name="周星星", vip_tier="silver", credit_level=5)
    for month in YEAR:
        Bill.objects.create(subscriber=customer, month=month, plan_fee_fen=48000, total_fen=48000, paid_fen=48000)
    load_from_database()

    _login(page, "admin1")
    page.goto(f"/customers/{customer.pk}/")
    assert page.locator('[data-field="vip_tier"]').inner_text() == "银卡"
    page.locator('nav a[href="/keyaccounts/rules/"]').click()
    form = page.locator("#draft-form")
    form.locator("input[name=gold]").fill("450")
    form.locator("input[name=note]").fill("金卡门槛降到 450 元")
    with page.expect_navigation():
        form.locator('button[data-action="draft"]').click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "draft"
    version_url = page.url
    with page.expect_navigation():
        page.locator('form[data-action="preview"] button').click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "previewed"
    assert page.locator('#moves tr[data-from="silver"][data-to="gold"] td').last.inner_text() == "1"
    assert page.locator("svg.tier-chart rect.bar.after[data-tier=gold]").get_attribute("data-value") == "1"
    assert "周星星" in page.locator("#sample").inner_text()
    assert page.locator('form[data-action="approve"]').count() == 0  # the drafter cannot approve

    _login(page, "admin2")
    page.goto(version_url)
    with page.expect_navigation():
        page.locator('form[data-action="approve"] button').click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "approved"
    with page.expect_navigation():
        page.locator('form[data-action="publish"] button').click()
    assert page.locator('h1 [data-field="status"]').get_attribute("data-status") == "published"

    page.goto("/keyaccounts/rules/")
    page.locator("#grade-form select[name=month]").select_option("2026-10")
    with page.expect_navigation():
        page.locator('button[data-action="grade"]').click()
    assert page.locator("#runs tbody tr").first.locator('[data-field="tier_changes"]').inner_text() == "1"

    page.goto(f"/customers/{customer.pk}/")
    assert page.locator('[data-field="vip_tier"]').inner_text() == "金卡"
