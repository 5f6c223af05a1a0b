"""A creator joins an offer and copies the link; a visitor follows it and buys; the creator sees it.

The visitor's order is created through the services (shops.orders.order_create with the referral
read from the browser's attribution cookie) because the web checkout does not pass a referral
yet: the lead wires ``referral_from_request`` into shops/order_views.py.
"""

import pytest
from django.test import Client

from affiliates.attribution import COOKIE_NAME, Referral, clicks_from_cookie
from affiliates.clicks import clicks_flush
from affiliates.models import Commission
from payments.charges import payment_mark_succeeded
from shops.enums import ProductType
from shops.orders import ItemRequest, order_create
from tests.affiliates.factories import make_offer
from tests.browser.conftest import screenshot
from tests.conftest import make_creator
from tests.shops.factories import make_product, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_creator_shares_a_link_a_visitor_buys_the_creator_sees_the_commission(page, browser, live_server):
    seller = make_creator("lena.sells", country="US")
    shop = make_shop(seller, name="Lena's presets", slug="lena-presets")
    preset = make_product(shop, title="Film presets", price="40.00", type=ProductType.DIGITAL)
    make_offer(shop, product=preset, rate_bps=1500)
    affiliate = make_creator("jin.shares", country="US")

    # The creator finds the offer, joins it and copies the link.
    _log_in(page, live_server, affiliate.user)
    page.goto("/dashboard/affiliates/offers/")
    page.get_by_role("row", name="Film presets").get_by_role("button", name="Join").click()
    page.wait_for_url("**/dashboard/affiliates/")
    page.get_by_role("button", name="Copy").click()
    link = page.get_by_role("button", name="Copied").get_attribute("data-copied")
    assert link and "/r/" in link

    # A visitor follows it and lands on the product, with the attribution cookie set.
    visitor = browser.new_context(base_url=live_server.url, locale="en-US")
    visit = visitor.new_page()
    visit.goto(link)
    assert visit.url.endswith(f"/shops/lena-presets/p/{preset.pk}/")
    assert visit.get_by_text("Film presets").first.is_visible()
    cookie = next(c for c in visitor.cookies() if c["name"] == COOKIE_NAME)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    clicks_flush()

    # The visitor buys (the checkout's call, with the browser's cookie) and pays.
    order = order_create(
        shop=shop,
        items=[ItemRequest(product_id=preset.pk, variant_id=None, quantity=1)],
        email="visitor@example.com",
        referral=Referral(clicks=clicks_from_cookie(cookie["value"])),
    )
    payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id="pi_affiliate_browser")
    assert Commission.objects.get(order=order).amount_minor == 600
    visitor.close()

    # The creator sees the click, the order and the commission.
    page.goto("/dashboard/affiliates/")
    row = page.locator("tr[data-membership]")
    assert row.locator(".clicks").inner_text() == "1 / 1"
    assert row.locator(".orders").inner_text() == "1"
    assert "$6.00" in page.locator(".commissions").inner_text()
    assert "Pending" in page.locator(".commissions .status").inner_text()
    screenshot(page, "affiliate-commission")
