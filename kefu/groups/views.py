"""Group-customer pages (thin: the services decide): the group list with filters, the group page (profile,
contacts, members masked with paging, key-group history, and the VPMN and care panels of the other group
pages), the create/edit form, contacts and members, the member import (upload → preview → confirm) and export.

The VPMN and care pages may add a panel to the group page: a template `groups/vpmn_panel.html` or
`groups/care_panel.html`, and optionally a function `group_panel(request, group) -> dict` in `vpmn_views` or
`care_views` (or `panel(user, group) -> dict`) whose result is passed to the template as `vpmn` or `care`.
Until they exist the page goes without.
"""

from __future__ import annotations

import base64

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, register_converter, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.core.models import AccessAction
from kefu.core.services import record_access
from kefu.groups import members as member_files
from kefu.groups import monthly, presenters, services
from kefu.groups.models import (
    ContactRole,
    FeePayer,
    GroupGrade,
    GroupMonth,
    GroupNature,
    GroupStatus,
    Industry,
)

MEMBER_PAGE_SIZE = 50
_IMPORT_SESSION_KEY = "groups.member_import"
GROUP_PAGE_SIZE = 50


class GroupCode:
    regex = services.CODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(GroupCode, "groupcode")


def _group_or_404(user, code: str):
    try:
        return services.get_group(user, code)
    except DomainError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise Http404(exc.message) from exc
        raise


def _choices(choices, blank: str = "") -> list:
    return [("", blank or gettext_lazy("All")), *choices]


# --- forms (shape only: the rules are in services) ------------------------------------------------------


class FilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or code"), max_length=60, required=False)
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=_choices(GroupGrade.choices), required=False)
    nature = forms.ChoiceField(label=gettext_lazy("Nature"), choices=_choices(GroupNature.choices), required=False)
    industry = forms.ChoiceField(label=gettext_lazy("Industry"), choices=_choices(Industry.choices), required=False)
    manager = forms.ChoiceField(label=gettext_lazy("Customer manager"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    key_group = forms.ChoiceField(
        label=gettext_lazy("Key group"),
        choices=[("", gettext_lazy("All")), ("yes", gettext_lazy("Key groups")), ("no", gettext_lazy("Others"))],
        required=False,
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=_choices(GroupStatus.choices), required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = _choices(
            [(m.username, m.get_full_name() or m.username) for m in services.managers_in_scope(user)]
        )
        self.fields["region"].choices = _choices(
            [(r.code, r.display_name) for r in services.regions_in_scope(user).exclude(level="county")]
        )

    def filters(self) -> services.GroupFilters:
        d = self.cleaned_data
        key = {"yes": True, "no": False}.get(d["key_group"])
        return services.GroupFilters(
            grade=d["grade"],
            nature=d["nature"],
            industry=d["industry"],
            manager=d["manager"],
            key_group=key,
            status=d["status"],
            region=d["region"],
            q=d["q"],
        )


class GroupForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Group code"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Left empty: the next free code."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    nature = forms.ChoiceField(label=gettext_lazy("Nature"), choices=GroupNature.choices)
    industry = forms.ChoiceField(label=gettext_lazy("Industry"), choices=Industry.choices)
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=GroupGrade.choices)
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    customer_manager = forms.ChoiceField(label=gettext_lazy("Customer manager"), required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    employees = forms.IntegerField(label=gettext_lazy("Employees"), min_value=0, required=False)

    def __init__(self, user, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.display_name) for r in services.regions_in_scope(user)]
        self.fields["customer_manager"].choices = [("", "—")] + [
            (m.username, m.get_full_name() or m.username) for m in services.managers_in_scope(user)
        ]
        if editing:
            del self.fields["code"]

    def data_for_service(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not (k == "code" and not v)}
        data["employees"] = data.get("employees") or 0
        return data


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ContactRole.choices)
    title = forms.CharField(label=gettext_lazy("Job title"), max_length=60, required=False)
    msisdn = forms.CharField(label=gettext_lazy("Mobile number"), max_length=11)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    is_primary = forms.BooleanField(label=gettext_lazy("Primary contact"), required=False)


class MemberForm(forms.Form):
    msisdn = forms.CharField(label=gettext_lazy("MSISDN"), max_length=11)
    department = forms.CharField(label=gettext_lazy("Department"), max_length=60, required=False)
    fee_payer = forms.ChoiceField(label=gettext_lazy("Fees paid by"), choices=FeePayer.choices)
    joined_on = forms.DateField(
        label=gettext_lazy("Joined"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class LeaveForm(forms.Form):
    left_on = forms.DateField(
        label=gettext_lazy("Left"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or xlsx file"))


# --- pages ------------------------------------------------------------------------------------------------


@login_required
@permission_required(services.VIEW, raise_exception=True)
def group_list(request):
    form = FilterForm(request.user, request.GET or None)
    page, status = None, 200
    if not request.GET or form.is_valid():
        filters = form.filters() if request.GET else services.GroupFilters()
        try:
            qs = services.search_groups(request.user, filters)
        except DomainError as exc:
            status = apply_domain_error(form, exc)
        else:
            page = Paginator(qs, GROUP_PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        status = 400
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_add": request.user.has_perm(services.ADD),
        "is_manager": services.managers_in_scope(request.user).filter(pk=request.user.pk).exists(),
        "min_members": services.parameters.get("groups.min_members"),
    }
    return render(request, "groups/group_list.html", context, status=status)


def _panel(request, group, name: str) -> tuple[bool, dict]:
    """The optional panel of the VPMN or care pages on the group page (see the module docstring)."""
    try:
        get_template(f"groups/{name}_panel.html")
    except TemplateDoesNotExist:
        return False, {}
    from kefu.groups import care_views, vpmn_views

    module = {"vpmn": vpmn_views, "care": care_views}[name]
    if hasattr(module, "group_panel"):
        return True, module.group_panel(request, group)
    if hasattr(module, "panel"):
        return True, module.panel(request.user, group)
    return True, {}


@login_required
@permission_required(services.VIEW, raise_exception=True)
def group_detail(request, code: str, member_form=None, contact_form=None, status: int = 200):
    group = _group_or_404(request.user, code)
    masker = Masker(request.user)
    show_left = request.GET.get("members") == "all"
    members_qs = group.members.select_related("subscriber").order_by("left_on", "-joined_on", "id")
    if not show_left:
        members_qs = members_qs.filter(left_on__isnull=True)
    page = Paginator(members_qs, MEMBER_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [presenters.member(m, masker) for m in page.object_list]
    months = list(GroupMonth.objects.filter(group=group).order_by("-month")[:12])
    contacts = [presenters.contact(c, masker) for c in group.contacts.order_by("-active", "-is_primary", "name")]
    record_access(request.user, AccessAction.VIEW, group, detail="group members and contacts")
    has_vpmn, vpmn = _panel(request, group, "vpmn")
    has_care, care = _panel(request, group, "care")
    can_change = request.user.has_perm(services.CHANGE)
    context = {
        "group": group,
        "g": presenters.group_detail(group),
        "contacts": contacts,
        "members": page,
        "show_left": show_left,
        "months": [presenters.month(m) for m in months],
        "masked": not masker.unmasked,
        "can_change": can_change,
        "can_import": request.user.has_perm(services.IMPORT),
        "member_form": member_form or (MemberForm(initial={"fee_payer": FeePayer.MEMBER}) if can_change else None),
        "contact_form": contact_form or (ContactForm() if can_change else None),
        "leave_form": LeaveForm(),
        "has_vpmn_panel": has_vpmn,
        "vpmn": vpmn,
        "has_care_panel": has_care,
        "care": care,
        "min_members": services.parameters.get("groups.min_members"),
    }
    return render(request, "groups/group_detail.html", context, status=status)


@login_required
@permission_required(services.ADD, raise_exception=True)
def group_create(request):
    form = GroupForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                group = services.create_group(request.user, form.data_for_service())
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Group %(code)s created.") % {"code": group.code})
                return redirect("groups:detail", group.code)
    return render(request, "groups/group_form.html", {"form": form, "group": None}, status=status)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
def group_edit(request, code: str):
    group = _group_or_404(request.user, code)
    initial = {
        "name": group.name,
        "nature": group.nature,
        "industry": group.industry,
        "grade": group.grade,
        "region": group.region.code,
        "customer_manager": group.customer_manager.username if group.customer_manager else "",
        "address": group.address,
        "employees": group.employees,
    }
    form = GroupForm(request.user, request.POST or None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_group(request.user, group, form.data_for_service())
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Group saved."))
                return redirect("groups:detail", group.code)
    return render(request, "groups/group_form.html", {"form": form, "group": group}, status=status)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def contact_add(request, code: str):
    group = _group_or_404(request.user, code)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.add_contact(request.user, group, form.cleaned_data)
        except DomainError as exc:
            return group_detail(request, code, contact_form=form, status=apply_domain_error(form, exc))
        messages.success(request, _("Contact person added."))
        return redirect("groups:detail", group.code)
    return group_detail(request, code, contact_form=form, status=400)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
def contact_edit(request, code: str, contact_id: int):
    group = _group_or_404(request.user, code)
    try:
        contact = services.get_contact(request.user, group, contact_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    masker = Masker(request.user)
    initial = {name: getattr(contact, name) for name in ("name", "role", "title", "email", "is_primary")}
    initial["msisdn"] = presenters.form_msisdn(masker, contact.msisdn)
    form = ContactForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            typed = presenters.typed_msisdn(masker, form.cleaned_data["msisdn"], contact.msisdn)
            data = {**form.cleaned_data, "msisdn": typed}
            try:
                services.update_contact(request.user, contact, data)
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Contact person saved."))
                return redirect("groups:detail", group.code)
    context = {"group": group, "contact": contact, "form": form}
    return render(request, "groups/group_contact.html", context, status=status)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def contact_deactivate(request, code: str, contact_id: int):
    group = _group_or_404(request.user, code)
    try:
        contact = services.get_contact(request.user, group, contact_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    services.deactivate_contact(request.user, contact)
    messages.success(request, _("Contact person deactivated."))
    return redirect("groups:detail", group.code)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def member_add(request, code: str):
    group = _group_or_404(request.user, code)
    form = MemberForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.add_member(request.user, group, d["msisdn"], d["joined_on"], d["department"], d["fee_payer"])
        except DomainError as exc:
            return group_detail(request, code, member_form=form, status=apply_domain_error(form, exc))
        messages.success(request, _("Member added."))
        return redirect("groups:detail", group.code)
    return group_detail(request, code, member_form=form, status=400)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def member_remove(request, code: str, member_id: int):
    group = _group_or_404(request.user, code)
    try:
        member = services.get_member(request.user, group, member_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.remove_member(request.user, member, form.cleaned_data["left_on"], form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Member removed."))
    else:
        messages.error(request, _("Enter a date as YYYY-MM-DD."))
    return redirect("groups:detail", group.code)


# --- member import and export -------------------------------------------------------------------------


@login_required
@permission_required(services.IMPORT, raise_exception=True)
def member_import(request, code: str):
    """Upload → preview (bad rows with line numbers and reasons, count of good rows) → confirm."""
    group = _group_or_404(request.user, code)
    form = ImportForm()
    preview, status = None, 200
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        held = request.session.get(_IMPORT_SESSION_KEY) or {}
        try:
            if held.get("token") != token or held.get("group") != group.pk:
                raise DomainError(ErrorCode.INVALID, _("Preview the file first: the confirmation needs its token."))
            result = member_files.confirm_import(
                request.user, group, token, held["filename"], base64.b64decode(held["content"])
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 422 if exc.code == ErrorCode.INVALID else exc.status
        else:
            request.session.pop(_IMPORT_SESSION_KEY, None)
            messages.success(
                request, _("%(n)d members added from %(file)s.") % {"n": result.applied, "file": result.filename}
            )
            return redirect("groups:detail", group.code)
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read(member_files.MAX_FILE_BYTES + 1)
            try:
                checked = member_files.preview_import(request.user, group, upload.name, content)
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                status = 200
                preview = checked.as_dict(Masker(request.user))
                # the confirmation applies exactly this file: it stays with the session, not with the browser
                request.session[_IMPORT_SESSION_KEY] = {
                    "group": group.pk,
                    "token": checked.token,
                    "filename": upload.name,
                    "content": base64.b64encode(content).decode(),
                }
    context = {"group": group, "form": form, "preview": preview, "columns": member_files.COLUMNS}
    return render(request, "groups/group_import.html", context, status=status)


@login_required
@permission_required(services.IMPORT, raise_exception=True)
def member_export(request, code: str):
    group = _group_or_404(request.user, code)
    body = member_files.export_members(request.user, group, channel="web")
    response = HttpResponse(body, content_type=member_files.XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{group.code}-members-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


class MonthForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)


@login_required
@permission_required("groups.view_groupmonth", raise_exception=True)
def months(request):
    """A month's groups by spend in the caller's scope, the key groups marked; administrators recompute it."""
    computed = list(GroupMonth.objects.values_list("month", flat=True).distinct().order_by("-month")[:24])
    status = 200
    form = MonthForm(request.POST or None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = monthly.recompute(monthly.parse_month(form.cleaned_data["month"]), actor=request.user)
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(month)s recomputed: %(groups)d groups, %(key)d key groups.")
                    % {"month": f"{result.month:%Y-%m}", "groups": result.groups, "key": result.key_groups},
                )
                return redirect(f"{reverse('groups:months')}?month={result.month:%Y-%m}")
    wanted = request.GET.get("month", "")
    try:
        month = monthly.parse_month(wanted) if wanted else (computed[0] if computed else None)
    except DomainError:
        month, status = None, 400
    rows = (
        GroupMonth.objects.restrict(request.user)
        .filter(month=month)
        .select_related("group", "group__region", "group__customer_manager")
        .order_by("rank")
        if month
        else GroupMonth.objects.none()
    )
    page = Paginator(rows, GROUP_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "month": month,
        "computed": computed,
        "page": page,
        "form": form if request.user.has_perm(monthly.PERMISSION) else None,
    }
    return render(request, "groups/group_months.html", context, status=status)


urlpatterns = [
    path("", group_list, name="list"),
    path("new/", group_create, name="create"),
    path("months/", months, name="months"),
    path("<groupcode:code>/", group_detail, name="detail"),
    path("<groupcode:code>/edit/", group_edit, name="edit"),
    path("<groupcode:code>/contacts/", contact_add, name="contact_add"),
    path("<groupcode:code>/contacts/<int:contact_id>/", contact_edit, name="contact_edit"),
    path("<groupcode:code>/contacts/<int:contact_id>/deactivate/", contact_deactivate, name="contact_deactivate"),
    path("<groupcode:code>/members/", member_add, name="member_add"),
    path("<groupcode:code>/members/<int:member_id>/remove/", member_remove, name="member_remove"),
    path("<groupcode:code>/members/import/", member_import, name="member_import"),
    path("<groupcode:code>/members/export/", member_export, name="member_export"),
]
