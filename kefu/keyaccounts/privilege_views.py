"""Privilege pages (KA-4, KA-5), thin over `privileges`: the green channel (request for a customer, decide by a
second person, fulfil), partners with their visits, and the partners' monthly settlement."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.customers import services as customers
from kefu.keyaccounts import privileges
from kefu.keyaccounts.forms import (
    GreenChannelRequestForm,
    MonthForm,
    NoteForm,
    PartnerForm,
    apply_customer_error,
)
from kefu.keyaccounts.models import GreenChannelRequest, GreenChannelStatus, Partner, PartnerService, PrivilegeUse
from kefu.keyaccounts.page_helpers import any_permission, form_status, last_month

REQUEST = "keyaccounts.request_greenchannel"
APPROVE = "keyaccounts.approve_greenchannel"
FULFIL = "keyaccounts.fulfil_greenchannel"
PARTNERS = "keyaccounts.manage_partners"


# --- green channel --------------------------------------------------------------------------------------


def _requests(user):
    return GreenChannelRequest.objects.restrict(user).select_related(
        "subscriber", "requested_by", "decided_by", "fulfilled_by"
    )


def _green_row(r: GreenChannelRequest, masker: Masker) -> dict:
    return {
        "id": r.pk,
        "name": r.subscriber.name,
        "msisdn": masker.msisdn(r.subscriber.msisdn),
        "service": r.service,
        "wanted_at": r.wanted_at,
        "status": r.status,
        "status_label": r.get_status_display(),
        "requested_by": r.requested_by,
        "requested_at": r.requested_at,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "fulfilled_by": r.fulfilled_by,
        "fulfilled_at": r.fulfilled_at,
        "note": r.note,
    }


def _actions(user, r: GreenChannelRequest) -> list[str]:
    """What this user may do with the request now (the services decide again on submit)."""
    actions = []
    if r.status == GreenChannelStatus.REQUESTED and user.has_perm(APPROVE) and r.requested_by_id != user.pk:
        actions += ["approve", "reject"]
    if r.status == GreenChannelStatus.APPROVED and user.has_perm(FULFIL):
        actions.append("fulfil")
    return actions


@login_required
@any_permission(REQUEST, APPROVE, FULFIL)
def green_channel(request):
    """The requests of the caller's scope (by status) and, for those who may, the form to request one."""
    user = request.user
    form, status = None, 200
    if user.has_perm(REQUEST):
        form = GreenChannelRequestForm(request.POST or None)
        if request.method == "POST":
            status = 422
            if form.is_valid():
                d = form.cleaned_data
                try:
                    subscriber = customers.get_on_net(user, d["msisdn"])
                    req = privileges.request_green_channel(user, subscriber, d["service"], d["wanted_at"], d["note"])
                except DomainError as exc:
                    apply_customer_error(form, exc)
                    status = form_status(exc)
                else:
                    messages.success(request, _("Green-channel request %(id)d sent.") % {"id": req.pk})
                    return redirect("keyaccounts:green", req.pk)
    elif request.method == "POST":
        raise PermissionDenied
    wanted = request.GET.get("status", "")
    qs = _requests(user)
    if wanted in GreenChannelStatus.values:
        qs = qs.filter(status=wanted)
    masker = Masker(user)
    rows = [{**_green_row(r, masker), "actions": _actions(user, r)} for r in qs[:200]]
    context = {"rows": rows, "form": form, "statuses": GreenChannelStatus.choices, "wanted": wanted}
    return render(request, "keyaccounts/green_channel.html", context, status=status)


def _render_request(request, req: GreenChannelRequest, form=None, status: int = 200):
    context = {
        "r": _green_row(req, Masker(request.user)),
        "actions": _actions(request.user, req),
        "form": form or NoteForm(),
    }
    return render(request, "keyaccounts/green_request.html", context, status=status)


@login_required
@any_permission(REQUEST, APPROVE, FULFIL)
def green_request(request, request_id: int):
    return _render_request(request, get_object_or_404(_requests(request.user), pk=request_id))


@login_required
@any_permission(APPROVE, FULFIL)
@require_POST
def green_action(request, request_id: int, action: str):
    req = get_object_or_404(_requests(request.user), pk=request_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_request(request, req, form, 422)
    note = form.cleaned_data["note"]
    try:
        if action in ("approve", "reject"):
            privileges.decide_green_channel(request.user, req, action == "approve", note)
        elif action == "fulfil":
            privileges.fulfil_green_channel(request.user, req, note)
        else:
            raise Http404
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _render_request(request, req, form, exc.status)
    done = {"approve": _("Request approved."), "reject": _("Request refused."), "fulfil": _("Request fulfilled.")}
    messages.success(request, done[action])
    return redirect("keyaccounts:green", req.pk)


# --- partners --------------------------------------------------------------------------------------------


@login_required
@permission_required(PARTNERS, raise_exception=True)
def partners(request):
    """The partners, and a form for a new one (its API token is shown this once)."""
    form = PartnerForm(request.POST or None)
    status, token, created = 200, None, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                created, token = privileges.create_partner(
                    request.user, d["code"], d["name"], d["service"], form.price_fen()
                )
            except DomainError as exc:
                apply_domain_error(form, exc, {"price_fen": "price_yuan"})
                status = exc.status
            else:
                status, form = 201, PartnerForm()
    context = {
        "partners": Partner.objects.all(),
        "form": form,
        "created": created,
        "token": token,
        "last_month": f"{last_month():%Y-%m}",
    }
    return render(request, "keyaccounts/partners.html", context, status=status)


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(month.year, month.month, 1))
    end = timezone.make_aware(dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1))
    return start, end


def _month_form(request) -> MonthForm:
    return MonthForm(request.GET if request.GET.get("month") else {"month": f"{last_month():%Y-%m}"})


@login_required
@permission_required(PARTNERS, raise_exception=True)
def partner_visits(request, code: str):
    """One partner's visits in a month, customers of the caller's scope, numbers masked."""
    partner = get_object_or_404(Partner, code=code)
    form = _month_form(request)
    rows, status = [], 200
    if form.is_valid():
        start, end = _month_bounds(form.cleaned_data["month"])
        masker = Masker(request.user)
        uses = (
            PrivilegeUse.objects.restrict(request.user)
            .filter(partner=partner, used_at__gte=start, used_at__lt=end)
            .select_related("subscriber")
        )
        rows = [
            {
                "reference": u.reference,
                "used_at": u.used_at,
                "name": u.subscriber.name,
                "msisdn": masker.msisdn(u.subscriber.msisdn),
                "tier": u.get_tier_display(),
                "persons": u.persons,
                "amount_fen": u.price_fen,
                "scheduled_for": u.scheduled_for,
                "details": u.details,
            }
            for u in uses[:1000]
        ]
    else:
        status = 422
    context = {"partner": partner, "form": form, "rows": rows}
    return render(request, "keyaccounts/partner.html", context, status=status)


@login_required
@permission_required(PARTNERS, raise_exception=True)
def settlements(request):
    """The month's settlement: uses, persons and amount per partner, each downloadable as CSV."""
    form = _month_form(request)
    reports, status = [], 200
    if form.is_valid():
        reports = [
            {**report, "service_label": PartnerService(report["service"]).label}
            for report in (privileges.settlement(p, form.cleaned_data["month"]) for p in Partner.objects.all())
        ]
    else:
        status = 422
    totals = {k: sum(r[k] for r in reports) for k in ("uses", "persons", "amount_fen")}
    context = {"form": form, "reports": reports, "totals": totals}
    return render(request, "keyaccounts/settlements.html", context, status=status)


@login_required
@permission_required(PARTNERS, raise_exception=True)
def settlement_csv(request, code: str):
    partner = get_object_or_404(Partner, code=code)
    form = MonthForm(request.GET)
    if not form.is_valid():
        return HttpResponse(" ".join(form.errors["month"]), status=422, content_type="text/plain; charset=utf-8")
    report = privileges.settlement(partner, form.cleaned_data["month"])
    response = HttpResponse(privileges.settlement_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="settlement-{report["partner"]}-{report["month"]}.csv"'
    return response
