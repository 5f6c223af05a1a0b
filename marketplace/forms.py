from django import forms
from django.utils.translation import gettext_lazy as _

from creators.enums import Niche, PostFormat
from marketplace.enums import Availability, BrandRole, CampaignVisibility, FollowerBand, SearchSort


class BrandForm(forms.Form):
    name = forms.CharField(label=_("Brand name"), max_length=120)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    industry = forms.CharField(label=_("Industry"), max_length=80, required=False)
    logo = forms.ImageField(label=_("Logo"), required=False)


class BrandLogoForm(forms.Form):
    logo = forms.ImageField(label=_("Logo"))


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=BrandRole.choices, initial=BrandRole.MANAGER)


class ListingForm(forms.Form):
    is_listed = forms.BooleanField(label=_("List me on the marketplace"), required=False, initial=True)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in ("USD", "EUR", "JPY", "KRW")])
    rate_reel = forms.IntegerField(label=_("Price per reel (minor units)"), required=False, min_value=1)
    rate_carousel = forms.IntegerField(
        label=_("Price per carousel (minor units)"), required=False, min_value=1
    )
    rate_standard = forms.IntegerField(
        label=_("Price per standard post (minor units)"), required=False, min_value=1
    )
    niches = forms.MultipleChoiceField(
        label=_("Niches"), choices=Niche.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(label=_("Languages (comma-separated codes)"), required=False)
    audience_countries = forms.CharField(
        label=_("Audience countries (comma-separated codes)"), required=False
    )
    availability = forms.ChoiceField(label=_("Availability"), choices=Availability.choices)
    showcased_post_ids = forms.MultipleChoiceField(
        label=_("Showcased posts"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, posts=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["showcased_post_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (str(p.pk), f"{p.get_format_display()} · {p.caption[:40] or p.external_id}") for p in posts
        ]


def csv_codes(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    niche = forms.ChoiceField(
        label=_("Niche"), required=False, choices=[("", _("Any")), *list(Niche.choices)]
    )
    language = forms.CharField(label=_("Language"), required=False, max_length=8)
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Any")), *list(PostFormat.choices)]
    )
    band = forms.ChoiceField(
        label=_("Followers"), required=False, choices=[("", _("Any")), *list(FollowerBand.choices)]
    )
    min_engagement_bps = forms.IntegerField(label=_("Min. engagement (bps)"), required=False, min_value=0)
    price_min_minor = forms.IntegerField(label=_("Min. price"), required=False, min_value=0)
    price_max_minor = forms.IntegerField(label=_("Max. price"), required=False, min_value=0)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SearchSort.choices)


class OfferForm(forms.Form):
    amount_minor = forms.IntegerField(label=_("Price (minor units)"), min_value=1)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    format = forms.ChoiceField(label=_("Format"), choices=PostFormat.choices)
    count = forms.IntegerField(label=_("How many"), min_value=1, max_value=20, initial=1)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    usage_days = forms.IntegerField(label=_("Usage rights (days)"), min_value=1, initial=30)
    message = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CounterForm(forms.Form):
    amount_minor = forms.IntegerField(label=_("Your price (minor units)"), min_value=1)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    message = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=140)
    description = forms.CharField(label=_("Brief"), widget=forms.Textarea(attrs={"rows": 5}))
    format = forms.ChoiceField(label=_("Format"), choices=PostFormat.choices)
    count = forms.IntegerField(label=_("How many"), min_value=1, max_value=20, initial=1)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    budget_min_minor = forms.IntegerField(label=_("Budget from (minor units)"), min_value=1)
    budget_max_minor = forms.IntegerField(label=_("Budget to (minor units)"), min_value=1)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=CampaignVisibility.choices)
    countries = forms.CharField(label=_("Countries (comma-separated codes)"), required=False)
    niches = forms.MultipleChoiceField(
        label=_("Niches"), choices=Niche.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    usage_days = forms.IntegerField(label=_("Usage rights (days)"), min_value=1, initial=30)
    disclosure_required = forms.BooleanField(label=_("Disclosure required"), required=False, initial=True)


class ApplyForm(forms.Form):
    amount_minor = forms.IntegerField(label=_("Your price (minor units)"), min_value=1)
    currency = forms.CharField(label=_("Currency"), max_length=3)
    pitch = forms.CharField(label=_("Pitch"), widget=forms.Textarea(attrs={"rows": 4}))


class SubmitForm(forms.Form):
    post_url = forms.URLField(label=_("Link to the published post"), max_length=500, assume_scheme="https")


class RevisionForm(forms.Form):
    note = forms.CharField(label=_("What should change"), widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Score"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)]
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class SavedListForm(forms.Form):
    name = forms.CharField(label=_("List"), max_length=80)
