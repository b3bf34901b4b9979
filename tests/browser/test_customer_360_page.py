import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_agent_logs_in_searches_and_sees_the_masked_360(transactional_db, page, make_staff, make_subscriber):
    make_staff("agent.xian", "agent", "xian")
    customer = make_subscriber(region="xian-yanta", name="周星星", bills=7, id_number="610113198807071234")
    make_subscriber(region="baoji-weibin", name="周润发")  # another city: must not show

    page.goto("/")
    page.get_by_label("用户名").fill("agent.xian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.get_by_placeholder("手机号码、证件号码或姓名").fill("周")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1
    assert "周星星" in rows.first.inner_text() and "周润发" not in page.content()

    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/customers/{customer.pk}/")
    assert page.locator("h1").inner_text().startswith("周星星")
    assert page.locator('[data-field="id_number"]').inner_text().endswith("6101**********1234")
    assert (
        page.locator('[data-field="msisdn"]').inner_text()
        == f"{customer.msisdn[:3]}****{customer.msisdn[-4:]}"
    )
    assert page.locator("#bills tbody tr").count() == 6
    assert page.locator('[data-field="vip_tier"]').inner_text() == "金卡"


def test_language_switch_to_english(transactional_db, page, make_staff):
    make_staff("agent.xian", "agent", "xian")
    page.goto("/login/")
    page.get_by_label("用户名").fill("agent.xian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    assert page.get_by_role("heading", name="Customer search").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
