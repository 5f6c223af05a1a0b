"""What every fault drill shares: real Celery workers to kill, the Stripe emulator as a process of
its own, and the books checked at the end.

A drill runs on PostgreSQL with committed data (transactional_db), the Redis of REDIS_URL and
worker processes started here (``celery worker --pool=solo``: one process, so ``kill -9`` takes the
whole worker down, the task it held included). Their settings are tests/drills/worker_settings.py:
a queue of their own (``drills``) and a short visibility timeout, so a message held by a killed
worker comes back in seconds instead of Redis's hour. Drills never run in ``make test`` (pyproject's
``-m "not drill"``); ``make drills`` runs them.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.core.management import call_command

from config.celery_app import app
from payments.enums import ReconciliationStatus
from payments.reconciliation import reconciliation_run
from payments.selectors import ledger_check
from stripe_emulator.client import EmulatorControl
from stripe_emulator.testing import configure_stripe
from tests.payments.test_payout_worker_kill import worker_database_url

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 15  # seconds before a dead worker's task is delivered again (worker_settings)
QUEUE = "drills"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str] = str
) -> float:
    """Poll ``condition`` until it holds; return the seconds it took. Fails with the workers' logs."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; logs:\n{logs()[-6000:]}")
        time.sleep(0.05)
    return time.monotonic() - start


# ---------------------------------------------------------------- Celery workers


class Workers:
    """Real worker processes on one private queue; started, SIGKILLed and restarted by a drill."""

    def __init__(self, *, queue: str, env: dict[str, str], log_dir: Path) -> None:
        self.queue, self.env, self.log_dir = queue, env, log_dir
        self.processes: list[subprocess.Popen] = []
        self.kills = 0

    def start(self) -> subprocess.Popen:
        n = len(self.processes)
        log = (self.log_dir / f"worker-{n}.log").open("wb")
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
                self.queue,
                "-n",
                f"drill{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes every process of it
        )
        self.processes.append(process)
        path = self.log_dir / f"worker-{n}.log"
        wait_for(
            lambda: " ready." in path.read_text(errors="replace") or process.poll() is not None,
            timeout=90,
            what=f"worker {n} to start",
            logs=self.logs,
        )
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9 the worker, as a machine that dies: no shutdown, no ack, no rollback by Python."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.kills += 1

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def logs(self) -> str:
        broker = redis.Redis.from_url(self.env["REDIS_URL"])
        state = (
            f"--- broker: {broker.llen(self.queue)} queued, {broker.hlen('unacked')} unacked, "
            f"restore mutex ttl {broker.ttl('unacked_mutex')}"
        )
        return "\n".join(
            [
                *(
                    f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                    for path in sorted(self.log_dir.glob("worker-*.log"))
                ),
                state,
            ]
        )


def _route_everything_to(queue: str | None) -> None:
    """Send every task this process enqueues (on-commit ones included) to ``queue``.

    Celery caches its routing table and its router: both are rebuilt so the new routes take
    effect, and again afterwards.
    """
    app.conf.task_routes = {"*": {"queue": queue}} if queue else None
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


@pytest.fixture
def stripe_service(settings, tmp_path) -> Iterator[EmulatorControl]:
    """The Stripe emulator as its own process (``python -m stripe_emulator``) on a free port."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "emulator.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_emulator",
            "--port",
            str(port),
            "--quiet",
            "--webhook-retry-base",
            "0.05",
            "--webhook-retry-max",
            "1",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    control = EmulatorControl(base_url)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/_emulator/health", timeout=1):  # noqa: S310 loopback
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"the emulator did not start: {(tmp_path / 'emulator.log').read_text()}")
            time.sleep(0.1)
    settings.STRIPE_API_BASE = base_url
    settings.STRIPE_SECRET_KEY = "sk_test_emulator"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_emulator"
    try:
        with configure_stripe(base_url):
            yield control
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def workers(postgres_only, transactional_db, redis_url, stripe_service, tmp_path) -> Iterator[Workers]:
    """No worker runs yet: the drill starts (and kills) them. Every task goes to the drills' queue."""
    # One queue name for every drill: Celery caches its routing in this process, and a drill
    # must never publish to the queue of the one before. The broker's keys are wiped between
    # tests anyway (the cache shares the Redis database: tests/conftest.py clears it).
    queue = QUEUE
    redis.Redis.from_url(redis_url).delete(queue)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",  # the worker logs are read while the worker runs
        "DJANGO_SETTINGS_MODULE": "tests.drills.worker_settings",
        "DRILL_QUEUE": queue,
        "DRILL_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "REDIS_URL": redis_url,
        "DATABASE_URL": worker_database_url(),
        "STRIPE_API_BASE": stripe_service.base_url,
        "STRIPE_SECRET_KEY": "sk_test_emulator",
        "STRIPE_WEBHOOK_SECRET": "whsec_emulator",
    }
    pool = Workers(queue=queue, env=env, log_dir=tmp_path)
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=redis_url)
    _route_everything_to(queue)
    try:
        yield pool
    finally:
        pool.stop()
        _route_everything_to(None)
        app.conf.update(**saved)
        redis.Redis.from_url(redis_url).delete(queue)  # what the drill left queued (duplicates)


def assert_books_clean() -> None:
    """The ledger is balanced (every rule, cached balances included) and agrees with Stripe."""
    assert ledger_check() == []
    report = reconciliation_run()
    assert report.status == ReconciliationStatus.CLEAN, [
        (d.kind, d.reference, d.detail) for d in report.differences.all()
    ]
    call_command("ledger_verify", "--reconcile")  # what an operator runs: raises when not sound


def report(name: str, **figures: object) -> None:
    """Print a drill's figures (shown with -s, and in `make drills`, which passes -s)."""
    print(f"\n[drill {name}] " + ", ".join(f"{key}={value}" for key, value in figures.items()))
