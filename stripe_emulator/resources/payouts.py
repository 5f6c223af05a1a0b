"""Payouts from an account's balance to its bank account.

A payout is created ``pending`` (the response shows that), then settles at once: ``paid``, or
``failed`` with the money back on the balance when the bank account is a failing test account
(``000111111116`` / ``btok_us_verified_noAccount``, ``000111111113`` / ``..._accountClosed``).
"""

from __future__ import annotations

import copy
from typing import Any

from .. import money
from ..errors import StripeError, balance_insufficient, invalid
from ..params import CREATED, INT, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from ..state import PLATFORM
from . import accounts

ROUTES = Routes()
KIND = "payout"


def _destination(call: Call) -> tuple[str, tuple[str, str] | None]:
    """The bank account id the payout goes to, and the failure it will meet, if any."""
    if call.account == PLATFORM:
        return "ba_emulatorplatform", None  # the platform's own bank always accepts payouts
    account = accounts.get(call.store, call.account)
    if not account["payouts_enabled"]:
        raise StripeError(
            400,
            "Payouts are not enabled for this account: it has not completed onboarding.",
            code="payouts_not_allowed",
        )
    banks = account["external_accounts"]["data"]
    if not banks:
        raise invalid("This account has no external account to pay out to.", code="no_external_account")
    return banks[0]["id"], accounts.BANK_FAILURES.get(banks[0]["_number"])


@ROUTES.api(
    "POST",
    "/v1/payouts",
    {
        "amount": INT,
        "currency": STR,
        "description": STR,
        "metadata": METADATA,
        "method": STR,
        "statement_descriptor": STR,
    },
    sdk="PayoutCreateParams",
)
def create(call: Call) -> dict[str, Any]:
    store, params = call.store, call.params
    currency = money.check_currency(params.get("currency"))
    amount = money.check_positive(params.get("amount"))
    method = params.get("method") or "standard"
    if method not in ("standard", "instant"):
        raise invalid("Invalid method: must be one of standard, instant", param="method")
    destination, failure = _destination(call)
    if store.available(call.account, currency) < amount:
        raise balance_insufficient(
            "You have insufficient funds in your Stripe account for this transfer. "
            "Your card balance is too low. You can use the /v1/balance endpoint to view your Stripe "
            "balance (for more details, see "
            "stripe.com/docs/api#balance)."
        )
    payout_id = store.new_id("po_")
    now = store.now()
    payout: dict[str, Any] = {
        "id": payout_id,
        "object": KIND,
        "amount": amount,
        "arrival_date": now,
        "automatic": False,
        "balance_transaction": store.move(call.account, currency, -amount, type="payout", source=payout_id),
        "created": now,
        "currency": currency,
        "description": params.get("description"),
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata"), call.has("metadata")),
        "method": method,
        "source_type": "card",
        "statement_descriptor": params.get("statement_descriptor"),
        "status": "pending",
        "type": "bank_account",
    }
    store.insert(payout, call.account)
    store.emit("payout.created", payout, call.account)
    response = copy.deepcopy(payout)
    _settle(call, payout, failure)
    return response


def _settle(call: Call, payout: dict[str, Any], failure: tuple[str, str] | None) -> None:
    """The bank's answer, which the emulator does not make anyone wait for."""
    if failure is None:
        payout["status"] = "paid"
        call.store.emit("payout.paid", payout, call.account, {"status": "pending"})
        return
    payout.update(status="failed", failure_code=failure[0], failure_message=failure[1])
    payout["failure_balance_transaction"] = call.store.move(
        call.account, payout["currency"], payout["amount"], type="payout_failure", source=payout["id"]
    )
    call.store.emit("payout.failed", payout, call.account, {"status": "pending"})


@ROUTES.api("GET", "/v1/payouts/{payout}", sdk="PayoutRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return call.store.get(call.args["payout"], KIND, call.account, param="id")


@ROUTES.api("GET", "/v1/payouts", {"status": STR, **CREATED, **PAGINATION}, sdk="PayoutListParams")
def list_payouts(call: Call) -> dict[str, Any]:
    status = call.params.get("status")
    found = call.store.select(KIND, call.account, lambda p: status is None or p["status"] == status)
    return paginate(call, found, "/v1/payouts")
