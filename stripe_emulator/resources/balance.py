"""Balance and balance transactions of the platform or, with ``Stripe-Account``, a connected account."""

from __future__ import annotations

from typing import Any

from ..params import PAGINATION, STR
from ..routing import Call, Routes, paginate
from ..state import PLATFORM

ROUTES = Routes()


@ROUTES.api("GET", "/v1/balance", sdk="BalanceRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    amounts = dict(call.store.balances.get(call.account, {}))
    if not amounts:
        default = "usd"
        if call.account != PLATFORM:
            default = call.store.objects[call.account]["default_currency"]
        amounts = {default: 0}
    return {
        "object": "balance",
        "available": [
            {"amount": amount, "currency": currency, "source_types": {"card": amount}}
            for currency, amount in sorted(amounts.items())
        ],
        "pending": [
            {"amount": 0, "currency": currency, "source_types": {"card": 0}} for currency in sorted(amounts)
        ],
        "livemode": False,
    }


@ROUTES.api(
    "GET",
    "/v1/balance_transactions",
    {"type": STR, "source": STR, "currency": STR, **PAGINATION},
    sdk="BalanceTransactionListParams",
)
def list_transactions(call: Call) -> dict[str, Any]:
    wanted = {name: call.params[name] for name in ("type", "source", "currency") if call.params.get(name)}
    found = call.store.select(
        "balance_transaction", call.account, lambda t: all(t[name] == value for name, value in wanted.items())
    )
    return paginate(call, found, "/v1/balance_transactions")


@ROUTES.api("GET", "/v1/balance_transactions/{transaction}", sdk="BalanceTransactionRetrieveParams")
def retrieve_transaction(call: Call) -> dict[str, Any]:
    return call.store.get(call.args["transaction"], "balance_transaction", call.account, param="id")
