"""The ASGI application (`kefu serve`): Django for HTTP, Channels for the WebSockets (kefu.contact.routing)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()  # before importing anything that touches the models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from kefu.contact.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({"http": django_application, "websocket": URLRouter(websocket_urlpatterns)})
