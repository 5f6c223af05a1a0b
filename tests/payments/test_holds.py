"""holds_release_due: pending earnings become available when their hold is due, exactly once."""

from datetime import timedelta

from common.money import Money
from payments.enums import TransactionKind
from payments.holds import holds_release_due
from payments.models import Hold, LedgerTransaction
from payments.refunds import refund_record
from payments.selectors import ledger_check
from payments.settlement import settlement_post
from tests.payments.factories import (
    PAID_AT,
    available_of,
    paid_payment,
    pending_of,
    run_threads,
    split,
)


def settled(*splits, **options):
    payment = paid_payment(*splits, **options)
    settlement_post(payment=payment)
    return payment


def test_only_due_holds_are_released(creator, other_creator):
    settled(
        split(creator.user, 10_000), split(other_creator.user, 1_000, "affiliate_commission", hold_days=7)
    )

    # Six days on: nothing is due. Seven days on: the affiliate's hold is, the seller's is not.
    assert holds_release_due(now=PAID_AT + timedelta(days=6)) == 0
    assert holds_release_due(now=PAID_AT + timedelta(days=7)) == 1

    assert (pending_of(other_creator.user), available_of(other_creator.user)) == (0, 900)
    assert (pending_of(creator.user), available_of(creator.user)) == (9_500, 0)
    released = Hold.objects.get(party=f"user:{other_creator.user.pk}")
    assert released.released_at == PAID_AT + timedelta(days=7)
    assert released.release is not None
    assert released.release.reference == f"hold:{released.pk}:release"
    assert released.release.kind == TransactionKind.HOLD_RELEASE
    assert ledger_check() == []


def test_a_zero_day_hold_is_released_by_the_next_run(creator):
    settled(split(creator.user, 10_000, hold_days=0))

    assert holds_release_due(now=PAID_AT) == 1
    assert available_of(creator.user) == 9_500


def test_releasing_twice_releases_once(creator):
    settled(split(creator.user, 10_000))
    later = PAID_AT + timedelta(days=31)

    assert holds_release_due(now=later) == 1
    assert holds_release_due(now=later) == 0
    assert holds_release_due(now=later + timedelta(days=100)) == 0

    assert LedgerTransaction.objects.filter(kind=TransactionKind.HOLD_RELEASE).count() == 1
    assert (pending_of(creator.user), available_of(creator.user)) == (0, 9_500)


def test_a_run_releases_at_most_its_limit_oldest_first(creator):
    for days in (3, 1, 2):
        settled(split(creator.user, 1_000, hold_days=days))

    assert holds_release_due(now=PAID_AT + timedelta(days=5), limit=2) == 2
    assert sorted(Hold.objects.filter(released_at__isnull=True).values_list("release_at", flat=True)) == [
        PAID_AT + timedelta(days=3)
    ]
    assert holds_release_due(now=PAID_AT + timedelta(days=5), limit=2) == 1


def test_the_release_moves_what_is_left_after_a_partial_refund(creator):
    payment = settled(split(creator.user, 10_000))
    refund_record(payment=payment, amount=Money(4_000, "USD"))
    hold = Hold.objects.get()
    assert (hold.refunded_minor, hold.remaining_minor) == (3_800, 5_700)

    holds_release_due(now=PAID_AT + timedelta(days=30))

    assert (pending_of(creator.user), available_of(creator.user)) == (0, 5_700)
    assert ledger_check() == []


def test_a_hold_emptied_by_refunds_is_released_without_a_posting(creator):
    payment = settled(split(creator.user, 10_000))
    refund_record(payment=payment, amount=Money(10_000, "USD"))

    assert holds_release_due(now=PAID_AT + timedelta(days=30)) == 1

    hold = Hold.objects.get()
    assert hold.released_at is not None and hold.release is None
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOLD_RELEASE).exists()
    assert (pending_of(creator.user), available_of(creator.user)) == (0, 0)


def test_two_runs_at_once_release_each_hold_once(postgres_only, transactional_db, creator, other_creator):
    for index in range(20):
        settled(split(creator.user, 1_000 + index), split(other_creator.user, 500, "affiliate_commission"))

    results = run_threads(2, lambda index: holds_release_due(now=PAID_AT + timedelta(days=30)))

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 40
    assert not Hold.objects.filter(released_at__isnull=True).exists()
    assert LedgerTransaction.objects.filter(kind=TransactionKind.HOLD_RELEASE).count() == 40
    assert pending_of(creator.user) == pending_of(other_creator.user) == 0
    assert available_of(other_creator.user) == 20 * 450
    assert ledger_check() == []
