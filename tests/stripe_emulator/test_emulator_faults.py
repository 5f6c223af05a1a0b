"""Fault switches: failed requests, dropped responses (replayed through the idempotency key), delays."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import time

import pytest
import stripe

from stripe_emulator.testing import TEST_API_KEY


def test_fail_next_request_is_not_applied(emulator, control):
    control.fail_next(500, path="/v1/payment_intents")
    with pytest.raises(stripe.APIError) as raised:
        stripe.PaymentIntent.create(amount=1000, currency="usd")
    assert raised.value.http_status == 500
    assert stripe.PaymentIntent.list().data == []
    assert stripe.PaymentIntent.create(amount=1000, currency="usd").status == "requires_payment_method"


def test_fail_next_with_a_chosen_stripe_error(emulator, control):
    control.fail_next(402, type="card_error", code="card_declined", message="Declined by the fault switch")
    with pytest.raises(stripe.CardError) as raised:
        stripe.Customer.create()
    assert raised.value.code == "card_declined" and "fault switch" in raised.value.user_message
    control.fail_next(429, type="invalid_request_error", code="rate_limit", method="GET")
    stripe.Customer.create()  # a POST: the GET-only fault stays armed
    with pytest.raises(stripe.RateLimitError):
        stripe.Customer.list()


def test_sdk_retries_a_500_and_succeeds_once(emulator, control):
    control.fail_next(500)
    stripe.max_network_retries = 2
    intent = stripe.PaymentIntent.create(amount=1000, currency="usd")
    assert [i.id for i in stripe.PaymentIntent.list().data] == [intent.id]


def test_dropped_response_is_replayed_on_the_sdk_retry(emulator, control, receiver):
    control.drop_next_response(path="/v1/payment_intents")
    stripe.max_network_retries = 2

    intent = stripe.PaymentIntent.create(
        amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True
    )

    assert intent.last_response.headers["Idempotent-Replayed"] == "true"
    assert [i.id for i in stripe.PaymentIntent.list().data] == [intent.id]
    assert len(stripe.Charge.list().data) == 1
    control.wait_for_webhooks()
    assert receiver.types().count("payment_intent.succeeded") == 1


def test_dropped_response_without_retries_is_a_connection_error_but_applied(emulator, control):
    control.drop_next_response()
    with pytest.raises(stripe.APIConnectionError):
        stripe.Customer.create(email="ghost@example.com")
    assert [c.email for c in stripe.Customer.list().data] == ["ghost@example.com"]


def test_delay_slows_responses_and_trips_client_timeouts(emulator, control):
    control.delay(0.3, count=1)
    started = time.monotonic()
    stripe.Customer.list()
    assert time.monotonic() - started >= 0.3

    control.delay(1.0)
    impatient = stripe.StripeClient(
        TEST_API_KEY,
        base_addresses={"api": emulator.base_url},
        http_client=stripe.RequestsClient(timeout=0.2),
        max_network_retries=0,
    )
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.list()


def test_faults_are_cleared_by_reset(emulator, control):
    control.fail_next(500, count=None)
    control.reset()
    stripe.Customer.create()
