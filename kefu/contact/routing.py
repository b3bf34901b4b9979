"""WebSocket routes (kefu.asgi): the desktop and the wallboard use the page session and must come from
an allowed host; the CTI socket of switch adapters authenticates with a bearer token instead."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from kefu.contact import consumers


def _session(app):
    return AllowedHostsOriginValidator(AuthMiddlewareStack(app))


websocket_urlpatterns = [
    path("ws/desktop/", _session(consumers.DesktopConsumer.as_asgi())),
    path("ws/wallboard/<slug:centre>/", _session(consumers.WallboardConsumer.as_asgi())),
    path("ws/cti/<slug:centre>/", consumers.CtiConsumer.as_asgi()),
]
