"""Drill 5: a burst of 50 checkouts while Stripe drops responses and sends webhooks twice.

Buyers check out at three shops (USD and JPY) through the real services: the order, the
Checkout Session created with the real stripe SDK at the emulator (its own process), the hosted
page paid as a browser would. The emulator's webhooks reach the app through a live server; a real
worker processes them (payment succeeded, settlement) and sends the refunds.

Faults, all at once: the response to the first Checkout Session is dropped three times in a row
(the SDK's two retries included: the buyer's request fails and the buyer tries again), one more
response is dropped every seventh checkout (the SDK's retry hides it), 40 webhooks are delivered
twice, every tenth buyer submits the payment page twice, and five orders are then refunded while
the refunds' responses are dropped (the SDK and then Celery retry with the same idempotency key).

Each order must be paid once and settled once, each refund made once at Stripe and in the
ledger, the ledger balanced and reconciliation clean.
"""

import pytest
import stripe

from common.errors import ApplicationError
from payments.enums import PaymentStatus, RefundStatus, WebhookEventStatus
from payments.gateway import StripeTemporaryError
from payments.models import LedgerTransaction, Payment, Refund, WebhookEvent
from shops.enums import PAID_STATUSES, OrderStatus, ProductType
from shops.models import Order
from shops.orders import ItemRequest, order_checkout_start, order_create, order_refund
from tests.conftest import make_creator
from tests.drills.conftest import assert_books_clean, report, wait_for
from tests.shops.factories import make_product, make_shop

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CHECKOUTS = 50
REFUNDS = 5
DUPLICATED_WEBHOOKS = 40
SUCCESS_URL = "http://testserver/thanks?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://testserver/cart"
SESSIONS = "/v1/checkout/sessions"


def state(workers) -> str:
    """What is stuck, for a failure message."""
    unsettled = Payment.objects.filter(settlement__isnull=True).values_list("reference", "status")
    events = WebhookEvent.objects.exclude(status=WebhookEventStatus.PROCESSED).values_list(
        "type", "status", "attempts", "last_error"
    )
    return f"unsettled: {list(unsettled)[:10]}\nevents: {list(events)[:20]}\n{workers.logs()}"


def checkout_start(order: Order) -> tuple[str, int]:
    """What the checkout page does, with the buyer trying again after an error page."""
    for attempt in range(1, 4):
        try:
            return order_checkout_start(order=order, success_url=SUCCESS_URL, cancel_url=CANCEL_URL), attempt
        except StripeTemporaryError:
            continue
    pytest.fail(f"order {order.number}: Stripe unreachable three times")


def test_a_checkout_burst_with_dropped_responses_and_duplicate_webhooks_pays_each_order_once(
    workers, stripe_service, live_server
):
    control = stripe_service
    control.add_webhook_endpoint(f"{live_server.url}/webhooks/stripe/")
    workers.start()
    sellers = [
        make_creator(f"shopkeeper{n}", country=country) for n, country in enumerate(("US", "JP", "US"))
    ]
    products = [
        make_product(
            make_shop(seller, currency=currency, slug=f"drill-shop-{n}"),
            title="Preset pack",
            price=price,
            type=ProductType.DIGITAL,
        )
        for n, (seller, currency, price) in enumerate(
            zip(sellers, ("USD", "JPY", "USD"), ("12.99", "1500", "7.49"), strict=True)
        )
    ]

    # when: 50 buyers check out while Stripe drops responses and doubles webhooks
    control.drop_next_response(method="POST", path=SESSIONS, count=3)
    control.duplicate_next_webhook(count=DUPLICATED_WEBHOOKS)
    orders, buyer_retries, double_submits = [], 0, 0
    for n in range(CHECKOUTS):
        if n and n % 7 == 0:
            control.drop_next_response(method="POST", path=SESSIONS, count=1)
        product = products[n % 3]
        order = order_create(
            shop=product.shop,
            items=[ItemRequest(product_id=product.pk, variant_id=None, quantity=1)],
            email=f"buyer{n}@example.com",
        )
        url, attempts = checkout_start(order)
        buyer_retries += attempts - 1
        session = Payment.objects.get(pk=order.payment_id).stripe_checkout_session_id
        assert control.pay_checkout(url).location == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session)
        if n % 10 == 9:
            control.pay_checkout(url)  # the buyer clicks Pay again: Stripe refuses a second payment
            double_submits += 1
        orders.append(order)
    assert buyer_retries >= 1, "the first checkout saw Stripe fail and was tried again"

    def all_settled() -> bool:
        return Payment.objects.filter(settlement__isnull=False).count() == CHECKOUTS

    took = wait_for(all_settled, timeout=90, what="every order paid and settled", logs=lambda: state(workers))

    # …and five orders are refunded while the refunds' responses are dropped
    control.drop_next_response(method="POST", path="/v1/refunds", count=3)
    control.drop_next_response(method="POST", path="/v1/refunds", count=1)
    refunded = orders[:: CHECKOUTS // REFUNDS][:REFUNDS]
    for order in refunded:
        order_refund(order=order, actor=order.shop.creator.user, reason="drill")  # on commit: send_refund

    def refunds_done() -> bool:
        return Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == REFUNDS

    wait_for(refunds_done, timeout=90, what="the refunds to go through", logs=workers.logs)
    control.wait_for_webhooks(timeout=30)
    wait_for(
        lambda: (
            not WebhookEvent.objects.exclude(
                status__in=[WebhookEventStatus.PROCESSED, WebhookEventStatus.IGNORED]
            ).exists()
        ),
        timeout=60,
        what="every webhook processed",
        logs=workers.logs,
    )
    control.clear_faults()

    # then: each order paid once, by one PaymentIntent of the right amount, and settled once
    payments = list(Payment.objects.filter(reference__startswith="order:"))
    assert len(payments) == CHECKOUTS
    assert {p.status for p in payments} == {PaymentStatus.SUCCEEDED}
    intents = [i for i in stripe.PaymentIntent.list(limit=100).auto_paging_iter() if i.status == "succeeded"]
    assert sorted((i.id, i.amount) for i in intents) == sorted(
        (p.stripe_payment_intent_id, p.amount_minor) for p in payments
    )
    assert LedgerTransaction.objects.filter(reference__regex=r"^payment:\d+:settle$").count() == CHECKOUTS
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses <= set(PAID_STATUSES) | {OrderStatus.REFUNDED}
    assert Order.objects.filter(status=OrderStatus.REFUNDED).count() == REFUNDS
    # each refund made once at Stripe, once in the ledger
    refunds = list(Refund.objects.all())
    stripe_refunds = list(stripe.Refund.list(limit=100).auto_paging_iter())
    assert sorted((r.id, r.amount) for r in stripe_refunds) == sorted(
        (r.stripe_refund_id, r.amount_minor) for r in refunds
    )
    assert LedgerTransaction.objects.filter(reference__regex=r"^refund:\d+$").count() == REFUNDS
    # no money left the platform otherwise
    assert stripe.Transfer.list(limit=10).data == []
    # the duplicates arrived and were stored once
    deliveries = [d for d in control.webhook_deliveries() if d["status"] and 200 <= d["status"] < 300]
    events = WebhookEvent.objects.count()
    assert len({d["event_id"] for d in deliveries}) == events
    assert len(deliveries) >= events + DUPLICATED_WEBHOOKS
    with pytest.raises(ApplicationError):  # the refunded order cannot be refunded again
        order_refund(order=refunded[0], actor=refunded[0].shop.creator.user, reason="twice")
    assert_books_clean()
    report(
        "checkout burst",
        checkouts=CHECKOUTS,
        buyer_retries=buyer_retries,
        double_submits=double_submits,
        webhook_deliveries=len(deliveries),
        webhook_events=events,
        settle_seconds=round(took, 1),
        refunds=len(stripe_refunds),
    )
