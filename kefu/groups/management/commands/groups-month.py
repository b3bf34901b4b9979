"""`kefu groups-month --month YYYY-MM`: recompute a month of the groups (members, spend, rank, key groups)."""

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.groups import monthly


class Command(BaseCommand):
    help = "Recompute a month for every group customer: members, spend, rank and the key-group flag (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, month, **options):
        try:
            result = monthly.recompute(monthly.parse_month(month))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{result.month:%Y-%m}: {result.groups} groups, {result.qualifying} qualifying, "
            f"{result.key_groups} key groups, {result.flag_changes} flags changed"
            + ("" if result.current else " (an earlier month: the groups' flags follow the newest month)")
        )
