"""VAS-3 on the desktop: the screen pop of a group member names the group, the VPMN short number and the
agreement, so the agent answers a short-number question without leaving the call."""

from __future__ import annotations

import datetime as dt

from kefu.contact.views import render_pop
from kefu.groups.models import GroupCustomer, GroupMember, VpmnAgreement, VpmnDiscountPlan, VpmnMember, VpmnNetwork


def test_the_pop_of_a_vpmn_member_shows_group_short_number_and_agreement(
    regions, make_subscriber, agent_xian, admin_user
):
    subscriber = make_subscriber(name="周敏")
    group = GroupCustomer.objects.create(
        code="G61010099", name="西安高新集团", nature="enterprise", industry="other", grade="A", region=regions["xian"]
    )
    GroupMember.objects.create(group=group, subscriber=subscriber, joined_on=dt.date(2024, 1, 1))
    network = VpmnNetwork.objects.create(group=group, short_number_from="600", short_number_to="699")
    plan = VpmnDiscountPlan.objects.get_or_create(
        code="pop-test", defaults={"name": "测试", "onnet_discount_percent": 50}
    )[0]
    today = dt.date.today()
    VpmnAgreement.objects.create(
        number="VA-POP-1",
        network=network,
        discount_plan=plan,
        starts_on=today - dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=300),
        created_by=admin_user,
    )
    VpmnMember.objects.create(
        network=network, subscriber=subscriber, short_number="612", effective_from=today, added_by=admin_user
    )

    html = render_pop(agent_xian, subscriber.pk, None)

    assert "周敏" in html and "西安高新集团" in html
    assert 'data-field="short-number">612<' in html
    assert "VA-POP-1" in html


def test_the_pop_of_a_customer_in_no_group_has_no_group_line(make_subscriber, agent_xian):
    html = render_pop(agent_xian, make_subscriber().pk, None)
    assert "pop-group" not in html
