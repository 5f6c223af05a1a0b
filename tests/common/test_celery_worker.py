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

from common.tasks import ping
from config.celery_app import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(redis_url):
    """Start `celery worker` on a private queue, so no other worker can take our task."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
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
    yield queue
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


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
