"""Group care pages (thin over service_plans, standards, products, events): the service plan, logging a
service contact and a survey answer on a group, the standards dashboard, the product catalogue, promotion
plans, trainings and the monthly promotion report, on-site service events and their surveys."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import DomainError, ErrorCode
from kefu.groups import service_plans
from kefu.groups.models import GroupContact, ServiceKind


def _apply_error(form: forms.Form, exc: DomainError) -> int:
    """Show a refused operation on the form (on its field when the form has it); the page's status."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
    return 422 if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.INVALID) and exc.field else exc.status


def _group_or_404(user, code: str):
    try:
        return service_plans.care_group(user, code)
    except DomainError:
        raise Http404 from None


def _contact_choices(group) -> list[tuple[str, str]]:
    people = GroupContact.objects.filter(group=group, active=True).order_by("-is_primary", "name")
    return [("", "—"), *((str(c.pk), f"{c.name} ({c.get_role_display()})") for c in people)]


class ContactLogForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ServiceKind.choices)
    at = forms.DateTimeField(
        label=gettext_lazy("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    contact = forms.ChoiceField(label=gettext_lazy("Contact person"), required=False)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, group, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = _contact_choices(group)


@login_required
@permission_required(service_plans.LOG_CONTACT, raise_exception=True)
def contact_log(request, code: str):
    """Log a service contact with a group; the group's plan progress and its recent contacts."""
    user = request.user
    group = _group_or_404(user, code)
    initial = {"at": timezone.localtime().replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")}
    form = ContactLogForm(group, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                service_plans.log_contact(user, group, d["kind"], d["at"], d["summary"], int(d["contact"] or 0) or None)
            except DomainError as exc:
                status = _apply_error(form, exc)
            else:
                messages.success(request, _("Contact logged."))
                return redirect("groups:care_log", group.code)
    context = {
        "group": group,
        "form": form,
        "progress": service_plans.plan_progress(group),
        "recent": service_plans.recent_contacts(group, 20),
    }
    return render(request, "groups/care_contact_log.html", context, status=status)


urlpatterns = [
    path("care/g/<str:code>/log/", contact_log, name="care_log"),
]
