"""What the run's write path gave up for speed, and what still holds.

Receipts carry no database foreign keys (each was a lookup and a row lock per receipt at
commit): deletions are still right through Django, and a recomputation leaves no receipt
behind. Awards carry none either: a statement trigger checks and locks what they name, and
refuses deleting it. The pool split rewrites every award in place (HOT: no index touched). A run whose
finalisation failed after its last chunk is picked up again by the resume task.
"""

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
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


# ---------------------------------------------------------------- awards' references (migration 0005)


def _award_copy_sql(award: Award, **replace: int) -> tuple[str, list]:
    columns = ["run_id", "creator_id", "enrolment_id", "formula_version_id"]
    others = "country, currency, eligible, ineligible_reason, posts_considered, posts_counted, score, details"
    values = ", ".join(f"%s AS {column}" for column in columns)
    return (
        f"INSERT INTO {Award._meta.db_table} ({', '.join(columns)}, {others}, amount_minor) "  # noqa: S608
        f"SELECT {values}, {others}, 0 FROM {Award._meta.db_table} WHERE id = %s",
        [replace.get(column, getattr(award, column)) for column in columns] + [award.pk],
    )


def _spare_run(run: Run) -> Run:
    """A second run of the period (cancelled: one live run per period) for a copied award to name."""
    return Run.objects.create(
        programme=run.programme,
        period=run.period,
        formula_version=run.formula_version,
        status=RunStatus.CANCELLED,
    )


def test_awards_are_not_checked_row_by_row_at_commit(postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'"
            " AND conkey <@ ARRAY(SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attname IN ('run_id', 'creator_id', 'enrolment_id', 'formula_version_id'))",
            [Award._meta.db_table, Award._meta.db_table],
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize(
    ("column", "table"),
    [
        ("run_id", "bonuses_run"),
        ("creator_id", "creators_creatorprofile"),
        ("enrolment_id", "bonuses_enrolment"),
        ("formula_version_id", "bonuses_formulaversion"),
    ],
)
def test_an_award_naming_a_row_that_does_not_exist_is_refused(postgres_only, rate_card_run, column, table):
    award = Award.objects.get(run=rate_card_run)
    sql, params = _award_copy_sql(award, **{"run_id": _spare_run(rate_card_run).pk, column: 987_654})
    with (
        pytest.raises(IntegrityError, match=f"row of {table} that does not exist"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    assert Award.objects.count() == 1


@pytest.mark.parametrize("table", ["bonuses_run", "creators_creatorprofile", "bonuses_enrolment"])
def test_a_row_an_award_names_is_never_deleted(postgres_only, rate_card_run, table):
    award = Award.objects.get(run=rate_card_run)
    named = {"bonuses_run": award.run_id, "creators_creatorprofile": award.creator_id}.get(
        table, award.enrolment_id
    )
    with (
        pytest.raises(IntegrityError, match="named by a bonus award"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [named])  # noqa: S608 (a test's own names)
    assert Award.objects.filter(pk=award.pk).exists()


def test_a_row_cannot_be_deleted_while_an_award_naming_it_is_being_written(
    postgres_only, transactional_db, rate_card_run
):
    # The statement trigger locks what the award names (FOR KEY SHARE, as a foreign key's check
    # did): another session's DELETE waits for that lock instead of leaving the award orphaned.
    award = Award.objects.get(run=rate_card_run)
    other_run = _spare_run(rate_card_run)
    sql, params = _award_copy_sql(award, run_id=other_run.pk)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM bonuses_run WHERE id = %s", [other_run.pk])
        transaction.set_rollback(True)
    assert Run.objects.filter(pk=other_run.pk).exists()
