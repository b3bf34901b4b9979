from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "kefu.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self):
        from kefu.workorders.defaults import seed

        # The shipped workflows and categories are reference data: create the missing ones after migrate.
        post_migrate.connect(seed, sender=self, dispatch_uid="kefu.workorders.seed")
