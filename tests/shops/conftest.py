"""Fixtures for the buying and selling web pages: a shop with a shirt and an e-book, orders.

Orders are created and paid through the real services (shops.orders, payments.charges), as the
checkout page and Stripe's webhook would.
"""

import pytest
from django.core.files.base import ContentFile

from payments.charges import payment_mark_succeeded
from shops.enums import ProductType
from shops.models import DigitalAsset, Order
from shops.orders import ItemRequest, order_create
from shops.services import variant_create
from tests.shops.factories import make_product, make_shop

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "postal_code": "78701",
    "country": "US",
}


@pytest.fixture
def web_shop(creator):
    return make_shop(creator, name="Minji's studio", slug="minji-studio")


@pytest.fixture
def other_shop(other_creator):
    return make_shop(other_creator, name="Sora's kitchen", slug="sora-kitchen")


@pytest.fixture
def shirt(web_shop):
    """A physical product with one variant, five in stock: (product, variant)."""
    product = make_product(web_shop, title="Shirt", price="20.00")
    return product, variant_create(product=product, name="M / Blue", stock=5)


@pytest.fixture
def ebook(web_shop):
    product = make_product(web_shop, title="Glow guide", price="9.99", type=ProductType.DIGITAL)
    DigitalAsset.objects.create(
        product=product,
        file=ContentFile(b"%PDF-1.4 the guide", name="glow-guide.pdf"),
        filename="glow-guide.pdf",
        size_bytes=18,
        download_limit=2,
    )
    return product


def place(shop, *items, buyer=None, email="guest@example.com", address=ADDRESS, code="") -> Order:
    """An order awaiting payment: ``items`` are (product, variant or None, quantity)."""
    return order_create(
        shop=shop,
        items=[ItemRequest(product_id=p.pk, variant_id=v.pk if v else None, quantity=q) for p, v, q in items],
        email=email,
        buyer=buyer,
        shipping_address=address,
        discount_code=code,
    )


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """pay(order) → the order once Stripe's webhook has marked its payment paid and it is settled."""

    def _pay(order: Order, **options) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            payment_mark_succeeded(
                payment=order.payment, stripe_payment_intent_id=f"pi_test_{order.pk}", **options
            )
        order.refresh_from_db()
        return order

    return _pay
