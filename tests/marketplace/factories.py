"""Marketplace test data, built through the real services."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from common.money import Money
from creators.models import Post
from marketplace.models import Brand, Deal, Listing
from marketplace.services.brands import brand_create
from marketplace.services.listings import listing_upsert
from marketplace.services.negotiations import offer_accept, offer_send
from payments.models import Payment
from tests.conftest import make_user

_posts = count(1)


def due(days: int = 14) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def make_brand(owner=None, *, name: str = "Glow Co", country: str = "US") -> Brand:
    owner = owner or make_user(f"owner{next(_posts)}@glow.example")
    return brand_create(
        user=owner, name=name, country=country, website="https://glow.example", industry="beauty"
    )


def make_listing(
    creator,
    *,
    currency: str = "USD",
    reel: int | None = 50_000,
    carousel: int | None = 30_000,
    standard: int | None = None,
    **options,
) -> Listing:
    options.setdefault("niches", creator.niches or ["beauty"])
    options.setdefault("languages", creator.languages or ["en"])
    return listing_upsert(
        creator=creator,
        currency=currency,
        rates={"reel": reel, "carousel": carousel, "standard": standard},
        **options,
    )


def make_post(
    creator,
    *,
    fmt: str = "reel",
    days_ago: int = 3,
    views: int = 1000,
    likes: int = 50,
    comments: int = 5,
    shares: int = 5,
    branded: bool = False,
    external_id: str | None = None,
) -> Post:
    return Post.objects.create(
        creator=creator,
        external_id=external_id or f"p{next(_posts)}",
        format=fmt,
        published_at=timezone.now() - timedelta(days=days_ago),
        views=views,
        likes=likes,
        comments=comments,
        shares=shares,
        is_branded=branded,
    )


def make_deal(
    brand: Brand,
    owner,
    creator,
    *,
    amount_minor: int = 100_000,
    currency: str = "USD",
    deliverables: list | None = None,
) -> Deal:
    """An accepted deal, awaiting funding: the brand offers, the creator accepts."""
    if not hasattr(creator, "listing"):
        make_listing(creator, currency=currency)
    negotiation = offer_send(
        brand=brand,
        user=owner,
        creator=creator,
        amount=Money(amount_minor, currency),
        deliverables=deliverables or [{"format": "reel", "count": 2, "due_date": due()}],
    )
    return offer_accept(negotiation=negotiation, user=creator.user)


def mark_funded(deal: Deal) -> Deal:
    """Fund a deal as the webhook would, without Stripe (the emulator flow is tested separately)."""
    from marketplace.services.deals import _deal_payment_prepare
    from payments.charges import payment_mark_succeeded
    from payments.settlement import settlement_post

    payment = _deal_payment_prepare(deal=deal, user=deal.brand.memberships.get(role="owner").user)
    payment_mark_succeeded(payment=payment, stripe_payment_intent_id=f"pi_test_{deal.pk}")
    settlement_post(payment=Payment.objects.get(pk=payment.pk))
    return Deal.objects.get(pk=deal.pk)
