"""Drill 2: the worker of a payout run is killed twice: while the run creates payouts, and while
it sends their transfers.

40 creators with a ready Connect account at the emulator have money in `available`. The daily
``payments.run_payouts`` task runs on a worker; each payout it reserves queues its
``payments.execute_payout`` (transfer, then bank payout). The emulator answers transfers slowly
(0.4 s). Kill 2 waits for a transfer in flight (its attempt counted, its transfer not recorded):
Stripe makes that transfer, and the dead worker never records it. The emulator's webhooks (transfer.created,
payout.paid) reach the app through a live server and are processed by the workers too.

Kill 1 comes once the run has created some payouts, kill 2 once some transfers are made; each
time a new worker takes over and the dead worker's task comes back (acks_late). Every creator
must be paid exactly once: one payout, one transfer and one bank payout at Stripe (idempotency
keys), the ledger's paid postings equal to Stripe's transfers, reconciliation clean.
"""

import pytest
import stripe

from payments.enums import AccountKind, PayoutStatus
from payments.models import LedgerAccount, LedgerTransaction, Payout, party_for_user
from payments.tasks import run_payouts
from tests.conftest import make_creator
from tests.drills.conftest import VISIBILITY_TIMEOUT, assert_books_clean, report, wait_for
from tests.payments.test_payouts import earn, platform_funds, ready_account

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CREATORS = 40
TRANSFER_SECONDS = 0.4


def count(status: str | None = None) -> int:
    payouts = Payout.objects.all()
    return payouts.filter(status=status).count() if status else payouts.count()


def test_a_payout_run_whose_worker_is_killed_twice_pays_each_creator_exactly_once(
    workers, stripe_service, live_server
):
    control = stripe_service
    control.add_webhook_endpoint(f"{live_server.url}/webhooks/stripe/")
    # given: 40 ready creators, each with a different available balance, and a funded platform
    creators = [make_creator(f"payee{n}", country="US").user for n in range(CREATORS)]
    expected = {}
    for n, user in enumerate(creators):
        ready_account(control, user)
        earn(user, 1500 + 11 * n, reference=f"sale:drill:{n}")
        expected[party_for_user(user)] = 1500 + 11 * n
    platform_funds(10_000_000)
    control.delay(TRANSFER_SECONDS, method="POST", path="/v1/transfers", count=None)

    # when: the run starts on a worker, which is killed while it creates the payouts…
    worker = workers.start()
    run_payouts.delay()
    wait_for(lambda: count() >= 5, timeout=60, what="the run to create payouts", logs=workers.logs)
    workers.kill(worker)
    created_at_kill_1 = count()
    assert created_at_kill_1 < CREATORS, "the worker was killed before the run had created every payout"
    # …then again in the middle of a transfer call, a third of the way through
    worker = workers.start()

    in_flight: list[int] = []

    def transfer_in_flight() -> bool:
        sent = count(PayoutStatus.PAID) + count(PayoutStatus.TRANSFERRED)
        if sent < CREATORS // 3:
            return False
        in_flight[:] = Payout.objects.filter(status=PayoutStatus.PENDING, attempts=1).values_list(
            "pk", flat=True
        )
        return bool(in_flight)

    wait_for(
        transfer_in_flight, timeout=60 + VISIBILITY_TIMEOUT, what="a transfer in flight", logs=workers.logs
    )
    workers.kill(worker)
    sent_at_kill_2 = count(PayoutStatus.PAID) + count(PayoutStatus.TRANSFERRED)
    assert sent_at_kill_2 < CREATORS, "the worker was killed before the last transfer"
    workers.start()
    took = wait_for(
        lambda: count(PayoutStatus.PAID) == CREATORS,
        timeout=90 + VISIBILITY_TIMEOUT,
        what="every payout paid",
        logs=workers.logs,
    )
    control.clear_faults()

    # then: one payout per creator, for its whole balance
    payouts = list(Payout.objects.select_related("connected_account"))
    assert {p.party: p.amount_minor for p in payouts} == expected
    assert len(payouts) == CREATORS
    # Stripe made one transfer per payout, the one each payout recorded, for its amount
    transfers = list(stripe.Transfer.list(limit=100).auto_paging_iter())
    assert sorted((t.id, t.amount) for t in transfers) == sorted(
        (p.stripe_transfer_id, p.amount_minor) for p in payouts
    )
    # the transfer in flight at kill 2 was made once and paid: either the redelivered task asked
    # Stripe again (same idempotency key), or the transfer.created webhook recorded it first
    assert in_flight and all(p.status == PayoutStatus.PAID for p in payouts if p.pk in in_flight)
    # one bank payout per connected account
    for payout in payouts:
        account = payout.connected_account.stripe_account_id
        bank_payouts = stripe.Payout.list(stripe_account=account).data
        assert [(b.id, b.amount) for b in bank_payouts] == [(payout.stripe_payout_id, payout.amount_minor)]
    # the ledger says the same: every creator's money left once, nothing is left owed
    assert LedgerTransaction.objects.filter(reference__regex=r"^payout:\d+:paid$").count() == len(transfers)
    assert not LedgerTransaction.objects.filter(reference__endswith=":return").exists()
    balances = LedgerAccount.objects.filter(kind__in=[AccountKind.AVAILABLE, AccountKind.PAYABLE_OUT])
    assert set(balances.values_list("balance_minor", flat=True)) == {0}
    assert_books_clean()
    report(
        "payout run",
        creators=CREATORS,
        payouts_created_at_kill_1=created_at_kill_1,
        transfers_sent_at_kill_2=sent_at_kill_2,
        kills=workers.kills,
        recovery_seconds=round(took, 1),
        stripe_transfers=len(transfers),
        transfer_attempts=sum(p.attempts for p in payouts),
    )
