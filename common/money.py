"""Money: integer minor units plus an ISO 4217 currency, and the one place money is rounded.

Rules (DESIGN.md, "Money"):

- An amount is an ``int`` in the currency's minor unit (cents for USD and EUR; yen and won
  have no minor unit, so ¥500 is 500). Floats never enter money code: they cannot hold 0.10
  exactly, and a cent lost in a split is a ledger that does not balance.
- Rates are integer basis points (10% = 1000 bps, 100% = 10000 bps).
- Every split adds up exactly to what was split. All rounding happens in
  ``_largest_remainder`` (splits) and ``portion`` (a single figure); nothing else rounds.
- People see amounts through Babel in the active language; ``str(money)`` is for logs and admin.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import MappingProxyType
from typing import Final, TypeGuard, TypeVar

from babel.numbers import format_currency
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.errors import ApplicationError

K = TypeVar("K", bound=Hashable)

# Currency code -> number of digits after the decimal point (ISO 4217 exponent). Only these
# currencies are supported; adding one means adding its Stripe minimum below as well.
SUPPORTED_CURRENCIES: Final[Mapping[str, int]] = MappingProxyType({"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0})

# Stripe refuses charges below a per-currency minimum. Source: Stripe docs, "Supported
# currencies" > "Minimum and maximum charge amounts"
# (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts): USD $0.50, EUR €0.50,
# JPY ¥50. KRW is not in that table (it lists settlement currencies); Stripe requires a charge
# to be worth at least the settlement currency's minimum, so KRW uses ₩700 (about $0.50), the
# same figure as the Stripe emulator (stripe_emulator/money.py). A small JPY charge on a
# USD-settled account can still be refused by Stripe: this table is a first line of defence.
MINIMUM_CHARGE_MINOR: Final[Mapping[str, int]] = MappingProxyType(
    {"USD": 50, "EUR": 50, "JPY": 50, "KRW": 700}
)

BPS_DENOMINATOR: Final = 10_000

# The database stores amounts in a BigIntegerField: anything larger cannot be saved.
MAX_AMOUNT_MINOR: Final = 2**63 - 1

# Bare Django language codes (settings.LANGUAGES) -> the Babel locale used to format money.
BABEL_LOCALES: Final[Mapping[str, str]] = MappingProxyType(
    {"en": "en_US", "fr": "fr_FR", "ja": "ja_JP", "ko": "ko_KR"}
)
DEFAULT_BABEL_LOCALE: Final = "en_US"


# ---------------------------------------------------------------- currencies and rates


def currency_validate(code: object) -> str:
    """Return the upper-case ISO code, or refuse a currency the platform does not support."""
    normalized = code.strip().upper() if isinstance(code, str) else ""
    if normalized not in SUPPORTED_CURRENCIES:
        raise ApplicationError(
            _("Unsupported currency %(code)s: use one of %(supported)s.")
            % {"code": code, "supported": ", ".join(SUPPORTED_CURRENCIES)},
            code="unsupported_currency",
        )
    return normalized


def currency_exponent(code: str) -> int:
    """Digits after the decimal point: 2 for USD and EUR, 0 for JPY and KRW."""
    return SUPPORTED_CURRENCIES[currency_validate(code)]


def bps_validate(bps: object) -> int:
    """Return a rate in basis points, refusing anything but an int from 0 to 10000."""
    if isinstance(bps, bool) or not isinstance(bps, int) or not 0 <= bps <= BPS_DENOMINATOR:
        raise ApplicationError(
            # xgettext:no-python-format
            _("A rate is a whole number of basis points from 0 to 10000 (10% is 1000)."),
            code="invalid_rate",
        )
    return bps


def _is_int(value: object) -> TypeGuard[int]:
    # bool is a subclass of int, and True cents is always a bug.
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------- the value object


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``amount_minor`` in the currency's minor unit, ``currency`` an ISO code.

    Arithmetic and ordering only combine amounts of the same currency (``currency_mismatch``
    otherwise); ``==`` across currencies is simply False, so Money works in sets and dicts.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not _is_int(self.amount_minor):
            raise ApplicationError(
                _("Amounts are whole minor units: fractional or non-integer minor units are refused."),
                code="invalid_amount",
            )
        if abs(self.amount_minor) > MAX_AMOUNT_MINOR:
            raise ApplicationError(_("This amount is too large."), code="invalid_amount")
        # Normalise "usd" (as Stripe spells it) to "USD"; frozen, hence object.__setattr__.
        object.__setattr__(self, "currency", currency_validate(self.currency))

    # -------------------------------------------------- construction and conversion

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: str | Decimal, currency: str) -> Money:
        """Parse a major-unit amount ("10.50" USD -> 1050) exactly, as typed by a person or an API.

        Refuses floats and ints (``invalid_amount``: a float is already inexact, and a bare int
        is ambiguous between major and minor units), text that is not a finite number
        (``invalid_amount``), and more significant decimals than the currency has
        (``too_many_decimals``: "10.001" USD, "500.5" JPY). Trailing zeros are fine ("500.00" JPY).
        """
        exponent = currency_exponent(currency)
        number = _decimal_parse(value)
        sign, digits, digits_exponent = number.as_tuple()
        assert isinstance(digits_exponent, int)  # finite, checked by _decimal_parse
        if number.is_zero():
            return cls(0, currency)
        # Refuse absurd magnitudes before building the integer: "1e999999999" must not allocate
        # a billion-digit number. 10**19 major units and up are far beyond MAX_AMOUNT_MINOR anyway.
        if number.adjusted() > 18:
            raise ApplicationError(_("This amount is too large."), code="invalid_amount")
        shift = digits_exponent + exponent  # the power of ten of the last digit, in minor units
        if shift >= 0:
            minor = int("".join(map(str, digits))) * 10**shift
        else:
            if any(digits[shift:]):
                raise ApplicationError(
                    _("%(currency)s amounts have at most %(places)d decimal places.")
                    % {"currency": currency_validate(currency), "places": exponent},
                    code="too_many_decimals",
                )
            minor = int("".join(map(str, digits[:shift])) or "0")
        return cls(-minor if sign else minor, currency)

    def as_decimal(self) -> Decimal:
        """The amount in major units with exactly the currency's decimals (1050 USD -> 10.50)."""
        # Built from a string, not by division, so no decimal context can round it.
        return Decimal(f"{self.amount_minor}E-{SUPPORTED_CURRENCIES[self.currency]}")

    def __str__(self) -> str:
        """Unlocalised, for logs and admin: "USD 10.50", "JPY 500". Use format_money() for people."""
        return f"{self.currency} {self.as_decimal()}"

    # -------------------------------------------------- predicates

    def is_zero(self) -> bool:
        return self.amount_minor == 0

    def is_positive(self) -> bool:
        return self.amount_minor > 0

    def is_negative(self) -> bool:
        return self.amount_minor < 0

    # -------------------------------------------------- arithmetic

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ApplicationError(
                _("Cannot combine %(left)s and %(right)s amounts.")
                % {"left": self.currency, "right": other.currency},
                code="currency_mismatch",
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, factor: object) -> Money:
        # Only whole multiples (quantity x unit price). A rate goes through portion() or
        # allocate(), where the rounding is written down.
        if not _is_int(factor):
            return NotImplemented
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.amount_minor), self.currency)

    # -------------------------------------------------- ordering (same currency only)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount_minor >= other.amount_minor


def _decimal_parse(value: object) -> Decimal:
    """A finite Decimal from a str or Decimal; everything else is ``invalid_amount``."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = Decimal("NaN")
    else:
        raise ApplicationError(
            _('Give amounts as text or Decimal, such as "10.50"; floats are never accepted.'),
            code="invalid_amount",
        )
    if not number.is_finite():
        raise ApplicationError(_('This is not an amount, such as "10.50".'), code="invalid_amount")
    return number


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Add amounts of one currency; an empty iterable gives zero in that currency."""
    total = Money.zero(currency)
    for item in items:
        total += item
    return total


# ---------------------------------------------------------------- Stripe minimums


def charge_minimum(currency: str) -> Money:
    """The smallest amount Stripe will charge in this currency."""
    code = currency_validate(currency)
    return Money(MINIMUM_CHARGE_MINOR[code], code)


def charge_amount_validate(money: Money) -> Money:
    """Return ``money`` if Stripe would accept it as a charge, else ``amount_below_minimum``."""
    minimum = charge_minimum(money.currency)
    if money < minimum:
        raise ApplicationError(
            _("The smallest amount we can charge is %(minimum)s.") % {"minimum": format_money(minimum)},
            code="amount_below_minimum",
        )
    return money


# ---------------------------------------------------------------- rates, splits and refunds


def portion(amount: Money, bps: int) -> Money:
    """One rate applied to one amount: ``amount x bps / 10000``, rounded half up on the absolute value.

    Rounding rule: ROUND_HALF_UP of |amount| x bps / 10000 (an exact half cent goes up), then the
    sign of ``amount`` is put back, so the portion of a refund mirrors the portion of its charge.
    Round half to even is not used. This agrees with allocate() for two shares when the rated
    share comes first: ``portion(a, r) == allocate(a, {"x": r, "rest": 10000 - r})["x"]``.

    A portion and its complement can overshoot together (half a cent each way both round
    up), so never compute the other side as ``portion(a, 10000 - r)``: use ``a - portion(a, r)``
    or allocate().
    """
    bps_validate(bps)
    quotient, remainder = divmod(abs(amount.amount_minor) * bps, BPS_DENOMINATOR)
    if 2 * remainder >= BPS_DENOMINATOR:
        quotient += 1
    return Money(-quotient if amount.is_negative() else quotient, amount.currency)


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split a non-negative integer in proportion to ``weights`` (sum > 0), exactly.

    THE rounding rule for every split (largest remainder, or Hamilton, method):
    each share first gets floor(total x weight / sum of weights); the minor units left over
    (always fewer than the number of shares) then go one each to the shares with the largest
    fractional remainders, ties going to the share that comes first. So the shares add up to
    ``total`` exactly, each is within one minor unit of its exact value, and the same input
    always gives the same output.
    """
    weight_sum = sum(weights)
    floors_and_remainders = [divmod(total * weight, weight_sum) for weight in weights]
    shares = [floor for floor, _remainder in floors_and_remainders]
    leftover = total - sum(shares)
    # Sorting on (-remainder, position) puts ties in mapping order: deterministic.
    by_remainder = sorted(range(len(weights)), key=lambda i: (-floors_and_remainders[i][1], i))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return shares


def split_by_weights(amount: Money, weights: Mapping[K, int]) -> dict[K, Money]:
    """Split ``amount`` in proportion to non-negative integer weights (see _largest_remainder).

    Used for proportional refunds and bonus pools. A negative amount is split as its absolute
    value and negated, so a refund mirrors its charge. Refuses (``invalid_split``) an empty
    mapping, a weight that is not a non-negative int, and weights that are all zero.
    """
    values = list(weights.values())
    if not values or not all(_is_int(w) and w >= 0 for w in values) or sum(values) == 0:
        raise ApplicationError(
            _("A split needs at least one share, and whole non-negative weights that are not all zero."),
            code="invalid_split",
        )
    shares = _largest_remainder(abs(amount.amount_minor), values)
    sign = -1 if amount.is_negative() else 1
    return {key: Money(sign * share, amount.currency) for key, share in zip(weights, shares, strict=True)}


def allocate(amount: Money, shares_bps: Mapping[K, int]) -> dict[K, Money]:
    """Split ``amount`` into named shares given in basis points that add up to exactly 10000.

    Rounding rule (largest remainder): each share gets floor(|amount| x bps / 10000); the
    leftover minor units (fewer than the number of shares) go one each to the shares with the
    largest fractional remainders, ties broken by the order of the mapping. A negative amount
    is allocated as its absolute value and negated, so refunds mirror charges. The result
    always adds up exactly to ``amount``. Refuses rates outside 0..10000 (``invalid_rate``) and
    rates that do not add up to 10000 (``invalid_split``).
    """
    for bps in shares_bps.values():
        bps_validate(bps)
    if sum(shares_bps.values()) != BPS_DENOMINATOR:
        raise ApplicationError(
            _("The shares of a split must add up to 100% (10000 basis points)."), code="invalid_split"
        )
    return split_by_weights(amount, shares_bps)


def _refunded_so_far(original: Mapping[K, Money], refunded: Money) -> dict[K, Money]:
    """Each party's part of a cumulative refund: ``refunded`` split by the original shares."""
    if refunded.is_zero():  # also covers a zero total, whose weights are all zero
        return {key: Money.zero(refunded.currency) for key in original}
    return split_by_weights(refunded, {key: share.amount_minor for key, share in original.items()})


def _reversal_validate(
    original: Mapping[K, Money], refunded_before: Money, refund: Money, total: Money
) -> None:
    # sum_money and the comparisons below raise currency_mismatch for a foreign currency.
    shares = original.values()
    if sum_money(shares, total.currency) != total or any(share.is_negative() for share in shares):
        raise ApplicationError(
            _("The original shares must be non-negative and add up to the original total."),
            code="invalid_split",
        )
    if refunded_before.is_negative() or refund.is_negative():
        raise ApplicationError(_("Refund amounts cannot be negative."), code="invalid_refund")
    if refunded_before + refund > total:
        raise ApplicationError(
            _("This refund would return more than was charged (%(total)s).") % {"total": format_money(total)},
            code="refund_exceeds_total",
        )


def cumulative_reversal(
    original: Mapping[K, Money], refunded_before: Money, refund: Money, total: Money
) -> dict[K, Money]:
    """How much of ``refund`` each party gives back, when ``refunded_before`` was already refunded.

    ``original`` is how the charge of ``total`` was split (non-negative shares adding up to
    ``total``). The answer is A(refunded_before + refund) - A(refunded_before), where A(x) splits
    x by the original shares with the largest remainder rule. Computing it cumulatively, and
    not one refund at a time, is what guarantees that:

    - the parts add up exactly to ``refund``;
    - after any sequence of partial refunds each party has given back A(total refunded), which
      is within one minor unit of its exact proportion and never more than its original share;
    - refunding the whole charge, in any number of steps, gives back exactly each original share.

    Known limit: with three or more parties a single step can move one party by one minor unit
    against the refund (the largest remainder method's "Alabama paradox"); the cumulative
    figures above still hold. Results are positive amounts to reverse; negate them to post.
    """
    _reversal_validate(original, refunded_before, refund, total)
    before = _refunded_so_far(original, refunded_before)
    after = _refunded_so_far(original, refunded_before + refund)
    return {key: after[key] - before[key] for key in original}


def proportional_reversal(original: Mapping[K, Money], refund: Money, total: Money) -> dict[K, Money]:
    """Each party's part of a first refund of ``refund`` out of a charge of ``total``.

    For a second or later partial refund use cumulative_reversal(), which takes what was
    already refunded into account, so that the parts add up to the original shares in the end.
    """
    return cumulative_reversal(original, Money.zero(total.currency), refund, total)


# ---------------------------------------------------------------- formatting for people


def _babel_locale(language: str | None) -> str:
    """The Babel locale for a Django language code ("fr" -> "fr_FR"); a full tag passes through."""
    tag = (language or "").replace("-", "_")
    if "_" in tag:
        return tag  # "en_GB", "fr-ca": the caller chose a region, Babel parses it.
    return BABEL_LOCALES.get(tag.lower(), DEFAULT_BABEL_LOCALE)


def format_money(money: Money, locale: str | None = None) -> str:
    """Format for people through Babel: "$10.00" (en), "10,00 $US" (fr), "₩10,000" (ko).

    ``locale`` defaults to the active Django language. JPY and KRW never show decimals: the
    amount passed to Babel already has exactly the currency's digits, so nothing is rounded.
    """
    return _format_cached(money.amount_minor, money.currency, _babel_locale(locale or get_language()))


@lru_cache(maxsize=16_384)
def _format_cached(amount_minor: int, currency: str, babel_locale: str) -> str:
    # A pure function of its arguments, and Babel's formatting is slow (a catalogue page formats
    # the same few prices over and over), so results are memoised.
    return format_currency(Money(amount_minor, currency).as_decimal(), currency, locale=babel_locale)
