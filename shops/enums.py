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
