"""Brands sell too: a brand's owners open its shop, its owners and managers run it, its sales
credit the brand's ledger party, and nobody else sees its orders."""

import pytest
from django.core import mail
from django.urls import reverse

from affiliates.services import membership_join, offer_create
from common.errors import ApplicationError, NotFoundError
from marketplace.enums import BrandRole
from marketplace.models import BrandMembership
from marketplace.services.brands import brand_create
from payments.charges import payment_mark_succeeded
from payments.ledger import account_get_or_create
from shops.enums import ProductType, ShopStatus
from shops.models import Shop
from shops.orders import ItemRequest, order_create
from shops.selectors import order_get_for_seller, shop_get_for_owner
from shops.services import shop_create, shop_set_status
from tests.conftest import make_creator, make_user
from tests.payments.factories import balance_of
from tests.shops.factories import make_product

SHOP_FIELDS = {"name": "Glow Labs store", "slug": "glow-labs", "currency": "USD"}


@pytest.fixture
def owner(db):
    return make_user("owner@glowlabs.example")


@pytest.fixture
def manager(db):
    return make_user("manager@glowlabs.example")


@pytest.fixture
def glow(owner, manager):
    brand = brand_create(user=owner, name="Glow Labs", country="US", industry="beauty")
    BrandMembership.objects.create(brand=brand, user=manager, role=BrandRole.MANAGER)
    return brand


@pytest.fixture
def brand_shop(glow, owner):
    shop = shop_create(brand=glow, actor=owner, **SHOP_FIELDS)
    return shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=owner)


def test_a_brand_owner_opens_the_brand_shop_on_the_web(client, owner, glow):
    client.force_login(owner)
    assert client.get(reverse("shops:create")).status_code == 200
    response = client.post(
        reverse("shops:create"), {**SHOP_FIELDS, "country": "US", "refund_window_days": 14}
    )
    assert response.status_code == 302, response.content
    shop = Shop.objects.get()
    assert (shop.brand, shop.creator, shop.owner_party) == (glow, None, f"brand:{glow.pk}")
    assert client.get(reverse("shops:dashboard")).status_code == 200


def test_only_an_owner_opens_it_and_only_once(glow, manager, owner, buyer):
    with pytest.raises(ApplicationError) as error:
        shop_create(brand=glow, actor=manager, **SHOP_FIELDS)
    assert error.value.code == "role_required"
    with pytest.raises(NotFoundError):
        shop_create(brand=glow, actor=buyer, **SHOP_FIELDS)
    shop_create(brand=glow, actor=owner, **SHOP_FIELDS)
    with pytest.raises(ApplicationError) as error:
        shop_create(brand=glow, actor=owner, **{**SHOP_FIELDS, "slug": "glow-2"})
    assert error.value.code == "shop_exists"


def test_managers_run_the_shop_outsiders_cannot(client, brand_shop, manager, other_creator):
    assert shop_get_for_owner(user=manager) == brand_shop
    assert shop_get_for_owner(user=other_creator.user) is None
    client.force_login(manager)
    assert client.get(reverse("shops:dashboard")).status_code == 200
    with pytest.raises(NotFoundError):
        shop_set_status(shop=brand_shop, status=ShopStatus.PAUSED, actor=other_creator.user)
    shop_set_status(shop=brand_shop, status=ShopStatus.PAUSED, actor=manager)


def test_a_brand_sale_credits_the_brand_and_tells_its_team(
    brand_shop, glow, owner, manager, other_creator, django_capture_on_commit_callbacks
):
    product = make_product(brand_shop, title="Serum", price="30.00", type=ProductType.DIGITAL)
    order = order_create(shop=brand_shop, items=[ItemRequest(product.pk, None, 1)], email="fan@example.com")
    assert order.payment.splits[0]["party"] == f"brand:{glow.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id="pi_brand_1")
    pending = account_get_or_create(party=f"brand:{glow.pk}", kind="pending", currency="USD")
    assert balance_of(pending) == 2850  # $30.00 minus the 5% shop-sale commission
    notices = {tuple(m.to) for m in mail.outbox if m.subject.startswith("New order")}
    assert notices == {(owner.email,), (manager.email,)}
    assert order_get_for_seller(user=manager, number=order.number) == order
    with pytest.raises(NotFoundError):
        order_get_for_seller(user=other_creator.user, number=order.number)


def test_the_brand_storefront_is_public(client, brand_shop):
    make_product(brand_shop, title="Serum", price="30.00")
    response = client.get(reverse("shop-storefront", args=[brand_shop.slug]))
    assert response.status_code == 200 and "Serum" in response.content.decode()


def test_a_brand_member_cannot_be_an_affiliate_of_the_brand_shop(brand_shop):
    offer = offer_create(shop=brand_shop, rate_bps=1000)
    creator = make_creator("teamcreator")
    BrandMembership.objects.create(brand=brand_shop.brand, user=creator.user, role=BrandRole.MANAGER)
    with pytest.raises(ApplicationError) as error:
        membership_join(offer=offer, affiliate=creator)
    assert error.value.code == "own_offer"
