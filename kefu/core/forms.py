from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


def apply_domain_error(form: forms.Form, exc, aliases: dict[str, str] | None = None) -> int:
    """Show a refused operation (a DomainError) on its form: at the field it names (through `aliases` when the
    form calls it otherwise) if the form shows that field, else above the form. Returns the page's status:
    422 for bad input (an unknown record named in a form is bad input too)."""
    from kefu.core.errors import ErrorCode

    field = (aliases or {}).get(exc.field or "", exc.field or "")
    shown = field in form.fields and not isinstance(form.fields[field].widget, forms.HiddenInput)
    form.add_error(field if shown else None, exc.message)
    return 422 if exc.code in (ErrorCode.INVALID, ErrorCode.NOT_FOUND) else exc.status
