"""VAS-3: a member's 360 view (page and API) shows the group, the VPMN short number and the agreement in force,
for one more query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kefu.groups.models import VpmnAgreement, VpmnDiscountPlan, VpmnMember, VpmnNetwork

pytestmark = pytest.mark.django_db


@pytest.fixture
def vpmn_member(make_group, manager_xian):
    group = make_group("xian", members=2, grade="A", name="西安交通集团")
    subscriber = group.members.first().subscriber
    network = VpmnNetwork.objects.create(group=group, short_number_from="6000", short_number_to="6999")
    plan = VpmnDiscountPlan.objects.create(code="g1-test-plan", name="测试方案", onnet_discount_percent=50)
    today = dt.date.today()
    VpmnAgreement.objects.create(
        number="AG-OLD",
        network=network,
        discount_plan=plan,
        starts_on=today - dt.timedelta(days=800),
        ends_on=today - dt.timedelta(days=400),
        status="expired",
        created_by=manager_xian,
    )
    VpmnAgreement.objects.create(
        number="AG-2026-001",
        network=network,
        discount_plan=plan,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=335),
        created_by=manager_xian,
    )
    VpmnMember.objects.create(
        network=network, subscriber=subscriber, short_number="6001", effective_from=today, added_by=manager_xian
    )
    return group, subscriber, today + dt.timedelta(days=335)


def test_api_360_shows_group_short_number_and_agreement(api, agent_xian, vpmn_member):
    group, subscriber, ends = vpmn_member
    body = api.login(agent_xian).get(f"/api/v1/customers/{subscriber.msisdn}/360").json()
    assert body["groups"][0].pop("grade_label")  # in the caller's language
    assert body["groups"] == [
        {
            "code": group.code,
            "name": "西安交通集团",
            "grade": "A",
            "is_key_group": False,
            "in_scope": True,
            "short_number": "6001",
            "agreement": {"number": "AG-2026-001", "ends_on": ends.isoformat()},
        }
    ]


def test_page_360_shows_the_group(client, agent_xian, vpmn_member):
    group, subscriber, _ends = vpmn_member
    client.force_login(agent_xian)
    html = client.get(reverse("customers:360", args=[subscriber.pk])).content.decode()
    assert 'id="member-groups"' in html and "西安交通集团" in html and "6001" in html and "AG-2026-001" in html
    assert reverse("groups:detail", args=[group.code]) in html


def test_not_a_member_shows_nothing(api, agent_xian, make_subscriber, make_group):
    make_group("xian", members=1)
    other = make_subscriber()
    assert api.login(agent_xian).get(f"/api/v1/customers/{other.msisdn}/360").json()["groups"] == []


def test_left_members_are_not_shown(api, agent_xian, make_group):
    group = make_group("xian", members=1)
    member = group.members.get()
    member.left_on = dt.date.today()
    member.save()
    assert api.login(agent_xian).get(f"/api/v1/customers/{member.subscriber.msisdn}/360").json()["groups"] == []
