"""Connect: Express accounts, Account Links (hosted onboarding) and login links.

A new account has ``charges_enabled`` and ``payouts_enabled`` false; completing the hosted
onboarding page activates its capabilities, attaches the chosen test bank account and emits
``account.updated``. Payouts to a bank account whose number is a failing test number fail.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..errors import StripeError, invalid
from ..params import BOOL, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from ..state import PLATFORM, PLATFORM_ACCOUNT_ID, Store, public

ROUTES = Routes()
KIND = "account"
LINK_TTL_SECONDS = 300

# Stripe's test bank account numbers: https://docs.stripe.com/connect/testing#payouts
BANK_SUCCEEDS = "000123456789"
BANK_NO_ACCOUNT = "000111111116"
BANK_ACCOUNT_CLOSED = "000111111113"
BANK_FAILURES = {
    BANK_NO_ACCOUNT: (
        "no_account",
        "The bank account details on file are probably incorrect. "
        "No bank account could be located with those details.",
    ),
    BANK_ACCOUNT_CLOSED: ("account_closed", "The bank account has been closed."),
}
BANK_TOKENS = {
    "btok_us_verified": BANK_SUCCEEDS,
    "btok_us_verified_noAccount": BANK_NO_ACCOUNT,
    "btok_us_verified_accountClosed": BANK_ACCOUNT_CLOSED,
}
COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "JP": "jpy", "KR": "krw", "CA": "cad", "AU": "aud"}
EURO_COUNTRIES = frozenset({"AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT"})
INITIAL_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]

CAPABILITY = {"requested": BOOL}
ACCOUNT_FIELDS = {
    "email": STR,
    "metadata": METADATA,
    "business_type": STR,
    "business_profile": {
        "name": STR,
        "url": STR,
        "mcc": STR,
        "product_description": STR,
        "support_email": STR,
    },
    "capabilities": {"card_payments": CAPABILITY, "transfers": CAPABILITY},
    "default_currency": STR,
    "external_account": STR,
}


def get(store: Store, account_id: str, param: str = "account") -> dict[str, Any]:
    """A connected account (they all belong to the platform)."""
    return store.get(account_id, KIND, PLATFORM, param=param)


def check_can_receive_transfers(call: Call, account_id: str, param: str) -> dict[str, Any]:
    account = get(call.store, account_id, param=param)
    if account["capabilities"].get("transfers") != "active":
        raise StripeError(
            400,
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param=param,
        )
    return account


def _currency_for(country: str) -> str:
    return "eur" if country in EURO_COUNTRIES else COUNTRY_CURRENCY.get(country, "usd")


def bank_account(store: Store, account: dict[str, Any], number: str) -> dict[str, Any]:
    return {
        "id": store.new_id("ba_"),
        "object": "bank_account",
        "account": account["id"],
        "account_holder_name": None,
        "account_holder_type": "individual",
        "bank_name": "STRIPE TEST BANK",
        "country": account["country"],
        "currency": account["default_currency"],
        "default_for_currency": True,
        "fingerprint": store.new_id("", 16),
        "last4": number[-4:],
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
        "_number": number,
    }


def _attach_bank(store: Store, account: dict[str, Any], number: str) -> None:
    bank = bank_account(store, account, number)
    account["external_accounts"]["data"] = [bank]
    if "external_account" in account["requirements"]["currently_due"]:
        account["requirements"]["currently_due"].remove("external_account")


def _bank_from_token(token: str) -> str:
    if token not in BANK_TOKENS:
        raise invalid(
            f"No such token: '{token}'. The emulator knows {', '.join(BANK_TOKENS)}.",
            param="external_account",
            code="resource_missing",
        )
    return BANK_TOKENS[token]


# ---- accounts -----------------------------------------------------------------------------


@ROUTES.api(
    "POST",
    "/v1/accounts",
    {**ACCOUNT_FIELDS, "type": STR, "country": STR},
    sdk="AccountCreateParams",
    platform_only=True,
)
def create(call: Call) -> dict[str, Any]:
    store, params = call.store, call.params
    account_type = params.get("type") or "express"
    if account_type not in ("express", "standard", "custom"):
        raise invalid("Invalid type: must be one of express, standard, custom", param="type")
    country = (params.get("country") or "US").upper()
    requested = params.get("capabilities") or {
        "card_payments": {"requested": True},
        "transfers": {"requested": True},
    }
    account: dict[str, Any] = {
        "id": store.new_id("acct_", 16),
        "object": KIND,
        "business_profile": {
            "mcc": None,
            "name": None,
            "product_description": None,
            "support_email": None,
            "url": None,
        },
        "business_type": params.get("business_type"),
        "capabilities": {
            name: "inactive" for name, value in requested.items() if (value or {}).get("requested")
        },
        "charges_enabled": False,
        "controller": {
            "type": "application",
            "is_controller": True,
            "stripe_dashboard": {"type": account_type},
        },
        "country": country,
        "created": store.now(),
        "default_currency": (params.get("default_currency") or _currency_for(country)).lower(),
        "details_submitted": False,
        "email": params.get("email"),
        "external_accounts": {"object": "list", "data": [], "has_more": False, "url": ""},
        "metadata": merge_metadata({}, params.get("metadata"), call.has("metadata")),
        "payouts_enabled": False,
        "requirements": {
            "currently_due": list(INITIAL_REQUIREMENTS),
            "eventually_due": list(INITIAL_REQUIREMENTS),
            "past_due": list(INITIAL_REQUIREMENTS),
            "pending_verification": [],
            "disabled_reason": "requirements.past_due",
            "current_deadline": None,
            "errors": [],
        },
        # Payouts happen only when requested through the API: the emulator has no payout schedule.
        "settings": {"payouts": {"schedule": {"interval": "manual"}}},
        "tos_acceptance": {"date": None},
        "type": account_type,
    }
    account["external_accounts"]["url"] = f"/v1/accounts/{account['id']}/external_accounts"
    account["business_profile"].update(params.get("business_profile") or {})
    if params.get("external_account"):
        _attach_bank(store, account, _bank_from_token(params["external_account"]))
    store.insert(account, PLATFORM)
    return account


@ROUTES.api("GET", "/v1/accounts/{account}", sdk="AccountRetrieveParams", platform_only=True)
def retrieve(call: Call) -> dict[str, Any]:
    return get(call.store, call.args["account"], param="account")


@ROUTES.api("GET", "/v1/account", sdk="AccountRetrieveCurrentParams")
def retrieve_current(call: Call) -> dict[str, Any]:
    if call.account != PLATFORM:
        return get(call.store, call.account)
    return {
        "id": PLATFORM_ACCOUNT_ID,
        "object": KIND,
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "country": "US",
        "default_currency": "usd",
        "email": None,
        "type": "standard",
        "metadata": {},
    }


@ROUTES.api("POST", "/v1/accounts/{account}", ACCOUNT_FIELDS, sdk="AccountUpdateParams", platform_only=True)
def update(call: Call) -> dict[str, Any]:
    store, params = call.store, call.params
    account = get(store, call.args["account"])
    before = public(account)
    for name in ("email", "business_type", "default_currency"):
        if name in params:
            account[name] = params[name]
    account["business_profile"].update(params.get("business_profile") or {})
    for name, value in (params.get("capabilities") or {}).items():
        if (value or {}).get("requested") and name not in account["capabilities"]:
            account["capabilities"][name] = "active" if account["details_submitted"] else "inactive"
    account["metadata"] = merge_metadata(account["metadata"], params.get("metadata"), call.has("metadata"))
    if params.get("external_account"):
        _attach_bank(store, account, _bank_from_token(params["external_account"]))
    emit_updated(store, account, before)
    return account


def emit_updated(store: Store, account: dict[str, Any], before: dict[str, Any]) -> None:
    """``account.updated`` with the changed top-level fields, if anything changed."""
    after = public(account)
    previous = {key: value for key, value in before.items() if after.get(key) != value}
    if previous:
        store.emit("account.updated", account, account["id"], previous)


@ROUTES.api("DELETE", "/v1/accounts/{account}", sdk="AccountDeleteParams", platform_only=True)
def delete(call: Call) -> dict[str, Any]:
    account = get(call.store, call.args["account"])
    call.store.delete(account["id"])
    return {"id": account["id"], "object": KIND, "deleted": True}


@ROUTES.api("GET", "/v1/accounts", PAGINATION, sdk="AccountListParams", platform_only=True)
def list_accounts(call: Call) -> dict[str, Any]:
    return paginate(call, call.store.select(KIND, PLATFORM), "/v1/accounts")


def complete_onboarding(store: Store, account: dict[str, Any], bank_number: str) -> None:
    """What finishing the hosted onboarding form does to an account."""
    before = public(account)
    _attach_bank(store, account, bank_number)
    account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
    account["capabilities"] = {name: "active" for name in account["capabilities"]}
    account["requirements"].update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)
    account["tos_acceptance"] = {"date": store.now()}
    emit_updated(store, account, before)


# ---- account links and login links --------------------------------------------------------


@ROUTES.api(
    "POST",
    "/v1/account_links",
    {
        "account": STR,
        "refresh_url": STR,
        "return_url": STR,
        "type": STR,
        "collect": STR,
        "collection_options": {"fields": STR, "future_requirements": STR},
    },
    sdk="AccountLinkCreateParams",
    platform_only=True,
)
def create_link(call: Call) -> dict[str, Any]:
    account = get(call.store, call.require("account"))
    link_type = call.require("type")
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid("Invalid type: must be one of account_onboarding, account_update", param="type")
    refresh_url, return_url = call.require("refresh_url"), call.require("return_url")
    token = secrets.token_urlsafe(18)
    now = call.store.now()
    call.store.links[token] = {
        "account": account["id"],
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": link_type,
        "expires_at": now + LINK_TTL_SECONDS,
        "opened": False,
        "completed": False,
        "form_token": None,
    }
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + LINK_TTL_SECONDS,
        "url": f"{call.base_url}/pages/onboarding/{token}",
    }


@ROUTES.api(
    "POST", "/v1/accounts/{account}/login_links", sdk="AccountCreateLoginLinkParams", platform_only=True
)
def create_login_link(call: Call) -> dict[str, Any]:
    account = get(call.store, call.args["account"])
    if not account["details_submitted"]:
        raise invalid(
            "Cannot create a login link for an account that has not completed onboarding.", param="account"
        )
    return {
        "object": "login_link",
        "created": call.store.now(),
        "url": f"{call.base_url}/pages/dashboard/{account['id']}",
    }


def find_connected(store: Store, account_id: str) -> dict[str, Any]:
    """The account named by a ``Stripe-Account`` header, or Stripe's 403."""
    account = store.find(account_id)
    if account is None or account["object"] != KIND:
        raise StripeError(
            403,
            f"The provided key does not have access to account '{account_id}' "
            "(or that account does not exist). "
            "Application access may have been revoked.",
            code="account_invalid",
        )
    return account
