"""Checkout Sessions and the hosted payment page, driven like a browser submitting its forms."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import pytest
import stripe

SUCCESS = "http://app.test/thanks?session={CHECKOUT_SESSION_ID}"
CANCEL = "http://app.test/cart"


def _session(**extra: object) -> stripe.checkout.Session:
    params: dict = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Print"}},
                "quantity": 2,
            },
            {
                "price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Sticker"}},
                "quantity": 1,
            },
        ],
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "client_reference_id": "order-17",
        "customer_email": "buyer@example.com",
        "metadata": {"order": "17"},
        "payment_intent_data": {"metadata": {"order": "17"}, "description": "Order 17"},
    }
    params.update(extra)
    return stripe.checkout.Session.create(**params)


def test_session_shape_and_line_items(emulator):
    session = _session()
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert (session.status, session.payment_status, session.amount_total) == ("open", "unpaid", 3500)
    assert session.url == f"{emulator.base_url}/pages/checkout/{session.id}"
    assert session.payment_intent is None and session.client_reference_id == "order-17"
    items = stripe.checkout.Session.list_line_items(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Print", 2, 3000),
        ("Sticker", 1, 500),
    ]
    expanded = stripe.checkout.Session.retrieve(session.id, expand=["line_items"])
    assert len(expanded.line_items.data) == 2


def test_the_page_is_self_contained_and_shows_the_total(emulator, control):
    page = control.page(_session().url)
    assert page.status == 200 and "$35.00" in page.html
    for external in ("<script", "<link", "src=", "https://"):
        assert external not in page.html


def test_paying_completes_the_session_and_redirects_to_success_url(emulator, control, receiver, balance):
    session = _session()

    result = control.pay_checkout(session.url)

    assert result.status == 303 and result.location == f"http://app.test/thanks?session={session.id}"
    session = stripe.checkout.Session.retrieve(session.id)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.customer_details.email == "buyer@example.com"
    intent = stripe.PaymentIntent.retrieve(session.payment_intent)
    assert intent.status == "succeeded" and intent.amount == 3500
    assert intent.metadata.to_dict() == {"order": "17"} and intent.description == "Order 17"
    assert balance("usd") == 3500
    control.wait_for_webhooks()
    types = receiver.types()
    assert types.index("payment_intent.succeeded") < types.index("checkout.session.completed")
    completed = receiver.events()[types.index("checkout.session.completed")]["data"]["object"]
    assert completed["payment_status"] == "paid" and completed["metadata"] == {"order": "17"}


def test_a_declined_card_on_the_page_keeps_the_session_open(emulator, control, receiver):
    session = _session()

    declined = control.pay_checkout(session.url, card="chargeDeclined")

    assert declined.status == 402 and "Your card was declined." in declined.html
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    assert control.pay_checkout(session.url).status == 303
    control.wait_for_webhooks()
    assert receiver.types().count("payment_intent.payment_failed") == 1
    assert receiver.types().count("checkout.session.completed") == 1


def test_cancel_returns_to_cancel_url_and_the_session_stays_open(emulator, control):
    session = _session()
    result = control.cancel_checkout(session.url)
    assert (result.status, result.location) == (303, CANCEL)
    assert stripe.checkout.Session.retrieve(session.id).status == "open"


def test_a_paid_or_expired_session_cannot_be_paid(emulator, control, receiver):
    paid = _session()
    control.pay_checkout(paid.url)
    assert control.pay_checkout(paid.url).status == 410

    expired = stripe.checkout.Session.expire(_session().id)
    assert expired.status == "expired"
    assert control.page(expired.url).status == 410
    control.wait_for_webhooks()
    assert "checkout.session.expired" in receiver.types()


def test_sessions_expire_after_24_hours(emulator, control):
    session = _session()
    control.advance_clock(24 * 3600)
    assert stripe.checkout.Session.retrieve(session.id).status == "expired"


def test_zero_decimal_session(emulator, control):
    session = _session(
        line_items=[
            {
                "price_data": {"currency": "jpy", "unit_amount": 800, "product_data": {"name": "Zine"}},
                "quantity": 3,
            }
        ]
    )
    assert session.amount_total == 2400
    assert "¥2,400" in control.page(session.url).html


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"mode": "subscription"}, "mode"),
        ({"line_items": []}, "line_items"),
        (
            {
                "line_items": [
                    {
                        "price_data": {"currency": "usd", "unit_amount": 10, "product_data": {"name": "x"}},
                        "quantity": 1,
                    }
                ]
            },
            "line_items",
        ),
    ],
)
def test_invalid_sessions_are_refused(emulator, change, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _session(**change)
    assert raised.value.param == param


def test_destination_payment_through_checkout(emulator, control, onboard, balance):
    account = onboard()
    session = _session(
        payment_intent_data={"application_fee_amount": 500, "transfer_data": {"destination": account.id}}
    )
    control.pay_checkout(session.url)
    assert (balance("usd"), balance("usd", account.id)) == (500, 3000)
