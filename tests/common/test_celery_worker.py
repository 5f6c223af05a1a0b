"""A real Celery worker, in its own process, consuming from Redis.

Runs wherever REDIS_URL points at a reachable Redis (as in CI); skipped elsewhere with a reason.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from common.tasks import db_session, ping
from config.celery_app import app
from tests.payments.test_payout_worker_kill import worker_database_url

ROOT = Path(__file__).resolve().parents[2]


def start_worker(redis_url, **env_extra):
    """Start `celery worker` on a private queue, so no other worker can take our task."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **env_extra,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return queue, process


def stop_worker(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def worker(redis_url):
    queue, process = start_worker(redis_url)
    yield queue
    stop_worker(process)


@pytest.fixture
def real_broker(redis_url, monkeypatch):
    monkeypatch.setattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    app.conf.update(task_always_eager=False, broker_url=redis_url, result_backend=redis_url)
    yield
    app.conf.update(task_always_eager=True)


def _sessions(queue, count=3):
    # This test is the client, not a task: the guard against joining inside a task is lifted.
    return [
        db_session.apply_async(queue=queue).get(timeout=60, disable_sync_subtasks=False) for _ in range(count)
    ]


def test_a_real_worker_completes_a_task(worker, redis_url, monkeypatch):
    monkeypatch.setattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    app.conf.update(task_always_eager=False, broker_url=redis_url, result_backend=redis_url)
    try:
        result = ping.apply_async(args=["hello"], queue=worker)
        # This test is the client, not a task: an eager task earlier in the same process may have
        # left Celery believing otherwise, so the guard against joining inside a task is lifted.
        assert result.get(timeout=60, disable_sync_subtasks=False) == "pong:hello"
        assert result.status == "SUCCESS"
    finally:
        app.conf.update(task_always_eager=True)


@pytest.mark.django_db
@pytest.mark.parametrize(("conn_max_age", "shared"), [("60", True), ("0", False)])
def test_a_worker_keeps_its_database_session_as_web_processes_do(
    redis_url, real_broker, conn_max_age, shared
):
    """With CONN_MAX_AGE, consecutive tasks share one PostgreSQL session (Celery alone would open
    a new one for each task); without it, each task has its own, as each request would."""
    if connection.vendor != "postgresql":
        pytest.skip("the session id is PostgreSQL's backend pid")
    queue, process = start_worker(redis_url, DATABASE_URL=worker_database_url(), CONN_MAX_AGE=conn_max_age)
    try:
        sessions = _sessions(queue)
    finally:
        stop_worker(process)
    assert all(sessions)
    assert (len(set(sessions)) == 1) is shared
    assert shared or len(set(sessions)) == len(sessions)
