"""Affiliate offers, memberships (links and codes), click counters, and commissions.

Business flows live in affiliates.services / affiliates.clicks / affiliates.attribution; these
are the tables and the rules the database itself holds.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from affiliates.enums import (
    RATE_MAX_BPS,
    RATE_MIN_BPS,
    WINDOW_DEFAULT_DAYS,
    WINDOW_MAX_DAYS,
    WINDOW_MIN_DAYS,
    CommissionStatus,
    FraudKind,
    JoinMode,
    MembershipStatus,
    OfferStatus,
)
from common.models import TimeStampedModel
from common.money import Money
from creators.models import CreatorProfile
from shops.models import DiscountCode, Order, Product, Shop


class Offer(TimeStampedModel):
    """A seller puts one product (or, with no product, the whole shop) into the marketplace."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="affiliate_offers")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="affiliate_offers"
    )
    rate_bps = models.PositiveIntegerField(_("commission rate (basis points)"))
    window_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=WINDOW_DEFAULT_DAYS
    )
    join_mode = models.CharField(
        _("join mode"), max_length=16, choices=JoinMode.choices, default=JoinMode.OPEN
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.ACTIVE
    )
    description = models.CharField(_("pitch"), max_length=300, blank=True)
    # When above zero, each affiliate who joins gets a personal discount code of this size.
    code_discount_bps = models.PositiveIntegerField(_("personal code discount (basis points)"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_bps__gte=RATE_MIN_BPS) & Q(rate_bps__lte=RATE_MAX_BPS),
                name="offer_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=WINDOW_MIN_DAYS) & Q(window_days__lte=WINDOW_MAX_DAYS),
                name="offer_window_range",
            ),
            # One active offer per product, and one per whole shop (product NULL).
            models.UniqueConstraint(
                fields=["shop", "product"], condition=Q(status="active"), name="offer_one_active_per_product"
            ),
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(status="active", product__isnull=True),
                name="offer_one_active_whole_shop",
            ),
        ]

    def __str__(self) -> str:
        target = self.product.title if self.product_id and self.product else _("whole shop")
        return f"{self.shop} – {target} ({self.rate_bps / 100:g}%)"

    @property
    def is_whole_shop(self) -> bool:
        return self.product_id is None


class Membership(TimeStampedModel):
    """An affiliate in an offer: their tracked link ``/r/<code>`` and optional personal discount code."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="memberships")
    affiliate = models.ForeignKey(
        CreatorProfile, on_delete=models.PROTECT, related_name="affiliate_memberships"
    )
    status = models.CharField(
        max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.REQUESTED
    )
    code = models.CharField(max_length=16, unique=True)
    discount_code = models.OneToOneField(
        DiscountCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="affiliate_membership"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "affiliate"], name="membership_one_per_offer")
        ]

    def __str__(self) -> str:
        return f"{self.affiliate} in {self.offer} [{self.code}]"

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


class ClickDaily(models.Model):
    """Clicks of one link on one day (UTC), added to by the flush of the Redis buffer."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="click_days")
    day = models.DateField()
    raw = models.BigIntegerField(default=0)
    unique_clicks = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["membership", "day"], name="clickdaily_one_per_day")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.day}: {self.raw} raw / {self.unique_clicks} unique"


class ClickFlush(models.Model):
    """A flushed Redis batch: inserted in the same transaction as its counts, so a batch counts once."""

    batch = models.CharField(max_length=64, unique=True)
    fields = models.PositiveIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.batch}: {self.clicks} clicks"


class Commission(TimeStampedModel):
    """An affiliate's share of one order. Rate and window are copied: later offer edits never rewrite it."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="affiliate_commission")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="commissions")
    rate_bps = models.PositiveIntegerField()
    window_days = models.PositiveSmallIntegerField()
    via = models.CharField(max_length=8, default="click")  # click, code or token
    clicked_at = models.DateTimeField(null=True, blank=True)
    eligible_minor = models.BigIntegerField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=CommissionStatus.choices, default=CommissionStatus.PENDING_PAYMENT
    )
    refunded_minor = models.BigIntegerField(default=0)
    review_reason = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    earned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="commission_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("amount_minor")),
                name="commission_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="commission_status")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.amount} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class FraudSignal(models.Model):
    """Something that looked wrong, kept for the staff who review held commissions."""

    kind = models.CharField(max_length=16, choices=FraudKind.choices)
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="fraud_signals"
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"
