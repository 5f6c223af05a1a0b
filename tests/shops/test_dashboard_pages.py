from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shops.enums import ProductStatus, ShopStatus
from shops.models import Product, Shop
from tests.shops.factories import image_upload, make_product, make_shop

DASHBOARD = reverse("shops:dashboard")


def product_form(**overrides):
    return {"title": "Tote", "description": "", "type": "physical", "price": "24.00", "compare_at": "",
            "status": "active", **overrides}  # fmt: skip


def test_the_dashboard_needs_login(client, db):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_buyer_is_sent_to_become_a_creator(client, buyer):
    client.force_login(buyer)
    assert client.get(DASHBOARD).url == reverse("creators:start")


def test_a_creator_without_a_shop_creates_one(client, creator):
    client.force_login(creator.user)
    assert client.get(DASHBOARD).url == reverse("shops:create")

    data = {
        "name": "Minji Goods",
        "slug": "minji-goods",
        "currency": "KRW",
        "country": "KR",
        "refund_window_days": 14,
    }
    response = client.post(reverse("shops:create"), data)

    assert response.status_code == 302
    shop = Shop.objects.get(creator=creator)
    assert (shop.slug, shop.refund_window_days, shop.status) == ("minji-goods", 14, ShopStatus.DRAFT)
    assert "Minji Goods" in client.get(DASHBOARD).content.decode()


def test_a_taken_slug_shows_on_the_form(client, creator, other_creator):
    make_shop(other_creator, slug="taken")
    client.force_login(creator.user)

    data = {"name": "Mine", "slug": "taken", "currency": "USD", "country": "US", "refund_window_days": 30}
    response = client.post(reverse("shops:create"), data)

    assert response.status_code == 200
    assert "This shop address is taken." in response.content.decode()


def test_the_owner_opens_the_shop_from_the_dashboard(client, creator):
    shop = make_shop(creator, status=ShopStatus.DRAFT)
    client.force_login(creator.user)

    client.post(reverse("shops:status"), {"status": "open"})
    shop.refresh_from_db()
    assert shop.status == ShopStatus.OPEN
    client.post(reverse("shops:status"), {"status": "closed"})
    shop.refresh_from_db()
    assert shop.status == ShopStatus.OPEN


def test_the_shop_edit_form_saves(client, creator):
    shop = make_shop(creator)
    client.force_login(creator.user)
    data = {"name": "Renamed", "slug": shop.slug, "currency": "USD", "country": "KR", "refund_window_days": 7}

    assert client.post(reverse("shops:edit"), data).status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.refund_window_days) == ("Renamed", 7)


def test_adding_a_product_with_a_price_error_shows_it_on_the_price_field(client, creator):
    make_shop(creator, currency="JPY")
    client.force_login(creator.user)

    response = client.post(reverse("shops:product-new"), product_form(price="2400.5"))

    assert response.status_code == 200
    assert "JPY prices are whole numbers, without decimals." in response.content.decode()
    assert not Product.objects.exists()


def test_a_seller_adds_edits_and_archives_a_product(client, creator):
    make_shop(creator, currency="USD")
    client.force_login(creator.user)

    response = client.post(reverse("shops:product-new"), product_form())
    product = Product.objects.get()
    assert response.url == reverse("shops:product-edit", args=[product.pk])
    page = client.get(response.url).content.decode()
    assert 'value="24.00"' in page

    client.post(
        reverse("shops:product-edit", args=[product.pk]), product_form(price="19.50", compare_at="24.00")
    )
    product.refresh_from_db()
    assert (product.price_minor, product.compare_at_minor) == (1950, 2400)

    client.post(reverse("shops:product-archive", args=[product.pk]))
    product.refresh_from_db()
    assert product.status == ProductStatus.ARCHIVED


def test_a_seller_adds_variants_and_photos(client, creator):
    product = make_product(make_shop(creator))
    client.force_login(creator.user)

    client.post(
        reverse("shops:variant-add", args=[product.pk]),
        {"name": "M / Blue", "stock": 0, "sku": "", "price": ""},
    )
    response = client.post(reverse("shops:variant-add", args=[product.pk]), {"name": "L", "stock": -2})
    assert response.status_code == 400
    client.post(
        reverse("shops:image-add", args=[product.pk]), {"upload": image_upload(), "alt_text": "Front"}
    )
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post(reverse("shops:image-add", args=[product.pk]), {"upload": bad})
    assert "Upload a JPEG, PNG, WebP or GIF image." in response.content.decode()

    assert [v.name for v in product.variants.all()] == ["M / Blue"]
    assert [i.alt_text for i in product.images.all()] == ["Front"]
    variant = product.variants.get()
    client.post(
        reverse("shops:variant-edit", args=[variant.pk]), {"name": "M / Blue", "stock": 3, "sku": "MB"}
    )
    variant.refresh_from_db()
    assert (variant.stock, variant.sku) == (3, "MB")


def test_another_creators_product_pages_are_not_found(client, creator, other_creator):
    product = make_product(make_shop(creator))
    variant = product.variants.create(name="S", stock=1)
    make_shop(other_creator)
    client.force_login(other_creator.user)

    assert client.get(reverse("shops:product-edit", args=[product.pk])).status_code == 404
    assert client.post(reverse("shops:product-archive", args=[product.pk])).status_code == 404
    assert (
        client.post(reverse("shops:variant-add", args=[product.pk]), {"name": "X", "stock": 1}).status_code
        == 404
    )
    assert client.get(reverse("shops:variant-edit", args=[variant.pk])).status_code == 404
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE
