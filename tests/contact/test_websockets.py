"""The WebSockets in process (Channels' communicator, the in-memory layer, the embedded router):
the desktop's screen pop, the wallboard, the CTI socket for adapters."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote, urlparse

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from kefu.asgi import application
from kefu.contact import services
from kefu.core.services import issue_token

pytestmark = pytest.mark.django_db(transaction=True)


class WebsocketCommunicator(ApplicationCommunicator):
    """A WebSocket client speaking ASGI to the application in this process (channels.testing needs daphne)."""

    def __init__(self, app, path: str, headers=None):
        parsed = urlparse(path)
        scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(app, scope)

    async def connect(self, timeout: float = 5):
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, response.get("subprotocol")

    async def send_json_to(self, data) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 5):
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def _session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"cookie", cookie.encode()), (b"origin", b"http://testserver")]


async def _receive_until(ws: WebsocketCommunicator, kind: str, timeout: float = 5.0) -> dict:
    while True:
        message = await ws.receive_json_from(timeout=timeout)
        if message.get("type") == kind:
            return message


def test_the_offered_call_pops_the_customer_on_the_agents_desktop(centre, agents, switch_user, make_subscriber):
    subscriber = make_subscriber(name="陈静", vip_tier="gold", bills=2)
    send = database_sync_to_async(services.submit_one)
    headers = _session_headers(agents["a002"].user)

    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/desktop/", headers=headers)
        connected, _ = await ws.connect()
        assert connected
        hello = await ws.receive_json_from()
        assert hello["type"] == "hello" and hello["agent"] == "a002"
        await send(switch_user, centre, {"type": "agent.login", "agent": "a002"})
        await send(switch_user, centre, {"type": "agent.state", "agent": "a002", "state": "ready"})
        assert (await _receive_until(ws, "agent.state"))["state"] == "logged_in"
        assert (await _receive_until(ws, "agent.state"))["state"] == "ready"
        await send(
            switch_user, centre, {"type": "call.offered", "call": "c1", "group": "general", "caller": subscriber.msisdn}
        )
        pop = await _receive_until(ws, "call.assigned")
        await ws.disconnect()
        return pop

    pop = asyncio.run(scenario())
    assert pop["call"] == "c1" and pop["subscriber"] == subscriber.pk
    assert "陈静" in pop["html"] and "138****" in pop["html"]  # the 360, masked for an agent
    assert 'name="customer_id"' in pop["html"]  # with the create-work-order form


def test_a_desktop_needs_a_logged_in_agent(agents, make_staff):
    async def scenario(headers):
        ws = WebsocketCommunicator(application, "/ws/desktop/", headers=headers)
        connected, code = await ws.connect()
        await ws.disconnect()
        return connected, code

    assert asyncio.run(scenario([(b"origin", b"http://testserver")])) == (False, 4401)
    analyst = make_staff("analyst.x", "analyst", "xian")
    assert asyncio.run(scenario(_session_headers(analyst)))[0] is False
    # a page of another site may not open the agent's socket with the agent's cookie
    foreign = [h for h in _session_headers(agents["a001"].user) if h[0] != b"origin"] + [
        (b"origin", b"http://evil.example")
    ]
    assert asyncio.run(scenario(foreign))[0] is False


def test_the_wallboard_gets_a_snapshot_and_agent_states(centre, agents, switch_user, make_staff):
    leader = make_staff("leader.x", "leader", "xian")
    send = database_sync_to_async(services.submit_one)
    headers = _session_headers(leader)

    async def scenario():
        ws = WebsocketCommunicator(application, f"/ws/wallboard/{centre.code}/", headers=headers)
        connected, _ = await ws.connect()
        assert connected
        snapshot = await ws.receive_json_from()
        await send(switch_user, centre, {"type": "agent.login", "agent": "a003"})
        change = await _receive_until(ws, "agent.state")
        await ws.disconnect()
        return snapshot, change

    snapshot, change = asyncio.run(scenario())
    assert snapshot["type"] == "snapshot" and {g["group"] for g in snapshot["groups"]} == {"general", "vip", "billing"}
    assert change["agent"] == "a003" and change["state"] == "logged_in"


def test_an_adapter_drives_the_router_over_the_cti_socket(centre, agents, switch_user):
    token = issue_token(switch_user)

    async def scenario():
        ws = WebsocketCommunicator(application, f"/ws/cti/{centre.code}/?token={token}")
        connected, _ = await ws.connect()
        assert connected
        await ws.send_json_to({"type": "agent.login", "agent": "a001", "ref": "r1"})
        result = await _receive_until(ws, "result")
        await ws.send_json_to({"type": "call.answered", "call": "nope", "ref": "r2"})
        error = await _receive_until(ws, "error")
        await ws.send_json_to({"type": "agent.state", "agent": "a001", "state": "ready", "ref": "r3"})
        while (pushed := await _receive_until(ws, "message"))["message"]["type"] != "agent.state":
            pass
        await ws.disconnect()
        bad = WebsocketCommunicator(application, f"/ws/cti/{centre.code}/?token=wrong")
        refused = await bad.connect()
        return result, error, pushed, refused

    result, error, pushed, refused = asyncio.run(scenario())
    assert result["accepted"] is True and result["ref"] == "r1"
    assert error["ref"] == "r2" and error["refused"] == "unknown_call" and error["field"] == "call"
    assert pushed["message"]["type"] == "agent.state"
    assert refused[0] is False
