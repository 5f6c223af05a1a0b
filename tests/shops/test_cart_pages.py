"""The product page's add-to-cart form, the cart page, the nav count and the checkout page."""

import pytest
from django.urls import reverse

from payments.models import Payment
from shops.enums import OrderStatus, ShopStatus
from shops.models import CartItem, Order
from shops.services import discount_code_create, shop_set_status
from tests.shops.conftest import place
from tests.shops.factories import make_product

pytestmark = pytest.mark.django_db


def add(client, product, variant=None, quantity=1):
    data = {"quantity": quantity}
    if variant is not None:
        data["variant"] = variant.pk
    return client.post(reverse("shop-cart-add", args=[product.pk]), data)


# ---------------------------------------------------------------- product page and adding


def test_the_product_page_offers_the_variants_and_a_quantity(client, web_shop, shirt):
    product, variant = shirt
    response = client.get(reverse("shop-product", args=[web_shop.slug, product.pk]))
    html = response.content.decode()
    assert reverse("shop-cart-add", args=[product.pk]) in html
    assert f'<option value="{variant.pk}">M / Blue</option>' in html
    assert 'name="quantity"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_guest_adds_a_variant_and_sees_it_in_the_cart_and_the_nav(client, web_shop, shirt):
    product, variant = shirt
    response = add(client, product, variant, quantity=2)
    assert response.status_code == 302 and response["Location"] == reverse("shop-cart")

    page = client.get(reverse("shop-cart"))
    html = page.content.decode()
    assert "Minji&#x27;s studio" in html and "Shirt" in html and "M / Blue" in html
    assert "$40.00" in html  # 2 × $20.00
    assert reverse("shop-checkout", args=[web_shop.slug]) in html
    assert page.context["cart_count"]() == 2
    assert '<span class="badge">2</span>' in html


def test_a_physical_product_needs_a_variant(client, web_shop, shirt):
    product, _variant = shirt
    response = add(client, product, None)
    assert response.status_code == 400
    assert response.context["cart_form"].errors["variant"]
    assert not CartItem.objects.exists()


def test_more_than_in_stock_is_refused_on_the_form(client, web_shop, shirt):
    product, variant = shirt
    response = add(client, product, variant, quantity=6)
    assert response.status_code == 400
    assert "Only 5 left in stock." in response.context["cart_form"].errors["quantity"]
    assert not CartItem.objects.exists()


def test_a_product_of_a_closed_shop_cannot_be_added(client, web_shop, shirt, creator):
    product, variant = shirt
    shop_set_status(shop=web_shop, status=ShopStatus.PAUSED, actor=creator.user)
    assert add(client, product, variant).status_code == 404
    assert not CartItem.objects.exists()


def test_adding_needs_a_post(client, web_shop, shirt):
    product, _variant = shirt
    assert client.get(reverse("shop-cart-add", args=[product.pk])).status_code == 405


def test_a_digital_product_is_added_once(client, ebook):
    add(client, ebook)
    add(client, ebook)
    assert CartItem.objects.get().quantity == 1


# ---------------------------------------------------------------- the cart page


def test_an_empty_cart_says_so(client):
    assert "Your cart is empty." in client.get(reverse("shop-cart")).content.decode()


def test_the_cart_groups_lines_by_shop(client, web_shop, shirt, other_shop):
    product, variant = shirt
    bento = make_product(other_shop, title="Bento", price="12.00")
    from shops.services import variant_create

    box = variant_create(product=bento, name="Large", stock=3)
    add(client, product, variant)
    add(client, bento, box)
    groups = client.get(reverse("shop-cart")).context["groups"]
    assert [g.shop.slug for g in groups] == ["minji-studio", "sora-kitchen"]


def test_a_line_that_cannot_be_bought_shows_its_problem_and_no_checkout(client, web_shop, shirt):
    product, variant = shirt
    add(client, product, variant, quantity=3)
    variant.stock = 1
    variant.save()
    html = client.get(reverse("shop-cart")).content.decode()
    assert "Only 1 left." in html
    assert reverse("shop-checkout", args=[web_shop.slug]) not in html


def test_the_quantity_can_be_changed_and_a_line_removed(client, web_shop, shirt):
    product, variant = shirt
    add(client, product, variant)
    item = CartItem.objects.get()
    response = client.post(reverse("shop-cart-item", args=[item.pk]), {"quantity": 4})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.quantity == 4

    response = client.post(reverse("shop-cart-item", args=[item.pk]), {"quantity": 9}, follow=True)
    assert "Only 5 left in stock." in response.content.decode()
    item.refresh_from_db()
    assert item.quantity == 4

    client.post(reverse("shop-cart-item-remove", args=[item.pk]))
    assert not CartItem.objects.exists()


def test_another_visitors_cart_item_is_404(client, web_shop, shirt):
    from django.test import Client

    product, variant = shirt
    add(client, product, variant)
    item = CartItem.objects.get()
    stranger = Client()
    add(stranger, product, variant)  # the stranger has a cart of their own
    assert stranger.post(reverse("shop-cart-item", args=[item.pk]), {"quantity": 3}).status_code == 404
    assert stranger.post(reverse("shop-cart-item-remove", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.quantity == 1


def test_a_guest_cart_follows_the_visitor_when_they_log_in(client, web_shop, shirt, buyer):
    product, variant = shirt
    add(client, product, variant, quantity=2)
    client.force_login(buyer)
    page = client.get(reverse("shop-cart"))
    assert page.context["cart_count"]() == 2
    assert CartItem.objects.get().cart.user == buyer


# ---------------------------------------------------------------- checkout page


def test_the_checkout_page_prefills_a_signed_in_buyers_email_and_asks_an_address(
    client, web_shop, shirt, buyer
):
    product, variant = shirt
    client.force_login(buyer)
    add(client, product, variant)
    response = client.get(reverse("shop-checkout", args=[web_shop.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="buyer@example.com"' in html
    assert 'name="line1"' in html and 'name="postal_code"' in html


def test_a_digital_only_checkout_asks_no_address(client, ebook, web_shop):
    add(client, ebook)
    html = client.get(reverse("shop-checkout", args=[web_shop.slug])).content.decode()
    assert 'name="email"' in html and 'name="line1"' not in html


def test_checkout_of_a_shop_not_in_the_cart_goes_back_to_the_cart(client, web_shop):
    response = client.get(reverse("shop-checkout", args=[web_shop.slug]))
    assert response.status_code == 302 and response["Location"] == reverse("shop-cart")


def checkout_data(**overrides):
    data = {
        "email": "guest@example.com",
        "name": "Ada Buyer",
        "line1": "1 Main St",
        "city": "Austin",
        "postal_code": "78701",
        "country": "us",
        "discount_code": "",
    }
    data.update(overrides)
    return data


def test_a_guest_checks_out_and_is_sent_to_the_hosted_payment_page(client, web_shop, shirt, stripe_api):
    product, variant = shirt
    add(client, product, variant, quantity=2)

    response = client.post(reverse("shop-checkout", args=[web_shop.slug]), checkout_data())

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(stripe_api.base_url)
    assert (order.status, order.total_minor, order.email) == (
        OrderStatus.PENDING_PAYMENT,
        4000,
        "guest@example.com",
    )
    assert order.shipping_address["country"] == "US"
    assert order.payment.stripe_checkout_session_id
    variant.refresh_from_db()
    assert variant.stock == 3  # reserved
    assert not CartItem.objects.exists()  # the shop's items became the order
    # The guest can come back to the order from the cart page during this session.
    cart_page = client.get(reverse("shop-cart")).content.decode()
    assert order.number in cart_page


def test_checkout_success_and_cancel_urls_point_at_the_order_and_the_cart(
    client, web_shop, shirt, stripe_api, monkeypatch
):
    from shops import order_views

    seen = {}

    def fake_start(*, order, success_url, cancel_url):
        seen.update(success_url=success_url, cancel_url=cancel_url, order=order)
        return "https://pay.example/session"

    monkeypatch.setattr(order_views, "order_checkout_start", fake_start)
    product, variant = shirt
    add(client, product, variant)
    response = client.post(reverse("shop-checkout", args=[web_shop.slug]), checkout_data())
    order = seen["order"]
    assert response["Location"] == "https://pay.example/session"
    assert seen["success_url"] == f"http://testserver/orders/{order.number}/?t={order.access_token}"
    assert seen["cancel_url"] == "http://testserver/cart/"


def test_a_signed_in_buyers_order_is_theirs_and_the_success_url_has_no_token(
    client, web_shop, ebook, buyer, monkeypatch
):
    from shops import order_views

    seen = {}
    monkeypatch.setattr(
        order_views,
        "order_checkout_start",
        lambda **kw: seen.update(kw) or "https://pay.example/s",
    )
    client.force_login(buyer)
    add(client, ebook)
    client.post(reverse("shop-checkout", args=[web_shop.slug]), {"email": buyer.email})
    order = Order.objects.get()
    assert order.buyer == buyer and order.shipping_address == {}
    assert seen["success_url"] == f"http://testserver/orders/{order.number}/"


def test_a_missing_address_is_a_form_error_and_writes_nothing(client, web_shop, shirt, stripe_api):
    product, variant = shirt
    add(client, product, variant)
    response = client.post(reverse("shop-checkout", args=[web_shop.slug]), checkout_data(line1="", city=""))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["line1"] and form.errors["city"]
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert CartItem.objects.exists()


def test_a_bad_email_is_a_form_error(client, ebook, web_shop):
    add(client, ebook)
    response = client.post(reverse("shop-checkout", args=[web_shop.slug]), {"email": "not-an-email"})
    assert response.status_code == 400 and response.context["form"].errors["email"]
    assert not Order.objects.exists()


def test_an_unknown_discount_code_is_a_form_error(client, web_shop, shirt, stripe_api):
    product, variant = shirt
    add(client, product, variant)
    response = client.post(
        reverse("shop-checkout", args=[web_shop.slug]), checkout_data(discount_code="NOPE")
    )
    assert response.status_code == 400
    assert (
        "This discount code does not exist in this shop." in response.context["form"].errors["discount_code"]
    )
    assert not Order.objects.exists()


def test_a_discount_code_lowers_the_order_total(client, web_shop, shirt, stripe_api):
    product, variant = shirt
    discount_code_create(shop=web_shop, code="GLOW10", kind="percent", value=1000)
    add(client, product, variant)
    client.post(reverse("shop-checkout", args=[web_shop.slug]), checkout_data(discount_code="glow10"))
    order = Order.objects.get()
    assert (order.subtotal_minor, order.discount_minor, order.total_minor) == (2000, 200, 1800)


def test_stock_sold_meanwhile_is_a_form_error(client, web_shop, shirt, stripe_api):
    product, variant = shirt
    add(client, product, variant, quantity=2)
    place(web_shop, (product, variant, 4))  # someone else bought most of it
    response = client.post(reverse("shop-checkout", args=[web_shop.slug]), checkout_data())
    assert response.status_code == 400
    assert "left" in " ".join(response.context["form"].non_field_errors())
    assert Order.objects.count() == 1
    assert CartItem.objects.exists()


def test_when_stripe_is_down_the_order_is_kept_and_the_buyer_can_retry(client, web_shop, ebook, monkeypatch):
    from payments.gateway import StripeTemporaryError
    from shops import order_views

    def down(**kwargs):
        raise StripeTemporaryError("connection refused")

    monkeypatch.setattr(order_views, "order_checkout_start", down)
    add(client, ebook)
    response = client.post(
        reverse("shop-checkout", args=[web_shop.slug]), {"email": "g@example.com"}, follow=True
    )
    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == f"/orders/{order.number}/?t={order.access_token}"
    html = response.content.decode()
    assert "We could not open the payment page." in html
    assert reverse("shop-order-pay", args=[order.number]) in html


def test_checkout_posts_are_rate_limited(client, web_shop, ebook, settings):
    settings.RATELIMIT_CHECKOUT = "2/m"
    add(client, ebook)
    url = reverse("shop-checkout", args=[web_shop.slug])
    assert client.post(url, {"email": "bad"}).status_code == 400
    assert client.post(url, {"email": "bad"}).status_code == 400
    assert client.post(url, {"email": "bad"}).status_code == 429


def test_a_digital_product_page_asks_no_option_and_no_quantity(client, web_shop, ebook):
    html = client.get(reverse("shop-product", args=[web_shop.slug, ebook.pk])).content.decode()
    assert reverse("shop-cart-add", args=[ebook.pk]) in html
    assert 'name="quantity"' not in html and 'name="variant"' not in html


def test_a_guest_who_checks_out_in_french_gets_the_order_emails_in_french(
    client, web_shop, shirt, stripe_api, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.utils import translation

    from payments.charges import payment_mark_succeeded
    from shops import order_views

    seen = {}

    def fake_start(*, order, success_url, cancel_url):
        seen["order"] = order
        return "https://pay.example/session"

    monkeypatch.setattr(order_views, "order_checkout_start", fake_start)
    product, variant = shirt
    add(client, product, variant)
    with translation.override("fr"):  # the request activates French; keep it out of later tests
        client.post(
            reverse("shop-checkout", args=[web_shop.slug]), checkout_data(), HTTP_ACCEPT_LANGUAGE="fr"
        )
    order = seen["order"]
    order.refresh_from_db()
    assert order.language == "fr"

    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=f"pi_test_{order.pk}")
    [confirmation] = [m for m in mail.outbox if m.to == ["guest@example.com"]]
    msgid = "Your order %(number)s from %(shop)s"
    with translation.override("fr"):
        expected = translation.gettext(msgid) % {"number": order.number, "shop": web_shop.name}
    assert not expected.startswith("Your order")  # really French
    assert confirmation.subject == expected
