"""Group-customer fixtures: a group with members (GoTone by default) in a region, and its staff."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kefu.groups.models import GroupContact, GroupCustomer, GroupMember

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
