"""A worker killed in the middle of a transfer: the task comes back, and Stripe sees one transfer.

A real Celery worker (prefork pool, one child) consumes a private Redis queue, with the test
database (committed data: transactional_db) and the emulator. The emulator holds the transfer
request; the pool child that sent it is SIGKILLed while it waits. acks_late plus
task_reject_on_worker_lost (config/settings/base.py) put the message back on the queue, the
worker's new child runs execute_payout again with the same idempotency key, and the emulator
answers both requests with the one transfer.

Needs PostgreSQL and REDIS_URL pointing at a reachable Redis; skipped otherwise (failed in CI).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import stripe
from django.conf import settings

from config.celery_app import app
from payments.enums import PayoutStatus
from payments.models import Payout
from payments.payouts import payouts_run
from payments.selectors import ledger_check
from payments.tasks import execute_payout
from tests.payments.test_payouts import balances, earn, platform_funds, ready_account

ROOT = Path(__file__).resolve().parents[2]
TRANSFER_DELAY = 6.0  # seconds the emulator holds the transfer request

pytestmark = pytest.mark.django_db(transaction=True)


def worker_database_url() -> str:
    """The URL of the database this test runs in (test_<name>), for the worker process."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


@pytest.fixture
def worker(postgres_only, transactional_db, stripe_api, redis_url, tmp_path):
    """A prefork worker (one pool child) on a private queue: (queue, process, log path)."""
    queue = f"test-payout-kill-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": redis_url,
        "DATABASE_URL": worker_database_url(),
        "STRIPE_API_BASE": stripe_api.base_url,
        "STRIPE_SECRET_KEY": "sk_test_emulator",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=redis_url)
    try:
        yield queue, process, log
    finally:
        app.conf.update(**saved)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (the prefork pool's children), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid …": comm may hold spaces, so split after the last ")".
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")
        time.sleep(0.1)


def test_a_worker_killed_during_the_transfer_call_makes_exactly_one_transfer(
    worker, stripe_api, control, creator, monkeypatch
):
    queue, process, log = worker
    payee = creator.user
    # given: a reserved payout, whose automatic enqueue we hold back to send it ourselves
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    monkeypatch.setattr(execute_payout, "delay", lambda *args, **kwargs: None)
    assert payouts_run(run_key="worker-kill") == 1
    payout = Payout.objects.get()
    control.delay(TRANSFER_DELAY, path="/v1/transfers")

    # when: the worker's pool child sends the transfer and waits for Stripe's answer…
    execute_payout.apply_async(args=[payout.pk], queue=queue)
    wait_for(
        lambda: not any(f["kind"] == "delay" for f in stripe_api.faults.pending()),
        timeout=30,
        what="the transfer request to reach the emulator",
        log=log,
    )
    held_at = time.monotonic()
    [child] = children_of(process.pid)
    # …and is killed there (the pool child, not the worker's main process)
    os.kill(child, signal.SIGKILL)

    # then: the message returns to the queue and a new pool child finishes the payout
    def finished() -> bool:
        payout.refresh_from_db()
        return payout.status == PayoutStatus.TRANSFERRED and bool(payout.stripe_payout_id)

    wait_for(finished, timeout=30, what="the redelivered task to finish the payout", log=log)
    assert process.poll() is None, "the worker's main process survives its child"
    assert child not in children_of(process.pid)
    assert payout.attempts == 2  # the killed attempt and the redelivered one
    # The held request is answered too (by then with the stored result): still one transfer.
    time.sleep(max(0.0, held_at + TRANSFER_DELAY + 0.5 - time.monotonic()))
    transfers = stripe.Transfer.list().data
    assert [(t.id, t.amount) for t in transfers] == [(payout.stripe_transfer_id, 2500)]
    assert len(stripe.Payout.list(stripe_account=payout.connected_account.stripe_account_id).data) == 1
    assert balances(payee) == (0, 2500)
    assert ledger_check() == []
