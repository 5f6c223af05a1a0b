"""Choices and limits of the affiliate marketplace."""

from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _

RATE_MIN_BPS: Final = 100  # 1 %
RATE_MAX_BPS: Final = 7500  # 75 %
WINDOW_MIN_DAYS: Final = 1
WINDOW_MAX_DAYS: Final = 90
WINDOW_DEFAULT_DAYS: Final = 30


class JoinMode(models.TextChoices):
    OPEN = "open", _("Open: anyone may join")
    APPROVAL = "approval", _("Approval required")


class OfferStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class MembershipStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    REMOVED = "removed", _("Removed by the seller")
    LEFT = "left", _("Left")


class CommissionStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting the buyer's payment")
    EARNED = "earned", _("Earned (pending until the refund window ends)")
    ON_HOLD = "on_hold", _("On hold: under review")
    REJECTED = "rejected", _("Rejected after review")
    AVAILABLE = "available", _("Available")
    REVERSED = "reversed", _("Reversed (refunded)")


class FraudKind(models.TextChoices):
    CLICK_FLOOD = "click_flood", _("Click flood from one address")
    CONVERSION = "conversion", _("Conversion far above the offer's norm")
    REPEAT_BUYER = "repeat_buyer", _("Many orders from one address or email")
    SELF_REFERRAL = "self_referral", _("Self-referral")
