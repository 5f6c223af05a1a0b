"""PaymentIntents through the real SDK: success, declines, 3-D Secure, manual capture, cancel."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import pytest
import stripe


def test_create_then_confirm_succeeds_and_credits_the_platform(emulator, balance):
    intent = stripe.PaymentIntent.create(amount=2500, currency="usd", metadata={"order": "42"})
    assert intent.status == "requires_payment_method"
    assert intent.id.startswith("pi_") and intent.client_secret.startswith(intent.id + "_secret_")
    assert intent.livemode is False and intent.metadata.to_dict() == {"order": "42"}

    intent = stripe.PaymentIntent.modify(intent.id, payment_method="pm_card_visa")
    assert intent.status == "requires_confirmation"
    intent = stripe.PaymentIntent.confirm(intent.id)

    assert intent.status == "succeeded"
    assert intent.amount_received == 2500
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert (charge.paid, charge.captured, charge.status) == (True, True, "succeeded")
    assert charge.amount_refunded == 0 and charge.refunded is False
    assert charge.payment_method_details.card.last4 == "4242"
    assert balance("usd") == 2500


def test_confirm_in_one_call_and_expand_latest_charge(emulator):
    intent = stripe.PaymentIntent.create(
        amount=1000, currency="eur", payment_method="pm_card_visa", confirm=True, expand=["latest_charge"]
    )
    assert intent.status == "succeeded"
    assert intent.latest_charge.object == "charge"
    assert intent.latest_charge.payment_intent == intent.id
    assert intent.payment_method.startswith("pm_") and intent.payment_method != "pm_card_visa"


@pytest.mark.parametrize(
    ("method", "code", "decline_code"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ],
)
def test_declined_card_is_a_402_card_error_and_keeps_the_intent(
    emulator, receiver, method, code, decline_code
):
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method=method, confirm=True)

    error = raised.value
    assert error.http_status == 402 and error.code == code
    assert error.error.decline_code == decline_code and error.error.type == "card_error"
    intent = stripe.PaymentIntent.retrieve(error.error.payment_intent["id"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == code
    assert stripe.Charge.retrieve(intent.latest_charge).status == "failed"
    emulator.control.wait_for_webhooks()
    assert "payment_intent.payment_failed" in receiver.types()
    assert stripe.Balance.retrieve().available[0].amount == 0


def test_a_declined_intent_can_be_retried_with_another_card(emulator):
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(
            amount=1000, currency="usd", payment_method="pm_card_chargeDeclined", confirm=True
        )
    intent = stripe.PaymentIntent.confirm(
        raised.value.error.payment_intent["id"], payment_method="pm_card_visa"
    )
    assert intent.status == "succeeded"
    assert len(stripe.Charge.list(payment_intent=intent.id).data) == 2


@pytest.mark.parametrize("method", ["pm_card_authenticationRequired", "pm_card_threeDSecure2Required"])
def test_authentication_required_then_completed_on_the_hosted_page(emulator, control, method):
    intent = stripe.PaymentIntent.create(
        amount=1500, currency="usd", payment_method=method, confirm=True, return_url="http://app.test/done"
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "redirect_to_url"
    assert intent.next_action.redirect_to_url.url.startswith(emulator.base_url + "/pages/authenticate/")
    assert control.page(intent.next_action.redirect_to_url.url).status == 200

    result = control.authenticate(intent.id, succeed=True)

    assert result.status == 303
    assert result.location.startswith("http://app.test/done?payment_intent=" + intent.id)
    assert "redirect_status=succeeded" in result.location
    assert stripe.PaymentIntent.retrieve(intent.id).status == "succeeded"


def test_failed_authentication_returns_the_intent_to_requires_payment_method(emulator, control, receiver):
    intent = stripe.PaymentIntent.create(
        amount=1500, currency="usd", payment_method="pm_card_authenticationRequired", confirm=True
    )
    assert intent.next_action.type == "use_stripe_sdk"
    control.authenticate(intent.id, succeed=False)
    intent = stripe.PaymentIntent.retrieve(intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "payment_intent_authentication_failure"
    control.wait_for_webhooks()
    assert receiver.types()[-1] == "payment_intent.payment_failed"


def test_off_session_payment_needing_authentication_is_declined(emulator):
    with pytest.raises(stripe.CardError) as raised:
        stripe.PaymentIntent.create(
            amount=1500,
            currency="usd",
            payment_method="pm_card_authenticationRequired",
            confirm=True,
            off_session=True,
        )
    assert raised.value.code == "authentication_required"


def test_manual_capture_credits_only_the_captured_amount(emulator, balance):
    intent = stripe.PaymentIntent.create(
        amount=5000, currency="usd", payment_method="pm_card_visa", confirm=True, capture_method="manual"
    )
    assert intent.status == "requires_capture" and intent.amount_capturable == 5000
    assert balance("usd") == 0

    intent = stripe.PaymentIntent.capture(intent.id, amount_to_capture=4000)

    assert intent.status == "succeeded" and intent.amount_received == 4000
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert charge.captured is True and charge.amount_captured == 4000
    assert balance("usd") == 4000


def test_capture_of_a_succeeded_intent_is_an_unexpected_state(emulator, pay):
    intent = pay()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.capture(intent.id)
    assert raised.value.code == "payment_intent_unexpected_state" and raised.value.http_status == 400


def test_cancel_and_no_cancel_after_success(emulator, pay, receiver):
    intent = stripe.PaymentIntent.create(amount=1000, currency="usd")
    canceled = stripe.PaymentIntent.cancel(intent.id, cancellation_reason="abandoned")
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.cancel(pay().id)
    assert raised.value.code == "payment_intent_unexpected_state"
    emulator.control.wait_for_webhooks()
    assert "payment_intent.canceled" in receiver.types()


def test_cancel_of_an_uncaptured_intent_releases_the_authorization(emulator):
    intent = stripe.PaymentIntent.create(
        amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True, capture_method="manual"
    )
    stripe.PaymentIntent.cancel(intent.id)
    charge = stripe.Charge.retrieve(intent.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 1000


def test_unknown_intent_is_a_404_resource_missing(emulator):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe.PaymentIntent.retrieve("pi_doesnotexist")
    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"
    assert "No such payment_intent: 'pi_doesnotexist'" in raised.value.user_message


def test_list_by_customer_pages_through_every_intent(emulator):
    customer = stripe.Customer.create(email="fan@example.com", name="Fan")
    created = [
        stripe.PaymentIntent.create(amount=100 + i, currency="usd", customer=customer.id).id for i in range(5)
    ]
    stripe.PaymentIntent.create(amount=999, currency="usd")

    first_page = stripe.PaymentIntent.list(customer=customer.id, limit=2)
    assert first_page.has_more is True and len(first_page.data) == 2
    listed = [
        intent.id for intent in stripe.PaymentIntent.list(customer=customer.id, limit=2).auto_paging_iter()
    ]
    assert listed == list(reversed(created))


def test_stripe_client_style_works_too(client):
    intent = client.v1.payment_intents.create(
        {"amount": 1200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_customers_crud(emulator, receiver):
    customer = stripe.Customer.create(email="a@example.com", metadata={"user": "7"})
    customer = stripe.Customer.modify(customer.id, name="Ada", metadata={"user": ""})
    assert customer.name == "Ada" and customer.metadata.to_dict() == {}
    assert [c.id for c in stripe.Customer.list(email="a@example.com").data] == [customer.id]
    assert stripe.Customer.delete(customer.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.retrieve(customer.id)
    emulator.control.wait_for_webhooks()
    assert receiver.types() == ["customer.created", "customer.updated", "customer.deleted"]


def test_payment_methods_from_tokens_and_attach(emulator):
    customer = stripe.Customer.create()
    method = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    stripe.PaymentMethod.attach(method.id, customer=customer.id)
    assert [m.id for m in stripe.PaymentMethod.list(customer=customer.id, type="card").data] == [method.id]
    intent = stripe.PaymentIntent.create(
        amount=700, currency="usd", customer=customer.id, payment_method=method.id, confirm=True
    )
    assert intent.status == "succeeded"


def test_expand_inside_lists(emulator, pay):
    pay()
    [intent] = stripe.PaymentIntent.list(expand=["data.latest_charge"]).data
    assert intent.latest_charge.object == "charge"
