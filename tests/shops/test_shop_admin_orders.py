"""Orders, download grants, files and carts in Django admin: read-only, refunds through the service."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from payments.models import Refund
from shops.enums import OrderStatus
from shops.models import Cart, CartItem, DownloadGrant
from tests.shops.conftest import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(web_shop, shirt, pay):
    product, variant = shirt
    return pay(place(web_shop, (product, variant, 2)))


def test_the_order_admin_lists_searches_and_filters(client, staff, paid_order):
    client.force_login(staff)
    url = reverse("admin:shops_order_changelist")
    html = client.get(url).content.decode()
    assert paid_order.number in html and "USD 40.00" in html
    assert paid_order.number in client.get(url, {"q": paid_order.number}).content.decode()
    assert paid_order.number not in client.get(url, {"status__exact": "refunded"}).content.decode()


def test_the_order_page_shows_lines_events_and_the_ledger_read_only(client, staff, paid_order):
    client.force_login(staff)
    response = client.get(reverse("admin:shops_order_change", args=[paid_order.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shirt" in html and "Payment confirmed" in html
    assert f"order:{paid_order.pk}" in html  # the settlement transaction's entries
    assert "commission_revenue" in html
    assert 'name="_save"' not in html  # nothing to edit


def test_staff_refund_in_full_through_the_action(client, staff, paid_order):
    client.force_login(staff)
    client.post(
        reverse("admin:shops_order_changelist"),
        {
            "action": "refund_in_full",
            helpers.ACTION_CHECKBOX_NAME: [paid_order.pk],
            "apply": "1",
            "reason": "test",
        },
    )
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.refunded_minor) == (OrderStatus.REFUNDED, 4000)
    # The refund's ledger reversal appears next to the settlement.
    html = client.get(reverse("admin:shops_order_change", args=[paid_order.pk])).content.decode()
    assert Refund.objects.get(payment=paid_order.payment).ledger_transaction.reference in html


def test_refunding_an_unpaid_order_reports_the_service_error(client, staff, web_shop, shirt):
    product, variant = shirt
    order = place(web_shop, (product, variant, 1))
    client.force_login(staff)
    response = client.post(
        reverse("admin:shops_order_changelist"),
        {
            "action": "refund_in_full",
            helpers.ACTION_CHECKBOX_NAME: [order.pk],
            "apply": "1",
            "reason": "test",
        },
        follow=True,
    )
    assert "Only a paid order can be refunded." in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_grants_files_and_carts_are_registered_and_read_only(client, staff, web_shop, ebook, pay, buyer):
    order = pay(place(web_shop, (ebook, None, 1), address=None))
    cart = Cart.objects.create(user=buyer, currency="USD")
    CartItem.objects.create(cart=cart, product=ebook, quantity=1)
    client.force_login(staff)
    for name in ("downloadgrant", "digitalasset", "cart"):
        assert client.get(reverse(f"admin:shops_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:shops_{name}_add")).status_code == 403
    grant = DownloadGrant.objects.get(line__order=order)
    assert order.number in client.get(reverse("admin:shops_downloadgrant_changelist")).content.decode()
    html = client.get(reverse("admin:shops_cart_change", args=[cart.pk])).content.decode()
    assert "Glow guide" in html and 'name="_save"' not in html
    assert client.get(reverse("admin:shops_downloadgrant_change", args=[grant.pk])).status_code == 200


def test_a_non_staff_user_cannot_open_the_order_admin(client, buyer, paid_order):
    client.force_login(buyer)
    response = client.get(reverse("admin:shops_order_change", args=[paid_order.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
