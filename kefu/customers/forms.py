from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.core.models import Region, RegionLevel


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
