"""HTTP under `kefu serve`: Django's synchronous request handling in one call per request on the process's
long-lived threads (kefu.core.threads).

Every Kefu view and most middleware are synchronous. Django's own ASGI handler runs such a project by
hopping between the event loop and a thread several times per request (request_started, each boundary
between async-capable and sync-only middleware, the view, closing the response) and by starting a new
thread for every request: about 2 ms per API call here, a fifth of a work-order creation. This handler
runs the whole synchronous part — request_started, middleware, view, and request_finished — in one call
on a thread that keeps its database connection from one request to the next, as a threaded WSGI server
does; the event loop only reads the request body and writes the answer. WebSockets stay with Channels
(kefu.asgi). Code in a view that calls async_to_sync still runs on the server's loop.
"""

from __future__ import annotations

from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

from kefu.core import threads


class ThreadedHttpHandler(ASGIHandler):
    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await threads.run(self._respond, scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:  # closed after its content has been read
                    await threads.run(response.close)
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            # request_finished in the thread that used the database connection (which keeps it or drops it);
            # the content stays with the response
            response.close()
        return response
