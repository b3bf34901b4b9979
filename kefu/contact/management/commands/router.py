"""`kefu router --centre CODE`: the router of one contact centre (Redis Streams); stop with Ctrl-C or SIGTERM."""

import asyncio
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.contact import transport
from kefu.contact.models import ContactCentre, RouterCheckpoint, RouterEvent, RouterOutbox, RouterState
from kefu.contact.router import KEEP_CHECKPOINTS
from kefu.contact.router import prune as prune_log


class Command(BaseCommand):
    help = gettext_lazy(
        "Run the router (ACD) of one contact centre: CTI events in and decisions out over Redis Streams."
    )

    def add_arguments(self, parser):
        parser.add_argument("--centre", required=True, help=gettext_lazy("The contact centre's code."))
        parser.add_argument("--redis", default=None, help=gettext_lazy("Redis URL (default: REDIS_URL)."))
        parser.add_argument(
            "--checkpoint-every", type=int, default=None, help=gettext_lazy("Events between checkpoints.")
        )
        parser.add_argument("--batch", type=int, default=200, help=gettext_lazy("Events read at a time."))
        parser.add_argument(
            "--keep-checkpoints",
            type=int,
            default=KEEP_CHECKPOINTS,
            help=gettext_lazy("Checkpoints kept; the events before the oldest kept one are deleted after each."),
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help=gettext_lazy("Delete old checkpoints and the events before the oldest kept one now, and exit."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=gettext_lazy("Delete the centre's event log, checkpoints and streams, and exit (queues are lost)."),
        )

    def handle(self, *args, centre, redis, checkpoint_every, batch, reset, keep_checkpoints, prune, **options):
        redis_url = redis or getattr(settings, "REDIS_URL", "")
        centre_obj = ContactCentre.objects.filter(code=centre).first()
        if centre_obj is None:
            raise CommandError(_("No contact centre with the code %(code)s.") % {"code": centre})
        if keep_checkpoints < 1:
            raise CommandError(_("Keep at least one checkpoint."))
        if reset:
            self._reset(centre, redis_url)
            return
        if prune:
            checkpoints, events = prune_log(centre_obj.pk, keep_checkpoints)
            self.stdout.write(
                _("Router log of %(centre)s pruned: %(checkpoints)s checkpoints and %(events)s events deleted.")
                % {"centre": centre, "checkpoints": checkpoints, "events": events}
            )
            return
        if not redis_url:
            raise CommandError(
                _("Set REDIS_URL (or --redis): without Redis the router runs embedded in the web process.")
            )
        logging.getLogger("kefu").setLevel(logging.INFO)
        from kefu.contact.service import serve

        self.stdout.write(_("Router of %(centre)s running; Ctrl-C stops it.") % {"centre": centre})
        self.stdout.flush()
        asyncio.run(
            serve(centre, redis_url, batch=batch, checkpoint_every=checkpoint_every, keep_checkpoints=keep_checkpoints)
        )

    def _reset(self, centre: str, redis_url: str) -> None:
        with transaction.atomic():
            RouterEvent.objects.filter(centre__code=centre).delete()
            RouterOutbox.objects.filter(centre__code=centre).delete()
            RouterCheckpoint.objects.filter(centre__code=centre).delete()
            RouterState.objects.filter(centre__code=centre).delete()
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url)
            client.delete(
                transport.STREAM_IN.format(centre=centre),
                transport.STREAM_OUT.format(centre=centre),
                transport.SNAPSHOT_KEY.format(centre=centre),
            )
        self.stdout.write(_("The router log of %(centre)s is deleted.") % {"centre": centre})
