"""WebSocket routes (kefu.asgi): the desktop and the wallboard use the page session and must come from
an allowed host; the CTI socket of switch adapters authenticates with a bearer token instead."""

from importlib import import_module

from channels.security.websocket import AllowedHostsOriginValidator
from channels.sessions import CookieMiddleware
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from django.urls import path

from kefu.contact import consumers
from kefu.core.threads import database_call


class SessionUserMiddleware:
    """`scope["user"]`: the user of the page's session cookie (anonymous without one), as Channels'
    AuthMiddlewareStack gives it, but read on the server's database threads (kefu.core.threads)."""

    def __init__(self, inner):
        self.inner = inner
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore

    async def __call__(self, scope, receive, send):
        key = scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME)
        user = await database_call(self._session_user, key)
        return await self.inner(dict(scope, user=user), receive, send)

    def _session_user(self, session_key: str | None):
        request = HttpRequest()
        request.session = self.session_store(session_key)
        return auth.get_user(request)


def _session(app):
    return AllowedHostsOriginValidator(CookieMiddleware(SessionUserMiddleware(app)))


websocket_urlpatterns = [
    path("ws/desktop/", _session(consumers.DesktopConsumer.as_asgi())),
    path("ws/wallboard/<slug:centre>/", _session(consumers.WallboardConsumer.as_asgi())),
    path("ws/cti/<slug:centre>/", consumers.CtiConsumer.as_asgi()),
]
