"""The buyer's cart through the API (shops.order_apis): the signed-in user's own cart."""

import pytest
from django.urls import reverse

from shops.enums import ProductStatus
from shops.models import Cart, CartItem
from shops.services import product_update, variant_update
from tests.shops.factories import make_shop
from tests.shops.test_order_api import digital, physical, stock_of

CART = reverse("api:shops-api:cart")
CART_ITEMS = reverse("api:shops-api:cart-item-add")


def item_url(item_id: int) -> str:
    return reverse("api:shops-api:cart-item", args=[item_id])


@pytest.fixture
def shop(creator):
    return make_shop(creator, currency="USD")


def add(client, variant=None, *, product=None, quantity: int = 1):
    product = product if product is not None else variant.product
    body = {"product": product.pk, "quantity": quantity}
    if variant is not None:
        body["variant"] = variant.pk
    return client.post(CART_ITEMS, body, format="json")


def test_anonymous_callers_have_no_api_cart(anonymous, shop):
    variant = physical(shop)

    for response in (
        anonymous.get(CART),
        add(anonymous, variant),
        anonymous.patch(item_url(1), {"quantity": 2}, format="json"),
        anonymous.delete(item_url(1)),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert not Cart.objects.exists()


def test_an_empty_cart_reads_without_creating_one(api_as, buyer):
    response = api_as(buyer).get(CART)

    assert response.status_code == 200
    assert response.json() == {"currency": "", "count": 0, "groups": []}
    assert not Cart.objects.exists()


def test_a_buyer_adds_items_and_sees_them_priced_per_shop(api_as, buyer, shop, other_creator):
    variant = physical(shop, stock=5, price="24.00")
    file = digital(shop, price="9.00")
    elsewhere = physical(make_shop(other_creator, currency="USD"), stock=5, price="3.50")
    client = api_as(buyer)

    assert add(client, variant, quantity=2).status_code == 201
    assert add(client, product=file).status_code == 201
    response = add(client, elsewhere)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["currency"], body["count"]) == ("USD", 4)
    groups = {group["shop"]["slug"]: group for group in body["groups"]}
    mine = groups[shop.slug]
    assert mine["subtotal"]["amount_minor"] == 2 * 2400 + 900
    assert mine["needs_shipping"] and mine["can_checkout"]
    assert [(line["title"], line["quantity"], line["available"]) for line in mine["lines"]] == [
        ("Tote bag", 2, 5),
        ("Preset pack", 1, None),
    ]
    assert groups[elsewhere.product.shop.slug]["subtotal"]["amount_minor"] == 350
    assert client.get(CART).json() == body
    assert stock_of(variant) == 5  # a cart reserves nothing


def test_adding_again_adds_up_and_a_digital_product_stays_one(api_as, buyer, shop):
    variant, file = physical(shop, stock=5), digital(shop)
    client = api_as(buyer)

    add(client, variant, quantity=2)
    add(client, variant, quantity=1)
    add(client, product=file)
    add(client, product=file)

    assert sorted(CartItem.objects.values_list("quantity", flat=True)) == [1, 3]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"quantity": 6}, "insufficient_stock"),
        ({"quantity": 0}, "invalid_quantity"),
        ({"quantity": 100}, "invalid_quantity"),
        ({"quantity": "many"}, "invalid"),
        ({"variant": None}, "variant_required"),
        ({"variant": "foreign"}, "invalid_variant"),
        ({"product": "inactive"}, "product_unavailable"),
        ({"product": 999_999}, "product_unavailable"),
        ({"product": "yen"}, "cart_currency_mismatch"),
    ],
    ids=[
        "above stock",
        "zero",
        "above the line limit",
        "not a number",
        "no variant",
        "another product's variant",
        "inactive product",
        "unknown product",
        "another currency than the cart",
    ],
)
def test_bad_items_are_refused_and_the_cart_is_unchanged(api_as, buyer, shop, other_creator, body, code):
    variant = physical(shop, stock=5)
    other = physical(shop, stock=5, title="Cap")
    inactive = physical(shop, stock=5, title="Old")
    product_update(product=inactive.product, status=ProductStatus.ARCHIVED)
    yen = physical(make_shop(other_creator, currency="JPY"), stock=5, price="1500")
    client = api_as(buyer)
    add(client, variant, quantity=1)
    replacements = {"foreign": other.pk, "inactive": inactive.product.pk, "yen": yen.product.pk}
    request = {"product": variant.product.pk, "variant": variant.pk, "quantity": 1}
    request.update({key: replacements.get(value, value) for key, value in body.items()})
    if body.get("product") == "yen":
        request["variant"] = yen.pk

    response = client.post(CART_ITEMS, request, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert list(CartItem.objects.values_list("product_id", "quantity")) == [(variant.product.pk, 1)]


def test_a_line_that_went_out_of_stock_shows_its_problem(api_as, buyer, shop):
    variant = physical(shop, stock=5)
    client = api_as(buyer)
    add(client, variant, quantity=3)
    variant_update(variant=variant, stock=1)

    group = client.get(CART).json()["groups"][0]

    assert not group["can_checkout"]
    assert group["lines"][0]["problem"] == "Only 1 left."


def test_a_buyer_changes_and_removes_their_items(api_as, buyer, shop):
    variant = physical(shop, stock=5)
    client = api_as(buyer)
    item_id = add(client, variant).json()["groups"][0]["lines"][0]["id"]

    response = client.patch(item_url(item_id), {"quantity": 4}, format="json")
    assert response.status_code == 200 and response.json()["count"] == 4

    response = client.patch(item_url(item_id), {"quantity": 6}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "insufficient_stock")
    assert CartItem.objects.get().quantity == 4

    assert client.delete(item_url(item_id)).status_code == 204
    assert not CartItem.objects.exists()
    assert client.delete(item_url(item_id)).status_code == 404


def test_a_zero_quantity_removes_the_item(api_as, buyer, shop):
    client = api_as(buyer)
    item_id = add(client, physical(shop)).json()["groups"][0]["lines"][0]["id"]

    response = client.patch(item_url(item_id), {"quantity": 0}, format="json")

    assert response.status_code == 200 and response.json()["groups"] == []
    assert not CartItem.objects.exists()


def test_nobody_touches_another_buyers_cart(api_as, buyer, creator, shop):
    variant = physical(shop)
    item_id = add(api_as(buyer), variant, quantity=2).json()["groups"][0]["lines"][0]["id"]
    intruder = api_as(creator.user)

    for response in (
        intruder.patch(item_url(item_id), {"quantity": 1}, format="json"),
        intruder.delete(item_url(item_id)),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (404, "cart_item_not_found")
    add(intruder, variant)  # the intruder's own cart now exists: still 404 on someone else's item
    assert intruder.delete(item_url(item_id)).status_code == 404
    assert CartItem.objects.get(cart__user=buyer).quantity == 2
