"""Affiliate fixtures: a seller's shop with digital products, an affiliate, a clean click buffer."""

import pytest
from django.conf import settings

from affiliates.clicks import redis_client
from payments.charges import payment_mark_succeeded
from shops.enums import ProductType
from tests.conftest import make_creator
from tests.shops.factories import make_product, make_shop


@pytest.fixture(autouse=True)
def _clean_click_buffer():
    """Redis outlives a test's database rollback: every test starts with an empty buffer."""
    client = redis_client()
    if client is not None:
        for key in client.scan_iter(match=f"{settings.AFFILIATE_REDIS_PREFIX}:*"):
            client.delete(key)
    yield


@pytest.fixture
def seller(db):
    return make_creator("selena", country="US")


@pytest.fixture
def affiliate(creator):
    """The persona `creator` (minji) promotes other people's products."""
    return creator


@pytest.fixture
def shop(seller):
    return make_shop(seller, name="Selena's studio", slug="selena-studio")


@pytest.fixture
def krw_shop(other_creator):
    return make_shop(other_creator, name="Sora's Seoul", slug="sora-seoul", currency="KRW")


@pytest.fixture
def guide(shop):
    return make_product(shop, title="Glow guide", price="50.00", type=ProductType.DIGITAL)


@pytest.fixture
def preset(shop):
    return make_product(shop, title="Preset pack", price="30.00", type=ProductType.DIGITAL)


@pytest.fixture
def pay(django_capture_on_commit_callbacks):
    """pay(order) → the order once Stripe's webhook has marked it paid and it is settled."""

    def _pay(order, **options):
        with django_capture_on_commit_callbacks(execute=True):
            payment_mark_succeeded(
                payment=order.payment, stripe_payment_intent_id=f"pi_aff_{order.pk}", **options
            )
        order.refresh_from_db()
        return order

    return _pay
