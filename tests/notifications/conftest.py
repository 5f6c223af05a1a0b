"""Data for the notification tests, built through the real services of the apps that notify."""

import pytest

from payments.charges import payment_mark_succeeded
from shops.orders import ItemRequest, order_create
from shops.services import variant_create
from tests.marketplace.factories import make_brand, make_deal
from tests.shops.factories import make_product, make_shop

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "postal_code": "78701",
    "country": "us",
}


@pytest.fixture
def tee(creator):
    product = make_product(make_shop(creator, name="Minji Makes"), title="Tee", price="20.00")
    return product, variant_create(product=product, name="M", stock=5)


@pytest.fixture
def paid_order(tee, django_capture_on_commit_callbacks):
    """paid_order(buyer=None or a user) → an order for one tee, paid, with its emails sent."""

    def make(buyer=None, email="guest@example.com"):
        product, variant = tee
        order = order_create(
            shop=product.shop,
            items=[ItemRequest(product_id=product.pk, variant_id=variant.pk, quantity=1)],
            email="" if buyer else email,
            buyer=buyer,
            shipping_address=ADDRESS,
        )
        with django_capture_on_commit_callbacks(execute=True):
            payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=f"pi_test_{order.pk}")
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def glow(brand):
    """A brand owned by the `brand` persona."""
    return make_brand(brand, name="Glow Co")


@pytest.fixture
def deal(glow, brand, creator):
    return make_deal(glow, brand, creator, amount_minor=100_000)
