"""The set-based run (bonuses.runs_sql, PostgreSQL) writes exactly the rows of the Python reference.

One varied dataset hits every rule: deleted and branded posts, posts published before the
creator enrolled (to the microsecond), invalid views, likes, comments and shares above the
valid views, a format the programme does not count, creators made ineligible after enrolling
(personal account, no age attestation, too few followers, a country outside the programme,
restricted or suspended during the period — but not before or after it), post and creator
caps, the post limit with posts published at the same instant, a newer formula version that
replaces the pinned one after its notice period, and KRW, JPY and USD. The same run is computed
by both paths on the same data and every award, receipt and total is compared.
"""

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bonuses.enums import FundingMode, RunStatus
from bonuses.models import Award, Receipt, Run
from bonuses.runs import run_cancel, run_compute, run_compute_all, run_create
from creators.enums import AccountType
from creators.models import CreatorProfile, StandingEvent
from creators.services import creator_restore, creator_strike_add, creator_suspend
from tests.bonuses.factories import enrol, ingest, make_formula, make_programme, march, pool
from tests.conftest import make_creator

pytestmark = pytest.mark.django_db

COUNTRIES = ("KR", "JP", "US")
MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def _posts(rng: random.Random, count: int, *, tie_day: int | None = None) -> list[dict]:
    """Posts of March with counters of every kind, some published at the same instant."""
    posts = []
    for _n in range(count):
        views = rng.choice([0, 5, 900, 12_345, 80_000, 250_000])
        post = {
            "format": rng.choice(["reel", "carousel", "standard"]),
            "views": views,
            "invalid_views": rng.choice([0, 0, 0, views // 3, views]),
            # sometimes more actions than valid views: impossible, capped to the views
            "likes": rng.choice([0, views // 40, views + 7]),
            "comments": rng.choice([0, 3, views // 100, views * 2 + 1]),
            "shares": rng.choice([0, 1, views // 300, views + 1]),
            "is_branded": rng.random() < 0.2,
            "is_deleted": rng.random() < 0.08,
        }
        if tie_day is not None and rng.random() < 0.5:
            post["published_at"] = datetime(2026, 3, tie_day, 9, tzinfo=UTC)  # ties: ordered by id
        else:
            post["published_at"] = MARCH + timedelta(seconds=rng.randrange(31 * 86_400))
        posts.append(post)
    return posts


def _dataset(programme, staff, *, seed: int, before: Mapping[int, Callable[[], object]]) -> None:
    """Twenty-four creators enrolled in ``programme`` (countries KR, JP, US), every rule hit at least once.

    ``before[n]`` runs before the n-th creator enrols (a new formula version: pinned from then on).
    """
    rng = random.Random(seed)
    creators = []
    for n in range(24):
        if n in before:
            before[n]()
        profile = make_creator(f"eq{seed}x{n}", country=COUNTRIES[n % 3])
        CreatorProfile.objects.filter(pk=profile.pk).update(followers=1_000 + n)
        profile.refresh_from_db()
        # enrolled at various instants of early March, half of them with microseconds
        at = datetime(2026, 3, 2 + n % 9, n % 24, n, n, 123_456 * (n % 2), tzinfo=UTC)
        enrol(programme, profile, at=at)
        if posts := _posts(rng, rng.randrange(0, 14), tie_day=12 if n % 4 == 0 else None):
            ingest(profile, *posts)
        creators.append(profile)
    # A post outside the period is not part of it.
    ingest(creators[0], {"published_at": datetime(2026, 4, 1, tzinfo=UTC), "views": 5_000})
    ingest(creators[0], {"published_at": datetime(2026, 2, 27, tzinfo=UTC), "views": 5_000})
    # Eligibility is checked again at computation: creators changed after they enrolled.
    CreatorProfile.objects.filter(pk=creators[1].pk).update(account_type=AccountType.PERSONAL)
    CreatorProfile.objects.filter(pk=creators[2].pk).update(age_attested_at=None)
    CreatorProfile.objects.filter(pk=creators[3].pk).update(followers=10)
    CreatorProfile.objects.filter(pk=creators[4].pk).update(country="FR")  # not a programme country
    CreatorProfile.objects.filter(pk=creators[5].pk).update(
        account_type=AccountType.PERSONAL, followers=0
    )  # two reasons: the first one is the one given
    _standing(creators[6], staff, creator_suspend, datetime(2026, 3, 20, tzinfo=UTC))  # during: out
    _standing(creators[7], staff, creator_suspend, datetime(2026, 4, 20, tzinfo=UTC))  # after: in
    # suspended in February, restored in mid-March: suspended during part of the period, out
    _standing(creators[8], staff, creator_suspend, datetime(2026, 2, 10, tzinfo=UTC))
    _standing(creators[8], staff, creator_restore, datetime(2026, 3, 15, tzinfo=UTC))
    # suspended and restored before the period: in
    _standing(creators[9], staff, creator_suspend, datetime(2026, 1, 10, tzinfo=UTC))
    _standing(creators[9], staff, creator_restore, datetime(2026, 1, 20, tzinfo=UTC))
    # two strikes (warned, then restricted) inside the period: out
    _standing(creators[10], staff, creator_strike_add, datetime(2026, 3, 3, tzinfo=UTC))
    _standing(creators[10], staff, creator_strike_add, datetime(2026, 3, 4, tzinfo=UTC))
    # one strike (warned) only: in
    _standing(creators[11], staff, creator_strike_add, datetime(2026, 3, 3, tzinfo=UTC))
    # A big creator: beyond the post limit and at the creator cap.
    ingest(creators[12], *({"views": 300_000 + i, "likes": 100, "day": 10 + i % 5} for i in range(12)))
    # Twins: the same score, so the same remainder in a pool split (ties go to the first creator).
    for twin in ("a", "b"):
        profile = make_creator(f"eq{seed}twin{twin}", country="KR")
        CreatorProfile.objects.filter(pk=profile.pk).update(followers=5_000)
        enrol(programme, CreatorProfile.objects.get(pk=profile.pk))
        ingest(profile, {"views": 333_333, "likes": 7, "day": 20})
    # An enrolled creator without any post in March.
    quiet = make_creator(f"eq{seed}quiet", country="JP")
    CreatorProfile.objects.filter(pk=quiet.pk).update(followers=5_000)
    enrol(programme, CreatorProfile.objects.get(pk=quiet.pk))


def _standing(profile, staff, change, at: datetime) -> None:
    event = change(creator=profile, actor=staff, reason="equivalence test")
    StandingEvent.objects.filter(pk=event.pk).update(created_at=at)


def _snapshot(run: Run) -> dict:
    """Every row the run wrote, without the ids that differ between two runs (their order is kept)."""
    run.refresh_from_db()
    awards = list(
        Award.objects.filter(run=run)
        .order_by("pk")
        .values_list(
            "creator_id",
            "enrolment_id",
            "formula_version_id",
            "country",
            "currency",
            "eligible",
            "ineligible_reason",
            "posts_considered",
            "posts_counted",
            "score",
            "amount_minor",
            "cap_minor",
            "pool_total_minor",
            "pool_score_total",
            "details",
        )
    )
    receipts = list(
        Receipt.objects.filter(award__run=run)
        .order_by("pk")
        .values_list(
            "award__creator_id",
            "post_id",
            "format",
            "counted",
            "views",
            "likes",
            "comments",
            "shares",
            "invalid_views",
            "q_views",
            "q_likes",
            "q_comments",
            "q_shares",
            "multiplier_bps",
            "uncapped_value",
            "value",
            "rules",
        )
    )
    return {"status": run.status, "totals": run.totals, "awards": awards, "receipts": receipts}


def _both_paths(period, settings, staff, *, chunk_size: int) -> tuple[dict, dict]:
    settings.BONUS_RUNS_IN_SQL = False
    reference = run_create(period=period, chunk_size=chunk_size)
    run_compute(run=reference)
    run_compute_all(run_id=reference.pk)
    python = _snapshot(reference)
    run_cancel(run=reference, actor=staff, reason="the same run in SQL")

    settings.BONUS_RUNS_IN_SQL = True
    run = run_create(period=period, chunk_size=chunk_size)
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    return python, _snapshot(run)


def _assert_same(python: dict, sql: dict) -> None:
    assert python["status"] == sql["status"] == RunStatus.COMPUTED
    assert len(sql["awards"]) == len(python["awards"])
    for expected, got in zip(python["awards"], sql["awards"], strict=True):
        assert got == expected, f"award of creator {expected[0]}"
    assert len(sql["receipts"]) == len(python["receipts"])
    for expected, got in zip(python["receipts"], sql["receipts"], strict=True):
        assert got == expected, f"receipt of post {expected[1]}"
    assert sql["totals"] == python["totals"]


def _rules_hit(snapshot: dict) -> set[str]:
    return {rule["rule"] for receipt in snapshot["receipts"] for rule in receipt[-1]}


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rate_card_run_in_sql_writes_the_rows_of_the_python_run(postgres_only, staff, settings, seed):
    programme = make_programme(countries=list(COUNTRIES), formats=["reel", "carousel"], min_followers=100)
    make_formula(
        programme,
        max_posts=5,
        branded_multiplier_bps=7_500,
        caps={
            "KRW": {"post": 3_000, "creator": 9_000},
            "JPY": {"post": None, "creator": 2_500},
            "USD": {"post": 900, "creator": None},
        },
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    # Version 2, published long enough before March, replaces version 1 for the creators pinned
    # to it; version 3, published too late, applies only to those who enrolled under it.
    version_2 = {
        "rates": {
            "KRW": {"reel": 70, "carousel": 20, "like": 2, "comment": 1, "share": 5},
            "JPY": {"reel": 9, "carousel": 11, "standard": 13, "like": 0, "comment": 4},
            "USD": {"reel": 1, "share": 2},
        },
        "max_posts": 4,
        "branded_multiplier_bps": 5_000,
        "caps": {"KRW": {"post": 2_000, "creator": 6_000}, "USD": {"post": 500, "creator": 800}},
        "published_at": datetime(2026, 1, 15, tzinfo=UTC),
    }
    version_3 = {
        "max_posts": 3,
        "branded_multiplier_bps": 10_000,
        "caps": {"JPY": {"post": 1_000, "creator": 1_500}},
        "published_at": datetime(2026, 2, 20, tzinfo=UTC),
    }
    _dataset(
        programme,
        staff,
        seed=seed,
        before={
            8: lambda: make_formula(programme, **version_2),
            16: lambda: make_formula(programme, **version_3),
        },
    )

    python, sql = _both_paths(march(programme), settings, staff, chunk_size=7)

    _assert_same(python, sql)
    assert {"KRW", "JPY", "USD"} <= set(sql["totals"])
    reasons = {award[6] for award in sql["awards"]}
    assert reasons == {
        "",
        "not_professional",
        "not_adult",
        "too_few_followers",
        "country_not_in_programme",
        "policy_standing",
    }
    assert _rules_hit(sql) >= {
        "deleted",
        "format_not_counted",
        "before_enrolment",
        "invalid_views_removed",
        "likes_capped_to_views",
        "comments_capped_to_views",
        "shares_capped_to_views",
        "branded_multiplier",
        "post_limit",
        "post_cap",
    }
    assert any(award[-1]["creator_cap_applied"] for award in sql["awards"])


def test_a_pool_run_in_sql_writes_the_rows_of_the_python_run(postgres_only, staff, settings):
    programme = make_programme(funding_mode=FundingMode.POOL, countries=list(COUNTRIES), min_followers=100)
    make_formula(
        programme,
        max_posts=6,
        branded_multiplier_bps=0,  # branded posts excluded
        caps={"KRW": {"post": 40_000, "creator": 150_000}, "JPY": {"post": None, "creator": 9_000}},
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    _dataset(programme, staff, seed=3, before={})
    period = march(programme)
    pool(programme, period, KR=1_000_000, JP=50_000, US=12_345)

    python, sql = _both_paths(period, settings, staff, chunk_size=5)

    _assert_same(python, sql)
    assert sql["totals"]["KRW"] <= 1_000_000 and sql["totals"]["USD"] == 12_345
    assert {"branded_excluded", "post_limit", "before_enrolment"} <= _rules_hit(sql)
    assert any(award[11] is not None and award[10] == award[11] for award in sql["awards"])  # capped
    assert all(isinstance(award[9], Decimal) for award in sql["awards"])


def test_the_sql_path_is_what_runs_on_postgresql(postgres_only, staff, settings, monkeypatch):
    """Not the Python path under another name: with it switched off, creators_compute is never called."""
    programme = make_programme()
    make_formula(programme)
    profile = make_creator("eqsql", country="KR")
    enrol(programme, profile)
    ingest(profile, {"views": 10_000, "likes": 20})

    def python_path(**kwargs):
        raise AssertionError("the Python path ran")

    monkeypatch.setattr("bonuses.runs.creators_compute", python_path)
    settings.BONUS_RUNS_IN_SQL = True
    run = run_create(period=march(programme))
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    # 10,000 x 50 / 1000 + 20 x 1 = ₩520
    assert Award.objects.get(run=run).amount_minor == 520
