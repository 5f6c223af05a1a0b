"""Creator listings: the opt-in marketplace profile, its rate card, and its measured figures."""

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money, charge_amount_validate, currency_validate
from creators.enums import Niche, PostFormat
from creators.models import CreatorProfile, Post
from marketplace.enums import MEASURE_WINDOW, Availability, follower_band_for
from marketplace.models import Listing
from marketplace.search_cache import search_cache_invalidate

logger = logging.getLogger(__name__)

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES) | {
    "de",
    "es",
    "it",
    "pt",
    "zh",
    "th",
    "id",
    "vi",
    "hi",
    "ar",
    "nl",
    "ru",
    "tr",
}


def _codes(
    values: Iterable[str], *, allowed: frozenset[str] | None, field: str, upper: bool = False
) -> list[str]:
    cleaned = []
    for raw in values:
        value = str(raw).strip()
        value = value.upper() if upper else value.lower()
        if allowed is not None and value not in allowed:
            raise ApplicationError(
                _('"%(value)s" is not a valid choice.') % {"value": raw},
                code="invalid",
                fields={field: []},
            )
        if upper and (len(value) != 2 or not value.isalpha()):
            raise ApplicationError(
                _("Use two-letter ISO country codes."), code="invalid_country", fields={field: []}
            )
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _search_text(creator: CreatorProfile, niches: list[str]) -> str:
    # Lowercased once here, so the search is a plain LIKE that the trigram index serves.
    return " ".join([creator.handle, creator.display_name, creator.bio, *niches]).lower()


@transaction.atomic
def listing_upsert(
    *,
    creator: CreatorProfile,
    currency: str,
    rates: Mapping[str, int | None],
    is_listed: bool = True,
    niches: Iterable[str] = (),
    languages: Iterable[str] = (),
    audience_countries: Iterable[str] = (),
    availability: str = Availability.AVAILABLE,
    showcased_post_ids: Iterable[int] = (),
) -> Listing:
    """Create or replace the creator's marketplace profile.

    ``rates`` is minor units per format (reel, carousel, standard) in ``currency``, None for a
    format the creator does not sell; a listed profile needs at least one. Refuses a rate below
    the currency's minimum charge (``amount_below_minimum``), unknown niches or languages
    (``invalid``), a showcased post that is not the creator's (``post_not_yours``), and a
    suspended creator (``creator_suspended``).
    """
    if creator.is_suspended:
        raise ApplicationError(
            _("A suspended creator cannot be listed."), code="creator_suspended", status_code=403
        )
    currency = currency_validate(currency)
    unknown = set(rates) - set(PostFormat.values)
    if unknown:
        raise ApplicationError(_("Unknown format."), code="invalid", fields={"rates": []})
    clean_rates: dict[str, int | None] = {}
    for fmt in PostFormat.values:
        amount = rates.get(fmt)
        if amount is not None:
            charge_amount_validate(Money(amount, currency))
        clean_rates[fmt] = amount
    if is_listed and not any(clean_rates.values()):
        raise ApplicationError(
            _("A listed profile needs a price for at least one format."), code="rate_card_empty"
        )
    if availability not in Availability.values:
        raise ApplicationError(_("Unknown availability."), code="invalid", fields={"availability": []})
    niche_list = _codes(niches, allowed=frozenset(Niche.values), field="niches")
    post_ids = list(dict.fromkeys(int(pk) for pk in showcased_post_ids))
    posts = list(Post.objects.filter(pk__in=post_ids, creator=creator, is_deleted=False))
    if len(posts) != len(post_ids):
        raise ApplicationError(
            _("Showcase only your own posts."), code="post_not_yours", fields={"showcased_post_ids": []}
        )
    listing, _created = Listing.objects.update_or_create(
        creator=creator,
        defaults={
            "is_listed": is_listed,
            "currency": currency,
            "rate_reel_minor": clean_rates["reel"],
            "rate_carousel_minor": clean_rates["carousel"],
            "rate_standard_minor": clean_rates["standard"],
            "niches": niche_list,
            "languages": _codes(languages, allowed=LANGUAGE_CODES, field="languages"),
            "audience_countries": _codes(
                audience_countries, allowed=None, field="audience_countries", upper=True
            ),
            "availability": availability,
            "handle": creator.handle,
            "display_name": creator.display_name,
            "country": creator.country,
            "search_text": _search_text(creator, niche_list),
        },
    )
    listing.showcased_posts.set(posts)
    if listing.measured_at is None:
        listing_measure(listing=listing)
    transaction.on_commit(search_cache_invalidate)  # an unlisting must vanish from searches at once
    return listing


def listing_measure(*, listing: Listing, now: datetime | None = None) -> Listing:
    """Recompute the 90-day figures from ingested posts: followers, average views per format,
    engagement rate ((likes + comments + shares) / views, in bps), posts and branded share.

    Posts published in the window, deleted ones excluded. One aggregate query per listing.
    """
    now = now or timezone.now()
    since = now - MEASURE_WINDOW
    creator = listing.creator
    window = Q(posts__published_at__gte=since, posts__published_at__lte=now, posts__is_deleted=False)
    figures: dict = {}
    for fmt in PostFormat.values:
        in_format = window & Q(posts__format=fmt)
        figures[f"views_{fmt}"] = Sum("posts__views", filter=in_format)
        figures[f"count_{fmt}"] = Count("posts", filter=in_format)
    figures["views"] = Sum("posts__views", filter=window)
    figures["engagement"] = Sum("posts__likes", filter=window)
    figures["comments"] = Sum("posts__comments", filter=window)
    figures["shares"] = Sum("posts__shares", filter=window)
    figures["count"] = Count("posts", filter=window)
    figures["branded"] = Count("posts", filter=window & Q(posts__is_branded=True))
    row = CreatorProfile.objects.filter(pk=creator.pk).aggregate(**figures)
    views = row["views"] or 0
    engaged = (row["engagement"] or 0) + (row["comments"] or 0) + (row["shares"] or 0)
    count = row["count"] or 0
    listing.followers = creator.followers
    listing.follower_band = follower_band_for(creator.followers)
    for fmt in PostFormat.values:
        n = row[f"count_{fmt}"] or 0
        setattr(listing, f"avg_views_{fmt}", (row[f"views_{fmt}"] or 0) // n if n else None)
    listing.formats = [fmt for fmt in PostFormat.values if row[f"count_{fmt}"]]
    listing.engagement_rate_bps = engaged * 10_000 // views if views else 0
    listing.posts_90d = count
    listing.branded_share_bps = row["branded"] * 10_000 // count if count else 0
    listing.measured_at = now
    # Keep the search copies fresh too: the creator may have renamed themselves.
    listing.handle, listing.display_name, listing.country = (
        creator.handle,
        creator.display_name,
        creator.country,
    )
    listing.search_text = _search_text(creator, listing.niches)
    listing.save(
        update_fields=[
            "followers",
            "follower_band",
            "avg_views_reel",
            "avg_views_carousel",
            "avg_views_standard",
            "formats",
            "engagement_rate_bps",
            "posts_90d",
            "branded_share_bps",
            "measured_at",
            "handle",
            "display_name",
            "country",
            "search_text",
            "updated_at",
        ]
    )
    return listing


def listings_measure_all(*, now: datetime | None = None, batch: int = 500) -> int:
    """The periodic refresh: measure every listing (listed or not); returns how many.

    Each listing is its own small write, so the job never holds long locks; a failure on one
    listing is logged and the others go on.
    """
    done = 0
    ids = list(Listing.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        for listing in Listing.objects.filter(pk__in=ids[start : start + batch]).select_related("creator"):
            try:
                listing_measure(listing=listing, now=now)
                done += 1
            except Exception:  # one bad row must not stop the nightly refresh
                logger.exception("listing %s not measured", listing.pk)
    return done
