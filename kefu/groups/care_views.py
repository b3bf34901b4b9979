"""Group care pages (thin over service_plans, standards, products, events): the service plan, logging a
service contact and a survey answer on a group, the standards dashboard, the product catalogue and a group's
subscriptions, promotion plans and the monthly promotion report (page and xlsx), trainings, on-site service
events and their surveys. `panel(user, group)` is the context of `groups/care_panel.html`, the care part of
the group page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.forms import apply_domain_error
from kefu.core.masking import Masker
from kefu.core.models import Region
from kefu.core.scope import scope_region_ids
from kefu.groups import events, products, service_plans, standards
from kefu.groups import services as group_services
from kefu.groups.models import (
    GroupContact,
    GroupGrade,
    GroupProduct,
    GroupSubscription,
    GroupSurvey,
    PlanPeriod,
    ServiceKind,
    ServicePlanItem,
)

VIEW = service_plans.VIEW
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _group_or_404(user, code: str):
    try:
        return group_services.get_group(user, code)
    except DomainError:
        raise Http404 from None


def _contact_choices(group) -> list[tuple[str, str]]:
    people = GroupContact.objects.filter(group=group, active=True).order_by("-is_primary", "name")
    return [("", "—"), *((str(c.pk), f"{c.name} ({c.get_role_display()})") for c in people)]


def _staff_choices(user) -> list[tuple[str, str]]:
    return [
        (u.username, f"{u.get_full_name() or u.username} ({u.username})")
        for u in products.staff_in_scope(user).order_by("username")[:500]
    ]


def _region_choices(user) -> list[tuple[str, str]]:
    ids = scope_region_ids(user)
    qs = Region.objects.all() if ids is None else Region.objects.filter(pk__in=ids)
    return [(r.code, r.display_name) for r in qs.order_by("path")]


def _product_choices(blank: bool = False) -> list[tuple[str, str]]:
    choices = [(p.code, p.name) for p in products.catalogue()]
    return [("", "—"), *choices] if blank else choices


def _status(form: forms.Form) -> int:
    return 422 if form.is_bound and form.errors else 200


def panel(user, group) -> dict:
    """The care part of the group page: plan progress, recent contacts, surveys, products, events."""
    return {
        "group": group,
        "progress": service_plans.plan_progress(group),
        "recent": service_plans.recent_contacts(group, 5),
        "surveys": GroupSurvey.objects.filter(group=group).select_related("contact")[:5],
        "subscriptions": products.subscriptions(group, open_only=True),
        "events": events.events(user).filter(group=group)[:5],
        "may_log": user.has_perm(service_plans.LOG_CONTACT),
        "may_survey": user.has_perm(standards.ADD_SURVEY),
        "may_subscribe": user.has_perm(products.SUBSCRIBE),
        "may_add_event": user.has_perm(events.ADD_EVENT),
    }


# --- service plan and contacts ----------------------------------------------------------------------------


class PlanItemForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=GroupGrade.choices)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ServiceKind.choices)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PlanPeriod.choices)
    times = forms.IntegerField(label=gettext_lazy("Times per period"), min_value=0, max_value=service_plans.MAX_TIMES)


@login_required
@permission_required(VIEW, raise_exception=True)
def service_plan(request):
    """The service plan per grade; administrators change a line."""
    user = request.user
    may_edit = user.has_perm(service_plans.EDIT_PLAN)
    form = PlanItemForm(request.POST or None)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                service_plans.set_plan_item(user, d["grade"], d["kind"], d["period"], d["times"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Service plan saved."))
                return redirect("groups:care_plan")
    items = {(i.grade, i.kind): i for i in ServicePlanItem.objects.all()}
    rows = [
        {
            "kind": kind,
            "label": label,
            "grades": [(grade, items.get((grade, kind))) for grade in GroupGrade.values],
        }
        for kind, label in ServiceKind.choices
    ]
    context = {"rows": rows, "form": form, "may_edit": may_edit, "periods": PlanPeriod.choices}
    return render(request, "groups/care_plan.html", context, status=_status(form))


class ContactLogForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ServiceKind.choices)
    at = forms.DateTimeField(label=gettext_lazy("Time"), widget=_DATETIME)
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
    initial = {"at": timezone.localtime().replace(second=0, microsecond=0), "kind": request.GET.get("kind")}
    form = ContactLogForm(group, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                service_plans.log_contact(user, group, d["kind"], d["at"], d["summary"], int(d["contact"] or 0) or None)
            except DomainError as exc:
                status = apply_domain_error(form, exc)
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


# --- surveys and standards ----------------------------------------------------------------------------------


class SurveyForm(forms.Form):
    surveyed_on = forms.DateField(label=gettext_lazy("Surveyed on"), widget=_DATE)
    contact = forms.ChoiceField(label=gettext_lazy("Contact person"), required=False)
    satisfied = forms.TypedChoiceField(
        label=gettext_lazy("Satisfied"),
        choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
        coerce=lambda v: v == "yes",
    )
    aware = forms.TypedChoiceField(
        label=gettext_lazy("Knows the group's offers and services"),
        choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
        coerce=lambda v: v == "yes",
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=300, required=False)

    def __init__(self, group, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = _contact_choices(group)


@login_required
@permission_required(standards.ADD_SURVEY, raise_exception=True)
def survey(request, code: str):
    """Record a contact person's survey answer (satisfaction, awareness); the group's recent answers."""
    user = request.user
    group = _group_or_404(user, code)
    form = SurveyForm(group, request.POST or None, initial={"surveyed_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                standards.record_survey(
                    user,
                    group,
                    d["surveyed_on"],
                    d["satisfied"],
                    d["aware"],
                    int(d["contact"] or 0) or None,
                    d["comment"],
                )
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Survey answer recorded."))
                return redirect("groups:care_survey", group.code)
    answers = GroupSurvey.objects.filter(group=group).select_related("contact", "staff")[:50]
    return render(request, "groups/care_survey.html", {"group": group, "form": form, "answers": answers}, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def standards_page(request):
    """The standards dashboard: each figure per grade, by city and by customer manager, misses marked."""
    period = request.GET.get("period", "")
    error, status = None, 200
    try:
        report = standards.measure(request.user, period or None)
    except DomainError as exc:
        error, status = exc, 422
        report = standards.measure(request.user, None)
    return render(request, "groups/care_standards.html", {"report": report, "error": error}, status=status)


# --- products, promotion plans, trainings -------------------------------------------------------------------


class SubscriptionForm(forms.Form):
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    started_on = forms.DateField(label=gettext_lazy("Started"), widget=_DATE)
    ended_on = forms.DateField(label=gettext_lazy("Ends"), widget=_DATE, required=False)
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity (lines or seats)"), min_value=1, max_value=products.MAX_QUANTITY, initial=1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _product_choices()


@login_required
@permission_required(VIEW, raise_exception=True)
def group_products(request, code: str):
    """A group's product subscriptions; customer managers add one or end one."""
    user = request.user
    group = _group_or_404(user, code)
    may_subscribe = user.has_perm(products.SUBSCRIBE)
    form = SubscriptionForm(
        request.POST if request.method == "POST" and request.POST.get("action") == "subscribe" else None,
        initial={"started_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        if not may_subscribe:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "end":
                chosen = request.POST.get("subscription", "")
                sub = GroupSubscription.objects.filter(group=group, pk=chosen).first() if chosen.isdigit() else None
                if sub is None:
                    raise Http404
                ended = forms.DateField().clean(request.POST.get("ended_on") or None)
                products.end_subscription(user, sub, ended)
                messages.success(request, _("Subscription ended."))
                return redirect("groups:care_products", group.code)
            if not form.is_bound:
                raise forms.ValidationError(_("Add a subscription or end one."))
            if form.is_valid():
                d = form.cleaned_data
                product = products.get_product(d["product"])
                products.subscribe(user, group, product, d["started_on"], d["quantity"], d["ended_on"])
                messages.success(request, _("Subscription added."))
                return redirect("groups:care_products", group.code)
            status = 422
        except forms.ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 422
        except DomainError as exc:
            if form.is_bound:
                status = apply_domain_error(form, exc)
            else:
                messages.error(request, exc.message)
                status = 422 if exc.code == ErrorCode.INVALID else exc.status
    context = {
        "group": group,
        "form": form,
        "may_subscribe": may_subscribe,
        "subscriptions": products.subscriptions(group),
        "today": timezone.localdate(),
    }
    return render(request, "groups/care_products.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def catalogue(request):
    counts = {}
    for sub in (
        GroupSubscription.objects.restrict(request.user)
        .filter(ended_on__isnull=True)
        .values_list("product_id", flat=True)
    ):
        counts[sub] = counts.get(sub, 0) + 1
    rows = [{"product": p, "open": counts.get(p.pk, 0)} for p in GroupProduct.objects.all()]
    return render(request, "groups/care_catalogue.html", {"rows": rows})


class PromotionPlanForm(forms.Form):
    product = forms.ChoiceField(label=gettext_lazy("Product"))
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)
    target_subscriptions = forms.IntegerField(
        label=gettext_lazy("Target (new subscriptions)"), min_value=0, max_value=products.MAX_QUANTITY
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _product_choices()
        self.fields["region"].choices = _region_choices(user)


@login_required
@permission_required(products.VIEW_PLANS, raise_exception=True)
def promotion(request):
    """The month's promotion plans and report (per product and city); leaders set targets; xlsx download."""
    user = request.user
    error, status = None, 200
    try:
        month = products.parse_month(request.GET.get("month"))
    except DomainError as exc:
        error, status, month = exc, 422, products.parse_month(None)
    may_plan = user.has_perm(products.ADD_PLAN)
    form = PromotionPlanForm(user, request.POST or None, initial={"month": f"{month:%Y-%m}"})
    if request.method == "POST":
        if not may_plan:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                plan = products.set_promotion_target(
                    user,
                    products.get_product(d["product"]),
                    products.region_in_scope(user, d["region"]),
                    products.parse_month(d["month"]),
                    d["target_subscriptions"],
                    d["note"],
                )
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Promotion target saved."))
                return redirect(f"{request.path}?month={plan.month:%Y-%m}")
    context = {
        "month": f"{month:%Y-%m}",
        "report": products.promotion_report(user, month),
        "plans": products.promotion_plans(user, month),
        "form": form,
        "may_plan": may_plan,
        "error": error,
    }
    return render(request, "groups/care_promotion.html", context, status=status)


@login_required
@permission_required(products.VIEW_PLANS, raise_exception=True)
def promotion_xlsx(request):
    try:
        month = products.parse_month(request.GET.get("month"))
    except DomainError as exc:
        return HttpResponse(exc.message, status=422, content_type="text/plain; charset=utf-8")
    report = products.promotion_report(request.user, month)
    response = HttpResponse(
        products.promotion_report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="group-promotion-{report["month"]}.xlsx"'
    return response


class TrainingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    product = forms.ChoiceField(label=gettext_lazy("Product"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=_DATE)
    trainer = forms.CharField(label=gettext_lazy("Trainer"), max_length=60)
    attendees = forms.MultipleChoiceField(label=gettext_lazy("Attendees"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _product_choices(blank=True)
        self.fields["region"].choices = _region_choices(user)
        self.fields["attendees"].choices = _staff_choices(user)


@login_required
@permission_required(products.VIEW_TRAININGS, raise_exception=True)
def training_list(request):
    user = request.user
    may_add = user.has_perm(products.ADD_TRAINING)
    form = TrainingForm(user, request.POST or None, initial={"held_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                products.record_training(
                    user,
                    d["title"],
                    products.region_in_scope(user, d["region"]),
                    d["held_on"],
                    d["trainer"],
                    products.get_product(d["product"]) if d["product"] else None,
                    products.resolve_staff(user, d["attendees"], "attendees"),
                    d["note"],
                )
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Training recorded."))
                return redirect("groups:care_trainings")
    context = {"form": form, "may_add": may_add, "sessions": products.trainings(user)[:200]}
    return render(request, "groups/care_trainings.html", context, status=status)


# --- on-site service events -----------------------------------------------------------------------------------


class EventForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=_DATE)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=120)
    staff = forms.MultipleChoiceField(label=gettext_lazy("Staff"), required=False)
    new_lines = forms.IntegerField(label=gettext_lazy("New lines opened"), min_value=0, initial=0)
    vpmn_joins = forms.IntegerField(label=gettext_lazy("VPMN joins"), min_value=0, initial=0)
    demonstrations = forms.CharField(label=gettext_lazy("Products demonstrated"), max_length=300, required=False)
    other_work = forms.CharField(label=gettext_lazy("Other work done"), max_length=300, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = _staff_choices(user)


@login_required
@permission_required(events.ADD_EVENT, raise_exception=True)
def event_new(request, code: str):
    user = request.user
    group = _group_or_404(user, code)
    form = EventForm(user, request.POST or None, initial={"held_on": timezone.localdate(), "staff": [user.username]})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                event = events.record_event(
                    user,
                    group,
                    d["held_on"],
                    d["place"],
                    products.resolve_staff(user, d["staff"], "staff"),
                    d["new_lines"],
                    d["vpmn_joins"],
                    d["demonstrations"],
                    d["other_work"],
                )
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Service event recorded."))
                return redirect("groups:care_event", event.pk)
    return render(request, "groups/care_event_new.html", {"group": group, "form": form}, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def event_list(request):
    qs = events.events(request.user)
    if request.GET.get("group"):
        qs = qs.filter(group__code=request.GET["group"])
    rows = [{"event": e, "summary": events.summary(e)} for e in qs[:200]]
    return render(request, "groups/care_events.html", {"rows": rows})


class EventSurveyForm(forms.Form):
    participant = forms.CharField(label=gettext_lazy("Participant"), max_length=60)
    msisdn = forms.CharField(label=gettext_lazy("Mobile number (optional)"), max_length=11, required=False)
    score = forms.TypedChoiceField(
        label=gettext_lazy("Satisfaction (1–5)"), choices=[(str(n), str(n)) for n in range(5, 0, -1)], coerce=int
    )
    needs = forms.CharField(label=gettext_lazy("Needs expressed"), max_length=300, required=False)
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=300, required=False)


@login_required
@permission_required(VIEW, raise_exception=True)
def event_page(request, event_id: int):
    """An event: the work done, the survey summary and answers (numbers masked); add an answer."""
    user = request.user
    try:
        event = events.get_event(user, event_id)
    except DomainError:
        raise Http404 from None
    may_answer = user.has_perm(events.ADD_EVENT)
    form = EventSurveyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            try:
                events.add_survey(user, event, d["participant"], d["score"], d["needs"], d["comment"], d["msisdn"])
            except DomainError as exc:
                status = apply_domain_error(form, exc)
            else:
                messages.success(request, _("Survey answer recorded."))
                return redirect("groups:care_event", event.pk)
    context = {
        "event": event,
        "summary": events.summary(event),
        "answers": events.survey_rows(event, Masker(user)),
        "form": form,
        "may_answer": may_answer,
    }
    return render(request, "groups/care_event.html", context, status=status)


urlpatterns = [
    path("care/service-plan/", service_plan, name="care_plan"),
    path("care/", standards_page, name="care"),
    path("care/standards/", standards_page, name="care_standards"),
    path("care/catalogue/", catalogue, name="care_catalogue"),
    path("care/promotion/", promotion, name="care_promotion"),
    path("care/promotion/report.xlsx", promotion_xlsx, name="care_promotion_xlsx"),
    path("care/trainings/", training_list, name="care_trainings"),
    path("care/events/", event_list, name="care_events"),
    path("care/events/<int:event_id>/", event_page, name="care_event"),
    path("care/g/<str:code>/log/", contact_log, name="care_log"),
    path("care/g/<str:code>/survey/", survey, name="care_survey"),
    path("care/g/<str:code>/products/", group_products, name="care_products"),
    path("care/g/<str:code>/events/new/", event_new, name="care_event_new"),
]
