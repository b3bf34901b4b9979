from django.contrib import messages
from django.contrib.auth import login as start_session
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kefu.core import notifications, services
from kefu.core.errors import DomainError
from kefu.core.forms import LoginForm
from kefu.core.roles import ROLES


def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login(form.cleaned_data["username"], form.cleaned_data["password"])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            start_session(request, user, backend="kefu.core.backends.StaffBackend")
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = "customers:search"
            return redirect(target)
    return render(
        request,
        "core/login.html",
        {"form": form},
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("core:login")


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
def notifications_page(request):
    """The staff inbox: every notification for me or my role in my scope, newest first; mark read."""
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        marked = notifications.mark_read(request.user, None if request.POST.get("all") else ids)
        messages.success(
            request,
            ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.", marked)
            % {"count": marked},
        )
        return redirect(
            request.POST.get("next")
            if url_has_allowed_host_and_scheme(request.POST.get("next", ""), {request.get_host()})
            else "core:notifications"
        )
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(notifications.inbox(request.user, unread_only).select_related("recipient"), 50).get_page(
        request.GET.get("page")
    )
    for n in page.object_list:
        n.kind_label = notifications.kind_label(n.kind)
        role = ROLES.get(n.role)
        n.role_label = str(role.label) if role else n.role
    return render(request, "core/notifications.html", {"page": page, "unread_only": unread_only})
