from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


def apply_domain_error(form: forms.Form, exc) -> int:
    """Show a refused operation (a DomainError) on its form: at its field when the form has it, else above the
    form. Returns the page's status: 422 for bad input (an unknown record named in a form is bad input too)."""
    from kefu.core.errors import ErrorCode

    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return 422 if exc.code in (ErrorCode.INVALID, ErrorCode.NOT_FOUND) else exc.status
