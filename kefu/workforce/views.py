"""The workforce page (CC-9): forecast, Erlang C requirement and roster coverage per half-hour."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kefu.contact.models import ContactCentre, SkillGroup
from kefu.core.errors import DomainError, ErrorCode
from kefu.core.forms import apply_domain_error
from kefu.workforce import roster as roster_service
from kefu.workforce import services


class StaffingForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.CharField(label=_("Skill group"), required=False)
    target_sl = forms.IntegerField(label=_("Service level %"), min_value=1, max_value=99, initial=80, required=False)
    target_time = forms.IntegerField(label=_("Within seconds"), min_value=1, max_value=600, initial=20, required=False)
    max_occupancy = forms.IntegerField(
        label=_("Max occupancy %"), min_value=10, max_value=100, initial=85, required=False
    )


@login_required
@permission_required("workforce.view_shift", raise_exception=True)
def staffing(request, centre: str):
    centre_obj = ContactCentre.objects.restrict(request.user).filter(code=centre).first()
    if centre_obj is None:
        raise Http404(_("No such contact centre."))
    form = StaffingForm(request.GET or None)
    groups = SkillGroup.objects.filter(centre=centre_obj, active=True).order_by("code")
    context = {"centre": centre_obj, "form": form, "groups": groups}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        group = None
        if data.get("group"):
            group = groups.filter(code=data["group"]).first()
            if group is None:
                form.add_error("group", _("No such skill group."))
                return render(request, "workforce/staffing.html", context, status=400)
        day = data.get("day") or timezone.localdate() + dt.timedelta(days=1)
        result = services.staffing(
            centre_obj,
            day,
            group,
            target_sl=(data.get("target_sl") or 80) / 100,
            target_time=float(data.get("target_time") or 20),
            max_occupancy=(data.get("max_occupancy") or 85) / 100,
        )
        rows = [
            {
                "time": f"{i // 2:02d}:{(i % 2) * 30:02d}",
                "forecast": round(float(result.forecast[i]), 1),
                "required": int(result.required[i]),
                "rostered": int(result.rostered[i]),
                "gap": int(result.gap[i]),
                "service_level": round(100 * float(result.service_level[i]), 1),
            }
            for i in range(services.INTERVALS)
        ]
        context.update(
            result=result,
            rows=rows,
            chart=mark_safe(services.chart_svg(result)),  # built from numbers only
            short=sum(1 for r in rows if r["gap"] < 0),
        )
    return render(request, "workforce/staffing.html", context, status=status)


@login_required
@permission_required("workforce.view_shift", raise_exception=True)
def index(request):
    centres = list(ContactCentre.objects.restrict(request.user))
    if len(centres) == 1:
        return staffing(request, centres[0].code)
    return render(request, "workforce/index.html", {"centres": centres})


# ---------------------------------------------------------------------------------------- roster


class ShiftForm(forms.Form):
    agent = forms.CharField(label=_("Agent"), max_length=40)
    start = forms.TimeField(label=_("Start"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("End"), widget=forms.TimeInput(attrs={"type": "time"}))
    break_minutes = forms.IntegerField(label=_("Break (minutes)"), min_value=0, max_value=360, initial=60)
    group = forms.CharField(label=_("Skill group"), required=False, max_length=40)


class CopyForm(forms.Form):
    target = forms.DateField(label=_("Copy to"), widget=forms.DateInput(attrs={"type": "date"}))


class GenerateForm(forms.Form):
    group = forms.CharField(label=_("Skill group"), required=False, max_length=40)
    shift_hours = forms.DecimalField(
        label=_("Shift (hours)"), min_value=1, max_value=12, initial=8, decimal_places=1, max_digits=3
    )
    break_minutes = forms.IntegerField(label=_("Break (minutes)"), min_value=0, max_value=360, initial=60)


def _roster_day(request) -> dt.date:
    raw = request.POST.get("day") or request.GET.get("day")
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise Http404(_("No such day.")) from None
    return timezone.localdate() + dt.timedelta(days=1)


@login_required
@permission_required("workforce.view_shift", raise_exception=True)
def roster(request, centre: str):
    """The roster editor of one day: shifts (add, change, delete), copy the day or its week, a proposal
    generated against the Erlang C requirement to accept, and the coverage chart."""
    centre_obj = ContactCentre.objects.restrict(request.user).filter(code=centre).first()
    if centre_obj is None:
        raise Http404(_("No such contact centre."))
    day = _roster_day(request)
    here = f"{reverse('workforce:roster', args=[centre_obj.code])}?day={day.isoformat()}"
    groups = SkillGroup.objects.filter(centre=centre_obj, active=True).order_by("code")
    editing = None
    if request.GET.get("edit"):
        try:
            editing = roster_service.get_shift(request.user, centre_obj, int(request.GET["edit"]))
        except (DomainError, ValueError):
            raise Http404(_("No such shift.")) from None
    shift_form = ShiftForm(
        initial=(
            {
                "agent": editing.agent.code,
                "start": timezone.localtime(editing.starts_at).time(),
                "end": timezone.localtime(editing.ends_at).time(),
                "break_minutes": editing.break_minutes,
                "group": editing.group.code if editing.group else "",
            }
            if editing
            else None
        )
    )
    copy_form, generate_form = CopyForm(), GenerateForm()
    proposals = deficit = None
    action_error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "save":
                shift_form = ShiftForm(request.POST)
                if shift_form.is_valid():
                    d = shift_form.cleaned_data
                    target = None
                    if request.POST.get("shift"):
                        target = roster_service.get_shift(request.user, centre_obj, int(request.POST["shift"]))
                    roster_service.save_shift(
                        request.user, centre_obj, day, d["agent"], d["start"], d["end"], d["break_minutes"],
                        d["group"] or None, shift=target,
                    )  # fmt: skip
                    messages.success(request, _("Shift saved."))
                    return redirect(here)
            elif action == "delete":
                roster_service.delete_shift(request.user, centre_obj, int(request.POST.get("shift") or 0))
                messages.success(request, _("Shift deleted."))
                return redirect(here)
            elif action in ("copy_day", "copy_week"):
                copy_form = CopyForm(request.POST)
                if copy_form.is_valid():
                    target = copy_form.cleaned_data["target"]
                    source = day
                    days = 1
                    if action == "copy_week":  # the Monday-to-Sunday week of the day, to the week of the target
                        source = day - dt.timedelta(days=day.weekday())
                        target = target - dt.timedelta(days=target.weekday())
                        days = 7
                    copied, skipped = roster_service.copy_days(request.user, centre_obj, source, target, days)
                    messages.success(
                        request,
                        _("%(copied)s shifts copied, %(skipped)s skipped (the agent had a shift then).")
                        % {"copied": copied, "skipped": skipped},
                    )
                    return redirect(here)
            elif action == "generate":
                generate_form = GenerateForm(request.POST)
                if generate_form.is_valid():
                    d = generate_form.cleaned_data
                    group = groups.filter(code=d["group"]).first() if d["group"] else None
                    if d["group"] and group is None:
                        raise DomainError(ErrorCode.INVALID, _("No such skill group."), field="group")
                    proposals, deficit, _staffing = roster_service.propose(
                        centre_obj, day, group, shift_hours=float(d["shift_hours"]), break_minutes=d["break_minutes"]
                    )
            elif action == "accept":
                try:
                    items = json.loads(request.POST.get("proposals") or "[]")
                except ValueError:
                    items = None
                created = roster_service.accept(request.user, centre_obj, day, items)
                messages.success(request, _("%(n)s proposed shifts added to the roster.") % {"n": len(created)})
                return redirect(here)
            else:
                raise DomainError(ErrorCode.INVALID, _("Unknown action."), field="action")
        except DomainError as exc:
            if exc.code == ErrorCode.FORBIDDEN:
                raise PermissionDenied(exc.message) from exc
            form = {"save": shift_form, "copy_day": copy_form, "copy_week": copy_form, "generate": generate_form}
            if action in form and form[action].is_bound:
                apply_domain_error(form[action], exc)
            else:
                action_error = exc.message
        bad = action_error or any(f.errors for f in (shift_form, copy_form, generate_form))
        status = 400 if bad else 200
    result = services.staffing(centre_obj, day)
    context = {
        "centre": centre_obj,
        "day": day,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "shifts": roster_service.shifts_for_day(centre_obj, day),
        "agents": roster_service.agents_of(centre_obj),
        "groups": groups,
        "editing": editing,
        "shift_form": shift_form,
        "copy_form": copy_form,
        "generate_form": generate_form,
        "proposals": [p.as_dict() for p in proposals] if proposals is not None else None,
        "proposals_json": json.dumps([p.as_dict() for p in proposals]) if proposals else "",
        "still_short": int((deficit > 0).sum()) if deficit is not None else 0,
        "result": result,
        "chart": mark_safe(services.chart_svg(result)),  # built from numbers only
        "may_edit": request.user.has_perm("workforce.add_shift"),
        "action_error": action_error,
    }
    return render(request, "workforce/roster.html", context, status=status)
