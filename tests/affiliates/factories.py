"""Affiliate test data, built through the real services."""

import time

from affiliates.attribution import Referral
from affiliates.models import Membership, Offer
from affiliates.services import membership_join, offer_create
from creators.models import CreatorProfile
from shops.models import Order, Product, Shop
from shops.orders import ItemRequest, order_create


def make_offer(shop: Shop, *, product: Product | None = None, rate_bps: int = 1000, **terms) -> Offer:
    return offer_create(shop=shop, product=product, rate_bps=rate_bps, **terms)


def join(offer: Offer, affiliate: CreatorProfile) -> Membership:
    return membership_join(offer=offer, affiliate=affiliate)


def clicked(*codes_and_ages: tuple[str, float]) -> Referral:
    """A referral whose cookie holds clicks on ``code`` made ``age`` seconds ago."""
    now = int(time.time())
    return Referral(clicks=[(code, int(now - age)) for code, age in codes_and_ages])


def buy(
    shop: Shop,
    *products: Product,
    referral: Referral | None = None,
    buyer=None,
    email="guest@example.com",
    code="",
) -> Order:
    """An order for one of each (digital or variant-less) product."""
    return order_create(
        shop=shop,
        items=[ItemRequest(product_id=p.pk, variant_id=None, quantity=1) for p in products],
        email=email,
        buyer=buyer,
        discount_code=code,
        referral=referral,
    )
