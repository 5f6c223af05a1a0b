"""Web forms for buying (cart, checkout) and for the seller's order and discount pages.

Forms only shape input; the services (shops.cart, shops.orders, shops.services) decide what is
allowed, and their ApplicationError lands on these forms through common.forms.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.money import Money
from shops.cart import MAX_LINE_QUANTITY
from shops.enums import DiscountKind, ProductStatus, ProductType, ShippingCarrier
from shops.models import Order, Product, Shop
from shops.orders import ADDRESS_MAX

MAX_DOWNLOAD_LIMIT = 100


class AddToCartForm(forms.Form):
    """The product page's form: an option for a physical product, and how many."""

    variant = forms.TypedChoiceField(label=_("Option"), coerce=int, required=False, empty_value=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        if product.type == ProductType.DIGITAL:
            # One copy of a file is all anyone needs: no option, no quantity (the view adds 1).
            del self.fields["variant"]
            del self.fields["quantity"]
        else:
            variant_field = self.fields["variant"]
            assert isinstance(variant_field, forms.ChoiceField)
            variant_field.required = True
            variant_field.choices = [("", _("Choose an option"))] + [
                (variant.pk, variant.name + (f" – {_('sold out')}" if variant.is_sold_out else ""))
                for variant in product.variants.all()
            ]


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY)


class CheckoutForm(forms.Form):
    """Where the receipt goes, where to ship (physical products only) and a discount code.

    The address fields are named as shops.orders expects them, so its field errors land on them.
    """

    email = forms.EmailField(label=_("Email for your receipt"), max_length=254)
    name = forms.CharField(label=_("Full name"), max_length=ADDRESS_MAX, required=False)
    line1 = forms.CharField(label=_("Address"), max_length=ADDRESS_MAX, required=False)
    line2 = forms.CharField(label=_("Address (line 2)"), max_length=ADDRESS_MAX, required=False)
    city = forms.CharField(label=_("City"), max_length=ADDRESS_MAX, required=False)
    region = forms.CharField(label=_("State / region"), max_length=ADDRESS_MAX, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=ADDRESS_MAX, required=False)
    country = forms.CharField(label=_("Country (two letters, e.g. US)"), max_length=2, required=False)
    discount_code = forms.CharField(label=_("Discount code"), max_length=32, required=False)

    ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")

    def __init__(self, *args: Any, needs_shipping: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_shipping = needs_shipping
        if not needs_shipping:
            for name in self.ADDRESS_FIELDS:
                del self.fields[name]

    def shipping_address(self) -> dict[str, str] | None:
        if not self.needs_shipping:
            return None
        return {name: self.cleaned_data.get(name, "") for name in self.ADDRESS_FIELDS}

    def address_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ADDRESS_FIELDS if name in self.fields]


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=[("", "—"), *ShippingCarrier.choices])
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)


class RefundForm(forms.Form):
    """Units to refund per line (``line_<id>``), whether to restock, and why."""

    restock = forms.BooleanField(label=_("Put refunded items back in stock"), required=False)
    reason = forms.CharField(label=_("Reason (the buyer sees it)"), max_length=200, required=False)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        for line in order.lines.all():
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.title} – {line.variant_name}" if line.variant_name else line.title,
                min_value=0,
                max_value=line.refundable_quantity,
                initial=0,
                required=False,
            )
        self.order_fields([name for name in self.fields if name.startswith("line_")] + ["restock", "reason"])

    def line_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("line_")]

    def quantities(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        }


class DiscountCodeCreateForm(forms.Form):
    """A code as a seller thinks of it (10 %, or 5.00 off), converted here to the service's units.

    Field names match discount_code_create()'s arguments, so its field errors land on them.
    """

    code = forms.CharField(label=_("Code"), max_length=32)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(DiscountKind.PERCENT, _("Percent off")), (DiscountKind.FIXED, _("Amount off"))],
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=32,
        # xgettext:no-python-format
        help_text=_('"10" for 10 % off, or an amount such as "5.00".'),
    )
    minimum_order_minor = forms.CharField(label=_("Minimum order (optional)"), max_length=32, required=False)
    max_uses = forms.IntegerField(label=_("Maximum uses (optional)"), min_value=1, required=False)
    expires_at = forms.DateTimeField(
        label=_("Expires at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Only for these products (none: the whole shop)"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop = shop
        products_field = self.fields["products"]
        assert isinstance(products_field, forms.ModelMultipleChoiceField)
        products_field.queryset = Product.objects.filter(shop=shop).exclude(status=ProductStatus.ARCHIVED)

    def clean_value(self) -> int:
        text = self.cleaned_data["value"].strip()
        if self.cleaned_data.get("kind") == DiscountKind.FIXED:
            return self._minor(text)
        try:
            bps = Decimal(text.rstrip("%").strip()) * 100
        except InvalidOperation:
            bps = Decimal(0)
        if bps != bps.to_integral_value() or not 100 <= bps <= 10_000:
            raise forms.ValidationError(_("Enter a percentage from 1 to 100."))
        return int(bps)

    def clean_minimum_order_minor(self) -> int:
        text = self.cleaned_data["minimum_order_minor"].strip()
        return self._minor(text) if text else 0

    def _minor(self, text: str) -> int:
        try:
            return Money.from_decimal(text, self.shop.currency).amount_minor
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc


class DigitalAssetForm(forms.Form):
    upload = forms.FileField(label=_("File buyers download"))
    download_limit = forms.IntegerField(
        label=_("Downloads allowed per purchase"), min_value=1, max_value=MAX_DOWNLOAD_LIMIT, initial=5
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The product page shows this form beside ImageForm, whose photo field is also named
        # "upload": ids of their own keep each label tied to its own input.
        kwargs.setdefault("auto_id", "id_asset_%s")
        super().__init__(*args, **kwargs)
