"""Refunds, partial or full, never more than what was captured and not yet refunded."""

from __future__ import annotations

from typing import Any

from .. import money
from ..errors import invalid
from ..params import BOOL, CREATED, INT, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from ..state import PLATFORM
from . import charges, payment_intents, transfers

ROUTES = Routes()
KIND = "refund"
REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@ROUTES.api(
    "POST",
    "/v1/refunds",
    {
        "payment_intent": STR,
        "charge": STR,
        "amount": INT,
        "reason": STR,
        "metadata": METADATA,
        "reverse_transfer": BOOL,
        "refund_application_fee": BOOL,
    },
    sdk="RefundCreateParams",
)
def create(call: Call) -> dict[str, Any]:
    charge = _charge_to_refund(call)
    reason = call.params.get("reason")
    if reason is not None and reason not in REASONS:
        raise invalid(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = call.params.get("amount")
    amount = remaining if amount is None else money.check_positive(amount)
    if amount > remaining:
        currency = charge["currency"]
        raise invalid(
            f"Refund amount ({money.format_amount(amount, currency)}) is greater than unrefunded amount on "
            f"charge ({money.format_amount(remaining, currency)})",
            param="amount",
            code="amount_too_large",
        )
    return _refund(call, charge, amount, reason)


def _charge_to_refund(call: Call) -> dict[str, Any]:
    intent_id, charge_id = call.params.get("payment_intent"), call.params.get("charge")
    if bool(intent_id) == bool(charge_id):
        raise invalid("You must pass either payment_intent or charge (and not both).")
    if intent_id:
        intent = payment_intents.get(call, intent_id)
        if intent["status"] != "succeeded":
            raise invalid(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable" if intent["status"] == "requires_capture" else None,
            )
        charge_id = intent["latest_charge"]
    assert charge_id is not None
    charge = charges.get(call, charge_id)
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise invalid(f"Charge {charge_id} has no captured funds to refund.", param="charge")
    return charge


def _refund(call: Call, charge: dict[str, Any], amount: int, reason: str | None) -> dict[str, Any]:
    store = call.store
    refund_id = store.new_id("re_")
    refund: dict[str, Any] = {
        "id": refund_id,
        "object": KIND,
        "amount": amount,
        # The balance may go negative, as Stripe debits the platform's bank in that case.
        "balance_transaction": store.move(
            call.account, charge["currency"], -amount, type="refund", source=refund_id
        ),
        "charge": charge["id"],
        "created": store.now(),
        "currency": charge["currency"],
        "metadata": merge_metadata({}, call.params.get("metadata"), call.has("metadata")),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    if charge["transfer"] and call.params.get("reverse_transfer"):
        # Take back from the destination the same share of its transfer as the share refunded.
        transfer = transfers.get(call, charge["transfer"])
        share = amount * transfer["amount"] // charge["amount_captured"]
        if share:
            refund["transfer_reversal"] = transfers.reverse(call, transfer, share)["id"]
    if charge["application_fee"] and call.params.get("refund_application_fee"):
        _refund_fee(call, charge, amount)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    store.insert(refund, call.account)
    store.emit("refund.created", refund, call.account)
    store.emit("charge.refunded", charge, call.account, previous)
    return refund


def _refund_fee(call: Call, charge: dict[str, Any], amount: int) -> None:
    fee = call.store.find(charge["application_fee"])
    assert fee is not None
    share = min(amount * fee["amount"] // charge["amount_captured"], fee["amount"] - fee["amount_refunded"])
    fee["amount_refunded"] += share
    fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    if call.account != PLATFORM and share:
        # Direct charge: the platform gives its fee back to the connected account.
        call.store.move(PLATFORM, charge["currency"], -share, type="application_fee_refund", source=fee["id"])
        call.store.move(
            call.account, charge["currency"], share, type="application_fee_refund", source=fee["id"]
        )


@ROUTES.api("GET", "/v1/refunds/{refund}", sdk="RefundRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return call.store.get(call.args["refund"], KIND, call.account, param="id")


@ROUTES.api("POST", "/v1/refunds/{refund}", {"metadata": METADATA}, sdk="RefundUpdateParams")
def update(call: Call) -> dict[str, Any]:
    refund = call.store.get(call.args["refund"], KIND, call.account, param="id")
    refund["metadata"] = merge_metadata(refund["metadata"], call.params.get("metadata"), call.has("metadata"))
    return refund


@ROUTES.api(
    "GET",
    "/v1/refunds",
    {"charge": STR, "payment_intent": STR, **CREATED, **PAGINATION},
    sdk="RefundListParams",
)
def list_refunds(call: Call) -> dict[str, Any]:
    charge, intent = call.params.get("charge"), call.params.get("payment_intent")
    found = call.store.select(
        KIND,
        call.account,
        lambda r: (
            (charge is None or r["charge"] == charge) and (intent is None or r["payment_intent"] == intent)
        ),
    )
    return paginate(call, found, "/v1/refunds")
