from django.urls import reverse

from shops.enums import ProductStatus, ShopStatus
from shops.models import Product
from tests.shops.factories import make_product, make_shop

MY_SHOP = reverse("api:shops-api:my-shop")
MY_PRODUCTS = reverse("api:shops-api:my-product-list")


def my_product(product_id: int) -> str:
    return reverse("api:shops-api:my-product-detail", args=[product_id])


def my_variants(product_id: int) -> str:
    return reverse("api:shops-api:my-variant-create", args=[product_id])


def test_anonymous_callers_get_401_everywhere(anonymous, creator):
    product = make_product(make_shop(creator))
    for response in (
        anonymous.get(MY_SHOP),
        anonymous.post(MY_SHOP, {}, format="json"),
        anonymous.post(MY_PRODUCTS, {}, format="json"),
        anonymous.patch(my_product(product.pk), {"title": "Mine now"}, format="json"),
        anonymous.post(my_variants(product.pk), {"name": "S"}, format="json"),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_a_creator_creates_and_reads_their_shop(api_as, creator):
    client = api_as(creator.user)
    assert client.get(MY_SHOP).json()["error"]["code"] == "no_shop"

    response = client.post(
        MY_SHOP, {"name": "Minji Goods", "slug": "minji-goods", "currency": "KRW"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["status"] == ShopStatus.DRAFT
    assert client.get(MY_SHOP).json()["slug"] == "minji-goods"
    response = client.post(MY_SHOP, {"name": "Two", "slug": "two-shops", "currency": "KRW"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "shop_exists"


def test_the_owner_opens_the_shop_but_cannot_close_it(api_as, creator):
    make_shop(creator, status=ShopStatus.DRAFT)
    client = api_as(creator.user)

    assert (
        client.patch(MY_SHOP, {"status": "open", "name": "New name"}, format="json").json()["status"]
        == "open"
    )
    response = client.patch(MY_SHOP, {"status": "closed"}, format="json")
    assert response.status_code == 403


def test_a_buyer_cannot_open_a_shop(api_as, buyer):
    response = api_as(buyer).post(
        MY_SHOP, {"name": "Shop", "slug": "buyer-shop", "currency": "USD"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_creator"


def test_bad_shop_input_names_the_field(api_as, creator):
    response = api_as(creator.user).post(
        MY_SHOP, {"name": "S", "slug": "ok-slug", "currency": "GBP"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_currency"
    assert "currency" in response.json()["error"]["fields"]


def test_a_seller_adds_and_edits_a_product(api_as, creator):
    make_shop(creator, currency="JPY")
    client = api_as(creator.user)

    response = client.post(
        MY_PRODUCTS,
        {"title": "Lip tint", "price": "2400", "compare_at": "3000", "status": "active"},
        format="json",
    )
    assert response.status_code == 201, response.content
    product_id = response.json()["id"]
    assert response.json()["price"]["display"] == "¥2,400"

    response = client.patch(my_product(product_id), {"price": "2600", "compare_at": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["price"]["amount_minor"] == 2600 and response.json()["compare_at"] is None

    response = client.post(my_variants(product_id), {"name": "Coral", "stock": 5}, format="json")
    assert response.status_code == 201 and response.json()["stock"] == 5
    listed = client.get(MY_PRODUCTS).json()["results"]
    assert [p["variants"][0]["name"] for p in listed] == ["Coral"]


def test_bad_product_input_gets_the_service_error_code(api_as, creator):
    make_shop(creator, currency="USD")
    client = api_as(creator.user)

    for payload, code in (
        ({"title": "Pin", "price": "0.30"}, "amount_below_minimum"),
        ({"title": "Pin", "price": "3.005"}, "too_many_decimals"),
        ({"title": "Pin", "price": "3.00", "compare_at": "2.00"}, "compare_at_not_above_price"),
    ):
        response = client.post(MY_PRODUCTS, payload, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code
    assert not Product.objects.exists()


def test_negative_stock_is_refused(api_as, creator):
    product = make_product(make_shop(creator))

    response = api_as(creator.user).post(my_variants(product.pk), {"name": "S", "stock": -1}, format="json")

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_stock"


def test_another_creators_product_is_not_found(api_as, creator, other_creator):
    make_shop(other_creator)
    product = make_product(make_shop(creator), title="Mine")
    client = api_as(other_creator.user)

    assert client.get(my_product(product.pk)).status_code == 404
    assert client.patch(my_product(product.pk), {"title": "Stolen"}, format="json").status_code == 404
    assert client.post(my_variants(product.pk), {"name": "S"}, format="json").status_code == 404
    product.refresh_from_db()
    assert product.title == "Mine" and not product.variants.exists()


def test_a_seller_archives_a_product_through_patch(api_as, creator):
    product = make_product(make_shop(creator))

    response = api_as(creator.user).patch(my_product(product.pk), {"status": "archived"}, format="json")

    assert response.json()["status"] == ProductStatus.ARCHIVED


def test_a_refused_status_change_leaves_the_other_fields_unchanged(api_as, creator):
    shop = make_shop(creator, name="Minji Makes", status=ShopStatus.OPEN)
    # Closing is for staff only: the whole request is refused, the new name included.
    response = api_as(creator.user).patch(MY_SHOP, {"name": "Renamed", "status": "closed"})
    assert response.status_code in (400, 403)
    shop.refresh_from_db()
    assert (shop.name, shop.status) == ("Minji Makes", ShopStatus.OPEN)
