from django.test import Client

from tests.conftest import PASSWORD


def _client_for(user):
    client = Client()
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_search_page_lists_scope_customers_and_links_to_360(make_staff, make_subscriber):
    agent = make_staff("agent.baoji", "agent", "baoji")
    customer = make_subscriber(region="baoji-weibin", name="孙悟空")
    client = _client_for(agent)
    html = client.get("/customers/", {"q": "孙"}).content.decode()
    assert "孙悟空" in html and f"/customers/{customer.pk}/" in html
    assert f"{customer.msisdn[:3]}****{customer.msisdn[-4:]}" in html


def test_search_by_full_number_goes_straight_to_the_360_page(make_staff, make_subscriber):
    agent = make_staff("agent.baoji", "agent", "baoji")
    customer = make_subscriber(region="baoji-weibin")
    response = _client_for(agent).get("/customers/", {"q": customer.msisdn})
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"


def test_bad_city_is_a_form_error(make_staff):
    response = _client_for(make_staff("agent.baoji", "agent", "baoji")).get("/customers/", {"city": "atlantis"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_navigation_follows_the_role(make_staff, admin_user):
    agent_page = _client_for(make_staff("agent.xian", "agent", "xian")).get("/customers/").content.decode()
    admin_page = _client_for(admin_user).get("/customers/").content.decode()
    assert 'href="/admin/"' not in agent_page
    assert 'href="/admin/"' in admin_page


def test_chinese_by_default_and_english_on_request(make_staff):
    client = _client_for(make_staff("agent.xian", "agent", "xian"))
    assert "客户查询" in client.get("/customers/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    assert "Customer search" in client.get("/customers/").content.decode()


def test_admin_is_in_chinese(admin_user):
    client = Client()
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert "客服系统管理" in html and "资费套餐" in html and "区域" in html


def test_health(client, db):
    assert client.get("/health/").json()["status"] == "ok"


def test_back_office_edits_in_the_admin_are_audited(admin_user, plans):
    from kefu.core.models import AuditEvent

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    plan = plans["gotone-128"]
    response = client.post(
        f"/admin/customers/priceplan/{plan.pk}/change/",
        {"code": plan.code, "name": "全球通 128 元新套餐", "brand": "gotone", "monthly_fee_fen": 13800},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="customers.priceplan", object_id=str(plan.pk))
    assert event.actor == admin_user and event.changes["monthly_fee_fen"] == 13800


def test_api_docs_are_served_from_the_package_not_a_cdn(client, db):
    html = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn." not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/customers/{msisdn}/360" in spec["paths"]


def test_agent_updates_information_from_the_360_page(make_staff, make_subscriber):
    from kefu.customers.models import InfoUpdate

    agent = make_staff("agent.xian", "agent", "xian")
    customer = make_subscriber()
    client = _client_for(agent)
    response = client.post(
        f"/customers/{customer.pk}/update/", {"channel": "hotline", "email": "zhang.wei@example.cn"}, follow=True
    )
    assert response.status_code == 200 and "客户信息已更新" in response.content.decode()
    update = InfoUpdate.objects.get(subscriber=customer)
    assert (
        update.staff == agent
        and update.channel == "hotline"
        and update.changes == {"email": ["", "zhang.wei@example.cn"]}
    )


def test_a_bad_update_is_a_form_error_and_changes_nothing(make_staff, make_subscriber):
    from kefu.customers.models import InfoUpdate

    customer = make_subscriber()
    client = _client_for(make_staff("agent.xian", "agent", "xian"))
    response = client.post(f"/customers/{customer.pk}/update/", {"channel": "hotline", "email": "not-mail"})
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    empty = client.post(f"/customers/{customer.pk}/update/", {"channel": "hotline"})
    assert empty.status_code == 400
    assert not InfoUpdate.objects.exists()
    other_city = make_subscriber(region="baoji-weibin")
    assert client.post(f"/customers/{other_city.pk}/update/", {"channel": "hotline", "name": "X"}).status_code == 404
