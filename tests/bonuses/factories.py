"""Bonus test data, built through the real services (programmes, formulas, invitations, ingestion)."""

from datetime import UTC, date, datetime
from itertools import count
from typing import Any

from bonuses.enums import FundingMode
from bonuses.models import Enrolment, FormulaVersion, Period, Programme
from bonuses.runs import run_compute, run_compute_all, run_create
from bonuses.services import (
    formula_version_create,
    invitation_accept,
    invitation_create,
    pool_budget_set,
    programme_create,
)
from common.money import Money
from creators.ingestion import posts_ingest

SEASON_START = date(2026, 3, 1)
SEASON_END = date(2026, 5, 31)
INVITED_AT = datetime(2026, 3, 2, tzinfo=UTC)
ENROLLED_AT = datetime(2026, 3, 5, tzinfo=UTC)
OBSERVED_AT = datetime(2026, 4, 2, tzinfo=UTC)

# Per 1,000 views by format, then per action: the same numbers in every currency keep sums easy.
RATES = {"reel": 50, "carousel": 40, "standard": 30, "like": 1, "comment": 2, "share": 3}
_ids = count(1)


def make_programme(*, funding_mode: str = FundingMode.RATE_CARD, **fields: Any) -> Programme:
    n = next(_ids)
    values: dict[str, Any] = {
        "name": f"Spring bonus {n}",
        "slug": f"spring-{n}",
        "starts_on": SEASON_START,
        "ends_on": SEASON_END,
        "funding_mode": funding_mode,
        "public_description": "For professional creators in Korea, Japan and the United States.",
    }
    values.update(fields)
    return programme_create(**values)


def make_formula(programme: Programme, **fields: Any) -> FormulaVersion:
    currencies = {"KR": "KRW", "JP": "JPY", "US": "USD"}
    values: dict[str, Any] = {"published_at": datetime(2026, 2, 1, tzinfo=UTC)}
    if programme.funding_mode == FundingMode.RATE_CARD:
        values["rates"] = {currencies[c]: dict(RATES) for c in programme.countries}
    else:
        values["weights"] = dict(RATES)
    values.update(fields)
    return formula_version_create(programme=programme, **values)


def march(programme: Programme) -> Period:
    return programme.periods.get(starts_on=date(2026, 3, 1))


def enrol(programme: Programme, creator, *, at: datetime = ENROLLED_AT) -> Enrolment:
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    return invitation_accept(invitation_id=invitation.pk, creator=creator, now=at)


def ingest(creator, *posts: dict[str, Any]) -> None:
    """Ingest posts of ``creator`` through the real ingestion service (day: day of March 2026)."""
    rows = []
    for spec in posts:
        spec = dict(spec)
        day = spec.pop("day", 10)
        row = {
            "external_id": spec.pop("external_id", f"p{next(_ids)}"),
            "creator": creator.handle,
            "format": spec.pop("format", "reel"),
            "published_at": spec.pop("published_at", datetime(2026, 3, day, 12, tzinfo=UTC)).isoformat(),
            "observed_at": spec.pop("observed_at", OBSERVED_AT).isoformat(),
            "views": 0,
            "likes": 0,
            "comments": 0,
            "shares": 0,
        }
        row.update(spec)
        rows.append(row)
    report = posts_ingest(rows=rows)
    assert all(r.status != "rejected" for r in report.results), [r.as_dict() for r in report.results]


def pool(programme: Programme, period: Period, **amounts: int) -> None:
    currencies = {"KR": "KRW", "JP": "JPY", "US": "USD"}
    for country, amount in amounts.items():
        pool_budget_set(period=period, country=country, amount=Money(amount, currencies[country]))


def computed_run(period: Period, *, chunk_size: int = 500):
    run = run_create(period=period, chunk_size=chunk_size)
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    run.refresh_from_db()
    return run
