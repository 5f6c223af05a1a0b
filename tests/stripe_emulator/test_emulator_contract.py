"""Contract: every parameter the emulator accepts exists, with a compatible type, in the
``stripe`` package's own parameter TypedDicts (``stripe.params.*``); every parameter those
TypedDicts require is accepted. A typo on either side fails here or with ``parameter_unknown``.
"""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import sys
import typing
from typing import Any, ForwardRef

import pytest
import stripe.params
import stripe.params.checkout
from stripe._request_options import RequestOptions
from typing_extensions import is_typeddict

from stripe_emulator.params import BOOL, INT, METADATA, STR, Spec
from stripe_emulator.resources import API_ROUTES
from stripe_emulator.routing import Route

# Keys every SDK params type inherits: they are request options (headers), not parameters.
REQUEST_OPTIONS = set(RequestOptions.__annotations__)
LEAF_TYPES = {STR: str, INT: int, BOOL: bool}


def sdk_params(name: str) -> type:
    found = getattr(stripe.params, name, None) or getattr(stripe.params.checkout, name, None)
    assert found is not None, f"stripe.params has no {name}"
    return found


def resolve(annotation: Any, module: dict[str, Any]) -> Any:
    """Evaluate string and ForwardRef annotations in the module that defined them."""
    if isinstance(annotation, ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        annotation = eval(annotation, module)  # noqa: S307 - annotations of the installed stripe package
    return annotation


def parts(annotation: Any, module: dict[str, Any]) -> list[Any]:
    """The alternatives of an annotation, unwrapping NotRequired, Union and ``X|Y``."""
    annotation = resolve(annotation, module)
    origin = typing.get_origin(annotation)
    if origin is None or typing.get_origin(annotation) is list or origin is dict:
        return [annotation]
    if (
        str(origin).endswith(("NotRequired", "Required"))
        or origin is typing.Union
        or str(origin) == "<class 'types.UnionType'>"
    ):
        return [p for arg in typing.get_args(annotation) for p in parts(arg, module)]
    return [annotation]


def fields(typed_dict: type) -> dict[str, Any]:
    return {k: v for k, v in typed_dict.__annotations__.items() if k not in REQUEST_OPTIONS}


def check(spec: dict[str, Spec], typed_dicts: list[type], where: str) -> list[str]:
    """Problems with ``spec`` against the union of ``typed_dicts``."""
    problems: list[str] = []
    known: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    for typed_dict in typed_dicts:
        module = sys.modules[typed_dict.__module__].__dict__
        for key, annotation in fields(typed_dict).items():
            known.setdefault(key, []).append((annotation, module))
    for key, sub in spec.items():
        if key not in known:
            problems.append(f"{where}{key}: not a parameter of {[t.__name__ for t in typed_dicts]}")
            continue
        alternatives = [(p, module) for annotation, module in known[key] for p in parts(annotation, module)]
        problems += check_value(sub, alternatives, f"{where}{key}")
    return problems


def check_value(sub: Spec, alternatives: list[tuple[Any, dict[str, Any]]], where: str) -> list[str]:
    if isinstance(sub, dict):
        nested = [p for p, _ in alternatives if is_typeddict(p)]
        return check(sub, nested, where + ".") if nested else [f"{where}: the SDK has no object here"]
    if isinstance(sub, list):
        items = [
            (item, module)
            for p, module in alternatives
            if typing.get_origin(p) is list
            for item in parts(typing.get_args(p)[0], module)
        ]
        return check_value(sub[0], items, where + "[]") if items else [f"{where}: the SDK has no list here"]
    if sub == METADATA:
        ok = any(typing.get_origin(p) is dict for p, _ in alternatives)
        return [] if ok else [f"{where}: the SDK has no hash here"]
    wanted = LEAF_TYPES[sub]
    for p, _ in alternatives:
        if p is wanted or (
            typing.get_origin(p) is typing.Literal and all(type(a) is wanted for a in typing.get_args(p))
        ):
            return []
    return [f"{where}: the emulator takes a {sub}, the SDK says {[p for p, _ in alternatives]}"]


def required_missing(spec: dict[str, Spec], typed_dict: Any) -> set[str]:
    return {key for key in typed_dict.__required_keys__ if key not in REQUEST_OPTIONS} - set(spec)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_params_match_the_sdk_types(route: Route):
    assert route.sdk_params, "every route names the stripe.params type it implements"
    typed_dict = sdk_params(route.sdk_params)
    assert check(route.params, [typed_dict], "") == []
    assert required_missing(route.params, typed_dict) == set()


def test_the_checker_catches_a_typo():
    typed_dict = sdk_params("PaymentIntentCreateParams")
    assert check({"amount": INT, "metdata": METADATA}, [typed_dict], "") == [
        "metdata: not a parameter of ['PaymentIntentCreateParams']"
    ]
    assert check({"transfer_data": {"destinaton": STR}}, [typed_dict], "")[0].startswith(
        "transfer_data.destinaton"
    )
    assert check({"amount": STR}, [typed_dict], "")[0].startswith("amount: the emulator takes a string")


# ---- responses ----------------------------------------------------------------------------

RESOURCE_CLASSES = {
    "account": stripe.Account,
    "account_link": stripe.AccountLink,
    "application_fee": stripe.ApplicationFee,
    "balance": stripe.Balance,
    "balance_transaction": stripe.BalanceTransaction,
    "bank_account": stripe.BankAccount,
    "charge": stripe.Charge,
    "checkout.session": stripe.checkout.Session,
    "customer": stripe.Customer,
    "event": stripe.Event,
    "item": stripe.LineItem,
    "login_link": stripe.LoginLink,
    "payment_intent": stripe.PaymentIntent,
    "payment_method": stripe.PaymentMethod,
    "payout": stripe.Payout,
    "price": stripe.Price,
    "refund": stripe.Refund,
    "transfer": stripe.Transfer,
    "transfer_reversal": stripe.TransferReversal,
    "webhook_endpoint": stripe.WebhookEndpoint,
}


def declared_fields(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in getattr(klass, "__annotations__", {})}


def unknown_fields(obj: Any, path: str = "") -> list[str]:
    """Fields of ``obj`` (a response, recursively) that its SDK class does not declare."""
    if isinstance(obj, list):
        return [p for item in obj for p in unknown_fields(item, path + "[]")]
    if not isinstance(obj, dict):
        return []
    problems: list[str] = []
    kind = obj.get("object")
    if kind in RESOURCE_CLASSES:
        declared = declared_fields(RESOURCE_CLASSES[kind])
        problems += [f"{path or kind}.{key}" for key in obj if key not in declared and key != "object"]
    for key, value in obj.items():
        if key not in ("metadata", "data", "previous_attributes") or isinstance(value, list):
            problems += unknown_fields(value, f"{path or kind}.{key}")
    return problems


def test_response_fields_exist_on_the_sdk_resource_classes(emulator, control, onboard, pay):
    account = onboard()
    intent = pay(amount=5000, expand=["latest_charge"])
    transfer = stripe.Transfer.create(amount=3000, currency="usd", destination=account.id)
    stripe.Transfer.create_reversal(transfer.id, amount=500)
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[
            {
                "price_data": {"currency": "usd", "unit_amount": 900, "product_data": {"name": "A"}},
                "quantity": 1,
            }
        ],
        success_url="http://app.test/ok",
        expand=["line_items"],
    )
    destination = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        application_fee_amount=100,
        transfer_data={"destination": account.id},
    )
    responses = [
        account,
        intent,
        stripe.Transfer.retrieve(transfer.id),
        session,
        stripe.Charge.retrieve(destination.latest_charge, expand=["application_fee"]),
        stripe.Refund.create(payment_intent=intent.id, amount=100),
        stripe.Payout.create(amount=1000, currency="usd", stripe_account=account.id),
        stripe.Balance.retrieve(),
        stripe.BalanceTransaction.list(),
        stripe.Customer.create(email="a@example.com"),
        stripe.PaymentMethod.retrieve(intent.payment_method),
        stripe.Event.list(),
        stripe.AccountLink.create(
            account=account.id, refresh_url="http://r", return_url="http://r", type="account_onboarding"
        ),
        stripe.Account.create_login_link(account.id),
        stripe.WebhookEndpoint.create(
            url="http://127.0.0.1:9/hook", enabled_events=["charge.dispute.created"]
        ),
    ]
    problems = [p for response in responses for p in unknown_fields(response.to_dict())]
    assert problems == []
