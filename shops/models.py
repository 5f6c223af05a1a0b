"""Shops and their catalogue: products, variants, images, discount codes.

Amounts are integers in the shop currency's minor unit (DESIGN.md, "Money").
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import Money
from creators.models import CreatorProfile, country_validator
from shops.enums import (
    PAID_STATUSES,
    DiscountKind,
    OrderEventKind,
    OrderStatus,
    ProductStatus,
    ProductType,
    RefundWindow,
    ShippingCarrier,
    ShopStatus,
)

CURRENCY_CHOICES = [("USD", "USD"), ("EUR", "EUR"), ("JPY", "JPY"), ("KRW", "KRW")]


class Shop(TimeStampedModel):
    # A shop belongs to a creator or to a brand (whose owners and managers run it). owner_party
    # is the ledger party ("user:<id>" or "brand:<id>") that the shop's earnings are credited to.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="shops"
    )
    brand = models.ForeignKey(
        "marketplace.Brand", on_delete=models.PROTECT, null=True, blank=True, related_name="shops"
    )
    owner_party = models.CharField(max_length=64, db_index=True)
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    country = models.CharField(_("country"), max_length=2, validators=[country_validator])
    refund_window_days = models.PositiveSmallIntegerField(
        _("refund window"), choices=RefundWindow.choices, default=RefundWindow.MONTH
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ShopStatus.choices, default=ShopStatus.DRAFT
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__in=["USD", "EUR", "JPY", "KRW"]), name="shop_currency_supported"
            ),
            models.CheckConstraint(
                condition=models.Q(refund_window_days__in=[0, 7, 14, 30]), name="shop_refund_window_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(creator__isnull=False, brand__isnull=True)
                | models.Q(creator__isnull=True, brand__isnull=False),
                name="shop_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == ShopStatus.OPEN


class Product(TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(_("title"), max_length=140)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    type = models.CharField(
        _("type"), max_length=16, choices=ProductType.choices, default=ProductType.PHYSICAL
    )
    price_minor = models.BigIntegerField(_("price (minor units)"))
    compare_at_minor = models.BigIntegerField(_("compare-at price (minor units)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "status", "-created_at"], name="product_shop_status_created"),
            models.Index(fields=["status", "price_minor"], name="product_status_price"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_minor__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=models.Q(compare_at_minor__isnull=True)
                | models.Q(compare_at_minor__gt=models.F("price_minor")),
                name="product_compare_at_above_price",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.shop.currency)

    @property
    def compare_at(self) -> Money | None:
        return None if self.compare_at_minor is None else Money(self.compare_at_minor, self.shop.currency)


class ProductVariant(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("name"), max_length=80, help_text=_('For example "M / Blue".'))
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    stock = models.PositiveIntegerField(_("stock"), default=0)
    price_minor = models.BigIntegerField(_("price override (minor units)"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="variant_stock_non_negative"),
            models.CheckConstraint(
                condition=models.Q(price_minor__isnull=True) | models.Q(price_minor__gt=0),
                name="variant_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} – {self.name}"

    @property
    def price(self) -> Money:
        """The variant's own price if it has one, else the product's."""
        minor = self.product.price_minor if self.price_minor is None else self.price_minor
        return Money(minor, self.product.shop.currency)

    @property
    def is_sold_out(self) -> bool:
        return self.stock == 0


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    alt_text = models.CharField(_("alt text"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product_id}#{self.position}"


class DiscountCode(TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="discount_codes")
    code = models.CharField(_("code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=DiscountKind.choices)
    # Basis points for PERCENT (10% = 1000), minor units of the shop currency for FIXED.
    value = models.BigIntegerField(_("value"))
    minimum_order_minor = models.BigIntegerField(_("minimum order (minor units)"), default=0)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="discount_codes")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint("shop", Lower("code"), name="discount_code_shop_ci_unique"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="discount_value_positive"),
            models.CheckConstraint(
                condition=~models.Q(kind="percent") | models.Q(value__lte=10_000),
                name="discount_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_order_minor__gte=0), name="discount_minimum_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.code


def private_storage():  # a callable, so that settings (and tests) decide where the files live
    from django.core.files.storage import storages

    return storages["private"]


class DigitalAsset(TimeStampedModel):
    """The file a digital product delivers: kept in private storage, downloaded through signed links."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="digital_asset")
    file = models.FileField(_("file"), upload_to="digital/%Y/%m/", storage=private_storage)
    filename = models.CharField(_("file name"), max_length=200)
    size_bytes = models.BigIntegerField(default=0)
    download_limit = models.PositiveSmallIntegerField(_("downloads allowed per purchase"), default=5)

    def __str__(self) -> str:
        return self.filename


class Cart(TimeStampedModel):
    """A buyer's cart: a signed-in user's (one each) or a guest session's, merged at login.

    Items may come from several shops of one currency; each shop is checked out as its own order.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="cart"
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(session_key__isnull=False),
                name="cart_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    # Physical products are bought by variant (which holds the stock); digital ones have none.
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "product", "variant"], name="cart_item_unique", nulls_distinct=False
            ),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="cart_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}/{self.variant_id}"


class Order(TimeStampedModel):
    """One shop's sale to one buyer. Amounts are minor units of the shop's currency, frozen at checkout."""

    number = models.CharField(max_length=16, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    email = models.EmailField(_("email"))
    # A guest's proof of ownership (the success page and emailed links carry it).
    access_token = models.CharField(max_length=43)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    subtotal_minor = models.BigIntegerField()
    discount_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    discount_code = models.ForeignKey(
        DiscountCode, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    shipping_address = models.JSONField(default=dict, blank=True)
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    channel = models.CharField(max_length=8, default="web")  # web (Checkout) or api (PaymentIntent)
    # The language the buyer checked out in: a guest's emails are written in it.
    language = models.CharField(max_length=8, blank=True, default="")
    reserved_until = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=16, choices=ShippingCarrier.choices, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "status", "-created_at"], name="order_shop_status_created"),
            models.Index(fields=["status", "reserved_until"], name="order_status_reserved"),
            models.Index(fields=["buyer", "-created_at"], name="order_buyer_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total_minor__gt=0), name="order_total_positive"),
            models.CheckConstraint(
                condition=models.Q(total_minor=models.F("subtotal_minor") - models.F("discount_minor")),
                name="order_total_is_subtotal_minus_discount",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_minor__gte=0)
                & models.Q(refunded_minor__lte=models.F("total_minor")),
                name="order_refunds_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def subtotal(self) -> Money:
        return Money(self.subtotal_minor, self.currency)

    @property
    def discount(self) -> Money:
        return Money(self.discount_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def needs_shipping(self) -> bool:
        return bool(self.shipping_address)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    variant = models.ForeignKey(
        ProductVariant, on_delete=models.PROTECT, null=True, blank=True, related_name="order_lines"
    )
    # Copies taken at checkout: later edits of the product never rewrite an order.
    title = models.CharField(max_length=140)
    variant_name = models.CharField(max_length=80, blank=True)
    type = models.CharField(max_length=16, choices=ProductType.choices)
    unit_price_minor = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    discount_minor = models.BigIntegerField(default=0)  # this line's share of the order discount
    total_minor = models.BigIntegerField()
    refunded_quantity = models.PositiveIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    total_minor=models.F("unit_price_minor") * models.F("quantity")
                    - models.F("discount_minor")
                ),
                name="order_line_total_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_quantity__lte=models.F("quantity"))
                & models.Q(refunded_minor__lte=models.F("total_minor")),
                name="order_line_refunds_within_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.order.currency)

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.order.currency)

    @property
    def refundable_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


class OrderEvent(models.Model):
    """Append-only history of an order: what happened, who did it (None: the system), when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=OrderEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.kind}"


class DownloadGrant(models.Model):
    """The buyer's right to download a digital line's file: limited in count and time."""

    line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="download_grant")
    downloads = models.PositiveIntegerField(default=0)
    download_limit = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(downloads__lte=models.F("download_limit")), name="download_within_limit"
            )
        ]

    def __str__(self) -> str:
        return f"grant {self.pk} ({self.downloads}/{self.download_limit})"
