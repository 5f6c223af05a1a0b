"""Checkout under contention on PostgreSQL: buyers racing for the last units, and a reservation
expiring while its payment arrives.

Each thread has its own database connection and commits for real (transactional tests), so
the row locks and conditional UPDATEs of shops.orders are what is exercised, not a mock. Payments
are marked succeeded with payments.charges.payment_mark_succeeded, exactly as the webhook
handlers do; Celery is eager, so each payment's settlement runs on commit in its own thread.
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import stripe
from django.db import connections
from django.utils import timezone

from common.errors import ApplicationError
from payments.charges import payment_mark_succeeded
from payments.enums import PaymentStatus, RefundStatus
from payments.models import Payment, Refund
from payments.selectors import ledger_check
from shops.enums import OrderEventKind, OrderStatus
from shops.models import Order, OrderEvent, ProductVariant
from shops.orders import ItemRequest, order_create, order_intent_start, orders_release_expired
from shops.services import variant_create
from tests.conftest import make_creator
from tests.payments.factories import run_threads
from tests.shops.factories import make_product, make_shop

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = {
    "name": "Ada Buyer",
    "line1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


@pytest.fixture
def variant(postgres_only) -> ProductVariant:
    """A physical product of an open USD shop with one variant of 10 units."""
    seller = make_creator("racer", country="US")
    product = make_product(make_shop(seller), title="Limited print", price="12.00")
    return variant_create(product=product, name="A3", stock=10)


def buy(variant: ProductVariant, index: int, *, now=None) -> Order:
    """One guest buyer's order for one unit (the web checkout's call)."""
    return order_create(
        shop=variant.product.shop,
        items=[ItemRequest(product_id=variant.product_id, variant_id=variant.pk, quantity=1)],
        email=f"buyer{index}@example.com",
        shipping_address=ADDRESS,
        now=now,
    )


def pay(order: Order, intent_id: str) -> Payment:
    """What payment_intent.succeeded / checkout.session.completed do to the order's payment."""
    assert order.payment is not None
    return payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=intent_id)


class StockWatch:
    """Reads the variant's stock in a loop on its own connection while the race runs.

    The CHECK constraint would turn a negative stock into an error; the watch shows the stock
    the buyers saw never dipped below zero either, and never rose above the starting stock.
    """

    def __init__(self, variant_id: int) -> None:
        self.variant_id = variant_id
        self.seen: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                self.seen.append(
                    ProductVariant.objects.values_list("stock", flat=True).get(pk=self.variant_id)
                )
                time.sleep(0.002)  # sample, do not hog a core the buyers need
        finally:
            connections.close_all()

    def __enter__(self) -> "StockWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def stock_of(variant: ProductVariant) -> int:
    return ProductVariant.objects.values_list("stock", flat=True).get(pk=variant.pk)


def error_codes(results: list) -> Counter:
    return Counter(r.code if isinstance(r, ApplicationError) else type(r).__name__ for r in results)


@pytest.fixture
def watch(variant) -> Iterator[StockWatch]:
    with StockWatch(variant.pk) as stock_watch:
        yield stock_watch


# ---------------------------------------------------------------- buyers racing for the last units


def test_fifty_buyers_racing_for_ten_units_make_exactly_ten_paid_orders(variant, watch):
    # when: 50 buyers check out at the same instant
    results = run_threads(50, lambda i: buy(variant, i))
    # then: 10 orders, the 40 others told the stock ran out, nothing else went wrong
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 10
    assert error_codes([r for r in results if not isinstance(r, Order)]) == Counter(
        {"insufficient_stock": 40}
    )
    assert stock_of(variant) == 0
    assert Order.objects.count() == 10 and Payment.objects.count() == 10

    # when: the 10 payments succeed at once (webhooks delivered in parallel)
    paid = run_threads(10, lambda i: pay(orders[i], f"pi_race_{i}"))

    # then: every order is paid exactly once, settled, and the stock never went negative
    assert all(isinstance(p, Payment) and p.status == PaymentStatus.SUCCEEDED for p in paid), paid
    assert Counter(Order.objects.values_list("status", flat=True)) == Counter({OrderStatus.PAID: 10})
    assert OrderEvent.objects.filter(kind=OrderEventKind.PAID).count() == 10
    assert Payment.objects.filter(settlement__isnull=False).count() == 10
    assert sum(Order.objects.values_list("lines__quantity", flat=True)) == 10
    assert stock_of(variant) == 0
    watch.__exit__()
    assert watch.seen and min(watch.seen) >= 0 and max(watch.seen) <= 10
    assert ledger_check() == []


def test_buyers_asking_for_more_than_one_unit_never_oversell(variant, watch):
    # 30 buyers want 3 units each of 10: at most three orders fit (9 units), one unit stays.
    def buy_three(index: int) -> Order:
        return order_create(
            shop=variant.product.shop,
            items=[ItemRequest(product_id=variant.product_id, variant_id=variant.pk, quantity=3)],
            email=f"bulk{index}@example.com",
            shipping_address=ADDRESS,
        )

    results = run_threads(30, buy_three)

    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 3
    assert error_codes([r for r in results if not isinstance(r, Order)]) == Counter(
        {"insufficient_stock": 27}
    )
    assert stock_of(variant) == 1
    watch.__exit__()
    assert min(watch.seen) >= 0


# ---------------------------------------------------------------- expiry racing with payment


def test_a_payment_racing_the_expiry_job_leaves_every_order_paid_and_the_stock_counted(variant, watch):
    # given: 10 orders holding all 10 units, their reservations already over
    past = timezone.now() - timedelta(minutes=31)
    orders = [buy(variant, i, now=past) for i in range(10)]
    assert stock_of(variant) == 0

    # when: two expiry workers and the ten payments run at the same instant
    def work(index: int):
        if index < 2:
            return orders_release_expired()
        return pay(orders[index - 2], f"pi_expiry_{index}")

    results = run_threads(12, work)

    # then: the expiry either won (the payment then took the stock back: paid late) or lost (the
    # payment held the order's lock, so SKIP LOCKED left it); either way each order is paid once
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Counter(Order.objects.values_list("status", flat=True)) == Counter({OrderStatus.PAID: 10})
    for order in Order.objects.all():
        kinds = list(order.events.values_list("kind", flat=True))
        assert kinds in (
            [OrderEventKind.CREATED, OrderEventKind.PAID],
            [OrderEventKind.CREATED, OrderEventKind.EXPIRED, OrderEventKind.PAID_LATE],
        ), kinds
    expired = sum(results[:2])
    assert expired == OrderEvent.objects.filter(kind=OrderEventKind.EXPIRED).count()
    assert stock_of(variant) == 0
    watch.__exit__()
    assert min(watch.seen) >= 0 and max(watch.seen) <= 10
    assert ledger_check() == []


@pytest.fixture
def charged_orders(variant, stripe_api) -> list[Order]:
    """Five orders holding all 5 of the variant's units, reservations over, each one charged at
    the (emulated) Stripe but not yet marked paid: the webhook is about to arrive."""
    ProductVariant.objects.filter(pk=variant.pk).update(stock=5)
    past = timezone.now() - timedelta(minutes=31)
    orders = [buy(variant, i, now=past) for i in range(5)]
    for order in orders:
        intent_id = order_intent_start(order=order)["payment_intent_id"]
        stripe.PaymentIntent.confirm(intent_id, payment_method="pm_card_visa")
        order.payment.refresh_from_db()
    return orders


def test_expiry_payments_and_new_buyers_racing_never_oversell_and_refund_what_cannot_ship(
    variant, charged_orders, watch
):
    # when: two expiry workers, the five payments and five new buyers, all at once
    def work(index: int):
        if index < 2:
            return orders_release_expired()
        if index < 7:
            order = charged_orders[index - 2]
            return pay(order, order.payment.stripe_payment_intent_id)
        return buy(variant, 100 + index)

    results = run_threads(12, work)

    # then: nothing crashed; new buyers either bought or were told the stock ran out
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)], (
        results
    )
    assert set(error_codes([r for r in results[7:] if not isinstance(r, Order)])) <= {"insufficient_stock"}
    new_orders = [r for r in results[7:] if isinstance(r, Order)]
    old = Order.objects.filter(pk__in=[o.pk for o in charged_orders])
    statuses = Counter(old.values_list("status", flat=True))
    # every charged order is paid (its stock kept or taken back) or refunded in full (sold meanwhile)
    assert set(statuses) <= {OrderStatus.PAID, OrderStatus.REFUNDED} and sum(statuses.values()) == 5
    # units are conserved: left + held by new orders + shipped to paying buyers == 5
    assert stock_of(variant) + len(new_orders) + statuses[OrderStatus.PAID] == 5
    refunded = old.filter(status=OrderStatus.REFUNDED)
    for order in refunded.select_related("payment"):
        assert order.refunded_minor == order.total_minor
        assert order.payment.amount_refunded_minor == order.total_minor
        refund = Refund.objects.get(payment=order.payment)
        assert (refund.amount_minor, refund.status) == (order.total_minor, RefundStatus.SUCCEEDED)
        assert stripe.Refund.retrieve(refund.stripe_refund_id).amount == order.total_minor
    assert len(stripe.Refund.list(limit=100).data) == refunded.count()
    watch.__exit__()
    assert min(watch.seen) >= 0 and max(watch.seen) <= 5
    assert ledger_check() == []


def test_a_payment_after_the_stock_was_sold_to_someone_else_is_refunded_in_full(variant, charged_orders):
    # given: the reservations expire and a new buyer takes all five units
    assert orders_release_expired() == 5
    order_create(
        shop=variant.product.shop,
        items=[ItemRequest(product_id=variant.product_id, variant_id=variant.pk, quantity=5)],
        email="early@example.com",
        shipping_address=ADDRESS,
    )
    # when: the late payments arrive together
    late = run_threads(
        5, lambda i: pay(charged_orders[i], charged_orders[i].payment.stripe_payment_intent_id)
    )
    # then: the money is taken (succeeded) and given back in full; the stock stays with the new buyer
    assert all(isinstance(p, Payment) for p in late), late
    assert Counter(
        Order.objects.filter(pk__in=[o.pk for o in charged_orders]).values_list("status", flat=True)
    ) == Counter({OrderStatus.REFUNDED: 5})
    assert stock_of(variant) == 0
    assert OrderEvent.objects.filter(kind=OrderEventKind.PAID_LATE).count() == 5
    assert sorted(r.amount for r in stripe.Refund.list(limit=100).data) == [1200] * 5
    assert ledger_check() == []
