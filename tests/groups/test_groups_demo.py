"""The group demo data: groups of each city's subscribers, counts in step, VPMNs, rerun replaces."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.customers.models import Subscriber
from kefu.groups import demo
from kefu.groups.models import GroupCustomer, GroupMember, VpmnAgreement, VpmnMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribers(regions, plans, make_staff):
    make_staff("manager.xian", "manager", "xian")
    make_staff("manager.baoji", "manager", "baoji")
    rows = [
        Subscriber(
            msisdn=f"1380000{i:04d}",
            name="用户",
            id_number="610113199001011234",
            brand="gotone",
            price_plan=plans["gotone-128"],
            region=regions["xian-yanta" if i % 3 else "baoji"],
            join_date=dt.date(2018, 1, 1),
        )
        for i in range(900)
    ]
    Subscriber.objects.bulk_create(rows)


def test_seed_groups_and_rerun(subscribers):
    report = demo.seed(dt.date(2026, 11, 20), seed=3)
    assert report["groups"] == GroupCustomer.objects.count() == 9
    for group in GroupCustomer.objects.select_related("region", "customer_manager"):
        assert group.member_count == group.members.filter(left_on__isnull=True).count()
        assert group.customer_manager.region == group.region
        regions = set(group.members.values_list("subscriber__region__parent__code", "subscriber__region__code"))
        assert all(group.region.code in pair for pair in regions)
    assert VpmnMember.objects.count() == report["vpmn_members"]
    assert report["vpmns"] >= 1 and report["agreements_ending_soon"] >= 1
    for agreement in VpmnAgreement.objects.all():
        assert agreement.ends_on > dt.date(2026, 11, 20) > agreement.starts_on
    members = GroupMember.objects.count()
    again = demo.seed(dt.date(2026, 11, 20), seed=3)
    assert again["groups"] == GroupCustomer.objects.count() == 9 and GroupMember.objects.count() == members



def test_demo_agreements_are_numbered_like_agreements(subscribers):
    """VX… like those the service numbers (VA… are applications): the call centre reads them off the 360 page."""
    demo.seed(dt.date(2026, 11, 20), seed=3)
    numbers = list(VpmnAgreement.objects.values_list("number", flat=True))
    assert numbers and all(n.startswith("VX") for n in numbers)
