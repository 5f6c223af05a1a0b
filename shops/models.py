"""Shops and their catalogue: products, variants, images, discount codes.

Amounts are integers in the shop currency's minor unit (DESIGN.md, "Money").
"""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import Money
from creators.models import CreatorProfile, country_validator
from shops.enums import DiscountKind, ProductStatus, ProductType, RefundWindow, ShopStatus

CURRENCY_CHOICES = [("USD", "USD"), ("EUR", "EUR"), ("JPY", "JPY"), ("KRW", "KRW")]


class Shop(TimeStampedModel):
    # Brands will own shops too; until then every shop belongs to a creator. owner_party is the
    # ledger party ("user:<id>") that the shop's earnings will be credited to.
    creator = models.ForeignKey(
        CreatorProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="shops"
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
