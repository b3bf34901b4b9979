"""A small contact centre in Xi'an: three skill groups, agents with skills, a switch account."""

from __future__ import annotations

import pytest

from kefu.contact.models import Agent, AgentSkill, ContactCentre, SkillGroup, WrapUpCode
from kefu.contact.transport import hub
from tests.contact.live import _sqlite_template, server_db  # noqa: F401 - fixtures for the live tests


@pytest.fixture(autouse=True)
def _no_persistent_connections_in_threads(monkeypatch):
    """The channel consumers reach the database from worker threads: close those connections after each
    use, so that PostgreSQL can drop the test database at the end."""
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture(autouse=True)
def _embedded_router(settings):
    """Each test gets fresh embedded routers (the database is rolled back between tests); no timer
    thread (it would not see the test's transaction)."""
    settings.KEFU_ROUTER = "embedded"
    settings.KEFU_ROUTER_TIMER = False
    hub.reset()
    yield
    hub.reset()


@pytest.fixture
def centre(regions):
    centre = ContactCentre.objects.create(code="xa10086", name="西安 10086", region=regions["xian"])
    general = SkillGroup.objects.create(centre=centre, code="general", name="综合", region=regions["xian"])
    vip = SkillGroup.objects.create(
        centre=centre, code="vip", name="VIP", region=regions["xian"], overflow_after=30, callback_threshold=300
    )
    vip.overflow_to.add(general)
    SkillGroup.objects.create(centre=centre, code="billing", name="账务", region=regions["xian"])
    WrapUpCode.objects.create(code="bill_inquiry", name="查询话费账单")
    WrapUpCode.objects.create(code="plan_change", name="咨询套餐变更")
    return centre


@pytest.fixture
def make_agent(make_staff, centre):
    def make(code: str, skills: dict[str, int], role: str = "agent", region: str = "xian", **user_fields):
        user = make_staff(f"cc.{code}", role, region)
        if user_fields:
            for name, value in user_fields.items():
                setattr(user, name, value)
            user.save()
        agent = Agent.objects.create(user=user, centre=centre, code=code, extension=f"8{code[-3:]}")
        for group, level in skills.items():
            AgentSkill.objects.create(agent=agent, group=SkillGroup.objects.get(code=group), level=level)
        return agent

    return make


@pytest.fixture
def agents(make_agent):
    """a001 (general 2, vip 1), a002 (general 1), a003 (vip 3, billing 1)."""
    return {
        "a001": make_agent("a001", {"general": 2, "vip": 1}, first_name="李娜"),
        "a002": make_agent("a002", {"general": 1}, first_name="王芳"),
        "a003": make_agent("a003", {"vip": 3, "billing": 1}, first_name="赵磊"),
    }


@pytest.fixture
def switch_user(make_staff):
    return make_staff("switch", "switch", "shaanxi")


@pytest.fixture
def cti(api, switch_user, centre):
    """The CTI HTTP API as the switch adapter: `cti.send({...})` posts one event."""
    api.login(switch_user)

    class Cti:
        token = api.token

        def send(self, event: dict):
            return api.post(f"/api/v1/cti/{centre.code}/events", event)

        def get(self, path: str, **params):
            return api.get(f"/api/v1/cti/{centre.code}/{path}", **params)

    return Cti()
