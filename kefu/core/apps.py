from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kefu.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from kefu.core.roles import ensure_roles

        # Roles are reference data the code defines: keep the groups in step with it after every migrate.
        post_migrate.connect(ensure_roles, dispatch_uid="kefu.core.ensure_roles")

        from kefu.core.models import ApiToken, User
        from kefu.core.services import forget_tokens

        # A deactivated user or a revoked token stops working in this process at once (others: within seconds).
        for model in (User, ApiToken):
            for signal in (post_save, post_delete):
                signal.connect(forget_tokens, sender=model, dispatch_uid=f"kefu.core.forget_tokens.{model.__name__}")
