from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.keyaccounts import services
from kefu.keyaccounts.management.commands._common import acting_user, month_arg


class Command(BaseCommand):
    help = "Grade every subscriber for a month with the published key-account rules (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
        parser.add_argument("--user", help="act as this staff member (default: the system)")
        parser.add_argument("--load", action="store_true", help="load the month from the database first")

    def handle(self, *args, month, user, load, **options):
        actor = acting_user(user)
        try:
            if load:
                services.load_warehouse(actor, [services.engine.month_start(month, back) for back in range(12)])
            run = services.grade_month(actor, month)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{month:%Y-%m}: {run.subscribers} subscribers graded with rules v{run.rule_version.number}; "
            f"{run.tier_changes} tier changes, {run.credit_changes} credit changes, {run.potential} potential VIPs"
        )
