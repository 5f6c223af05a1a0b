"""PaymentIntents: create, retrieve, update, confirm, capture, cancel, list.

Outcomes follow the test card's behaviour (see ``payment_methods``): success, a decline
(402 ``card_error``, the intent back to ``requires_payment_method``), or 3-D Secure
(``requires_action`` with a hosted page at ``/pages/authenticate/<id>``).
"""

from __future__ import annotations

from typing import Any

from .. import money
from ..errors import StripeError, invalid, unexpected_state
from ..params import BOOL, INT, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from ..state import PLATFORM, public
from . import accounts, charges, customers, payment_methods

ROUTES = Routes()
KIND = "payment_intent"
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)

CONFIRM_PARAMS = {
    "payment_method": STR,
    "return_url": STR,
    "off_session": STR,  # the SDK allows true/false or "one_off"/"recurring"
    "receipt_email": STR,
    "setup_future_usage": STR,
    "error_on_requires_action": BOOL,
}
UPDATE_PARAMS = {
    "amount": INT,
    "currency": STR,
    "customer": STR,
    "description": STR,
    "metadata": METADATA,
    "payment_method": STR,
    "allowed_payment_method_types": [STR],
    "excluded_payment_method_types": [STR],
    "receipt_email": STR,
    "setup_future_usage": STR,
    "statement_descriptor": STR,
    "statement_descriptor_suffix": STR,
    "transfer_group": STR,
    "application_fee_amount": INT,
    "capture_method": STR,
}
CREATE_PARAMS = {
    **UPDATE_PARAMS,
    **CONFIRM_PARAMS,
    "confirm": BOOL,
    "on_behalf_of": STR,
    "transfer_data": {"destination": STR, "amount": INT},
    "automatic_payment_methods": {"enabled": BOOL, "allow_redirects": STR},
}


def get(call: Call, intent_id: str, param: str = "payment_intent") -> dict[str, Any]:
    return call.store.get(intent_id, KIND, call.account, param=param)


# ---- create -------------------------------------------------------------------------------


@ROUTES.api("POST", "/v1/payment_intents", CREATE_PARAMS, sdk="PaymentIntentCreateParams")
def create(call: Call) -> dict[str, Any]:
    intent = new_intent(call, call.params)
    if call.params.get("confirm"):
        confirm_intent(call, intent, call.params)
    return intent


def new_intent(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """Validate ``params`` and store a new PaymentIntent (also used by Checkout Sessions)."""
    store = call.store
    currency = money.check_currency(params.get("currency"))
    amount = money.check_charge_amount(params.get("amount"), currency)
    capture_method = _capture_method(params.get("capture_method"))
    check_method_types(params.get("allowed_payment_method_types"))
    if params.get("customer"):
        customers.get(call, params["customer"])
    transfer_data = check_transfer_data(call, params.get("transfer_data"), amount)
    fee = check_application_fee(call, params.get("application_fee_amount"), amount, transfer_data)
    method = payment_methods.resolve(call, params["payment_method"]) if params.get("payment_method") else None
    intent_id = store.new_id("pi_")
    intent: dict[str, Any] = {
        "id": intent_id,
        "object": KIND,
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application_fee_amount": fee,
        "automatic_payment_methods": params.get("automatic_payment_methods"),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{store.new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": store.now(),
        "currency": currency,
        "customer": params.get("customer"),
        "description": params.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata"), "metadata" in params),
        "next_action": None,
        "on_behalf_of": params.get("on_behalf_of"),
        "payment_method": method["id"] if method else None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": params.get("receipt_email"),
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": None,
        "statement_descriptor": params.get("statement_descriptor"),
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
        "status": "requires_confirmation" if method else "requires_payment_method",
        "transfer_data": transfer_data,
        "transfer_group": params.get("transfer_group"),
        "_authenticated": False,
    }
    store.insert(intent, call.account)
    store.emit("payment_intent.created", intent, call.account)
    return intent


def _capture_method(value: str | None) -> str:
    if value is None:
        return "automatic_async"
    if value not in CAPTURE_METHODS:
        raise invalid(
            f"Invalid capture_method: must be one of {', '.join(CAPTURE_METHODS)}", param="capture_method"
        )
    return value


def check_method_types(types: list[str] | None) -> None:
    for index, name in enumerate(types or []):
        if name != "card":
            raise invalid(
                f"The payment method type provided: {name} is invalid. The emulator supports: card.",
                param=f"allowed_payment_method_types[{index}]",
                code="payment_method_invalid_parameter",
            )


def check_transfer_data(call: Call, data: dict[str, Any] | None, amount: int) -> dict[str, Any] | None:
    if not data:
        return None
    if call.account != PLATFORM:
        raise invalid("transfer_data is only available on the platform, not with a Stripe-Account header.")
    destination = data.get("destination")
    if not destination:
        raise invalid(
            "Missing required param: transfer_data[destination].", param="transfer_data[destination]"
        )
    accounts.check_can_receive_transfers(call, destination, param="transfer_data[destination]")
    if data.get("amount") is not None and not 0 < data["amount"] <= amount:
        raise invalid(
            "transfer_data[amount] must be positive and at most the amount.", param="transfer_data[amount]"
        )
    return {k: v for k, v in data.items() if v is not None}


def check_application_fee(
    call: Call, fee: int | None, amount: int, transfer_data: dict[str, Any] | None
) -> int | None:
    if fee is None:
        return None
    if transfer_data is None and call.account == PLATFORM:
        raise invalid(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
            "(using an OAuth key or Stripe-Account header) or destination payment "
            "(using `transfer_data[destination]`).",
            param="application_fee_amount",
        )
    if not 0 <= fee <= amount:
        raise invalid("application_fee_amount cannot be greater than amount.", param="application_fee_amount")
    return fee


# ---- confirm ------------------------------------------------------------------------------


@ROUTES.api("POST", "/v1/payment_intents/{intent}/confirm", CONFIRM_PARAMS, sdk="PaymentIntentConfirmParams")
def confirm(call: Call) -> dict[str, Any]:
    intent = get(call, call.args["intent"], param="intent")
    return confirm_intent(call, intent, call.params)


def confirm_intent(call: Call, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    status = intent["status"]
    if status not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {status}. "
            "Only a PaymentIntent with one of the following statuses may be confirmed: "
            f"{', '.join(CONFIRMABLE)}."
        )
    if params.get("payment_method"):
        intent["payment_method"] = payment_methods.resolve(call, params["payment_method"])["id"]
        intent["_authenticated"] = False
    if params.get("receipt_email"):
        intent["receipt_email"] = params["receipt_email"]
    if not intent["payment_method"]:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm it, "
            "update it with a payment method or pass `payment_method` to confirm."
        )
    if intent["transfer_data"]:
        accounts.check_can_receive_transfers(
            call, intent["transfer_data"]["destination"], param="transfer_data"
        )
    method = call.store.find(intent["payment_method"])
    assert method is not None
    behaviour: str = method["_behaviour"]
    off_session = params.get("off_session") not in (None, "false")
    if behaviour == "authenticate" and not intent["_authenticated"]:
        if off_session:
            decline(
                call, intent, method, ("authentication_required", "authentication_required", _AUTH_MESSAGE)
            )
        return _require_action(call, intent, params.get("return_url"))
    if behaviour.startswith("decline:"):
        _, code, decline_code = behaviour.split(":")
        decline(call, intent, method, (code, decline_code, payment_methods.DECLINE_MESSAGES[decline_code]))
    authorize(call, intent, method)
    return intent


_AUTH_MESSAGE = "Your card was declined. This transaction requires authentication."


def _require_action(call: Call, intent: dict[str, Any], return_url: str | None) -> dict[str, Any]:
    url = f"{call.base_url}/pages/authenticate/{intent['id']}"
    if return_url:
        intent["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": url, "return_url": return_url},
        }
    else:
        intent["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url},
        }
    intent["_return_url"] = return_url
    intent["status"] = "requires_action"
    call.store.emit("payment_intent.requires_action", intent, call.account)
    return intent


def authorize(call: Call, intent: dict[str, Any], method: dict[str, Any]) -> None:
    """A successful charge; captured at once unless the intent captures manually."""
    charge = charges.create(call, intent, method)
    intent.update(latest_charge=charge["id"], last_payment_error=None, next_action=None)
    if intent["capture_method"] == "manual":
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        call.store.emit("charge.succeeded", charge, call.account)
        call.store.emit("payment_intent.amount_capturable_updated", intent, call.account)
        return
    charges.capture(call, intent, charge, intent["amount"])
    intent.update(status="succeeded", amount_received=intent["amount"])
    call.store.emit("charge.succeeded", charge, call.account)
    call.store.emit("payment_intent.succeeded", intent, call.account)


def decline(
    call: Call, intent: dict[str, Any], method: dict[str, Any], failure: tuple[str, str, str]
) -> None:
    """Record a declined charge and raise the 402 card error Stripe returns (state is kept)."""
    code, decline_code, message = failure
    charge = charges.create(call, intent, method, failure=failure)
    error: dict[str, Any] = {
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "message": message,
        "charge": charge["id"],
        "payment_method": public(method),
    }
    # Since API 2019 a failed confirmation detaches the payment method from the intent.
    intent.update(
        status="requires_payment_method",
        latest_charge=charge["id"],
        last_payment_error=error,
        payment_method=None,
        next_action=None,
    )
    call.store.emit("charge.failed", charge, call.account)
    call.store.emit("payment_intent.payment_failed", intent, call.account)
    raise StripeError(
        402,
        message,
        type="card_error",
        code=code,
        decline_code=decline_code,
        extra={"charge": charge["id"], "payment_intent": public(intent), "payment_method": public(method)},
    )


def authenticate(call: Call, intent: dict[str, Any], succeeded: bool) -> None:
    """The customer finished (or failed) the 3-D Secure challenge on the hosted page."""
    if intent["status"] != "requires_action":
        raise unexpected_state(
            f"This PaymentIntent has a status of {intent['status']}; nothing to authenticate."
        )
    if succeeded:
        intent["_authenticated"] = True
        method = call.store.find(intent["payment_method"])
        assert method is not None
        authorize(call, intent, method)
        return
    intent.update(
        status="requires_payment_method",
        next_action=None,
        payment_method=None,
        last_payment_error={
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
            "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        },
    )
    call.store.emit("payment_intent.payment_failed", intent, call.account)


# ---- capture, cancel, update, retrieve, list ----------------------------------------------


@ROUTES.api(
    "POST",
    "/v1/payment_intents/{intent}/capture",
    {"amount_to_capture": INT, "application_fee_amount": INT, "metadata": METADATA},
    sdk="PaymentIntentCaptureParams",
)
def capture(call: Call) -> dict[str, Any]:
    intent = get(call, call.args["intent"], param="intent")
    if intent["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
            "Only a PaymentIntent with one of the following statuses may be captured: requires_capture."
        )
    amount = call.params.get("amount_to_capture") or intent["amount_capturable"]
    if not 0 < amount <= intent["amount_capturable"]:
        raise StripeError(
            400,
            "The amount to capture must be positive and at most the amount capturable.",
            code="amount_too_large",
            param="amount_to_capture",
        )
    if call.params.get("application_fee_amount") is not None:
        intent["application_fee_amount"] = check_application_fee(
            call, call.params["application_fee_amount"], amount, intent["transfer_data"]
        )
    intent["metadata"] = merge_metadata(intent["metadata"], call.params.get("metadata"), call.has("metadata"))
    charge = call.store.find(intent["latest_charge"])
    assert charge is not None
    charges.capture(call, intent, charge, amount)
    intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
    call.store.emit("charge.captured", charge, call.account)
    call.store.emit("payment_intent.succeeded", intent, call.account)
    return intent


@ROUTES.api(
    "POST",
    "/v1/payment_intents/{intent}/cancel",
    {"cancellation_reason": STR},
    sdk="PaymentIntentCancelParams",
)
def cancel(call: Call) -> dict[str, Any]:
    intent = get(call, call.args["intent"], param="intent")
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
            f"PaymentIntent with one of the following statuses may be canceled: {', '.join(CANCELABLE)}."
        )
    if intent["status"] == "requires_capture":
        # Releasing an authorization shows on the charge as a full refund, as in Stripe.
        charge = call.store.find(intent["latest_charge"])
        assert charge is not None
        charge.update(amount_refunded=charge["amount"], refunded=True)
    intent.update(
        status="canceled",
        canceled_at=call.store.now(),
        cancellation_reason=call.params.get("cancellation_reason"),
        amount_capturable=0,
        next_action=None,
    )
    call.store.emit("payment_intent.canceled", intent, call.account)
    return intent


_UPDATABLE_ANY_TIME = ("description", "receipt_email", "transfer_group", "statement_descriptor")


@ROUTES.api("POST", "/v1/payment_intents/{intent}", UPDATE_PARAMS, sdk="PaymentIntentUpdateParams")
def update(call: Call) -> dict[str, Any]:
    intent = get(call, call.args["intent"], param="intent")
    params = call.params
    changes_payment = [name for name in params if name not in (*_UPDATABLE_ANY_TIME, "metadata", "expand")]
    if changes_payment and intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot update {changes_payment[0]} on this PaymentIntent because it has a status of "
            f"{intent['status']}."
        )
    currency = money.check_currency(params.get("currency") or intent["currency"])
    if "amount" in params or "currency" in params:
        intent["amount"] = money.check_charge_amount(params.get("amount") or intent["amount"], currency)
        intent["currency"] = currency
    if "capture_method" in params:
        intent["capture_method"] = _capture_method(params["capture_method"])
    if params.get("customer"):
        intent["customer"] = customers.get(call, params["customer"])["id"]
    if "application_fee_amount" in params:
        intent["application_fee_amount"] = check_application_fee(
            call, params["application_fee_amount"], intent["amount"], intent["transfer_data"]
        )
    if params.get("payment_method"):
        intent["payment_method"] = payment_methods.resolve(call, params["payment_method"])["id"]
        intent["_authenticated"] = False
    if changes_payment and intent["payment_method"]:
        intent.update(status="requires_confirmation", next_action=None)
    for name in (*_UPDATABLE_ANY_TIME, "setup_future_usage", "statement_descriptor_suffix"):
        if name in params:
            intent[name] = params[name]
    intent["metadata"] = merge_metadata(intent["metadata"], params.get("metadata"), "metadata" in params)
    return intent


@ROUTES.api("GET", "/v1/payment_intents/{intent}", {"client_secret": STR}, sdk="PaymentIntentRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return get(call, call.args["intent"], param="intent")


@ROUTES.api("GET", "/v1/payment_intents", {"customer": STR, **PAGINATION}, sdk="PaymentIntentListParams")
def list_intents(call: Call) -> dict[str, Any]:
    customer = call.params.get("customer")
    found = call.store.select(KIND, call.account, lambda i: customer is None or i["customer"] == customer)
    return paginate(call, found, "/v1/payment_intents")
