"""Workflows as data (WO-2): drafts, validation with messages, publishing never changes running orders."""

import copy

import pytest

from kefu.core.errors import DomainError, ErrorCode
from kefu.workorders import services
from kefu.workorders.defaults import INQUIRY
from kefu.workorders.models import Status
from tests.workorders.conftest import fresh

pytestmark = pytest.mark.django_db


def _with_review_step():
    definition = copy.deepcopy(INQUIRY)
    definition["steps"].insert(
        2,
        {"code": "check", "name": "质检", "name_en": "Check", "roles": ["leader"], "region": "handling", "hours": 4},
    )
    for t in definition["transitions"]:
        if t["from"] == "answer" and t["to"] == "closed":
            t["to"] = "check"
            t["code"] = "submit-check"
    definition["transitions"].append(
        {"code": "close", "name": "结案", "name_en": "Close", "from": "check", "to": "closed"}
    )
    return definition


def test_publishing_a_new_version_leaves_running_orders_on_theirs(staff, admin_user, xian_customer):
    agent, back, leader = staff["agent.xian"], staff["backoffice.xian"], staff["leader.xian"]
    running = services.create(
        agent, category="inquiry-billing", title="旧流程", channel="hotline", msisdn=xian_customer.msisdn
    )
    services.transition(agent, running.number, "submit", version=running.version)
    draft = services.save_draft(admin_user, "inquiry", _with_review_step(), note="answers are checked")
    assert draft.number == 2 and not draft.published
    # a draft is not used yet
    assert (
        services.create(
            agent, category="inquiry-business", title="仍是旧流程", channel="hotline", msisdn=xian_customer.msisdn
        ).workflow_version.number
        == 1
    )
    services.publish(admin_user, "inquiry", 2)
    new = services.create(
        agent, category="inquiry-network", title="新流程", channel="hotline", msisdn=xian_customer.msisdn
    )
    assert new.workflow_version.number == 2
    # the running order still closes straight from "answer" (version 1)
    services.close(back, running.number, version=fresh(running).version, result="已答复")
    assert fresh(running).status == Status.CLOSED
    # the new one must pass the check step
    services.transition(agent, new.number, "submit", version=new.version)
    services.transition(back, new.number, "submit-check", version=fresh(new).version, fields={"result": "已答复"})
    assert fresh(new).step == "check" and fresh(new).queue == "leader"
    services.transition(leader, new.number, "close", version=fresh(new).version)
    assert fresh(new).status == Status.CLOSED
    with pytest.raises(DomainError) as exc:
        services.publish(admin_user, "inquiry", 2)
    assert exc.value.code == ErrorCode.CONFLICT


def test_unreachable_steps_and_dead_ends_are_refused_with_their_names(admin_user):
    definition = copy.deepcopy(INQUIRY)
    definition["steps"].insert(
        1, {"code": "limbo", "name": "无人问津", "roles": ["backoffice"], "region": "handling", "hours": 1}
    )
    definition["steps"].insert(
        1, {"code": "trap", "name": "死胡同", "roles": ["backoffice"], "region": "handling", "hours": 1}
    )
    definition["transitions"].append({"code": "trap", "name": "进入", "from": "accept", "to": "trap"})
    with pytest.raises(DomainError) as exc:
        services.save_draft(admin_user, "inquiry", definition)
    assert exc.value.code == ErrorCode.INVALID
    kinds = {p["kind"]: p["subject"] for p in exc.value.extra["problems"]}
    assert kinds == {"unreachable": ["limbo"], "dead_end": ["trap", "limbo"]}
    assert "limbo" in exc.value.message and "trap" in exc.value.message
    assert not services.Workflow.objects.get(code="inquiry").versions.filter(number=2).exists()


def test_unknown_roles_and_malformed_definitions(admin_user, staff):
    definition = copy.deepcopy(INQUIRY)
    definition["steps"][1]["roles"] = ["wizard"]
    with pytest.raises(DomainError) as exc:
        services.save_draft(admin_user, "inquiry", definition)
    assert exc.value.extra["problems"][0]["kind"] == "unknown_group"
    with pytest.raises(DomainError) as exc:
        services.save_draft(admin_user, "inquiry", {"steps": [{"code": "a"}]})
    assert exc.value.field == "definition.steps[0].name"
    with pytest.raises(DomainError) as exc:
        services.save_draft(staff["leader.xian"], "inquiry", INQUIRY)
    assert exc.value.code == ErrorCode.FORBIDDEN
