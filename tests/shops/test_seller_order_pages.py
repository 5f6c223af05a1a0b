"""The seller's pages: orders list and detail with ship / delivered / refund, discount codes,
the digital file upload and the sales chart. Another seller gets 404s; a non-creator is sent away."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from payments.models import Refund
from shops.enums import OrderStatus, ProductType
from shops.models import DigitalAsset, DiscountCode
from tests.shops.conftest import place
from tests.shops.factories import make_product, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(client, creator, web_shop):
    client.force_login(creator.user)
    return client


@pytest.fixture
def stranger(other_creator):
    """Another seller, with a shop of their own."""
    make_shop(other_creator, slug="sora-kitchen")
    client = Client()
    client.force_login(other_creator.user)
    return client


@pytest.fixture
def paid_shirt_order(web_shop, shirt, pay):
    product, variant = shirt
    return pay(place(web_shop, (product, variant, 2)))


def detail(order):
    return reverse("shops:order-detail", args=[order.number])


# ---------------------------------------------------------------- list and detail


def test_the_orders_list_shows_paid_orders_and_filters_by_status(seller, web_shop, shirt, paid_shirt_order):
    product, variant = shirt
    pending = place(web_shop, (product, variant, 1))
    html = seller.get(reverse("shops:orders")).content.decode()
    assert paid_shirt_order.number in html and pending.number not in html

    html = seller.get(reverse("shops:orders") + "?status=pending_payment").content.decode()
    assert pending.number in html and paid_shirt_order.number not in html


def test_another_sellers_list_does_not_show_the_order(stranger, paid_shirt_order):
    assert paid_shirt_order.number not in stranger.get(reverse("shops:orders")).content.decode()


def test_the_detail_shows_lines_address_and_the_actions(seller, paid_shirt_order):
    response = seller.get(detail(paid_shirt_order))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shirt – M / Blue" in html and "1 Main St" in html and "guest@example.com" in html
    assert reverse("shops:order-ship", args=[paid_shirt_order.number]) in html
    assert reverse("shops:order-refund", args=[paid_shirt_order.number]) in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.parametrize("action", ["order-detail", "order-ship", "order-deliver", "order-refund"])
def test_another_seller_gets_404_on_every_order_page(stranger, paid_shirt_order, action):
    url = reverse(f"shops:{action}", args=[paid_shirt_order.number])
    response = stranger.get(url) if action == "order-detail" else stranger.post(url, {"full": "1"})
    assert response.status_code == 404
    paid_shirt_order.refresh_from_db()
    assert paid_shirt_order.status == OrderStatus.PAID and paid_shirt_order.refunded_minor == 0


def test_a_visitor_without_a_shop_is_sent_away(client, buyer, paid_shirt_order):
    assert client.get(detail(paid_shirt_order)).status_code == 302  # to log in
    client.force_login(buyer)
    response = client.get(detail(paid_shirt_order))
    assert response.status_code == 302 and response["Location"] == reverse("creators:start")


# ---------------------------------------------------------------- fulfilment


def test_the_seller_ships_then_marks_delivered(seller, paid_shirt_order, mailoutbox):
    url = reverse("shops:order-ship", args=[paid_shirt_order.number])
    response = seller.post(url, {"carrier": "ups", "tracking_number": "1Z999AA1"})
    assert response.status_code == 302
    paid_shirt_order.refresh_from_db()
    assert (paid_shirt_order.status, paid_shirt_order.tracking_number) == (OrderStatus.SHIPPED, "1Z999AA1")

    seller.post(reverse("shops:order-deliver", args=[paid_shirt_order.number]))
    paid_shirt_order.refresh_from_db()
    assert paid_shirt_order.status == OrderStatus.DELIVERED


def test_a_bad_tracking_number_is_a_form_error(seller, paid_shirt_order):
    url = reverse("shops:order-ship", args=[paid_shirt_order.number])
    response = seller.post(url, {"carrier": "ups", "tracking_number": "x!"})
    assert response.status_code == 400
    assert response.context["ship_form"].errors["tracking_number"]
    paid_shirt_order.refresh_from_db()
    assert paid_shirt_order.status == OrderStatus.PAID


def test_ship_needs_a_post(seller, paid_shirt_order):
    assert seller.get(reverse("shops:order-ship", args=[paid_shirt_order.number])).status_code == 405


def test_marking_an_unshipped_order_delivered_is_refused(seller, paid_shirt_order):
    response = seller.post(reverse("shops:order-deliver", args=[paid_shirt_order.number]), follow=True)
    assert "Only a shipped order can be marked delivered." in response.content.decode()
    paid_shirt_order.refresh_from_db()
    assert paid_shirt_order.status == OrderStatus.PAID


# ---------------------------------------------------------------- refunds


def test_a_partial_refund_with_restock(seller, paid_shirt_order, shirt):
    _product, variant = shirt
    line = paid_shirt_order.lines.get()
    url = reverse("shops:order-refund", args=[paid_shirt_order.number])
    response = seller.post(url, {f"line_{line.pk}": "1", "restock": "on", "reason": "Wrong size"})
    assert response.status_code == 302
    paid_shirt_order.refresh_from_db()
    variant.refresh_from_db()
    assert paid_shirt_order.refunded_minor == 2000 and paid_shirt_order.status == OrderStatus.PAID
    assert variant.stock == 4  # 5 - 2 reserved + 1 back
    assert Refund.objects.get().amount_minor == 2000


def test_the_full_refund_button(seller, paid_shirt_order):
    url = reverse("shops:order-refund", args=[paid_shirt_order.number])
    seller.post(url, {"full": "1", "reason": ""})
    paid_shirt_order.refresh_from_db()
    assert (paid_shirt_order.status, paid_shirt_order.refunded_minor) == (OrderStatus.REFUNDED, 4000)


def test_refunding_more_than_bought_is_a_form_error_and_refunds_nothing(seller, paid_shirt_order):
    line = paid_shirt_order.lines.get()
    url = reverse("shops:order-refund", args=[paid_shirt_order.number])
    response = seller.post(url, {f"line_{line.pk}": "3"})
    assert response.status_code == 400
    assert response.context["refund_form"].errors[f"line_{line.pk}"]
    assert not Refund.objects.exists()


def test_refunding_nothing_is_a_clear_error(seller, paid_shirt_order):
    response = seller.post(reverse("shops:order-refund", args=[paid_shirt_order.number]), {})
    assert response.status_code == 400
    assert "There is nothing to refund." in response.content.decode()


# ---------------------------------------------------------------- discount codes


def test_the_seller_creates_a_percent_code_and_sees_it(seller, web_shop):
    response = seller.post(reverse("shops:discounts"), {"code": "glow10", "kind": "percent", "value": "10"})
    assert response.status_code == 302
    code = DiscountCode.objects.get()
    assert (code.shop, code.code, code.kind, code.value) == (web_shop, "GLOW10", "percent", 1000)
    html = seller.get(reverse("shops:discounts")).content.decode()
    assert "GLOW10" in html and "10 %" in html


def test_a_fixed_code_is_typed_in_the_shop_currency(seller, web_shop):
    seller.post(
        reverse("shops:discounts"),
        {"code": "FIVE", "kind": "fixed", "value": "5.00", "minimum_order_minor": "20", "max_uses": "3"},
    )
    code = DiscountCode.objects.get()
    assert (code.value, code.minimum_order_minor, code.max_uses) == (500, 2000, 3)
    assert "$5.00" in seller.get(reverse("shops:discounts")).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "BAD CODE!", "kind": "percent", "value": "10"}, "code"),
        ({"code": "X", "kind": "percent", "value": "150"}, "value"),
        ({"code": "X", "kind": "fixed", "value": "1.001"}, "value"),
    ],
)
def test_a_bad_code_is_a_form_error_and_writes_nothing(seller, data, field):
    response = seller.post(reverse("shops:discounts"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not DiscountCode.objects.exists()


def test_a_duplicate_code_is_refused(seller, web_shop):
    seller.post(reverse("shops:discounts"), {"code": "GLOW", "kind": "percent", "value": "10"})
    response = seller.post(reverse("shops:discounts"), {"code": "glow", "kind": "percent", "value": "20"})
    assert "This shop already has that code." in response.context["form"].errors["code"]


def test_another_sellers_codes_are_not_listed(stranger, seller):
    seller.post(reverse("shops:discounts"), {"code": "MINE", "kind": "percent", "value": "10"})
    assert "MINE" not in stranger.get(reverse("shops:discounts")).content.decode()


# ---------------------------------------------------------------- digital file


def upload(name="preset-pack.zip", content=b"PK\x03\x04 presets"):
    return SimpleUploadedFile(name, content, content_type="application/zip")


def test_the_seller_uploads_the_file_of_a_digital_product(seller, web_shop):
    product = make_product(web_shop, title="Presets", price="5.00", type=ProductType.DIGITAL)
    edit = reverse("shops:product-edit", args=[product.pk])
    assert reverse("shops:product-file", args=[product.pk]) in seller.get(edit).content.decode()

    response = seller.post(
        reverse("shops:product-file", args=[product.pk]), {"upload": upload(), "download_limit": "3"}
    )
    assert response.status_code == 302
    asset = DigitalAsset.objects.get(product=product)
    assert (asset.filename, asset.download_limit, asset.size_bytes) == ("preset-pack.zip", 3, 12)
    assert asset.file.read() == b"PK\x03\x04 presets"
    assert "preset-pack.zip" in seller.get(edit).content.decode()


def test_replacing_the_file_keeps_one_asset(seller, web_shop):
    product = make_product(web_shop, title="Presets", price="5.00", type=ProductType.DIGITAL)
    url = reverse("shops:product-file", args=[product.pk])
    seller.post(url, {"upload": upload(), "download_limit": "3"})
    seller.post(url, {"upload": upload("v2.zip", b"new"), "download_limit": "4"})
    asset = DigitalAsset.objects.get(product=product)
    assert (asset.filename, asset.download_limit) == ("v2.zip", 4)


def test_a_physical_product_takes_no_file(seller, shirt):
    product, _variant = shirt
    response = seller.post(
        reverse("shops:product-file", args=[product.pk]), {"upload": upload(), "download_limit": "3"}
    )
    assert response.status_code == 400
    assert "Only a digital product delivers a file." in response.context["asset_form"].errors["upload"]
    assert not DigitalAsset.objects.exists()


def test_another_seller_cannot_upload_to_my_product(stranger, web_shop):
    product = make_product(web_shop, title="Presets", price="5.00", type=ProductType.DIGITAL)
    response = stranger.post(
        reverse("shops:product-file", args=[product.pk]), {"upload": upload(), "download_limit": "3"}
    )
    assert response.status_code == 404
    assert not DigitalAsset.objects.exists()


# ---------------------------------------------------------------- sales chart


def test_the_dashboard_embeds_the_sales_chart(seller):
    html = seller.get(reverse("shops:dashboard")).content.decode()
    assert reverse("shops:sales-chart") + "?days=30" in html
    assert reverse("shops:orders") in html and reverse("shops:discounts") in html


def test_the_sales_page_has_the_svg_and_the_table(seller, paid_shirt_order):
    response = seller.get(reverse("shops:sales") + "?days=90")
    html = response.content.decode()
    assert response.context["days"] == 90
    assert "<svg" in html and 'class="net"' in html
    assert "$40.00" in html  # the day's gross, in the table
    chart = seller.get(reverse("shops:sales-chart"))
    assert chart["Content-Type"].startswith("image/svg+xml")
    assert chart.content.startswith(b"<svg")


def test_another_sellers_sales_page_does_not_show_my_sales(stranger, paid_shirt_order):
    html = stranger.get(reverse("shops:sales")).content.decode()
    assert "$40.00" not in html and "No sales in this period." in html


def test_a_bogus_period_falls_back_to_30_days(seller):
    assert seller.get(reverse("shops:sales") + "?days=abc").context["days"] == 30
    assert seller.get(reverse("shops:sales") + "?days=7").context["days"] == 30


def test_the_orders_list_query_count_does_not_grow_with_orders(seller, web_shop, shirt, pay):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product, variant = shirt

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert seller.get(reverse("shops:orders")).status_code == 200
        return len(queries)

    pay(place(web_shop, (product, variant, 1)))
    one = count()
    for _n in range(3):
        pay(place(web_shop, (product, variant, 1)))
    assert count() == one
