"""Demo data for the brand and creator homes (`manage.py seed_demo`): Glow Labs runs a campaign,
pays Min-ji for sponsored reels (one approved, one still due), waits to fund a deal with Alex,
and sells a serum in its own shop that Min-ji promotes as an affiliate.

Everything goes through the same services as the real flows; only Stripe is skipped, the way
shops.demo skips it: the payment is marked paid as the webhook would, then settled at once.
"""

import time
from datetime import timedelta

from django.utils import timezone

from affiliates.attribution import Referral
from affiliates.services import membership_join, offer_create
from common.money import Money
from creators.models import CreatorProfile, User
from marketplace.enums import CampaignVisibility
from marketplace.models import Brand, Deal
from marketplace.services.deals import _deal_payment_prepare, deliverable_approve, deliverable_submit
from marketplace.services.negotiations import application_create, campaign_create, offer_accept, offer_send
from payments.charges import payment_mark_succeeded
from payments.settlement import settlement_post
from shops.enums import ProductStatus, ProductType, ShopStatus
from shops.orders import ItemRequest, order_create
from shops.services import product_create, shop_create, shop_set_status


def demo_brand_home_seed(*, brand: Brand, owner: User, minji: CreatorProfile, alex: CreatorProfile) -> None:
    """Deals, a campaign and affiliate sales for the demo brand; does nothing once it has deals."""
    if Deal.objects.filter(brand=brand).exists():
        return
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    reels = [{"format": "reel", "count": 2, "due_date": due}]
    # Min-ji (Seoul) is paid in won for two reels: funded, the first approved, the second due.
    negotiation = offer_send(
        brand=brand, user=owner, creator=minji, amount=Money(1_300_000, "KRW"), deliverables=reels
    )
    deal = _fund(offer_accept(negotiation=negotiation, user=minji.user), owner)
    first = deal.deliverables.order_by("position").first()
    deliverable_submit(deliverable=first, user=minji.user, post_url="https://social.example/minji/glow-1")
    deliverable_approve(deliverable=first, user=owner)
    # Alex (Austin) applied to the public campaign; the brand accepted and has not funded it yet.
    campaign = campaign_create(
        brand=brand,
        user=owner,
        title="Glow week",
        description="Show your morning routine with our new serum.",
        deliverables=reels,
        currency="USD",
        budget_min_minor=50_000,
        budget_max_minor=150_000,
        visibility=CampaignVisibility.PUBLIC,
    )
    application = application_create(campaign=campaign, user=alex.user, amount=Money(96_000, "USD"))
    offer_accept(negotiation=application, user=owner)
    _affiliate_sales(brand=brand, owner=owner, affiliate=minji)


def _fund(deal: Deal, owner: User) -> Deal:
    # The brand would pay on Stripe's page; the demo marks the escrow payment paid as the webhook does.
    payment = _deal_payment_prepare(deal=deal, user=owner)
    payment_mark_succeeded(payment=payment, stripe_payment_intent_id=f"pi_demo_deal_{deal.pk}")
    settlement_post(payment=payment)
    return Deal.objects.get(pk=deal.pk)


def _affiliate_sales(*, brand: Brand, owner: User, affiliate: CreatorProfile) -> None:
    shop = shop_create(brand=brand, actor=owner, name="Glow Labs store", slug="glow-labs", currency="USD")
    shop = shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=owner)
    serum = product_create(
        shop=shop,
        title="Glow serum (digital routine guide)",
        price="30.00",
        type=ProductType.DIGITAL,
        status=ProductStatus.ACTIVE,
    )
    offer = offer_create(shop=shop, rate_bps=1000, description="10% on the serum guide.")
    membership = membership_join(offer=offer, affiliate=affiliate)
    now = timezone.now()
    for days_ago in (12, 3, 1):
        referral = Referral(clicks=[(membership.code, int(time.time()) - 60)])
        order = order_create(
            shop=shop,
            items=[ItemRequest(serum.pk, None, 1)],
            email="fan@demo.example",
            referral=referral,
        )
        assert order.payment is not None
        payment_mark_succeeded(
            payment=order.payment,
            stripe_payment_intent_id=f"pi_demo_{order.payment.pk}",
            paid_at=now - timedelta(days=days_ago),
        )
        settlement_post(payment=order.payment)
