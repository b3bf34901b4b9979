"""WebSockets (Django Channels): the agent desktop, the wallboard, and the CTI interface for adapters.

- `/ws/desktop/` (page session): the agent's own messages. An assigned call arrives with the
  customer 360 already rendered (`html`), so the screen pops without another request.
- `/ws/wallboard/<centre>/` (page session, `contact.view_wallboard`): a snapshot on connect, then
  snapshots (at most one a second) and agent state changes as they happen.
- `/ws/cti/<centre>/` (bearer token of a `contact.drive_cti` account, in the `Authorization`
  header or `?token=`): send events as JSON objects, get `{"type": "result", ...}` or
  `{"type": "error", ...}` for each, and every message of the centre as it is published.

Messages reach a consumer through the channel layer (kefu.contact.transport.channel_sends): the
in-memory layer in the one process of the embedded mode, Redis across every worker process otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import os
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from kefu.contact import transport
from kefu.core.errors import DomainError
from kefu.core.threads import database_call

log = logging.getLogger("kefu.contact.ws")


def _attach_loop() -> None:
    if transport.mode() == "embedded":
        transport.hub.attach_loop(asyncio.get_running_loop())


class _Consumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)


class DesktopConsumer(_Consumer):
    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        agent = await database_call(_desktop_agent, user)
        if agent is None:
            await self.close(code=4403)
            return
        self.user = user
        self.agent = agent
        self.language = self.scope.get("cookies", {}).get("django_language") or None
        _attach_loop()
        await self.accept()
        await self.join(transport.agent_group(agent["centre"], agent["code"]))
        from kefu.contact.services import desk_resume

        state, missed = await database_call(desk_resume, agent["centre"], agent["code"])
        await self.send_json({"type": "hello", "agent": agent["code"], "state": state, "server": os.getpid()})
        # a page reloaded in the middle of a call or a consult shows them again, pop included
        for message in missed:
            await self.cti_message({"message": message})

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def cti_message(self, event):
        message = dict(event["message"])
        if message["type"] == "call.assigned" and message.get("agent") == self.agent["code"]:
            message["html"] = await database_call(_render_pop, self.user, message, self.language)
        elif message["type"] == "call.consult_offered" and message.get("consultant") == self.agent["code"]:
            # the consulted agent sees the customer too, before taking the call over
            message["html"] = await database_call(_render_pop, self.user, message, self.language)
        elif message["type"] == "event.refused":
            with translation.override(self.language):
                from kefu.contact.events import refusal_message

                message["message"] = refusal_message(message["code"], message.get("reason", ""))
        await self.send_json(message)


class WallboardConsumer(_Consumer):
    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        centre = self.scope["url_route"]["kwargs"]["centre"]
        if user is None or not user.is_authenticated or not await database_call(_may_watch, user, centre):
            await self.close(code=4403)
            return
        self.centre = centre
        _attach_loop()
        await self.accept()
        await self.join(transport.wallboard_group(centre))
        try:
            snapshot = await database_call(transport.snapshot, centre)
        except DomainError:
            snapshot = None
        if snapshot is not None:
            await self.send_json(snapshot)

    async def cti_message(self, event):
        await self.send_json(event["message"])

    async def cti_snapshot(self, event):
        await self.send_json(event["snapshot"])


class CtiConsumer(_Consumer):
    """The CTI interface over a WebSocket, for switch adapters."""

    async def connect(self):
        self.groups_joined = []
        user = await database_call(_token_user, self.scope)
        code = self.scope["url_route"]["kwargs"]["centre"]
        centre = await database_call(_cti_centre, user, code) if user is not None else None
        if centre is None:
            await self.close(code=4403)
            return
        self.user = user
        self.centre = centre
        _attach_loop()
        await self.accept()
        await self.join(transport.cti_group(centre.code))

    async def receive_json(self, content, **kwargs):
        from kefu.contact import services

        ref = content.get("ref") if isinstance(content, dict) else None
        try:
            result = await database_call(services.submit_one, self.user, self.centre, content)
        except DomainError as exc:
            await self.send_json({"type": "error", "ref": ref, **exc.as_problem()})
            return
        await self.send_json({"type": "result", **result})

    async def cti_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})


# ---------------------------------------------------------------------------------------- database side


def _desktop_agent(user) -> dict | None:
    from kefu.contact.models import Agent

    if not user.has_perm("contact.use_desktop"):
        return None
    agent = Agent.objects.select_related("centre").filter(user=user, active=True).first()
    return {"code": agent.code, "centre": agent.centre.code} if agent else None


def _render_pop(user, message: dict, language: str | None) -> str:
    from kefu.contact.views import render_pop

    with translation.override(language or translation.get_language()):
        return render_pop(user, message.get("subscriber"), message.get("contact"), message)


def _may_watch(user, centre: str) -> bool:
    from kefu.contact.models import ContactCentre

    return user.has_perm("contact.view_wallboard") and ContactCentre.objects.restrict(user).filter(code=centre).exists()


def _token_user(scope):
    from kefu.core.services import user_for_token

    token = None
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value.lower().startswith(b"bearer "):
            token = value[7:].decode("latin-1").strip()
    if token is None:
        token = (parse_qs(scope.get("query_string", b"").decode()).get("token") or [None])[0]
    if not token:
        return None
    user = user_for_token(token)
    return user if user is not None and user.has_perm("contact.drive_cti") else None


def _cti_centre(user, code: str):
    from kefu.contact.models import ContactCentre

    return ContactCentre.objects.restrict(user).filter(code=code).first()
