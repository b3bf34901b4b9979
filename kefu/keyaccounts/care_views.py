"""Care pages, thin over `appointments` and `managers`: appointment slots and bookings (KA-4); the customer
manager's work plans, daily work log and tasks — dispatched by a team leader, progressed by the manager,
evaluated by the leader (KA-6)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.core.scope import scope_region_ids
from kefu.customers import services as customers
from kefu.keyaccounts import appointments, managers
from kefu.keyaccounts.forms import (
    BookForm,
    CancelForm,
    EvaluationForm,
    PlanEditForm,
    PlanForm,
    ProgressForm,
    RescheduleForm,
    SlotForm,
    TaskForm,
    WorkLogForm,
    apply_customer_error,
    bookable_slots,
    staff_in_scope,
)
from kefu.keyaccounts.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    ManagerTask,
    TaskStatus,
    WorkLog,
    WorkPlan,
)
from kefu.keyaccounts.page_helpers import any_permission, form_status

BOOK = "keyaccounts.book_appointment"
VIEW_APPOINTMENTS = "keyaccounts.view_appointment"
LOG = "keyaccounts.add_worklog"  # customer managers
VIEW_LOG = "keyaccounts.view_worklog"
DISPATCH = "keyaccounts.dispatch_managertask"


# --- appointments ----------------------------------------------------------------------------------------


def _appointments(user):
    return Appointment.objects.restrict(user).select_related(
        "subscriber", "slot__region", "slot__manager", "created_by"
    )


def _appointment_row(a: Appointment, masker: Masker) -> dict:
    return {
        "id": a.pk,
        "name": a.subscriber.name,
        "msisdn": masker.msisdn(a.subscriber.msisdn),
        "status": a.status,
        "status_label": a.get_status_display(),
        "slot": a.slot,
        "description": a.description,
        "created_by": a.created_by,
        "created_at": a.created_at,
    }


@login_required
@permission_required(BOOK, raise_exception=True)
def appointment_list(request):
    """Book a slot for a customer; the coming appointments of the caller's scope."""
    user = request.user
    form = BookForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                subscriber = customers.get_on_net(user, d["msisdn"])
                booked = appointments.book(user, subscriber, d["slot"].pk, d["description"])
            except DomainError as exc:
                apply_customer_error(form, exc)
                status = form_status(exc)
            else:
                messages.success(request, _("Appointment booked."))
                return redirect("keyaccounts:appointment", booked.pk)
    masker = Masker(user)
    coming = _appointments(user).filter(status=AppointmentStatus.BOOKED, slot__starts_at__gt=timezone.now())
    context = {
        "form": form,
        "rows": [_appointment_row(a, masker) for a in coming.order_by("slot__starts_at", "id")[:200]],
    }
    return render(request, "keyaccounts/appointments.html", context, status=status)


@login_required
@permission_required(BOOK, raise_exception=True)
def slot_list(request):
    """The coming slots of the caller's scope (booked of capacity) and a form for a new slot."""
    user = request.user
    form = SlotForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                slot = appointments.create_slot(
                    user, d["kind"], d["region"], d["starts_at"], d["ends_at"], d["capacity"], d["manager"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Slot created."))
                return redirect("keyaccounts:slot", slot.pk)
    slots = bookable_slots(user).select_related("manager")[:300]
    return render(request, "keyaccounts/slots.html", {"form": form, "slots": slots}, status=status)


@login_required
@any_permission(BOOK, VIEW_APPOINTMENTS)
def slot_page(request, slot_id: int):
    """A slot and who booked it (numbers masked)."""
    slot = get_object_or_404(
        AppointmentSlot.objects.restrict(request.user).select_related("region", "manager"), pk=slot_id
    )
    return _render_slot(request, slot)


def _render_slot(request, slot: AppointmentSlot, error: DomainError | None = None, status: int = 200):
    masker = Masker(request.user)
    rows = [_appointment_row(a, masker) for a in _appointments(request.user).filter(slot=slot).order_by("id")]
    # bookings of customers outside the caller's scope are not listed but still keep the slot
    may_withdraw = request.user.has_perm(BOOK) and not slot.appointments.exists()
    context = {"slot": slot, "rows": rows, "may_withdraw": may_withdraw, "error": error}
    return render(request, "keyaccounts/slot.html", context, status=status)


@login_required
@permission_required(BOOK, raise_exception=True)
@require_POST
def slot_withdraw(request, slot_id: int):
    """Take back a slot nobody booked."""
    slot = get_object_or_404(
        AppointmentSlot.objects.restrict(request.user).select_related("region", "manager"), pk=slot_id
    )
    try:
        appointments.withdraw_slot(request.user, slot)
    except DomainError as exc:
        return _render_slot(request, slot, exc, exc.status)
    messages.success(request, _("Slot withdrawn."))
    return redirect("keyaccounts:slots")


def _render_appointment(request, appointment: Appointment, reschedule=None, cancel=None, status: int = 200):
    user = request.user
    active = appointment.status == AppointmentStatus.BOOKED and user.has_perm(BOOK)
    context = {
        "a": _appointment_row(appointment, Masker(user)),
        # a refused form is shown with its reason even when the appointment no longer allows the action
        "reschedule": reschedule or (RescheduleForm(user, appointment) if active else None),
        "cancel": cancel or (CancelForm() if active else None),
    }
    return render(request, "keyaccounts/appointment.html", context, status=status)


@login_required
@any_permission(BOOK, VIEW_APPOINTMENTS)
def appointment_page(request, appointment_id: int):
    return _render_appointment(request, get_object_or_404(_appointments(request.user), pk=appointment_id))


@login_required
@permission_required(BOOK, raise_exception=True)
@require_POST
def appointment_action(request, appointment_id: int, action: str):
    user = request.user
    appointment = get_object_or_404(_appointments(user), pk=appointment_id)
    if action == "reschedule":
        form = RescheduleForm(user, appointment, request.POST)
        forms = {"reschedule": form}
    elif action == "cancel":
        form = CancelForm(request.POST)
        forms = {"cancel": form}
    else:
        raise Http404
    if not form.is_valid():
        return _render_appointment(request, appointment, **forms, status=422)
    try:
        if action == "reschedule":
            appointments.reschedule(user, appointment, form.cleaned_data["slot"].pk)
            messages.success(request, _("Appointment moved."))
        else:
            appointments.cancel(user, appointment, form.cleaned_data["reason"])
            messages.success(request, _("Appointment cancelled."))
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _render_appointment(request, appointment, **forms, status=exc.status)
    return redirect("keyaccounts:appointment", appointment.pk)


# --- work plans ------------------------------------------------------------------------------------------


@login_required
@permission_required(LOG, raise_exception=True)
def plan_list(request):
    """The manager's own plans (year, month, week) and a form for a new one."""
    form = PlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                plan = managers.create_plan(request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Plan saved."))
                return redirect("keyaccounts:plan", plan.pk)
    plans = WorkPlan.objects.filter(manager=request.user)[:200]
    return render(request, "keyaccounts/plans.html", {"form": form, "plans": plans}, status=status)


@login_required
@permission_required(LOG, raise_exception=True)
def plan_page(request, plan_id: int):
    """Edit one's own plan: its goals and targets."""
    plan = get_object_or_404(WorkPlan, pk=plan_id, manager=request.user)
    initial = {f: getattr(plan, f) for f in ("period", "starts_on", "goals", "target_visits", "target_calls")}
    form = PlanEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                managers.update_plan(request.user, plan, d["goals"], d["target_visits"], d["target_calls"])
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Plan saved."))
                return redirect("keyaccounts:plans")
    return render(request, "keyaccounts/plan.html", {"form": form, "plan": plan}, status=status)


# --- daily work log --------------------------------------------------------------------------------------


@login_required
@any_permission(LOG, VIEW_LOG)
def work_log(request):
    """A manager logs visits, calls and care and reads their log; leaders read the log of the managers of
    their scope (one manager at a time if they choose)."""
    user = request.user
    form, status = None, 200
    if user.has_perm(LOG):
        form = WorkLogForm(request.POST or None)
        if request.method == "POST":
            status = 422
            if form.is_valid():
                d = form.cleaned_data
                try:
                    subscriber = customers.get_on_net(user, d["msisdn"])
                    managers.log_contact(user, subscriber, d["kind"], d["summary"], d["at"])
                except DomainError as exc:
                    apply_customer_error(form, exc)
                    status = form_status(exc)
                else:
                    messages.success(request, _("Contact logged."))
                    return redirect("keyaccounts:worklog")
    elif request.method == "POST":
        raise PermissionDenied
    entries = WorkLog.objects.restrict(user).select_related("subscriber", "manager")
    team, chosen = [], request.GET.get("manager", "")
    if user.has_perm(VIEW_LOG):
        team = staff_in_scope(user, "manager")
        entries = entries.filter(manager__in=team)
        if chosen:
            entries = entries.filter(manager__username=chosen)
    else:
        entries = entries.filter(manager=user)
    masker = Masker(user)
    rows = [
        {
            "at": e.at,
            "manager": e.manager,
            "name": e.subscriber.name,
            "subscriber_id": e.subscriber_id,
            "msisdn": masker.msisdn(e.subscriber.msisdn),
            "kind": e.get_kind_display(),
            "summary": e.summary,
        }
        for e in entries[:300]
    ]
    context = {"form": form, "rows": rows, "team": team, "chosen": chosen}
    return render(request, "keyaccounts/worklog.html", context, status=status)


# --- tasks -----------------------------------------------------------------------------------------------


def _tasks(user):
    """A manager's own tasks; a dispatcher's: those of the managers of their scope."""
    qs = ManagerTask.objects.select_related("manager", "dispatched_by", "subscriber")
    if not user.has_perm(DISPATCH):
        return qs.filter(manager=user)
    ids = scope_region_ids(user)
    return qs if ids is None else qs.filter(manager__region_id__in=ids)


@login_required
@any_permission(LOG, DISPATCH)
def task_list(request):
    user = request.user
    form, status = None, 200
    if user.has_perm(DISPATCH):
        form = TaskForm(user, request.POST or None)
        if request.method == "POST":
            status = 422
            if form.is_valid():
                d = form.cleaned_data
                try:
                    subscriber = customers.get_on_net(user, d["msisdn"]) if d["msisdn"] else None
                    task = managers.dispatch_task(user, d["manager"], d["title"], d["deadline"], subscriber)
                except DomainError as exc:
                    apply_customer_error(form, exc)
                    status = form_status(exc)
                else:
                    messages.success(request, _("Task dispatched."))
                    return redirect("keyaccounts:task", task.pk)
    elif request.method == "POST":
        raise PermissionDenied
    wanted = request.GET.get("status", "")
    tasks = _tasks(user)
    if wanted in TaskStatus.values:
        tasks = tasks.filter(status=wanted)
    context = {
        "form": form,
        "tasks": tasks[:300],
        "statuses": TaskStatus.choices,
        "wanted": wanted,
        "today": timezone.localdate(),
    }
    return render(request, "keyaccounts/tasks.html", context, status=status)


def _render_task(request, task: ManagerTask, progress=None, evaluation=None, status: int = 200):
    user = request.user
    may_progress = task.status == TaskStatus.OPEN and task.manager_id == user.pk
    may_evaluate = task.status == TaskStatus.DONE and user.has_perm(DISPATCH)
    subscriber = None
    if task.subscriber is not None:
        subscriber = {
            "id": task.subscriber_id,
            "name": task.subscriber.name,
            "msisdn": Masker(user).msisdn(task.subscriber.msisdn),
        }
    context = {
        "task": task,
        "subscriber": subscriber,
        # a refused form is shown with its reason even when the task no longer allows the action
        "progress": progress or (ProgressForm(initial={"progress": task.progress}) if may_progress else None),
        "evaluation": evaluation or (EvaluationForm() if may_evaluate else None),
        "today": timezone.localdate(),
    }
    return render(request, "keyaccounts/task.html", context, status=status)


@login_required
@any_permission(LOG, DISPATCH)
def task_page(request, task_id: int):
    return _render_task(request, get_object_or_404(_tasks(request.user), pk=task_id))


@login_required
@any_permission(LOG, DISPATCH)
@require_POST
def task_action(request, task_id: int, action: str):
    user = request.user
    task = get_object_or_404(_tasks(user), pk=task_id)
    if action == "progress":
        form = ProgressForm(request.POST)
        forms = {"progress": form}
    elif action == "evaluate":
        form = EvaluationForm(request.POST)
        forms = {"evaluation": form}
    else:
        raise Http404
    if not form.is_valid():
        return _render_task(request, task, **forms, status=422)
    d = form.cleaned_data
    try:
        if action == "progress":
            managers.report_progress(user, task, d["progress"], d["note"])
            messages.success(request, _("Progress saved."))
        else:
            managers.evaluate_task(user, task, d["evaluation"], d["note"])
            messages.success(request, _("Task evaluated."))
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _render_task(request, task, **forms, status=exc.status)
    return redirect("keyaccounts:task", task.pk)
