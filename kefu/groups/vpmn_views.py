"""VPMN pages (thin: `vpmn` and `renewal` decide): the application form, the application page with the
actions the user may take, the leaders' approval queue, a group's VPMN (members with short numbers,
agreements, add/remove forms), the renewals with their work orders, and the panel on the group page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core import parameters
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.groups import presenters, renewal, vpmn
from kefu.groups.models import ApplicationStatus, GroupStatus, VpmnApplication, VpmnNetwork

MEMBER_PAGE_SIZE = 200


def _plan_choices():
    return [(p.code, f"{p.name} ({p.onnet_discount_percent}%)") for p in vpmn.discount_plans()]


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


class ApplicationForm(forms.Form):
    applicant_name = forms.CharField(label=gettext_lazy("Applicant (group representative)"), max_length=60)
    applicant_msisdn = forms.CharField(label=gettext_lazy("Applicant's mobile number"), max_length=11)
    requested_plan = forms.ChoiceField(label=gettext_lazy("Discount plan requested"), choices=())
    expected_members = forms.IntegerField(label=gettext_lazy("Members expected"), min_value=0, max_value=100000)
    short_number_from = forms.CharField(label=gettext_lazy("Short numbers from"), max_length=8)
    short_number_to = forms.CharField(label=gettext_lazy("Short numbers to"), max_length=8)
    term_months = forms.IntegerField(label=gettext_lazy("Term (months)"), min_value=1, max_value=60, initial=12)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_plan"].choices = _plan_choices()


class MemberForm(forms.Form):
    msisdn = forms.CharField(label=gettext_lazy("Mobile number of a group member"), max_length=11)
    short_number = forms.CharField(
        label=gettext_lazy("Short number"),
        max_length=8,
        required=False,
        help_text=gettext_lazy("Empty: the next free one"),
    )
    effective_from = forms.DateField(label=gettext_lazy("Effective from"), required=False, widget=_date_widget())


class AgreementForm(forms.Form):
    discount_plan = forms.ChoiceField(label=gettext_lazy("Discount plan"), choices=())
    starts_on = forms.DateField(label=gettext_lazy("Starts"), widget=_date_widget())
    ends_on = forms.DateField(label=gettext_lazy("Ends"), required=False, widget=_date_widget())
    term_months = forms.IntegerField(label=gettext_lazy("or term (months)"), required=False, min_value=1, max_value=60)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discount_plan"].choices = _plan_choices()


def _page_error(exc: DomainError) -> Exception:
    if exc.code == ErrorCode.NOT_FOUND:
        return Http404(exc.message)
    if exc.code == ErrorCode.FORBIDDEN:
        return PermissionDenied(exc.message)
    return exc


def _group_or_404(user, code: str):
    try:
        return vpmn.get_group(user, code)
    except DomainError as exc:
        raise _page_error(exc) from None


def _application_or_404(user, number: str) -> VpmnApplication:
    try:
        return vpmn.get_application(user, number)
    except DomainError as exc:
        raise _page_error(exc) from None


def _network_or_none(user, group) -> VpmnNetwork | None:
    return VpmnNetwork.objects.restrict(user).filter(group=group).first()


# --- applications -----------------------------------------------------------------------------------------


@login_required
@permission_required(vpmn.VIEW, raise_exception=True)
def application_list(request):
    status = request.GET.get("status", "")
    status = status if status in ApplicationStatus.values else ""
    q = request.GET.get("q", "").strip()[: vpmn.SEARCH_MAX]
    qs = vpmn.applications(request.user, status=status or None).filter(vpmn.search_filter(q))[:500]
    context = {
        "applications": list(qs),
        "statuses": ApplicationStatus.choices,
        "status": status,
        "q": q,
        "queue": False,
    }
    return render(request, "groups/vpmn_applications.html", context)


@login_required
@permission_required(vpmn.APPROVE, raise_exception=True)
def approval_queue(request):
    """The leaders' queue: submitted applications, important groups first, then by submission time."""
    context = {"applications": list(vpmn.approval_queue(request.user)[:500]), "queue": True}
    return render(request, "groups/vpmn_applications.html", context)


@login_required
@permission_required(vpmn.APPLY, raise_exception=True)
def application_create(request, code: str):
    group = _group_or_404(request.user, code)
    status = 200
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                application = vpmn.create_application(request.user, group, data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                saved = _("Application %(number)s saved as a draft.") % {"number": application.number}
                messages.success(request, saved)
                return redirect("groups:vpmn_application", application.number)
        status = 422
    else:
        needed = parameters.get("groups.vpmn_min_gotone_members")
        form = ApplicationForm(initial={"term_months": 12, "expected_members": max(vpmn.gotone_members(group), needed)})
    context = {
        "group": group,
        "form": form,
        "application": None,
        "gotone_members": vpmn.gotone_members(group),
        "needed": parameters.get("groups.vpmn_min_gotone_members"),
        "digits": parameters.get("groups.short_number_digits"),
    }
    return render(request, "groups/vpmn_application_form.html", context, status=status)


@login_required
@permission_required(vpmn.EDIT_APPLICATION, raise_exception=True)
def application_edit(request, number: str):
    application = _application_or_404(request.user, number)
    status = 200
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["applicant_msisdn"] = presenters.typed_msisdn(
                Masker(request.user), data["applicant_msisdn"], application.applicant_msisdn
            )
            version = data.pop("version")
            try:
                vpmn.update_application(request.user, number, data, version=version)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Application saved."))
                return redirect("groups:vpmn_application", number)
        status = 422
    else:
        initial = {name: getattr(application, name) for name in vpmn.FORM_FIELDS if name != "requested_plan"}
        initial["applicant_msisdn"] = presenters.form_msisdn(Masker(request.user), application.applicant_msisdn)
        form = ApplicationForm(
            initial={**initial, "requested_plan": application.requested_plan.code, "version": application.version}
        )
    context = {
        "group": application.group,
        "form": form,
        "application": application,
        "gotone_members": vpmn.gotone_members(application.group),
        "needed": parameters.get("groups.vpmn_min_gotone_members"),
        "digits": parameters.get("groups.short_number_digits"),
    }
    return render(request, "groups/vpmn_application_form.html", context, status=status)


def _render_application(request, application: VpmnApplication, error: DomainError | None = None, status=200):
    user = request.user
    draft = application.status == ApplicationStatus.DRAFT
    decidable = (
        application.status == ApplicationStatus.SUBMITTED
        and user.has_perm(vpmn.APPROVE)
        and application.created_by_id != user.pk
    )
    context = {
        "application": application,
        "a": vpmn.mask_application(vpmn.present_application(application), Masker(user)),
        "group": application.group,
        "can_edit": draft and user.has_perm(vpmn.EDIT_APPLICATION),
        "can_submit": draft and user.has_perm(vpmn.EDIT_APPLICATION),
        "can_decide": decidable,
        "own_application": application.created_by_id == user.pk,
        "gotone_members": vpmn.gotone_members(application.group),
        "needed": parameters.get("groups.vpmn_min_gotone_members"),
        "error": error,
        "network": _network_or_none(user, application.group),
        "today": vpmn.today().isoformat(),
    }
    return render(request, "groups/vpmn_application.html", context, status=status)


@login_required
@permission_required(vpmn.VIEW, raise_exception=True)
def application_page(request, number: str):
    return _render_application(request, _application_or_404(request.user, number))


@login_required
@require_POST
def application_action(request, number: str, action: str):
    application = _application_or_404(request.user, number)
    version = request.POST.get("version") or None
    try:
        if action == "submit":
            vpmn.submit_application(request.user, number, version=version)
            messages.success(request, _("Application submitted for approval."))
        elif action == "approve":
            _a, _network, agreement = vpmn.approve_application(
                request.user,
                number,
                version=version,
                starts_on=request.POST.get("starts_on") or None,
                note=request.POST.get("note", ""),
            )
            messages.success(
                request, _("Approved: the VPMN is set up with agreement %(number)s.") % {"number": agreement.number}
            )
            return redirect("groups:vpmn_network", application.group.code)
        elif action == "reject":
            vpmn.reject_application(request.user, number, version=version, reason=request.POST.get("reason", ""))
            messages.success(request, _("Application rejected."))
        else:
            raise Http404
    except DomainError as exc:
        return _render_application(
            request, _application_or_404(request.user, number), error=exc, status=exc.status
        )
    return redirect("groups:vpmn_application", number)


# --- a group's VPMN -----------------------------------------------------------------------------------------


def _render_network(request, group, member_form=None, agreement_form=None, error=None, status=200):
    user = request.user
    network = _network_or_none(user, group)
    masker = Masker(user)
    can_manage = user.has_perm(vpmn.MANAGE) and network is not None and network.active
    small = renewal.open_members(group) < parameters.get("groups.min_members")
    context = {
        "group": group,
        "network": network,
        "members": [vpmn.present_member(m, masker) for m in vpmn.members(network)[:MEMBER_PAGE_SIZE]]
        if network
        else [],
        "member_total": vpmn.members(network).count() if network else 0,
        "agreements": list(vpmn.agreements(network)) if network else [],
        "in_force": vpmn.agreement_in_force(network) if network else None,
        "applications": list(vpmn.applications(user, group=group)[:20]),
        "renewals": list(renewal.renewals(user, group=group)[:20]),
        "can_manage": can_manage,
        "can_apply": network is None and user.has_perm(vpmn.APPLY) and group.status == GroupStatus.ACTIVE,
        "member_form": member_form or (MemberForm() if can_manage else None),
        "agreement_form": agreement_form or (AgreementForm() if can_manage else None),
        "error": error,
        "masked": not masker.unmasked,
        "small": small,
        "merge_candidates": renewal.merge_candidates(group, user=user)
        if small and group.status == GroupStatus.ACTIVE
        else [],
        "can_merge": user.has_perm(renewal.MERGE),
    }
    if network is not None:
        from kefu.core.services import record_access

        record_access(user, "view", network, detail="vpmn members")
    return render(request, "groups/vpmn_network.html", context, status=status)


@login_required
@permission_required(vpmn.VIEW, raise_exception=True)
def network_page(request, code: str):
    return _render_network(request, _group_or_404(request.user, code))


@login_required
@permission_required(vpmn.MANAGE, raise_exception=True)
@require_POST
def member_add(request, code: str):
    group = _group_or_404(request.user, code)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            member = vpmn.add_member(request.user, group, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
            return _render_network(request, group, member_form=form, status=exc.status)
        messages.success(request, _("Member added with short number %(short)s.") % {"short": member.short_number})
        return redirect("groups:vpmn_network", code)
    return _render_network(request, group, member_form=form, status=422)


@login_required
@permission_required(vpmn.MANAGE, raise_exception=True)
@require_POST
def member_remove(request, code: str, member_id: int):
    group = _group_or_404(request.user, code)
    try:
        vpmn.remove_member(request.user, group, member_id, effective_to=request.POST.get("effective_to") or None)
    except DomainError as exc:
        return _render_network(request, group, error=exc, status=exc.status)
    messages.success(request, _("Member removed."))
    return redirect("groups:vpmn_network", code)


@login_required
@permission_required(vpmn.MANAGE, raise_exception=True)
@require_POST
def member_change(request, code: str, member_id: int):
    group = _group_or_404(request.user, code)
    try:
        vpmn.change_short_number(request.user, group, member_id, short_number=request.POST.get("short_number", ""))
    except DomainError as exc:
        return _render_network(request, group, error=exc, status=exc.status)
    messages.success(request, _("Short number changed."))
    return redirect("groups:vpmn_network", code)


@login_required
@permission_required(vpmn.MANAGE, raise_exception=True)
@require_POST
def agreement_add(request, code: str):
    group = _group_or_404(request.user, code)
    form = AgreementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            vpmn.create_agreement(
                request.user,
                group,
                plan=data["discount_plan"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                term_months=data["term_months"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            return _render_network(request, group, agreement_form=form, status=exc.status)
        messages.success(request, _("Agreement created."))
        return redirect("groups:vpmn_network", code)
    return _render_network(request, group, agreement_form=form, status=422)


@login_required
@permission_required(vpmn.MANAGE, raise_exception=True)
@require_POST
def agreement_terminate(request, code: str, number: str):
    group = _group_or_404(request.user, code)
    try:
        vpmn.terminate_agreement(request.user, number, reason=request.POST.get("reason", ""), group=group)
    except DomainError as exc:
        return _render_network(request, group, error=exc, status=exc.status)
    messages.success(request, _("Agreement terminated."))
    return redirect("groups:vpmn_network", code)


@login_required
@permission_required(renewal.MERGE, raise_exception=True)
@require_POST
def merge(request, code: str):
    group = _group_or_404(request.user, code)
    try:
        renewal.merge_group(request.user, group.code, request.POST.get("into", ""), request.POST.get("reason", ""))
    except DomainError as exc:
        return _render_network(request, group, error=exc, status=exc.status)
    messages.success(request, _("Group merged."))
    return redirect("groups:vpmn_network", code)


# --- renewals ---------------------------------------------------------------------------------------------


@login_required
@permission_required(vpmn.VIEW, raise_exception=True)
def renewal_list(request):
    if request.method == "POST":
        try:
            started = renewal.start_due(request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(count)s renewals started.") % {"count": started})
        return redirect("groups:vpmn_renewals")
    context = {
        "renewals": list(renewal.renewals(request.user)[:500]),
        "can_start": request.user.has_perm(renewal.RUN),
        "days_ahead": parameters.get("groups.renewal_days_ahead"),
    }
    return render(request, "groups/vpmn_renewals.html", context)


# --- the panel on the group page (G1's page includes groups/vpmn_panel.html with `vpmn`) ----------------------


def group_panel(request, group) -> dict:
    user = request.user
    network = _network_or_none(user, group)
    latest = vpmn.applications(user, group=group).order_by("-id").first() if user.has_perm(vpmn.VIEW) else None
    return {
        "network": network,
        "in_force": vpmn.agreement_in_force(network) if network else None,
        "member_total": vpmn.members(network).count() if network else 0,
        "latest_application": latest,
        "can_apply": network is None and user.has_perm(vpmn.APPLY) and group.status == GroupStatus.ACTIVE,
        "gotone_members": vpmn.gotone_members(group),
        "needed": parameters.get("groups.vpmn_min_gotone_members"),
    }


urlpatterns = [
    path("vpmn/applications/", application_list, name="vpmn_applications"),
    path("vpmn/queue/", approval_queue, name="vpmn_queue"),
    path("vpmn/renewals/", renewal_list, name="vpmn_renewals"),
    path("vpmn/apply/<str:code>/", application_create, name="vpmn_apply"),
    path("vpmn/applications/<str:number>/", application_page, name="vpmn_application"),
    path("vpmn/applications/<str:number>/edit/", application_edit, name="vpmn_application_edit"),
    path(
        "vpmn/applications/<str:number>/<str:action>/", application_action, name="vpmn_application_action"
    ),
    path("vpmn/g/<str:code>/", network_page, name="vpmn_network"),
    path("vpmn/g/<str:code>/members/", member_add, name="vpmn_member_add"),
    path("vpmn/g/<str:code>/members/<int:member_id>/remove/", member_remove, name="vpmn_member_remove"),
    path("vpmn/g/<str:code>/members/<int:member_id>/short-number/", member_change, name="vpmn_member_change"),
    path("vpmn/g/<str:code>/agreements/", agreement_add, name="vpmn_agreement_add"),
    path(
        "vpmn/g/<str:code>/agreements/<str:number>/terminate/",
        agreement_terminate,
        name="vpmn_agreement_terminate",
    ),
    path("vpmn/g/<str:code>/merge/", merge, name="vpmn_merge"),
]
