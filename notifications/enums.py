"""The kinds of notification: one per event that emails someone today.

The labels name the kind in the preferences form and in admin ("email me about …").
"""

from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationType(models.TextChoices):
    ORDER_CONFIRMED = "order_confirmed", _("Order confirmations")
    NEW_ORDER = "new_order", _("New orders in my shop")
    ORDER_SHIPPED = "order_shipped", _("Shipping of my orders")
    ORDER_REFUNDED = "order_refunded", _("Refunds of my orders")
    BRAND_INVITATION = "brand_invitation", _("Invitations to join a brand")
    DEAL_UPDATE = "deal_update", _("Updates on my deals")
    DEAL_MESSAGE = "deal_message", _("Messages on my deals")
    PAYOUT_FAILED = "payout_failed", _("Failed payouts")


# Read notifications older than this are deleted by the daily cleanup (unread ones are kept).
READ_RETENTION_DAYS: Final = 180
