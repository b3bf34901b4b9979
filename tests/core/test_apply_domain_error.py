"""A service's refusal shown on a page's form (kefu.core.forms.apply_domain_error): at the field it names, under
the form's own name for it, or above the form when the form does not show that field; 422 for bad input."""

from django import forms

from kefu.core.errors import DomainError, ErrorCode
from kefu.core.forms import apply_domain_error


class _Form(forms.Form):
    price_yuan = forms.IntegerField()
    version = forms.IntegerField(widget=forms.HiddenInput)


def _shown(exc, aliases=None):
    form = _Form({"price_yuan": "1", "version": "1"})
    form.is_valid()
    status = apply_domain_error(form, exc, aliases)
    return status, {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def test_at_the_named_field_under_the_forms_name_for_it():
    exc = DomainError(ErrorCode.INVALID, "too dear", field="price_fen")
    assert _shown(exc, {"price_fen": "price_yuan"}) == (422, {"price_yuan": ["too dear"]})


def test_above_the_form_when_the_field_is_hidden_or_absent():
    stale = DomainError(ErrorCode.CONFLICT, "changed meanwhile", field="version")
    assert _shown(stale) == (409, {"__all__": ["changed meanwhile"]})
    assert _shown(DomainError(ErrorCode.NOT_FOUND, "no such plan", field="plan"))[1] == {"__all__": ["no such plan"]}
