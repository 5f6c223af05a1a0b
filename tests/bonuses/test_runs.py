"""Bonus runs end to end: computation, pools, eligibility, determinism, approval, reversal, estimates."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from bonuses.enums import FundingMode, Ineligible, RunStatus
from bonuses.models import Award, Enrolment, Estimate, Receipt, Run, RunChunk
from bonuses.runs import (
    estimates_refresh,
    run_approve,
    run_cancel,
    run_chunk_compute_next,
    run_compute,
    run_compute_all,
    run_create,
    runs_mark_paid,
)
from common.errors import ApplicationError
from creators.models import StandingEvent
from creators.services import creator_suspend
from payments.enums import AccountKind, TransactionKind
from payments.holds import holds_release_due
from payments.models import Hold, LedgerEntry, LedgerTransaction
from tests.bonuses.factories import computed_run, enrol, ingest, make_formula, make_programme, march, pool
from tests.conftest import make_creator
from tests.payments.factories import balance_of, user_account

pytestmark = pytest.mark.django_db


def awards_of(run) -> dict[str, int]:
    return dict(Award.objects.filter(run=run).values_list("creator__handle", "amount_minor"))


def receipts_of(run) -> list[tuple]:
    return list(
        Receipt.objects.filter(award__run=run)
        .order_by("post_id")
        .values_list("post_id", "counted", "q_views", "value", "rules")
    )


@pytest.fixture
def rate_card(creator):
    """minji (KR, ₩) enrolled on 5 March in a rate card, with posts of every kind."""
    programme = make_programme()
    make_formula(programme, caps={"KRW": {"post": 4000, "creator": None}})
    enrol(programme, creator)
    ingest(
        creator,
        {"external_id": "ok", "day": 10, "views": 12_345, "likes": 100, "comments": 10, "shares": 5},
        {"external_id": "early", "day": 3, "views": 50_000},
        {"external_id": "gone", "day": 11, "views": 50_000, "is_deleted": True},
        {"external_id": "brand", "day": 12, "views": 10_000, "likes": 100, "is_branded": True},
        {"external_id": "bots", "day": 13, "views": 1000, "invalid_views": 400, "likes": 700},
        {"external_id": "viral", "day": 14, "views": 200_000},
        {"external_id": "april", "published_at": datetime(2026, 4, 1, 1, tzinfo=UTC), "views": 99_999},
    )
    return programme


def test_a_rate_card_run_pays_what_the_receipts_explain(rate_card, creator):
    run = computed_run(march(rate_card))
    assert run.status == RunStatus.COMPUTED and run.progress_text == "1/1"
    award = Award.objects.get(run=run)
    # ok 752.25 + brand (500 + 100) x 50% = 300 + bots 600 views → 30 + 600 likes = 630
    # + viral 10,000 capped at 4,000 → 5,682.25 → ₩5,682
    assert award.amount_minor == 5682 and award.currency == "KRW"
    assert award.details["uncapped_minor"] == 11_682
    assert run.totals == {"KRW": 5682}
    lines = {r.post.external_id: r for r in Receipt.objects.filter(award=award).select_related("post")}
    assert set(lines) == {"ok", "early", "gone", "brand", "bots", "viral"}  # April belongs to April
    assert [rule["rule"] for rule in lines["early"].rules] == ["before_enrolment"]
    assert [rule["rule"] for rule in lines["gone"].rules] == ["deleted"]
    assert [rule["rule"] for rule in lines["viral"].rules] == ["post_cap"]
    assert not lines["early"].counted and lines["viral"].counted
    assert (lines["bots"].q_views, lines["bots"].q_likes) == (600, 600)


def test_a_pool_is_shared_exactly_per_country(creator, other_creator):
    programme = make_programme(funding_mode=FundingMode.POOL)
    make_formula(programme)
    period = march(programme)
    pool(programme, period, KR=1_000_000, JP=50_000, US=10_000)
    second_kr = make_creator("jiwoo", country="KR")
    for profile, views in ((creator, 1000), (second_kr, 2000), (other_creator, 500)):
        enrol(programme, profile)
        ingest(profile, {"views": views})
    run = computed_run(period)
    # KR scores 1000:2000 → ₩333,333 and ₩666,667; JP alone takes its whole pool; US has nobody.
    assert awards_of(run) == {"minji": 333_333, "jiwoo": 666_667, "sora": 50_000}
    award = Award.objects.get(run=run, creator=creator)
    assert (
        award.pool_total_minor == 1_000_000 and award.pool_score_total == 3000 * 50 * 10_000
    )  # views x reel weight x 100%


def test_a_pool_run_without_a_budget_for_a_country_is_refused(creator):
    programme = make_programme(funding_mode=FundingMode.POOL)
    make_formula(programme)
    pool(programme, march(programme), KR=1000)
    run = run_create(period=march(programme))
    with pytest.raises(ApplicationError) as excinfo:
        run_compute(run=run)
    assert excinfo.value.code == "pool_budget_missing"
    assert not RunChunk.objects.exists()


def test_a_creator_suspended_during_the_period_earns_nothing_and_is_told_why(rate_card, creator, staff):
    creator_suspend(creator=creator, actor=staff, reason="spam")
    StandingEvent.objects.filter(creator=creator).update(created_at=datetime(2026, 3, 20, tzinfo=UTC))
    run = computed_run(march(rate_card))
    award = Award.objects.get(run=run)
    assert (award.eligible, award.amount_minor, award.ineligible_reason) == (False, 0, Ineligible.STANDING)


def test_a_suspension_after_the_period_does_not_take_the_period_away(rate_card, creator, staff):
    creator_suspend(creator=creator, actor=staff, reason="spam")
    StandingEvent.objects.filter(creator=creator).update(created_at=datetime(2026, 4, 20, tzinfo=UTC))
    run = computed_run(march(rate_card))
    assert Award.objects.get(run=run).amount_minor == 5682


def test_a_run_whose_formula_changed_is_refused(rate_card):
    run = run_create(period=march(rate_card))
    make_formula(rate_card)
    with pytest.raises(ApplicationError) as excinfo:
        run_compute(run=run)
    assert excinfo.value.code == "formula_changed"
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_one_live_run_per_period(rate_card):
    run_create(period=march(rate_card))
    with pytest.raises(ApplicationError) as excinfo:
        run_create(period=march(rate_card))
    assert excinfo.value.code == "run_exists"


def _three_creators(programme, creator, other_creator):
    third = make_creator("jiwoo", country="US")
    for index, profile in enumerate((creator, other_creator, third)):
        if not Enrolment.objects.filter(programme=programme, creator=profile).exists():
            enrol(programme, profile)
        ingest(
            profile, *({"views": 1000 * (index + 1) + day, "likes": day, "day": 6 + day} for day in range(5))
        )


def test_the_same_run_twice_gives_identical_awards(rate_card, creator, other_creator):
    _three_creators(rate_card, creator, other_creator)
    run = computed_run(march(rate_card), chunk_size=2)
    first, first_receipts = awards_of(run), receipts_of(run)
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    assert awards_of(run) == first and receipts_of(run) == first_receipts


def test_a_run_resumes_after_a_killed_worker_with_the_same_result(
    rate_card, creator, other_creator, monkeypatch
):
    _three_creators(rate_card, creator, other_creator)
    clean = computed_run(march(rate_card), chunk_size=1)
    expected = awards_of(clean)
    run_cancel(run=clean, actor=creator.user, reason="again")

    run = run_create(period=march(rate_card), chunk_size=1)
    run_compute(run=run)
    run_chunk_compute_next(run_id=run.pk)  # chunk 0 done

    def dies(*args, **kwargs):
        raise SystemExit("worker killed")

    # killed while the chunk's awards and receipts were being written (Python path: after its
    # awards went in; set-based path on PostgreSQL: during its one statement)
    with monkeypatch.context() as patched:
        patched.setattr("bonuses.runs._receipts_copy", dies)
        patched.setattr(Receipt.objects, "bulk_create", dies)
        patched.setattr("bonuses.runs_sql.chunk_write", dies)
        with pytest.raises(SystemExit):
            run_chunk_compute_next(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTING and run.chunks_done == 1
    assert Award.objects.filter(run=run).count() == 1  # the killed chunk wrote nothing
    run_compute_all(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTED and awards_of(run) == expected


@pytest.mark.django_db(transaction=True)
def test_two_workers_splitting_a_run_give_the_same_awards_as_one(
    postgres_only, creator, other_creator, monkeypatch
):
    programme = make_programme()
    make_formula(programme)
    _three_creators(programme, creator, other_creator)
    for n in range(7):
        extra = make_creator(f"extra{n}", country="JP")
        enrol(programme, extra)
        ingest(extra, {"views": 777 * (n + 1), "shares": n, "day": 9})
    single = computed_run(march(programme), chunk_size=100)
    expected = awards_of(single)
    run_cancel(run=single, actor=creator.user, reason="again")

    run = run_create(period=march(programme), chunk_size=1)
    # No eager in-process tasks: the two "workers" below do all the work.
    monkeypatch.setattr("bonuses.tasks.compute_chunk.delay", lambda run_id: None)
    run_compute(run=run)
    done_by: dict[int, int] = {}

    def worker(name: int) -> None:
        try:
            while run_chunk_compute_next(run_id=run.pk):
                done_by[name] = done_by.get(name, 0) + 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTED and run.chunks_done == 10
    assert sum(done_by.values()) == 10
    assert awards_of(run) == expected


def test_computing_through_celery_tasks(rate_card, django_capture_on_commit_callbacks):
    run = run_create(period=march(rate_card))
    with django_capture_on_commit_callbacks(execute=True):
        run_compute(run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTED and Award.objects.get(run=run).amount_minor == 5682


def test_approval_posts_one_balanced_transaction_per_award_with_a_review_hold(rate_card, creator, staff):
    run = run_approve(run=computed_run(march(rate_card)), actor=staff)
    award = Award.objects.get(run=run)
    posted = award.ledger_transaction
    assert posted.reference == f"bonus:award:{award.pk}" and posted.kind == TransactionKind.BONUS
    assert sum(posted.entries.values_list("amount_minor", flat=True)) == 0
    assert balance_of(user_account(creator.user, currency="KRW")) == 5682  # bonus commission is 0%
    hold = Hold.objects.get(origin=posted)
    assert hold.amount_minor == 5682
    assert hold.release_at - run.approved_at == timedelta(days=14)
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED


def test_approving_twice_is_refused_and_posts_nothing(rate_card, staff):
    run = computed_run(march(rate_card))
    run_approve(run=run, actor=staff)
    count = LedgerTransaction.objects.count()
    with pytest.raises(ApplicationError) as excinfo:
        run_approve(run=run, actor=staff)
    assert excinfo.value.code == "run_already_approved"
    assert LedgerTransaction.objects.count() == count


def test_approving_a_run_not_computed_is_refused(rate_card, staff):
    run = run_create(period=march(rate_card))
    with pytest.raises(ApplicationError) as excinfo:
        run_approve(run=run, actor=staff)
    assert excinfo.value.code == "run_not_computed"
    assert not LedgerTransaction.objects.exists()


def test_cancelling_an_approved_run_reverses_it(rate_card, creator, staff):
    run = computed_run(march(rate_card))
    run_approve(run=run, actor=staff)
    run_cancel(run=run, actor=staff, reason="wrong counters")
    award = Award.objects.get(run=run)
    assert award.reversal.reverses == award.ledger_transaction
    assert balance_of(user_account(creator.user, currency="KRW")) == 0
    assert Hold.objects.get(origin=award.ledger_transaction).remaining_minor == 0
    assert holds_release_due(now=datetime(2099, 1, 1, tzinfo=UTC)) == 1  # released empty: no posting
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOLD_RELEASE).exists()
    # a correction: a new run for the period
    assert computed_run(march(rate_card)).status == RunStatus.COMPUTED


def test_cancelling_after_the_hold_was_released_takes_the_money_back_from_available(
    rate_card, creator, staff
):
    run = computed_run(march(rate_card))
    run_approve(run=run, actor=staff)
    holds_release_due(now=datetime(2099, 1, 1, tzinfo=UTC))
    assert runs_mark_paid() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.PAID
    run_cancel(run=run, actor=staff, reason="fraud")
    assert balance_of(user_account(creator.user, AccountKind.AVAILABLE, currency="KRW")) == 0
    assert LedgerEntry.objects.filter(transaction__kind=TransactionKind.REVERSAL).count() == 2


def test_cancelling_twice_is_refused(rate_card, staff):
    run = run_create(period=march(rate_card))
    run_cancel(run=run, actor=staff, reason="typo")
    with pytest.raises(ApplicationError) as excinfo:
        run_cancel(run=run, actor=staff, reason="typo")
    assert excinfo.value.code == "run_cancelled"


def test_daily_estimates_project_the_pace_within_the_cap(creator):
    programme = make_programme()
    make_formula(programme, caps={"KRW": {"post": None, "creator": 5000}})
    enrol(programme, creator)
    ingest(creator, {"views": 20_000, "day": 6, "observed_at": datetime(2026, 3, 6, 13, tzinfo=UTC)})
    # 16 March 00:00: 15 of 31 days gone, ₩1,000 earned → 1000 x 31 / 15 = 2066
    assert estimates_refresh(now=datetime(2026, 3, 16, tzinfo=UTC)) == 1
    estimate = Estimate.objects.get()
    assert (estimate.earned_so_far_minor, estimate.approximate_minor, estimate.maximum_minor) == (
        1000,
        2066,
        5000,
    )
    assert estimate.posts_counted == 1 and estimate.max_posts == 150


def test_queries_of_a_chunk_do_not_grow_with_its_creators(
    rate_card, creator, other_creator, django_assert_max_num_queries
):
    _three_creators(rate_card, creator, other_creator)
    run = run_create(period=march(rate_card), chunk_size=100)
    run_compute(run=run)
    with django_assert_max_num_queries(25):
        run_chunk_compute_next(run_id=run.pk)
    assert connection.vendor in {"postgresql", "sqlite"}
    assert Run.objects.get(pk=run.pk).status == RunStatus.COMPUTED


def test_approval_applies_the_bonus_commission_rule_of_the_creators_country(rate_card, creator, staff):
    from payments.models import CommissionRule

    CommissionRule.objects.create(
        source="bonus", country="KR", rate_bps=1000, effective_from=datetime(2026, 1, 1, tzinfo=UTC)
    )
    run = run_approve(run=computed_run(march(rate_card)), actor=staff)
    posted = Award.objects.get(run=run).ledger_transaction
    amounts = dict(posted.entries.values_list("account__kind", "amount_minor"))
    # ₩5,682 gross: 10% = 568.2 → 568 commission (rounded half up by portion), 5,114 to the creator
    assert amounts == {"bonus_expense": -5682, "pending": 5114, "commission_revenue": 568}
    assert posted.commission_rule["rules"][0]["rate_bps"] == 1000
    assert Hold.objects.get(origin=posted).amount_minor == 5114


def test_approving_a_pool_run_posts_every_award_once_and_the_ledger_stays_sound(
    creator, other_creator, staff
):
    from payments.bonus_posting import BonusAward, bonus_awards_post_many
    from payments.selectors import ledger_check

    programme = make_programme(funding_mode=FundingMode.POOL)
    make_formula(programme)
    period = march(programme)
    pool(programme, period, KR=1_000_000, JP=50_000, US=10_000)
    second_kr = make_creator("jiwoo", country="KR")
    for profile, views in ((creator, 1000), (second_kr, 2000), (other_creator, 500)):
        enrol(programme, profile)
        ingest(profile, {"views": views})
    run = run_approve(run=computed_run(period), actor=staff)
    awards = list(Award.objects.filter(run=run).select_related("ledger_transaction", "creator"))
    assert all(a.ledger_transaction.reference == f"bonus:award:{a.pk}" for a in awards)
    assert Hold.objects.filter(origin__bonus_award__run=run).count() == 3
    assert ledger_check() == []
    # posting the same awards again (a retried batch) writes nothing new
    count = LedgerTransaction.objects.count()
    again = bonus_awards_post_many(
        awards=[
            BonusAward(
                reference=a.ledger_transaction.reference,
                party=f"user:{a.creator.user_id}",
                amount=a.amount,
                country=a.country,
            )
            for a in awards
        ],
        at=run.approved_at,
    )
    assert [t.pk for t in again] == [a.ledger_transaction_id for a in awards]
    assert LedgerTransaction.objects.count() == count and Hold.objects.count() == 3
