"""The workforce page (CC-9): forecast, Erlang C requirement and roster coverage per half-hour."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from kefu.contact.models import ContactCentre, SkillGroup
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
