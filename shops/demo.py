"""Demo shops for `make run`: each named demo creator sells a physical and a digital product, and
has a few real orders (placed, paid, settled and partly shipped through the same services as a
real sale), so the storefront, the seller's orders and the Earnings page all have something to show."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from common.money import Money
from creators.models import CreatorProfile, User
from payments.charges import payment_mark_succeeded
from payments.holds import holds_release_due
from payments.settlement import settlement_post
from shops.enums import DiscountKind, ProductStatus, ProductType, ShopStatus
from shops.models import DigitalAsset, Order, Shop
from shops.orders import ItemRequest, order_create, order_ship
from shops.services import discount_code_create, product_create, shop_create, shop_set_status, variant_create

# (quantity of the tote, days ago, shipped?) for each demo order
DEMO_ORDERS = ((3, 45, True), (1, 6, True), (2, 1, False))


def demo_shop_seed(*, profile: CreatorProfile, currency: str, unit_minor: int, buyer: User) -> Shop:
    """The creator's demo shop with its products and orders; does nothing if the shop exists."""
    existing = Shop.objects.filter(creator=profile).first()
    if existing is not None:
        return existing
    shop = shop_create(
        creator=profile,
        name=f"{profile.display_name}'s shop",
        slug=profile.handle.replace(".", "-").replace("_", "-"),
        currency=currency,
        description=f"Things {profile.display_name} makes and uses.",
    )
    shop = shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=profile.user)
    price = Money(unit_minor, currency).as_decimal()
    tote = product_create(
        shop=shop,
        title="Signature tote bag",
        price=str(price),
        description="Heavy organic cotton, printed by hand.",
        status=ProductStatus.ACTIVE,
    )
    natural = variant_create(product=tote, name="Natural", stock=25, sku="TOTE-NAT")
    variant_create(product=tote, name="Black", stock=10, sku="TOTE-BLK")
    guide = product_create(
        shop=shop,
        title="Digital guide (PDF)",
        price=str(Money(unit_minor // 2, currency).as_decimal()),
        description="Everything I learned, in 40 pages.",
        type=ProductType.DIGITAL,
        status=ProductStatus.ACTIVE,
    )
    DigitalAsset.objects.create(
        product=guide,
        file=ContentFile(f"{profile.display_name}'s guide — demo file.\n".encode(), name="guide.txt"),
        filename="guide.txt",
    )
    discount_code_create(shop=shop, code="WELCOME10", kind=DiscountKind.PERCENT, value=1000)
    _demo_orders(shop, tote_id=tote.pk, variant_id=natural.pk, guide_id=guide.pk, buyer=buyer)
    holds_release_due()
    return shop


def _demo_orders(shop: Shop, *, tote_id: int, variant_id: int, guide_id: int, buyer: User) -> None:
    now = timezone.now()
    address = {"name": "Demo Buyer", "line1": "1 Demo Street", "city": "Springfield", "postal_code": "12345"}
    for quantity, days_ago, shipped in DEMO_ORDERS:
        order: Order = order_create(
            shop=shop,
            items=[ItemRequest(tote_id, variant_id, quantity), ItemRequest(guide_id, None, 1)],
            email=buyer.email,
            buyer=buyer,
            shipping_address={**address, "country": shop.country},
        )
        assert order.payment is not None
        payment_mark_succeeded(
            payment=order.payment,
            stripe_payment_intent_id=f"pi_demo_{order.payment.pk}",
            paid_at=now - timedelta(days=days_ago),
        )
        settlement_post(payment=order.payment)  # now, not on commit: the holds are released next
        if shipped:
            order_ship(
                order=order, carrier="other", tracking_number=f"DEMO-{order.number}", actor=shop.creator.user
            )
