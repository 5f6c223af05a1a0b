"""Currencies: minor units, zero-decimal currencies and Stripe's minimum charge amounts."""

from __future__ import annotations

from .errors import StripeError, invalid

# Stripe's zero-decimal currencies: amounts are whole units (``500`` JPY is ¥500).
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)

# Minimum charge amounts in minor units, from Stripe's table at
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM_CHARGE = {
    "usd": 50,
    "aud": 50,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "sek": 300,
    "sgd": 50,
    # KRW is not in Stripe's table: Stripe requires the amount to be worth at least the
    # minimum of the settlement currency. The emulator settles in USD, and ₩700 is about $0.50.
    "krw": 700,
}

SUPPORTED = frozenset(MINIMUM_CHARGE)

# "The amount value supports up to eight digits" (Stripe docs), for every currency.
MAXIMUM_AMOUNT = 99_999_999

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "krw": "₩"}


def check_currency(currency: str | None, param: str = "currency") -> str:
    if not currency:
        raise StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
    currency = currency.lower()
    if currency not in SUPPORTED:
        raise invalid(f"Invalid currency: {currency}. The emulator supports: {', '.join(sorted(SUPPORTED))}.")
    return currency


def check_charge_amount(amount: int | None, currency: str, param: str = "amount") -> int:
    """Stripe's rules for a charge amount: present, positive, above the minimum, eight digits."""
    if amount is None:
        raise StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
    minimum = MINIMUM_CHARGE[currency]
    if amount < minimum:
        raise StripeError(
            400,
            f"Amount must be at least {format_amount(minimum, currency)} {currency}",
            code="amount_too_small",
            param=param,
        )
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(
            400,
            f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}",
            code="amount_too_large",
            param=param,
        )
    return amount


def check_positive(amount: int | None, param: str = "amount") -> int:
    """Transfers, payouts and refunds have no minimum, only a positive integer amount."""
    if amount is None:
        raise StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)
    if amount <= 0:
        raise invalid("This value must be greater than or equal to 1.", param=param)
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(400, "Amount is too large.", code="amount_too_large", param=param)
    return amount


def format_amount(amount: int, currency: str) -> str:
    """Human form for pages and messages: ``$10.50``, ``¥500``."""
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount:,}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{symbol}{whole:,}.{cents:02d}"
