"""PaymentMethods and Stripe's test cards.

A card's ``_behaviour`` decides what a charge does: ``succeed``, ``authenticate`` (3-D Secure,
the PaymentIntent goes to ``requires_action``) or ``decline:<code>:<decline_code>``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import invalid, missing
from ..params import INT, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from . import customers

ROUTES = Routes()
KIND = "payment_method"


class TestCard(NamedTuple):
    brand: str
    last4: str
    behaviour: str


# Names as in ``pm_card_<name>`` and ``tok_<name>`` from https://docs.stripe.com/testing
TEST_CARDS: dict[str, TestCard] = {
    "visa": TestCard("visa", "4242", "succeed"),
    "visa_debit": TestCard("visa", "5556", "succeed"),
    "mastercard": TestCard("mastercard", "4444", "succeed"),
    "amex": TestCard("amex", "8431", "succeed"),
    "bypassPending": TestCard("visa", "0077", "succeed"),
    "chargeDeclined": TestCard("visa", "0002", "decline:card_declined:generic_decline"),
    "visa_chargeDeclined": TestCard("visa", "0002", "decline:card_declined:generic_decline"),
    "chargeDeclinedInsufficientFunds": TestCard("visa", "9995", "decline:card_declined:insufficient_funds"),
    "visa_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", "decline:card_declined:insufficient_funds"
    ),
    "chargeDeclinedExpiredCard": TestCard("visa", "0069", "decline:expired_card:expired_card"),
    # Attaching to a customer works; every charge is declined.
    "chargeCustomerFail": TestCard("visa", "0341", "decline:card_declined:generic_decline"),
    "authenticationRequired": TestCard("visa", "3184", "authenticate"),
    "threeDSecure2Required": TestCard("visa", "3220", "authenticate"),
}

# Raw test numbers, for ``PaymentMethod.create(card={"number": ...})``.
TEST_NUMBERS: dict[str, str] = {
    "4242424242424242": "visa",
    "5555555555554444": "mastercard",
    "4000000000000077": "bypassPending",
    "4000000000000002": "chargeDeclined",
    "4000000000009995": "chargeDeclinedInsufficientFunds",
    "4000000000000069": "chargeDeclinedExpiredCard",
    "4000000000000341": "chargeCustomerFail",
    "4000002760003184": "authenticationRequired",
    "4000002500003155": "authenticationRequired",
    "4000000000003220": "threeDSecure2Required",
}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
}


def build(call: Call, card_name: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    card = TEST_CARDS[card_name]
    store = call.store
    method: dict[str, Any] = {
        "id": store.new_id("pm_"),
        "object": KIND,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": store.new_id("", 16),
            "funding": "credit",
            "last4": card.last4,
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": store.now(),
        "customer": None,
        "livemode": False,
        "metadata": metadata or {},
        "type": "card",
        "_behaviour": card.behaviour,
    }
    return store.insert(method, call.account)


def resolve(call: Call, reference: str, param: str = "payment_method") -> dict[str, Any]:
    """A stored PaymentMethod, or a new one for a test alias such as ``pm_card_visa``.

    Stripe turns each use of a ``pm_card_*`` alias into a fresh PaymentMethod, so does this.
    """
    for prefix in ("pm_card_", "tok_"):
        if reference.startswith(prefix) and reference[len(prefix) :] in TEST_CARDS:
            return build(call, reference[len(prefix) :])
    method = call.store.find(reference)
    if method is None or method["object"] != KIND or call.store.owner(reference) != call.account:
        raise missing("PaymentMethod", reference, param=param)
    return method


CARD = {"token": STR, "number": STR, "exp_month": INT, "exp_year": INT, "cvc": STR}
BILLING = {"email": STR, "name": STR, "phone": STR}


@ROUTES.api(
    "POST",
    "/v1/payment_methods",
    {"type": STR, "card": CARD, "billing_details": BILLING, "metadata": METADATA},
    sdk="PaymentMethodCreateParams",
)
def create(call: Call) -> dict[str, Any]:
    if call.require("type") != "card":
        raise invalid("The emulator only supports card PaymentMethods.", param="type")
    card = call.require("card")
    name = _card_name(card)
    method = build(call, name, merge_metadata({}, call.params.get("metadata"), call.has("metadata")))
    method["billing_details"].update(call.params.get("billing_details") or {})
    return method


def _card_name(card: dict[str, Any]) -> str:
    token = card.get("token") or ""
    if token.startswith("tok_") and token[4:] in TEST_CARDS:
        return token[4:]
    number = (card.get("number") or "").replace(" ", "")
    if number in TEST_NUMBERS:
        return TEST_NUMBERS[number]
    raise invalid(
        "Use a test card token (tok_visa, tok_chargeDeclined, ...) or a test card number.",
        param="card",
        code="card_declined" if number else None,
    )


@ROUTES.api("GET", "/v1/payment_methods/{method}", sdk="PaymentMethodRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return resolve(call, call.args["method"], param="id")


@ROUTES.api("POST", "/v1/payment_methods/{method}/attach", {"customer": STR}, sdk="PaymentMethodAttachParams")
def attach(call: Call) -> dict[str, Any]:
    method = resolve(call, call.args["method"], param="id")
    customer = customers.get(call, call.require("customer"))
    method["customer"] = customer["id"]
    call.store.emit("payment_method.attached", method, call.account)
    return method


@ROUTES.api("POST", "/v1/payment_methods/{method}/detach", sdk="PaymentMethodDetachParams")
def detach(call: Call) -> dict[str, Any]:
    method = resolve(call, call.args["method"], param="id")
    if method["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible."
        )
    previous = {"customer": method["customer"]}
    method["customer"] = None
    call.store.emit("payment_method.detached", method, call.account, previous)
    return method


@ROUTES.api(
    "GET", "/v1/payment_methods", {"customer": STR, "type": STR, **PAGINATION}, sdk="PaymentMethodListParams"
)
def list_methods(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    found = call.store.select(KIND, call.account, lambda m: customer is None or m["customer"] == customer)
    return paginate(call, found, "/v1/payment_methods")
