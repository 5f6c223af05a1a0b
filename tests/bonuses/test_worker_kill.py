"""A real Celery worker killed in the middle of a chunk: the run resumes and gives the same awards.

A prefork worker (one pool child) consumes a private Redis queue with the test database. The
test holds a SHARE lock on the receipts table, so the child that computes a chunk blocks while
writing it (its chunk row locked); the child is SIGKILLed there.
Its database transaction dies with it, acks_late plus task_reject_on_worker_lost put the message
back, and a new child computes the chunk from scratch.

Needs PostgreSQL and REDIS_URL; skipped otherwise (failed in CI).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from bonuses.enums import RunStatus
from bonuses.models import Award, Run
from bonuses.runs import run_cancel, run_compute, run_create
from config.celery_app import app
from tests.bonuses.factories import enrol, ingest, make_formula, make_programme, march
from tests.conftest import make_creator
from tests.payments.test_payout_worker_kill import children_of, wait_for, worker_database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(postgres_only, transactional_db, redis_url, tmp_path):
    queue = f"test-bonus-kill-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": worker_database_url(),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                *(
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                ),
                *(
                    "-Q",
                    queue,
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
        "task_routes": app.conf.task_routes,
    }
    app.conf.update(
        task_always_eager=False, broker_url=redis_url, task_routes={"bonuses.*": {"queue": queue}}
    )
    try:
        yield process, log
    finally:
        app.conf.update(**saved)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def awards_of(run: Run) -> dict[str, int]:
    return dict(Award.objects.filter(run=run).values_list("creator__handle", "amount_minor"))


def test_a_run_whose_worker_is_killed_mid_chunk_resumes_with_identical_awards(worker, creator, other_creator):
    process, log = worker
    programme = make_programme()
    make_formula(programme)
    for index, profile in enumerate((creator, other_creator, make_creator("jiwoo", country="US"))):
        enrol(programme, profile)
        ingest(
            profile, *({"views": 1000 * (index + 1) + day, "likes": day, "day": 6 + day} for day in range(4))
        )

    def computed(run: Run) -> bool:
        return Run.objects.get(pk=run.pk).status == RunStatus.COMPUTED

    reference = run_create(period=march(programme), chunk_size=1)
    run_compute(run=reference)  # on commit: one task per chunk, to the real worker
    wait_for(lambda: computed(reference), timeout=60, what="the reference run", log=log)
    expected = awards_of(reference)
    run_cancel(run=reference, actor=creator.user, reason="compute again")

    run = run_create(period=march(programme), chunk_size=1)
    with psycopg.connect(worker_database_url()) as blocker:
        blocker.execute("LOCK TABLE bonuses_receipt IN SHARE MODE")  # receipts wait; awards go in
        run_compute(run=run)

        def writing() -> bool:
            with psycopg.connect(worker_database_url(), autocommit=True) as probe:
                waiting = probe.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND (query LIKE 'COPY bonuses_receipt%%' "
                    "OR query LIKE '%%INSERT INTO bonuses_receipt%%')"
                ).fetchone()
            return bool(waiting and waiting[0])

        wait_for(writing, timeout=30, what="the worker to block writing receipts", log=log)
        [child] = children_of(process.pid)
        os.kill(child, signal.SIGKILL)
        time.sleep(1)  # the server notices the closed connection and rolls its transaction back
        blocker.rollback()

    wait_for(lambda: computed(run), timeout=60, what="the run to resume and finish", log=log)
    assert process.poll() is None, "the worker's main process survives its child"
    assert awards_of(run) == expected
    assert "SIGKILL" in log.read_text()  # the chunk really died with its worker and came back
