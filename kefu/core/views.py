from django.contrib.auth import login as start_session
from django.contrib.auth import logout
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kefu.core import services
from kefu.core.errors import DomainError
from kefu.core.forms import LoginForm


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
