"""bonus_run: a full bonus run against plain SQL writing the same rows without any rules.

Data (generated in SQL, not timed): CREATORS enrolled creators (KR, JP, US; a few personal
accounts and restricted creators, whom eligibility turns away) and POSTS posts in the March
period (a few deleted, branded, published before enrolment, with invalid views or impossible
ratios). The programme is a pool with caps, so every step runs: eligibility, qualification,
scoring, the post limit, caps, the pool split, awards and one receipt per post.

Measured: run_compute (chunks created) until the run is computed, by two real Celery worker
processes (--pool=solo) taking chunks of CHUNK creators. On PostgreSQL each chunk is one
INSERT … SELECT (bonuses.runs_sql); the pool split is one read and one UPDATE at the end. The
notes say how the time divides between the chunks and that finalisation. Anchor, same database, same run: one
INSERT … SELECT of per-post weighted engagement and one INSERT … SELECT of per-creator totals
into plain tables. Ratio = anchor time / run time (target >= 0.5). The workers' peak resident
memory (VmHWM) is in the notes (target <= 300 MB).
"""

import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from django.db import connection

from bench.harness import Result, celery_workers

CREATORS = int(os.environ.get("BONUS_BENCH_CREATORS", "100000"))
POSTS = int(os.environ.get("BONUS_BENCH_POSTS", "1000000"))
CHUNK = 1000
QUEUE = "bench-bonus"
WORKER_LOGS = Path(tempfile.gettempdir())
PERIOD_START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 4, 1, tzinfo=UTC)
WEIGHTS = {"reel": 50, "carousel": 40, "standard": 30, "like": 1, "comment": 2, "share": 3}


def _reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE bonuses_receipt, bonuses_award, bonuses_runchunk, bonuses_run, bonuses_estimate, "
            "bonuses_enrolment, bonuses_invitation, bonuses_poolbudget, bonuses_period, "
            "bonuses_formulaversion, bonuses_programme, creators_metricsnapshot, creators_post, "
            "creators_standingevent, creators_followersnapshot, creators_creatorprofile, "
            "creators_user RESTART IDENTITY CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_post_weight, bench_creator_total")


def _generate() -> tuple[int, float]:
    """Creators, programme, enrolments and posts; returns the period id and the seconds it took."""
    from bonuses.enums import FundingMode
    from bonuses.services import formula_version_create, pool_budget_set, programme_create
    from common.money import Money

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO creators_user (password, is_superuser, email, display_name, preferred_language, "
            "country, is_active, is_staff, date_joined) "
            "SELECT '!', false, 'b' || g || '@bench.test', 'B' || g, 'en', '', true, false, now() "
            "FROM generate_series(1, %s) g",
            [CREATORS],
        )
        cursor.execute(
            "INSERT INTO creators_creatorprofile (created_at, updated_at, handle, display_name, bio, avatar, "
            "country, niches, languages, account_type, age_attested_at, policy_standing, followers, user_id) "
            "SELECT now(), now(), 'b' || u.id, 'B', '', '', (ARRAY['KR','JP','US'])[1 + u.id %% 3], "
            "'[]', '[]', "
            "CASE WHEN u.id %% 50 = 0 THEN 'personal' ELSE 'professional' END, now(), "
            "CASE WHEN u.id %% 97 = 0 THEN 'restricted' ELSE 'good' END, (u.id * 7919) %% 500000, u.id "
            "FROM creators_user u",
            [],  # parameters (none): "%%" is then read as a literal "%"
        )
    programme = programme_create(
        name="Bench spring",
        slug="bench-spring",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 5, 31),
        funding_mode=FundingMode.POOL,
    )
    version = formula_version_create(
        programme=programme,
        weights=WEIGHTS,
        caps={"USD": {"post": 2_000, "creator": 50_000}, "JPY": {"post": None, "creator": 80_000}},
        published_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    period = programme.periods.get(starts_on=date(2026, 3, 1))
    for country, amount in (
        ("KR", Money(500_000_000, "KRW")),
        ("JP", Money(50_000_000, "JPY")),
        ("US", Money(40_000_000, "USD")),
    ):
        pool_budget_set(period=period, country=country, amount=amount)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bonuses_invitation (created_at, updated_at, programme_id, creator_id, status, "
            "source, responded_at) SELECT now(), now(), %s, c.id, 'accepted', 'admin', '2026-03-03' "
            "FROM creators_creatorprofile c",
            [programme.pk],
        )
        cursor.execute(
            "INSERT INTO bonuses_enrolment (programme_id, creator_id, invitation_id, formula_version_id, "
            "enrolled_at) SELECT i.programme_id, i.creator_id, i.id, %s, timestamptz '2026-03-03' "
            "FROM bonuses_invitation i",
            [version.pk],
        )
        cursor.execute("SELECT min(id) FROM creators_creatorprofile")
        first = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO creators_post (created_at, updated_at, external_id, format, published_at, caption, "
            "is_branded, is_deleted, views, likes, comments, shares, saves, reach, invalid_views, "
            "creator_id) "
            "SELECT now(), now(), 'bp' || g, (ARRAY['reel','carousel','standard'])[1 + g %% 3], "
            "timestamptz '2026-03-01' + ((g * 37) %% (31 * 86400)) * interval '1 second', '', "
            "g %% 10 = 0, g %% 41 = 0, v, "
            "(v * ((g %% 7) + 1)) / 50 + CASE WHEN g %% 199 = 0 THEN v ELSE 0 END, "
            "v / 200, v / 300, 0, v, CASE WHEN g %% 13 = 0 THEN v / 10 ELSE 0 END, "
            "%s + (g %% %s) "
            "FROM (SELECT g, (g * 104729) %% 200000 AS v FROM generate_series(1::bigint, %s::bigint) g) s",
            [first, CREATORS, POSTS],
        )
        cursor.execute("ANALYZE creators_post")
        cursor.execute("ANALYZE bonuses_enrolment")
    return period.pk, time.perf_counter() - started


def _plain_sql(period_id: int) -> float:
    """The anchor: the same rows (one per post, one per creator) by two INSERT … SELECT, no rules."""
    from bonuses.models import Period

    period = Period.objects.get(pk=period_id)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_post_weight (post_id bigint, creator_id bigint, score numeric(40, 0))"
        )
        cursor.execute("CREATE TABLE bench_creator_total (creator_id bigint, score numeric(40, 0))")
        cursor.execute(
            "INSERT INTO bench_post_weight SELECT p.id, p.creator_id, "
            "(p.views * CASE p.format WHEN 'reel' THEN 50 WHEN 'carousel' THEN 40 ELSE 30 END "
            " + 1000 * (p.likes + 2 * p.comments + 3 * p.shares)) * 10000 "
            "FROM creators_post p JOIN bonuses_enrolment e ON e.creator_id = p.creator_id "
            "WHERE e.programme_id = %s AND p.published_at >= %s AND p.published_at < %s",
            [period.programme_id, PERIOD_START, PERIOD_END],
        )
        cursor.execute(
            "INSERT INTO bench_creator_total "
            "SELECT creator_id, sum(score) FROM bench_post_weight GROUP BY creator_id"
        )
    return time.perf_counter() - started


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run() -> Result:
    if not os.environ.get("REDIS_URL"):
        raise RuntimeError("bonus_run needs REDIS_URL (real workers)")
    from django.db.models import Max
    from django.utils import timezone

    from bonuses.enums import RunStatus
    from bonuses.models import Award, Period, Receipt, Run, RunChunk
    from bonuses.runs import run_compute, run_create
    from config.celery_app import app

    app.conf.task_always_eager = False
    app.conf.task_routes = {"bonuses.*": {"queue": QUEUE}}
    # Celery builds its router once, at the first task sent: after another benchmark in this
    # process has sent tasks, the new route would be ignored and the chunks left in "celery".
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
    _reset()
    period_id, generated_in = _generate()
    period = Period.objects.get(pk=period_id)
    anchor = _plain_sql(period_id)
    workers = celery_workers(2, queue=QUEUE, name="bonus")
    try:
        time.sleep(4)  # both workers connected before the clock starts
        run = run_create(period=period, chunk_size=CHUNK)
        started, started_at = time.perf_counter(), timezone.now()
        run_compute(run=run)  # chunks created; on commit, one task per chunk goes to the workers
        while Run.objects.values_list("status", flat=True).get(pk=run.pk) != RunStatus.COMPUTED:
            if time.perf_counter() - started > 1800:
                raise RuntimeError("the run did not finish in 30 minutes")
            if any(worker.poll() is not None for worker in workers):
                raise RuntimeError(f"a worker exited: see {WORKER_LOGS}/bench-bonus-worker-*.log")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        peaks = [_peak_rss_mb(worker.pid) for worker in workers]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    run.refresh_from_db()
    # Where the time went: the chunks (two workers) and the finalisation (pool split, totals).
    last_chunk = RunChunk.objects.filter(run=run).aggregate(last=Max("finished_at"))["last"]
    chunks_s = (last_chunk - started_at).total_seconds()
    finalize_s = (run.computed_at - last_chunk).total_seconds()
    awards = Award.objects.filter(run=run).count()
    receipts = Receipt.objects.filter(award__run=run).count()
    ratio = anchor / elapsed
    return Result(
        value=round(elapsed, 2),
        unit="s per run",
        anchor=round(anchor, 2),
        ratio=round(ratio, 3),
        notes=(
            f"{CREATORS:,} enrolled creators, {POSTS:,} posts (pool with caps); {awards:,} awards and "
            f"{receipts:,} receipts by 2 Celery workers in chunks of {CHUNK} (set-based SQL per chunk on "
            f"PostgreSQL: chunks {chunks_s:.1f} s, pool split and totals {finalize_s:.1f} s); "
            f"anchor: plain INSERT … SELECT "
            f"of per-post weights + per-creator totals ({anchor:.1f} s); worker peak RSS "
            f"{max(peaks):.0f} MB (target <= 300); data generated in {generated_in:.0f} s; "
            f"totals {run.totals}"
        ),
        extra={
            "target_ratio": 0.5,
            "worker_peak_rss_mb": round(max(peaks), 1),
            "awards": awards,
            "receipts": receipts,
            "chunks_s": round(chunks_s, 2),
            "finalize_s": round(finalize_s, 2),
        },
    )
