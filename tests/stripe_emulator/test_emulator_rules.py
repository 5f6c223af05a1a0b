"""Stripe's rules: currencies and minimums, refunds, idempotency keys, auth and error shapes."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator,call-arg,typeddict-item"

from __future__ import annotations

import uuid

import pytest
import requests
import stripe

# ---- currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize("currency", ["jpy", "krw"])
def test_zero_decimal_currencies_are_whole_units(emulator, balance, currency):
    intent = stripe.PaymentIntent.create(
        amount=1500, currency=currency, payment_method="pm_card_visa", confirm=True
    )
    assert intent.amount_received == 1500
    assert balance(currency) == 1500


@pytest.mark.parametrize(
    ("currency", "minimum", "shown"),
    [
        ("usd", 50, "$0.50"),
        ("eur", 50, "€0.50"),
        ("gbp", 30, "£0.30"),
        ("jpy", 50, "¥50"),
        ("krw", 700, "₩700"),
    ],
)
def test_per_currency_minimum_charge(emulator, currency, minimum, shown):
    assert stripe.PaymentIntent.create(amount=minimum, currency=currency).amount == minimum
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=minimum - 1, currency=currency)
    assert raised.value.code == "amount_too_small" and raised.value.param == "amount"
    assert shown in raised.value.user_message


def test_amounts_above_eight_digits_and_unknown_currencies_are_refused(emulator):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=100_000_000, currency="usd")
    assert raised.value.code == "amount_too_large"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=1000, currency="xyz")
    assert "Invalid currency" in raised.value.user_message


# ---- refunds ------------------------------------------------------------------------------


def test_partial_then_full_refund_and_never_more(emulator, pay, balance, receiver):
    intent = pay(amount=2000)
    partial = stripe.Refund.create(payment_intent=intent.id, amount=500, reason="requested_by_customer")
    assert (partial.status, partial.amount, partial.charge) == ("succeeded", 500, intent.latest_charge)
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (500, False)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Refund.create(payment_intent=intent.id, amount=1501)
    assert raised.value.code == "amount_too_large" and raised.value.param == "amount"

    rest = stripe.Refund.create(charge=intent.latest_charge)
    assert rest.amount == 1500
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (2000, True)
    assert balance("usd") == 0

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.Refund.create(payment_intent=intent.id, amount=1)
    assert raised.value.code == "charge_already_refunded"

    emulator.control.wait_for_webhooks()
    refunded = [event for event in receiver.events() if event["type"] == "charge.refunded"]
    assert [event["data"]["object"]["amount_refunded"] for event in refunded] == [500, 2000]
    assert refunded[0]["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    assert [r.id for r in stripe.Refund.list(payment_intent=intent.id).data] == [rest.id, partial.id]


def test_nothing_to_refund_on_declined_or_uncaptured_payments(emulator):
    uncaptured = stripe.PaymentIntent.create(
        amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True, capture_method="manual"
    )
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(payment_intent=uncaptured.id)
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(
            amount=1000, currency="usd", payment_method="pm_card_chargeDeclined", confirm=True
        )
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(charge=raised.value.error.charge)


def test_partial_capture_limits_the_refund_to_what_was_captured(emulator):
    intent = stripe.PaymentIntent.create(
        amount=3000, currency="usd", payment_method="pm_card_visa", confirm=True, capture_method="manual"
    )
    stripe.PaymentIntent.capture(intent.id, amount_to_capture=1000)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Refund.create(payment_intent=intent.id, amount=1001)
    assert stripe.Refund.create(payment_intent=intent.id).amount == 1000


# ---- idempotency --------------------------------------------------------------------------


def test_same_key_and_params_replays_the_stored_response(emulator):
    key = str(uuid.uuid4())
    first = stripe.PaymentIntent.create(amount=1000, currency="usd", idempotency_key=key)
    second = stripe.PaymentIntent.create(amount=1000, currency="usd", idempotency_key=key)
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe.PaymentIntent.list().data) == 1


def test_same_key_with_other_params_is_an_idempotency_error(emulator):
    key = str(uuid.uuid4())
    stripe.PaymentIntent.create(amount=1000, currency="usd", idempotency_key=key)
    with pytest.raises(stripe.IdempotencyError) as raised:
        stripe.PaymentIntent.create(amount=2000, currency="usd", idempotency_key=key)
    assert raised.value.http_status == 400 and raised.value.error.type == "idempotency_error"


def test_a_replayed_decline_charges_nothing_twice(emulator):
    key = str(uuid.uuid4())
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as raised:
            stripe.PaymentIntent.create(idempotency_key=key, **params)
        errors.append(raised.value.error.charge)
    assert errors[0] == errors[1]
    assert len(stripe.Charge.list().data) == 1


def test_a_validation_error_is_not_stored_so_the_key_can_be_reused(emulator):
    key = str(uuid.uuid4())
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.create(email="x@example.com", nmae="typo", idempotency_key=key)
    assert stripe.Customer.create(email="x@example.com", idempotency_key=key).email == "x@example.com"


def test_idempotency_keys_are_scoped_per_account(emulator, onboard, pay):
    pay()
    account = onboard()
    key = str(uuid.uuid4())
    platform = stripe.Customer.create(email="p@example.com", idempotency_key=key)
    connected = stripe.Customer.create(email="c@example.com", idempotency_key=key, stripe_account=account.id)
    assert platform.id != connected.id


# ---- authentication, errors, unknown parameters -------------------------------------------


def test_missing_or_non_test_api_keys_are_401(emulator):
    with pytest.raises(stripe.AuthenticationError) as raised:
        stripe.Customer.list(api_key="sk_live_nope")
    assert raised.value.http_status == 401
    response = requests.get(f"{emulator.base_url}/v1/customers", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    basic = requests.get(f"{emulator.base_url}/v1/customers", auth=("sk_test_basic", ""), timeout=5)
    assert basic.status_code == 200


def test_unknown_parameters_are_rejected_with_their_full_name(emulator):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=1000, currency="usd", metdata={"a": "1"})
    assert raised.value.code == "parameter_unknown" and raised.value.param == "metdata"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.create(amount=1000, currency="usd", transfer_data={"destinaton": "acct_1"})
    assert raised.value.param == "transfer_data[destinaton]"


def test_error_shape_and_status_codes_on_the_wire(emulator):
    headers = {"Authorization": "Bearer sk_test_wire"}
    bad_int = requests.post(
        f"{emulator.base_url}/v1/payment_intents",
        data={"amount": "ten", "currency": "usd"},
        headers=headers,
        timeout=5,
    )
    assert bad_int.status_code == 400
    assert bad_int.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "parameter_invalid_integer",
            "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-integer",
            "message": "Invalid integer: ten",
            "param": "amount",
        }
    }
    assert bad_int.headers["Request-Id"].startswith("req_")
    missing = requests.post(
        f"{emulator.base_url}/v1/payment_intents", data={"currency": "usd"}, headers=headers, timeout=5
    )
    assert missing.json()["error"]["code"] == "parameter_missing"
    unknown_url = requests.get(f"{emulator.base_url}/v1/nothing_here", headers=headers, timeout=5)
    assert (
        unknown_url.status_code == 404
        and "Unrecognized request URL" in unknown_url.json()["error"]["message"]
    )
    declined = requests.post(
        f"{emulator.base_url}/v1/payment_intents",
        data={
            "amount": "1000",
            "currency": "usd",
            "payment_method": "pm_card_chargeDeclined",
            "confirm": "true",
        },
        headers=headers,
        timeout=5,
    )
    error = declined.json()["error"]
    assert declined.status_code == 402
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"


def test_lists_filter_by_creation_time(emulator, control):
    intent = stripe.PaymentIntent.create(
        amount=5000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    early = stripe.Refund.create(payment_intent=intent.id, amount=100)
    control.advance_clock(3600)
    late = stripe.Refund.create(payment_intent=intent.id, amount=200)
    cutoff = early.created + 1800
    assert [r.id for r in stripe.Refund.list(created={"gte": cutoff}).data] == [late.id]
    assert [r.id for r in stripe.Refund.list(created={"lt": cutoff}).data] == [early.id]
