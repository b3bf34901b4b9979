"""Forms of the key-account pages (privileges, appointments, customer managers): they read and check the
input's shape and show errors; every business rule is in the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.forms import apply_domain_error
from kefu.core.models import Region
from kefu.core.scope import scope_region_ids
from kefu.keyaccounts.models import AppointmentKind, AppointmentSlot, ContactKind, PartnerService, PlanPeriod
from kefu.warehouse.store import parse_month

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_MSISDN = RegexValidator(r"^1\d{10}$", _("An MSISDN is 11 digits starting with 1."))


def apply_customer_error(form: forms.Form, exc: DomainError) -> None:
    """As `apply_domain_error`; a customer not found (or refused) from the typed number is shown at the number."""
    aliases = {"subscriber": "msisdn"}
    if exc.code == ErrorCode.NOT_FOUND:
        aliases[""] = "msisdn"
    apply_domain_error(form, exc, aliases)


def msisdn_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("MSISDN"),
        max_length=11,
        required=required,
        validators=[_MSISDN],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def staff_in_scope(user, role: str):
    """Active staff of a role whose region lies in `user`'s data scope."""
    qs = get_user_model().objects.filter(groups__name=role, is_active=True).order_by("username")
    ids = scope_region_ids(user)
    return qs if ids is None else qs.filter(region_id__in=ids)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, slot) -> str:
        start = timezone.localtime(slot.starts_at)
        return f"{start:%Y-%m-%d %H:%M}–{timezone.localtime(slot.ends_at):%H:%M} · {slot.get_kind_display()} · " + str(
            _("%(place)s, %(free)d of %(capacity)d free")
            % {"place": slot.region.display_name, "free": slot.capacity - slot.booked, "capacity": slot.capacity}
        )


# --- green channel --------------------------------------------------------------------------------------


class GreenChannelRequestForm(forms.Form):
    msisdn = msisdn_field()
    service = forms.CharField(label=_("Service wanted"), max_length=200)
    wanted_at = forms.DateTimeField(label=_("Wanted at"), widget=_DATETIME)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


# --- partners ------------------------------------------------------------------------------------------


class PartnerForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        validators=[RegexValidator(r"^[a-z0-9-]{2,40}$", _("2 to 40 lower-case letters, digits or hyphens."))],
    )
    name = forms.CharField(label=_("Name"), max_length=80)
    service = forms.ChoiceField(label=_("Service"), choices=PartnerService.choices)
    price_yuan = forms.DecimalField(
        label=_("Price per person (yuan)"), min_value=Decimal(0), max_digits=9, decimal_places=2, initial=0
    )

    def price_fen(self) -> int:
        return int(self.cleaned_data["price_yuan"] * 100)


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self):
        try:
            return parse_month(self.cleaned_data["month"])
        except ValueError:
            raise forms.ValidationError(_("A month is written YYYY-MM, e.g. 2026-10.")) from None


# --- appointments --------------------------------------------------------------------------------------


def bookable_slots(user, kind: str | None = None):
    """Slots of the user's scope that have not begun."""
    qs = AppointmentSlot.objects.restrict(user).select_related("region").filter(starts_at__gt=timezone.now())
    return qs.filter(kind=kind) if kind else qs


class SlotForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AppointmentKind.choices)
    region = forms.ModelChoiceField(label=_("Place"), queryset=Region.objects.none())
    manager = StaffChoiceField(
        label=_("Customer manager"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("For a manager visit."),
    )
    starts_at = forms.DateTimeField(label=_("Starts"), widget=_DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=_DATETIME)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=1000, initial=1)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = scope_region_ids(user)
        regions = Region.objects.order_by("path")
        self.fields["region"].queryset = regions if ids is None else regions.filter(pk__in=ids)
        self.fields["manager"].queryset = staff_in_scope(user, "manager")


class BookForm(forms.Form):
    msisdn = msisdn_field()
    slot = SlotChoiceField(label=_("Slot"), queryset=AppointmentSlot.objects.none())
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = bookable_slots(user)


class RescheduleForm(forms.Form):
    slot = SlotChoiceField(label=_("Slot"), queryset=AppointmentSlot.objects.none())

    def __init__(self, user, appointment, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = bookable_slots(user, appointment.slot.kind).exclude(pk=appointment.slot_id)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


# --- customer managers ---------------------------------------------------------------------------------


class PlanForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PlanPeriod.choices)
    starts_on = forms.DateField(label=_("Starts on"), widget=_DATE)
    goals = forms.CharField(label=_("Goals"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    target_visits = forms.IntegerField(label=_("Visits planned"), min_value=0, initial=0, required=False)
    target_calls = forms.IntegerField(label=_("Calls planned"), min_value=0, initial=0, required=False)

    def clean_target_visits(self):
        return self.cleaned_data["target_visits"] or 0

    def clean_target_calls(self):
        return self.cleaned_data["target_calls"] or 0


class PlanEditForm(PlanForm):
    """The period and its start name the plan: only its goals and targets change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("period", "starts_on"):
            self.fields[name].disabled = True


class WorkLogForm(forms.Form):
    msisdn = msisdn_field()
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    at = forms.DateTimeField(label=_("Time"), required=False, widget=_DATETIME, help_text=_("Empty: now."))
    summary = forms.CharField(label=_("Summary"), max_length=300)


class TaskForm(forms.Form):
    manager = StaffChoiceField(label=_("Customer manager"), queryset=get_user_model().objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline = forms.DateField(label=_("Deadline"), widget=_DATE)
    msisdn = msisdn_field(required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = staff_in_scope(user, "manager")
        self.fields["msisdn"].help_text = _("Optional: the customer the task is about.")


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class EvaluationForm(forms.Form):
    evaluation = forms.TypedChoiceField(
        label=_("Evaluation"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)]
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
