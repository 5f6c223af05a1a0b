"""Money: exact amounts, Stripe minimums, splits that add up, refunds that give back, formatting."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import ApplicationError
from common.money import (
    MINIMUM_CHARGE_MINOR,
    SUPPORTED_CURRENCIES,
    Money,
    allocate,
    bps_validate,
    charge_amount_validate,
    charge_minimum,
    cumulative_reversal,
    currency_exponent,
    currency_validate,
    format_money,
    portion,
    proportional_reversal,
    split_by_weights,
    sum_money,
)

NNBSP = "\u202f"  # narrow no-break space: CLDR's French group separator
NBSP = "\xa0"  # no-break space: between a French amount and its currency


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def raises_code(code: str):
    """pytest.raises for ApplicationError with a given stable code."""
    return pytest.raises(ApplicationError, match=f"^{code}: ")


# ---------------------------------------------------------------- currencies and rates


def test_supported_currencies_and_their_exponents():
    assert SUPPORTED_CURRENCIES == {"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0}
    assert [currency_exponent(c) for c in ("USD", "eur", "JPY", "krw")] == [2, 2, 0, 0]


def test_currency_validate_normalises_case_and_whitespace():
    assert currency_validate(" usd ") == "USD"
    assert Money(100, "jpy").currency == "JPY"


@pytest.mark.parametrize("code", ["GBP", "XYZ", "", "US", None, 840])
def test_unknown_currencies_are_refused(code):
    with raises_code("unsupported_currency"):
        currency_validate(code)
    with raises_code("unsupported_currency"):
        Money(100, code)


def test_unsupported_currency_message_names_the_supported_ones():
    with pytest.raises(ApplicationError) as exc:
        currency_exponent("GBP")
    assert exc.value.code == "unsupported_currency"
    assert exc.value.status_code == 400
    assert "USD, EUR, JPY, KRW" in exc.value.message


@pytest.mark.parametrize("bps", [0, 1, 1000, 10000])
def test_valid_rates(bps):
    assert bps_validate(bps) == bps


@pytest.mark.parametrize("bps", [-1, 10001, 10.0, Decimal(10), "1000", True, None])
def test_invalid_rates_are_refused(bps):
    with raises_code("invalid_rate"):
        bps_validate(bps)


# ---------------------------------------------------------------- the value object


@pytest.mark.parametrize("amount", [1.0, 0.5, Decimal("1"), "100", True, False, None])
def test_money_refuses_non_integer_minor_units(amount):
    with raises_code("invalid_amount"):
        Money(amount, "USD")


def test_money_refuses_amounts_a_bigintegerfield_cannot_hold():
    assert Money(2**63 - 1, "USD").amount_minor == 2**63 - 1
    with raises_code("invalid_amount"):
        Money(2**63, "USD")


def test_money_is_immutable_and_hashable():
    money = usd(100)
    with pytest.raises(AttributeError):
        money.amount_minor = 5  # type: ignore[misc]
    assert {usd(100), usd(100), Money(100, "EUR")} == {usd(100), Money(100, "EUR")}


def test_arithmetic_in_one_currency():
    assert usd(150) + usd(50) == usd(200)
    assert usd(150) - usd(200) == usd(-50)
    assert -usd(150) == usd(-150)
    assert abs(usd(-150)) == usd(150)
    assert usd(150) * 3 == 3 * usd(150) == usd(450)
    assert usd(150) * -1 == usd(-150)


@pytest.mark.parametrize("factor", [1.5, Decimal("2"), True, "2", usd(2)])
def test_multiplication_is_by_whole_numbers_only(factor):
    with pytest.raises(TypeError):
        usd(100) * factor
    with pytest.raises(TypeError):
        factor * usd(100)


def test_adding_a_plain_number_is_a_type_error():
    with pytest.raises(TypeError):
        usd(100) + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        sum([usd(1), usd(2)])  # type: ignore[arg-type]


def test_comparisons_in_one_currency():
    assert usd(1) < usd(2) <= usd(2) < usd(3)
    assert usd(3) > usd(2) >= usd(2)
    assert max(usd(5), usd(7), usd(-1)) == usd(7)


def test_predicates_and_zero():
    assert Money.zero("KRW") == Money(0, "KRW")
    assert Money.zero("KRW").is_zero() and not Money.zero("KRW").is_positive()
    assert usd(1).is_positive() and not usd(1).is_negative()
    assert usd(-1).is_negative() and not usd(-1).is_zero()


def test_mixing_currencies_is_refused():
    eur = Money(100, "EUR")
    for operation in (
        lambda: usd(100) + eur,
        lambda: usd(100) - eur,
        lambda: usd(100) < eur,
        lambda: usd(100) <= eur,
        lambda: usd(100) > eur,
        lambda: usd(100) >= eur,
        lambda: sum_money([usd(1), eur], "USD"),
    ):
        with raises_code("currency_mismatch"):
            operation()


def test_equality_across_currencies_is_false_not_an_error():
    assert usd(100) != Money(100, "EUR")


def test_sum_money():
    assert sum_money([], "JPY") == Money(0, "JPY")
    assert sum_money(iter([usd(1), usd(2), usd(-4)]), "USD") == usd(-1)


def test_str_is_unlocalised_for_logs():
    assert str(usd(1000)) == "USD 10.00"
    assert str(usd(-5)) == "USD -0.05"
    assert str(Money(0, "EUR")) == "EUR 0.00"
    assert str(Money(500, "JPY")) == "JPY 500"
    assert str(Money(10000, "KRW")) == "KRW 10000"


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("10.50", "USD", 1050),
        ("10.5", "USD", 1050),
        ("10", "USD", 1000),
        (" 0.01 ", "EUR", 1),
        ("-0.05", "EUR", -5),
        ("+3.00", "USD", 300),
        ("500", "JPY", 500),
        ("500.00", "JPY", 500),  # trailing zeros carry no fraction of a yen
        ("10.000", "USD", 1000),
        ("1E+3", "USD", 100000),
        ("0.000", "USD", 0),
        (Decimal("19.99"), "USD", 1999),
        (Decimal("10000"), "KRW", 10000),
        ("92233720368547758.07", "USD", 2**63 - 1),
        ("0.10", "USD", 10),  # the float classic: 0.1 is exact here
    ],
)
def test_from_decimal_is_exact(value, currency, minor):
    assert Money.from_decimal(value, currency) == Money(minor, currency)


def test_from_decimal_and_as_decimal_round_trip():
    for money in (usd(1050), usd(-1), Money(0, "EUR"), Money(500, "JPY"), Money(-10000, "KRW")):
        assert Money.from_decimal(money.as_decimal(), money.currency) == money
    assert usd(1050).as_decimal() == Decimal("10.50")
    assert str(usd(1000).as_decimal()) == "10.00"
    assert str(Money(500, "JPY").as_decimal()) == "500"


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        ("10.001", "USD"),
        ("0.005", "EUR"),
        ("500.5", "JPY"),
        ("1.1", "KRW"),
        ("0.1000000000000000000000000000001", "USD"),
    ],
)
def test_from_decimal_refuses_more_decimals_than_the_currency_has(value, currency):
    with raises_code("too_many_decimals"):
        Money.from_decimal(value, currency)


@pytest.mark.parametrize(
    "value",
    [
        10.5,
        0.1,
        10,
        True,
        None,
        "",
        "abc",
        "1,000.00",
        "NaN",
        "Infinity",
        "-inf",
        Decimal("NaN"),
        "1e999999999",
    ],
)
def test_from_decimal_refuses_floats_ints_and_non_numbers(value):
    with raises_code("invalid_amount"):
        Money.from_decimal(value, "USD")


def test_from_decimal_refuses_unknown_currencies():
    with raises_code("unsupported_currency"):
        Money.from_decimal("10", "GBP")


# ---------------------------------------------------------------- Stripe minimums


def test_stripe_minimum_charges():
    assert MINIMUM_CHARGE_MINOR == {"USD": 50, "EUR": 50, "JPY": 50, "KRW": 700}
    assert charge_minimum("usd") == usd(50)
    assert charge_minimum("JPY") == Money(50, "JPY")
    assert charge_minimum("KRW") == Money(700, "KRW")


@pytest.mark.parametrize(("currency", "minimum"), [("USD", 50), ("EUR", 50), ("JPY", 50), ("KRW", 700)])
def test_charge_amount_validate(currency, minimum):
    assert charge_amount_validate(Money(minimum, currency)) == Money(minimum, currency)
    with raises_code("amount_below_minimum"):
        charge_amount_validate(Money(minimum - 1, currency))
    with raises_code("amount_below_minimum"):
        charge_amount_validate(Money(-minimum, currency))


def test_below_minimum_message_shows_the_minimum():
    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        charge_amount_validate(usd(49))
    assert "$0.50" in exc.value.message


# ---------------------------------------------------------------- portion


@pytest.mark.parametrize(
    ("minor", "bps", "expected"),
    [
        (1000, 1000, 100),  # 10% of $10.00
        (105, 1000, 11),  # 10.5 cents: an exact half goes up
        (104, 1000, 10),
        (106, 1000, 11),
        (-105, 1000, -11),  # a refund mirrors its charge
        (1, 5000, 1),
        (1, 4999, 0),
        (999, 0, 0),
        (999, 10000, 999),
    ],
)
def test_portion_rounds_half_up_on_the_absolute_value(minor, bps, expected):
    assert portion(usd(minor), bps) == usd(expected)


def test_portion_refuses_bad_rates():
    with raises_code("invalid_rate"):
        portion(usd(100), 10001)


# ---------------------------------------------------------------- allocate and split_by_weights


def test_allocate_gives_leftover_units_to_the_largest_remainders():
    # $1.00 in thirds: 33.33 each, the one leftover cent goes to the first (ties: mapping order).
    assert allocate(usd(100), {"a": 3334, "b": 3333, "c": 3333}) == {"a": usd(34), "b": usd(33), "c": usd(33)}
    # 10 cents at 15%/85%: 1.5 and 8.5: tie on the remainder, the first share wins.
    assert allocate(usd(10), {"platform": 1500, "creator": 8500}) == {"platform": usd(2), "creator": usd(8)}
    assert allocate(usd(10), {"creator": 8500, "platform": 1500}) == {"creator": usd(9), "platform": usd(1)}
    # 7 yen at 10/20/70%: 0.7, 1.4, 4.9 -> floors 0, 1, 4; two leftovers go to .9 and .7.
    assert allocate(Money(7, "JPY"), {"a": 1000, "b": 2000, "c": 7000}) == {
        "a": Money(1, "JPY"),
        "b": Money(1, "JPY"),
        "c": Money(5, "JPY"),
    }


def test_allocate_mirrors_negative_amounts_and_keeps_the_currency():
    split = {"a": 3334, "b": 3333, "c": 3333}
    charge = allocate(Money(100, "KRW"), split)
    refund = allocate(Money(-100, "KRW"), split)
    assert refund == {key: -share for key, share in charge.items()}
    assert allocate(Money(0, "EUR"), split) == dict.fromkeys(split, Money(0, "EUR"))


def test_allocate_is_deterministic_and_keeps_the_mapping_order():
    split = {"z": 2500, "a": 2500, "m": 5000}
    first = allocate(usd(999), split)
    assert first == allocate(usd(999), split)
    assert list(first) == ["z", "a", "m"]


@pytest.mark.parametrize("shares", [{}, {"a": 5000}, {"a": 5000, "b": 5001}, {"a": 0, "b": 0}])
def test_allocate_refuses_splits_that_do_not_add_up_to_100_percent(shares):
    with raises_code("invalid_split"):
        allocate(usd(100), shares)


@pytest.mark.parametrize("shares", [{"a": -1, "b": 10001}, {"a": 5000.0, "b": 5000}, {"a": True, "b": 9999}])
def test_allocate_refuses_bad_rates(shares):
    with raises_code("invalid_rate"):
        allocate(usd(100), shares)


def test_portion_agrees_with_a_two_share_allocation():
    for minor in range(-300, 301):
        for bps in (1, 333, 1000, 1500, 5000, 9999):
            assert portion(usd(minor), bps) == allocate(usd(minor), {"x": bps, "rest": 10000 - bps})["x"]


def test_split_by_weights():
    # A bonus pool of ¥1000 by engagement 1:1:1.
    pool = split_by_weights(Money(1000, "JPY"), {"ann": 7, "bo": 7, "cy": 7})
    assert pool == {"ann": Money(334, "JPY"), "bo": Money(333, "JPY"), "cy": Money(333, "JPY")}
    assert split_by_weights(usd(5), {"a": 0, "b": 3}) == {"a": usd(0), "b": usd(5)}


@pytest.mark.parametrize("weights", [{}, {"a": 0, "b": 0}, {"a": -1, "b": 2}, {"a": 1.5}, {"a": True}])
def test_split_by_weights_refuses_bad_weights(weights):
    with raises_code("invalid_split"):
        split_by_weights(usd(100), weights)


# ---------------------------------------------------------------- refunds


def test_proportional_reversal_of_a_partial_refund():
    # $10.00 charge: creator $8.50, platform $1.50. Refund $3.33 -> 283.05 and 49.95 cents.
    original = {"creator": usd(850), "platform": usd(150)}
    assert proportional_reversal(original, usd(333), usd(1000)) == {"creator": usd(283), "platform": usd(50)}


def test_partial_refunds_in_steps_give_back_exactly_the_original_shares():
    original = {"creator": usd(850), "platform": usd(150)}
    total = usd(1000)
    refunded = usd(0)
    given_back = {"creator": usd(0), "platform": usd(0)}
    for step in (usd(1), usd(333), usd(333), usd(333)):
        parts = cumulative_reversal(original, refunded, step, total)
        assert sum_money(parts.values(), "USD") == step
        given_back = {key: given_back[key] + parts[key] for key in original}
        refunded += step
    assert given_back == original


def test_a_refund_step_moves_a_party_by_at_most_one_unit_against_the_refund():
    # The largest remainder method's Alabama paradox, pinned so nobody is surprised by it:
    # after 10 cents, c has given back 2; after 11 it has given back 1.
    original = {"a": usd(600), "b": usd(600), "c": usd(200)}
    assert cumulative_reversal(original, usd(0), usd(10), usd(1400)) == {
        "a": usd(4),
        "b": usd(4),
        "c": usd(2),
    }
    assert cumulative_reversal(original, usd(10), usd(1), usd(1400)) == {
        "a": usd(1),
        "b": usd(1),
        "c": usd(-1),
    }


def test_refund_of_a_zero_charge():
    original = {"a": usd(0), "b": usd(0)}
    assert proportional_reversal(original, usd(0), usd(0)) == {"a": usd(0), "b": usd(0)}


def test_refund_errors():
    original = {"creator": usd(850), "platform": usd(150)}
    with raises_code("refund_exceeds_total"):
        proportional_reversal(original, usd(1001), usd(1000))
    with raises_code("refund_exceeds_total"):
        cumulative_reversal(original, usd(900), usd(101), usd(1000))
    with raises_code("invalid_refund"):
        proportional_reversal(original, usd(-1), usd(1000))
    with raises_code("invalid_refund"):
        cumulative_reversal(original, usd(-1), usd(1), usd(1000))
    with raises_code("invalid_split"):
        proportional_reversal(original, usd(1), usd(999))  # shares do not add up to the total
    with raises_code("invalid_split"):
        proportional_reversal({"a": usd(1100), "b": usd(-100)}, usd(1), usd(1000))
    with raises_code("currency_mismatch"):
        proportional_reversal(original, Money(1, "EUR"), usd(1000))
    with raises_code("currency_mismatch"):
        proportional_reversal({"a": Money(1000, "EUR")}, usd(1), usd(1000))


# ---------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("language", "money", "expected"),
    [
        ("en", usd(1000), "$10.00"),
        ("en", Money(100000, "EUR"), "€1,000.00"),
        ("en", Money(1000, "JPY"), "¥1,000"),
        ("en", Money(10000, "KRW"), "₩10,000"),
        ("en", usd(-1050), "-$10.50"),
        ("fr", usd(1000), f"10,00{NBSP}$US"),
        ("fr", Money(100000, "EUR"), f"1{NNBSP}000,00{NBSP}€"),
        ("fr", Money(1000, "JPY"), f"1{NNBSP}000{NBSP}JPY"),
        ("fr", Money(10000, "KRW"), f"10{NNBSP}000{NBSP}₩"),
        ("ja", usd(1000), "$10.00"),
        ("ja", Money(100000, "EUR"), "€1,000.00"),
        ("ja", Money(1000, "JPY"), "￥1,000"),
        ("ja", Money(10000, "KRW"), "₩10,000"),
        ("ko", usd(1000), "US$10.00"),
        ("ko", Money(100000, "EUR"), "€1,000.00"),
        ("ko", Money(1000, "JPY"), "JP¥1,000"),
        ("ko", Money(10000, "KRW"), "₩10,000"),
    ],
)
def test_format_money_in_every_language(language, money, expected):
    assert format_money(money, language) == expected
    with translation.override(language):
        assert format_money(money) == expected  # the active language is the default


@pytest.mark.parametrize("language", ["en", "fr", "ja", "ko"])
@pytest.mark.parametrize("currency", ["JPY", "KRW"])
def test_zero_decimal_currencies_never_show_decimals(language, currency):
    text = format_money(Money(1234567, currency), language)
    digits = "".join(ch for ch in text if ch.isdigit())
    assert digits == "1234567"  # no trailing "00": nothing after the units


def test_format_money_accepts_a_full_locale_and_falls_back_to_english():
    assert format_money(usd(1000), "en-GB") == "US$10.00"
    assert format_money(usd(1000), "fr_CA") == f"10,00{NBSP}${NBSP}US"
    assert format_money(usd(1000), "de") == "$10.00"  # not a platform language


# ---------------------------------------------------------------- properties

CURRENCIES = st.sampled_from(["USD", "JPY", "KRW"])
AMOUNTS = st.integers(min_value=-(10**12), max_value=10**12)
FAST = settings(max_examples=200, deadline=None)


@st.composite
def bps_splits(draw) -> dict[str, int]:
    """2 to 5 named shares in basis points adding up to exactly 10000 (zeros allowed)."""
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=1, max_size=4)))
    bounds = [0, *cuts, 10000]
    return {f"p{i}": bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)}


@st.composite
def weight_maps(draw) -> dict[str, int]:
    weights = draw(st.lists(st.integers(0, 10**6), min_size=2, max_size=5).filter(lambda ws: sum(ws) > 0))
    return {f"p{i}": w for i, w in enumerate(weights)}


def assert_exact_split(amount: Money, shares: dict[str, Money], weights: dict[str, int]) -> None:
    assert list(shares) == list(weights)
    assert all(share.currency == amount.currency for share in shares.values())
    assert sum_money(shares.values(), amount.currency) == amount
    weight_sum = sum(weights.values())
    for key, share in shares.items():
        # |share - amount x w / W| < 1, in integers.
        assert abs(share.amount_minor * weight_sum - amount.amount_minor * weights[key]) < weight_sum


@FAST
@given(currency=CURRENCIES, minor=AMOUNTS, split=bps_splits())
def test_allocate_always_adds_up_and_stays_within_one_unit(currency, minor, split):
    amount = Money(minor, currency)
    shares = allocate(amount, split)
    assert_exact_split(amount, shares, split)
    assert allocate(-amount, split) == {key: -share for key, share in shares.items()}


@FAST
@given(currency=CURRENCIES, minor=AMOUNTS, weights=weight_maps())
def test_split_by_weights_always_adds_up_and_stays_within_one_unit(currency, minor, weights):
    amount = Money(minor, currency)
    assert_exact_split(amount, split_by_weights(amount, weights), weights)


@FAST
@given(currency=CURRENCIES, minor=AMOUNTS, bps=st.integers(0, 10000))
def test_portion_is_the_half_up_rounding_of_the_exact_value(currency, minor, bps):
    result = portion(Money(minor, currency), bps).amount_minor
    exact_twice = 2 * abs(minor) * bps  # twice the exact value, times 10000
    assert abs(result) * 20000 - exact_twice in range(-9999, 10001)  # within (-0.5, +0.5]: halves go up
    assert (result < 0) == (minor < 0 and result != 0)


@st.composite
def refund_plans(draw, *, full: bool):
    """An original split charge and a sequence of partial refunds, each at most what remains."""
    currency = draw(CURRENCIES)
    total = Money(draw(st.integers(0, 10**12)), currency)
    original = allocate(total, draw(bps_splits()))
    steps: list[Money] = []
    remaining = total.amount_minor
    for _ in range(draw(st.integers(1, 8))):
        # Small refunds as often as large ones: the rounding is most visible there.
        step = draw(st.one_of(st.integers(0, min(remaining, 3)), st.integers(0, remaining)))
        steps.append(Money(step, currency))
        remaining -= step
    if full:
        steps.append(Money(remaining, currency))
    return total, original, steps


def refund_in_steps(total: Money, original: dict[str, Money], steps: list[Money]) -> dict[str, Money]:
    """Run the refunds and check every step; return what each party gave back in all."""
    refunded = Money.zero(total.currency)
    given_back = {key: Money.zero(total.currency) for key in original}
    for step in steps:
        parts = cumulative_reversal(original, refunded, step, total)
        assert sum_money(parts.values(), total.currency) == step
        for key, part in parts.items():
            assert abs(part) <= abs(original[key])
            assert part.amount_minor >= -1  # at most one unit against the refund (Alabama)
            given_back[key] += part
            assert abs(given_back[key]) <= abs(original[key])
        refunded += step
    return given_back


@FAST
@given(plan=refund_plans(full=False))
def test_partial_refunds_give_back_each_party_its_proportion(plan):
    total, original, steps = plan
    given_back = refund_in_steps(total, original, steps)
    refunded = sum_money(steps, total.currency)
    assert sum_money(given_back.values(), total.currency) == refunded
    if total.is_positive():
        weights = {key: share.amount_minor for key, share in original.items()}
        assert given_back == split_by_weights(refunded, weights)  # path-independent
        assert_exact_split(refunded, given_back, weights)
    first = proportional_reversal(original, steps[0], total)
    assert first == cumulative_reversal(original, Money.zero(total.currency), steps[0], total)


@FAST
@given(plan=refund_plans(full=True))
def test_refunding_the_whole_charge_in_steps_gives_back_exactly_each_share(plan):
    total, original, steps = plan
    assert refund_in_steps(total, original, steps) == original


def test_the_product_and_the_stripe_emulator_agree_on_minimum_charges():
    from stripe_emulator.money import MINIMUM_CHARGE as EMULATOR_MINIMUMS

    for currency, minimum in MINIMUM_CHARGE_MINOR.items():
        assert EMULATOR_MINIMUMS[currency.lower()] == minimum, currency
