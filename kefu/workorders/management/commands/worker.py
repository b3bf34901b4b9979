"""`kefu worker`: the background worker (SLA timers, event delivery); stop with Ctrl-C or SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from kefu.workorders import worker


class Command(BaseCommand):
    help = _("Run the background worker: fire due work-order timers and deliver queued events.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("Run one pass and exit."))
        parser.add_argument("--interval", type=float, default=5.0, help=_("Seconds between passes (default 5)."))

    def handle(self, *args, once=False, interval=5.0, **options):
        if once:
            results = worker.run_once()
            self.stdout.write(" ".join(f"{name}={count}" for name, count in results.items()))
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(str(_("Worker running; Ctrl-C stops it.")))
        worker.run_forever(interval=interval, stop=stop)
