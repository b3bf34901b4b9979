from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from kefu.core.roles import ensure_roles

        # Roles are reference data the code defines: keep the groups in step with it after every migrate.
        post_migrate.connect(ensure_roles, dispatch_uid="kefu.core.ensure_roles")
