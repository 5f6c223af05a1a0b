import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import translation

from shops.enums import ProductStatus, ProductType, ShopStatus
from shops.services import product_image_add, shop_set_status, variant_create
from tests.conftest import make_creator
from tests.shops.factories import image_upload, make_product, make_shop

LIST = reverse("api:shops-api:product-list")


def detail(product_id: int) -> str:
    return reverse("api:shops-api:product-detail", args=[product_id])


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def test_only_active_products_of_open_shops_are_listed(anonymous, creator, other_creator, staff):
    open_shop = make_shop(creator)
    make_product(open_shop, title="On sale", price="24.00")
    make_product(open_shop, title="Draft", status=ProductStatus.DRAFT)
    make_product(open_shop, title="Archived", status=ProductStatus.ARCHIVED)
    make_product(make_shop(other_creator, status=ShopStatus.PAUSED), title="Paused shop")
    closed = make_shop(make_creator("closedco"), status=ShopStatus.OPEN)
    make_product(closed, title="Closed shop")
    shop_set_status(shop=closed, status=ShopStatus.CLOSED, actor=staff)

    response = anonymous.get(LIST)

    assert titles(response) == ["On sale"]
    item = response.json()["results"][0]
    assert item["price"] == {"amount_minor": 2400, "currency": "USD", "amount": "24.00", "display": "$24.00"}
    assert item["compare_at"] is None
    assert item["shop"]["slug"] == open_shop.slug


def test_filters_and_sorting(anonymous, creator, other_creator):
    usd = make_shop(creator, currency="USD", slug="usd-shop")
    jpy = make_shop(other_creator, currency="JPY", slug="jpy-shop")
    make_product(usd, title="Cheap mug", price="8.00")
    make_product(usd, title="Fancy mug", price="40.00")
    make_product(usd, title="Ebook", price="12.00", type=ProductType.DIGITAL)
    make_product(jpy, title="Tenugui mug", price="1200")

    assert titles(anonymous.get(LIST, {"shop": "usd-shop", "sort": "price_asc"})) == [
        "Cheap mug",
        "Ebook",
        "Fancy mug",
    ]
    assert set(titles(anonymous.get(LIST, {"q": "MUG"}))) == {"Cheap mug", "Fancy mug", "Tenugui mug"}
    assert titles(anonymous.get(LIST, {"q": "mug", "currency": "usd", "sort": "price_desc"})) == [
        "Fancy mug",
        "Cheap mug",
    ]
    assert titles(anonymous.get(LIST, {"type": "digital"})) == ["Ebook"]
    in_range = {"shop": "usd-shop", "min_price": "10", "max_price": "40.00", "sort": "price_asc"}
    assert titles(anonymous.get(LIST, in_range)) == ["Ebook", "Fancy mug"]
    assert titles(anonymous.get(LIST, {"currency": "JPY", "max_price": "1500"})) == ["Tenugui mug"]


def test_price_filters_need_a_currency_and_the_right_decimals(anonymous, creator):
    make_shop(creator, currency="JPY", slug="jpy-shop")

    response = anonymous.get(LIST, {"min_price": "10"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "currency_required"
    response = anonymous.get(LIST, {"shop": "jpy-shop", "min_price": "10.5"})
    assert response.json()["error"]["code"] == "too_many_decimals"
    response = anonymous.get(LIST, {"sort": "cheapest"})
    assert response.status_code == 400 and "sort" in response.json()["error"]["fields"]


def test_the_list_is_cursor_paginated(anonymous, creator):
    shop = make_shop(creator)
    for n in range(5):
        make_product(shop, title=f"Item {n}", price=f"{n + 1}.00")

    first = anonymous.get(LIST, {"page_size": 2, "sort": "price_asc"}).json()
    second = anonymous.get(first["next"]).json()

    assert [p["title"] for p in first["results"] + second["results"]] == [f"Item {n}" for n in range(4)]


def test_the_list_query_count_does_not_grow_with_the_page(
    anonymous, creator, other_creator, django_assert_num_queries
):
    for owner in (creator, other_creator):
        shop = make_shop(owner)
        for n in range(3):
            product = make_product(shop, title=f"{owner.handle} {n}")
            product_image_add(product=product, upload=image_upload(size=(40, 40)))
    # Products, then their images: two queries whatever the page size.
    with django_assert_num_queries(2):
        small = anonymous.get(LIST, {"page_size": 2})
    with django_assert_num_queries(2):
        large = anonymous.get(LIST, {"page_size": 6})
    assert len(small.json()["results"]) == 2 and len(large.json()["results"]) == 6
    assert large.json()["results"][0]["images"][0]["url"].startswith("/media/products/")


def test_the_product_detail_has_variants(anonymous, creator):
    product = make_product(make_shop(creator, currency="EUR"), price="19.90", compare_at="25.00")
    variant_create(product=product, name="S", stock=0)

    body = anonymous.get(detail(product.pk)).json()

    assert body["compare_at"]["amount_minor"] == 2500
    assert body["variants"][0]["is_sold_out"] is True
    assert body["variants"][0]["price"]["amount_minor"] == 1990


@pytest.mark.parametrize("status", [ShopStatus.DRAFT, ShopStatus.PAUSED])
def test_a_product_of_a_shop_that_is_not_open_is_not_found(anonymous, creator, status):
    shop = make_shop(creator)
    product = make_product(shop)
    shop_set_status(shop=shop, status=status, actor=creator.user)

    response = anonymous.get(detail(product.pk))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_draft_product_is_not_found(anonymous, creator):
    product = make_product(make_shop(creator), status=ProductStatus.DRAFT)

    assert anonymous.get(detail(product.pk)).status_code == 404


def test_list_rows_are_exactly_what_the_product_serializer_documents(anonymous, creator, settings):
    """The list builds its rows without DRF's serializer (speed); the schema documents the
    serializer, so both must give the same JSON, in every language."""
    from shops.apis import ProductSerializer
    from shops.models import Product

    shop = make_shop(creator, currency="JPY")
    product = make_product(shop, title="Mug", price="1500", compare_at="2000", description="Blue")
    product_image_add(product=product, upload=image_upload(), alt_text="front")
    product_image_add(product=product, upload=image_upload(name="b.png"), alt_text="back")
    make_product(shop, title="Plain", price="900")
    for language in ("en", "fr", "ja", "ko"):
        # override() also restores the language that the request's LocaleMiddleware activates.
        with translation.override(language):
            response = anonymous.get(LIST, HTTP_ACCEPT_LANGUAGE=language)
            expected = ProductSerializer(
                Product.objects.filter(shop=shop).order_by("-created_at", "-id").prefetch_related("images"),
                many=True,
            )
            assert response.json()["results"] == json.loads(json.dumps(expected.data, cls=DjangoJSONEncoder))
