"""HTTP under `kefu serve`: Django's synchronous request handling in one thread-pool call per request.

Every Kefu view and most middleware are synchronous. Django's own ASGI handler runs such a project by
hopping between the event loop and a thread several times per request (request_started, each boundary
between async-capable and sync-only middleware, the view, closing the response) and by starting a new
thread for every request: about 2 ms per API call here, a fifth of a work-order creation. This handler
runs the whole synchronous part — request_started, middleware, view, and request_finished, which hands
the database connection back to the pool — in one call on a pool of long-lived threads, as a threaded
WSGI server does; the event loop only reads the request body and writes the answer. WebSockets stay
with Channels (kefu.asgi). Code in a view that calls async_to_sync still runs on the server's loop.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

DEFAULT_THREADS = 4


class ThreadedHttpHandler(ASGIHandler):
    def __init__(self, threads: int | None = None):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        threads = threads or int(os.environ.get("ASGI_THREADS") or DEFAULT_THREADS)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kefu-http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP only, not {scope['type']}")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._in_thread(self._respond, scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:  # closed after its content has been read
                    await self._in_thread(response.close)
        finally:
            body_file.close()

    def _in_thread(self, fn, *args):
        return sync_to_async(fn, thread_sensitive=False, executor=self._executor)(*args)

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
            # request_finished in the thread that used the database connection (it goes back to the pool);
            # the content stays with the response
            response.close()
        return response
