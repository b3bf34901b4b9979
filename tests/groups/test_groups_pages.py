"""Group-customer pages: list with filters, group page (masked members, paging), create/edit, contacts,
members, import (upload → preview → confirm) and export; out-of-scope groups are 404."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kefu.groups.models import GroupCustomer, GroupMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, manager_xian):
    client.force_login(manager_xian)
    return client


def test_navigation_and_list_filters(logged_in, make_group):
    a = make_group("xian", grade="A", name="西安电力")
    b = make_group("xian", grade="C", name="碑林商贸")
    baoji = make_group("baoji", name="宝鸡集团")
    page = logged_in.get(reverse("groups:list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/groups/"' in html  # the navigation entry
    assert 'id="my-groups"' in html
    assert a.code in html and b.code in html and baoji.code not in html
    filtered = logged_in.get(reverse("groups:list"), {"grade": "A"}).content.decode()
    assert a.code in filtered and b.code not in filtered
    assert b.code in logged_in.get(reverse("groups:list"), {"q": "碑林"}).content.decode()
    assert logged_in.get(reverse("groups:list"), {"grade": "Z"}).status_code == 400


def test_list_filters_by_manager_and_region(client, make_group, leader_xian, manager_xian):
    mine = make_group("xian", manager=manager_xian)
    other = make_group("xian", members=1)
    client.force_login(leader_xian)
    html = client.get(reverse("groups:list"), {"manager": "manager.xian"}).content.decode()
    assert mine.code in html and other.code not in html
    assert client.get(reverse("groups:list"), {"region": "xian"}).status_code == 200
    assert client.get(reverse("groups:list"), {"region": "baoji"}).status_code == 400  # not a choice in scope


def test_group_page_masks_members_and_pages(logged_in, make_group):
    group = make_group("xian", members=60)
    page = logged_in.get(reverse("groups:detail", args=[group.code]))
    html = page.content.decode()
    assert page.status_code == 200
    first = group.members.order_by("-joined_on", "id").first().subscriber.msisdn
    assert first not in html and f"{first[:3]}****{first[-4:]}" in html
    assert html.count('data-field="msisdn"') == 50 + 1  # one page of members + the contact person
    assert (
        logged_in.get(reverse("groups:detail", args=[group.code]), {"page": 2}).content.decode().count("****") == 10 + 1
    )


def test_out_of_scope_group_pages_are_404(client, make_group, manager_baoji):
    group = make_group("xian")
    client.force_login(manager_baoji)
    for name in ("detail", "edit", "member_import", "member_export"):
        assert client.get(reverse(f"groups:{name}", args=[group.code])).status_code == 404
    assert client.post(reverse("groups:member_add", args=[group.code]), {"msisdn": "13800000000"}).status_code == 404


def test_create_and_edit_group(logged_in, manager_xian):
    response = logged_in.post(
        reverse("groups:create"),
        {"name": "曲江文旅", "nature": "enterprise", "industry": "trade", "grade": "B", "region": "xian"},
    )
    group = GroupCustomer.objects.get(name="曲江文旅")
    assert response.status_code == 302 and response["Location"] == reverse("groups:detail", args=[group.code])
    bad = logged_in.post(
        reverse("groups:create"),
        {"name": "宝鸡", "nature": "enterprise", "industry": "trade", "grade": "B", "region": "baoji"},
    )
    assert bad.status_code == 400 and 'data-error-for="region"' in bad.content.decode()
    edited = logged_in.post(
        reverse("groups:edit", args=[group.code]),
        {
            "name": "曲江文旅集团",
            "nature": "enterprise",
            "industry": "trade",
            "grade": "A",
            "region": "xian",
            "customer_manager": "manager.xian",
        },
    )
    assert edited.status_code == 302
    group.refresh_from_db()
    assert group.grade == "A" and group.customer_manager == manager_xian


def test_add_member_form_error_shown(logged_in, make_group, make_subscriber):
    group = make_group("xian", members=1)
    existing = group.members.get().subscriber
    refused = logged_in.post(
        reverse("groups:member_add", args=[group.code]), {"msisdn": existing.msisdn, "fee_payer": "member"}
    )
    assert refused.status_code == 409 and 'data-error-for="msisdn"' in refused.content.decode()
    newcomer = make_subscriber()
    ok = logged_in.post(
        reverse("groups:member_add", args=[group.code]), {"msisdn": newcomer.msisdn, "fee_payer": "group"}
    )
    assert ok.status_code == 302
    assert GroupMember.objects.filter(group=group, subscriber=newcomer, fee_payer="group").exists()


def test_import_page_preview_then_confirm(logged_in, make_group, make_subscriber):
    group = make_group("xian", members=0)
    good = make_subscriber()
    csv = f"msisdn,department,fee_payer,joined_on\n{good.msisdn},办公室,group,2026-01-02\n12345,,,\n".encode()
    upload = io.BytesIO(csv)
    upload.name = "members.csv"
    preview = logged_in.post(reverse("groups:member_import", args=[group.code]), {"file": upload})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'data-good="1"' in html and 'data-line="3"' in html
    assert not GroupMember.objects.filter(group=group).exists()
    token = html.split('name="token" value="')[1].split('"')[0]
    confirmed = logged_in.post(reverse("groups:member_import", args=[group.code]), {"token": token, "confirm": "1"})
    assert confirmed.status_code == 302
    assert list(GroupMember.objects.filter(group=group).values_list("subscriber", flat=True)) == [good.pk]
    again = logged_in.post(reverse("groups:member_import", args=[group.code]), {"token": token, "confirm": "1"})
    assert again.status_code == 422 and GroupMember.objects.filter(group=group).count() == 1


def test_export_xlsx_masked(logged_in, make_group):
    group = make_group("xian", members=3)
    response = logged_in.get(reverse("groups:member_export", args=[group.code]))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "msisdn" and len(rows) == 4
    assert all("****" in row[0] for row in rows[1:])


def test_admin_lists_groups_read_only(client, admin_user, make_group):
    group = make_group("xian")
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    for name in ("groupcustomer", "groupmonth", "serviceplanitem", "vpmndiscountplan", "groupproduct"):
        assert client.get(f"/admin/groups/{name}/").status_code == 200, name
    assert group.code in client.get("/admin/groups/groupcustomer/").content.decode()
    assert client.get("/admin/groups/groupcustomer/add/").status_code == 403


def test_key_group_notification_is_labelled():
    from django.utils import translation

    from kefu.core.notifications import kind_label

    with translation.override("en"):
        assert kind_label("key_group") == "Key group (集团大客户)"


def test_edit_and_deactivate_contact(logged_in, make_group):
    group = make_group("xian")
    contact = group.contacts.get()
    url = reverse("groups:contact_edit", args=[group.code, contact.pk])
    assert logged_in.get(url).status_code == 200
    data = {
        "name": "李明",
        "role": "finance",
        "title": "财务处长",
        "msisdn": "13912345678",
        "email": "",
        "is_primary": "on",
    }
    assert logged_in.post(url, {**data, "msisdn": "123"}).status_code == 422
    assert logged_in.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert (contact.role, contact.title) == ("finance", "财务处长")
    logged_in.post(reverse("groups:contact_deactivate", args=[group.code, contact.pk]))
    contact.refresh_from_db()
    assert not contact.active


def test_key_groups_by_month_page(client, make_group, leader_xian, admin_user, manager_xian):
    from kefu.customers.models import Bill

    top = make_group("xian", members=10)
    for member in top.members.all():
        Bill.objects.create(subscriber=member.subscriber, month="2026-10-01", total_fen=900, plan_fee_fen=900)
    make_group("xian", members=10)
    hidden = make_group("baoji", members=10)
    client.force_login(admin_user)
    assert client.post(reverse("groups:months"), {"month": "2026-13"}).status_code == 422
    response = client.post(reverse("groups:months"), {"month": "2026-10"})
    assert response.status_code == 302
    client.force_login(leader_xian)
    html = client.get(reverse("groups:months")).content.decode()
    assert f'data-code="{top.code}" data-key-group="1"' in html and hidden.code not in html
    assert 'id="month-form"' not in html  # leaders read, administrators recompute
    assert client.post(reverse("groups:months"), {"month": "2026-10"}).status_code == 403
    client.force_login(manager_xian)
    assert client.get(reverse("groups:months")).status_code == 403
