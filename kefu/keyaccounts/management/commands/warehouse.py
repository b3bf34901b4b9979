from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.keyaccounts import services
from kefu.keyaccounts.management.commands._common import acting_user, month_arg


class Command(BaseCommand):
    help = "Load the warehouse: from the operational database, or a BOSS interface file (docs/warehouse.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        db = sub.add_parser("load", help="copy bills, usage and subscribers from the database")
        db.add_argument("--month", type=month_arg, action="append", dest="months", help="YYYY-MM (repeatable)")
        db.add_argument("--user")
        boss = sub.add_parser("boss", help="load one BOSS CSV file")
        boss.add_argument("kind", choices=["bills", "usage"])
        boss.add_argument("path", type=Path)
        boss.add_argument("--month", type=month_arg, help="YYYY-MM (default: the month in the rows)")
        boss.add_argument("--user")
        sub.add_parser("status", help="months held and recent loads")

    def handle(self, *args, action, **options):
        from kefu.warehouse import get_warehouse

        try:
            if action == "load":
                loaded = services.load_warehouse(acting_user(options["user"]), options["months"])
                for kind in ("bills", "usage"):
                    for month, rows in loaded[kind].items():
                        self.stdout.write(f"{kind} {month}: {rows} rows")
                self.stdout.write(f"subscribers: {loaded['subscribers']} rows")
            elif action == "boss":
                data = options["path"].read_bytes()
                loaded = services.load_boss_file(
                    acting_user(options["user"]), options["kind"], data, options["month"], name=options["path"].name
                )
                self.stdout.write(f"{loaded['kind']} {loaded['month']}: {loaded['rows']} rows")
            else:
                warehouse = get_warehouse()
                self.stdout.write(f"warehouse: {warehouse.root}")
                for kind in ("bills", "usage"):
                    self.stdout.write(f"{kind}: {', '.join(m.strftime('%Y-%m') for m in warehouse.months(kind))}")
        except DomainError as exc:
            for error in exc.extra.get("errors", [])[:50]:
                self.stderr.write(f"line {error['line']}: {error.get('field') or ''} {error['reason']}")
            raise CommandError(exc.message) from None
