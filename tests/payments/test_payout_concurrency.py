"""Concurrent payout runs on PostgreSQL: a balance is reserved and transferred exactly once.

Each thread has its own database connection and commits for real (transactional_db); Celery is
eager, so the winning thread also makes the transfer at the emulator.
"""

import threading
from collections.abc import Callable

import pytest
import stripe
from django.db import connections

from payments.enums import PayoutStatus
from payments.models import Payout, party_for_user
from payments.payouts import payouts_run
from payments.selectors import ledger_check
from tests.conftest import make_creator
from tests.payments.test_payouts import balances, earn, platform_funds, ready_account

THREADS = 16

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(work: Callable[[int], int]) -> list[int]:
    """Run ``work(i)`` in THREADS threads released together; re-raise the first error."""
    barrier = threading.Barrier(THREADS)
    results: list[int] = []
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    assert len(results) == THREADS
    return results


@pytest.mark.parametrize(
    "run_key",
    [lambda i: "2026-11-22", lambda i: f"run-{i}", lambda i: "2026-11-22" if i % 2 else f"run-{i}"],
    ids=["same-run-key", "different-run-keys", "mixed"],
)
def test_concurrent_runs_pay_a_balance_once(postgres_only, stripe_api, control, creator, run_key):
    # given
    payee = creator.user
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    # when
    created = in_threads(lambda i: payouts_run(run_key=run_key(i)))
    # then
    assert sum(created) == 1
    payout = Payout.objects.get()
    assert (payout.party, payout.amount_minor, payout.status) == (
        party_for_user(payee),
        2500,
        PayoutStatus.TRANSFERRED,
    )
    assert [t.id for t in stripe.Transfer.list().data] == [payout.stripe_transfer_id]
    assert balances(payee) == (0, 2500)
    assert ledger_check() == []


def test_concurrent_runs_pay_every_creator_once(postgres_only, stripe_api, control, creator):
    # given: four creators, two currencies each
    payees = [creator.user] + [make_creator(f"payee{n}", country="US").user for n in range(3)]
    platform_funds(500_000)
    platform_funds(500_000, "jpy")
    for n, payee in enumerate(payees):
        ready_account(control, payee)
        earn(payee, 2500 + n, reference=f"sale:usd:{n}")
        earn(payee, 1000 + n, "JPY", reference=f"sale:jpy:{n}")
    # when
    created = in_threads(lambda i: payouts_run(run_key=f"run-{i % 3}"))
    # then
    assert sum(created) == 8
    assert Payout.objects.count() == 8
    assert sorted(t.amount for t in stripe.Transfer.list(limit=100).data) == sorted(
        [2500 + n for n in range(4)] + [1000 + n for n in range(4)]
    )
    for n, payee in enumerate(payees):
        assert balances(payee) == (0, 2500 + n)
        assert balances(payee, "JPY") == (0, 1000 + n)
    assert ledger_check() == []
