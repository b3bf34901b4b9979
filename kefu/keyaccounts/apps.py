from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _reminders(now=None) -> int:
    from kefu.keyaccounts import appointments

    return appointments.fire_due_reminders(now)


def _daily(now=None) -> int:
    from kefu.keyaccounts import managers

    return managers.daily_reminders(now)


class KeyAccountsConfig(AppConfig):
    name = "kefu.keyaccounts"
    label = "keyaccounts"
    verbose_name = _("Key accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kefu.keyaccounts.seed import after_migrate

        post_migrate.connect(after_migrate, sender=self, dispatch_uid="kefu.keyaccounts.default_rules")
        # `kefu worker` runs the registered jobs on every pass: appointment reminders as they fall due, and the
        # customer managers' reminders once a day (the day's `ReminderRun` row keeps it to once).
        from kefu.workorders import worker

        names = {name for name, _job in worker.JOBS}
        for name, job in (("keyaccounts.reminders", _reminders), ("keyaccounts.daily", _daily)):
            if name not in names:
                worker.JOBS.append((name, job))
