"""The Stripe gateway against the emulator: the real SDK over HTTP, never a mocked SDK."""

import pytest
import stripe

from common.errors import ApplicationError
from payments import gateway
from payments.enums import CommissionSource
from payments.models import ConnectedAccount, Payment


def make_payment(buyer, amount_minor=2500, currency="USD", reference="order:1") -> Payment:
    return Payment.objects.create(
        reference=reference,
        source=CommissionSource.SHOP_SALE,
        payer=buyer,
        amount_minor=amount_minor,
        currency=currency,
        country="US",
        splits=[{"party": "user:1", "amount_minor": amount_minor, "source": "shop_sale"}],
    )


def test_a_payment_intent_is_created_and_confirmed(stripe_api, buyer):
    payment = make_payment(buyer)
    intent = gateway.payment_intent_create(payment=payment, payment_method="pm_card_visa", confirm=True)
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 2500, "usd")
    assert intent.metadata["payment_id"] == str(payment.pk)


def test_zero_decimal_currencies_travel_unchanged(stripe_api, buyer):
    intent = gateway.payment_intent_create(
        payment=make_payment(buyer, 1500, "JPY"), payment_method="pm_card_visa", confirm=True
    )
    assert (intent.amount, intent.currency) == (1500, "jpy")


def test_a_declined_card_is_a_clear_error(stripe_api, buyer):
    with pytest.raises(ApplicationError) as error:
        gateway.payment_intent_create(
            payment=make_payment(buyer), payment_method="pm_card_chargeDeclined", confirm=True
        )
    assert error.value.code == "card_declined" and error.value.status_code == 402


def test_an_amount_below_stripes_minimum_is_a_clear_error(stripe_api, buyer):
    with pytest.raises(ApplicationError) as error:
        gateway.payment_intent_create(payment=make_payment(buyer, 10, "USD"))
    assert error.value.code == "amount_too_small"


def test_a_lost_response_then_the_retry_makes_exactly_one_object(stripe_api, control, buyer):
    # Stripe applied the request, but its answer never arrived; the SDK retries with the same
    # idempotency key and gets the stored answer.
    control.drop_next_response(path="/v1/payment_intents")
    payment = make_payment(buyer)
    intent = gateway.payment_intent_create(payment=payment)
    assert [i.id for i in stripe.PaymentIntent.list().data] == [intent.id]
    # A later retry of the same operation (a Celery retry) returns the same object too.
    assert gateway.payment_intent_create(payment=payment).id == intent.id
    assert len(stripe.PaymentIntent.list().data) == 1


def test_stripe_down_is_a_temporary_error(stripe_api, control, buyer):
    control.fail_next(500, count=5)
    with pytest.raises(gateway.StripeTemporaryError):
        gateway.payment_intent_create(payment=make_payment(buyer))


def test_a_transfer_to_an_account_that_is_not_ready_is_refused(stripe_api, buyer):
    connected = ConnectedAccount.objects.create(party=f"user:{buyer.pk}", country="US", email=buyer.email)
    account = gateway.account_create(connected=connected)
    assert account.charges_enabled is False
    link = gateway.account_link_create(
        connected=ConnectedAccount(pk=connected.pk, stripe_account_id=account.id),
        refresh_url="http://x/refresh",
        return_url="http://x/return",
        request_key="k1",
    )
    assert link.url.startswith(stripe_api.base_url)
    # The same request key gives back the same link; a new one gives a new link.
    again = gateway.account_link_create(
        connected=ConnectedAccount(pk=connected.pk, stripe_account_id=account.id),
        refresh_url="http://x/refresh",
        return_url="http://x/return",
        request_key="k1",
    )
    assert again.url == link.url


def test_a_forged_webhook_is_refused(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_emulator"
    with pytest.raises(ApplicationError) as error:
        gateway.webhook_event_construct(payload=b'{"id": "evt_1"}', signature="t=1,v1=deadbeef")
    assert error.value.code == "invalid_signature"


def test_without_a_secret_every_webhook_is_refused(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(ApplicationError) as error:
        gateway.webhook_event_construct(payload=b"{}", signature="")
    assert error.value.code == "webhook_secret_missing"
