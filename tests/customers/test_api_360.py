from kefu.core.models import AccessLog, AuditEvent
from kefu.customers.models import InfoUpdate, ProfileStore, Subscriber


def test_360_shows_profile_bills_and_masks_personal_data(api, agent_xian, make_subscriber):
    sub = make_subscriber(bills=8)
    response = api.login(agent_xian).get(f"/api/v1/customers/{sub.msisdn}/360")
    assert response.status_code == 200
    body = response.json()
    profile = body["profile"]
    assert profile["msisdn"] == f"{sub.msisdn[:3]}****{sub.msisdn[-4:]}"
    assert profile["id_number"] == "6101**********1234"
    assert profile["address"] == "陕西省西安市雁塔区****"
    assert (
        profile["vip_tier"] == "gold" and profile["points_balance"] == 1200 and profile["credit_level"] == 4
    )
    assert profile["city"] == "xian"
    assert [b["month"] for b in body["bills"]] == [
        "2026-10",
        "2026-09",
        "2026-08",
        "2026-07",
        "2026-06",
        "2026-05",
    ]
    assert body["bills"][0]["arrears_fen"] == 16000 and body["arrears_fen"] == 16000
    assert body["open_work_orders"] == []
    assert AccessLog.objects.filter(user=agent_xian, object_id=str(sub.pk), action="view").count() == 1


def test_admin_sees_unmasked_and_the_unmask_is_logged(api, admin_user, make_subscriber):
    sub = make_subscriber()
    body = api.login(admin_user).get(f"/api/v1/customers/{sub.msisdn}/360").json()
    assert body["profile"]["msisdn"] == sub.msisdn
    assert body["profile"]["id_number"] == sub.id_number
    assert AccessLog.objects.filter(user=admin_user, object_id=str(sub.pk), action="unmask").exists()


def test_invalid_msisdn_is_422_naming_field_and_rule(api, agent_xian):
    response = api.login(agent_xian).get("/api/v1/customers/12345/360")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["field"] == "msisdn"
    assert "11" in response.json()["detail"]


def test_unknown_and_out_of_scope_customers_are_the_same_404(api, agent_baoji, make_subscriber):
    xian_customer = make_subscriber(region="xian-yanta")
    api.login(agent_baoji)
    unknown = api.get("/api/v1/customers/13999999999/360")
    foreign = api.get(f"/api/v1/customers/{xian_customer.msisdn}/360")
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json() == foreign.json()
    assert not AccessLog.objects.filter(object_id=str(xian_customer.pk)).exists()


def test_search_is_scoped_and_masked(api, agent_baoji, make_subscriber):
    make_subscriber(region="xian-yanta", name="李娜")
    mine = make_subscriber(region="baoji-weibin", name="李强")
    body = api.login(agent_baoji).get("/api/v1/customers", q="李").json()
    assert body["count"] == 1
    assert body["items"][0]["msisdn"] == f"{mine.msisdn[:3]}****{mine.msisdn[-4:]}"
    assert body["items"][0]["city"] == "baoji"
    # asking for the other city explicitly finds nothing either
    assert api.get("/api/v1/customers", city="xian").json()["count"] == 0


def test_search_by_id_number_and_city(api, admin_user, make_subscriber):
    target = make_subscriber(region="baoji-weibin", id_number="61030219850505123X")
    make_subscriber(region="xian-yanta")
    api.login(admin_user)
    assert [i["id"] for i in api.get("/api/v1/customers", q="61030219850505123x").json()["items"]] == [
        target.pk
    ]
    assert [i["id"] for i in api.get("/api/v1/customers", city="baoji").json()["items"]] == [target.pk]
    assert api.get("/api/v1/customers", city="atlantis").status_code == 422
    assert api.get("/api/v1/customers", limit=0).json()["field"] == "limit"


def test_api_requires_authentication(client, make_subscriber):
    sub = make_subscriber()
    response = client.get(f"/api/v1/customers/{sub.msisdn}/360")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    bad = client.get(f"/api/v1/customers/{sub.msisdn}/360", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert bad.status_code == 401


def test_update_records_channel_staff_and_audit(api, agent_xian, make_subscriber):
    sub = make_subscriber()
    response = api.login(agent_xian).patch(
        f"/api/v1/customers/{sub.msisdn}", {"channel": "hotline", "address": "陕西省西安市碑林区南大街 9 号"}
    )
    assert response.status_code == 200, response.content
    update = InfoUpdate.objects.get(subscriber=sub)
    assert update.channel == "hotline" and update.staff == agent_xian
    assert update.changes["address"][1] == "陕西省西安市碑林区南大街 9 号"
    assert AuditEvent.objects.filter(
        object_type="customers.subscriber", object_id=str(sub.pk), actor=agent_xian
    ).exists()


def test_rejected_update_changes_nothing(api, agent_xian, make_subscriber):
    sub = make_subscriber()
    response = api.login(agent_xian).patch(
        f"/api/v1/customers/{sub.msisdn}", {"channel": "pigeon", "name": "X"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "channel"
    response = api.patch(f"/api/v1/customers/{sub.msisdn}", {"channel": "hotline", "email": "not-an-email"})
    assert response.status_code == 422
    sub.refresh_from_db()
    assert sub.name == "张伟" and sub.email == ""
    assert not InfoUpdate.objects.exists() and not AuditEvent.objects.exists()


def test_close_moves_to_retained_store_and_restore_brings_back_history(api, make_staff, make_subscriber):
    clerk = make_staff("clerk.xian", "clerk", "xian-yanta")
    sub = make_subscriber(bills=3)
    api.login(clerk)
    assert api.post(f"/api/v1/customers/{sub.msisdn}/close", {"channel": "hall"}).status_code == 200
    sub.refresh_from_db()
    assert sub.store == ProfileStore.RETAINED and sub.status == "closed"
    assert api.get(f"/api/v1/customers/{sub.msisdn}/360").status_code == 404
    retained = api.get("/api/v1/customers", q=sub.msisdn, store="retained").json()
    assert retained["count"] == 1
    # the number is given to someone new meanwhile: restoring on the old number is refused
    newcomer = make_subscriber(msisdn=sub.msisdn, name="王芳")
    conflict = api.post(f"/api/v1/customers/retained/{sub.pk}/restore", {"channel": "hall"})
    assert conflict.status_code == 409 and conflict.json()["field"] == "msisdn"
    restored = api.post(
        f"/api/v1/customers/retained/{sub.pk}/restore", {"channel": "hall", "msisdn": "13700000077"}
    )
    assert restored.status_code == 200, restored.content
    body = api.get("/api/v1/customers/13700000077/360").json()
    assert len(body["bills"]) == 3 and body["profile"]["name"] == "张伟"
    assert Subscriber.objects.get(pk=newcomer.pk).store == ProfileStore.ON_NET


def test_agent_may_not_close(api, agent_xian, make_subscriber):
    sub = make_subscriber()
    response = api.login(agent_xian).post(f"/api/v1/customers/{sub.msisdn}/close", {"channel": "hall"})
    assert response.status_code == 403
    sub.refresh_from_db()
    assert sub.store == ProfileStore.ON_NET
