"""Choices for shops, products and discount codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShopStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")  # set by staff only


# The statuses a shop's owner may choose; CLOSED is a staff decision.
OWNER_STATUSES = frozenset({ShopStatus.DRAFT, ShopStatus.OPEN, ShopStatus.PAUSED})


class RefundWindow(models.IntegerChoices):
    NONE = 0, _("No refunds")
    WEEK = 7, _("7 days")
    TWO_WEEKS = 14, _("14 days")
    MONTH = 30, _("30 days")


class ProductType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    DIGITAL = "digital", _("Digital")


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percent (basis points)")
    FIXED = "fixed", _("Fixed amount (minor units)")


class ProductSort(models.TextChoices):
    NEWEST = "newest", _("Newest")
    PRICE_ASC = "price_asc", _("Price, low to high")
    PRICE_DESC = "price_desc", _("Price, high to low")


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# Orders whose money was taken: they can be fulfilled and refunded.
PAID_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("Order placed, stock reserved")
    PAID = "paid", _("Payment confirmed")
    PAID_LATE = "paid_late", _("Payment confirmed after the reservation expired")
    EXPIRED = "expired", _("Payment not completed in time, stock released")
    CANCELLED = "cancelled", _("Cancelled")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    REFUNDED = "refunded", _("Refunded")
    DOWNLOADED = "downloaded", _("File downloaded")


class ShippingCarrier(models.TextChoices):
    UPS = "ups", "UPS"
    USPS = "usps", "USPS"
    FEDEX = "fedex", "FedEx"
    DHL = "dhl", "DHL"
    LA_POSTE = "la_poste", _("La Poste")
    JAPAN_POST = "japan_post", _("Japan Post")
    YAMATO = "yamato", _("Yamato")
    KOREA_POST = "korea_post", _("Korea Post")
    CJ = "cj", _("CJ Logistics")
    OTHER = "other", _("Other")
