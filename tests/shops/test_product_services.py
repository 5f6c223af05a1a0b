from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from common.errors import ApplicationError
from shops.enums import DiscountKind, ProductStatus
from shops.services import (
    discount_code_create,
    product_archive,
    product_image_add,
    product_update,
    variant_create,
    variant_update,
)
from tests.shops.factories import image_upload, make_product, make_shop


@pytest.mark.parametrize(
    ("currency", "price", "minor"),
    [
        ("USD", "24.00", 2400),
        ("EUR", "0.50", 50),
        ("JPY", "2400", 2400),
        ("KRW", "700", 700),
        ("JPY", "500.00", 500),
    ],
)
def test_prices_are_stored_in_the_shop_currency_minor_unit(creator, currency, price, minor):
    shop = make_shop(creator, currency=currency)

    assert make_product(shop, price=price).price_minor == minor


@pytest.mark.parametrize(
    ("currency", "price"), [("USD", "0.49"), ("EUR", "0.10"), ("JPY", "49"), ("KRW", "699")]
)
def test_a_price_below_the_stripe_minimum_is_refused(creator, currency, price):
    shop = make_shop(creator, currency=currency)

    with pytest.raises(ApplicationError) as exc:
        make_product(shop, price=price)
    assert exc.value.code == "amount_below_minimum"
    assert "price" in exc.value.fields


@pytest.mark.parametrize(("currency", "price"), [("USD", "10.001"), ("JPY", "500.5"), ("KRW", "1000.1")])
def test_a_price_with_too_many_decimals_is_refused(creator, currency, price):
    shop = make_shop(creator, currency=currency)

    with pytest.raises(ApplicationError) as exc:
        make_product(shop, price=price)
    assert exc.value.code == "too_many_decimals"


@pytest.mark.parametrize("price", ["abc", "NaN", ""])
def test_a_price_that_is_not_an_amount_is_refused(creator, price):
    shop = make_shop(creator)

    with pytest.raises(ApplicationError) as exc:
        make_product(shop, price=price)
    assert exc.value.code == "invalid_amount"


@pytest.mark.parametrize("compare_at", ["24.00", "10.00"])
def test_a_compare_at_price_must_be_above_the_price(creator, compare_at):
    shop = make_shop(creator)

    with pytest.raises(ApplicationError) as exc:
        make_product(shop, price="24.00", compare_at=compare_at)
    assert exc.value.code == "compare_at_not_above_price"


def test_raising_the_price_above_the_compare_at_price_is_refused(creator):
    product = make_product(make_shop(creator), price="24.00", compare_at="30.00")

    with pytest.raises(ApplicationError) as exc:
        product_update(product=product, price="31.00")
    assert exc.value.code == "compare_at_not_above_price"

    product = product_update(product=product, price="31.00", compare_at=None)
    assert (product.price_minor, product.compare_at_minor) == (3100, None)


def test_archiving_takes_a_product_off_sale(creator):
    product = make_product(make_shop(creator))

    product_archive(product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.ARCHIVED


def test_a_variant_overrides_the_price_and_keeps_stock_non_negative(creator):
    product = make_product(make_shop(creator, currency="JPY"), price="2400")

    variant = variant_create(product=product, name="M / Blue", stock=3, price="2600")
    assert variant.price.amount_minor == 2600
    assert variant_create(product=product, name="L / Red").price.amount_minor == 2400

    with pytest.raises(ApplicationError) as exc:
        variant_create(product=product, name="XL", stock=-1)
    assert exc.value.code == "invalid_stock"
    with pytest.raises(ApplicationError) as exc:
        variant_update(variant=variant, stock=-5)
    assert exc.value.code == "invalid_stock"
    assert variant_update(variant=variant, stock=0).is_sold_out


def test_a_product_image_is_resized_and_re_encoded(creator):
    product = make_product(make_shop(creator))

    first = product_image_add(product=product, upload=image_upload(size=(3200, 1200)), alt_text="Front")
    second = product_image_add(product=product, upload=image_upload(fmt="WEBP", name="back.webp"))

    with Image.open(first.image.path) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == 1600
        assert stored.size == (1600, 600)
    assert (first.position, second.position) == (0, 1)


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("evil.png", b"<?php echo 'hi'; ?>", content_type="image/png"),
        SimpleUploadedFile("cut.png", image_upload().read()[:100], content_type="image/png"),
    ],
)
def test_an_invalid_image_is_refused(creator, upload):
    product = make_product(make_shop(creator))

    with pytest.raises(ApplicationError) as exc:
        product_image_add(product=product, upload=upload)
    assert exc.value.code == "invalid_image"
    assert not product.images.exists()


def test_discount_codes_are_unique_per_shop_whatever_the_case(creator, other_creator):
    shop = make_shop(creator)
    discount = discount_code_create(shop=shop, code="spring10", kind=DiscountKind.PERCENT, value=1000)
    assert discount.code == "SPRING10"

    with pytest.raises(ApplicationError) as exc:
        discount_code_create(shop=shop, code="Spring10", kind=DiscountKind.FIXED, value=100)
    assert exc.value.code == "code_taken"
    # Another shop may use the same code.
    discount_code_create(shop=make_shop(other_creator), code="spring10", kind=DiscountKind.PERCENT, value=500)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": DiscountKind.PERCENT, "value": 99}, "invalid_discount_value"),
        ({"kind": DiscountKind.PERCENT, "value": 10_001}, "invalid_discount_value"),
        ({"kind": DiscountKind.FIXED, "value": 0}, "invalid_discount_value"),
        ({"kind": DiscountKind.FIXED, "value": 100, "max_uses": 0}, "invalid_max_uses"),
        ({"kind": DiscountKind.FIXED, "value": 100, "expires_at": "past"}, "expiry_in_past"),
        ({"kind": "bogus", "value": 100}, "invalid_kind"),
    ],
)
def test_bad_discount_codes_are_refused(creator, fields, code):
    if fields.get("expires_at") == "past":
        fields["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ApplicationError) as exc:
        discount_code_create(shop=make_shop(creator), code="X1", **fields)
    assert exc.value.code == code


def test_a_discount_code_only_applies_to_its_own_shop_products(creator, other_creator):
    mine = make_shop(creator)
    theirs = make_product(make_shop(other_creator))

    with pytest.raises(ApplicationError) as exc:
        discount_code_create(shop=mine, code="X1", kind=DiscountKind.FIXED, value=100, products=[theirs])
    assert exc.value.code == "foreign_product"
    limited = discount_code_create(
        shop=mine, code="X2", kind=DiscountKind.FIXED, value=100, products=[make_product(mine)], max_uses=5
    )
    assert limited.products.count() == 1
