from django import forms
from django.utils.translation import gettext_lazy as _

from affiliates.enums import WINDOW_DEFAULT_DAYS, JoinMode


class OfferForm(forms.Form):
    """A seller's offer terms. The rate is typed in percent and stored in basis points."""

    product = forms.TypedChoiceField(label=_("Product"), coerce=int, required=False, empty_value=None)
    rate_percent = forms.DecimalField(label=_("Commission (%)"), min_value=1, max_value=75, decimal_places=2)
    window_days = forms.IntegerField(
        label=_("Attribution window (days)"), min_value=1, max_value=90, initial=WINDOW_DEFAULT_DAYS
    )
    join_mode = forms.ChoiceField(label=_("Who may join"), choices=JoinMode.choices)
    code_discount_percent = forms.IntegerField(
        label=_("Personal code discount for buyers (%)"), min_value=0, max_value=50, initial=0, required=False
    )
    description = forms.CharField(label=_("Pitch"), max_length=300, required=False)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("Whole shop"))] + [(p.pk, p.title) for p in products]

    def terms(self) -> dict:
        """The cleaned terms as offer_create() and offer_update() take them (basis points)."""
        data = self.cleaned_data
        return {
            "rate_bps": int(data["rate_percent"] * 100),
            "window_days": data["window_days"],
            "join_mode": data["join_mode"],
            "code_discount_bps": (data.get("code_discount_percent") or 0) * 100,
            "description": data.get("description") or "",
        }


class OfferFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.CharField(label=_("Category"), required=False, max_length=40)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    currency = forms.ChoiceField(
        label=_("Currency"),
        required=False,
        choices=[("", "—"), ("USD", "USD"), ("EUR", "EUR"), ("JPY", "JPY"), ("KRW", "KRW")],
    )
    min_rate = forms.IntegerField(label=_("Minimum rate (%)"), required=False, min_value=1, max_value=75)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest")),
            ("rate", _("Rate")),
            ("conversion", _("Conversion")),
            ("epc", _("Earnings per 100 clicks")),
        ],
    )
