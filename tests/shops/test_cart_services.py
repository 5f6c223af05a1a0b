"""Carts: adding, quantities, one currency per cart, grouping by shop, merging at login."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from common.errors import ApplicationError
from shops.cart import (
    SESSION_KEY,
    cart_add,
    cart_count,
    cart_for_request,
    cart_for_user,
    cart_groups,
    cart_merge,
    cart_set_quantity,
)
from shops.enums import ProductStatus, ProductType
from shops.models import Cart, CartItem
from shops.services import product_update, variant_create
from tests.shops.factories import make_product, make_shop


@pytest.fixture
def shop(creator):
    return make_shop(creator)


@pytest.fixture
def tee(shop):
    product = make_product(shop, title="Tee", price="20.00")
    return product, variant_create(product=product, name="M", stock=3)


@pytest.fixture
def cart(buyer):
    return cart_for_user(user=buyer, create=True)


def request_for(user=None, session=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = session if session is not None else SessionStore()
    return request


def test_adding_the_same_item_adds_up_within_stock(cart, tee):
    product, variant = tee
    cart_add(cart=cart, product_id=product.pk, variant_id=variant.pk, quantity=2)
    item = cart_add(cart=cart, product_id=product.pk, variant_id=variant.pk, quantity=1)
    assert item.quantity == 3 and CartItem.objects.count() == 1
    with pytest.raises(ApplicationError) as error:
        cart_add(cart=cart, product_id=product.pk, variant_id=variant.pk, quantity=1)
    assert error.value.code == "insufficient_stock"
    assert CartItem.objects.get().quantity == 3


@pytest.mark.parametrize(
    ("product_key", "variant_key", "quantity", "code"),
    [
        ("tee", None, 1, "variant_required"),
        ("tee", "foreign", 1, "invalid_variant"),
        ("tee", "variant", 0, "invalid_quantity"),
        ("tee", "variant", 100, "invalid_quantity"),
        ("tee", "variant", True, "invalid_quantity"),
        ("draft", None, 1, "product_unavailable"),
        ("missing", None, 1, "product_unavailable"),
        ("ebook", "variant", 1, "invalid_variant"),
    ],
)
def test_bad_additions_are_refused(cart, shop, tee, product_key, variant_key, quantity, code):
    product, variant = tee
    other = make_product(shop, title="Cap")
    foreign = variant_create(product=other, name="One size", stock=5)
    draft = make_product(shop, title="Draft", status=ProductStatus.DRAFT)
    ebook = make_product(shop, title="Book", type=ProductType.DIGITAL)
    products = {"tee": product.pk, "draft": draft.pk, "missing": 999_999, "ebook": ebook.pk}
    variants = {"variant": variant.pk, "foreign": foreign.pk, None: None}
    with pytest.raises(ApplicationError) as error:
        cart_add(
            cart=cart, product_id=products[product_key], variant_id=variants[variant_key], quantity=quantity
        )
    assert error.value.code == code
    assert not CartItem.objects.exists()


def test_one_currency_per_cart(cart, tee, other_creator):
    product, variant = tee
    yen_shop = make_shop(other_creator, currency="JPY")
    yen = make_product(yen_shop, title="Mug", price="1500", type=ProductType.DIGITAL)
    cart_add(cart=cart, product_id=product.pk, variant_id=variant.pk)
    with pytest.raises(ApplicationError) as error:
        cart_add(cart=cart, product_id=yen.pk)
    assert error.value.code == "cart_currency_mismatch"
    CartItem.objects.all().delete()
    cart_add(cart=cart, product_id=yen.pk)  # an empty cart takes any currency
    cart.refresh_from_db()
    assert cart.currency == "JPY"


def test_groups_by_shop_with_prices_and_problems(cart, shop, tee, other_creator):
    product, variant = tee
    other_shop = make_shop(other_creator)
    book = make_product(other_shop, title="Book", price="9.50", type=ProductType.DIGITAL)
    cart_add(cart=cart, product_id=product.pk, variant_id=variant.pk, quantity=2)
    cart_add(cart=cart, product_id=book.pk, quantity=5)  # digital: always one
    groups = {group.shop.pk: group for group in cart_groups(cart=cart)}
    assert groups[shop.pk].subtotal.amount_minor == 4000
    assert groups[other_shop.pk].subtotal.amount_minor == 950
    assert groups[shop.pk].needs_shipping and not groups[other_shop.pk].needs_shipping
    assert cart_count(cart=cart) == 3
    # stock sold elsewhere and a product taken off sale show up as problems, not errors
    variant.stock = 1
    variant.save()
    product_update(product=book, status=ProductStatus.ARCHIVED)
    groups = {group.shop.pk: group for group in cart_groups(cart=cart)}
    assert groups[shop.pk].lines[0].problem == "Only 1 left."
    assert groups[other_shop.pk].lines[0].problem == "No longer for sale."
    assert not groups[shop.pk].can_checkout and not groups[other_shop.pk].can_checkout


def test_set_quantity_and_remove(cart, tee, other_creator):
    product, variant = tee
    item = cart_add(cart=cart, product_id=product.pk, variant_id=variant.pk)
    assert cart_set_quantity(cart=cart, item_id=item.pk, quantity=3).quantity == 3
    with pytest.raises(ApplicationError) as error:
        cart_set_quantity(cart=cart, item_id=item.pk, quantity=4)
    assert error.value.code == "insufficient_stock"
    other_cart = cart_for_user(user=other_creator.user, create=True)
    with pytest.raises(ApplicationError) as error:
        cart_set_quantity(cart=other_cart, item_id=item.pk, quantity=1)
    assert error.value.code == "cart_item_not_found"
    assert cart_set_quantity(cart=cart, item_id=item.pk, quantity=0) is None
    assert not CartItem.objects.exists()


def test_guest_cart_lives_in_the_session_and_merges_at_login(tee, buyer):
    product, variant = tee
    session = SessionStore()
    guest = cart_for_request(request_for(session=session), create=True)
    assert guest.user is None and session[SESSION_KEY] == guest.session_key
    cart_add(cart=guest, product_id=product.pk, variant_id=variant.pk, quantity=2)
    mine = cart_for_user(user=buyer, create=True)
    cart_add(cart=mine, product_id=product.pk, variant_id=variant.pk, quantity=2)
    # the first request after login: the guest cart is merged (capped by stock) and forgotten
    merged = cart_for_request(request_for(buyer, session))
    assert merged.pk == mine.pk
    assert CartItem.objects.get(cart=mine).quantity == 3
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert SESSION_KEY not in session


def test_merge_drops_items_of_another_currency(tee, buyer, other_creator):
    product, variant = tee
    yen = make_product(
        make_shop(other_creator, currency="JPY"), title="Mug", price="1500", type=ProductType.DIGITAL
    )
    guest = Cart.objects.create(session_key="guest-token")
    cart_add(cart=guest, product_id=yen.pk)
    mine = cart_for_user(user=buyer, create=True)
    cart_add(cart=mine, product_id=product.pk, variant_id=variant.pk)
    cart_merge(guest=guest, user=buyer)
    assert list(CartItem.objects.values_list("product_id", flat=True)) == [product.pk]


def test_a_guest_never_sees_another_guests_cart(tee):
    product, variant = tee
    guest = cart_for_request(request_for(), create=True)
    cart_add(cart=guest, product_id=product.pk, variant_id=variant.pk)
    assert cart_for_request(request_for()) is None
