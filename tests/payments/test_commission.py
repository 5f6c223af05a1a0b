"""Which commission rule is in force, and what admin accepts as a rule."""

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import ApplicationError
from payments.commission import (
    commission_period_validate,
    commission_rate_validate,
    commission_rule_for,
    commission_rule_pick,
    commission_rule_validate,
    commission_rules_load,
)
from payments.models import CommissionRule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rule(source="shop_sale", country="", rate_bps=500, start=NOW - timedelta(days=10), end=None, **fields):
    return CommissionRule.objects.create(
        source=source, country=country, rate_bps=rate_bps, effective_from=start, effective_to=end, **fields
    )


@pytest.mark.parametrize(
    ("source", "rate_bps"),
    [("shop_sale", 500), ("affiliate_commission", 1_000), ("sponsorship", 1_000), ("bonus", 0)],
)
def test_the_seeded_defaults_apply_everywhere(source, rate_bps):
    found = commission_rule_for(source=source, country="FR", at=NOW)

    assert (found.source, found.country, found.rate_bps) == (source, "", rate_bps)


def test_a_country_rule_beats_the_every_country_rule_even_when_older(staff):
    korea = rule(country="KR", rate_bps=300, start=datetime(2021, 1, 1, tzinfo=UTC), created_by=staff)
    newer_global = rule(rate_bps=700, start=NOW - timedelta(days=1), created_by=staff)

    assert commission_rule_for(source="shop_sale", country="KR", at=NOW) == korea
    assert commission_rule_for(source="shop_sale", country="kr ", at=NOW) == korea
    assert commission_rule_for(source="shop_sale", country="JP", at=NOW) == newer_global
    assert commission_rule_for(source="shop_sale", country="", at=NOW) == newer_global


def test_a_rule_is_in_force_from_its_start_up_to_but_not_at_its_end():
    start, end = NOW, NOW + timedelta(days=7)
    promo = rule(rate_bps=100, start=start, end=end)

    def rate_at(at: datetime) -> int:
        return commission_rule_for(source="shop_sale", country="US", at=at).rate_bps

    assert rate_at(start - timedelta(microseconds=1)) == 500
    assert rate_at(start) == promo.rate_bps
    assert rate_at(end - timedelta(microseconds=1)) == promo.rate_bps
    assert rate_at(end) == 500


def test_the_latest_rule_to_take_effect_wins():
    rule(rate_bps=600, start=NOW - timedelta(days=30))
    latest = rule(rate_bps=650, start=NOW - timedelta(days=2))
    rule(rate_bps=900, start=NOW + timedelta(days=1))  # not yet

    assert commission_rule_for(source="shop_sale", country="US", at=NOW) == latest


def test_an_expired_country_rule_gives_way_to_the_every_country_rule():
    rule(country="JP", rate_bps=200, start=NOW - timedelta(days=30), end=NOW - timedelta(days=1))

    assert commission_rule_for(source="shop_sale", country="JP", at=NOW).rate_bps == 500


def test_no_rule_in_force_is_an_error():
    with pytest.raises(ApplicationError) as before_any_rule:
        commission_rule_for(source="shop_sale", country="US", at=datetime(2019, 12, 31, tzinfo=UTC))
    CommissionRule.objects.filter(source="bonus").delete()
    with pytest.raises(ApplicationError) as no_rule_for_source:
        commission_rule_for(source="bonus", country="US", at=NOW)

    assert before_any_rule.value.code == no_rule_for_source.value.code == "no_commission_rule"


def test_the_in_memory_pick_agrees_with_the_database_lookup():
    rule(country="KR", rate_bps=300, start=NOW - timedelta(days=3), end=NOW + timedelta(days=3))
    rule(rate_bps=700, start=NOW - timedelta(days=1))
    rules = commission_rules_load()

    for days in range(-5, 6):
        for country in ("KR", "US", ""):
            at = NOW + timedelta(days=days)
            assert commission_rule_pick(
                rules, source="shop_sale", country=country, at=at
            ) == commission_rule_for(source="shop_sale", country=country, at=at)


# ---------------------------------------------------------------- validation for admin


@pytest.mark.parametrize("rate", [-1, 10_001, 12.5, "500", True, None])
def test_a_rate_is_whole_basis_points_from_0_to_10000(rate):
    with pytest.raises(ApplicationError) as error:
        commission_rate_validate(rate)

    assert error.value.code == "invalid_rate"


@pytest.mark.parametrize("rate", [0, 1, 500, 10_000])
def test_valid_rates_pass(rate):
    assert commission_rate_validate(rate) == rate


def test_a_period_must_end_after_it_starts():
    commission_period_validate(effective_from=NOW, effective_to=None)
    commission_period_validate(effective_from=NOW, effective_to=NOW + timedelta(seconds=1))
    for end in (NOW, NOW - timedelta(days=1)):
        with pytest.raises(ApplicationError) as error:
            commission_period_validate(effective_from=NOW, effective_to=end)
        assert error.value.code == "invalid_period"
        assert "effective_to" in error.value.fields


def test_a_rule_is_checked_for_its_rate_then_its_period():
    with pytest.raises(ApplicationError) as error:
        commission_rule_validate(rate_bps=20_000, effective_from=NOW, effective_to=NOW)
    assert error.value.code == "invalid_rate"
    commission_rule_validate(rate_bps=250, effective_from=NOW, effective_to=None)
