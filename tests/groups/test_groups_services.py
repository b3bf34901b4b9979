"""Group customers (GRP-1): lookup in scope, search filters, create/update validated, contacts, members."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.models import AuditEvent
from kefu.core.scope import scope_region_ids
from kefu.groups import services
from kefu.groups.models import GroupContact, GroupCustomer, GroupMember

pytestmark = pytest.mark.django_db


def test_get_group_is_scoped_and_out_of_scope_looks_unknown(make_group, manager_xian, manager_baoji):
    group = make_group("xian")
    assert services.get_group(manager_xian, group.code) == group
    with pytest.raises(DomainError) as out_of_scope:
        services.get_group(manager_baoji, group.code)
    with pytest.raises(DomainError) as unknown:
        services.get_group(manager_baoji, "NOPE123")
    assert out_of_scope.value.code == unknown.value.code == ErrorCode.NOT_FOUND
    assert out_of_scope.value.message == unknown.value.message


def test_search_filters(make_group, manager_xian, make_staff):
    a = make_group("xian", grade="A", nature="important", industry="government", name="西安市政府", members=2)
    b = make_group("xian", grade="B", industry="finance", name="长安银行", manager=manager_xian, members=12)
    b.is_key_group = True
    b.save()
    make_group("baoji", grade="A", name="宝鸡集团")

    def codes(**kw):
        return [g.code for g in services.search_groups(manager_xian, services.GroupFilters(**kw))]

    assert codes() == [a.code, b.code]  # Baoji's group is outside the scope
    assert codes(grade="A") == [a.code]
    assert codes(nature="important") == [a.code]
    assert codes(industry="finance") == [b.code]
    assert codes(manager="manager.xian") == [b.code]
    assert codes(key_group=True) == [b.code]
    assert codes(key_group=False) == [a.code]
    assert codes(q="银行") == [b.code]
    assert codes(q=a.code.lower()) == [a.code]
    with pytest.raises(DomainError) as bad:
        codes(grade="Z")
    assert bad.value.field == "grade"


def test_create_group_validated_and_audited(manager_xian, regions):
    group = services.create_group(
        manager_xian,
        {
            "name": "雁塔区教育局",
            "nature": "important",
            "industry": "education",
            "grade": "A",
            "region": "xian-yanta",
            "customer_manager": "manager.xian",
        },
    )
    assert group.code.startswith("G") and group.customer_manager == manager_xian
    assert AuditEvent.objects.filter(object_type="groups.groupcustomer", object_id=str(group.pk), action="create")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grade": "D"}, "grade"),
        ({"nature": "x"}, "nature"),
        ({"industry": "space"}, "industry"),
        ({"region": "baoji"}, "region"),  # outside the manager's scope
        ({"region": "nowhere"}, "region"),
        ({"customer_manager": "manager.baoji"}, "customer_manager"),  # a manager outside the scope
        ({"customer_manager": "agent.xian"}, "customer_manager"),  # not a customer manager
        ({"name": ""}, "name"),
        ({"code": "bad code!"}, "code"),
        ({"member_count": 99}, "member_count"),
    ],
)
def test_create_group_refuses_bad_input(manager_xian, manager_baoji, agent_xian, change, field):
    data = {"name": "集团", "nature": "enterprise", "industry": "trade", "grade": "C", "region": "xian", **change}
    with pytest.raises(DomainError) as refused:
        services.create_group(manager_xian, data)
    assert refused.value.field == field
    assert not GroupCustomer.objects.exists()


def test_update_group_and_lead_only_fields(make_group, manager_xian, leader_xian):
    group = make_group("xian")
    services.update_group(manager_xian, group, {"grade": "A", "customer_manager": "manager.xian"})
    group.refresh_from_db()
    assert group.grade == "A" and group.customer_manager == manager_xian
    with pytest.raises(DomainError) as refused:
        services.update_group(manager_xian, group, {"key_group_approved": True})
    assert refused.value.code == ErrorCode.FORBIDDEN
    services.update_group(leader_xian, group, {"key_group_approved": True})
    group.refresh_from_db()
    assert group.key_group_approved


def test_contacts_add_update_deactivate(make_group, manager_xian):
    group = make_group("xian")
    contact = services.add_contact(manager_xian, group, {"name": "王芳", "msisdn": "13700001111", "is_primary": True})
    assert list(GroupContact.objects.filter(group=group, is_primary=True)) == [contact]
    services.update_contact(manager_xian, contact, {"title": "办公室主任"})
    contact.refresh_from_db()
    assert contact.title == "办公室主任"
    services.deactivate_contact(manager_xian, contact)
    contact.refresh_from_db()
    assert not contact.active
    with pytest.raises(DomainError) as bad:
        services.add_contact(manager_xian, group, {"name": "赵", "msisdn": "12345"})
    assert bad.value.field == "msisdn"


def test_member_add_remove_keeps_count_and_history(make_group, make_subscriber, manager_xian):
    group = make_group("xian", members=9)
    assert not services.qualifies(group)
    newcomer = make_subscriber(region="xian-yanta")
    member = services.add_member(manager_xian, group, newcomer.msisdn, dt.date(2026, 1, 5), "财务部", "group")
    group.refresh_from_db()
    assert group.member_count == 10 and services.qualifies(group)
    with pytest.raises(DomainError) as twice:
        services.add_member(manager_xian, group, newcomer.msisdn)
    assert twice.value.code == ErrorCode.CONFLICT and twice.value.field == "msisdn"
    with pytest.raises(DomainError) as early:
        services.remove_member(manager_xian, member, dt.date(2025, 12, 31))
    assert early.value.field == "left_on"
    services.remove_member(manager_xian, member, dt.date(2026, 2, 1), "调离")
    group.refresh_from_db()
    assert group.member_count == 9 and not services.qualifies(group)
    assert GroupMember.objects.filter(pk=member.pk, left_on=dt.date(2026, 2, 1)).exists()
    # rejoining later is a new membership
    services.add_member(manager_xian, group, newcomer.msisdn)
    assert GroupMember.objects.filter(group=group, subscriber=newcomer).count() == 2


def test_member_refusals_change_nothing(make_group, make_subscriber, manager_xian):
    group = make_group("xian", members=1)
    baoji = make_subscriber(region="baoji")
    closed = make_subscriber(region="xian-yanta", status="closed")
    for msisdn, field in (
        (baoji.msisdn, "msisdn"),
        (closed.msisdn, "msisdn"),
        ("13", "msisdn"),
        ("13999999999", "msisdn"),
    ):
        with pytest.raises(DomainError) as refused:
            services.add_member(manager_xian, group, msisdn)
        assert refused.value.field == field
    ok = make_subscriber(region="xian-yanta")
    with pytest.raises(DomainError) as bad_payer:
        services.add_member(manager_xian, group, ok.msisdn, fee_payer="boss")
    assert bad_payer.value.field == "fee_payer"
    with pytest.raises(DomainError) as future:
        services.add_member(manager_xian, group, ok.msisdn, joined_on=dt.date(2999, 1, 1))
    assert future.value.field == "joined_on"
    assert GroupMember.objects.filter(group=group).count() == 1


def test_groups_for_subscriber_one_query(make_group, manager_xian, agent_baoji, django_assert_num_queries):
    group = make_group("xian", members=1, grade="A")
    subscriber = group.members.get().subscriber
    scope_region_ids(manager_xian)  # the 360 has read the caller's scope already, to find the subscriber
    with django_assert_num_queries(1):
        rows = services.groups_for_subscriber(manager_xian, subscriber)
    assert rows[0].pop("grade_label")
    assert rows == [
        {
            "code": group.code,
            "name": group.name,
            "grade": "A",
            "is_key_group": False,
            "in_scope": True,
            "short_number": None,
            "agreement": None,
        }
    ]
    assert services.groups_for_subscriber(agent_baoji, subscriber)[0]["in_scope"] is False
