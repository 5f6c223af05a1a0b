"""Brand profiles, creator listings, campaigns, negotiations, deals and their deliverables.

Money is integer minor units with a currency (DESIGN.md, "Money"); the escrow itself is ledger
money (payments.escrow), and a deal only keeps what it needs to know which part of it is whose.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import Money
from creators.enums import PostFormat
from creators.models import CreatorProfile, Post, country_validator
from marketplace.enums import (
    Availability,
    BrandRole,
    CampaignStatus,
    CampaignVisibility,
    DealEventKind,
    DealStatus,
    DeliverableStatus,
    DisputeStatus,
    FollowerBand,
    NegotiationOrigin,
    NegotiationStatus,
    OfferStatus,
    Side,
)
from payments.models import Payment, currency_code_validator

# ---------------------------------------------------------------- brands


class Brand(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=2, validators=[country_validator])
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    logo = models.ImageField(_("logo"), upload_to="brands/%Y/%m/", blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rating_sum = models.IntegerField(default=0)
    rating_count = models.IntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


class BrandMembership(TimeStampedModel):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brand_memberships"
    )
    role = models.CharField(max_length=16, choices=BrandRole.choices)

    class Meta:
        ordering = ["brand_id", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "user"], name="brand_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.brand}"


class BrandInvitation(TimeStampedModel):
    """An owner's invitation by email; the token in the link is the only credential."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=BrandRole.choices)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.brand} ({self.role})"


# ---------------------------------------------------------------- creator listings


class Listing(TimeStampedModel):
    """A creator's marketplace profile: opt-in, with a rate card and measured figures.

    handle, display name, country and the text searched are copied from the creator profile when
    the listing is saved, and followers by the measuring task, so discovery reads one table.
    """

    creator = models.OneToOneField(CreatorProfile, on_delete=models.CASCADE, related_name="listing")
    is_listed = models.BooleanField(_("listed"), default=False)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code_validator])
    rate_reel_minor = models.BigIntegerField(null=True, blank=True)
    rate_carousel_minor = models.BigIntegerField(null=True, blank=True)
    rate_standard_minor = models.BigIntegerField(null=True, blank=True)
    niches = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    audience_countries = models.JSONField(default=list, blank=True)
    availability = models.CharField(
        max_length=16, choices=Availability.choices, default=Availability.AVAILABLE
    )
    showcased_posts = models.ManyToManyField(Post, blank=True, related_name="+")
    # Copies for search (see the docstring).
    handle = models.CharField(max_length=30)
    display_name = models.CharField(max_length=80)
    country = models.CharField(max_length=2)
    search_text = models.TextField(blank=True)
    # Measured over the last 90 days by listing_measure (a periodic task).
    followers = models.BigIntegerField(default=0)
    follower_band = models.CharField(max_length=8, choices=FollowerBand.choices, default=FollowerBand.NANO)
    avg_views_reel = models.BigIntegerField(null=True, blank=True)
    avg_views_carousel = models.BigIntegerField(null=True, blank=True)
    avg_views_standard = models.BigIntegerField(null=True, blank=True)
    engagement_rate_bps = models.IntegerField(default=0)
    posts_90d = models.IntegerField(default=0)
    branded_share_bps = models.IntegerField(default=0)
    formats = models.JSONField(default=list, blank=True)  # formats posted in the window
    measured_at = models.DateTimeField(null=True, blank=True)
    rating_sum = models.IntegerField(default=0)
    rating_count = models.IntegerField(default=0)

    class Meta:
        ordering = ["-followers", "id"]
        indexes = [
            models.Index(
                fields=["country", "-followers", "id"],
                name="listing_country_followers",
                condition=Q(is_listed=True),
            ),
            models.Index(fields=["-followers", "id"], name="listing_followers", condition=Q(is_listed=True)),
            models.Index(
                fields=["-engagement_rate_bps", "id"], name="listing_engagement", condition=Q(is_listed=True)
            ),
            # GIN indexes (niches, languages, trigram search text) live in migration 0002:
            # PostgreSQL only, and SQLite stays the zero-setup default.
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(rate_reel_minor__isnull=True) | Q(rate_reel_minor__gt=0))
                & (Q(rate_carousel_minor__isnull=True) | Q(rate_carousel_minor__gt=0))
                & (Q(rate_standard_minor__isnull=True) | Q(rate_standard_minor__gt=0)),
                name="listing_rates_positive",
            )
        ]

    def __str__(self) -> str:
        return f"@{self.handle} listing"

    def rate_for(self, format: str) -> Money | None:
        amount = getattr(self, f"rate_{format}_minor", None)
        return Money(amount, self.currency) if amount is not None else None

    @property
    def rate_card(self) -> dict[str, Money | None]:
        return {fmt: self.rate_for(fmt) for fmt in PostFormat.values}

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


class SavedList(TimeStampedModel):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="saved_lists")
    name = models.CharField(max_length=80)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="saved_list_name_unique")]

    def __str__(self) -> str:
        return f"{self.brand}: {self.name}"


class SavedListEntry(models.Model):
    saved_list = models.ForeignKey(SavedList, on_delete=models.CASCADE, related_name="entries")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["saved_list", "listing"], name="saved_list_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.saved_list_id}: {self.listing_id}"


# ---------------------------------------------------------------- campaigns and negotiations


class Campaign(TimeStampedModel):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="campaigns")
    title = models.CharField(max_length=140)
    description = models.TextField(max_length=5000)
    # [{"format": "reel", "count": 2, "due_date": "2026-12-01"}]
    deliverables = models.JSONField(default=list)
    countries = models.JSONField(default=list, blank=True)
    niches = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3, validators=[currency_code_validator])
    budget_min_minor = models.BigIntegerField()
    budget_max_minor = models.BigIntegerField()
    usage_days = models.PositiveIntegerField(null=True, blank=True, help_text=_("Empty: perpetual."))
    usage_fee_minor = models.BigIntegerField(default=0)
    disclosure_required = models.BooleanField(default=True)
    visibility = models.CharField(max_length=16, choices=CampaignVisibility.choices)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min_minor__gt=0) & Q(budget_max_minor__gte=models.F("budget_min_minor")),
                name="campaign_budget_range",
            ),
            models.CheckConstraint(
                condition=Q(usage_days__isnull=False) | Q(usage_fee_minor__gt=0),
                name="campaign_perpetual_paid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Negotiation(TimeStampedModel):
    """An application (by a creator, to a public campaign) or an offer (by a brand), and its rounds."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="negotiations")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="negotiations")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="negotiations"
    )
    origin = models.CharField(max_length=16, choices=NegotiationOrigin.choices)
    status = models.CharField(
        max_length=16, choices=NegotiationStatus.choices, default=NegotiationStatus.OPEN
    )
    pitch = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            # One live conversation per campaign and creator: a second application is a mistake.
            models.UniqueConstraint(
                fields=["campaign", "creator"],
                condition=Q(status="open") & Q(campaign__isnull=False),
                name="negotiation_one_open_per_campaign",
            )
        ]

    def __str__(self) -> str:
        return f"{self.brand} ↔ {self.creator} ({self.status})"


class Offer(models.Model):
    """One round of a negotiation: the terms one side proposes. Rows are never edited but for status."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="offers")
    side = models.CharField(max_length=8, choices=Side.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_code_validator])
    deliverables = models.JSONField(default=list)
    usage_days = models.PositiveIntegerField(null=True, blank=True)
    usage_fee_minor = models.BigIntegerField(default=0)
    message = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="offer_amount_positive"),
            models.UniqueConstraint(
                fields=["negotiation"], condition=Q(status="open"), name="offer_one_open_per_negotiation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} offer {self.amount} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


# ---------------------------------------------------------------- deals


class Deal(TimeStampedModel):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="deals")
    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="deals")
    negotiation = models.OneToOneField(Negotiation, on_delete=models.PROTECT, related_name="deal")
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="deal")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="deals"
    )
    # The terms as accepted, frozen: later edits to the campaign or listing change nothing here.
    terms = models.JSONField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_code_validator])
    status = models.CharField(max_length=20, choices=DealStatus.choices, default=DealStatus.AWAITING_FUNDING)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    funded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    released_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    # For price transparency: the creator's band and country when the deal was made.
    follower_band = models.CharField(max_length=8, choices=FollowerBand.choices)
    country = models.CharField(max_length=2)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="deal_amount_positive"),
            models.CheckConstraint(
                condition=Q(released_minor__gte=0)
                & Q(refunded_minor__gte=0)
                & Q(amount_minor__gte=models.F("released_minor") + models.F("refunded_minor")),
                name="deal_escrow_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return _("Deal %(id)s: %(brand)s × %(creator)s") % {
            "id": self.pk,
            "brand": self.brand,
            "creator": self.creator,
        }

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def escrow_remaining(self) -> Money:
        if self.funded_at is None:
            return Money.zero(self.currency)
        return Money(self.amount_minor - self.released_minor - self.refunded_minor, self.currency)


class Deliverable(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deliverables")
    position = models.PositiveSmallIntegerField()
    format = models.CharField(max_length=16, choices=PostFormat.choices)
    due_date = models.DateField()
    share_minor = models.BigIntegerField(help_text=_("This deliverable's share of the escrow."))
    status = models.CharField(
        max_length=20, choices=DeliverableStatus.choices, default=DeliverableStatus.PENDING
    )
    post_url = models.URLField(blank=True, max_length=500)
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revisions = models.PositiveSmallIntegerField(default=0)
    revision_note = models.TextField(blank=True, max_length=2000)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The due row of the automatic approval, claimed by a periodic task (SKIP LOCKED).
    auto_approve_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_reference = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["deal_id", "position"]
        indexes = [
            models.Index(
                fields=["auto_approve_at"], condition=Q(status="submitted"), name="deliverable_auto_due"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["deal", "position"], name="deliverable_position_unique"),
            models.CheckConstraint(condition=Q(revisions__lte=2), name="deliverable_revisions_max"),
        ]

    def __str__(self) -> str:
        return f"Deal {self.deal_id} #{self.position} {self.format} ({self.status})"

    @property
    def share(self) -> Money:
        return Money(self.share_minor, self.deal.currency)


class DealEvent(models.Model):
    """Every step of a deal, with who and when: the audit trail, shown inline in the thread."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=DealEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Deal {self.deal_id}: {self.kind}"


class DealMessage(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Deal {self.deal_id} message by {self.author_id}"


class Dispute(TimeStampedModel):
    """A cancellation asked for after a delivery: only staff decide, by splitting the remaining escrow."""

    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    status = models.CharField(max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    creator_share_minor = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=_("Staff: what the creator gets of the remaining escrow; the brand gets the rest."),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("Dispute on deal %(id)s (%(status)s)") % {
            "id": self.deal_id,
            "status": self.get_status_display(),
        }


class Rating(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="ratings")
    side = models.CharField(max_length=8, choices=Side.choices, help_text=_("Who rates."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "side"], name="rating_one_per_side"),
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_range"),
        ]

    def __str__(self) -> str:
        return f"Deal {self.deal_id}: {self.side} gave {self.score}"
