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
