"""The admin shows orders read-only (changes go through the services) and edits categories with an audit."""

import pytest
from django.test import Client

from kefu.workorders.models import Category, WorkOrder

pytestmark = pytest.mark.django_db


def test_admin_pages_open_and_orders_are_read_only(admin_user, complaint):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin_client = Client()
    admin_client.force_login(admin_user)
    for url in (
        "/admin/workorders/workorder/",
        f"/admin/workorders/workorder/{complaint.pk}/change/",
        "/admin/workorders/category/",
        f"/admin/workorders/workflow/{Category.objects.get(code='complaint').workflow_id}/change/",
        "/admin/workorders/timer/",
        "/admin/core/notification/",
        "/admin/workorders/listener/",
        "/admin/workorders/outboxevent/",
    ):
        assert admin_client.get(url).status_code == 200, url
    response = admin_client.post(f"/admin/workorders/workorder/{complaint.pk}/change/", {"title": "changed"})
    assert response.status_code == 403
    assert WorkOrder.objects.get(pk=complaint.pk).title == "话费异常"
