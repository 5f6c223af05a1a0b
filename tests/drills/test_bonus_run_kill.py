"""Drill 3: the worker computing a bonus run is killed with kill -9 inside a chunk's transaction.

80 enrolled creators in Korea, Japan and the United States posted 4,000 times in March. A clean
run is computed in-process first, for reference, and cancelled. Then the same period is run
through Celery: 16 chunks of 5 creators, one ``bonuses.compute_chunk`` task each, on a worker
that is killed once a few chunks are done, inside a chunk's database transaction (its awards
written, its receipts held back by a table lock the drill takes). Its transaction dies with its
connection; a new worker, and the dead worker's task coming back (acks_late), finish the run.

The run must complete with every chunk done once, one receipt per post and award, and awards
and totals equal to the clean run's to the minor unit; approved, it posts balanced ledger money.
"""

import psycopg
import pytest
from django.db import connection
from django.db.models import Count

from bonuses.enums import ChunkStatus, RunStatus
from bonuses.models import Award, Receipt, Run, RunChunk
from bonuses.runs import run_approve, run_cancel, run_compute, run_create
from creators.models import Post
from payments.models import LedgerTransaction
from tests.bonuses.factories import computed_run, enrol, ingest, make_formula, make_programme, march
from tests.conftest import make_creator
from tests.drills.conftest import VISIBILITY_TIMEOUT, assert_books_clean, report, wait_for
from tests.payments.test_payout_worker_kill import worker_database_url

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CREATORS = 80
POSTS_EACH = 50
CHUNK = 5
COUNTRIES = ("KR", "JP", "US")


def worker_blocked_writing_receipts() -> bool:
    """The worker's chunk transaction waits for the receipts table, which the drill locked (so a
    backend of this database waiting on a lock is the worker, whatever statement writes them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def awards_of(run: Run) -> dict[int, tuple[int, str, bool]]:
    return {
        creator: (amount, currency, eligible)
        for creator, amount, currency, eligible in Award.objects.filter(run=run).values_list(
            "creator_id", "amount_minor", "currency", "eligible"
        )
    }


def receipts_of(run: Run) -> list[tuple]:
    return sorted(
        Receipt.objects.filter(award__run=run).values_list("award__creator_id", "post_id", "counted", "value")
    )


def test_a_bonus_run_whose_worker_is_killed_mid_chunk_completes_with_the_clean_runs_awards(workers, staff):
    # given: 80 creators and 4,000 posts
    programme = make_programme()
    make_formula(programme)
    for n in range(CREATORS):
        profile = make_creator(f"poster{n}", country=COUNTRIES[n % 3])
        enrol(programme, profile)
        ingest(
            profile,
            *(
                {
                    "day": 6 + (n + p) % 22,
                    "format": ("reel", "carousel", "standard")[p % 3],
                    "views": 500 + 97 * n + 13 * p,
                    "likes": (n * p) % 50,
                    "comments": p % 7,
                    "shares": n % 5,
                }
                for p in range(POSTS_EACH)
            ),
        )
    assert Post.objects.count() == CREATORS * POSTS_EACH
    period = march(programme)
    # In-process, for reference. Its compute_chunk messages stay queued: the worker meets them
    # first and finds nothing to do (stale messages are part of the drill too).
    clean = computed_run(period, chunk_size=CHUNK)
    expected_awards, expected_receipts, expected_totals = awards_of(clean), receipts_of(clean), clean.totals
    run_cancel(run=clean, actor=staff, reason="the drill computes it again")

    # when: the same period through Celery, the worker killed inside a chunk
    run = run_create(period=period, chunk_size=CHUNK)
    run_compute(run=run)  # on commit: one compute_chunk task per chunk
    chunks = Run.objects.get(pk=run.pk).chunks_total
    assert chunks == CREATORS // CHUNK

    def done() -> int:
        return RunChunk.objects.filter(run=run, status=ChunkStatus.DONE).count()

    worker = workers.start()
    wait_for(lambda: done() >= 3, timeout=90, what="three chunks done", logs=workers.logs)
    # A chunk takes a fraction of a second: to kill the worker inside one, its next receipts
    # COPY is made to wait (a SHARE lock on the table), and the worker is killed while it waits.
    with psycopg.connect(worker_database_url()) as blocker:
        blocker.execute("LOCK TABLE bonuses_receipt IN SHARE MODE")
        wait_for(worker_blocked_writing_receipts, timeout=30, what="a chunk half written", logs=workers.logs)
        workers.kill(worker)
        done_at_kill = done()
        blocker.rollback()
    assert done_at_kill < chunks
    workers.start()
    took = wait_for(
        lambda: Run.objects.get(pk=run.pk).status == RunStatus.COMPUTED,
        timeout=60 + VISIBILITY_TIMEOUT,
        what="the run to complete",
        logs=workers.logs,
    )

    # then: complete, each chunk once, the clean run's awards, receipts and totals exactly
    run.refresh_from_db()
    assert (run.chunks_done, run.chunks_total) == (chunks, chunks)
    assert set(run.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    assert Award.objects.filter(run=run).count() == CREATORS
    duplicates = (
        Receipt.objects.filter(award__run=run)
        .values("award_id", "post_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert Receipt.objects.filter(award__run=run).values("post_id").distinct().count() == len(
        expected_receipts
    )
    assert awards_of(run) == expected_awards
    assert receipts_of(run) == expected_receipts
    assert run.totals == expected_totals and set(expected_totals) == {"KRW", "JPY", "USD"}
    # approved, the run is ledger money: one balanced posting per paid award
    run_approve(run=run, actor=staff)
    paid = Award.objects.filter(run=run, eligible=True, amount_minor__gt=0).count()
    assert LedgerTransaction.objects.filter(reference__startswith="bonus:award:").count() == paid
    assert_books_clean()
    report(
        "bonus run",
        creators=CREATORS,
        posts=CREATORS * POSTS_EACH,
        chunks=chunks,
        chunks_done_at_kill=done_at_kill,
        recovery_seconds=round(took, 1),
        receipts=len(expected_receipts),
        totals=run.totals,
    )
