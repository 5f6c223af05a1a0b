"""Transfers from the platform to connected accounts, and their reversals.

A transfer needs the platform's available balance (``balance_insufficient`` otherwise), unless
it names a ``source_transaction`` charge, whose funds it then draws on as in Stripe.
"""

from __future__ import annotations

from typing import Any

from .. import money
from ..errors import balance_insufficient as insufficient
from ..errors import invalid
from ..params import BOOL, CREATED, INT, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from ..state import PLATFORM
from . import accounts

ROUTES = Routes()
KIND = "transfer"
REVERSAL = "transfer_reversal"


def get(call: Call, transfer_id: str, param: str = "id") -> dict[str, Any]:
    return call.store.get(transfer_id, KIND, PLATFORM, param=param)


def create_transfer(
    call: Call,
    *,
    amount: int,
    currency: str,
    destination: str,
    source_transaction: str | None = None,
    transfer_group: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    check_balance: bool = True,
) -> dict[str, Any]:
    store = call.store
    accounts.check_can_receive_transfers(call, destination, param="destination")
    if source_transaction:
        _check_source(call, source_transaction, amount, currency)
    elif check_balance and store.available(PLATFORM, currency) < amount:
        raise insufficient(
            "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
            "available balance by creating Charges using the 4000000000000077 test card. "
            "See: https://stripe.com/docs/testing#available-balance"
        )
    transfer_id = store.new_id("tr_")
    payment_id = store.new_id("py_")
    transfer: dict[str, Any] = {
        "id": transfer_id,
        "object": KIND,
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": store.move(PLATFORM, currency, -amount, type="transfer", source=transfer_id),
        "created": store.now(),
        "currency": currency,
        "description": description,
        "destination": destination,
        "destination_payment": payment_id,
        "livemode": False,
        "metadata": metadata or {},
        "reversals": {"object": "list", "data": [], "has_more": False, "url": ""},
        "reversed": False,
        "source_transaction": source_transaction,
        "source_type": "card",
        "transfer_group": transfer_group,
    }
    transfer["reversals"]["url"] = f"/v1/transfers/{transfer_id}/reversals"
    store.move(destination, currency, amount, type="payment", source=payment_id)
    store.insert(transfer, PLATFORM)
    store.emit("transfer.created", transfer, PLATFORM)
    return transfer


def _check_source(call: Call, charge_id: str, amount: int, currency: str) -> None:
    charge = call.store.get(charge_id, "charge", PLATFORM, param="source_transaction")
    if charge["status"] != "succeeded" or not charge["captured"] or charge["currency"] != currency:
        raise invalid(
            "The source_transaction must be a captured charge in the transfer's currency.",
            param="source_transaction",
        )
    already = sum(
        t["amount"] - t["amount_reversed"]
        for t in call.store.select(KIND, PLATFORM, lambda t: t["source_transaction"] == charge_id)
    )
    if amount > charge["amount_captured"] - charge["amount_refunded"] - already:
        raise insufficient("The transfer amount exceeds the funds remaining on the source_transaction.")


@ROUTES.api(
    "POST",
    "/v1/transfers",
    {
        "amount": INT,
        "currency": STR,
        "destination": STR,
        "description": STR,
        "metadata": METADATA,
        "source_transaction": STR,
        "transfer_group": STR,
    },
    sdk="TransferCreateParams",
    platform_only=True,
)
def create(call: Call) -> dict[str, Any]:
    params = call.params
    currency = money.check_currency(params.get("currency"))
    return create_transfer(
        call,
        amount=money.check_positive(params.get("amount")),
        currency=currency,
        destination=call.require("destination"),
        source_transaction=params.get("source_transaction"),
        transfer_group=params.get("transfer_group"),
        description=params.get("description"),
        metadata=merge_metadata({}, params.get("metadata"), call.has("metadata")),
    )


@ROUTES.api("GET", "/v1/transfers/{transfer}", sdk="TransferRetrieveParams", platform_only=True)
def retrieve(call: Call) -> dict[str, Any]:
    return get(call, call.args["transfer"])


@ROUTES.api(
    "POST",
    "/v1/transfers/{transfer}",
    {"description": STR, "metadata": METADATA},
    sdk="TransferUpdateParams",
    platform_only=True,
)
def update(call: Call) -> dict[str, Any]:
    transfer = get(call, call.args["transfer"])
    previous = {}
    if call.has("description"):
        previous["description"] = transfer["description"]
        transfer["description"] = call.params["description"]
    if call.has("metadata"):
        previous["metadata"] = transfer["metadata"]
        transfer["metadata"] = merge_metadata(transfer["metadata"], call.params["metadata"], True)
    call.store.emit("transfer.updated", transfer, PLATFORM, previous)
    return transfer


@ROUTES.api(
    "GET",
    "/v1/transfers",
    {"destination": STR, "transfer_group": STR, **CREATED, **PAGINATION},
    sdk="TransferListParams",
    platform_only=True,
)
def list_transfers(call: Call) -> dict[str, Any]:
    destination, group = call.params.get("destination"), call.params.get("transfer_group")
    found = call.store.select(
        KIND,
        PLATFORM,
        lambda t: (
            (destination is None or t["destination"] == destination)
            and (group is None or t["transfer_group"] == group)
        ),
    )
    return paginate(call, found, "/v1/transfers")


# ---- reversals ----------------------------------------------------------------------------


def reverse(
    call: Call,
    transfer: dict[str, Any],
    amount: int | None,
    *,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Move ``amount`` (default: all that is left) back from the connected account to the platform."""
    store = call.store
    remaining = transfer["amount"] - transfer["amount_reversed"]
    if remaining == 0:
        raise invalid(
            f"Transfer {transfer['id']} has already been fully reversed.", code="transfer_already_reversed"
        )
    amount = remaining if amount is None else money.check_positive(amount)
    if amount > remaining:
        raise invalid(
            f"Reversal amount ({amount}) is greater than the amount left on the transfer ({remaining}).",
            param="amount",
            code="amount_too_large",
        )
    destination, currency = transfer["destination"], transfer["currency"]
    if store.available(destination, currency) < amount:
        raise insufficient("The connected account's available balance is too low to reverse this transfer.")
    reversal_id = store.new_id("trr_")
    refund_id = store.new_id("pyr_")
    store.move(destination, currency, -amount, type="payment_refund", source=refund_id)
    reversal: dict[str, Any] = {
        "id": reversal_id,
        "object": REVERSAL,
        "amount": amount,
        "balance_transaction": store.move(
            PLATFORM, currency, amount, type="transfer_refund", source=reversal_id
        ),
        "created": store.now(),
        "currency": currency,
        "destination_payment_refund": refund_id,
        "metadata": metadata or {},
        "source_refund": None,
        "transfer": transfer["id"],
        "_description": description,
    }
    store.insert(reversal, PLATFORM)
    previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    reversals = transfer["reversals"]
    reversals["data"].insert(0, reversal)
    store.emit("transfer.reversed", transfer, PLATFORM, previous)
    return reversal


@ROUTES.api(
    "POST",
    "/v1/transfers/{transfer}/reversals",
    {"amount": INT, "description": STR, "metadata": METADATA, "refund_application_fee": BOOL},
    sdk="TransferCreateReversalParams",
    platform_only=True,
)
def create_reversal(call: Call) -> dict[str, Any]:
    transfer = get(call, call.args["transfer"])
    return reverse(
        call,
        transfer,
        call.params.get("amount"),
        description=call.params.get("description"),
        metadata=merge_metadata({}, call.params.get("metadata"), call.has("metadata")),
    )


@ROUTES.api(
    "GET",
    "/v1/transfers/{transfer}/reversals",
    PAGINATION,
    sdk="TransferListReversalsParams",
    platform_only=True,
)
def list_reversals(call: Call) -> dict[str, Any]:
    transfer = get(call, call.args["transfer"])
    found = call.store.select(REVERSAL, PLATFORM, lambda r: r["transfer"] == transfer["id"])
    return paginate(call, found, f"/v1/transfers/{transfer['id']}/reversals")


@ROUTES.api(
    "GET",
    "/v1/transfers/{transfer}/reversals/{reversal}",
    sdk="TransferRetrieveReversalParams",
    platform_only=True,
)
def retrieve_reversal(call: Call) -> dict[str, Any]:
    get(call, call.args["transfer"])
    reversal = call.store.get(call.args["reversal"], REVERSAL, PLATFORM, label="transfer_reversal")
    if reversal["transfer"] != call.args["transfer"]:
        raise invalid(f"Reversal {reversal['id']} does not belong to transfer {call.args['transfer']}.")
    return reversal
