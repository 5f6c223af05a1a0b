"""The buyer's order page (signed in, or a guest with the order's token), "My orders", downloads."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shops.enums import OrderEventKind
from shops.models import DownloadGrant
from shops.orders import download_token, order_ship
from tests.shops.conftest import place

pytestmark = pytest.mark.django_db


def order_url(order, token=None):
    url = reverse("shop-order", args=[order.number])
    return f"{url}?t={token}" if token else url


# ---------------------------------------------------------------- who may see an order


def test_a_guest_sees_their_order_with_its_token_and_then_from_the_session(client, web_shop, shirt):
    product, variant = shirt
    order = place(web_shop, (product, variant, 1))
    response = client.get(order_url(order, order.access_token))
    assert response.status_code == 200
    assert order.number in response.content.decode()
    # The token is remembered: the link without it works for the rest of the visit.
    assert client.get(order_url(order)).status_code == 200


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_without_the_right_token_a_guest_order_is_404(client, web_shop, shirt, token):
    product, variant = shirt
    order = place(web_shop, (product, variant, 1))
    assert client.get(order_url(order, token)).status_code == 404


def test_a_signed_in_buyer_sees_their_order_and_nobody_else_does(
    client, web_shop, ebook, buyer, other_creator
):
    order = place(web_shop, (ebook, None, 1), buyer=buyer)
    client.force_login(buyer)
    assert client.get(order_url(order)).status_code == 200

    other = Client()
    other.force_login(other_creator.user)  # another seller, signed in
    assert other.get(order_url(order)).status_code == 404
    # The order's token is no key to an account's order.
    assert Client().get(order_url(order, order.access_token)).status_code == 404


def test_an_unknown_order_is_404(client):
    assert client.get(reverse("shop-order", args=["NOSUCHORDR"])).status_code == 404


# ---------------------------------------------------------------- what the page says


def test_a_pending_order_says_payment_processing_and_refreshes(client, web_shop, shirt):
    product, variant = shirt
    order = place(web_shop, (product, variant, 2))
    html = client.get(order_url(order, order.access_token)).content.decode()
    assert "Payment processing…" in html
    assert 'http-equiv="refresh"' in html
    assert "Awaiting payment" in html
    assert "$40.00" in html


def test_a_paid_order_shows_the_confirmation_lines_totals_address_tracking_and_events(
    client, web_shop, shirt, pay, creator
):
    product, variant = shirt
    order = pay(place(web_shop, (product, variant, 2)))
    order_ship(order=order, carrier="ups", tracking_number="1Z999AA1", actor=creator.user)
    html = client.get(order_url(order, order.access_token)).content.decode()
    assert "Thank you! Your payment is confirmed." in html
    assert "Payment processing…" not in html and 'http-equiv="refresh"' not in html
    assert "Shirt – M / Blue" in html and "$40.00" in html
    assert "1 Main St" in html and "Austin" in html
    assert "Shipped with UPS, tracking number 1Z999AA1." in html
    assert str(OrderEventKind.PAID.label) in html and str(OrderEventKind.SHIPPED.label) in html


def test_a_paid_digital_line_has_a_fresh_download_link(client, web_shop, ebook, pay):
    order = pay(place(web_shop, (ebook, None, 1), address=None))
    response = client.get(order_url(order, order.access_token))
    html = response.content.decode()
    assert "Download" in html and "0 of 2 downloads used" in html
    link = next(line_link for _line, line_link in response.context["lines"])
    assert link.startswith("/downloads/")


def test_an_unpaid_digital_line_has_no_download_link(client, web_shop, ebook):
    order = place(web_shop, (ebook, None, 1), address=None)
    response = client.get(order_url(order, order.access_token))
    assert [link for _line, link in response.context["lines"]] == [None]
    assert "/downloads/" not in response.content.decode()


def test_the_pay_again_button_opens_the_payment_page_for_a_pending_order(client, web_shop, ebook, stripe_api):
    order = place(web_shop, (ebook, None, 1), address=None)
    response = client.post(reverse("shop-order-pay", args=[order.number]) + f"?t={order.access_token}")
    assert response.status_code == 302 and response["Location"].startswith(stripe_api.base_url)


def test_the_pay_again_button_needs_the_order(client, web_shop, ebook):
    order = place(web_shop, (ebook, None, 1), address=None)
    assert client.post(reverse("shop-order-pay", args=[order.number])).status_code == 404


def test_a_paid_order_is_not_paid_twice(client, web_shop, ebook, pay):
    order = pay(place(web_shop, (ebook, None, 1), address=None))
    response = client.post(reverse("shop-order-pay", args=[order.number]) + f"?t={order.access_token}")
    assert response.status_code == 302 and response["Location"].startswith("/orders/")


# ---------------------------------------------------------------- my orders


def test_my_orders_lists_the_buyers_orders_only(client, web_shop, ebook, shirt, buyer, other_creator):
    mine = place(web_shop, (ebook, None, 1), buyer=buyer, address=None)
    product, variant = shirt
    theirs = place(web_shop, (product, variant, 1), buyer=other_creator.user)
    client.force_login(buyer)
    html = client.get(reverse("shop-orders")).content.decode()
    assert mine.number in html and theirs.number not in html


def test_my_orders_needs_an_account(client):
    response = client.get(reverse("shop-orders"))
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


# ---------------------------------------------------------------- downloads


def grant_of(order):
    return DownloadGrant.objects.get(line__order=order)


def test_opening_a_link_counts_nothing_the_button_downloads(client, web_shop, ebook, pay):
    """Mail scanners and link previews fetch links: only the button (a POST) uses a download."""
    order = pay(place(web_shop, (ebook, None, 1), address=None))
    grant = grant_of(order)
    url = reverse("shop-download", args=[download_token(grant)])
    page = client.get(url)
    assert page.status_code == 200 and "2 downloads left." in page.content.decode()
    grant.refresh_from_db()
    assert grant.downloads == 0
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="glow-guide.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.4 the guide"
    grant.refresh_from_db()
    assert grant.downloads == 1
    assert order.events.filter(kind=OrderEventKind.DOWNLOADED).exists()


def test_the_download_limit_is_enforced_with_a_friendly_page(client, web_shop, ebook, pay):
    order = pay(place(web_shop, (ebook, None, 1), address=None))
    url = reverse("shop-download", args=[download_token(grant_of(order))])
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 403
    assert client.get(url).status_code == 403
    assert "You have used all 2 downloads of this file." in response.content.decode()
    # The order page no longer offers a link.
    assert "/downloads/" not in client.get(order_url(order, order.access_token)).content.decode()


def test_a_bad_token_is_404(client):
    response = client.get(reverse("shop-download", args=["not-a-token"]))
    assert response.status_code == 404
    assert "No such download." in response.content.decode()


def test_an_expired_grant_is_410(client, web_shop, ebook, pay):
    order = pay(place(web_shop, (ebook, None, 1), address=None))
    grant = grant_of(order)
    grant.expires_at = timezone.now() - timedelta(days=1)
    grant.save()
    response = client.get(reverse("shop-download", args=[download_token(grant)]))
    assert response.status_code == 410
    assert "This download is no longer available." in response.content.decode()


def test_an_accounts_download_needs_that_account(client, web_shop, ebook, pay, buyer, other_creator):
    order = pay(place(web_shop, (ebook, None, 1), buyer=buyer, address=None))
    url = reverse("shop-download", args=[download_token(grant_of(order))])
    assert client.get(url).status_code == 404
    client.force_login(other_creator.user)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(buyer)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200


def test_my_orders_query_count_does_not_grow_with_orders(client, web_shop, ebook, buyer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(buyer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("shop-orders")).status_code == 200
        return len(queries)

    place(web_shop, (ebook, None, 1), buyer=buyer, address=None)
    one = count()
    for _n in range(3):
        place(web_shop, (ebook, None, 1), buyer=buyer, address=None)
    assert count() == one
