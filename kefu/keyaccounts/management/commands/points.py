from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.keyaccounts import points
from kefu.keyaccounts.management.commands._common import acting_user, month_arg


class Command(BaseCommand):
    help = "Monthly points accrual and year-end expiry (both idempotent)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        accrue = sub.add_parser("accrue", help="accrue points from a month's bills")
        accrue.add_argument("--month", type=month_arg, required=True)
        accrue.add_argument("--user")
        expire = sub.add_parser("expire", help="expire points at the end of a year")
        expire.add_argument("--year", type=int, required=True)
        expire.add_argument("--user")

    def handle(self, *args, action, **options):
        actor = acting_user(options["user"])
        try:
            if action == "accrue":
                totals = points.accrue_month(actor, options["month"])
            else:
                totals = points.expire_year(actor, options["year"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(", ".join(f"{key} {value}" for key, value in totals.items()))
