"""The staff roles of a customer-service centre and the permissions each holds (PLT-1).

A role is a Django group named by its code; the permissions are kept in step with this table after
every migrate, so a new permission reaches every database by deploying the code.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    permissions: tuple[str, ...]
    data_scope: str  # default scope for a new staff member in this role


_READ_CUSTOMERS = ("customers.view_subscriber",)
_SERVE_CUSTOMERS = (*_READ_CUSTOMERS, "customers.change_subscriber")

ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role("agent", _("Agent"), _SERVE_CUSTOMERS, "city"),
        Role("leader", _("Team leader"), (*_SERVE_CUSTOMERS, "core.view_audit_log"), "city"),
        Role("inspector", _("Quality inspector"), _READ_CUSTOMERS, "city"),
        Role("clerk", _("Business-hall clerk"), (*_SERVE_CUSTOMERS, "customers.close_subscriber"), "county"),
        Role("manager", _("Customer manager"), _SERVE_CUSTOMERS, "city"),
        Role("backoffice", _("Back-office handler"), _READ_CUSTOMERS, "city"),
        Role("analyst", _("Analyst"), (*_READ_CUSTOMERS, "customers.export_subscriber"), "province"),
        Role(
            "administrator",
            _("Administrator"),
            (
                *_SERVE_CUSTOMERS,
                "customers.close_subscriber",
                "customers.export_subscriber",
                "core.unmask_personal_data",
                "core.view_audit_log",
                "core.change_parameter",
                "core.view_parameter",
            ),
            "all",
        ),
    ]
}


def ensure_roles(sender=None, using="default", **kwargs) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.models import Group, Permission

    if not global_apps.is_installed("kefu.customers"):
        return
    for role in ROLES.values():
        group, _created = Group.objects.using(using).get_or_create(name=role.code)
        wanted = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


def roles_of(user) -> list[Role]:
    names = {g.name for g in user.groups.all()}
    return [role for code, role in ROLES.items() if code in names]
