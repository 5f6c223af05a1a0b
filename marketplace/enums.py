"""Marketplace vocabulary: roles, states, bands, and the rules' numbers in one place."""

from datetime import timedelta
from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _


class BrandRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")


class Availability(models.TextChoices):
    AVAILABLE = "available", _("Available")
    LIMITED = "limited", _("Limited")
    UNAVAILABLE = "unavailable", _("Not taking deals")


class FollowerBand(models.TextChoices):
    """Bands by follower count; the lower bound of each is in BAND_FLOORS."""

    NANO = "nano", _("Nano (under 10k)")
    MICRO = "micro", _("Micro (10k–100k)")
    MID = "mid", _("Mid (100k–500k)")
    MACRO = "macro", _("Macro (500k–1M)")
    MEGA = "mega", _("Mega (1M+)")


# Ascending: a creator is in the last band whose floor their followers reach.
BAND_FLOORS: Final = (
    (FollowerBand.NANO, 0),
    (FollowerBand.MICRO, 10_000),
    (FollowerBand.MID, 100_000),
    (FollowerBand.MACRO, 500_000),
    (FollowerBand.MEGA, 1_000_000),
)


def follower_band_for(followers: int) -> str:
    band = FollowerBand.NANO
    for name, floor in BAND_FLOORS:
        if followers >= floor:
            band = name
    return str(band)


class SearchSort(models.TextChoices):
    RELEVANCE = "relevance", _("Relevance")
    ENGAGEMENT = "engagement", _("Engagement rate")
    FOLLOWERS = "followers", _("Followers")


class CampaignVisibility(models.TextChoices):
    PUBLIC = "public", _("Public: creators apply")
    INVITE_ONLY = "invite_only", _("Invite only: the brand sends offers")


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class NegotiationOrigin(models.TextChoices):
    APPLICATION = "application", _("Application by the creator")
    OFFER = "offer", _("Offer by the brand")


class NegotiationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Side(models.TextChoices):
    BRAND = "brand", _("Brand")
    CREATOR = "creator", _("Creator")


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COUNTERED = "countered", _("Countered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class DealStatus(models.TextChoices):
    AWAITING_FUNDING = "awaiting_funding", _("Awaiting funding")
    ACTIVE = "active", _("Active (funded)")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    DISPUTED = "disputed", _("Disputed")
    RESOLVED = "resolved", _("Resolved by staff")


CLOSED_DEAL_STATUSES: Final = frozenset({DealStatus.COMPLETED, DealStatus.CANCELLED, DealStatus.RESOLVED})


class DeliverableStatus(models.TextChoices):
    PENDING = "pending", _("To deliver")
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class DealEventKind(models.TextChoices):
    CREATED = "created", _("Deal created")
    FUNDING_STARTED = "funding_started", _("Funding started")
    FUNDED = "funded", _("Funded")
    SUBMITTED = "submitted", _("Deliverable submitted")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")
    APPROVED = "approved", _("Deliverable approved")
    AUTO_APPROVED = "auto_approved", _("Deliverable approved automatically")
    RELEASED = "released", _("Escrow released")
    COMPLETED = "completed", _("Deal completed")
    CANCELLED = "cancelled", _("Deal cancelled")
    DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
    DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")
    LATE_FUNDING_REFUNDED = "late_funding_refunded", _("Late payment refunded")
    RATED = "rated", _("Rated")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


# The rules of the issue, named.
MAX_REVISIONS: Final = 2
AUTO_APPROVE_BUSINESS_DAYS: Final = 5
CANCELLATION_FEE_BPS: Final = 1000  # 10% of the escrow, to the creator
RELEASE_HOLD_DAYS: Final = 7
DEFAULT_USAGE_DAYS: Final = 30
PRICE_STATS_MIN_DEALS: Final = 5
MEASURE_WINDOW: Final = timedelta(days=90)
INVITATION_LIFETIME: Final = timedelta(days=14)
