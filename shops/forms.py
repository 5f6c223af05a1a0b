from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shops.enums import ProductStatus, ProductType, RefundWindow
from shops.models import CURRENCY_CHOICES

PRICE_HELP = _('In the shop currency, as you would write it: "24.00" for dollars, "2400" for yen.')


class ShopForm(forms.Form):
    name = forms.CharField(label=_("Shop name"), max_length=80)
    slug = forms.CharField(
        label=_("Shop address"), max_length=60, help_text=_("Your shop lives at /shops/<address>.")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    country = forms.CharField(label=_("Country (ISO code, e.g. JP)"), max_length=2)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    refund_window_days = forms.TypedChoiceField(
        label=_("Refund window"), choices=RefundWindow.choices, coerce=int, initial=RefundWindow.MONTH
    )


class ProductForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=140)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    type = forms.ChoiceField(label=_("Type"), choices=ProductType.choices)
    price = forms.CharField(label=_("Price"), max_length=32, help_text=PRICE_HELP)
    compare_at = forms.CharField(
        label=_("Compare-at price (optional)"),
        max_length=32,
        required=False,
        help_text=_("The higher, crossed-out price shown next to the price."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ProductStatus.DRAFT, ProductStatus.DRAFT.label),
            (ProductStatus.ACTIVE, ProductStatus.ACTIVE.label),
        ],
        help_text=_("Only active products show in your shop."),
    )

    def clean_compare_at(self) -> str | None:
        return self.cleaned_data["compare_at"].strip() or None


class VariantForm(forms.Form):
    name = forms.CharField(label=_("Variant"), max_length=80, help_text=_('For example "M / Blue".'))
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    stock = forms.IntegerField(label=_("Stock"), initial=0)
    price = forms.CharField(
        label=_("Price override (optional)"), max_length=32, required=False, help_text=PRICE_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The product page shows this form below ProductForm, which also has a "price" field:
        # ids of their own keep each label tied to its own input.
        kwargs.setdefault("auto_id", "id_variant_%s")
        super().__init__(*args, **kwargs)

    def clean_price(self) -> str | None:
        return self.cleaned_data["price"].strip() or None


class ImageForm(forms.Form):
    upload = forms.FileField(label=_("Photo"))
    alt_text = forms.CharField(label=_("Description for screen readers"), max_length=200, required=False)
