"""Refunds in the ledger: proportional, cumulative, commission included, undone when Stripe fails."""

from datetime import timedelta

import pytest

from common.errors import ApplicationError
from common.money import Money
from payments.enums import AccountKind, PaymentStatus, RefundStatus, TransactionKind
from payments.holds import holds_release_due
from payments.models import Hold, LedgerTransaction, Payment, Refund, party_for_user
from payments.refunds import refund_mark_failed, refund_mark_succeeded, refund_plan, refund_record
from payments.selectors import ledger_check
from payments.settlement import settlement_post
from tests.payments.factories import (
    PAID_AT,
    available_of,
    clearing_balance,
    move,
    paid_payment,
    pending_of,
    revenue,
    split,
    user_account,
)


def settled(*splits, **options) -> Payment:
    payment = paid_payment(*splits, **options)
    settlement_post(payment=payment)
    return payment


def refund(payment: Payment, amount_minor: int, **options) -> Refund:
    return refund_record(payment=payment, amount=Money(amount_minor, payment.currency), **options)


def payout(user, amount_minor: int, currency: str = "USD", reference: str = "payout:1") -> None:
    """What the payout service does first: available → payable_out (simulated here)."""
    move(
        reference=reference,
        source=user_account(user, AccountKind.AVAILABLE, currency),
        target=user_account(user, AccountKind.PAYABLE_OUT, currency),
        amount_minor=amount_minor,
        kind=TransactionKind.PAYOUT,
    )


def snapshot(users, currency: str) -> dict[str, int]:
    balances = {"clearing": clearing_balance(currency), "revenue": revenue(currency)}
    for index, user in enumerate(users):
        balances[f"pending {index}"] = pending_of(user, currency)
        balances[f"available {index}"] = available_of(user, currency)
    return balances


# ---------------------------------------------------------------- proportional and exact


@pytest.mark.parametrize(
    ("currency", "gross", "steps"),
    [
        ("USD", 10_001, [3_333, 3_333, 1, 3_334]),
        ("JPY", 1_999, [1, 999, 999]),
        ("KRW", 70_001, [10_000, 33_333, 26_668]),
    ],
)
def test_partial_refunds_add_up_exactly_to_the_original_splits(
    creator, other_creator, brand, currency, gross, steps
):
    # given: a three-party sale, settled
    seller, affiliate = gross - gross // 7 - 100, gross // 7
    payment = settled(
        split(creator.user, seller),
        split(other_creator.user, affiliate, "affiliate_commission"),
        split(brand, 100, "sponsorship"),
        currency=currency,
    )
    start = {"seller": pending_of(creator.user, currency), "revenue": revenue(currency)}

    # when: refunded in steps, each step giving back exactly its amount
    for amount in steps:
        posted = refund(payment, amount).ledger_transaction
        assert (
            sum(e.amount_minor for e in posted.entries.exclude(account__kind=AccountKind.STRIPE_CLEARING))
            == -amount
        )

    # then: every account is back to zero, commission included
    users = [creator.user, other_creator.user, brand]
    assert set(snapshot(users, currency).values()) == {0}
    assert start["seller"] > 0 and start["revenue"] > 0
    payment.refresh_from_db()
    assert payment.amount_refunded_minor == gross
    assert all(hold.remaining_minor == 0 for hold in Hold.objects.all())
    assert ledger_check() == []


def test_a_partial_refund_takes_commission_back_in_proportion(creator):
    payment = settled(split(creator.user, 10_000))

    posted = refund(payment, 2_000, reason="damaged").ledger_transaction

    assert sorted(posted.entries.values_list("account__kind", "amount_minor")) == [
        ("commission_revenue", -100),
        ("pending", -1_900),
        ("stripe_clearing", 2_000),
    ]
    assert posted.reference == f"refund:{Refund.objects.get().pk}"
    assert posted.kind == TransactionKind.REFUND
    assert (pending_of(creator.user), revenue(), clearing_balance()) == (7_600, 400, -8_000)
    assert Hold.objects.get().refunded_minor == 1_900


def test_the_plan_is_cumulative_and_sums_to_the_refund(creator, other_creator):
    payment = settled(
        split(creator.user, 1), split(other_creator.user, 2, "affiliate_commission"), currency="JPY"
    )
    # ¥3 at 5% and 10%: commission rounds to 0 on ¥1 and ¥2 (half up of 0.05 and 0.2).
    given_back: dict[str, int] = {}
    for _step in range(3):
        plan = refund_plan(payment=payment, amount=Money(1, "JPY"))
        assert sum(part.amount_minor for _account, part in plan) == 1
        refund(payment, 1)
        payment.refresh_from_db()
        for account, part in plan:
            given_back[account.party] = given_back.get(account.party, 0) + part.amount_minor
    assert given_back == {party_for_user(creator.user): 1, party_for_user(other_creator.user): 2}


# ---------------------------------------------------------------- refused


def test_a_refund_above_what_is_left_is_refused(creator):
    payment = settled(split(creator.user, 10_000))
    refund(payment, 6_000)

    with pytest.raises(ApplicationError) as error:
        refund(payment, 4_001)

    assert error.value.code == "refund_exceeds_remaining"
    assert Refund.objects.count() == 1
    refund(payment, 4_000)  # exactly what is left is fine
    assert Payment.objects.get(pk=payment.pk).amount_refunded_minor == 10_000


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (Money(0, "USD"), "invalid_amount"),
        (Money(-5, "USD"), "invalid_amount"),
        (Money(5, "JPY"), "currency_mismatch"),
    ],
)
def test_odd_amounts_are_refused(creator, amount, code):
    payment = settled(split(creator.user, 10_000))

    with pytest.raises(ApplicationError) as error:
        refund_record(payment=payment, amount=amount)

    assert error.value.code == code
    assert not Refund.objects.exists()


def test_a_payment_must_be_paid_and_settled_before_a_refund(creator):
    unpaid = paid_payment(split(creator.user, 10_000), status=PaymentStatus.PENDING)
    unsettled = paid_payment(split(creator.user, 10_000))

    with pytest.raises(ApplicationError) as not_paid:
        refund(unpaid, 100)
    with pytest.raises(ApplicationError) as not_settled:
        refund(unsettled, 100)

    assert (not_paid.value.code, not_settled.value.code) == ("payment_not_paid", "payment_not_settled")
    assert not Refund.objects.exists() and not LedgerTransaction.objects.exists()


# ---------------------------------------------------------------- after the hold


def test_a_refund_after_payout_leaves_a_debt_that_later_earnings_repay(creator, buyer):
    # given: a sale released from its hold and paid out
    payment = settled(split(creator.user, 10_000))
    holds_release_due(now=PAID_AT + timedelta(days=30))
    payout(creator.user, 9_500)

    # when: the buyer is refunded in full
    record = refund(payment, 10_000, requested_by=buyer)

    # then: the creator owes the money back
    assert record.requested_by == buyer
    assert (pending_of(creator.user), available_of(creator.user)) == (0, -9_500)
    assert Hold.objects.get().refunded_minor == 0  # nothing came out of the released hold

    # and: the next earnings pay the debt first
    settled(split(creator.user, 20_000), paid_at=PAID_AT + timedelta(days=31))
    holds_release_due(now=PAID_AT + timedelta(days=61))
    assert available_of(creator.user) == -9_500 + 19_000
    assert ledger_check() == []


# ---------------------------------------------------------------- the gateway's answer


def test_a_failed_refund_puts_everything_back(creator, other_creator):
    payment = settled(split(creator.user, 9_000), split(other_creator.user, 1_000, "affiliate_commission"))
    users = [creator.user, other_creator.user]
    before = snapshot(users, "USD")
    first = refund(payment, 3_000)

    failed = refund_mark_failed(refund=first, message="card closed")
    refund_mark_failed(refund=first, message="again")  # a duplicate webhook changes nothing

    assert (failed.status, failed.failure_message) == (RefundStatus.FAILED, "card closed")
    assert snapshot(users, "USD") == before
    assert all(hold.refunded_minor == 0 for hold in Hold.objects.all())
    assert Payment.objects.get(pk=payment.pk).amount_refunded_minor == 0
    assert (
        LedgerTransaction.objects.get(reverses=first.ledger_transaction).reference
        == f"refund:{first.pk}:reverse"
    )
    # The whole payment can still be refunded, exactly.
    refund(Payment.objects.get(pk=payment.pk), 10_000)
    assert set(snapshot(users, "USD").values()) == {0}
    assert ledger_check() == []


def test_a_refund_that_fails_after_its_hold_was_released_goes_back_to_available(creator):
    payment = settled(split(creator.user, 10_000))
    record = refund(payment, 4_000)
    holds_release_due(now=PAID_AT + timedelta(days=30))
    assert available_of(creator.user) == 5_700

    refund_mark_failed(refund=record, message="expired card")

    assert (pending_of(creator.user), available_of(creator.user), revenue()) == (0, 9_500, 500)
    assert LedgerTransaction.objects.filter(reference=f"refund:{record.pk}:restore").exists()
    assert ledger_check() == []


def test_refunds_failing_out_of_order_still_end_exact(creator, other_creator, brand):
    # Three parties and odd amounts make the cumulative split round differently at each step.
    payment = settled(
        split(creator.user, 337),
        split(other_creator.user, 331, "affiliate_commission"),
        split(brand, 333, "bonus"),
    )
    users = [creator.user, other_creator.user, brand]
    first = refund(payment, 101)
    refund(payment, 233)
    refund_mark_failed(refund=first, message="declined")

    refund(Payment.objects.get(pk=payment.pk), 1_001 - 233)

    assert set(snapshot(users, "USD").values()) == {0}
    assert ledger_check() == []


def test_a_refund_is_marked_succeeded_once(creator):
    record = refund(settled(split(creator.user, 10_000)), 1_000)

    refund_mark_succeeded(refund=record, stripe_refund_id="re_123")
    again = refund_mark_succeeded(refund=record, stripe_refund_id="re_123")

    assert (again.status, again.stripe_refund_id) == (RefundStatus.SUCCEEDED, "re_123")
    with pytest.raises(ApplicationError) as other_id:
        refund_mark_succeeded(refund=record, stripe_refund_id="re_999")
    assert other_id.value.code == "refund_not_pending"


def test_a_succeeded_refund_that_fails_later_is_undone_and_cannot_succeed_again(creator):
    payment = settled(split(creator.user, 10_000))
    record = refund(payment, 1_000)
    refund_mark_succeeded(refund=record, stripe_refund_id="re_1")

    refund_mark_failed(refund=record, message="refund.failed after success")

    assert (pending_of(creator.user), revenue(), clearing_balance()) == (9_500, 500, -10_000)
    with pytest.raises(ApplicationError) as error:
        refund_mark_succeeded(refund=record, stripe_refund_id="re_1")
    assert error.value.code == "refund_not_pending"
