"""`kefu demo`: migrate, seed the Shaanxi demo province and its staff, generate the customers."""

import datetime as dt
import sys
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kefu.demo.loader import load_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(logins: list[tuple[str, str, str]]) -> str:
    header = (_("Username"), _("Role"), _("Region"))
    lines = [header, *logins]
    widths = [max(_width(str(row[i])) for row in lines) for i in range(3)]
    rendered = ["  ".join(_pad(str(cell), w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in lines]
    rendered.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


class Command(BaseCommand):
    help = _(
        "Create the demo province: migrate the database, seed regions, price plans and staff logins, and "
        "generate the customers with a year of bills (replacing any generated before)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subscribers", type=_positive, default=20000, help=_("number of subscribers"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed: the same seed gives the same data"))
        parser.add_argument("--password", default="kefu2026", help=_("password of every demo login"))
        parser.add_argument(
            "--as-of", type=_date, default=None, help=_("date the data describes (YYYY-MM-DD, default today)")
        )
        parser.add_argument(
            "--skip-keyaccounts",
            action="store_true",
            help=_("load the customers only: no warehouse load, grading or points accrual (for large provinces)"),
        )

    def handle(self, *args, subscribers, seed, password, as_of, verbosity, skip_keyaccounts, **options):
        if not password:
            raise CommandError(_("The password must not be empty."))
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        if verbosity:
            self.stdout.write(
                _("Generating %(count)s subscribers (seed %(seed)s)…") % {"count": f"{subscribers:,}", "seed": seed}
            )
        logins, report = load_demo(
            subscribers, seed, password, as_of, stream=sys.stderr if verbosity else None, verbose=verbosity > 1
        )
        # Key accounts: warehouse, last month graded and its points, catalogue, partners, appointment slots.
        from kefu.keyaccounts.demo import seed as seed_keyaccounts

        keyaccounts = {"tokens": {}} if skip_keyaccounts else seed_keyaccounts(as_of)
        # Group customers: groups, members, contacts, a few VPMNs with agreements, the last month's key groups.
        from kefu.groups.demo import seed as seed_groups

        groups = seed_groups(as_of, seed)
        # Group care: service contacts logged against the plan, surveys, product subscriptions, promotion plans,
        # trainings and on-site events (after the groups, which clear them).
        from kefu.groups.care_demo import seed as seed_group_care

        seed_group_care(as_of, seed)
        # Contact centre: a hotline centre per city (skill groups, the city's agent and manager as agents, IVR menu,
        # wrap-up codes, tomorrow's shifts) and the calls of the last days, for the wallboard and the forecast.
        from kefu.contact.demo import seed as seed_contact

        contact = seed_contact(as_of, seed, password)
        logins = [*logins, *contact["logins"]]
        if verbosity:
            self.stderr.write("")
            self.stdout.write(
                _("%(rows)s rows for %(count)s subscribers in %(seconds).1f s (%(rate)s rows/s).")
                % {
                    "rows": f"{report.total_rows:,}",
                    "count": f"{report.subscribers:,}",
                    "seconds": report.seconds,
                    "rate": f"{report.total_rows / max(report.seconds, 1e-9):,.0f}",
                }
            )
            self.stdout.write("")
            self.stdout.write(login_table(logins))
            self.stdout.write("")
            self.stdout.write(_("Password of every login: %(password)s") % {"password": password})
            self.stdout.write(
                _(
                    "%(groups)s group customers with %(members)s members, %(vpmns)s VPMNs "
                    "(%(soon)s agreements ending soon), %(key)s key groups."
                )
                % {
                    "groups": groups["groups"],
                    "members": f"{groups['members']:,}",
                    "vpmns": groups["vpmns"],
                    "soon": groups["agreements_ending_soon"],
                    "key": groups["key_groups"],
                }
            )
            self.stdout.write(
                _("%(centres)s contact centres with %(agents)s agents and %(calls)s calls of the last days.")
                % {"centres": contact["centres"], "agents": contact["agents"], "calls": f"{contact['calls']:,}"}
            )
            for code, token in keyaccounts["tokens"].items():
                self.stdout.write(_("Partner API token of %(partner)s: %(token)s") % {"partner": code, "token": token})
