"""Forms of the work-order pages: they collect input and show errors; every rule is in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Channel
from kefu.workorders import services
from kefu.workorders.models import Priority, RootCause, Satisfaction

# How the fields a transition asks for are labelled and entered (other fields: a line of text).
FIELD_LABELS = {
    "result": _("Result"),
    "root_cause": _("Root cause"),
    "satisfaction": _("Satisfaction"),
    "reason": _("Reason"),
    "opinion": _("Opinion"),
    "handler": _("Handler"),
    "handling_region": _("Handling city"),
}


def _text(label, required=True, rows=2, max_length=4000):
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


class VersionForm(forms.Form):
    """Every change carries the version the page showed: a stale form is refused (409) and says so."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# -- creating from the customer 360 page ---------------------------------------------------------


def category_choices() -> list[tuple[str, str]]:
    """The active categories in tree order, sub-categories indented."""
    choices = [("", _("Choose a category…"))]
    for c in services.categories():
        depth = c.path.count("/") - 2
        choices.append((c.code, "\u3000" * depth + c.display_name))
    return choices


class CreateOrderForm(forms.Form):
    customer_id = forms.IntegerField(widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("Category"), widget=forms.Select(attrs={"accesskey": "n", "data-hotkey": "n"}))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("By the customer's tier"))] + list(Priority.choices),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.HOTLINE)
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)
    then = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


# -- the order page -------------------------------------------------------------------------------


class TransitionForm(VersionForm):
    """One transition of the current step with the fields it requires (and may take)."""

    def __init__(self, info: dict, *args, handlers=(), cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.info = info
        self.fields["transition"] = forms.CharField(widget=forms.HiddenInput, initial=info["code"])
        optional = list(info["optional"])
        if info.get("final"):  # closing may always record the result and the root cause
            optional += [n for n in ("result", "root_cause") if n not in info["required"] and n not in optional]
        for name in [*info["required"], *optional]:
            self.fields[f"f_{name}"] = _field_for(name, name in info["required"], handlers, cities)

    def transition_fields(self) -> dict:
        return {
            name[2:]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("f_") and value not in ("", None)
        }


def _field_for(name: str, required: bool, handlers, cities) -> forms.Field:
    label = FIELD_LABELS.get(name, name)
    blank = [("", "—")] if not required else [("", _("Choose…"))]
    if name == "result":
        return _text(label, required, rows=3)
    if name == "root_cause":
        return forms.ChoiceField(label=label, required=required, choices=blank + list(RootCause.choices))
    if name == "satisfaction":
        return forms.ChoiceField(label=label, required=required, choices=blank + list(Satisfaction.choices))
    if name in ("reason", "opinion"):
        return _text(label, required)
    if name == "handler":
        empty = [("", _("The group queue"))] if not required else [("", _("Choose…"))]
        return forms.ChoiceField(label=label, required=required, choices=empty + list(handlers))
    if name == "handling_region":
        return forms.ChoiceField(label=label, required=required, choices=blank + list(cities))
    return forms.CharField(label=label, required=required, max_length=4000)


class TextForm(forms.Form):
    text = _text(_("Text"), rows=3)


class OptionalTextForm(forms.Form):
    text = _text(_("Text"), required=False)


class ReasonForm(VersionForm):
    reason = _text(_("Reason"), max_length=500)


class CloseForm(VersionForm):
    transition = forms.ChoiceField(label=_("Closing transition"), required=False)
    result = _text(_("Result"), rows=3)
    root_cause = forms.ChoiceField(label=_("Root cause"), choices=[("", _("Choose…"))] + list(RootCause.choices))

    def __init__(self, closing: list[dict], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transition"].choices = [(t["code"], t["name"]) for t in closing]
        if len(closing) < 2:
            self.fields["transition"].widget = forms.HiddenInput()


class CallbackForm(VersionForm):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    note = _text(_("Callback note"), required=False)


class ReassignForm(VersionForm):
    handler = forms.ChoiceField(label=_("Handler"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, handlers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].choices = [("", _("Back to the group queue"))] + list(handlers)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class MergeForm(VersionForm):
    orders = forms.CharField(
        label=_("Orders to merge into this one"), max_length=1000, help_text=_("Numbers, separated by spaces")
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def numbers(self) -> list[str]:
        return [n.strip().upper() for n in self.cleaned_data["orders"].replace(",", " ").split() if n.strip()]


# -- monitoring -----------------------------------------------------------------------------------


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("reassign", _("Reassign")),
            ("urge", _("Urge")),
            ("suspend", _("Suspend")),
            ("resume", _("Resume")),
            ("withdraw", _("Withdraw")),
        ],
    )
    orders = forms.MultipleChoiceField(label=_("Orders"), required=True)
    handler = forms.CharField(label=_("Handler (username, for reassign)"), required=False, max_length=150)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        # the orders are checked by the service (scope, state); any number may be posted
        self.fields["orders"].choices = [(n, n) for n in numbers]

    def clean_orders(self):
        return self.cleaned_data["orders"]


class QueueFilterForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), required=False)
    region = forms.ChoiceField(label=_("Handling region"), required=False)
    q = forms.CharField(label=_("Number or title"), required=False, max_length=60)

    def __init__(self, *args, steps=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", _("All steps"))] + list(steps)
        self.fields["region"].choices = [("", _("All regions"))] + list(regions)


# -- the workflow editor --------------------------------------------------------------------------


def _codes_text(label):
    return forms.CharField(
        label=label, required=False, max_length=300, help_text=_("Codes separated by commas or spaces")
    )


def split_codes(text: str) -> list[str]:
    return [c for c in text.replace(",", " ").split() if c]


class StepForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), required=False, max_length=60)
    roles = _codes_text(_("Acting roles"))
    skill_group = forms.CharField(label=_("Skill group"), required=False, max_length=40)
    region = forms.ChoiceField(
        label=_("Region rule"),
        choices=[("handling", _("Handling region")), ("accepting", _("Accepting region"))],
        initial="handling",
    )
    hours = forms.FloatField(label=_("Time limit (hours)"), required=False, min_value=0, max_value=8760)
    final = forms.BooleanField(label=_("Final"), required=False)
    handling = forms.BooleanField(label=_("Handling step"), required=False)
    callback = forms.BooleanField(label=_("Callback step"), required=False)

    def as_definition(self) -> dict:
        d = self.cleaned_data
        step = {"code": d["code"].strip(), "name": d["name"].strip(), "name_en": (d["name_en"] or "").strip()}
        if d["final"]:
            step["final"] = True
            return step
        step.update(
            {
                "roles": split_codes(d["roles"]),
                "skill_group": (d["skill_group"] or "").strip(),
                "region": d["region"],
                "hours": d["hours"] or 0,
            }
        )
        if d["handling"]:
            step["handling"] = True
        if d["callback"]:
            step["callback"] = True
        return step

    @staticmethod
    def initial_for(step: dict) -> dict:
        return {
            **{k: step.get(k, "") for k in ("code", "name", "name_en", "skill_group")},
            "roles": ", ".join(step.get("roles", [])),
            "region": step.get("region", "handling"),
            "hours": step.get("hours") or None,
            "final": step.get("final", False),
            "handling": step.get("handling", False),
            "callback": step.get("callback", False),
        }


class TransitionDefForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), required=False, max_length=60)
    source = forms.CharField(label=_("From"), max_length=40)
    target = forms.CharField(label=_("To"), max_length=40)
    required = _codes_text(_("Required fields"))
    optional = _codes_text(_("Optional fields"))

    def as_definition(self) -> dict:
        d = self.cleaned_data
        return {
            "code": d["code"].strip(),
            "name": d["name"].strip(),
            "name_en": (d["name_en"] or "").strip(),
            "from": d["source"].strip(),
            "to": d["target"].strip(),
            "required": split_codes(d["required"]),
            "optional": split_codes(d["optional"]),
        }

    @staticmethod
    def initial_for(t: dict) -> dict:
        return {
            **{k: t.get(k, "") for k in ("code", "name", "name_en")},
            "source": t.get("from", ""),
            "target": t.get("to", ""),
            "required": ", ".join(t.get("required", [])),
            "optional": ", ".join(t.get("optional", [])),
        }


StepFormSet = forms.formset_factory(StepForm, extra=2, can_delete=True, max_num=60, validate_max=True)
TransitionFormSet = forms.formset_factory(TransitionDefForm, extra=3, can_delete=True, max_num=200, validate_max=True)


class WorkflowMetaForm(forms.Form):
    initial = forms.CharField(label=_("First step"), max_length=40)
    note = forms.CharField(label=_("Note on this version"), required=False, max_length=200)
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text=_("Leave empty to use the tables; filled in, it replaces them."),
    )
