"""The layout's navigation: each entry shows only to users holding its permission (or one of its
permissions, for an entry serving several roles)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.core.notifications import unread_count
from kefu.core.roles import roles_of

ENTRIES = [
    ("customers:search", _("Customers"), "customers.view_subscriber"),
    ("workorders:mine", _("Work orders"), "workorders.view_workorder"),
    ("workorders:monitor", _("Monitoring"), "workorders.monitor_workorder"),
    ("workorders:workflows", _("Workflows"), "workorders.publish_workflow"),
    ("contact:desktop", _("Desktop"), "contact.use_desktop"),
    ("contact:wallboards", _("Wallboard"), "contact.view_wallboard"),
    ("workforce:index", _("Workforce"), "workforce.view_shift"),
    ("keyaccounts:manager", _("My customers"), "keyaccounts.add_worklog"),
    ("keyaccounts:tasks", _("Manager tasks"), "keyaccounts.dispatch_managertask"),
    ("keyaccounts:appointments", _("Appointments"), "keyaccounts.book_appointment"),
    (
        "keyaccounts:green_channel",
        _("Green channel"),
        (
            "keyaccounts.request_greenchannel",
            "keyaccounts.approve_greenchannel",
            "keyaccounts.fulfil_greenchannel",
        ),
    ),
    ("keyaccounts:partners", _("Partners"), "keyaccounts.manage_partners"),
    ("keyaccounts:standards", _("Service standards"), "keyaccounts.view_worklog"),
    ("keyaccounts:rules", _("Key-account rules"), "keyaccounts.view_ruleversion"),
    ("groups:list", _("Group customers"), "groups.view_groupcustomer"),
    ("groups:vpmn_applications", _("VPMN"), ("groups.add_vpmnapplication", "groups.approve_vpmnapplication")),
    ("groups:care", _("Group care"), "groups.view_promotionplan"),
    ("admin:index", _("Administration"), "core.change_parameter"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        {"url": reverse(name), "label": label, "active": request.path.startswith(reverse(name))}
        for name, label, perm in ENTRIES
        if any(user.has_perm(p) for p in ((perm,) if isinstance(perm, str) else perm))
    ]
    # the longest matching entry is the active one (/workorders/monitor/ is not "Work orders")
    longest = max((len(item["url"]) for item in items if item["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["url"]) == longest
    return {
        "nav_items": items,
        "user_roles": [str(role.label) for role in roles_of(user)],
        "unread_notifications": unread_count(user),
    }
