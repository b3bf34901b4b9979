from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.core.models import Region, RegionLevel
from kefu.customers.models import Channel


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("MSISDN, ID number or name"), "autofocus": True}),
    )
    city = forms.ChoiceField(label=_("City"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cities = Region.objects.filter(level=RegionLevel.CITY).order_by("path")
        self.fields["city"].choices = [("", _("All cities"))] + [(c.code, c.display_name) for c in cities]


class InfoUpdateForm(forms.Form):
    """Information collected on a contact (CUS-5); only the fields filled in are changed."""

    channel = forms.ChoiceField(label=_("Source channel"), choices=Channel.choices, initial=Channel.HOTLINE)
    name = forms.CharField(label=_("Name"), required=False, max_length=60)
    address = forms.CharField(label=_("New address"), required=False, max_length=200)
    email = forms.EmailField(label=_("E-mail"), required=False)
    contract_end = forms.DateField(
        label=_("Contract end"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def changes(self) -> dict:
        return {
            name: value for name, value in self.cleaned_data.items() if name != "channel" and value not in ("", None)
        }
