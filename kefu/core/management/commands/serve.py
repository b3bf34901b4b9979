import multiprocessing

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Run the production server: the ASGI application (HTTP and WebSockets) under uvicorn, several workers."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        # One worker per core: each already overlaps its requests' database waits on a thread pool, and more
        # processes than cores only contend for them (docs/performance.md: 2 workers on 2 cores answered
        # 8-19 % more screen pops than 4, with half the p99).
        parser.add_argument("--workers", type=int, default=max(2, multiprocessing.cpu_count()))
        parser.add_argument("--threads", type=int, default=None, help="Threads per worker for synchronous views.")
        parser.add_argument("--log-level", default="info")

    def handle(self, *args, port, host, workers, threads, log_level, **options):
        import os

        import uvicorn

        # KEFU_PREPARED_STATEMENTS is set by `kefu` itself, before the settings load (kefu/__main__.py)
        if threads:
            os.environ["ASGI_THREADS"] = str(threads)  # each worker's synchronous threads (kefu.core.threads)

        if workers > 1 and not getattr(settings, "REDIS_URL", ""):
            # The in-memory channel layer and the embedded router live inside one process: a message for
            # a WebSocket held by another worker would never reach it. Redis makes several workers correct.
            self.stderr.write(
                _(
                    "REDIS_URL is not set: serving with one worker (the in-memory channel layer and the embedded "
                    "router need one process). Set REDIS_URL and run `kefu router` for several workers."
                )
            )
            workers = 1
        self.stdout.write(
            _("Kefu is serving on http://%(host)s:%(port)s/ with %(workers)d workers")
            % {"host": host, "port": port, "workers": workers}
        )
        self.stdout.flush()
        uvicorn.run(
            "kefu.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            lifespan="off",
            # httptools and uvloop (C) when installed, as they are with Kefu: a third less CPU per request than
            # uvicorn's pure-Python parser and asyncio's loop
            http="auto",
            loop="auto",
        )
