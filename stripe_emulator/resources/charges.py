"""Charges: created by PaymentIntents, never directly. This module moves the money of a charge:
the charged account's balance, and for destination charges the transfer and application fee.
"""

from __future__ import annotations

from typing import Any

from ..params import PAGINATION, STR
from ..routing import Call, Routes, paginate
from ..state import PLATFORM, public
from . import transfers

ROUTES = Routes()
KIND = "charge"


def get(call: Call, charge_id: str, param: str = "charge") -> dict[str, Any]:
    return call.store.get(charge_id, KIND, call.account, param=param)


def create(
    call: Call, intent: dict[str, Any], method: dict[str, Any], *, failure: tuple[str, str, str] | None = None
) -> dict[str, Any]:
    """A charge attempt for ``intent`` with ``method``: authorized, or failed with ``failure``.

    ``failure`` is ``(code, decline_code, message)``; an authorized charge is not yet captured.
    """
    store = call.store
    failed = failure is not None
    charge: dict[str, Any] = {
        "id": store.new_id("ch_"),
        "object": KIND,
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application_fee": None,
        "application_fee_amount": intent["application_fee_amount"],
        "balance_transaction": None,
        "billing_details": public(method["billing_details"]),
        "captured": False,
        "created": store.now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_code": failure[0] if failure else None,
        "failure_message": failure[2] if failure else None,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": intent["on_behalf_of"],
        "outcome": _outcome(failure),
        "paid": not failed,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {"type": "card", "card": public(method["card"])},
        "receipt_email": intent["receipt_email"],
        "refunded": False,
        "status": "failed" if failed else "succeeded",
        "transfer": None,
        "transfer_data": intent["transfer_data"],
        "transfer_group": intent["transfer_group"],
    }
    return store.insert(charge, call.account)


def _outcome(failure: tuple[str, str, str] | None) -> dict[str, Any]:
    if failure is None:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": failure[1],
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def capture(call: Call, intent: dict[str, Any], charge: dict[str, Any], amount: int) -> None:
    """Capture ``amount`` of an authorized charge: the money reaches the balance now."""
    store = call.store
    charge["captured"] = True
    charge["amount_captured"] = amount
    charge["balance_transaction"] = store.move(
        call.account, charge["currency"], amount, type="charge", source=charge["id"]
    )
    fee = intent["application_fee_amount"] or 0
    destination = (intent["transfer_data"] or {}).get("destination")
    if destination:
        # Destination charge: the platform keeps the fee and transfers the rest.
        transfer_amount = intent["transfer_data"].get("amount") or amount - fee
        transfer = transfers.create_transfer(
            call,
            amount=transfer_amount,
            currency=charge["currency"],
            destination=destination,
            source_transaction=charge["id"],
            transfer_group=intent["transfer_group"],
            check_balance=False,
        )
        charge["transfer"] = transfer["id"]
        fee = amount - transfer_amount
        if intent["application_fee_amount"]:
            charge["application_fee"] = _application_fee(call, charge, fee, destination)["id"]
    elif fee and call.account != PLATFORM:
        # Direct charge on a connected account: the fee moves from it to the platform.
        store.move(call.account, charge["currency"], -fee, type="application_fee", source=charge["id"])
        charge["application_fee"] = _application_fee(call, charge, fee, call.account)["id"]


def _application_fee(call: Call, charge: dict[str, Any], amount: int, account: str) -> dict[str, Any]:
    store = call.store
    fee: dict[str, Any] = {
        "id": store.new_id("fee_"),
        "object": "application_fee",
        "account": account,
        "amount": amount,
        "amount_refunded": 0,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": store.now(),
        "currency": charge["currency"],
        "livemode": False,
        "originating_transaction": None,
        "refunded": False,
    }
    if call.account != PLATFORM:
        # A direct charge's fee reaches the platform now; a destination charge's fee never left it.
        fee["balance_transaction"] = store.move(
            PLATFORM, charge["currency"], amount, type="application_fee", source=fee["id"]
        )
    store.insert(fee, PLATFORM)
    store.emit("application_fee.created", fee, PLATFORM)
    return fee


@ROUTES.api("GET", "/v1/charges/{charge}", sdk="ChargeRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return get(call, call.args["charge"], param="id")


@ROUTES.api(
    "GET", "/v1/charges", {"payment_intent": STR, "customer": STR, **PAGINATION}, sdk="ChargeListParams"
)
def list_charges(call: Call) -> dict[str, Any]:
    intent, customer = call.params.get("payment_intent"), call.params.get("customer")
    found = call.store.select(
        KIND,
        call.account,
        lambda c: (
            (intent is None or c["payment_intent"] == intent)
            and (customer is None or c["customer"] == customer)
        ),
    )
    return paginate(call, found, "/v1/charges")


@ROUTES.api("GET", "/v1/application_fees/{fee}", sdk="ApplicationFeeRetrieveParams")
def retrieve_fee(call: Call) -> dict[str, Any]:
    return call.store.get(call.args["fee"], "application_fee", call.account, param="id")


@ROUTES.api("GET", "/v1/application_fees", {"charge": STR, **PAGINATION}, sdk="ApplicationFeeListParams")
def list_fees(call: Call) -> dict[str, Any]:
    charge = call.params.get("charge")
    found = call.store.select(
        "application_fee", call.account, lambda f: charge is None or f["charge"] == charge
    )
    return paginate(call, found, "/v1/application_fees")
