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
# Key accounts (KA-4..7): everyone serving customers books appointments; customer managers ask for the green
# channel, team leaders (and administrators) decide it, clerks and leaders fulfil it; leaders dispatch and
# evaluate the managers' tasks; administrators manage partners and read their settlements.
_BOOK = ("keyaccounts.book_appointment", "keyaccounts.view_appointment")
_LEAD_KA = (
    *_BOOK,
    "keyaccounts.approve_greenchannel",
    "keyaccounts.fulfil_greenchannel",
    "keyaccounts.dispatch_managertask",
    "keyaccounts.view_worklog",
)

# Group customers and VPMN (GRP-1..6, VAS-3): the front line looks up a member's group, VPMN and agreement;
# customer managers keep their groups (members, contacts, service contacts, surveys, VPMN applications and
# members, products, on-site events); team leaders approve VPMN applications and set promotion plans;
# administrators keep the catalogues and run the monthly recomputation.
_READ_GROUPS = ("groups.view_groupcustomer", "groups.view_vpmnnetwork")
_SERVE_GROUPS = (
    *_READ_GROUPS,
    "groups.add_groupcustomer",
    "groups.change_groupcustomer",
    "groups.import_groupmember",
    "groups.add_servicecontact",
    "groups.add_groupsurvey",
    "groups.add_vpmnapplication",
    "groups.change_vpmnapplication",
    "groups.change_vpmnnetwork",
    "groups.add_groupsubscription",
    "groups.add_serviceevent",
    "groups.view_promotionplan",
    "groups.view_trainingsession",
)
_LEAD_GROUPS = (
    *_SERVE_GROUPS,
    "groups.approve_vpmnapplication",
    "groups.view_groupmonth",
    "groups.add_promotionplan",
    "groups.add_trainingsession",
)
_ADMIN_GROUPS = (
    *_LEAD_GROUPS,
    "groups.run_group_month",
    "groups.change_serviceplanitem",
    "groups.change_vpmndiscountplan",
    "groups.change_groupproduct",
)

# Contact centre (CC-1..9): agents work at the desktop; leaders watch the wallboard, force states and listen to
# recordings; administrators configure groups, agents, IVR menus; the switch account drives the CTI interface.
_CC_AGENT = ("contact.use_desktop", "contact.view_contact", "contact.view_outboundtask")
_CC_LEAD = (
    *_CC_AGENT,
    "contact.view_wallboard",
    "contact.force_agent_state",
    "contact.listen_recording",
    "workforce.view_shift",
    "workforce.add_shift",  # team leaders keep the roster (CC-9)
    "workforce.change_shift",
    "workforce.delete_shift",
)
_CC_ADMIN = (
    *_CC_LEAD,
    *(
        f"contact.{verb}_{model}"
        for model in (
            "contactcentre",
            "skillgroup",
            "agent",
            "agentskill",
            "wrapupcode",
            "ivrmenu",
            "ivrnode",
            "donotcall",
        )
        for verb in ("view", "add", "change", "delete")
    ),
)

ROLES: dict[str, Role] = {
    role.code: role
    for role in [
        Role(
            "agent",
            _("Agent"),
            (*_SERVE_CUSTOMERS, *_SERVE_ORDERS, *_SERVE_KA, *_CC_AGENT, *_BOOK, *_READ_GROUPS),
            "city",
        ),
        Role(
            "leader",
            _("Team leader"),
            (
                *_SERVE_CUSTOMERS,
                "core.view_audit_log",
                *_LEAD_ORDERS,
                *_SERVE_KA,
                "keyaccounts.adjust_points",
                *_LEAD_KA,
                *_CC_LEAD,
                *_LEAD_GROUPS,
            ),
            "city",
        ),
        Role(
            "inspector",
            _("Quality inspector"),
            (*_READ_CUSTOMERS, *_READ_ORDERS, *_READ_KA, "contact.view_contact", "contact.listen_recording"),
            "city",
        ),
        Role(
            "clerk",
            _("Business-hall clerk"),
            (
                *_SERVE_CUSTOMERS,
                "customers.close_subscriber",
                *_SERVE_ORDERS,
                *_SERVE_KA,
                "keyaccounts.redeem_cross_region",
                *_BOOK,
                "keyaccounts.fulfil_greenchannel",
                *_READ_GROUPS,
            ),
            "county",
        ),
        Role(
            "manager",
            _("Customer manager"),
            (
                *_SERVE_CUSTOMERS,
                *_SERVE_ORDERS,
                *_SERVE_KA,
                "keyaccounts.redeem_cross_region",
                *_BOOK,
                "keyaccounts.request_greenchannel",
                "keyaccounts.add_worklog",
                *_SERVE_GROUPS,
            ),
            "city",
        ),
        Role("backoffice", _("Back-office handler"), (*_READ_CUSTOMERS, *_SERVE_ORDERS, *_READ_GROUPS), "city"),
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
                *_READ_GROUPS,
                "groups.view_groupmonth",
                "groups.view_promotionplan",
                "groups.view_trainingsession",
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
                *_LEAD_KA,
                "keyaccounts.request_greenchannel",
                "keyaccounts.manage_partners",
                *_CC_ADMIN,
                *_ADMIN_GROUPS,
            ),
            "all",
        ),
        Role(
            "switch",
            _("Switch and IVR service account"),
            (*_READ_CUSTOMERS, "contact.drive_cti"),
            "province",
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
