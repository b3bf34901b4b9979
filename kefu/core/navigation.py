"""The layout's navigation: each entry shows only to users holding its permission."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.core.roles import roles_of

ENTRIES = [
    ("customers:search", _("Customers"), "customers.view_subscriber"),
    ("admin:index", _("Administration"), "core.change_parameter"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        {"url": reverse(name), "label": label, "active": request.path.startswith(reverse(name))}
        for name, label, perm in ENTRIES
        if user.has_perm(perm)
    ]
    return {"nav_items": items, "user_roles": [str(role.label) for role in roles_of(user)]}
