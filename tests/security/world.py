"""One small world for the permission matrix: every kind of object, owned by a known persona.

Built once per module through the real services (the same factories the app tests use), so each
URL's kwargs can point at an object whose owner is known:

- ``creator`` (minji, KR) runs a shop (a shirt with a variant, a digital guide), an affiliate offer
  on it, a marketplace listing, a pending bonus invitation and an approved bonus award, and is an
  affiliate in the brand's offer; she has a deal and an open negotiation with the brand.
- ``brand`` (the brand member) owns the brand "Glow Co": its shop and offer, a campaign, a saved
  list, the offer that became the deal and an open offer; a pending brand invitation for the buyer.
- ``buyer`` has a paid order from minji's shop (with a download link), one from the brand's shop,
  and an item in a cart.
- ``other_creator`` (sora, JP, with a shop and a listing of her own) and ``other_brand`` (the
  owner of "Other Co") are the outsiders.
- ``staff`` is a superuser.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.test import TestCase
from django.utils import timezone

from affiliates.services import membership_join, offer_create
from bonuses.models import Award, Invitation
from bonuses.runs import run_approve
from bonuses.services import invitation_create
from common.money import Money, format_money
from creators.models import User
from marketplace.models import Campaign, Deal, Negotiation, SavedList
from marketplace.services.brands import brand_invitation_create
from marketplace.services.negotiations import campaign_create, offer_send, saved_list_create
from payments.charges import payment_mark_succeeded
from payments.commission import commission_defaults_ensure
from payments.enums import AccountKind
from payments.models import LedgerAccount, party_for_user
from shops.cart import cart_add, cart_for_user
from shops.enums import ProductType, ShopStatus
from shops.models import DigitalAsset, DownloadGrant, Order
from shops.orders import ItemRequest, download_token, order_create
from shops.services import shop_create, shop_set_status, variant_create
from tests.bonuses.factories import (
    INVITED_AT,
    computed_run,
    enrol,
    ingest,
    make_formula,
    make_programme,
    march,
)
from tests.conftest import PASSWORD, make_creator, make_user
from tests.marketplace.factories import due, make_brand, make_deal, make_listing
from tests.shops.factories import make_product, make_shop

PERSONAS = ("anonymous", "buyer", "creator", "other_creator", "brand", "other_brand", "staff")

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "postal_code": "78701",
    "country": "US",
}


@dataclass
class Secrets:
    """Amounts only some personas (and staff) may see: what → (how it is written, who may see it)."""

    texts: dict[str, tuple[list[str], frozenset[str]]]

    def leaked_in(self, body: str, persona: str = "staff") -> list[str]:
        """Which of the secrets ``body`` shows that ``persona`` may not see (staff: every one shown)."""
        return [
            what
            for what, (needles, allowed) in self.texts.items()
            if (persona == "staff" or persona not in allowed) and any(needle in body for needle in needles)
        ]


def _money_needles(amount_minor: int, currency: str) -> list[str]:
    """The amount as people read it (each language) and as the API writes it."""
    formatted = {format_money(Money(amount_minor, currency), locale) for locale in ("en", "fr", "ja", "ko")}
    keys = ("amount_minor", "total_minor")
    return [*formatted, *(f'"{key}":{sep}{amount_minor}' for key in keys for sep in ("", " "))]


@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[str, Any] = field(default_factory=dict)
    secrets: Secrets = field(default_factory=lambda: Secrets(texts={}))  # built by world_build

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _paid(order: Order) -> Order:
    """Mark the order's payment paid as Stripe's webhook would, running the settlement it triggers."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=f"pi_perm_{order.pk}")
    order.refresh_from_db()
    return order


def _bonus(creator) -> tuple[Invitation, Award]:
    """An approved award for minji in one programme and a pending invitation to another."""
    staff_actor = User.objects.get(email="staff@example.com")
    awarded = make_programme()
    make_formula(awarded, caps={"KRW": {"post": 4000, "creator": None}})
    enrol(awarded, creator)
    ingest(
        creator,
        {"external_id": "perm-reel", "day": 10, "views": 12_345, "likes": 100, "comments": 10, "shares": 5},
        {"external_id": "perm-carousel", "day": 12, "format": "carousel", "views": 100_000},
    )
    run = run_approve(run=computed_run(march(awarded)), actor=staff_actor)
    award = Award.objects.get(run=run, creator=creator)
    invited = make_programme()
    make_formula(invited)
    invitation = invitation_create(programme=invited, creator=creator, invited_by=None, now=INVITED_AT)
    return invitation, award


def _open_programme():
    """A programme whose season is still to come, nobody invited: creators may register interest."""
    today = timezone.localdate()
    upcoming = make_programme(starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=120))
    make_formula(upcoming)
    return upcoming


def _shop_of(world_creator) -> dict[str, Any]:
    shop = make_shop(world_creator, name="Minji's studio", slug="minji-studio")
    shirt = make_product(shop, title="Shirt", price="20.00")
    variant = variant_create(product=shirt, name="M / Blue", stock=5)
    guide = make_product(shop, title="Glow guide", price="9.99", type=ProductType.DIGITAL)
    DigitalAsset.objects.create(
        product=guide,
        file=ContentFile(b"%PDF-1.4 the guide", name="perm-guide.pdf"),
        filename="perm-guide.pdf",
        size_bytes=18,
        download_limit=5,
    )
    return {"shop": shop, "product": shirt, "variant": variant, "digital": guide}


def _brand_side(brand_user, creator) -> dict[str, Any]:
    glow = make_brand(brand_user, name="Glow Co")
    brand_shop = shop_create(
        brand=glow, actor=brand_user, name="Glow store", slug="glow-store", currency="USD"
    )
    brand_shop = shop_set_status(shop=brand_shop, status=ShopStatus.OPEN, actor=brand_user)
    serum = make_product(brand_shop, title="Serum", price="30.00", type=ProductType.DIGITAL)
    brand_offer = offer_create(shop=brand_shop, product=serum, rate_bps=1000)
    membership = membership_join(offer=brand_offer, affiliate=creator)
    make_listing(creator, currency="USD")
    campaign = campaign_create(
        brand=glow,
        user=brand_user,
        title="Spring glow",
        description="Show your morning routine.",
        deliverables=[{"format": "reel", "count": 1, "due_date": due()}],
        currency="USD",
        budget_min_minor=50_000,
        budget_max_minor=150_000,
    )
    deal = make_deal(glow, brand_user, creator, amount_minor=100_000)
    negotiation = offer_send(
        brand=glow,
        user=brand_user,
        creator=creator,
        campaign=campaign,
        amount=Money(80_000, "USD"),
        deliverables=[{"format": "reel", "count": 1, "due_date": due()}],
    )
    saved = saved_list_create(brand=glow, user=brand_user, name="Skincare")
    invitation = brand_invitation_create(
        brand=glow, user=brand_user, email="buyer@example.com", role="manager"
    )
    return {
        "brand_org": glow,
        "brand_shop": brand_shop,
        "brand_product": serum,
        "brand_offer": brand_offer,
        "membership": membership,
        "campaign": campaign,
        "deal": Deal.objects.get(pk=deal.pk),
        "deliverable": deal.deliverables.order_by("pk").first(),
        "negotiation": Negotiation.objects.get(pk=negotiation.pk),
        "saved_list": SavedList.objects.get(pk=saved.pk),
        "brand_invitation": invitation,
    }


def world_build() -> World:
    """Build the world (caller: inside a transaction it rolls back at the end of the module)."""
    commission_defaults_ensure()
    users: dict[str, User | None] = {"anonymous": None}
    users["staff"] = User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Staff")
    creator = make_creator("minji", country="KR", niches=["beauty"], languages=["ko"])
    other_creator = make_creator("sora", country="JP", niches=["food"], languages=["ja"])
    users["creator"], users["other_creator"] = creator.user, other_creator.user
    users["buyer"] = make_user("buyer@example.com", display_name="Buyer")
    users["brand"] = make_user("brand@example.com", display_name="Brand")
    users["other_brand"] = make_user("other-brand@example.com", display_name="Other Brand")
    make_brand(users["other_brand"], name="Other Co")
    make_listing(other_creator, currency="USD")
    # Sora runs a shop too, so "minji's objects are 404 to another seller" is checked, not only
    # "a user without a shop is sent to open one".
    make_product(make_shop(other_creator, name="Sora's kitchen", slug="sora-kitchen"), title="Knife")

    objects: dict[str, Any] = {"creator_profile": creator, "other_creator_profile": other_creator}
    objects.update(_shop_of(creator))
    objects["offer"] = offer_create(shop=objects["shop"], rate_bps=1500)
    objects.update(_brand_side(users["brand"], creator))

    order = order_create(
        shop=objects["shop"],
        items=[
            ItemRequest(product_id=objects["product"].pk, variant_id=objects["variant"].pk, quantity=1),
            ItemRequest(product_id=objects["digital"].pk, variant_id=None, quantity=1),
        ],
        email="buyer@example.com",
        buyer=users["buyer"],
        shipping_address=ADDRESS,
    )
    objects["order"] = _paid(order)
    brand_order = order_create(
        shop=objects["brand_shop"],
        items=[ItemRequest(product_id=objects["brand_product"].pk, variant_id=None, quantity=1)],
        email="buyer@example.com",
        buyer=users["buyer"],
    )
    objects["brand_order"] = _paid(brand_order)
    grant = DownloadGrant.objects.get(line__order=objects["order"])
    objects["download_token"] = download_token(grant)
    cart = cart_for_user(user=users["buyer"], create=True)
    objects["cart_item"] = cart_add(cart=cart, product_id=objects["digital"].pk)
    objects["bonus_invitation"], objects["award"] = _bonus(creator)
    objects["open_programme"] = _open_programme()
    objects["campaign"] = Campaign.objects.get(pk=objects["campaign"].pk)
    objects["notification"] = _notification_for(creator.user)
    award, pending = objects["award"], _pending_of(creator.user)
    assert award.amount_minor > 0 and pending.amount_minor > 0, "the world needs money worth hiding"
    deal, order = objects["deal"], objects["order"]
    minji, parties, buyer_and_seller = (
        frozenset({"creator"}),
        frozenset({"creator", "brand"}),
        frozenset({"buyer", "creator"}),
    )
    secrets = Secrets(
        texts={
            "bonus award": (_money_needles(award.amount_minor, award.currency), minji),
            "pending earnings": (_money_needles(pending.amount_minor, pending.currency), minji),
            "deal amount": (_money_needles(deal.amount_minor, deal.currency), parties),
            "order total": (_money_needles(order.total_minor, order.currency), buyer_and_seller),
        }
    )
    return World(users=users, objects=objects, secrets=secrets)


def _notification_for(user: User) -> Any:
    """One of minji's notifications (the notification centre arrived in a later issue)."""
    from notifications.enums import NotificationType
    from notifications.models import Notification
    from notifications.services import notify

    existing = Notification.objects.filter(recipient=user).order_by("pk").first()
    return existing or notify(user=user, type=NotificationType.NEW_ORDER, params={}, url="/dashboard/shop/")


def _pending_of(user: User) -> Money:
    account = LedgerAccount.objects.get(party=party_for_user(user), kind=AccountKind.PENDING, currency="USD")
    return Money(account.balance_minor, account.currency)
