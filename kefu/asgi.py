"""The ASGI application (`kefu serve`): Django for HTTP, Channels for the WebSockets (kefu.contact.routing).

HTTP goes through kefu.core.http_handler (the synchronous Django stack, one thread-pool call per request)
rather than Django's ASGIHandler, which hops between the loop and threads several times per request."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup(set_prefix=False)  # before importing anything that touches the models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from kefu.contact.routing import websocket_urlpatterns  # noqa: E402
from kefu.core.http_handler import ThreadedHttpHandler  # noqa: E402

django_application = ThreadedHttpHandler()

application = ProtocolTypeRouter({"http": django_application, "websocket": URLRouter(websocket_urlpatterns)})
