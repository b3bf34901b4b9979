import multiprocessing

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Run the production HTTP server (gunicorn, several worker processes)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=max(2, multiprocessing.cpu_count() * 2))
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, port, host, workers, threads, **options):
        from gunicorn.app.wsgiapp import WSGIApplication

        self.stdout.write(_("Kefu is serving on http://%(host)s:%(port)s/") % {"host": host, "port": port})
        argv = [
            "gunicorn",
            "kefu.wsgi:application",
            f"--bind={host}:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--access-logfile=-",
            "--timeout=60",
        ]
        import sys

        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
