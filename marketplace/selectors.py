"""Marketplace reads, permission-aware: outsiders see 404, never someone else's deal."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from common.errors import ApplicationError, NotFoundError
from common.money import Money, currency_validate
from creators.enums import PostFormat
from creators.models import CreatorProfile, User
from marketplace.access import side_of
from marketplace.enums import (
    PRICE_STATS_MIN_DEALS,
    CampaignStatus,
    CampaignVisibility,
    DealStatus,
    DeliverableStatus,
    FollowerBand,
    SearchSort,
)
from marketplace.models import (
    Brand,
    BrandMembership,
    Campaign,
    Deal,
    Deliverable,
    Listing,
    Negotiation,
    SavedList,
)

# ---------------------------------------------------------------- brands


def brand_list_for_user(*, user: User) -> QuerySet[Brand]:
    """The brands the user is a member of (any role)."""
    if not user.is_authenticated:
        return Brand.objects.none()
    return Brand.objects.filter(memberships__user=user).order_by("name", "id")


def brand_get_for_member(*, brand_id: int, user: User) -> Brand:
    brand = brand_list_for_user(user=user).filter(pk=brand_id).first()
    if brand is None:
        raise NotFoundError()
    return brand


def membership_list(*, brand: Brand) -> QuerySet[BrandMembership]:
    return brand.memberships.select_related("user").order_by("id")


# ---------------------------------------------------------------- discovery


@dataclass(frozen=True, slots=True)
class SearchFilters:
    q: str = ""
    country: str = ""
    niche: str = ""
    language: str = ""
    format: str = ""
    band: str = ""
    min_engagement_bps: int | None = None
    price_min_minor: int | None = None
    price_max_minor: int | None = None
    currency: str = ""
    sort: str = SearchSort.RELEVANCE


SEARCH_FIELDS = (
    "id",
    "handle",
    "display_name",
    "country",
    "niches",
    "languages",
    "followers",
    "follower_band",
    "engagement_rate_bps",
    "currency",
    "rate_reel_minor",
    "rate_carousel_minor",
    "rate_standard_minor",
    "availability",
    "rating_sum",
    "rating_count",
)


def listing_search(*, filters: SearchFilters) -> QuerySet[Listing]:
    """Listed creators matching every filter, sorted; one query, on the listing table alone.

    Price filters compare the rate of ``format`` (or any rate without one) and need
    ``currency``: prices in different currencies do not compare (``currency_required``).
    """
    condition = Q(is_listed=True)
    if filters.country:
        condition &= Q(country=filters.country.upper())
    if filters.niche:
        condition &= Q(niches__has_item=filters.niche.lower())
    if filters.language:
        condition &= Q(languages__has_item=filters.language.lower())
    if filters.format:
        if filters.format not in PostFormat.values:
            raise ApplicationError(_("Unknown format."), code="invalid", fields={"format": []})
        condition &= Q(**{f"rate_{filters.format}_minor__isnull": False})
    if filters.band:
        if filters.band not in FollowerBand.values:
            raise ApplicationError(_("Unknown follower band."), code="invalid", fields={"band": []})
        condition &= Q(follower_band=filters.band)
    if filters.min_engagement_bps is not None:
        condition &= Q(engagement_rate_bps__gte=filters.min_engagement_bps)
    if filters.price_min_minor is not None or filters.price_max_minor is not None:
        if not filters.currency:
            raise ApplicationError(
                _("Give a currency with a price range."), code="currency_required", fields={"currency": []}
            )
        condition &= Q(currency=currency_validate(filters.currency)) & _price_condition(filters)
    q = filters.q.strip().lower()
    if q:
        condition &= Q(search_text__contains=q)
    qs = Listing.objects.filter(condition)
    if filters.sort == SearchSort.ENGAGEMENT:
        return qs.order_by("-engagement_rate_bps", "id")
    if filters.sort == SearchSort.FOLLOWERS or not q:
        return qs.order_by("-followers", "id")
    # Relevance: an exact handle, then a handle starting with the query, then the rest; each by followers.
    rank = Case(
        When(handle=q.lstrip("@"), then=Value(0)),
        When(handle__startswith=q.lstrip("@"), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "-followers", "id")


def _price_condition(filters: SearchFilters) -> Q:
    formats = [filters.format] if filters.format else PostFormat.values
    any_format = Q(pk__in=[])
    for fmt in formats:
        one = Q(**{f"rate_{fmt}_minor__isnull": False})
        if filters.price_min_minor is not None:
            one &= Q(**{f"rate_{fmt}_minor__gte": filters.price_min_minor})
        if filters.price_max_minor is not None:
            one &= Q(**{f"rate_{fmt}_minor__lte": filters.price_max_minor})
        any_format |= one
    return any_format


def listing_get_public(*, listing_id: int) -> Listing:
    listing = (
        Listing.objects.filter(pk=listing_id, is_listed=True)
        .exclude(creator__policy_standing="suspended")
        .select_related("creator")
        .first()
    )
    if listing is None:
        raise NotFoundError()
    return listing


def listing_get_for_creator(*, creator: CreatorProfile) -> Listing | None:
    return Listing.objects.filter(creator=creator).first()


def saved_list_list(*, brand: Brand) -> QuerySet[SavedList]:
    return brand.saved_lists.prefetch_related("entries__listing").order_by("name", "id")


def saved_list_get_for_user(*, list_id: int, user: User) -> SavedList:
    saved = (
        SavedList.objects.filter(pk=list_id, brand__memberships__user=user).select_related("brand").first()
    )
    if saved is None:
        raise NotFoundError()
    return saved


# ---------------------------------------------------------------- price transparency


def _percentile(sorted_values: list[int], pct: int) -> int:
    """Nearest rank: the smallest value with at least ``pct``% of the values at or below it."""
    rank = max(1, -(-pct * len(sorted_values) // 100))  # ceil without floats
    return sorted_values[rank - 1]


def price_percentiles(*, format: str, band: str, country: str, currency: str) -> dict[str, Any] | None:
    """25th / 50th / 75th percentile of the per-deliverable price of accepted deals for the format,
    follower band and creator country, or None with fewer than 5 deals behind it (anonymity).

    A deal's price for a format is the mean share of its deliverables of that format, so a deal
    of three reels counts once, at the price of one reel.
    """
    prices: dict[int, list[int]] = {}
    rows = Deliverable.objects.filter(
        format=format, deal__follower_band=band, deal__country=country.upper(), deal__currency=currency
    ).values_list("deal_id", "share_minor")
    for deal_id, share in rows:
        prices.setdefault(deal_id, []).append(share)
    if len(prices) < PRICE_STATS_MIN_DEALS:
        return None
    values = sorted(sum(shares) // len(shares) for shares in prices.values())
    return {
        "format": format,
        "follower_band": band,
        "country": country.upper(),
        "deals": len(values),
        **{f"p{pct}": Money(_percentile(values, pct), currency) for pct in (25, 50, 75)},
    }


def price_percentiles_for_offer(
    *, negotiation: Negotiation, deliverables: list[dict]
) -> dict[str, Any] | None:
    """The percentiles shown next to an offer: for its first format, the creator's band and country."""
    listing = getattr(negotiation.creator, "listing", None)
    if listing is None or not deliverables:
        return None
    return price_percentiles(
        format=deliverables[0]["format"],
        band=listing.follower_band,
        country=listing.country,
        currency=listing.currency,
    )


# ---------------------------------------------------------------- campaigns and negotiations


def campaign_list_open_for_creator(*, creator: CreatorProfile) -> QuerySet[Campaign]:
    """Public, open campaigns that fit the creator (their country and niches, when the campaign names any)."""
    qs = Campaign.objects.filter(status=CampaignStatus.OPEN, visibility=CampaignVisibility.PUBLIC)
    fits = Q(countries=[]) | Q(countries__has_item=creator.country)
    niche_fit = Q(niches=[])
    for niche in creator.niches:
        niche_fit |= Q(niches__has_item=niche)
    return qs.filter(fits & niche_fit).select_related("brand").order_by("-created_at", "-id")


def campaign_list_for_brand(*, brand: Brand) -> QuerySet[Campaign]:
    return brand.campaigns.order_by("-created_at", "-id")


def campaign_get_visible(*, campaign_id: int, user: User) -> Campaign:
    """A public campaign for anyone signed in; an invite-only one for its brand's members only."""
    campaign = Campaign.objects.select_related("brand").filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFoundError()
    if (
        campaign.visibility != CampaignVisibility.PUBLIC
        and not campaign.brand.memberships.filter(user=user).exists()
    ):
        raise NotFoundError()
    return campaign


def negotiation_list_for_user(*, user: User) -> QuerySet[Negotiation]:
    return (
        Negotiation.objects.filter(Q(creator__user=user) | Q(brand__memberships__user=user))
        .distinct()
        .select_related("brand", "creator", "campaign")
        .order_by("-updated_at", "-id")
    )


def negotiation_get_for_user(*, negotiation_id: int, user: User) -> Negotiation:
    negotiation = (
        Negotiation.objects.select_related("brand", "creator__user", "campaign")
        .filter(pk=negotiation_id)
        .first()
    )
    if negotiation is None:
        raise NotFoundError()
    side_of(obj=negotiation, user=user)
    return negotiation


# ---------------------------------------------------------------- deals


def deal_list_for_user(*, user: User) -> QuerySet[Deal]:
    if not user.is_authenticated:
        return Deal.objects.none()
    return (
        Deal.objects.filter(Q(creator__user=user) | Q(brand__in=Brand.objects.filter(memberships__user=user)))
        .select_related("brand", "creator")
        .order_by("-created_at", "-id")
    )


def deal_get_for_user(*, deal_id: int, user: User) -> Deal:
    """The deal, for its creator and its brand's members; 404 for everyone else."""
    deal = Deal.objects.select_related("brand", "creator__user", "payment").filter(pk=deal_id).first()
    if deal is None:
        raise NotFoundError()
    side_of(obj=deal, user=user)
    return deal


def deliverable_get_for_user(*, deliverable_id: int, user: User) -> Deliverable:
    deliverable = (
        Deliverable.objects.select_related("deal__brand", "deal__creator").filter(pk=deliverable_id).first()
    )
    if deliverable is None:
        raise NotFoundError()
    side_of(obj=deliverable.deal, user=user)
    return deliverable


def deal_thread(*, deal: Deal) -> list[dict[str, Any]]:
    """Messages and events in time order: the thread shows every step inline."""
    items = [
        {
            "type": "message",
            "at": m.created_at,
            "side": m.side,
            "author": m.author.get_full_name(),
            "body": m.body,
        }
        for m in deal.messages.select_related("author")
    ]
    items += [
        {
            "type": "event",
            "at": e.created_at,
            "kind": e.kind,
            "label": e.get_kind_display(),
            "actor": e.actor.get_full_name() if e.actor else "",
            "data": e.data,
        }
        for e in deal.events.select_related("actor")
    ]
    return sorted(items, key=lambda item: item["at"])


def brand_dashboard(*, brand: Brand) -> dict[str, Any]:
    deals = Deal.objects.filter(brand=brand)
    spend: dict[str, int] = {}
    for deal in deals.exclude(funded_at=None).only("currency", "released_minor"):
        spend[deal.currency] = spend.get(deal.currency, 0) + deal.released_minor
    return {
        "campaigns": campaign_list_for_brand(brand=brand).prefetch_related("negotiations__creator")[:50],
        "deals": deals.select_related("creator").order_by("-created_at")[:50],
        "lists": saved_list_list(brand=brand),
        "spend": [Money(amount, currency) for currency, amount in sorted(spend.items())],
    }


def creator_dashboard(*, creator: CreatorProfile) -> dict[str, Any]:
    deals = Deal.objects.filter(creator=creator).select_related("brand").order_by("-created_at")
    earned: dict[str, int] = {}
    for deal in deals:
        earned[deal.currency] = earned.get(deal.currency, 0) + deal.released_minor
    return {
        "campaigns": campaign_list_open_for_creator(creator=creator)[:50],
        "negotiations": Negotiation.objects.filter(creator=creator).select_related("brand", "campaign")[:50],
        "deals": deals[:50],
        "due": Deliverable.objects.filter(
            deal__creator=creator,
            deal__status=DealStatus.ACTIVE,
            status__in=[DeliverableStatus.PENDING, DeliverableStatus.REVISION_REQUESTED],
        )
        .select_related("deal__brand")
        .order_by("due_date"),
        "earnings": [Money(amount, currency) for currency, amount in sorted(earned.items())],
    }
