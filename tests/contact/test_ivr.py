"""The IVR: menus as configuration, self-service from the customer data, transfer into the router,
the post-call survey stored with the call; driven by DTMF digits over the API."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from kefu.contact.models import Contact, IvrMenu, IvrNode, SkillGroup
from kefu.core.models import AccessLog


@pytest.fixture
def menu(centre):
    menu = IvrMenu.objects.create(centre=centre, code="main", name="10086", greeting="欢迎致电中国移动。", entry=True)
    queries = IvrNode.objects.create(menu=menu, digit="1", label="查询", kind="menu", prompt="自助查询。")
    IvrNode.objects.create(menu=menu, parent=queries, digit="1", label="余额", kind="self_service", service="balance")
    IvrNode.objects.create(menu=menu, parent=queries, digit="2", label="账单", kind="self_service", service="last_bill")
    IvrNode.objects.create(menu=menu, parent=queries, digit="3", label="积分", kind="self_service", service="points")
    IvrNode.objects.create(menu=menu, parent=queries, digit="4", label="状态", kind="self_service", service="status")
    IvrNode.objects.create(menu=menu, parent=queries, digit="*", label="返回", kind="back")
    IvrNode.objects.create(
        menu=menu, digit="0", label="人工服务", kind="transfer", group=SkillGroup.objects.get(code="general")
    )
    IvrNode.objects.create(menu=menu, digit="9", label="再见", kind="hang_up")
    return menu


@pytest.fixture
def ivr(api, switch_user, menu):
    api.login(switch_user)

    class Ivr:
        def start(self, call, caller=""):
            return api.post("/api/v1/ivr/sessions", {"centre": "xa10086", "call": call, "caller": caller})

        def press(self, session, digits):
            return api.post(f"/api/v1/ivr/sessions/{session}/digits", {"digits": digits})

        def survey(self, session, score):
            return api.post(f"/api/v1/ivr/sessions/{session}/survey", {"score": score})

    return Ivr()


def test_self_service_answers_from_the_callers_data(ivr, make_subscriber, switch_user):
    subscriber = make_subscriber(bills=3, points_balance=1234)  # the latest bill (2026-10) is unpaid: 160.00
    reply = ivr.start("c1", subscriber.msisdn).json()
    assert reply["action"] == "menu" and reply["prompt"].startswith("欢迎致电中国移动。")
    assert [o["digit"] for o in reply["options"]] == ["0", "1", "9"]
    session = reply["session"]
    reply = ivr.press(session, "11").json()
    assert reply["action"] == "say" and "160.00" in reply["answer"]
    assert "2026-10" in ivr.press(session, "2").json()["answer"]
    assert "1234" in ivr.press(session, "3").json()["answer"]
    assert ivr.press(session, "4").json()["answer"]
    assert ivr.press(session, "7").json()["prompt"]  # not a choice: the menu again
    back = ivr.press(session, "*").json()
    assert [o["digit"] for o in back["options"]] == ["0", "1", "9"]
    assert AccessLog.objects.filter(user=switch_user, channel="ivr", object_id=str(subscriber.pk)).count() == 4


def test_an_unknown_caller_gets_no_customer_data(ivr):
    session = ivr.start("c2", "13999999999").json()["session"]
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("Your number is not recognised; please hold for an agent or call from your mobile.")
    assert ivr.press(session, "11").json()["answer"] == expected


def test_transfer_to_a_group_offers_the_call_to_the_router_and_the_survey_is_stored(ivr, cti, agents, make_subscriber):
    subscriber = make_subscriber()
    cti.send({"type": "agent.login", "agent": "a002"})
    cti.send({"type": "agent.state", "agent": "a002", "state": "ready"})
    session = ivr.start("c3", subscriber.msisdn).json()["session"]
    reply = ivr.press(session, "0").json()
    assert reply["action"] == "transfer" and reply["group"] == "general"
    assert [m["agent"] for m in reply["messages"] if m["type"] == "call.assigned"] == ["a002"]
    contact = Contact.objects.get(call_id="c3")
    assert contact.subscriber == subscriber and contact.details["ivr"] == ["0"]
    assert ivr.press(session, "1").status_code == 409  # the caller left the menu
    cti.send({"type": "call.answered", "call": "c3"})
    cti.send({"type": "call.ended", "call": "c3"})
    assert ivr.survey(session, 6).json()["field"] == "score"
    assert ivr.survey(session, 5).json()["satisfaction"] == 5
    contact.refresh_from_db()
    assert contact.satisfaction == 5


def test_bad_ivr_input(ivr, api):
    assert ivr.start("c4").status_code == 200
    session = ivr.start("c5").json()["session"]
    assert ivr.press(session, "1a").json()["field"] == "digits"
    assert ivr.press("not-a-session", "1").status_code == 404
    assert api.post("/api/v1/ivr/sessions", {"centre": "xa10086", "call": "c6", "menu": "nope"}).status_code == 404
    assert ivr.press(session, "9").json()["action"] == "hang_up"
    assert ivr.press(session, "1").status_code == 409
