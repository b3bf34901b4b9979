"""The work-order pages: queues, the order page, creating from the customer 360, monitoring and the
workflow editor. Thin: every rule is in kefu.workorders.services; a refused operation (DomainError)
comes back as a form error on the page with its status (403/409/422), a stale version says so.
"""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core import parameters
from kefu.core.errors import DomainError, NotFound
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.core.models import Region, RegionLevel
from kefu.core.scope import scope_region_ids
from kefu.workorders import forms, presenters, services
from kefu.workorders.diagram import render_svg
from kefu.workorders.errors import Reason
from kefu.workorders.models import Satisfaction, Workflow, WorkflowVersion, WorkOrder

VIEW, ADD, MONITOR, PUBLISH = services.VIEW, services.ADD, services.MONITOR, services.PUBLISH
PAGE_SIZE = 50


def _order_or_404(user, number: str) -> WorkOrder:
    try:
        return services.get_order(user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _cities(user) -> list[tuple[str, str]]:
    ids = scope_region_ids(user)
    qs = Region.objects.filter(level=RegionLevel.CITY).order_by("path")
    return [(r.code, r.display_name) for r in qs if ids is None or r.pk in ids]


def _step_choices() -> list[tuple[str, str]]:
    by_code: dict[str, str] = {}
    for key, name in services.step_names().items():
        code = key.split(":", 1)[1]
        if name not in by_code.get(code, "").split(" / "):
            by_code[code] = f"{by_code[code]} / {name}" if code in by_code else name
    return sorted(by_code.items())


def diagram(version: WorkflowVersion | None = None, definition=None, title: str = "") -> str:
    parsed = definition if definition is not None else version.parsed()
    return mark_safe(  # noqa: S308 - render_svg escapes every text it draws
        render_svg(parsed, reopen_label=_("dissatisfied"), hours_label=_("%(hours)s h"), title=title)
    )


# ---------------------------------------------------------------------------------------------
# queues (item 8)
# ---------------------------------------------------------------------------------------------

QUEUES = {"mine": "mine", "group": "group"}


@login_required
@permission_required(VIEW, raise_exception=True)
def queue(request, which: str = "mine"):
    """My orders, or my group's orders (open, at steps my roles act at, in my scope) with claim."""
    form = forms.QueueFilterForm(request.GET or None, steps=_step_choices(), regions=_cities(request.user))
    filters = services.Filters(mine=which == "mine", group=which == "group")
    if form.is_bound and form.is_valid():
        filters.step = form.cleaned_data["step"] or None
        filters.handling_region = form.cleaned_data["region"] or None
        filters.q = form.cleaned_data["q"]
    ids = services.search(request.user, filters).values_list("id", flat=True)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    masker = Masker(request.user)
    rows = [presenters.summary(o, masker) for o in services.orders_by_ids(list(page.object_list))]
    return render(request, "workorders/queue.html", {"which": which, "form": form, "page": page, "rows": rows})


# ---------------------------------------------------------------------------------------------
# creating from the customer 360 page (item 8)
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required(ADD, raise_exception=True)
@require_POST
def create(request):
    """The "create work order" form of the customer 360 page. Refused: back on the 360 page with the
    form and its errors; a duplicate (same customer and category within 72 h) asks for confirmation."""
    from kefu.customers.views import customer_360

    form = forms.CreateOrderForm(request.POST)
    status = 422
    if form.is_valid():
        d = form.cleaned_data
        try:
            order = services.create(
                request.user,
                category=d["category"],
                title=d["title"],
                description=d["description"],
                channel=d["channel"],
                customer_id=d["customer_id"],
                priority=d["priority"],
                confirm_duplicate=d["confirm_duplicate"],
                transition=d["then"] or None,
            )
        except DomainError as exc:
            status = exc.status
            if exc.extra.get("reason") == Reason.DUPLICATE:
                form.duplicates = exc.extra.get("duplicates", [])
                form.add_error(None, exc.message)
            else:
                _form_error(form, exc)
        else:
            messages.success(request, _("Work order %(number)s created.") % {"number": order.number})
            return _after_change(request, order)
    try:
        subscriber_id = int(request.POST.get("customer_id", ""))
    except ValueError as exc:
        raise Http404 from exc
    response = customer_360(request, subscriber_id, order_form=form)
    response.status_code = status
    return response


# ---------------------------------------------------------------------------------------------
# the order page (item 8)
# ---------------------------------------------------------------------------------------------

# DomainError.field → the form field that shows the message
_FIELD_MAP = {"fields.": "f_"}


def _form_error(form, exc: DomainError) -> None:
    field = exc.field or ""
    for prefix, replacement in _FIELD_MAP.items():
        if field.startswith(prefix):
            field = replacement + field[len(prefix) :]
    apply_domain_error(form, exc, {exc.field or "": field})


def _closing_for_close_form(definition, actions) -> list[dict]:
    """Closing transitions the "close" form can take (they need nothing beyond a result and a root cause)."""
    if not actions["close"]:
        return []
    return [t for t in actions["transitions"] if t["final"] and set(t["required"]) <= {"result", "root_cause"}]


def _transition_form(order, info, data=None) -> forms.TransitionForm:
    names = set(info["required"]) | set(info["optional"])
    handlers = (
        [(u.username, u.get_full_name() or u.username) for u in services.eligible_handlers(order, info["to"])]
        if "handler" in names
        else ()
    )
    cities = ()
    if "handling_region" in names:
        cities = [
            (r.code, r.display_name)
            for r in Region.objects.filter(level=RegionLevel.CITY).order_by("path")
            if r.pk != order.handling_region_id
        ]
    return forms.TransitionForm(
        info,
        data,
        initial={"version": order.version},
        handlers=handlers,
        cities=cities,
        auto_id=f"t-{info['code']}-%s",
    )


def _action_forms(order: WorkOrder, actions: dict, user) -> dict:
    """The forms of exactly the actions the caller may take now (services.allowed_actions)."""
    definition = order.definition()
    step = definition.step(order.step)
    v = {"version": order.version}
    out: dict = {}
    closing = _closing_for_close_form(definition, actions)
    closing_codes = {t["code"] for t in closing}
    for info in actions["transitions"]:
        if info["final"] and (step.callback or info["code"] in closing_codes):
            continue  # the callback form or the close form does it
        out[f"transition:{info['code']}"] = _transition_form(order, info)
    if closing:
        out["close"] = forms.CloseForm(closing, initial={**v, "transition": closing[0]["code"]}, auto_id="close-%s")
    if actions["callback"]:
        out["callback"] = forms.CallbackForm(initial=v, auto_id="callback-%s")
    if actions["claim"]:
        out["claim"] = forms.VersionForm(initial=v, auto_id="claim-%s")
    if actions["reply"]:
        out["reply"] = forms.TextForm(auto_id="reply-%s")
    if actions["note"]:
        out["note"] = forms.TextForm(auto_id="note-%s")
    if actions["attach"]:
        out["attach"] = forms.AttachmentForm(auto_id="attach-%s")
    if actions["urge"]:
        out["urge"] = forms.OptionalTextForm(auto_id="urge-%s")
    if actions["supervise"]:
        out["supervise"] = forms.OptionalTextForm(auto_id="supervise-%s")
    if actions["reassign"]:
        handlers = [(u.username, u.get_full_name() or u.username) for u in services.eligible_handlers(order)]
        out["reassign"] = forms.ReassignForm(handlers, initial=v, auto_id="reassign-%s")
    if actions["suspend"]:
        out["suspend"] = forms.ReasonForm(initial=v, auto_id="suspend-%s")
    if actions["resume"]:
        out["resume"] = forms.VersionForm(initial=v, auto_id="resume-%s")
    if actions["withdraw"]:
        out["withdraw"] = forms.ReasonForm(initial=v, auto_id="withdraw-%s")
    if actions["merge"] and order.customer_id:
        out["merge"] = forms.MergeForm(initial=v, auto_id="merge-%s")
    return out


def _bound_form(action: str, order: WorkOrder, request):
    """The posted form of an action, built as the page built it (a transition's fields from its definition)."""
    data = request.POST
    if action == "transition":
        code = data.get("transition", "")
        t = order.definition().transition(order.step, code)
        info = (
            services._transition_info(t, order.definition())
            if t is not None
            else {"code": code, "name": code, "to": "", "final": False, "required": [], "optional": []}
        )
        return f"transition:{code}", _transition_form(order, info, data)
    if action == "close":
        definition = order.definition()
        closing = [services._transition_info(t, definition) for t in definition.closing_transitions(order.step)] or [
            {"code": "", "name": ""}
        ]
        return "close", forms.CloseForm(closing, data, auto_id="close-%s")
    builders = {
        "callback": lambda: forms.CallbackForm(data, auto_id="callback-%s"),
        "claim": lambda: forms.VersionForm(data, auto_id="claim-%s"),
        "resume": lambda: forms.VersionForm(data, auto_id="resume-%s"),
        "reply": lambda: forms.TextForm(data, auto_id="reply-%s"),
        "note": lambda: forms.TextForm(data, auto_id="note-%s"),
        "attach": lambda: forms.AttachmentForm(data, request.FILES, auto_id="attach-%s"),
        "urge": lambda: forms.OptionalTextForm(data, auto_id="urge-%s"),
        "supervise": lambda: forms.OptionalTextForm(data, auto_id="supervise-%s"),
        "suspend": lambda: forms.ReasonForm(data, auto_id="suspend-%s"),
        "withdraw": lambda: forms.ReasonForm(data, auto_id="withdraw-%s"),
        "merge": lambda: forms.MergeForm(data, auto_id="merge-%s"),
        "reassign": lambda: forms.ReassignForm(
            [(u.username, u.username) for u in services.eligible_handlers(order)], data, auto_id="reassign-%s"
        ),
    }
    if action not in builders:
        raise Http404
    return action, builders[action]()


_DONE = {
    "transition": gettext_lazy("The order moved on."),
    "close": gettext_lazy("The order is closed."),
    "callback": gettext_lazy("The callback is recorded."),
    "claim": gettext_lazy("You are handling this order now."),
    "reply": gettext_lazy("The reply to the customer is recorded."),
    "note": gettext_lazy("The internal note is added."),
    "attach": gettext_lazy("The file is attached."),
    "urge": gettext_lazy("The order was urged."),
    "supervise": gettext_lazy("The order is under supervision."),
    "reassign": gettext_lazy("The order was reassigned."),
    "suspend": gettext_lazy("The order is suspended."),
    "resume": gettext_lazy("The order is resumed."),
    "withdraw": gettext_lazy("The order is withdrawn."),
    "merge": gettext_lazy("The orders were merged into this one."),
}


# title, button, shown open
_PANELS = {
    "close": (gettext_lazy("Close the order"), gettext_lazy("Close"), True),
    "callback": (gettext_lazy("Customer callback"), gettext_lazy("Record the callback"), True),
    "claim": (gettext_lazy("Claim"), gettext_lazy("Claim this order"), True),
    "reply": (gettext_lazy("Reply to the customer"), gettext_lazy("Send the reply"), False),
    "note": (gettext_lazy("Internal note"), gettext_lazy("Add the note"), False),
    "attach": (gettext_lazy("Attach a file"), gettext_lazy("Upload"), False),
    "urge": (gettext_lazy("Urge"), gettext_lazy("Urge"), False),
    "supervise": (gettext_lazy("Supervise"), gettext_lazy("Put under supervision"), False),
    "reassign": (gettext_lazy("Reassign"), gettext_lazy("Reassign"), False),
    "suspend": (gettext_lazy("Suspend"), gettext_lazy("Suspend"), False),
    "resume": (gettext_lazy("Resume"), gettext_lazy("Resume"), True),
    "withdraw": (gettext_lazy("Withdraw"), gettext_lazy("Withdraw the order"), False),
    "merge": (gettext_lazy("Merge orders into this one"), gettext_lazy("Merge"), False),
}


def _perform(action: str, user, order: WorkOrder, form):
    n, d = order.number, form.cleaned_data
    version = d.get("version")
    if action == "transition":
        return services.transition(user, n, d["transition"], version=version, fields=form.transition_fields())
    if action == "close":
        return services.close(
            user, n, version=version, result=d["result"], root_cause=d["root_cause"], transition_code=d["transition"]
        )
    if action == "callback":
        return services.callback(user, n, version=version, satisfaction=d["satisfaction"], note=d["note"])
    if action == "claim":
        return services.claim(user, n, version=version)
    if action == "resume":
        return services.resume(user, n, version=version)
    if action in ("reply", "note"):
        return services.add_note(user, n, d["text"], reply=action == "reply")
    if action == "attach":
        return services.add_attachment(user, n, d["file"])
    if action == "urge":
        return services.urge(user, n, d["text"])
    if action == "supervise":
        return services.supervise(user, n, d["text"])
    if action == "suspend":
        return services.suspend(user, n, version=version, reason=d["reason"])
    if action == "withdraw":
        return services.withdraw(user, n, version=version, reason=d["reason"])
    if action == "merge":
        return services.merge(user, n, form.numbers(), version=version, reason=d["reason"])
    if action == "reassign":
        return services.reassign(user, n, version=version, handler=d["handler"] or None, reason=d["reason"])
    raise Http404


def _after_change(request, order: WorkOrder):
    """Back to the order page, or to my orders when the change took it out of my scope (a transfer)."""
    try:
        services.get_order(request.user, order.number)
    except NotFound:
        return redirect("workorders:mine")
    return redirect("workorders:order", number=order.number)


def _render_order(request, order: WorkOrder, failed=None, error: str = "", status: int = 200):
    masker = Masker(request.user)
    o = presenters.detail(order, request.user, masker)
    action_forms = _action_forms(order, o["actions"], request.user)
    if failed is not None:
        key, form = failed
        action_forms[key] = form
    definition = order.definition()
    step_names = {s.code: s.name for s in definition.steps}
    for e in o["timeline"]:
        e["step_name"] = step_names.get(e["step"], e["step"])
        e["transition_name"] = e["data"].get("name", "")
        e["to_name"] = step_names.get(e["data"].get("to") or "", "")
        given = e["data"].get("satisfaction") or (e["data"].get("fields") or {}).get("satisfaction")
        e["satisfaction_label"] = Satisfaction(given).label if given in Satisfaction.values else ""
    failed_key = failed[0] if failed else ""
    panels = []
    for key, form in action_forms.items():
        action = key.split(":", 1)[0]
        if action == "transition":
            info = form.info
            title = info["name"] + (f" → {info['to_name']}" if info.get("to_name") else "")
            meta = (title, info["name"], True)
        else:
            meta = _PANELS[key]
        panels.append(
            {
                "key": key,
                "action": action,
                "title": meta[0],
                "button": meta[1],
                "primary": meta[2],
                "form": form,
                "open": meta[2] or key == failed_key,
                "multipart": action == "attach",
            }
        )
    context = {
        "o": o,
        "order": order,
        "panels": panels,
        "failed": failed_key,
        "error": error,
        "step": definition.step(order.step),
    }
    return render(request, "workorders/order.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def order_page(request, number: str):
    return _render_order(request, _order_or_404(request.user, number))


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def act(request, number: str, action: str):
    """One action of the order page; refused: the page again with the message in the form (403/409/422)."""
    order = _order_or_404(request.user, number)
    key, form = _bound_form(action, order, request)
    if not form.is_valid():
        return _render_order(request, order, (key, form), _("Check the form."), status=422)
    try:
        _perform(action, request.user, order, form)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404(exc.message) from exc
        order = _order_or_404(request.user, number)
        message = exc.message
        if exc.extra.get("reason") == Reason.STALE_VERSION and "version" in form.fields:
            # keep what was typed, on the current version: the page now shows what changed meanwhile
            data = form.data.copy()
            data[form.add_prefix("version")] = str(order.version)
            form.data = data
            message = _("%(message)s The page now shows the current state; check it and send again.") % {
                "message": exc.message
            }
        _form_error(form, exc)
        return _render_order(request, order, (key, form), message, status=exc.status)
    messages.success(request, _DONE[action])
    return _after_change(request, order)


@login_required
@permission_required(VIEW, raise_exception=True)
def attachment(request, number: str, attachment_id: int):
    try:
        a = services.get_attachment(request.user, number, attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return FileResponse(a.file.open("rb"), as_attachment=True, filename=a.name, content_type=a.content_type)


# ---------------------------------------------------------------------------------------------
# monitoring (WO-4)
# ---------------------------------------------------------------------------------------------


def _monitor_context(user) -> dict:
    data = services.monitor(user)
    names = services.step_names()
    regions = dict(
        (r.code, r.display_name) for r in Region.objects.filter(code__in=[row["key"] for row in data["by_region"]])
    )
    for row in data["by_step"]:
        row["name"] = names.get(row["key"], row["key"])
    for row in data["by_region"]:
        row["name"] = regions.get(row["key"], row["key"])
    masker = Masker(user)
    lists = {}
    for name in ("overdue", "due_soon"):
        orders = services.page(services.search(user, services.Filters(**{name: True})), 0, 200)
        lists[name] = [presenters.summary(o, masker) for o in orders]
    overdue, due_soon = lists["overdue"], lists["due_soon"]
    soon_hours = parameters.get("workorders.due_soon_hours")
    return {"m": data, "overdue": overdue, "due_soon": due_soon, "soon_hours": soon_hours}


@login_required
@permission_required(MONITOR, raise_exception=True)
def monitor(request):
    return render(request, "workorders/monitor.html", {**_monitor_context(request.user), "form": forms.BulkForm()})


@login_required
@permission_required(MONITOR, raise_exception=True)
@require_POST
def bulk(request):
    """A bulk action on the ticked orders: all of them or none (the error names the order)."""
    form = forms.BulkForm(request.POST, numbers=request.POST.getlist("orders"))
    status = 422
    if form.is_valid():
        d = form.cleaned_data
        try:
            done = services.bulk(
                request.user, d["action"], d["orders"], handler=d["handler"] or None, reason=d["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)  # the message names the order that could not
            status = exc.status
        else:
            messages.success(
                request,
                _("%(action)s: %(count)s orders.")
                % {"action": dict(form.fields["action"].choices)[d["action"]], "count": len(done)},
            )
            return redirect("workorders:monitor")
    context = {**_monitor_context(request.user), "form": form, "ticked": set(request.POST.getlist("orders"))}
    return render(request, "workorders/monitor.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# the workflow editor (WO-2)
# ---------------------------------------------------------------------------------------------


def _workflow_or_404(code: str) -> Workflow:
    workflow = Workflow.objects.filter(code=code).first()
    if workflow is None:
        raise Http404
    return workflow


@login_required
@permission_required(PUBLISH, raise_exception=True)
def workflows(request):
    rows = []
    for w in Workflow.objects.prefetch_related("versions", "categories").order_by("code"):
        versions = sorted(w.versions.all(), key=lambda v: -v.number)
        rows.append(
            {
                "workflow": w,
                "published": next((v for v in versions if v.published), None),
                "draft": next((v for v in versions if not v.published), None),
                "versions": versions,
                "categories": sorted(c.display_name for c in w.categories.all()),
            }
        )
    return render(request, "workorders/workflows.html", {"rows": rows})


def _render_workflow(request, workflow: Workflow, number: int | None = None, problems=None, status: int = 200):
    versions = list(workflow.versions.order_by("-number"))
    if number is None:
        chosen = next((v for v in versions if v.published), versions[0] if versions else None)
    else:
        chosen = next((v for v in versions if v.number == number), None)
        if chosen is None:
            raise Http404
    context = {"workflow": workflow, "versions": versions, "version": chosen, "problems": problems or []}
    if chosen is not None:
        parsed = chosen.parsed()
        context.update(
            {
                "svg": diagram(chosen),
                "definition": parsed,
                "mermaid": parsed.mermaid(),
                "json": json.dumps(chosen.definition, ensure_ascii=False, indent=2),
                "order_count": chosen.orders.count(),
            }
        )
        if not chosen.published and problems is None:
            context["problems"] = services.check_definition(chosen.definition)[1]
    return render(request, "workorders/workflow.html", context, status=status)


@login_required
@permission_required(PUBLISH, raise_exception=True)
def workflow(request, code: str):
    number = request.GET.get("v")
    return _render_workflow(request, _workflow_or_404(code), int(number) if (number or "").isdigit() else None)


@login_required
@permission_required(PUBLISH, raise_exception=True)
@require_POST
def publish(request, code: str, number: int):
    workflow = _workflow_or_404(code)
    try:
        version = services.publish(request.user, code, number)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404(exc.message) from exc
        messages.error(request, exc.message)
        return _render_workflow(request, workflow, number, exc.extra.get("problems"), status=exc.status)
    messages.success(
        request, _("Version %(number)s is published: new orders start on it.") % {"number": version.number}
    )
    return redirect(f"{reverse('workorders:workflow', args=[code])}?v={version.number}")


_STEP_FIELDS = {"from": "source", "to": "target"}


def _definition_error(exc: DomainError, meta, steps, transitions, used_steps, used_transitions, from_json):
    """Put a malformed-definition error (field "definition.steps[2].code") on the row that caused it."""
    path = (exc.field or "").removeprefix("definition.").removeprefix("definition")
    if from_json:
        meta.add_error("definition", f"{path}: {exc.message}" if path else exc.message)
        return
    found = re.match(r"^(steps|transitions)\[(\d+)\]\.?(\w*)$", path)
    if found:
        rows = used_steps if found.group(1) == "steps" else used_transitions
        index, name = int(found.group(2)), _STEP_FIELDS.get(found.group(3), found.group(3))
        if index < len(rows):
            form = rows[index]
            form.add_error(name if name in form.fields else None, exc.message)
            return
    if path == "initial":
        meta.add_error("initial", exc.message)
    else:
        meta.add_error(None, f"{path}: {exc.message}" if path else exc.message)


@login_required
@permission_required(PUBLISH, raise_exception=True)
def workflow_edit(request, code: str):
    """The draft editor: steps and transitions as tables (or a JSON definition); "check" shows the
    problems and the diagram without saving, "save" keeps a draft (refused while there are problems)."""
    workflow = _workflow_or_404(code)
    versions = list(workflow.versions.order_by("-number"))
    draft = next((v for v in versions if not v.published), None)
    base = draft or next((v for v in versions if v.published), None)
    problems, svg, status = None, None, 200
    if request.method == "POST":
        meta = forms.WorkflowMetaForm(request.POST)
        steps = forms.StepFormSet(request.POST, prefix="steps")
        transitions = forms.TransitionFormSet(request.POST, prefix="transitions")
        definition, used_steps, used_transitions, from_json = None, [], [], False
        if meta.is_valid():
            text = meta.cleaned_data["definition"].strip()
            if text:
                from_json = True
                try:
                    definition = json.loads(text)
                except ValueError as exc:
                    meta.add_error("definition", _("This is not valid JSON: %(error)s") % {"error": exc})
            elif steps.is_valid() and transitions.is_valid():
                used_steps = [f for f in steps.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]
                used_transitions = [
                    f for f in transitions.forms if f.has_changed() and not f.cleaned_data.get("DELETE")
                ]
                step_defs = [f.as_definition() for f in used_steps]
                definition = {
                    "initial": meta.cleaned_data["initial"].strip() or (step_defs[0]["code"] if step_defs else ""),
                    "steps": step_defs,
                    "transitions": [f.as_definition() for f in used_transitions],
                }
        if definition is not None:
            try:
                parsed, problems = services.check_definition(definition)
            except DomainError as exc:
                _definition_error(exc, meta, steps, transitions, used_steps, used_transitions, from_json)
            else:
                svg = diagram(definition=parsed)
                if request.POST.get("op") == "save" and not problems:
                    try:
                        version = services.save_draft(request.user, code, definition, meta.cleaned_data["note"])
                    except DomainError as exc:
                        messages.error(request, exc.message)
                        status = exc.status
                    else:
                        messages.success(
                            request,
                            _("Draft version %(number)s saved; check it and publish it.") % {"number": version.number},
                        )
                        return redirect(f"{reverse('workorders:workflow', args=[code])}?v={version.number}")
        if problems or meta.errors or steps.total_error_count() or transitions.total_error_count():
            status = 422
        elif request.POST.get("op") == "save" and status == 200:
            status = 422
    else:
        data = base.definition if base else {"initial": "", "steps": [], "transitions": []}
        meta = forms.WorkflowMetaForm(initial={"initial": data.get("initial", ""), "note": draft.note if draft else ""})
        steps = forms.StepFormSet(
            prefix="steps", initial=[forms.StepForm.initial_for(s) for s in data.get("steps", [])]
        )
        transitions = forms.TransitionFormSet(
            prefix="transitions", initial=[forms.TransitionDefForm.initial_for(t) for t in data.get("transitions", [])]
        )
        if base is not None:
            svg = diagram(base)
    context = {
        "workflow": workflow,
        "base": base,
        "draft": draft,
        "meta": meta,
        "steps": steps,
        "transitions": transitions,
        "problems": problems,
        "svg": svg,
        "checked": request.method == "POST",
    }
    return render(request, "workorders/workflow_edit.html", context, status=status)
