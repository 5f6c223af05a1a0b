"""The seller's orders through the API (shops.order_apis): list, detail, ship, deliver, refund."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import IdempotencyRecord, Refund
from shops.enums import OrderStatus
from shops.models import Order, OrderEvent
from tests.shops.factories import make_shop
from tests.shops.test_order_api import digital, pay, physical, place, stock_of

ORDERS = reverse("api:shops-api:my-order-list")


def url(number: str, action: str = "") -> str:
    name = f"api:shops-api:my-order-{action}" if action else "api:shops-api:my-order-detail"
    return reverse(name, args=[number])


@pytest.fixture
def shop(creator):
    return make_shop(creator, currency="USD")


@pytest.fixture
def paid(shop, buyer):
    """A paid order of two lines: 2 × $24.00 of a variant (stock 5 → 3) and a $9.00 file."""
    variant = physical(shop, stock=5, price="24.00")
    file = digital(shop, price="9.00")
    return pay(place(shop, buyer, [(variant.product, variant, 2), (file, None, 1)]))


def line_ids(order: Order) -> list[int]:
    return list(order.lines.order_by("id").values_list("id", flat=True))


# ---------------------------------------------------------------- who may


def test_anonymous_callers_get_401(anonymous, paid):
    for response in (
        anonymous.get(ORDERS),
        anonymous.get(url(paid.number)),
        anonymous.post(url(paid.number, "ship"), {"carrier": "ups", "tracking_number": "1Z999"}),
        anonymous.post(url(paid.number, "deliver")),
        anonymous.post(url(paid.number, "refund"), {}, format="json"),
    ):
        assert response.status_code == 401


def test_a_buyer_without_a_shop_gets_the_seller_apis_404(api_as, buyer, paid):
    client = api_as(buyer)  # the very buyer of the order

    assert (client.get(ORDERS).status_code, client.get(ORDERS).json()["error"]["code"]) == (404, "no_shop")
    for response in (
        client.get(url(paid.number)),
        client.post(url(paid.number, "ship"), {"carrier": "ups", "tracking_number": "1Z999"}),
        client.post(url(paid.number, "deliver")),
        client.post(url(paid.number, "refund"), {}, format="json"),
    ):
        assert response.status_code == 404
    assert Order.objects.get().status == OrderStatus.PAID and not Refund.objects.exists()


def test_another_seller_gets_404_for_my_orders_and_sees_none_of_them(api_as, other_creator, paid):
    make_shop(other_creator, currency="USD")
    client = api_as(other_creator.user)

    assert client.get(ORDERS).json()["results"] == []
    for response in (
        client.get(url(paid.number)),
        client.post(url(paid.number, "ship"), {"carrier": "ups", "tracking_number": "1Z999"}),
        client.post(url(paid.number, "deliver")),
        client.post(url(paid.number, "refund"), {}, format="json"),
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert Order.objects.get().status == OrderStatus.PAID and not Refund.objects.exists()
    assert stock_of(paid.lines.get(variant__isnull=False).variant) == 3


# ---------------------------------------------------------------- reading


def test_the_seller_lists_paid_orders_and_filters_by_status(api_as, creator, shop, buyer, paid):
    variant = physical(shop, stock=5, title="Cap")
    pending = place(shop, buyer, [(variant.product, variant, 1)])
    client = api_as(creator.user)

    listed = client.get(ORDERS).json()["results"]
    assert [o["number"] for o in listed] == [paid.number]  # abandoned checkouts stay out
    assert listed[0]["buyer"] == buyer.display_name and listed[0]["total"]["amount_minor"] == 5700
    filtered = client.get(ORDERS, {"status": "pending_payment"}).json()["results"]
    assert [o["number"] for o in filtered] == [pending.number]
    response = client.get(ORDERS, {"status": "lost"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")


def test_the_seller_order_list_has_a_constant_query_count(
    api_as, creator, shop, buyer, paid, django_assert_num_queries
):
    client = api_as(creator.user)
    with CaptureQueriesContext(connection) as one:
        client.get(ORDERS)
    variant = physical(shop, stock=10, title="Cap")
    for _i in range(4):
        pay(place(shop, buyer, [(variant.product, variant, 1)]))

    with django_assert_num_queries(len(one)):
        assert len(client.get(ORDERS).json()["results"]) == 5


def test_the_order_detail_shows_its_events(api_as, creator, paid):
    body = api_as(creator.user).get(url(paid.number)).json()

    assert body["number"] == paid.number and body["email"] == paid.email
    assert [event["kind"] for event in body["events"]] == ["created", "paid"]
    assert body["events"][0]["actor"] == paid.buyer.display_name
    assert [line["quantity"] for line in body["lines"]] == [2, 1]


# ---------------------------------------------------------------- fulfilment


def test_the_seller_ships_then_marks_delivered(api_as, creator, paid):
    client = api_as(creator.user)

    response = client.post(url(paid.number, "ship"), {"carrier": "ups", "tracking_number": "1Z 999-AA"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == ("shipped", "ups", "1Z 999-AA")
    assert (
        body["events"][-1]["kind"] == "shipped" and body["events"][-1]["actor"] == creator.user.display_name
    )
    assert body["events"][-1]["details"] == {"carrier": "ups", "tracking_number": "1Z 999-AA"}
    response = client.post(url(paid.number, "deliver"))
    assert response.status_code == 200 and response.json()["status"] == OrderStatus.DELIVERED


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"carrier": "pigeon", "tracking_number": "1Z999"}, "invalid_carrier"),
        ({"carrier": "ups", "tracking_number": "x"}, "invalid_tracking_number"),
        ({"carrier": "ups", "tracking_number": "<script>"}, "invalid_tracking_number"),
        ({"carrier": "ups"}, "invalid"),
    ],
)
def test_bad_shipping_input_is_refused_and_changes_nothing(api_as, creator, paid, body, code):
    response = api_as(creator.user).post(url(paid.number, "ship"), body, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert Order.objects.get().status == OrderStatus.PAID
    assert not OrderEvent.objects.filter(kind="shipped").exists()


def test_only_a_paid_order_ships_and_only_a_shipped_one_is_delivered(api_as, creator, shop, buyer):
    variant = physical(shop, stock=5)
    pending = place(shop, buyer, [(variant.product, variant, 1)])
    client = api_as(creator.user)

    response = client.post(url(pending.number, "ship"), {"carrier": "ups", "tracking_number": "1Z999"})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_shippable")
    response = client.post(url(pending.number, "deliver"))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_shipped")
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


# ---------------------------------------------------------------- refunds


def test_a_full_refund_refunds_every_line_and_can_restock(api_as, creator, paid):
    response = api_as(creator.user).post(
        url(paid.number, "refund"), {"restock": True, "reason": "Changed my mind"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["refund"]["amount"]["amount_minor"] == 5700
    assert body["order"]["status"] == OrderStatus.REFUNDED
    assert body["order"]["refunded"]["amount_minor"] == 5700
    assert stock_of(paid.lines.get(variant__isnull=False).variant) == 5
    assert Refund.objects.get().amount_minor == 5700


def test_a_partial_refund_takes_some_units_of_a_line(api_as, creator, paid):
    tote, _file = line_ids(paid)

    response = api_as(creator.user).post(
        url(paid.number, "refund"), {"lines": [{"line": tote, "quantity": 1}]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["refund"]["amount"]["amount_minor"] == 2400
    order = response.json()["order"]
    assert (order["status"], order["refunded"]["amount_minor"]) == (OrderStatus.PAID, 2400)
    assert [line["refunded_quantity"] for line in order["lines"]] == [1, 0]
    assert stock_of(paid.lines.get(pk=tote).variant) == 3  # not restocked unless asked


@pytest.mark.parametrize(
    ("lines", "status", "code"),
    [
        pytest.param(
            lambda tote: [{"line": tote, "quantity": 3}],
            400,
            "refund_exceeds_remaining",
            id="above the line",
        ),
        pytest.param(
            lambda tote: [{"line": 999_999, "quantity": 1}],
            400,
            "refund_exceeds_remaining",
            id="not a line of the order",
        ),
        pytest.param(lambda tote: [{"line": tote, "quantity": -1}], 400, "invalid", id="negative"),
        pytest.param(
            lambda tote: [{"line": tote, "quantity": 1}, {"line": tote, "quantity": 1}],
            400,
            "duplicate_line",
            id="line twice",
        ),
        pytest.param(
            lambda tote: [{"line": tote, "quantity": 0}],
            400,
            "nothing_to_refund",
            id="zero",
        ),
        pytest.param(lambda tote: [], 400, "nothing_to_refund", id="empty"),
    ],
)
def test_bad_refunds_are_refused_and_write_nothing(api_as, creator, paid, lines, status, code):
    tote, _file = line_ids(paid)

    response = api_as(creator.user).post(
        url(paid.number, "refund"), {"lines": lines(tote), "restock": True}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not Refund.objects.exists()
    order = Order.objects.get()
    assert (order.status, order.refunded_minor) == (OrderStatus.PAID, 0)
    assert stock_of(paid.lines.get(pk=tote).variant) == 3


def test_a_refund_above_what_is_left_is_refused(api_as, creator, paid):
    tote, _file = line_ids(paid)
    client = api_as(creator.user)
    client.post(url(paid.number, "refund"), {"lines": [{"line": tote, "quantity": 2}]}, format="json")

    response = client.post(
        url(paid.number, "refund"), {"lines": [{"line": tote, "quantity": 1}]}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "refund_exceeds_remaining")
    assert Refund.objects.count() == 1 and Order.objects.get().refunded_minor == 4800


def test_an_unpaid_order_cannot_be_refunded(api_as, creator, shop, buyer):
    variant = physical(shop)
    pending = place(shop, buyer, [(variant.product, variant, 1)])

    response = api_as(creator.user).post(url(pending.number, "refund"), {}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "order_not_paid")
    assert not Refund.objects.exists()


def test_the_seller_cannot_refund_after_the_refund_window(api_as, creator, paid):
    Order.objects.filter(pk=paid.pk).update(paid_at=timezone.now() - timedelta(days=31))

    response = api_as(creator.user).post(url(paid.number, "refund"), {}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (403, "refund_window_closed")
    assert not Refund.objects.exists()


def test_a_retried_refund_replays_and_refunds_once(api_as, creator, paid):
    tote, _file = line_ids(paid)
    client = api_as(creator.user)
    body = {"lines": [{"line": tote, "quantity": 1}], "reason": "damaged"}

    first = client.post(url(paid.number, "refund"), body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(url(paid.number, "refund"), body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1 and Order.objects.get().refunded_minor == 2400

    other = client.post(
        url(paid.number, "refund"), {**body, "reason": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert Refund.objects.count() == 1


def test_a_refused_refund_frees_its_idempotency_key(api_as, creator, paid):
    tote, _file = line_ids(paid)
    client = api_as(creator.user)

    refused = client.post(
        url(paid.number, "refund"),
        {"lines": [{"line": tote, "quantity": 9}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r-2",
    )
    assert refused.status_code == 400 and not IdempotencyRecord.objects.exists()
