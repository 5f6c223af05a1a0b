"""Charges (payments.charges): creating payments, paying them through the emulator, refunds.

Stripe is the emulator (real SDK, real HTTP); its webhooks reach our endpoint through ``feed``.
"""

import pytest
import stripe

from common.errors import ApplicationError
from common.money import Money
from payments.charges import (
    payment_create,
    payment_mark_failed,
    payment_mark_succeeded,
    payment_start_checkout,
    payment_start_intent,
    refund_request,
    refund_send,
)
from payments.enums import AccountKind, PaymentStatus, RefundStatus, WebhookEventStatus
from payments.gateway import StripeTemporaryError
from payments.models import LedgerAccount, Payment, Refund, WebhookEvent, party_for_user
from tests.payments.test_webhooks import Feed

LINE = [{"name": "Lip tint", "unit_amount_minor": 1250, "quantity": 2}]


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


def pay(creator, *, amount_minor=2500, currency="USD", reference="order:1", **options) -> Payment:
    party = party_for_user(creator.user)
    return payment_create(
        reference=reference,
        source="shop_sale",
        amount=Money(amount_minor, currency),
        splits=[{"party": party, "amount_minor": amount_minor, "source": "shop_sale"}],
        country="US",
        **options,
    )


def balance(party: str, kind: str, currency: str = "USD") -> int:
    account = LedgerAccount.objects.filter(party=party, kind=kind, currency=currency).first()
    return account.balance_minor if account else 0


def reload(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


# ---------------------------------------------------------------- payment_create


@pytest.mark.parametrize(("currency", "minimum"), [("USD", 50), ("JPY", 50), ("KRW", 700)])
def test_a_payment_below_stripes_minimum_is_refused(creator, currency, minimum):
    with pytest.raises(ApplicationError) as error:
        pay(creator, amount_minor=minimum - 1, currency=currency)
    assert error.value.code == "amount_below_minimum"

    payment = pay(creator, amount_minor=minimum, currency=currency)
    assert (payment.amount_minor, payment.currency, payment.status) == (
        minimum,
        currency,
        PaymentStatus.PENDING,
    )


@pytest.mark.parametrize(
    "splits",
    [
        [],
        [{"party": "user:1", "amount_minor": 2000, "source": "shop_sale"}],
        [{"party": "platform", "amount_minor": 2500, "source": "shop_sale"}],
        [{"party": "user:1", "amount_minor": 2500, "source": "lottery"}],
    ],
    ids=["none", "short", "to the platform", "unknown source"],
)
def test_splits_that_do_not_add_up_to_the_amount_are_refused(db, splits):
    with pytest.raises(ApplicationError) as error:
        payment_create(reference="order:1", source="shop_sale", amount=Money(2500, "USD"), splits=splits)
    assert error.value.code == "invalid_splits"
    assert not Payment.objects.exists()


def test_an_unsupported_currency_is_refused(db):
    with pytest.raises(ApplicationError) as error:
        Money(2500, "GBP")
    assert error.value.code == "unsupported_currency"


def test_a_reference_is_reused_for_the_same_amount_and_refused_for_another(creator, buyer):
    first = pay(creator, payer=buyer)

    assert pay(creator, payer=buyer).pk == first.pk
    with pytest.raises(ApplicationError) as error:
        pay(creator, amount_minor=3000)
    assert (error.value.code, error.value.status_code) == ("reference_conflict", 409)
    assert first.payer_email == buyer.email


# ---------------------------------------------------------------- paying on mobile (PaymentIntent)


def test_a_mobile_payment_succeeds_through_the_webhook_and_is_settled(creator, buyer, feed):
    payment = pay(creator, payer=buyer)
    started = payment_start_intent(payment=payment)
    assert started["client_secret"] and started["status"] == "requires_payment_method"
    assert payment_start_intent(payment=payment)["payment_intent_id"] == started["payment_intent_id"]

    # The app confirms with the client secret; Stripe tells us through a webhook.
    stripe.PaymentIntent.confirm(started["payment_intent_id"], payment_method="pm_card_visa")
    assert "payment_intent.succeeded" in feed()

    payment = reload(payment)
    assert (payment.status, payment.stripe_payment_intent_id) == (
        PaymentStatus.SUCCEEDED,
        started["payment_intent_id"],
    )
    assert payment.paid_at is not None and payment.stripe_charge_id.startswith("ch_")
    assert payment.settlement is not None  # the settle_payment task ran
    # The default shop commission (5%) went to the platform; the rest waits in the creator's hold.
    assert balance(party_for_user(creator.user), AccountKind.PENDING) == 2375
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 125
    assert WebhookEvent.objects.get(type="payment_intent.succeeded").status == WebhookEventStatus.PROCESSED


def test_a_declined_card_fails_the_payment_and_a_retry_with_another_card_pays_it(creator, feed):
    payment = pay(creator)
    intent_id = payment_start_intent(payment=payment)["payment_intent_id"]

    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.confirm(intent_id, payment_method="pm_card_chargeDeclined")
    feed()
    payment = reload(payment)
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "card_declined")
    assert payment.failure_message and payment.settlement is None

    stripe.PaymentIntent.confirm(intent_id, payment_method="pm_card_visa")
    feed()
    payment = reload(payment)
    assert (payment.status, payment.failure_code) == (PaymentStatus.SUCCEEDED, "")
    assert payment.settlement is not None


def test_a_failure_arriving_after_the_success_changes_nothing(creator, feed, control):
    payment = pay(creator)
    intent_id = payment_start_intent(payment=payment)["payment_intent_id"]
    control.hold_webhooks()
    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.confirm(intent_id, payment_method="pm_card_chargeDeclinedInsufficientFunds")
    stripe.PaymentIntent.confirm(intent_id, payment_method="pm_card_visa")

    control.release_webhooks(order="reverse")
    delivered = feed()
    assert delivered.index("payment_intent.succeeded") < delivered.index("payment_intent.payment_failed")

    payment = reload(payment)
    assert (payment.status, payment.failure_code) == (PaymentStatus.SUCCEEDED, "")
    failed = WebhookEvent.objects.get(type="payment_intent.payment_failed")
    assert failed.status == WebhookEventStatus.PROCESSED


def test_an_event_for_a_payment_we_do_not_know_is_ignored(creator, feed):
    stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True)

    feed()

    event = WebhookEvent.objects.get(type="payment_intent.succeeded")
    assert event.status == WebhookEventStatus.IGNORED and "no payment" in event.last_error


def test_a_paid_payment_cannot_be_started_again(creator, stripe_api):
    payment = pay(creator)
    payment_mark_succeeded(payment=payment, stripe_payment_intent_id="pi_1")

    with pytest.raises(ApplicationError) as error:
        payment_start_intent(payment=payment)
    assert error.value.code == "payment_not_payable"


def test_marking_is_idempotent_and_one_way(creator, django_capture_on_commit_callbacks, stripe_api):
    payment = pay(creator)

    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_succeeded(payment=payment, stripe_payment_intent_id="pi_1", stripe_charge_id="ch_1")
        payment_mark_succeeded(payment=payment, stripe_payment_intent_id="pi_1")
    payment_mark_failed(payment=payment, code="card_declined", message="Declined")

    payment = reload(payment)
    assert (payment.status, payment.stripe_charge_id, payment.failure_code) == ("succeeded", "ch_1", "")
    # A second PaymentIntent charging a paid payment is a double charge for staff to refund.
    with pytest.raises(ApplicationError) as error:
        payment_mark_succeeded(payment=payment, stripe_payment_intent_id="pi_2")
    assert error.value.code == "payment_paid_twice"


# ---------------------------------------------------------------- paying on the web (Checkout)


def test_a_checkout_payment_succeeds_through_the_webhook(creator, feed, control):
    payment = pay(creator, payer_email="buyer@example.com")

    url = payment_start_checkout(
        payment=payment, line_items=LINE, success_url="http://shop/ok", cancel_url="http://shop/cancel"
    )
    assert url.startswith(feed.control.base_url)
    assert control.pay_checkout(url).location == "http://shop/ok"
    assert "checkout.session.completed" in feed()

    payment = reload(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.stripe_checkout_session_id and payment.stripe_payment_intent_id.startswith("pi_")
    assert payment.settlement is not None
    assert WebhookEvent.objects.get(type="checkout.session.completed").status == WebhookEventStatus.PROCESSED


def test_a_checkout_session_completed_alone_pays_the_payment(creator, feed, control):
    payment = pay(creator)
    url = payment_start_checkout(
        payment=payment, line_items=LINE, success_url="http://s", cancel_url="http://c"
    )
    control.pay_checkout(url)
    deliveries = feed.pending()

    # Only the session event reaches us (the others are lost or late).
    feed.send([d for d in deliveries if '"checkout.session.completed"' in d[0]])

    assert reload(payment).status == PaymentStatus.SUCCEEDED


def test_checkout_line_items_must_add_up_to_the_payment(creator, stripe_api):
    payment = pay(creator)
    with pytest.raises(ApplicationError) as error:
        payment_start_checkout(
            payment=payment,
            line_items=[{"name": "Lip tint", "unit_amount_minor": 1000, "quantity": 2}],
            success_url="http://s",
            cancel_url="http://c",
        )
    assert error.value.code == "invalid_line_items"


# ---------------------------------------------------------------- refunds


@pytest.fixture
def paid(creator, feed):
    payment = pay(creator)
    intent_id = payment_start_intent(payment=payment)["payment_intent_id"]
    stripe.PaymentIntent.confirm(intent_id, payment_method="pm_card_visa")
    feed()
    return reload(payment)


def test_a_refund_is_reversed_in_the_ledger_and_sent_to_stripe(
    creator, staff, paid, feed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(payment=paid, amount=Money(1000, "USD"), reason="damaged", requested_by=staff)
    assert "charge.refunded" in feed()

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.stripe_refund_id.startswith("re_")
    assert stripe.Refund.retrieve(refund.stripe_refund_id).amount == 1000
    # Stripe's charge.refunded is covered by our own refund: no second Refund.
    assert Refund.objects.count() == 1
    assert reload(paid).amount_refunded_minor == 1000
    assert balance(party_for_user(creator.user), AccountKind.PENDING) == 2375 - 950
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 125 - 50


def test_a_refund_made_in_stripes_dashboard_is_followed_by_the_ledger(creator, paid, feed):
    stripe.Refund.create(payment_intent=paid.stripe_payment_intent_id, amount=500)
    feed()

    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.status) == (500, RefundStatus.SUCCEEDED)
    assert refund.stripe_refund_id.startswith("re_") and refund.requested_by is None
    assert reload(paid).amount_refunded_minor == 500
    assert balance(party_for_user(creator.user), AccountKind.PENDING) == 2375 - 475


def test_a_refund_stripe_refuses_is_failed_and_the_ledger_put_back(creator, paid, control):
    refund = refund_request(payment=paid, amount=Money(2500, "USD"))  # task not run: no on_commit
    control.fail_next(400, type="invalid_request_error", code="charge_already_refunded", path="/v1/refunds")

    refund = refund_send(refund_id=refund.pk)

    assert refund.status == RefundStatus.FAILED and refund.failure_message
    assert reload(paid).amount_refunded_minor == 0
    assert balance(party_for_user(creator.user), AccountKind.PENDING) == 2375


def test_stripe_down_leaves_the_refund_pending_for_a_retry(creator, paid, control):
    refund = refund_request(payment=paid, amount=Money(500, "USD"))
    control.fail_next(500, count=5, path="/v1/refunds")

    with pytest.raises(StripeTemporaryError):
        refund_send(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING

    control.clear_faults()
    assert refund_send(refund_id=refund.pk).status == RefundStatus.SUCCEEDED
    assert refund_send(refund_id=refund.pk).status == RefundStatus.SUCCEEDED  # safe to run twice
    assert len(stripe.Refund.list().data) == 1
