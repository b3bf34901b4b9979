"""Group-customer fixtures: a group with members (GoTone by default) in a region, and its staff; a Xi'an group
with a record of every kind (`world`) for the break-in and bad-input walks."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from kefu.groups import vpmn
from kefu.groups.models import (
    ApplicationStatus,
    EventSurvey,
    GroupContact,
    GroupCustomer,
    GroupMember,
    GroupProduct,
    GroupSubscription,
    GroupSurvey,
    PromotionPlan,
    ServiceContact,
    ServiceEvent,
    TrainingSession,
    VpmnAgreement,
    VpmnApplication,
    VpmnMember,
    VpmnNetwork,
)
from kefu.workorders.models import WorkOrder

_codes = itertools.count(1)


@pytest.fixture
def manager_xian(make_staff):
    return make_staff("manager.xian", "manager", "xian")


@pytest.fixture
def manager_baoji(make_staff):
    return make_staff("manager.baoji", "manager", "baoji")


@pytest.fixture
def leader_xian(make_staff):
    return make_staff("leader.xian", "leader", "xian")


@pytest.fixture
def make_group(regions, make_subscriber):
    """A group of `members` subscribers of its city (`brand` for all of them) with one primary contact.

    Written straight to the tables, so tests of one service do not depend on another's.
    """

    def make(
        region: str = "xian",
        members: int = 10,
        grade: str = "B",
        nature: str = "enterprise",
        industry: str = "manufacturing",
        manager=None,
        brand: str = "gotone",
        member_region: str | None = None,
        **fields,
    ) -> GroupCustomer:
        n = next(_codes)
        group = GroupCustomer.objects.create(
            code=fields.pop("code", f"G{n:08d}"),
            name=fields.pop("name", f"测试集团{n}"),
            nature=nature,
            industry=industry,
            grade=grade,
            region=regions[region],
            customer_manager=manager,
            **fields,
        )
        home = member_region or (f"{region}-yanta" if region == "xian" else region)
        for _i in range(members):
            GroupMember.objects.create(
                group=group, subscriber=make_subscriber(region=home, brand=brand), joined_on=dt.date(2024, 1, 1)
            )
        group.member_count = members
        group.save(update_fields=["member_count"])
        GroupContact.objects.create(group=group, name="李明", msisdn="13912345678", is_primary=True)
        return group

    return make


# Text of the Xi'an records that must never reach Baoji staff (none of it is ever sent by the attacker).
SECRET_NAME = "西安机密集团"
SECRET_TEXTS = (
    SECRET_NAME,
    "西安机密拜访",
    "西安机密满意",
    "西安机密参与者",
    "西安机密培训",
    "西安机密目标",
    "西安机密大院",
)
APPLICANT = "13955556666"
PARTICIPANT = "13977778888"


@dataclass
class World:
    group: Any
    baoji_group: Any
    contact: Any
    member: Any
    application: Any
    agreement: Any
    vpmn_member: Any
    event: Any
    subscription: Any
    xian_msisdns: list[str] = field(default_factory=list)

    def secrets(self) -> list[str]:
        return [*SECRET_TEXTS, self.agreement.number, *self.xian_msisdns, APPLICANT, PARTICIPANT]


@pytest.fixture
def world(make_group, manager_xian, leader_xian, make_subscriber) -> World:
    today = timezone.localdate()
    group = make_group(members=10, manager=manager_xian, name=SECRET_NAME, code="XA-SECRET", industry="government")
    baoji_group = make_group(region="baoji", members=3, code="BJ-OWN", industry="government")
    contact = GroupContact.objects.get(group=group)
    member = GroupMember.objects.filter(group=group).select_related("subscriber").first()
    network = VpmnNetwork.objects.create(group=group, short_number_from="600", short_number_to="699")
    plan = vpmn.discount_plans().first()
    agreement = VpmnAgreement.objects.create(
        number="VX-XA-SECRET",
        network=network,
        discount_plan=plan,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        created_by=manager_xian,
    )
    vpmn_member = VpmnMember.objects.create(
        network=network,
        subscriber=member.subscriber,
        short_number="600",
        effective_from=today - dt.timedelta(days=10),
        added_by=manager_xian,
    )
    application = VpmnApplication.objects.create(
        number="VA-XA-SECRET",
        group=group,
        status=ApplicationStatus.SUBMITTED,
        applicant_name="王主任",
        applicant_msisdn=APPLICANT,
        requested_plan=plan,
        expected_members=10,
        short_number_from="700",
        short_number_to="799",
        submitted_at=timezone.now(),
        created_by=manager_xian,
    )
    ServiceContact.objects.create(
        group=group, kind="phone_visit", at=timezone.now(), staff=manager_xian, contact=contact, summary="西安机密拜访"
    )
    GroupSurvey.objects.create(
        group=group, contact=contact, surveyed_on=today, satisfied=True, aware=True, comment="西安机密满意",
        staff=manager_xian,
    )  # fmt: skip
    product = GroupProduct.objects.get(code="group-sms")
    subscription = GroupSubscription.objects.create(
        group=group, product=product, started_on=today, sold_by=manager_xian
    )
    event = ServiceEvent.objects.create(group=group, held_on=today, place="西安机密大院", created_by=manager_xian)
    EventSurvey.objects.create(event=event, participant="西安机密参与者", score=5, msisdn=PARTICIPANT)
    PromotionPlan.objects.create(
        product=product,
        region=group.region,
        month=today.replace(day=1),
        target_subscriptions=9,
        note="西安机密目标",
        created_by=leader_xian,
    )
    TrainingSession.objects.create(
        product=product, region=group.region, title="西安机密培训", held_on=today, trainer="讲师"
    )
    msisdns = list(GroupMember.objects.filter(group=group).values_list("subscriber__msisdn", flat=True))
    return World(
        group, baoji_group, contact, member, application, agreement, vpmn_member, event, subscription,
        [*msisdns, contact.msisdn],
    )  # fmt: skip


def snapshot() -> dict:
    """Every row of the groups area and the work orders: a refused request changes none of them."""
    rows = {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("groups").get_models()
    }
    rows["workorders"] = list(WorkOrder.objects.order_by("pk").values_list("pk", "status"))
    return rows
