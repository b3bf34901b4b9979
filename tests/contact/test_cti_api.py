"""The CTI interface over HTTP (embedded router) and the desktop's own calls."""

from __future__ import annotations

import pytest

from kefu.contact.models import Contact, RouterEvent
from kefu.core.models import AuditEvent


def _login_ready(cti, *codes):
    for code in codes:
        assert cti.send({"type": "agent.login", "agent": code}).status_code == 200
        assert cti.send({"type": "agent.state", "agent": code, "state": "ready"}).status_code == 200


def _talking_on_c1(desk, cti):
    """a002's desk gets ready and answers call c1."""
    desk("state", {"action": "login"})
    desk("state", {"action": "ready"})
    cti.send({"type": "call.offered", "call": "c1", "group": "general"})
    desk("calls/c1", {"action": "answer"})


def test_an_offered_call_from_a_known_number_is_recognised_and_assigned(cti, agents, make_subscriber):
    subscriber = make_subscriber(vip_tier="silver")
    _login_ready(cti, "a002")
    response = cti.send(
        {"type": "call.offered", "call": "1700000000.1", "group": "general", "caller": subscriber.msisdn, "ref": "x1"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] is True and body["ref"] == "x1"
    assigned = next(m for m in body["messages"] if m["type"] == "call.assigned")
    assert assigned["agent"] == "a002" and assigned["subscriber"] == subscriber.pk and assigned["tier"] == "silver"
    assert assigned["ref"] == "x1" and assigned["centre"] == "xa10086"
    contact = Contact.objects.get(call_id="1700000000.1")
    assert contact.subscriber == subscriber and contact.caller == subscriber.msisdn


def test_a_vip_caller_goes_first_to_a_ready_customer_manager(cti, agents, make_agent, make_subscriber):
    manager = make_agent("m001", {"billing": 1}, role="manager")
    subscriber = make_subscriber(vip_tier="diamond", customer_manager=manager.user)
    _login_ready(cti, "a002", "m001")
    body = cti.send({"type": "call.offered", "call": "c1", "group": "general", "caller": subscriber.msisdn}).json()
    assigned = next(m for m in body["messages"] if m["type"] == "call.assigned")
    assert (assigned["agent"], assigned["via"]) == ("m001", "manager")


def test_an_unknown_number_is_an_ordinary_call(cti, agents):
    _login_ready(cti, "a002")
    body = cti.send({"type": "call.offered", "call": "c1", "group": "general", "caller": "13999999999"}).json()
    assigned = next(m for m in body["messages"] if m["type"] == "call.assigned")
    assert assigned["subscriber"] is None and assigned["tier"] == "ordinary"


@pytest.mark.parametrize(
    ("event", "field", "status"),
    [
        ({"type": "call.dialled", "call": "c1"}, "type", 422),
        ({"type": "call.offered", "group": "general"}, "call", 422),
        ({"type": "call.offered", "call": "c 1", "group": "general"}, "call", 422),
        ({"type": "call.offered", "call": "c1", "group": "general", "colour": "red"}, "colour", 422),
        ({"type": "agent.state", "agent": "a001", "state": "asleep"}, "state", 422),
        ({"type": "agent.state", "agent": "a001", "state": "not_ready"}, "reason", 422),
        ({"type": "call.transferred", "call": "c1"}, "to_group", 422),
    ],
)
def test_malformed_events_are_refused_naming_the_field(cti, agents, event, field, status):
    written = RouterEvent.objects.count()
    response = cti.send(event)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert RouterEvent.objects.count() == written


def test_events_the_router_refuses_come_back_with_the_reason(cti, agents, client):
    _login_ready(cti, "a002")
    cti.send({"type": "call.offered", "call": "c1", "group": "general"})
    cti.send({"type": "call.answered", "call": "c1"})
    written = RouterEvent.objects.count()

    response = cti.send({"type": "call.answered", "call": "c404"})
    assert response.status_code == 404
    assert response.json() | {"detail": None} == {
        "code": "not_found",
        "detail": None,
        "field": "call",
        "refused": "unknown_call",
        "reason": "no such call",
    }
    response = cti.send({"type": "agent.state", "agent": "a002", "state": "logged_out"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["refused"] == "illegal_transition" and problem["field"] == "state"
    assert "on a call" in problem["reason"]
    response = cti.send({"type": "agent.login", "agent": "nobody"})
    assert response.status_code == 404 and response.json()["field"] == "agent"
    response = cti.send({"type": "call.offered", "call": "c2", "group": "nogroup"})
    assert response.status_code == 404 and response.json()["field"] == "group"
    assert RouterEvent.objects.count() == written  # nothing was logged for refused events
    # and the router goes on
    assert cti.send({"type": "call.ended", "call": "c1"}).status_code == 200


def test_a_refusal_reads_in_the_callers_language(cti, agents, client, switch_user):
    _login_ready(cti, "a002")
    cti.send({"type": "call.offered", "call": "c1", "group": "general"})
    response = client.post(
        "/api/v1/cti/xa10086/events",
        {"type": "agent.logout", "agent": "a002"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {cti.token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "A call is ringing at the agent: answer it first."


def test_only_switch_accounts_send_events_and_only_in_their_scope(api, agents, centre, make_staff):
    api.login(agents["a001"].user)
    assert api.post(f"/api/v1/cti/{centre.code}/events", {"type": "agent.login", "agent": "a001"}).status_code == 403
    baoji_switch = make_staff("switch.baoji", "switch", "baoji", "city")
    api.login(baoji_switch)
    response = api.post(f"/api/v1/cti/{centre.code}/events", {"type": "agent.login", "agent": "a001"})
    assert response.status_code == 404  # another city's centre is simply not there


def test_the_snapshot_shows_queues_agents_and_today(cti, agents):
    _login_ready(cti, "a002")
    cti.send({"type": "agent.state", "agent": "a002", "state": "not_ready", "reason": "meeting"})
    cti.send({"type": "call.offered", "call": "c1", "group": "general"})
    snapshot = cti.get("snapshot").json()
    general = next(g for g in snapshot["groups"] if g["group"] == "general")
    assert general["waiting"] == 1 and general["agents"] == {"not_ready": 1}
    assert general["today"]["offered"] == 1 and general["today"]["waiting"] == 1
    agent = cti.get("agents/a002").json()
    assert agent["state"] == "not_ready" and agent["reason"] == "meeting"
    assert cti.get("agents/a404").status_code == 404


# ---------------------------------------------------------------------------------------- desktop


@pytest.fixture
def desk(client, agents):
    """The desktop's session of agent a002 (王芳)."""
    client.force_login(agents["a002"].user)

    def post(path, data):
        return client.post(f"/api/v1/contact/desktop/{path}", data, content_type="application/json")

    return post


def test_the_desktop_state_buttons(desk, cti):
    assert desk("state", {"action": "login"}).status_code == 200
    assert desk("state", {"action": "not_ready"}).json()["field"] == "reason"
    assert desk("state", {"action": "not_ready", "reason": "napping"}).status_code == 422
    response = desk("state", {"action": "not_ready", "reason": "meeting"})
    assert response.status_code == 200
    assert response.json()["messages"][-1] | {"seq": 0, "at": 0} == {
        "type": "agent.state",
        "agent": "a002",
        "state": "not_ready",
        "reason": "meeting",
        "call": None,
        "consult": None,
        "ref": None,
        "seq": 0,
        "at": 0,
        "centre": "xa10086",
    }
    assert desk("state", {"action": "break"}).status_code == 200
    assert desk("state", {"action": "ready"}).status_code == 200
    assert desk("state", {"action": "logout"}).status_code == 200


def test_the_desktop_answers_ends_and_wraps_up_its_own_call_only(desk, cti, agents):
    desk("state", {"action": "login"})
    desk("state", {"action": "ready"})
    cti.send({"type": "call.offered", "call": "c1", "group": "general"})
    assert desk("calls/c1", {"action": "answer"}).status_code == 200
    assert desk("state", {"action": "logout"}).status_code == 409  # on a call
    assert desk("calls/c1", {"action": "end"}).status_code == 200
    contact = Contact.objects.get(call_id="c1")
    response = desk(f"contacts/{contact.pk}/wrap-up", {"code": "nonsense"})
    assert response.status_code == 422 and response.json()["field"] == "code"
    response = desk(
        f"contacts/{contact.pk}/wrap-up", {"code": "bill_inquiry", "summary": "查账单", "outcome": "resolved"}
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.wrap_up, contact.summary, contact.outcome) == ("bill_inquiry", "查账单", "resolved")
    cti.send({"type": "call.offered", "call": "c2", "group": "general"})
    assert desk("calls/c2", {"action": "answer"}).status_code == 404  # nobody took it: a002 is in wrap-up


def test_a_team_leader_forces_an_agents_state_an_agent_cannot(client, cti, agents, make_staff):
    _login_ready(cti, "a002")
    client.force_login(agents["a001"].user)
    response = client.post(
        "/api/v1/contact/desktop/force", {"agent": "a002", "action": "logout"}, content_type="application/json"
    )
    assert response.status_code == 403
    client.force_login(make_staff("leader.xian", "leader", "xian"))
    response = client.post(
        "/api/v1/contact/desktop/force", {"agent": "a002", "action": "logout"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert cti.get("agents/a002").json()["state"] == "logged_out"


def test_a_team_leader_forces_any_legal_state_and_an_illegal_one_is_refused_with_the_reason(
    client, cti, agents, make_staff, caplog
):
    _login_ready(cti, "a002")
    client.force_login(make_staff("leader.xian", "leader", "xian"))

    def force(action, reason=""):
        return client.post(
            "/api/v1/contact/desktop/force",
            {"agent": "a002", "action": action, "reason": reason},
            content_type="application/json",
        )

    response = force("not_ready")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    assert force("not_ready", "coaching").status_code == 200
    state = cti.get("agents/a002").json()
    assert (state["state"], state["reason"]) == ("not_ready", "coaching")
    assert force("break").status_code == 200
    assert cti.get("agents/a002").json()["state"] == "break"
    assert force("ready").status_code == 200
    assert cti.get("agents/a002").json()["state"] == "ready"
    assert force("dance").status_code == 422
    audit = list(AuditEvent.objects.filter(action="force_state").order_by("pk").values_list("changes", flat=True))
    assert [a["state"] for a in audit] == [["ready", "not_ready"], ["not_ready", "break"], ["break", "ready"]]
    # on a call: logging out is refused with the reason, nothing changes, the attempt is logged
    cti.send({"type": "call.offered", "call": "c9", "group": "general"})
    cti.send({"type": "call.answered", "call": "c9"})
    with caplog.at_level("WARNING", logger="kefu.contact.cti"):
        response = force("logout")
    assert response.status_code == 409 and response.json()["field"] == "state"
    assert "call" in response.json()["detail"].lower() or "通话" in response.json()["detail"]
    assert cti.get("agents/a002").json()["state"] == "talking"
    assert AuditEvent.objects.filter(action="force_state").count() == 3
    assert any("may not force agent a002 to logout" in r.getMessage() for r in caplog.records)
    # a leader of another region cannot touch the agent
    client.force_login(make_staff("leader.baoji", "leader", "baoji"))
    assert force("ready").status_code == 404


def test_the_desktop_consults_and_the_consulted_agent_answers_then_the_call_moves(desk, client, cti, agents):
    _talking_on_c1(desk, cti)
    _login_ready(cti, "a003")
    response = desk("calls/c1", {"action": "consult"})
    assert response.status_code == 422 and response.json()["field"] == "to_group"
    response = desk("calls/c1", {"action": "consult", "to_group": "billing"})
    assert response.status_code == 200
    offer = next(m for m in response.json()["messages"] if m["type"] == "call.consult_offered")
    assert (offer["agent"], offer["consultant"]) == ("a002", "a003")
    assert desk("calls/c1", {"action": "consult_complete"}).status_code == 409  # not answered yet
    # the consulted agent's own desk answers the consult leg; it may not end the customer's call
    client.force_login(agents["a003"].user)
    consulted = lambda action: client.post(  # noqa: E731
        "/api/v1/contact/desktop/calls/c1", {"action": action}, content_type="application/json"
    )
    assert consulted("end").status_code == 404
    assert consulted("consult_complete").status_code == 404
    assert consulted("consult_answer").status_code == 200
    client.force_login(agents["a002"].user)
    assert desk("calls/c1", {"action": "conference"}).status_code == 200
    assert desk("calls/c1", {"action": "transfer", "to_group": "vip"}).status_code == 409
    assert desk("calls/c1", {"action": "consult_complete"}).status_code == 200
    assert cti.get("agents/a003").json()["call"] == "c1"
    assert cti.get("agents/a002").json()["state"] == "wrap_up"
    leg = Contact.objects.get(call_id="c1", leg=2)
    assert leg.agent == agents["a003"].user and leg.outcome == "answered"
    # an agent who is not part of the call cannot touch it
    client.force_login(agents["a001"].user)
    assert consulted("consult_cancel").status_code == 404


def test_a_consulted_agent_declines_and_the_call_stays(desk, client, cti, agents):
    _talking_on_c1(desk, cti)
    response = desk("calls/c1", {"action": "consult", "to_agent": "a003"})
    assert response.status_code == 404 and response.json()["field"] == "to_agent"  # a003 never logged in
    _login_ready(cti, "a003")
    assert desk("calls/c1", {"action": "consult", "to_agent": "a003"}).status_code == 200
    client.force_login(agents["a003"].user)
    response = client.post(
        "/api/v1/contact/desktop/calls/c1", {"action": "consult_cancel"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert cti.get("agents/a003").json()["state"] == "ready"
    assert cti.get("agents/a002").json()["call"] == "c1"
    assert RouterEvent.objects.filter(data__kind="consult_cancel").count() == 1


def test_a_desk_that_reconnects_mid_conference_gets_its_call_and_the_consult_back(desk, client, cti, agents):
    from kefu.contact.services import desk_resume

    _talking_on_c1(desk, cti)
    _login_ready(cti, "a003")
    desk("calls/c1", {"action": "consult", "to_agent": "a003"})
    centre = agents["a002"].centre.code
    _, missed = desk_resume(centre, "a003")
    assert [(m["type"], m["answered"]) for m in missed] == [("call.consult_offered", False)]  # still ringing
    cti.send({"type": "call.consult_answered", "call": "c1"})
    desk("calls/c1", {"action": "conference"})
    contact = Contact.objects.get(call_id="c1", leg=1)

    row, missed = desk_resume(centre, "a002")
    assert row["state"] == "talking"
    assert [m["type"] for m in missed] == ["call.assigned", "call.consult_offered", "call.conferenced"]
    assert missed[0]["contact"] == contact.pk and missed[0]["answered"] and missed[0]["resumed"]
    assert (missed[1]["agent"], missed[1]["consultant"], missed[1]["answered"]) == ("a002", "a003", True)
    _, missed = desk_resume(centre, "a003")
    assert [(m["type"], m["agent"], m["consultant"]) for m in missed] == [
        ("call.consult_offered", "a002", "a003"),
        ("call.conferenced", "a002", "a003"),
    ]
    assert desk_resume(centre, "a001")[1] == []  # not on a call: nothing to resume
