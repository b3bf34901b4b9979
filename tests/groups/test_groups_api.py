"""Group-customer API: list/get/create/patch, contacts, members, import preview + confirm, export, months;
bad input answers 4xx naming the field and changes nothing; a Baoji manager cannot reach a Xi'an group."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from kefu.core.models import AccessLog
from kefu.groups import monthly
from kefu.groups.models import GroupContact, GroupCustomer, GroupMember

pytestmark = pytest.mark.django_db
BASE = "/api/v1/groups"


@pytest.fixture
def xian(api, manager_xian):
    return api.login(manager_xian)


def _upload(client: Client, bearer: str, path: str, content: bytes, name: str = "m.csv", **data):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(path, {"file": upload, **data}, HTTP_AUTHORIZATION=f"Bearer {bearer}")


def test_list_filters_and_scope(xian, make_group):
    a = make_group("xian", grade="A", name="西安电力")
    make_group("xian", grade="C")
    make_group("baoji", grade="A")
    body = xian.get(BASE, grade="A").json()
    assert body["count"] == 1 and body["items"][0]["code"] == a.code
    assert xian.get(BASE).json()["count"] == 2
    bad = xian.get(BASE, grade="Z")
    assert bad.status_code == 422 and bad.json()["field"] == "grade"
    assert xian.get(BASE, limit=0).json()["field"] == "limit"


def test_create_get_patch(xian, manager_xian):
    created = xian.post(
        BASE,
        {
            "name": "高新区管委会",
            "nature": "important",
            "industry": "government",
            "grade": "A",
            "region": "xian-yanta",
            "customer_manager": "manager.xian",
        },
    )
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert xian.get(f"{BASE}/{code}").json()["customer_manager"]["username"] == "manager.xian"
    assert xian.get(f"{BASE}/id/{created.json()['id']}").json()["code"] == code
    patched = xian.patch(f"{BASE}/{code}", {"grade": "B", "employees": 120})
    assert patched.status_code == 200 and patched.json()["grade"] == "B" and patched.json()["employees"] == 120


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"grade": "Z"}, "grade", 422),
        ({"region": "baoji"}, "region", 422),
        ({"customer_manager": "manager.baoji"}, "customer_manager", 422),
        ({"employees": -1}, "employees", 422),
        ({"key_group_approved": True}, "key_group_approved", 403),
        ({"member_count": 3}, "member_count", 422),
    ],
)
def test_patch_bad_input_changes_nothing(xian, make_group, manager_baoji, payload, field, status):
    group = make_group("xian", grade="B")
    before = GroupCustomer.objects.filter(pk=group.pk).values().get()
    response = xian.patch(f"{BASE}/{group.code}", payload)
    assert response.status_code == status and response.json()["field"] == field
    assert GroupCustomer.objects.filter(pk=group.pk).values().get() == before


def test_baoji_manager_cannot_reach_a_xian_group(api, client, make_group, manager_baoji, make_subscriber):
    group = make_group("xian", members=2)
    baoji = api.login(manager_baoji)
    for path in (
        f"{BASE}/{group.code}",
        f"{BASE}/id/{group.pk}",
        f"{BASE}/{group.code}/members",
        f"{BASE}/{group.code}/contacts",
        f"{BASE}/{group.code}/members/export",
        f"{BASE}/{group.code}/months",
        f"/tmf-api/party/v4/organization/{group.pk}",
    ):
        assert baoji.get(path).status_code == 404, path
    assert baoji.patch(f"{BASE}/{group.code}", {"name": "改名"}).status_code == 404
    assert (
        baoji.post(f"{BASE}/{group.code}/members", {"msisdn": make_subscriber(region="baoji").msisdn}).status_code
        == 404
    )
    member = group.members.first()
    assert baoji.post(f"{BASE}/{group.code}/members/{member.pk}/remove", {}).status_code == 404
    preview = _upload(client, baoji.token, f"{BASE}/{group.code}/members/import/preview", b"msisdn\n13800000000\n")
    confirm = _upload(
        client, baoji.token, f"{BASE}/{group.code}/members/import/confirm", b"msisdn\n13800000000\n", token="0" * 64
    )
    assert preview.status_code == confirm.status_code == 404
    assert baoji.get(BASE).json()["count"] == 0
    group.refresh_from_db()
    assert group.name != "改名" and group.members.filter(left_on__isnull=True).count() == 2


def test_members_masked_unless_unmask(xian, api, make_group, admin_user):
    group = make_group("xian", members=3)
    numbers = set(group.members.values_list("subscriber__msisdn", flat=True))
    items = xian.get(f"{BASE}/{group.code}/members").json()["items"]
    assert len(items) == 3 and all("****" in i["msisdn"] for i in items)
    assert not numbers & {i["msisdn"] for i in items}
    contacts = xian.get(f"{BASE}/{group.code}/contacts").json()
    assert contacts[0]["msisdn"] == "139****5678"
    admin = api.login(admin_user)
    assert {i["msisdn"] for i in admin.get(f"{BASE}/{group.code}/members").json()["items"]} == numbers


def test_member_add_remove_and_bad_input(xian, make_group, make_subscriber):
    group = make_group("xian", members=1)
    newcomer = make_subscriber()
    added = xian.post(f"{BASE}/{group.code}/members", {"msisdn": newcomer.msisdn, "fee_payer": "shared"})
    assert added.status_code == 201 and added.json()["fee_payer"] == "shared"
    assert xian.get(f"{BASE}/{group.code}").json()["member_count"] == 2
    twice = xian.post(f"{BASE}/{group.code}/members", {"msisdn": newcomer.msisdn})
    assert twice.status_code == 409 and twice.json()["field"] == "msisdn"
    bad_payer = xian.post(f"{BASE}/{group.code}/members", {"msisdn": make_subscriber().msisdn, "fee_payer": "boss"})
    assert bad_payer.status_code == 422 and bad_payer.json()["field"] == "fee_payer"
    out = xian.post(f"{BASE}/{group.code}/members", {"msisdn": make_subscriber(region="baoji").msisdn})
    assert out.status_code == 422 and out.json()["field"] == "msisdn"
    member_id = added.json()["id"]
    early = xian.post(f"{BASE}/{group.code}/members/{member_id}/remove", {"left_on": "2020-01-01"})
    assert early.status_code == 422 and early.json()["field"] == "left_on"
    removed = xian.post(f"{BASE}/{group.code}/members/{member_id}/remove", {"reason": "离职"})
    assert removed.status_code == 200 and removed.json()["left_on"]
    assert GroupMember.objects.filter(group=group, left_on__isnull=True).count() == 1


def test_contacts(xian, make_group):
    group = make_group("xian")
    added = xian.post(f"{BASE}/{group.code}/contacts", {"name": "周静", "msisdn": "13811112222", "role": "finance"})
    assert added.status_code == 201
    contact_id = added.json()["id"]
    assert xian.patch(f"{BASE}/{group.code}/contacts/{contact_id}", {"title": "会计"}).json()["title"] == "会计"
    bad = xian.post(f"{BASE}/{group.code}/contacts", {"name": "x", "msisdn": "abc"})
    assert bad.status_code == 422 and bad.json()["field"] == "msisdn"
    assert xian.post(f"{BASE}/{group.code}/contacts/{contact_id}/deactivate").json()["active"] is False
    assert GroupContact.objects.filter(group=group).count() == 2


def test_import_preview_and_confirm_over_the_api(client, xian, make_group, make_subscriber):
    group = make_group("xian", members=1)
    existing = group.members.get().subscriber
    good = [make_subscriber(), make_subscriber()]
    closed = make_subscriber(status="closed")
    content = (
        "msisdn,department,fee_payer,joined_on\n"
        f"{good[0].msisdn},销售部,group,2026-03-01\n"
        f"{good[1].msisdn},,,\n"
        f"{good[0].msisdn},,,\n"
        f"{existing.msisdn},,,\n"
        f"{closed.msisdn},,,\n"
        f"{make_subscriber(region='baoji').msisdn},,,\n"
        "13900000000,,,\n"
        f"{make_subscriber().msisdn},,boss,\n"
        f"{make_subscriber().msisdn},,,2026-02-30\n"
        "abc,,,\n"
    ).encode()
    path = f"{BASE}/{group.code}/members/import"
    preview = _upload(client, xian.token, f"{path}/preview", content)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["good_rows"] == 2 and body["rows"] == 10
    assert [b["line"] for b in body["bad_rows"]] == [4, 5, 6, 7, 8, 9, 10, 11]
    assert "2" in body["bad_rows"][0]["reason"]  # "duplicate of line 2", in the caller's language
    assert all("****" in b["msisdn"] for b in body["bad_rows"][:-1])
    assert GroupMember.objects.filter(group=group).count() == 1  # nothing applied before the confirmation
    wrong = _upload(client, xian.token, f"{path}/confirm", content + b"13700000000,,,\n", token=body["token"])
    assert wrong.status_code == 409 and wrong.json()["field"] == "token"
    confirmed = _upload(client, xian.token, f"{path}/confirm", content, token=body["token"])
    assert confirmed.status_code == 200 and confirmed.json() == {"applied": 2, "member_count": 3}
    assert set(GroupMember.objects.filter(group=group).values_list("subscriber", flat=True)) == {
        existing.pk,
        good[0].pk,
        good[1].pk,
    }
    assert GroupMember.objects.get(group=group, subscriber=good[0]).fee_payer == "group"
    again = _upload(client, xian.token, f"{path}/confirm", content, token=body["token"])
    assert again.status_code == 409 and GroupMember.objects.filter(group=group).count() == 3


def test_import_xlsx_and_bad_files(client, xian, make_group, make_subscriber):
    from openpyxl import Workbook

    group = make_group("xian", members=0)
    newcomer = make_subscriber()
    book = Workbook()
    book.active.append(["joined_on", "msisdn", "department"])
    book.active.append([None, int(newcomer.msisdn), "工程部"])
    book.active.append(["not a date", "13812345678", ""])
    out = io.BytesIO()
    book.save(out)
    path = f"{BASE}/{group.code}/members/import"
    preview = _upload(client, xian.token, f"{path}/preview", out.getvalue(), name="m.xlsx").json()
    assert preview["good_rows"] == 1 and [b["line"] for b in preview["bad_rows"]] == [3]
    confirmed = _upload(client, xian.token, f"{path}/confirm", out.getvalue(), name="m.xlsx", token=preview["token"])
    assert confirmed.json()["applied"] == 1
    assert GroupMember.objects.get(group=group).department == "工程部"
    for content, name in ((b"", "m.csv"), (b"phone\n138\n", "m.csv"), (b"PK\x03\x04garbage", "m.xlsx")):
        refused = _upload(client, xian.token, f"{path}/preview", content, name=name)
        assert refused.status_code == 422 and refused.json()["field"] == "file", content


def test_export_is_masked_and_logged(xian, make_group):
    group = make_group("xian", members=2)
    response = xian.get(f"{BASE}/{group.code}/members/export")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and all("****" in r[0] for r in rows[1:])
    log = AccessLog.objects.get(action="export", object_type="groups.groupcustomer", object_id=str(group.pk))
    assert log.channel == "api"


def test_months(xian, api, make_group, admin_user):
    group = make_group("xian", members=10)
    monthly.recompute(monthly.parse_month("2026-10"))
    months = xian.get(f"{BASE}/{group.code}/months").json()
    assert months[0]["month"] == "2026-10" and months[0]["members_at_end"] == 10
    assert xian.post(f"{BASE}/months/recompute", {"month": "2026-10"}).status_code == 403
    admin = api.login(admin_user)
    assert admin.post(f"{BASE}/months/recompute", {"month": "2026-10"}).json()["groups"] == 1
    bad = admin.post(f"{BASE}/months/recompute", {"month": "10/2026"})
    assert bad.status_code == 422 and bad.json()["field"] == "month"
