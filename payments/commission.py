"""Commission policy: which rule is in force for a source, a country and a moment (DESIGN.md, "Commission").

Staff edit rules in admin with effective dates; settlement copies the rule it applied onto the
ledger transaction, so editing a rule never changes history.
"""

import importlib
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import bps_validate
from payments.models import CommissionRule


def commission_rule_for(*, source: str, country: str, at: datetime) -> CommissionRule:
    """The rule in force for ``source`` in ``country`` at ``at``; ``no_commission_rule`` if none.

    In force means effective_from <= at < effective_to (an empty effective_to is open-ended).
    A rule for the exact country beats an every-country (blank) rule; among equals the latest
    effective_from wins (then the newest row, so a correction entered later takes precedence).
    """
    country = country.strip().upper()
    candidates = CommissionRule.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=at),
        source=source,
        country__in={country, ""},
        effective_from__lte=at,
    )
    return commission_rule_pick(candidates, source=source, country=country, at=at)


def commission_rules_load() -> list[CommissionRule]:
    """Every rule (a short table), loaded once by callers that settle many payments at a time."""
    return list(CommissionRule.objects.all())


def commission_rule_pick(
    rules: Iterable[CommissionRule], *, source: str, country: str, at: datetime
) -> CommissionRule:
    """commission_rule_for() over rules already in memory: the one place the precedence is written."""
    country = country.strip().upper()
    matching = [
        rule
        for rule in rules
        if rule.source == source
        and rule.country in (country, "")
        and rule.effective_from <= at
        and (rule.effective_to is None or at < rule.effective_to)
    ]
    if not matching:
        raise ApplicationError(
            _("No commission rule is in force for %(source)s in %(country)s on %(at)s.")
            % {"source": source, "country": country or _("any country"), "at": at.isoformat()},
            code="no_commission_rule",
        )
    return max(matching, key=lambda rule: (rule.country != "", rule.effective_from, rule.pk or 0))


# ---------------------------------------------------------------- validation (admin forms)


def commission_rate_validate(rate_bps: object) -> int:
    """A rate in whole basis points from 0 to 10000 (``invalid_rate`` otherwise)."""
    return bps_validate(rate_bps)


def commission_period_validate(*, effective_from: datetime, effective_to: datetime | None) -> None:
    """Refuse (``invalid_period``) a period that ends before, or when, it starts."""
    if effective_to is not None and effective_to <= effective_from:
        raise ApplicationError(
            _("A commission rule must end after it takes effect."),
            code="invalid_period",
            fields={"effective_to": _("Must be after the start.")},
        )


def commission_rule_validate(
    *, rate_bps: object, effective_from: datetime, effective_to: datetime | None
) -> None:
    """What admin checks before saving a rule: the rate and the period (see the two helpers)."""
    commission_rate_validate(rate_bps)
    commission_period_validate(effective_from=effective_from, effective_to=effective_to)


def commission_defaults_ensure() -> None:
    """The default commission rules that migration 0004 seeds, created if missing (idempotent).

    For databases emptied by something other than migrations: a test's flush, a benchmark's reset.
    """
    seed = importlib.import_module("payments.migrations.0004_default_commission_rules")
    for source, rate_bps in seed.DEFAULTS.items():
        CommissionRule.objects.get_or_create(
            source=source, country="", effective_from=seed.SINCE, defaults={"rate_bps": rate_bps}
        )
