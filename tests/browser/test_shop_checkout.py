"""A guest buys from a storefront in a real browser: cart, checkout, Stripe's hosted page, order page.

Stripe is the emulator; its webhooks reach the live server's real endpoint, signed, as in
production (the endpoint is registered through Stripe's API, as in test_payout_setup).
"""

import pytest
import stripe

from shops.enums import OrderStatus
from shops.models import CartItem, Order
from shops.services import variant_create
from tests.browser.conftest import screenshot
from tests.conftest import make_creator
from tests.shops.factories import make_product, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guest_buys_a_shirt_pays_on_stripe_and_sees_the_confirmation(
    page, live_server, stripe_api, control, settings
):
    creator = make_creator("mina.studio", country="US")
    shop = make_shop(creator, name="Mina's studio", slug="mina-studio")
    shirt = make_product(shop, title="Linen shirt", price="30.00")
    variant_create(product=shirt, name="M / Sand", stock=4)
    endpoint = stripe.WebhookEndpoint.create(url=live_server.url + "/webhooks/stripe/", enabled_events=["*"])
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret

    # The storefront, the product, two shirts in the cart.
    page.goto("/shops/mina-studio")
    page.get_by_text("Linen shirt").first.click()
    page.get_by_label("Option").select_option(label="M / Sand")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    assert page.locator(".nav-cart .badge").inner_text() == "2"
    assert "$60.00" in page.content()
    screenshot(page, "shop-cart")

    # Checkout as a guest: email and address.
    page.get_by_role("link", name="Checkout with Mina's studio").click()
    page.get_by_label("Email for your receipt").fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Buyer")
    page.get_by_label("Address", exact=True).fill("1 Main St")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("Postal code").fill("78701")
    page.get_by_label("Country (two letters, e.g. US)").fill("US")
    screenshot(page, "shop-checkout")
    page.get_by_role("button", name="Continue to payment").click()

    # Stripe's hosted page (the emulator's).
    page.wait_for_url(stripe_api.base_url + "/**")
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT and not CartItem.objects.exists()
    assert "$60.00" in page.locator("#total").inner_text()
    page.locator("#pay").click()

    # Back on our order page; the webhook confirms the payment (the page refreshes itself).
    page.wait_for_url(f"**/orders/{order.number}/**")
    control.wait_for_webhooks()
    page.get_by_text("Thank you! Your payment is confirmed.").wait_for(timeout=15_000)
    assert page.get_by_text("Linen shirt – M / Sand").is_visible()
    assert "ada@example.com" in page.content()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.payment.settlement_id is not None
    screenshot(page, "shop-order-paid")


def test_the_seller_sees_the_sale_on_the_dashboard_and_ships_it(page, live_server):
    from django.test import Client

    from payments.charges import payment_mark_succeeded
    from shops.orders import ItemRequest, order_create

    creator = make_creator("mina.ships", country="US")
    shop = make_shop(creator, name="Mina ships", slug="mina-ships")
    shirt = make_product(shop, title="Linen shirt", price="30.00")
    variant = variant_create(product=shirt, name="L", stock=3)
    order = order_create(
        shop=shop,
        items=[ItemRequest(product_id=shirt.pk, variant_id=variant.pk, quantity=1)],
        email="ada@example.com",
        shipping_address={
            "name": "Ada",
            "line1": "1 Main St",
            "city": "Austin",
            "postal_code": "78701",
            "country": "US",
        },
    )
    payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id="pi_browser_1")
    client = Client()
    client.force_login(creator.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto("/dashboard/shop/")
    chart = page.locator(".shop-sales img")
    chart.wait_for()
    assert page.evaluate("img => img.naturalWidth", chart.element_handle()) > 0  # the SVG loaded
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=order.number).click()
    page.get_by_label("Carrier").select_option(label="UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Mark as shipped").click()
    page.get_by_text("Marked as shipped").wait_for()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_number == "1Z999AA10123456784"
    screenshot(page, "shop-seller-order-shipped")
    page.goto("/dashboard/shop/sales/")
    assert page.locator(".sales-table").get_by_text("$30.00").first.is_visible()
    screenshot(page, "shop-sales")
