"""Checkout Sessions (``mode=payment`` with ``price_data`` line items) and what paying one does.

The session's ``url`` is the emulator's hosted payment page (``pages.py``); paying there creates
the PaymentIntent, completes the session and redirects to ``success_url``.
"""

from __future__ import annotations

from typing import Any

from .. import money
from ..errors import StripeError, invalid
from ..params import BOOL, INT, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from . import customers, payment_intents, payment_methods

ROUTES = Routes()
KIND = "checkout.session"
SESSION_TTL_SECONDS = 24 * 3600

PRICE_DATA = {
    "currency": STR,
    "unit_amount": INT,
    "product_data": {"name": STR, "description": STR, "images": [STR], "metadata": METADATA},
}
PAYMENT_INTENT_DATA = {
    "metadata": METADATA,
    "description": STR,
    "capture_method": STR,
    "transfer_data": {"destination": STR, "amount": INT},
    "application_fee_amount": INT,
    "transfer_group": STR,
    "on_behalf_of": STR,
    "receipt_email": STR,
    "statement_descriptor": STR,
}
CREATE_PARAMS = {
    "mode": STR,
    "line_items": [{"price_data": PRICE_DATA, "quantity": INT}],
    "success_url": STR,
    "cancel_url": STR,
    "client_reference_id": STR,
    "customer": STR,
    "customer_email": STR,
    "metadata": METADATA,
    "payment_intent_data": PAYMENT_INTENT_DATA,
    "allowed_payment_method_types": [STR],
    "excluded_payment_method_types": [STR],
    "expires_at": INT,
    "locale": STR,
    "submit_type": STR,
    "allow_promotion_codes": BOOL,
}


def get(call: Call, session_id: str) -> dict[str, Any]:
    session = call.store.get(session_id, KIND, call.account, label="checkout.session", param="session")
    _expire_if_due(call, session)
    return session


@ROUTES.api("POST", "/v1/checkout/sessions", CREATE_PARAMS, sdk="SessionCreateParams")
def create(call: Call) -> dict[str, Any]:
    store, params = call.store, call.params
    if (params.get("mode") or "payment") != "payment":
        raise invalid("The emulator supports mode=payment only.", param="mode")
    payment_intents.check_method_types(params.get("allowed_payment_method_types"))
    line_items, currency = _line_items(call, params.get("line_items") or [])
    total = sum(item["amount_total"] for item in line_items)
    money.check_charge_amount(total, currency, param="line_items")
    if params.get("customer"):
        customers.get(call, params["customer"])
    intent_data = params.get("payment_intent_data") or {}
    payment_intents.check_transfer_data(call, intent_data.get("transfer_data"), total)
    payment_intents.check_application_fee(
        call, intent_data.get("application_fee_amount"), total, intent_data.get("transfer_data")
    )
    now = store.now()
    session_id = store.new_id("cs_test_", 40)
    session: dict[str, Any] = {
        "id": session_id,
        "object": KIND,
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "created": now,
        "currency": currency,
        "customer": params.get("customer"),
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": params.get("expires_at") or now + SESSION_TTL_SECONDS,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": merge_metadata({}, params.get("metadata"), call.has("metadata")),
        "mode": "payment",
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "submit_type": params.get("submit_type"),
        "success_url": params.get("success_url"),
        "url": f"{call.base_url}/pages/checkout/{session_id}",
        "_line_items": {
            "object": "list",
            "data": line_items,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session_id}/line_items",
        },
        "_payment_intent_data": intent_data,
    }
    return store.insert(session, call.account)


def _line_items(call: Call, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    if not items:
        raise invalid("line_items is required in payment mode.", param="line_items")
    built, currencies = [], set()
    for index, item in enumerate(items):
        name = f"line_items[{index}]"
        price = item.get("price_data")
        if not price:
            raise invalid("Use price_data: the emulator has no Price objects.", param=f"{name}[price_data]")
        currency = money.check_currency(price.get("currency"), param=f"{name}[price_data][currency]")
        currencies.add(currency)
        unit_amount = price.get("unit_amount")
        if unit_amount is None or unit_amount < 0:
            raise invalid(
                "unit_amount must be a non-negative integer.", param=f"{name}[price_data][unit_amount]"
            )
        quantity = item.get("quantity") or 0
        if quantity < 1:
            raise invalid("quantity must be at least 1.", param=f"{name}[quantity]")
        product = price.get("product_data") or {}
        if not product.get("name"):
            raise invalid(
                "Missing required param: product_data[name].", param=f"{name}[price_data][product_data][name]"
            )
        built.append(_line_item(call, product["name"], currency, unit_amount, quantity))
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    return built, currencies.pop()


def _line_item(call: Call, name: str, currency: str, unit_amount: int, quantity: int) -> dict[str, Any]:
    store = call.store
    return {
        "id": store.new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": unit_amount * quantity,
        "amount_tax": 0,
        "amount_total": unit_amount * quantity,
        "currency": currency,
        "description": name,
        "price": {
            "id": store.new_id("price_"),
            "object": "price",
            "currency": currency,
            "product": store.new_id("prod_", 14),
            "type": "one_time",
            "unit_amount": unit_amount,
        },
        "quantity": quantity,
    }


def _expire_if_due(call: Call, session: dict[str, Any]) -> None:
    if session["status"] == "open" and call.store.now() >= session["expires_at"]:
        expire_session(call, session)


def expire_session(call: Call, session: dict[str, Any]) -> None:
    session["status"] = "expired"
    call.store.emit("checkout.session.expired", session, call.account)


def pay(call: Call, session: dict[str, Any], card: str, email: str | None) -> str | None:
    """Pay ``session`` with test card ``card`` as the hosted page does; the decline message, if any."""
    if session["status"] != "open":
        return f"This Checkout Session is {session['status']}."
    if card not in payment_methods.TEST_CARDS:
        return f"Unknown test card: {card}"
    intent = _intent_for(call, session, email)
    method = payment_methods.build(call, card)
    method["billing_details"]["email"] = email
    # The hosted page is where 3-D Secure would be shown; completing it counts as authenticated.
    intent["_authenticated"] = True
    try:
        payment_intents.confirm_intent(call, intent, {"payment_method": method["id"]})
    except StripeError as error:
        return error.message
    session.update(
        status="complete",
        payment_status="paid" if intent["status"] == "succeeded" else "unpaid",
        customer_details={"email": email, "name": None, "phone": None, "address": None},
    )
    call.store.emit("checkout.session.completed", session, call.account)
    return None


def _intent_for(call: Call, session: dict[str, Any], email: str | None) -> dict[str, Any]:
    if session["payment_intent"]:
        intent = call.store.find(session["payment_intent"])
        assert intent is not None
        return intent
    data = session["_payment_intent_data"]
    params: dict[str, Any] = {
        **{name: value for name, value in data.items() if value is not None},
        "amount": session["amount_total"],
        "currency": session["currency"],
        "customer": session["customer"],
        "receipt_email": data.get("receipt_email") or email,
    }
    intent = payment_intents.new_intent(call, params)
    session["payment_intent"] = intent["id"]
    return intent


@ROUTES.api("GET", "/v1/checkout/sessions/{session}", sdk="SessionRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return get(call, call.args["session"])


@ROUTES.api("POST", "/v1/checkout/sessions/{session}/expire", sdk="SessionExpireParams")
def expire(call: Call) -> dict[str, Any]:
    session = get(call, call.args["session"])
    if session["status"] != "open":
        raise invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This session has a status of '
            f'"{session["status"]}".'
        )
    expire_session(call, session)
    return session


@ROUTES.api("GET", "/v1/checkout/sessions/{session}/line_items", PAGINATION, sdk="SessionListLineItemsParams")
def list_line_items(call: Call) -> dict[str, Any]:
    session = get(call, call.args["session"])
    return paginate(call, session["_line_items"]["data"], session["_line_items"]["url"])


@ROUTES.api(
    "GET",
    "/v1/checkout/sessions",
    {"payment_intent": STR, "customer": STR, "status": STR, **PAGINATION},
    sdk="SessionListParams",
)
def list_sessions(call: Call) -> dict[str, Any]:
    wanted: dict[str, Any] = {
        name: call.params[name] for name in ("payment_intent", "customer", "status") if call.params.get(name)
    }
    found = call.store.select(KIND, call.account, lambda s: all(s[k] == v for k, v in wanted.items()))
    return paginate(call, found, "/v1/checkout/sessions")
