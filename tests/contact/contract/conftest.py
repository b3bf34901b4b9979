"""Drivers of the CTI contract: the same tests against the HTTP API and the WebSocket of this Kefu (in
process), or against a running Kefu an adapter is connected to:

    KEFU_CONTRACT_URL=http://127.0.0.1:8000 KEFU_CONTRACT_TOKEN=<token of a switch account> \\
    KEFU_CONTRACT_CENTRE=xa10086 KEFU_CONTRACT_GROUPS=general,billing KEFU_CONTRACT_AGENTS=a001,a002 \\
    pytest tests/contact/contract

(the agents must be logged out and have a skill in the first group, the second group must have no
agent of theirs). Each test uses fresh call ids, so the suite can run again against the same centre.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

import pytest

REMOTE = os.environ.get("KEFU_CONTRACT_URL")


@dataclass
class Result:
    status: str  # accepted | refused | invalid
    messages: list = field(default_factory=list)
    problem: dict = field(default_factory=dict)

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == kind]


def _from_problem(problem: dict) -> Result:
    return Result("refused" if problem.get("refused") else "invalid", problem=problem)


class HttpDriver:
    def __init__(self, post):
        self.post = post  # (path, body) -> (status, json)

    def send(self, event: dict) -> Result:
        status, body = self.post(event)
        if status in (200, 202):
            return Result("accepted", body.get("messages", []))
        return _from_problem(body)


class WsDriver:
    def __init__(self, communicator, loop):
        self.ws, self.loop = communicator, loop

    def send(self, event: dict) -> Result:
        async def exchange():
            await self.ws.send_json_to(event)
            while True:
                reply = await self.ws.receive_json_from(timeout=5)
                if reply["type"] in ("result", "error"):
                    return reply

        reply = self.loop.run_until_complete(exchange())
        if reply["type"] == "result":
            return Result("accepted", reply["messages"])
        return _from_problem(reply)


@dataclass
class Setup:
    driver: object
    group: str  # agents below have a skill in it
    empty_group: str  # no agent of the suite has a skill in it
    agents: list[str]

    def send(self, event: dict) -> Result:
        return self.driver.send(event)

    def call(self) -> str:
        return f"contract-{uuid.uuid4().hex[:12]}"

    def login_ready(self, *agents: str) -> None:
        for agent in agents:
            assert self.send({"type": "agent.login", "agent": agent}).status == "accepted"
            assert self.send({"type": "agent.state", "agent": agent, "state": "ready"}).status == "accepted"

    def logout(self, *agents: str) -> None:
        for agent in agents:
            self.send({"type": "agent.logout", "agent": agent})


def _remote() -> Setup:
    base, token, centre = REMOTE.rstrip("/"), os.environ["KEFU_CONTRACT_TOKEN"], os.environ["KEFU_CONTRACT_CENTRE"]

    def post(event):
        request = urllib.request.Request(
            f"{base}/api/v1/cti/{centre}/events",
            json.dumps(event).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    groups = os.environ.get("KEFU_CONTRACT_GROUPS", "general,billing").split(",")
    return Setup(HttpDriver(post), groups[0], groups[1], os.environ["KEFU_CONTRACT_AGENTS"].split(","))


@pytest.fixture(params=["http", "websocket"])
def cc(request):
    """The interface under contract, with two agents (a001, a002) skilled in `general` and none in `billing`."""
    if REMOTE:
        if request.param != "http":
            pytest.skip("a running Kefu is driven over HTTP")
        setup = _remote()
        yield setup
        setup.logout(*setup.agents)
        return
    request.getfixturevalue("agents")
    centre = request.getfixturevalue("centre")
    switch = request.getfixturevalue("switch_user")
    from kefu.contact.models import AgentSkill

    AgentSkill.objects.filter(agent__code="a003").delete()  # a003 (billing) stays out of the suite
    AgentSkill.objects.filter(group__code="billing").delete()
    if request.param == "http":
        client = request.getfixturevalue("client")
        from kefu.core.services import issue_token

        token = issue_token(switch)

        def post(event):
            response = client.post(
                f"/api/v1/cti/{centre.code}/events",
                event,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            return response.status_code, response.json()

        yield Setup(HttpDriver(post), "general", "billing", ["a001", "a002"])
        return
    from kefu.asgi import application
    from kefu.core.services import issue_token
    from tests.contact.test_websockets import WebsocketCommunicator

    token = issue_token(switch)
    loop = asyncio.new_event_loop()
    ws = WebsocketCommunicator(application, f"/ws/cti/{centre.code}/?token={token}")
    connected, _ = loop.run_until_complete(ws.connect())
    assert connected
    try:
        yield Setup(WsDriver(ws, loop), "general", "billing", ["a001", "a002"])
    finally:
        loop.run_until_complete(ws.disconnect())
        loop.close()
