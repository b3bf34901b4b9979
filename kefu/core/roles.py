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

# Work orders (WO-1..7): everyone reads the orders of their scope; the front line and the back office
# create them; team leaders monitor (bulk reassign/suspend/withdraw) and supervise (督办).
_READ_ORDERS = ("workorders.view_workorder",)
_SERVE_ORDERS = (*_READ_ORDERS, "workorders.add_workorder")
_LEAD_ORDERS = (*_SERVE_ORDERS, "workorders.monitor_workorder", "workorders.supervise_workorder")

# Key accounts (KA-1..3): the front line reads tiers and points and redeems; clerks and customer managers also
# redeem for customers of other regions; leaders adjust points; administrators draft, approve and publish
# rule versions (two different people), load the warehouse and run the monthly jobs.
_READ_KA = ("keyaccounts.view_tierchange", "keyaccounts.view_pointsentry", "keyaccounts.view_redemptionitem")
_SERVE_KA = (*_READ_KA, "keyaccounts.redeem_points")
_ADMIN_KA = (
    *_SERVE_KA,
    "keyaccounts.redeem_cross_region",
    "keyaccounts.adjust_points",
    "keyaccounts.view_ruleversion",
    "keyaccounts.change_ruleversion",
    "keyaccounts.approve_ruleversion",
    "keyaccounts.view_gradingrun",
    "keyaccounts.run_grading",
    "keyaccounts.load_warehouse",
    "keyaccounts.change_redemptionitem",
)

ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role("agent", _("Agent"), (*_SERVE_CUSTOMERS, *_SERVE_ORDERS, *_SERVE_KA), "city"),
        Role(
            "leader",
            _("Team leader"),
            (*_SERVE_CUSTOMERS, "core.view_audit_log", *_LEAD_ORDERS, *_SERVE_KA, "keyaccounts.adjust_points"),
            "city",
        ),
        Role("inspector", _("Quality inspector"), (*_READ_CUSTOMERS, *_READ_ORDERS, *_READ_KA), "city"),
        Role(
            "clerk",
            _("Business-hall clerk"),
            (
                *_SERVE_CUSTOMERS,
                "customers.close_subscriber",
                *_SERVE_ORDERS,
                *_SERVE_KA,
                "keyaccounts.redeem_cross_region",
            ),
            "county",
        ),
        Role(
            "manager",
            _("Customer manager"),
            (*_SERVE_CUSTOMERS, *_SERVE_ORDERS, *_SERVE_KA, "keyaccounts.redeem_cross_region"),
            "city",
        ),
        Role("backoffice", _("Back-office handler"), (*_READ_CUSTOMERS, *_SERVE_ORDERS), "city"),
        Role(
            "analyst",
            _("Analyst"),
            (
                *_READ_CUSTOMERS,
                "customers.export_subscriber",
                *_READ_ORDERS,
                *_READ_KA,
                "keyaccounts.view_ruleversion",
                "keyaccounts.view_gradingrun",
            ),
            "province",
        ),
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
                *_LEAD_ORDERS,
                "workorders.publish_workflow",
                "workorders.add_listener",
                "workorders.delete_listener",
                *_ADMIN_KA,
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
