from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "kefu.groups"
    label = "groups"
    verbose_name = _("Group customers")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kefu.groups.catalogue import seed_care_catalogue

        # The default service plan and product catalogue: created when missing, never overwritten.
        post_migrate.connect(seed_care_catalogue, sender=self, dispatch_uid="kefu.groups.seed_care_catalogue")

        # VPMN (G2): the renewal workflow, its category, the VPMN problem categories and discount plans are
        # reference data seeded after migrate; renewal orders are followed as they move; `kefu worker` starts
        # the renewals falling due.
        from kefu.groups import renewal, seed
        from kefu.workorders import worker

        post_migrate.connect(seed.seed, sender=self, dispatch_uid="kefu.groups.seed_vpmn")
        renewal.connect()
        if "groups.vpmn_renewals" not in {name for name, _job in worker.JOBS}:
            worker.JOBS.append(("groups.vpmn_renewals", renewal.job))

        # Group customers (G1): the previous month's members, spend and key-group flags, once the month has turned.
        from kefu.groups import monthly

        if "groups.month" not in {name for name, _job in worker.JOBS}:
            worker.JOBS.append(("groups.month", monthly.run_previous_month_once))
