"""The buyer's checkout and orders through the API (shops.order_apis).

Checkout talks to the Stripe emulator (``stripe_api``) because it starts a PaymentIntent; most
tests then mark the payment succeeded as the webhook handler would, and one goes all the way
through the emulator's confirm and webhook. The helpers here are shared by the other order API
tests.
"""

from datetime import timedelta

import pytest
import stripe
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from common.errors import ApplicationError
from payments import gateway
from payments.charges import payment_mark_succeeded
from payments.models import IdempotencyRecord, Payment
from shops.enums import OrderStatus, ProductStatus, ProductType, ShopStatus
from shops.models import Cart, DiscountCode, DownloadGrant, Order, ProductVariant
from shops.orders import ItemRequest, download_claim, order_create, order_refund
from shops.services import discount_code_create, product_update, shop_set_status, variant_create
from tests.payments.test_webhooks import Feed
from tests.shops.factories import make_product, make_shop

ORDERS = reverse("api:shops-api:order-list")
CART_ITEMS = reverse("api:shops-api:cart-item-add")
ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "us",
}


def order_url(number: str, action: str = "") -> str:
    name = f"api:shops-api:order-{action}" if action else "api:shops-api:order-detail"
    return reverse(name, args=[number])


# ---------------------------------------------------------------- helpers shared with the other tests


def physical(shop, *, stock: int = 5, price: str = "24.00", title: str = "Tote bag"):
    """An active physical product with one variant; returns the variant (its product is .product)."""
    product = make_product(shop, title=title, price=price, type=ProductType.PHYSICAL)
    return variant_create(product=product, name="One size", stock=stock)


def digital(shop, *, price: str = "9.00", title: str = "Preset pack"):
    return make_product(shop, title=title, price=price, type=ProductType.DIGITAL)


def stock_of(variant) -> int:
    return ProductVariant.objects.values_list("stock", flat=True).get(pk=variant.pk)


def place(shop, buyer, items, **options) -> Order:
    """An order created by the service, as checkout would (no Stripe)."""
    requests = [ItemRequest(product_id=p.pk, variant_id=v.pk if v else None, quantity=q) for p, v, q in items]
    needs_address = any(v is not None for _p, v, _q in items)
    options.setdefault("shipping_address", ADDRESS if needs_address else None)
    return order_create(shop=shop, items=requests, email=buyer.email, buyer=buyer, channel="api", **options)


def pay(order: Order) -> Order:
    """What the payment_intent.succeeded webhook does: the payment succeeds, the order is paid."""
    assert order.payment is not None
    payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=f"pi_test_{order.pk}")
    return Order.objects.get(pk=order.pk)


def checkout_body(shop, variant=None, *, quantity: int = 1, product=None, **extra) -> dict:
    product = product if product is not None else variant.product
    item = {"product": product.pk, "quantity": quantity}
    if variant is not None:
        item["variant"] = variant.pk
    body = {"shop": shop.slug, "items": [item], **extra}
    if variant is not None:
        body.setdefault("shipping_address", ADDRESS)
    return body


@pytest.fixture
def shop(creator):
    return make_shop(creator, currency="USD")


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


# ---------------------------------------------------------------- who may check out


def test_anonymous_callers_cannot_check_out_or_see_orders(anonymous, shop):
    variant = physical(shop)

    for response in (
        anonymous.post(ORDERS, checkout_body(shop, variant), format="json"),
        anonymous.get(ORDERS),
        anonymous.get(order_url("ABCDEFGHJK")),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert stock_of(variant) == 5 and not Order.objects.exists()


def test_schema_says_guests_cannot_check_out_on_mobile(client, db):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)

    description = schema["paths"]["/api/v1/orders/"]["post"]["description"]
    assert "guest checkout is web-only" in description
    assert any(
        p["name"] == "Idempotency-Key" for p in schema["paths"]["/api/v1/orders/"]["post"]["parameters"]
    )


# ---------------------------------------------------------------- checkout


def test_a_buyer_checks_out_items_and_gets_a_payment_intent(api_as, buyer, shop, stripe_api):
    variant = physical(shop, stock=5, price="24.00")

    response = api_as(buyer).post(ORDERS, checkout_body(shop, variant, quantity=2), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == OrderStatus.PENDING_PAYMENT
    assert body["total"]["amount_minor"] == 4800 and body["email"] == buyer.email
    assert body["payment"]["client_secret"] and body["payment"]["payment_intent_id"].startswith("pi_")
    assert body["shipping_address"]["country"] == "US"
    assert [line["quantity"] for line in body["lines"]] == [2]
    assert stock_of(variant) == 3  # reserved
    order = Order.objects.get(number=body["number"])
    assert (order.buyer, order.channel) == (buyer, "api")
    assert order.payment.stripe_payment_intent_id == body["payment"]["payment_intent_id"]


def test_a_buyer_checks_out_their_cart_group_and_it_leaves_the_cart(
    api_as, buyer, creator, other_creator, stripe_api
):
    mine, theirs = make_shop(creator), make_shop(other_creator, currency="USD")
    variant, other = physical(mine, stock=4), physical(theirs, stock=4)
    client = api_as(buyer)
    for v in (variant, other):
        assert (
            client.post(CART_ITEMS, {"product": v.product.pk, "variant": v.pk, "quantity": 2}).status_code
            == 201
        )

    response = client.post(ORDERS, {"shop": mine.slug, "shipping_address": ADDRESS}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["total"]["amount_minor"] == 4800
    cart = client.get(reverse("api:shops-api:cart")).json()
    assert [group["shop"]["slug"] for group in cart["groups"]] == [theirs.slug]  # the other shop's stays
    assert (stock_of(variant), stock_of(other)) == (2, 4)


def test_checking_out_a_shop_absent_from_the_cart_is_an_empty_order(api_as, buyer, shop, stripe_api):
    physical(shop)

    response = api_as(buyer).post(ORDERS, {"shop": shop.slug}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "empty_order")
    assert not Order.objects.exists()


def test_a_discount_code_lowers_the_total_and_counts_one_use(api_as, buyer, shop, stripe_api):
    variant = physical(shop, price="20.00")
    discount_code_create(shop=shop, code="SPRING", kind="percent", value=1000, max_uses=5)

    response = api_as(buyer).post(ORDERS, checkout_body(shop, variant, discount_code="spring"), format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["discount"]["amount_minor"], response.json()["total"]["amount_minor"]) == (
        200,
        1800,
    )
    assert DiscountCode.objects.get().uses == 1


def test_the_email_defaults_to_the_account_and_can_be_given(api_as, buyer, shop, stripe_api):
    product = digital(shop)

    response = api_as(buyer).post(
        ORDERS, checkout_body(shop, product=product, email="receipts@example.com"), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "receipts@example.com"
    assert response.json()["shipping_address"] == {}


# ---------------------------------------------------------------- bad input writes nothing


def _nothing_written(variant, *, stock: int, code: DiscountCode | None = None, uses: int = 0) -> None:
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert stock_of(variant) == stock
    if code is not None:
        code.refresh_from_db()
        assert code.uses == uses
    assert not IdempotencyRecord.objects.exists()  # the key is free for a corrected retry


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda body, ctx: body["items"][0].update(quantity=6), 409, "insufficient_stock"),
        (lambda body, ctx: body["items"][0].update(quantity=0), 400, "invalid_quantity"),
        (lambda body, ctx: body["items"][0].update(quantity="lots"), 400, "invalid"),
        (lambda body, ctx: body["items"][0].pop("variant"), 400, "variant_required"),
        (lambda body, ctx: body["items"][0].update(variant=ctx["foreign"].pk), 400, "invalid_variant"),
        (
            lambda body, ctx: body["items"][0].update(product=ctx["foreign"].product.pk),
            400,
            "product_unavailable",
        ),
        (lambda body, ctx: body.update(items=[]), 400, "empty_order"),
        (lambda body, ctx: body.update(shipping_address=None), 400, "shipping_address_required"),
        (lambda body, ctx: body.update(shipping_address={"name": "A"}), 400, "invalid_shipping_address"),
        (lambda body, ctx: body.update(email="not-an-email"), 400, "invalid_email"),
        (lambda body, ctx: body.update(discount_code="NOPE"), 400, "invalid_discount_code"),
        (lambda body, ctx: body.update(discount_code="OLD"), 400, "discount_expired"),
        (lambda body, ctx: body.update(discount_code="GONE"), 400, "discount_exhausted"),
        (lambda body, ctx: body.update(discount_code="THEIRS"), 400, "invalid_discount_code"),
        (lambda body, ctx: body.update(discount_code="BIG"), 400, "discount_minimum_not_met"),
        (lambda body, ctx: body.update(shop="no-such-shop"), 404, "not_found"),
        (lambda body, ctx: body.pop("shop"), 400, "invalid"),
    ],
    ids=[
        "above stock",
        "zero quantity",
        "quantity not a number",
        "no variant",
        "another product's variant",
        "another shop's product",
        "no items",
        "no address",
        "incomplete address",
        "bad email",
        "unknown discount",
        "expired discount",
        "exhausted discount",
        "another shop's discount",
        "discount minimum",
        "unknown shop",
        "no shop",
    ],
)
def test_bad_checkout_input_is_refused_and_writes_nothing(
    api_as, buyer, shop, other_creator, stripe_api, change, status, code
):
    variant = physical(shop, stock=5)
    foreign = physical(make_shop(other_creator, currency="USD"), stock=5)
    discount_code_create(shop=foreign.product.shop, code="THEIRS", kind="percent", value=1000)
    discount_code_create(shop=shop, code="BIG", kind="fixed", value=100, minimum_order_minor=100_000)
    old = discount_code_create(shop=shop, code="OLD", kind="percent", value=1000)
    DiscountCode.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    gone = discount_code_create(shop=shop, code="GONE", kind="percent", value=1000, max_uses=1)
    DiscountCode.objects.filter(pk=gone.pk).update(uses=1)
    body = checkout_body(shop, variant)
    change(body, {"foreign": foreign})

    response = api_as(buyer).post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    _nothing_written(variant, stock=5, code=gone, uses=1)
    assert stock_of(foreign) == 5 and DiscountCode.objects.get(code="THEIRS").uses == 0


def test_inactive_products_and_closed_shops_are_refused(api_as, buyer, shop, stripe_api):
    variant = physical(shop)
    product_update(product=variant.product, status=ProductStatus.ARCHIVED)
    client = api_as(buyer)

    response = client.post(ORDERS, checkout_body(shop, variant), format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "product_unavailable")

    product_update(product=variant.product, status=ProductStatus.ACTIVE)
    shop_set_status(shop=shop, status=ShopStatus.PAUSED, actor=shop.creator.user)
    response = client.post(ORDERS, checkout_body(shop, variant), format="json")
    assert response.status_code == 404  # a paused shop is not public
    _nothing_written(variant, stock=5)


def test_the_checkout_throttle_applies_to_placing_orders_only(api_as, buyer, shop, monkeypatch):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "checkout": "2/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = api_as(buyer)

    codes = [client.post(ORDERS, {"shop": shop.slug}, format="json").status_code for _i in range(3)]

    assert codes == [400, 400, 429]
    assert client.get(ORDERS).status_code == 200


# ---------------------------------------------------------------- idempotency


def test_a_retried_checkout_replays_the_first_response_and_places_one_order(api_as, buyer, shop, stripe_api):
    variant = physical(shop, stock=5)
    client = api_as(buyer)
    body = checkout_body(shop, variant, quantity=2)

    first = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1 and stock_of(variant) == 3

    other = client.post(
        ORDERS, checkout_body(shop, variant, quantity=1), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert Order.objects.count() == 1 and stock_of(variant) == 3


def test_stripe_being_unreachable_keeps_the_order_and_the_app_asks_again(
    api_as, buyer, shop, stripe_api, monkeypatch
):
    variant = physical(shop)
    client = api_as(buyer)

    def down(**kwargs):
        raise gateway.StripeTemporaryError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(gateway, "payment_intent_create", down)
        response = client.post(
            ORDERS, checkout_body(shop, variant), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
        )

    assert response.status_code == 201 and response.json()["payment"] is None
    number = response.json()["number"]
    started = client.post(order_url(number, "payment"))
    assert started.status_code == 200 and started.json()["client_secret"]
    assert (
        client.post(order_url(number, "payment")).json()["payment_intent_id"]
        == started.json()["payment_intent_id"]
    )
    assert Order.objects.count() == 1


# ---------------------------------------------------------------- becoming paid


def test_the_order_becomes_paid_through_the_emulators_confirm_and_webhook(api_as, buyer, shop, feed):
    variant = physical(shop, stock=3, price="24.00")
    client = api_as(buyer)
    response = client.post(ORDERS, checkout_body(shop, variant), format="json")
    assert response.status_code == 201, response.content
    number, intent = response.json()["number"], response.json()["payment"]["payment_intent_id"]
    assert client.get(order_url(number)).json()["status"] == OrderStatus.PENDING_PAYMENT

    # The app confirms the PaymentIntent with its client secret; Stripe tells us by webhook.
    stripe.PaymentIntent.confirm(intent, payment_method="pm_card_visa")
    assert "payment_intent.succeeded" in feed()

    polled = client.get(order_url(number)).json()
    assert polled["status"] == OrderStatus.PAID and polled["paid_at"]
    assert stock_of(variant) == 2
    assert Order.objects.get(number=number).payment.settlement is not None  # settled into the ledger


def test_a_paid_digital_order_is_delivered_and_offers_fresh_download_links(api_as, buyer, shop):
    product = digital(shop)
    order = pay(place(shop, buyer, [(product, None, 1)]))
    client = api_as(buyer)

    assert client.get(order_url(order.number)).json()["status"] == OrderStatus.DELIVERED
    response = client.get(order_url(order.number, "downloads"))

    assert response.status_code == 200, response.content
    [link] = response.json()
    assert link["url"].startswith("http") and link["title"] == product.title
    assert (link["downloads"], link["download_limit"]) == (0, 5)
    token = link["url"].rstrip("/").rsplit("/", 1)[-1]
    grant = DownloadGrant.objects.get()
    with pytest.raises(ApplicationError) as refused:  # the link names the grant; no file uploaded yet
        download_claim(token=token, user=buyer)
    assert refused.value.code == "download_missing"
    DownloadGrant.objects.filter(pk=grant.pk).update(downloads=5)
    assert client.get(order_url(order.number, "downloads")).json()[0]["url"] is None  # limit used


def test_downloads_wait_for_payment_and_are_the_buyers_alone(api_as, buyer, make_buyer, shop):
    order = place(shop, buyer, [(digital(shop), None, 1)])

    response = api_as(buyer).get(order_url(order.number, "downloads"))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_paid")

    pay(order)
    assert (
        api_as(make_buyer("someone@example.com")).get(order_url(order.number, "downloads")).status_code == 404
    )
    assert api_as(shop.creator.user).get(order_url(order.number, "downloads")).status_code == 404


def test_a_refunded_file_is_no_longer_offered(api_as, buyer, shop):
    order = pay(place(shop, buyer, [(digital(shop), None, 1)]))
    order_refund(order=order, actor=shop.creator.user, reason="wrong file")

    response = api_as(buyer).get(order_url(order.number, "downloads"))

    assert response.status_code == 200 and response.json() == []


def test_a_guest_order_is_not_reachable_through_the_api(api_as, buyer, shop):
    guest = order_create(
        shop=shop,
        items=[ItemRequest(product_id=digital(shop).pk, variant_id=None, quantity=1)],
        email="g@example.com",
    )

    response = api_as(buyer).get(order_url(guest.number))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


# ---------------------------------------------------------------- my orders


@pytest.fixture
def make_buyer(db):
    from tests.conftest import make_user

    return make_user


def test_my_orders_are_mine_only_newest_first(api_as, buyer, make_buyer, shop, django_assert_max_num_queries):
    variant = physical(shop, stock=20)
    first = place(shop, buyer, [(variant.product, variant, 1)])
    second = place(shop, buyer, [(variant.product, variant, 2)])
    someone = make_buyer("someone@example.com")
    place(shop, someone, [(variant.product, variant, 1)])
    client = api_as(buyer)

    with django_assert_max_num_queries(6):  # constant: auth, page, lines, …, whatever the length
        response = client.get(ORDERS)

    assert response.status_code == 200
    assert [o["number"] for o in response.json()["results"]] == [second.number, first.number]
    assert api_as(someone).get(ORDERS).json()["results"][0]["number"] not in (first.number, second.number)


def test_the_order_list_query_count_does_not_grow_with_orders(api_as, buyer, shop, django_assert_num_queries):
    variant = physical(shop, stock=50)
    client = api_as(buyer)
    place(shop, buyer, [(variant.product, variant, 1)])
    with CaptureQueriesContext(connection) as one:
        client.get(ORDERS)
    for _i in range(5):
        place(shop, buyer, [(variant.product, variant, 1)])
    with django_assert_num_queries(len(one)):
        assert len(client.get(ORDERS).json()["results"]) == 6


def test_only_the_buyer_sees_their_order(api_as, buyer, make_buyer, shop, creator):
    order = place(shop, buyer, [(digital(shop), None, 1)])

    assert api_as(buyer).get(order_url(order.number)).json()["number"] == order.number
    for user in (make_buyer("someone@example.com"), creator.user):
        response = api_as(user).get(order_url(order.number))
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert api_as(buyer).get(order_url("NOSUCHORDR")).status_code == 404


def test_the_buyer_cancels_a_pending_order_and_its_stock_comes_back(api_as, buyer, make_buyer, shop):
    variant = physical(shop, stock=5)
    discount_code_create(shop=shop, code="TEN", kind="percent", value=1000)
    order = place(shop, buyer, [(variant.product, variant, 2)], discount_code="TEN")
    assert stock_of(variant) == 3 and DiscountCode.objects.get().uses == 1

    assert (
        api_as(make_buyer("someone@example.com")).post(order_url(order.number, "cancel")).status_code == 404
    )
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
    response = api_as(buyer).post(order_url(order.number, "cancel"))

    assert response.status_code == 200 and response.json()["status"] == OrderStatus.CANCELLED
    assert stock_of(variant) == 5 and DiscountCode.objects.get().uses == 0


def test_a_paid_order_cannot_be_cancelled(api_as, buyer, shop):
    variant = physical(shop, stock=5)
    order = pay(place(shop, buyer, [(variant.product, variant, 1)]))

    response = api_as(buyer).post(order_url(order.number, "cancel"))

    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_cancellable")
    assert Order.objects.get().status == OrderStatus.PAID and stock_of(variant) == 4


def test_a_paid_order_cannot_be_paid_again(api_as, buyer, shop):
    order = pay(place(shop, buyer, [(digital(shop), None, 1)]))

    response = api_as(buyer).post(order_url(order.number, "payment"))

    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_payable")


def test_the_cart_is_not_emptied_when_checkout_fails(api_as, buyer, shop, stripe_api):
    variant = physical(shop, stock=2)
    client = api_as(buyer)
    client.post(CART_ITEMS, {"product": variant.product.pk, "variant": variant.pk, "quantity": 2})

    response = client.post(ORDERS, {"shop": shop.slug}, format="json")  # no address

    assert response.json()["error"]["code"] == "shipping_address_required"
    assert Cart.objects.get(user=buyer).items.count() == 1 and stock_of(variant) == 2
