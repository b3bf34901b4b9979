"""The agent desktop in chromium against the ASGI server (`kefu serve`, uvicorn) with the embedded
router: the agent logs in and gets ready; the switch offers a call from a known customer over the
CTI HTTP API; the WebSocket pops that customer on the page."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from tests.conftest import PASSWORD
from tests.contact import live
from tests.contact.live import _sqlite_template, server_db  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(server_db, tmp_path):  # noqa: F811
    seeded = live.seed(server_db, "seed_desktop", "xa10086", PASSWORD)
    port = live.free_port()
    env = live.child_env(server_db, KEFU_ROUTER="embedded", REDIS_URL="", KEFU_DATA_DIR=str(tmp_path))
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115
    server = subprocess.Popen(
        [live.PYTHON, "-m", "kefu", "serve", "--port", str(port), "--workers", "1", "--log-level", "warning"],
        env=env,
        cwd=live.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        live.wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}", seeded
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _post(base: str, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_an_offered_call_pops_the_known_customer_on_the_desktop(browser, asgi_server):
    base, seeded = asgi_server
    context = browser.new_context(base_url=base, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login/?next=/contact/desktop/")
        page.get_by_label("用户名").fill("agent.pop")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/contact/desktop/")
        page.locator("#connection[data-up='1']").wait_for()  # the WebSocket is open

        page.locator("[data-action=login]").click()
        page.locator("#desktop[data-state=logged_in]").wait_for()
        page.locator("[data-action=ready]").click()
        page.locator("#desktop[data-state=ready]").wait_for()

        token = _post(base, "/api/v1/auth/token", {"username": "switch.pop", "password": PASSWORD})["token"]
        offered = {"type": "call.offered", "call": "1711.42", "group": "general", "caller": seeded["msisdn"]}
        result = _post(base, "/api/v1/cti/xa10086/events", offered, token)
        assert [m["agent"] for m in result["messages"] if m["type"] == "call.assigned"] == ["p001"]

        page.locator("#pop .pop-name").wait_for()
        assert page.locator("#pop .pop-name").inner_text() == "陈静"
        assert page.locator("#pop [data-field=msisdn]").inner_text() == "139****5678"
        assert page.locator("#call-id").inner_text() == "1711.42"
        assert page.locator("#desktop").get_attribute("data-state") == "ringing"
        # the work-order form of the pop opens in a new tab, with the page's CSRF token
        form = page.locator("#pop form[method=post]").first
        assert form.get_attribute("target") == "_blank"
        assert form.locator("input[name=csrfmiddlewaretoken]").count() == 1

        page.locator("#answer").click()
        page.locator("#desktop[data-state=talking]").wait_for()
        page.locator("[data-call=end]").click()
        page.locator("#wrap-up:not([hidden])").wait_for()
        page.locator("#wrap-up-form [name=summary]").fill("查询账单")
        page.locator("#wrap-up-form button").click()
        page.locator("#wrap-up[hidden]").wait_for(state="attached")
    finally:
        context.close()


def _desk(browser, base: str, username: str):
    context = browser.new_context(base_url=base, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/?next=/contact/desktop/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/contact/desktop/")
    page.locator("#connection[data-up='1']").wait_for()
    page.locator("[data-action=login]").click()
    page.locator("#desktop[data-state=logged_in]").wait_for()
    page.locator("[data-action=ready]").click()
    page.locator("#desktop[data-state=ready]").wait_for()
    return context, page


def test_a_consult_then_warm_transfer_between_two_desktops(browser, asgi_server):
    base, seeded = asgi_server
    first, a = _desk(browser, base, "agent.pop")
    second, b = _desk(browser, base, "agent.pop2")  # ready after a: a gets the call
    try:
        token = _post(base, "/api/v1/auth/token", {"username": "switch.pop", "password": PASSWORD})["token"]
        offered = {"type": "call.offered", "call": "1711.43", "group": "general", "caller": seeded["msisdn"]}
        _post(base, "/api/v1/cti/xa10086/events", offered, token)
        a.locator("#pop .pop-name").wait_for()
        a.locator("#answer").click()
        a.locator("#desktop[data-state=talking]").wait_for()

        a.locator("#transfer-to").select_option("agent:p002")
        a.locator("[data-call=consult]").click()
        a.locator("#consult-controls:not([hidden])").wait_for()
        # the consulted desk rings with the consult leg and already shows the customer
        b.locator("#consult-leg:not([hidden])").wait_for()
        assert b.locator("#consult-pop .pop-name").inner_text() == "陈静"
        assert b.locator("#consult-from").inner_text() == "p001"
        b.locator("#consult-answer").click()
        a.locator("#desktop[data-consult=talking]").wait_for()

        # both pages reloaded mid-consult get the call, the consult and the customer back
        for page in (a, b):
            page.reload()
            page.locator("#connection[data-up='1']").wait_for()
        a.locator("#desktop[data-consult=talking]").wait_for()
        assert a.locator("#call-id").inner_text() == "1711.43" and a.locator("#pop .pop-name").inner_text() == "陈静"
        assert a.locator("#consult-with").inner_text() == "p002"
        b.locator("#consult-leg:not([hidden])").wait_for()
        assert b.locator("#consult-pop .pop-name").inner_text() == "陈静"
        assert b.locator("#consult-answer").is_hidden()  # answered already

        a.locator("[data-consult=consult_complete]").click()
        # the call is b's now; a goes to wrap-up
        b.locator("#call:not([hidden])").wait_for()
        assert b.locator("#call-id").inner_text() == "1711.43"
        assert b.locator("#pop .pop-name").inner_text() == "陈静"
        assert b.locator("#consult-leg").is_hidden()
        a.locator("#wrap-up:not([hidden])").wait_for()
        assert a.locator("#consult-controls").is_hidden()
        b.locator("[data-call=end]").click()
        b.locator("#wrap-up:not([hidden])").wait_for()
    finally:
        first.close()
        second.close()
