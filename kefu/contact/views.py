"""Contact-centre pages: the agent desktop (CC-6) with its screen pop, the wallboard (CC-3),
recordings (CC-8) and the outbound task list (CC-7). Thin: the work is in services / outbound."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.contact import services, transport
from kefu.contact.models import Agent, Contact, ContactCentre, OutboundAttempt, SkillGroup, WrapUpCode
from kefu.core import parameters
from kefu.core.errors import DomainError
from kefu.core.masking import Masker
from kefu.core.models import AccessAction
from kefu.core.services import record_access

NOT_READY_LABELS = {  # lazy: translated in the language of each page
    "meeting": gettext_lazy("Meeting"),
    "training": gettext_lazy("Training"),
    "coaching": gettext_lazy("Coaching"),
    "paperwork": gettext_lazy("Paperwork"),
    "other": gettext_lazy("Other"),
}


@login_required
@permission_required("contact.use_desktop", raise_exception=True)
def desktop(request):
    """The page an agent keeps open all day (CC-6)."""
    try:
        agent = services.agent_of(request.user)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    centre = agent.centre
    try:
        snapshot = transport.snapshot(centre.code)
    except DomainError:
        snapshot = {"agents": [], "groups": []}
    me = next((row for row in snapshot["agents"] if row["agent"] == agent.code), None)
    from kefu.contact import outbound

    context = {
        "agent": agent,
        "centre": centre,
        "state": (me or {}).get("state", "logged_out"),
        "groups": SkillGroup.objects.filter(centre=centre, active=True).order_by("code"),
        "colleagues": Agent.objects.filter(centre=centre, active=True).exclude(pk=agent.pk).select_related("user"),
        "wrap_up_codes": WrapUpCode.objects.filter(active=True),
        "reasons": [(code, NOT_READY_LABELS.get(code, code)) for code in parameters.get("contact.not_ready_reasons")],
        "tasks": outbound.tasks_for(request.user, centre)[:20],
        "last_contact": Contact.objects.filter(agent=request.user, centre=centre).order_by("-started_at").first(),
    }
    return render(request, "contact/desktop.html", context)


def render_pop(user, subscriber_id: int | None, contact_id: int | None, message: dict | None = None) -> str:
    """The screen pop: the caller's customer 360 (masked, logged) with the work-order form, as HTML.
    Rendered without a request (the desktop's WebSocket sends it): the page's script adds the CSRF token."""
    from kefu.customers import presenters
    from kefu.customers import services as customer_services

    context: dict = {"message": message or {}, "contact_id": contact_id, "subscriber_id": subscriber_id}
    if subscriber_id:
        try:
            subscriber = customer_services.get_by_id(user, subscriber_id)
        except DomainError:
            context["out_of_scope"] = True
        else:
            view = customer_services.customer_360(user, subscriber, channel="desktop")
            data = presenters.view_360(view, Masker(user), user)
            context.update(c=data, p=data["profile"])
            if user.has_perm("workorders.add_workorder"):
                from kefu.workorders.forms import CreateOrderForm

                context["order_form"] = CreateOrderForm(initial={"customer_id": subscriber_id})
    return render_to_string("contact/_pop.html", context)


@login_required
@permission_required("contact.use_desktop", raise_exception=True)
def pop(request, contact_id: int):
    """The screen pop of a call of this agent again (after a reload or a reconnect)."""
    contact = Contact.objects.filter(pk=contact_id, agent=request.user).first()
    if contact is None:
        raise Http404(_("No such call of yours."))
    message = {"call": contact.call_id, "group": contact.queue, "contact": contact.pk}
    return HttpResponse(render_pop(request.user, contact.subscriber_id, contact.pk, message))


@login_required
@permission_required("contact.view_wallboard", raise_exception=True)
def wallboard(request, centre: str):
    """Queues, agents by state, today's figures (CC-3); a team leader can force an agent's state."""
    centre_obj = ContactCentre.objects.restrict(request.user).filter(code=centre).first()
    if centre_obj is None:
        raise Http404(_("No such contact centre."))
    names = dict(SkillGroup.objects.filter(centre=centre_obj).values_list("code", "name"))
    reasons = [(code, NOT_READY_LABELS.get(code, code)) for code in parameters.get("contact.not_ready_reasons")]
    return render(request, "contact/wallboard.html", {"centre": centre_obj, "group_names": names, "reasons": reasons})


@login_required
def wallboards(request):
    if not request.user.has_perm("contact.view_wallboard"):
        raise PermissionDenied
    centres = ContactCentre.objects.restrict(request.user)
    if len(centres) == 1:
        return wallboard(request, centres[0].code)
    return render(request, "contact/wallboards.html", {"centres": centres})


@login_required
@permission_required("contact.listen_recording", raise_exception=True)
def recording(request, contact_id: int):
    """A call's recording, streamed to the roles that may hear it; every access is logged (CC-8)."""
    contact = Contact.objects.restrict(request.user).filter(pk=contact_id).exclude(recording_ref="").first()
    if contact is None:
        raise Http404(_("No such recording."))
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / contact.recording_ref).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404(_("The recording file is missing."))
    record_access(request.user, AccessAction.VIEW, contact, detail=f"recording {contact.recording_ref}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{path.name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@permission_required("contact.use_desktop", raise_exception=True)
def task(request, task_id: int):
    """One outbound task: the customer, the attempts so far, and the result of this attempt."""
    from kefu.contact import outbound

    try:
        task_obj = outbound.get_task(request.user, task_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    error = None
    status = 200
    if request.method == "POST":
        try:
            outbound.record_attempt(
                request.user, task_obj.pk, request.POST.get("result", ""), request.POST.get("note", "")
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect("contact:desktop")
    masker = Masker(request.user)
    context = {
        "task": task_obj,
        "number": masker.msisdn(task_obj.msisdn),
        "attempts": task_obj.attempts_made.select_related("agent"),
        "results": OutboundAttempt.Result.choices,
        "error": error,
    }
    return render(request, "contact/task.html", context, status=status)
