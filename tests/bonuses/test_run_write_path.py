"""What the run's write path gave up for speed, and what still holds.

Receipts carry no database foreign keys (each was a lookup and a row lock per receipt at
commit): deletions are still right through Django, and a recomputation leaves no receipt
behind. The pool split rewrites every award in place (HOT: no index touched). A run whose
finalisation failed after its last chunk is picked up again by the resume task.
"""

import pytest
from django.db import connection
from django.db.models import ProtectedError

from bonuses.enums import FundingMode, RunStatus
from bonuses.models import Award, Receipt, Run
from bonuses.runs import run_chunk_compute_next, run_compute, run_compute_all, run_create, runs_resume
from creators.models import Post
from tests.bonuses.factories import computed_run, enrol, ingest, make_formula, make_programme, march, pool
from tests.conftest import make_creator

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate_card_run(creator):
    programme = make_programme()
    make_formula(programme)
    enrol(programme, creator)
    ingest(creator, {"views": 10_000, "likes": 20, "day": 10}, {"views": 5_000, "day": 11})
    return computed_run(march(programme))


def _orphan_receipts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Receipt._meta.db_table} r "  # noqa: S608
            f"LEFT JOIN {Award._meta.db_table} a ON a.id = r.award_id WHERE a.id IS NULL"
        )
        return cursor.fetchone()[0]


def test_receipts_are_not_checked_row_by_row_against_awards_and_posts(postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [Receipt._meta.db_table],
        )
        assert cursor.fetchone()[0] == 0


def test_an_award_deleted_through_django_takes_its_receipts_with_it(rate_card_run):
    award = Award.objects.get(run=rate_card_run)
    assert award.receipts.count() == 2

    award.delete()

    assert Receipt.objects.count() == 0 and _orphan_receipts() == 0


def test_a_post_that_a_receipt_explains_cannot_be_deleted(rate_card_run):
    post = Post.objects.filter(creator__bonus_awards__run=rate_card_run).first()

    with pytest.raises(ProtectedError):
        post.delete()
    assert Post.objects.filter(pk=post.pk).exists()


def test_a_recomputed_run_leaves_no_receipt_behind(rate_card_run):
    before = sorted(Receipt.objects.values_list("post_id", "value"))

    run_compute(run=rate_card_run)
    run_compute_all(run_id=rate_card_run.pk)

    assert sorted(Receipt.objects.values_list("post_id", "value")) == before
    assert _orphan_receipts() == 0


def test_the_pool_split_rewrites_awards_in_place(postgres_only, creator):
    # given: enough awards to fill several pages (about fifteen fit in a full page)
    programme = make_programme(funding_mode=FundingMode.POOL)
    make_formula(programme)
    period = march(programme)
    pool(programme, period, KR=1_000_000, JP=50_000, US=10_000)
    for n in range(45):
        profile = make_creator(f"hot{n}", country=("KR", "JP", "US")[n % 3])
        enrol(programme, profile)
        ingest(profile, {"views": 1_000 + n})
    run = run_create(period=period, chunk_size=100)
    run_compute(run=run)
    updated_before, hot_before = _award_updates()

    # when
    run_compute_all(run_id=run.pk)

    # then: every award got its share, and no update had to move its row (or touch an index)
    updated_after, hot_after = _award_updates()
    updated, hot = updated_after - updated_before, hot_after - hot_before
    assert updated == 45 and hot == updated
    assert sum(Award.objects.filter(run=run).values_list("amount_minor", flat=True)) == 1_060_000


def _award_updates() -> tuple[int, int]:
    """Updates of award rows by this connection, and how many of them were HOT (the counters
    include recent transactions of the connection not yet reported: compare two readings)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [Award._meta.db_table],
        )
        return cursor.fetchone()


def test_a_run_whose_finalisation_failed_is_resumed(rate_card_run, monkeypatch):
    # given: the last chunk committed, then the finalisation died (its task acknowledged)
    run = rate_card_run
    run_compute(run=run)
    with monkeypatch.context() as patched:
        patched.setattr("bonuses.runs.run_finalize", _dies)
        with pytest.raises(RuntimeError):
            run_chunk_compute_next(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTING and run.chunks_done == run.chunks_total

    # when: the resume task's pass
    resumed = runs_resume()
    for run_id in resumed:
        run_chunk_compute_next(run_id=run_id)

    # then
    assert resumed == [run.pk]
    assert Run.objects.get(pk=run.pk).status == RunStatus.COMPUTED


def _dies(**kwargs):
    raise RuntimeError("the finalisation failed")
