"""Attempts to get around the data scope, the masking, the login lockout and CSRF."""

import pytest
from django.test import Client

from kefu.core.models import AccessLog, User
from tests.conftest import PASSWORD


@pytest.fixture
def xian_customer(make_subscriber):
    return make_subscriber(region="xian-yanta", name="赵敏", msisdn="13912345678")


def _login_page(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_baoji_agent_cannot_reach_a_xian_customer_by_any_door(client, api, make_staff, xian_customer):
    agent = make_staff("agent.baoji", "agent", "baoji")
    api.login(agent)
    assert api.get("/api/v1/customers", q=xian_customer.msisdn).json()["count"] == 0
    assert api.get("/api/v1/customers", q="赵").json()["count"] == 0
    assert api.get("/api/v1/customers", q=xian_customer.id_number).json()["count"] == 0
    assert api.get("/api/v1/customers", q="5678").json()["count"] == 0
    assert api.get(f"/api/v1/customers/{xian_customer.msisdn}/360").status_code == 404
    assert (
        api.patch(f"/api/v1/customers/{xian_customer.msisdn}", {"channel": "hotline", "name": "X"}).status_code == 404
    )
    # the pages
    _login_page(client, "agent.baoji")
    assert client.get(f"/customers/{xian_customer.pk}/").status_code == 404
    page = client.get("/customers/", {"q": "赵"})
    assert "赵敏" not in page.content.decode()
    assert not AccessLog.objects.filter(object_id=str(xian_customer.pk)).exists()


def test_export_is_scoped_masked_and_permission_checked(client, api, make_staff, make_subscriber, xian_customer):
    baoji_customer = make_subscriber(region="baoji-weibin", name="钱多", msisdn="13512340000")
    agent = make_staff("agent.baoji", "agent", "baoji")
    assert api.login(agent).get("/api/v1/customers/export").status_code == 403
    analyst = make_staff("analyst.baoji", "analyst", "baoji", data_scope="city")
    api.login(analyst)
    response = api.get("/api/v1/customers/export", city="baoji")
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "钱多" in body and "135****0000" in body and baoji_customer.msisdn not in body
    assert "赵敏" not in api.get("/api/v1/customers/export").content.decode("utf-8-sig")
    assert AccessLog.objects.filter(user=analyst, action="export").count() == 2
    _login_page(client, "analyst.baoji")
    page_export = client.get("/customers/export.csv", {"q": "赵"})
    assert page_export.status_code == 200 and "赵敏" not in page_export.content.decode("utf-8-sig")


def test_masked_on_the_page_without_permission(client, make_staff, xian_customer):
    make_staff("agent.xian", "agent", "xian")
    _login_page(client, "agent.xian")
    html = client.get(f"/customers/{xian_customer.pk}/").content.decode()
    assert "139****5678" in html and "13912345678" not in html
    assert "6101**********1234" in html and "610113199001011234" not in html
    assert "小寨东路" not in html


def test_unmask_permission_shows_data_and_is_logged(client, admin_user, xian_customer):
    _login_page(client, "admin")
    html = client.get(f"/customers/{xian_customer.pk}/").content.decode()
    assert "13912345678" in html and "610113199001011234" in html
    assert AccessLog.objects.filter(user=admin_user, action="unmask", object_id=str(xian_customer.pk)).exists()


def test_login_locks_after_repeated_failures_even_with_the_right_password(client, api, agent_xian):
    for _ in range(5):
        response = _login_page(client, "agent.xian", "wrong-password")
        assert response.status_code == 400
    locked = _login_page(client, "agent.xian")
    assert locked.status_code == 400
    assert "locked" in locked.content.decode() or "锁定" in locked.content.decode()
    token = client.post(
        "/api/v1/auth/token",
        {"username": "agent.xian", "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 423 and token.json()["code"] == "account_locked"
    assert User.objects.get(username="agent.xian").locked_until is not None


def test_wrong_password_via_api_is_401_json(client, agent_xian):
    response = client.post(
        "/api/v1/auth/token", {"username": "agent.xian", "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"
    unknown = client.post(
        "/api/v1/auth/token", {"username": "nobody", "password": "x"}, content_type="application/json"
    )
    assert unknown.status_code == 401 and unknown.json()["detail"] == response.json()["detail"]


def test_forms_and_session_api_calls_need_the_csrf_token(agent_xian, make_subscriber):
    sub = make_subscriber()
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/login/", {"username": "agent.xian", "password": PASSWORD}).status_code == 403
    browser.force_login(agent_xian)
    refused = browser.patch(
        f"/api/v1/customers/{sub.msisdn}",
        {"channel": "hotline", "name": "改名"},
        content_type="application/json",
    )
    assert refused.status_code in (401, 403)
    sub.refresh_from_db()
    assert sub.name == "张伟"
    # the same session with the token from the page goes through
    browser.get("/customers/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.patch(
        f"/api/v1/customers/{sub.msisdn}",
        {"channel": "hotline", "name": "改名"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 200, accepted.content


def test_pages_need_login_and_the_permission(client, make_staff):
    assert client.get("/customers/").status_code == 302
    nobody = User.objects.create_user("visitor", password=PASSWORD)
    client.force_login(nobody)
    assert client.get("/customers/").status_code == 403
