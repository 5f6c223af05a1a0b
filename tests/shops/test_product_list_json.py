"""The public catalogue list, byte for byte: it is built by hand for speed (shops.apis.product_rows,
a memoised base query, image URLs without a storage call each), so these tests pin what it answers."""

from datetime import UTC, datetime

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from shops.apis import media_url_builder
from shops.enums import ProductStatus, ShopStatus
from shops.models import Product, ProductImage
from shops.services import product_image_add, product_update, shop_set_status
from tests.shops.factories import image_upload, make_product, make_shop

LIST = reverse("api:shops-api:product-list")


def _created(product: Product, *, day: int, hour: int) -> None:
    Product.objects.filter(pk=product.pk).update(created_at=datetime(2026, 11, day, hour, 30, tzinfo=UTC))


def _images_named(product: Product, *names_and_alts: tuple[str, str]) -> None:
    for name, alt_text in names_and_alts:
        image = product_image_add(product=product, upload=image_upload(size=(40, 40)), alt_text=alt_text)
        ProductImage.objects.filter(pk=image.pk).update(image=name)


def _eur(amount_minor: int, amount: str, display: str) -> dict:
    return {"amount_minor": amount_minor, "currency": "EUR", "amount": amount, "display": display}


def test_a_catalogue_page_is_exactly_this_json(anonymous, creator, settings):
    # given a EUR shop with three products, the newest with two photos, one with a compare-at price
    settings.MEDIA_URL = "/media/"
    shop = make_shop(creator, currency="EUR", slug="riso-prints", name="Riso Prints")
    mug = make_product(shop, title="Mug", description="Blue glaze", price="19.90", compare_at="25.00")
    _images_named(mug, ("products/2026/11/mug-back.jpg", "back"), ("products/2026/11/mug front.jpg", "front"))
    print_ = make_product(shop, title="Print", description="A3", price="1234.50")
    ebook = make_product(shop, title="Ebook", description="PDF", price="5.00", type="digital")
    _created(mug, day=3, hour=9)
    _created(print_, day=2, hour=9)
    _created(ebook, day=1, hour=9)
    shop_row = {"slug": "riso-prints", "name": "Riso Prints", "currency": "EUR", "country": "KR"}

    # when the first page of two is listed, then the next one
    first = anonymous.get(LIST, {"shop": "riso-prints", "page_size": 2})
    second = anonymous.get(first.json()["next"])

    # then every field is what the API documents, in this order
    assert first.status_code == 200
    assert first.json() == {
        # The cursor is base64 of "p=<created_at of the last row shown>".
        "next": "http://testserver/api/v1/products/?cursor=cD0yMDI2LTExLTAyKzA5JTNBMzAlM0EwMCUyQjAwJTNBMDA%3D"
        "&page_size=2&shop=riso-prints",
        "previous": None,
        "results": [
            {
                "id": mug.pk,
                "title": "Mug",
                "description": "Blue glaze",
                "type": "physical",
                "price": {"amount_minor": 1990, "currency": "EUR", "amount": "19.90", "display": "€19.90"},
                "compare_at": {
                    "amount_minor": 2500,
                    "currency": "EUR",
                    "amount": "25.00",
                    "display": "€25.00",
                },
                "shop": shop_row,
                "images": [
                    {"url": "/media/products/2026/11/mug-back.jpg", "alt_text": "back", "position": 0},
                    # A name that needs escaping goes through the storage's own url().
                    {"url": "/media/products/2026/11/mug%20front.jpg", "alt_text": "front", "position": 1},
                ],
                "created_at": "2026-11-03T09:30:00Z",
            },
            {
                "id": print_.pk,
                "title": "Print",
                "description": "A3",
                "type": "physical",
                "price": {
                    "amount_minor": 123450,
                    "currency": "EUR",
                    "amount": "1234.50",
                    "display": "€1,234.50",
                },
                "compare_at": None,
                "shop": shop_row,
                "images": [],
                "created_at": "2026-11-02T09:30:00Z",
            },
        ],
    }
    assert list(first.json()["results"][0]) == [
        "id",
        "title",
        "description",
        "type",
        "price",
        "compare_at",
        "shop",
        "images",
        "created_at",
    ]
    assert second.json()["next"] is None
    assert second.json()["previous"] == (
        "http://testserver/api/v1/products/?cursor=cj0xJnA9MjAyNi0xMS0wMSswOSUzQTMwJTNBMDAlMkIwMCUzQTAw"
        "&page_size=2&shop=riso-prints"
    )
    assert [row["title"] for row in second.json()["results"]] == ["Ebook"]
    assert second.json()["results"][0]["type"] == "digital"


def test_amounts_are_formatted_in_the_language_of_the_request(anonymous, creator):
    make_product(make_shop(creator, currency="EUR"), price="1234.50")

    french = anonymous.get(LIST, HTTP_ACCEPT_LANGUAGE="fr").json()["results"][0]["price"]
    korean = anonymous.get(LIST, HTTP_ACCEPT_LANGUAGE="ko").json()["results"][0]["price"]

    assert french["display"] == "1\u202f234,50\u00a0€"
    assert korean["display"] == "€1,234.50"
    assert french["amount"] == korean["amount"] == "1234.50"


def test_the_list_follows_changes_made_after_an_earlier_request(anonymous, creator, staff):
    """The base query is built once per set of filters and reused: it must never hold rows."""
    shop = make_shop(creator, slug="riso-prints")
    make_product(shop, title="First")
    assert [p["title"] for p in anonymous.get(LIST, {"shop": "riso-prints"}).json()["results"]] == ["First"]

    second = make_product(shop, title="Second")
    assert [p["title"] for p in anonymous.get(LIST, {"shop": "riso-prints"}).json()["results"]] == [
        "Second",
        "First",
    ]

    product_update(product=second, status=ProductStatus.ARCHIVED)
    assert [p["title"] for p in anonymous.get(LIST, {"shop": "riso-prints"}).json()["results"]] == ["First"]

    shop_set_status(shop=shop, status=ShopStatus.CLOSED, actor=staff)
    assert anonymous.get(LIST, {"shop": "riso-prints"}).json()["results"] == []


def test_an_empty_page_makes_one_query(anonymous, django_assert_num_queries, db):
    with django_assert_num_queries(1):
        response = anonymous.get(LIST, {"shop": "nobody-here"})
    assert response.json() == {"next": None, "previous": None, "results": []}


# Names as uploads make them, and names that need escaping or that urljoin() would resolve.
_SEGMENT = st.text(alphabet="abcXYZ019_.~-%?#;:@ é\\", min_size=0, max_size=8)
_NAMES = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join) | st.sampled_from(
    ["products/2026/11/a.jpg", "./a.jpg", "a/../b.jpg", "a//b.jpg", "/a.jpg", ".hidden", "a/.b", "a/b/"]
)


@pytest.mark.parametrize(
    "base_url", ["/media/", "/media", "https://cdn.example.com/m/", "/a/./b/../media/", "//cdn.example.com/"]
)
@given(name=_NAMES)
def test_image_urls_are_what_the_storage_gives(base_url, name):
    storage = FileSystemStorage(location="/nonexistent", base_url=base_url)

    assert media_url_builder(storage)(name) == storage.url(name)
