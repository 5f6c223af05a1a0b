import pytest
from django.urls import reverse

from creators.services import creator_suspend
from shops.enums import ProductStatus, ShopStatus
from shops.services import shop_set_status, variant_create
from tests.shops.factories import make_product, make_shop


def test_the_storefront_shows_active_products_with_prices_in_the_shop_currency(client, creator):
    shop = make_shop(creator, currency="JPY", slug="minji-goods")
    make_product(shop, title="Lip tint", price="2400", compare_at="3000")
    make_product(shop, title="Secret draft", price="1000", status=ProductStatus.DRAFT)
    make_product(shop, title="Old stock", price="1000", status=ProductStatus.ARCHIVED)

    for url in (
        reverse("shop-storefront", args=["minji-goods"]),
        reverse("creator-shop", args=[creator.handle]),
    ):
        page = client.get(url).content.decode()
        assert "Lip tint" in page
        assert "¥2,400" in page and "¥3,000" in page
        assert "Secret draft" not in page and "Old stock" not in page


def test_dollar_prices_show_cents(client, other_creator):
    shop = make_shop(other_creator, currency="USD")
    make_product(shop, price="24.00")

    assert "$24.00" in client.get(reverse("shop-storefront", args=[shop.slug])).content.decode()


def test_an_empty_shop_says_so(client, creator):
    shop = make_shop(creator)

    assert (
        "No products for sale yet"
        in client.get(reverse("shop-storefront", args=[shop.slug])).content.decode()
    )


def test_search_and_sort_on_the_storefront(client, creator):
    shop = make_shop(creator)
    make_product(shop, title="Blue mug", price="12.00")
    make_product(shop, title="Red mug", price="30.00")
    make_product(shop, title="Poster", price="5.00")

    page = client.get(reverse("shop-storefront", args=[shop.slug]), {"q": "mug", "sort": "price_desc"})
    content = page.content.decode()
    assert "Poster" not in content
    assert content.index("Red mug") < content.index("Blue mug")


@pytest.mark.parametrize("status", [ShopStatus.DRAFT, ShopStatus.PAUSED, ShopStatus.CLOSED])
def test_a_shop_that_is_not_open_is_not_found(client, creator, staff, status):
    shop = make_shop(creator, status=ShopStatus.OPEN)
    product = make_product(shop)
    shop_set_status(shop=shop, status=status, actor=staff)

    assert client.get(reverse("shop-storefront", args=[shop.slug])).status_code == 404
    assert client.get(reverse("creator-shop", args=[creator.handle])).status_code == 404
    assert client.get(reverse("shop-product", args=[shop.slug, product.pk])).status_code == 404


def test_a_suspended_creators_shop_is_not_found(client, creator, staff):
    shop = make_shop(creator)
    creator_suspend(creator=creator, actor=staff, reason="fraud")

    assert client.get(reverse("shop-storefront", args=[shop.slug])).status_code == 404


def test_the_product_page_shows_variants_and_sold_out(client, creator):
    shop = make_shop(creator, currency="KRW")
    product = make_product(shop, title="Cushion", price="15000")
    variant_create(product=product, name="Light", stock=4)
    variant_create(product=product, name="Dark", stock=0, price="16000")

    page = client.get(reverse("shop-product", args=[shop.slug, product.pk])).content.decode()
    assert "₩15,000" in page and "₩16,000" in page
    assert "4 in stock" in page
    assert "Sold out" in page


def test_a_draft_product_page_is_not_found_and_products_stay_in_their_shop(client, creator, other_creator):
    shop = make_shop(creator)
    draft = make_product(shop, status=ProductStatus.DRAFT)
    other = make_product(make_shop(other_creator))

    assert client.get(reverse("shop-product", args=[shop.slug, draft.pk])).status_code == 404
    assert client.get(reverse("shop-product", args=[shop.slug, other.pk])).status_code == 404


def test_the_creator_page_links_to_an_open_shop_only(client, creator, staff):
    shop = make_shop(creator, status=ShopStatus.DRAFT)
    profile_url = reverse("creator-public", args=[creator.handle])
    shop_url = reverse("creator-shop", args=[creator.handle])
    assert shop_url not in client.get(profile_url).content.decode()

    shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=creator.user)
    assert shop_url in client.get(profile_url).content.decode()


def test_the_storefront_query_count_does_not_grow_with_the_catalogue(
    client, creator, other_creator, django_assert_num_queries
):
    small = make_shop(creator)
    large = make_shop(other_creator)
    make_product(small)
    for n in range(6):
        make_product(large, title=f"Item {n}")

    # The shop, its products, their images.
    with django_assert_num_queries(3):
        assert client.get(reverse("shop-storefront", args=[small.slug])).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(reverse("shop-storefront", args=[large.slug])).status_code == 200
