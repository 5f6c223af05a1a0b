"""settlement_throughput: paid charges settled per second by the settlement path, two workers.

Each charge has a seller, an affiliate and the platform's commission (three parties). Two real
Celery worker processes consume batches of payment ids from Redis (payments.settle_payments,
one database transaction per batch, each charge settled exactly once). The anchor is pgbench
TPC-B on the same database server in the same run (pgbench -i -s 10, 8 clients, 20 s).
Target ratio >= 1.0.

Where a batch's time goes (payments/settlement_bulk.py; the first tenth of the charges meets
2,000 parties' accounts for the first time): one SELECT … FOR UPDATE of the payments (with each
one's "already has a settlement transaction" flag), the rules, the accounts (one INSERT … ON
CONFLICT for new ones), ONE statement writing the transactions, entries, holds and payments'
settlement_id, one statement locking and updating the balances, commit (the deferred balance
check, one per ledger transaction). The ledger's statement trigger checks the entries' accounts
and transactions once per INSERT (migration 0007): the deferred foreign-key checks it replaced
were two per entry and half the commit. Celery's Django fixup also closes the worker's database
connection around every task unless CELERY_DB_REUSE_MAX is set, so each batch would pay for a
new PostgreSQL backend and its cold caches.
"""

import os
import time

from django.db import connection
from django.utils import timezone

from bench.harness import Result, celery_workers, database_url, pgbench_tps
from payments.commission import commission_defaults_ensure
from payments.enums import CommissionSource, PaymentStatus
from payments.models import Hold, LedgerAccount, LedgerEntry, LedgerTransaction, Payment
from payments.selectors import ledger_check

CHARGES = 20_000
BATCH = 100
PARTIES = 1_000
QUEUE = "bench-settlement"


def _reset() -> None:
    # The benchmark database is the benchmarks' own: start from an empty payments ledger (the
    # append-only triggers refuse UPDATE and DELETE, not TRUNCATE).
    tables = ", ".join(
        m._meta.db_table for m in (Hold, LedgerEntry, LedgerTransaction, Payment, LedgerAccount)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    commission_defaults_ensure()  # the rules settlement needs, whatever emptied the database before


def _paid_charges() -> list[int]:
    now = timezone.now()
    payments = []
    for i in range(CHARGES):
        gross = 1_000 + (i * 37) % 9_000
        affiliate = gross // 10
        payments.append(
            Payment(
                reference=f"bench:{i}",
                source=CommissionSource.SHOP_SALE,
                amount_minor=gross,
                currency="USD",
                country="US",
                status=PaymentStatus.SUCCEEDED,
                paid_at=now,
                splits=[
                    {
                        "party": f"user:{1_000_000 + i % PARTIES}",
                        "amount_minor": gross - affiliate,
                        "source": "shop_sale",
                    },
                    {
                        "party": f"user:{2_000_000 + i % PARTIES}",
                        "amount_minor": affiliate,
                        "source": "affiliate_commission",
                    },
                ],
            )
        )
    return [p.pk for p in Payment.objects.bulk_create(payments, batch_size=2_000)]


def _settled() -> int:
    return Payment.objects.filter(settlement__isnull=False).count()


def run() -> Result:
    if not os.environ.get("REDIS_URL"):
        raise RuntimeError("settlement_throughput needs REDIS_URL (real workers)")
    from config.celery_app import app
    from payments.tasks import settle_payments

    app.conf.task_always_eager = False
    _reset()
    ids = _paid_charges()
    with connection.cursor() as cursor:
        # 20,000 rows just loaded into a truncated table have no statistics yet; without them the
        # planner answers "these 100 ids, unsettled" with a bitmap scan over every unsettled row.
        # A live database has statistics (autovacuum keeps them), so the bench gives it them too.
        cursor.execute("ANALYZE payments_payment")
    workers = celery_workers(2, queue=QUEUE, name="settlement")
    try:
        time.sleep(3)  # let both workers connect before the clock starts
        started = time.perf_counter()
        for start in range(0, len(ids), BATCH):
            settle_payments.apply_async(args=[ids[start : start + BATCH]], queue=QUEUE)
        while _settled() < CHARGES:
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"only {_settled()} of {CHARGES} settled in 10 minutes")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    settlements = LedgerTransaction.objects.filter(reference__endswith=":settle").count()
    problems = ledger_check()
    tps = pgbench_tps(database_url())
    value = CHARGES / elapsed
    return Result(
        value=round(value, 1),
        unit="settlements/s",
        anchor=round(tps, 1),
        ratio=round(value / tps, 3),
        notes=(
            f"{CHARGES:,} charges x 3 parties in {elapsed:.1f} s by 2 Celery workers, batches of {BATCH}; "
            f"{settlements:,} settlement transactions (exactly once: {settlements == CHARGES}); "
            f"ledger_check problems: {len(problems)}; anchor pgbench TPC-B -s 10, 8 clients, 20 s"
        ),
        extra={"target_ratio": 1.0, "exactly_once": settlements == CHARGES, "ledger_problems": len(problems)},
    )
