"""Reconciliation: the ledger against itself and our payouts and refunds against the emulator's."""

import pytest
import stripe
from django.db.models import F

from payments import gateway
from payments.enums import AccountKind, CommissionSource, PayoutStatus, ReconciliationStatus
from payments.models import LedgerAccount, Payment, Payout, ReconciliationReport, Refund
from payments.payouts import payout_fail, payouts_run
from payments.reconciliation import reconciliation_run
from payments.tasks import reconcile
from tests.payments.factories import user_account
from tests.payments.test_payouts import deliver, earn, events, platform_funds, ready_account


@pytest.fixture
def paid_out(stripe_api, control, receiver, creator, django_capture_on_commit_callbacks):
    """A creator paid $25.00: transfer, bank payout and payout.paid handled."""
    ready_account(control, creator.user)
    platform_funds()
    earn(creator.user, 2500)
    with django_capture_on_commit_callbacks(execute=True):
        payouts_run()
    [paid] = events(control, receiver, "payout.paid")
    deliver(paid)
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.PAID
    return payout


@pytest.fixture
def transferred(stripe_api, control, creator, django_capture_on_commit_callbacks):
    """A creator's $25.00 payout transferred and paid at Stripe, its payout.paid never handled."""
    ready_account(control, creator.user)
    platform_funds()
    earn(creator.user, 2500)
    with django_capture_on_commit_callbacks(execute=True):
        payouts_run()
    return Payout.objects.get(status=PayoutStatus.TRANSFERRED)


def refunded_payment(buyer, amount_minor: int = 1000) -> Refund:
    """A charge at the emulator and a partial refund of it, both recorded on our side."""
    payment = Payment.objects.create(
        reference="order:1",
        source=CommissionSource.SHOP_SALE,
        payer=buyer,
        amount_minor=5000,
        currency="USD",
        splits=[{"party": "user:1", "amount_minor": 5000, "source": "shop_sale"}],
    )
    intent = gateway.payment_intent_create(payment=payment, payment_method="pm_card_visa", confirm=True)
    payment.stripe_payment_intent_id = intent.id
    payment.save(update_fields=["stripe_payment_intent_id"])
    refund = Refund.objects.create(payment=payment, amount_minor=amount_minor, currency="USD")
    refund.stripe_refund_id = gateway.refund_create(refund=refund).id
    refund.save(update_fields=["stripe_refund_id"])
    return refund


def kinds(report: ReconciliationReport) -> list[tuple[str, str]]:
    return [(d.kind, d.reference) for d in report.differences.all()]


def test_clean_after_a_payout_and_a_refund(paid_out, buyer, staff):
    refunded_payment(buyer)
    report = reconciliation_run(triggered_by=staff)
    assert report.status == ReconciliationStatus.CLEAN, kinds(report)
    assert report.finished_at is not None and report.triggered_by == staff
    assert report.checked["stripe_transfers"] == 1
    assert report.checked["stripe_refunds"] == 1
    assert report.checked["stripe_bank_payouts"] == 1
    assert report.checked["ledger_problems"] == 0


def test_a_transfer_without_a_payout_is_a_difference(paid_out, creator):
    stray = stripe.Transfer.create(
        amount=700, currency="usd", destination=paid_out.connected_account.stripe_account_id
    )
    report = reconciliation_run()
    assert report.status == ReconciliationStatus.DIFFERENCES
    [difference] = report.differences.all()
    assert (difference.kind, difference.reference, difference.actual) == (
        "transfer_without_payout",
        stray.id,
        "USD 7.00",
    )


def test_a_corrupted_cached_balance_is_a_difference(paid_out, creator):
    account = user_account(creator.user, AccountKind.AVAILABLE)
    LedgerAccount.objects.filter(pk=account.pk).update(balance_minor=F("balance_minor") + 100)
    report = reconciliation_run()
    [difference] = report.differences.all()
    assert (difference.kind, difference.reference) == ("balance_mismatch", f"ledger_account:{account.pk}")
    assert (difference.expected, difference.actual) == ("USD 0.00", "USD 1.00")


def test_stripe_down_fails_the_report_without_crashing_the_task(paid_out, control):
    control.fail_next(500, count=10)
    report = ReconciliationReport.objects.get(pk=reconcile.delay().get())
    assert report.status == ReconciliationStatus.FAILED
    assert "Stripe unreachable" in report.checked["error"]
    assert report.finished_at is not None
    assert report.checked["ledger_problems"] == 0  # what could be checked was


def test_refunds_are_matched_both_ways(stripe_api, buyer):
    ours = refunded_payment(buyer)
    stripe.Refund.create(payment_intent=ours.payment.stripe_payment_intent_id, amount=500)  # not ours
    missing = Refund.objects.create(
        payment=ours.payment, amount_minor=300, currency="USD", stripe_refund_id="re_gone"
    )
    Refund.objects.filter(pk=ours.pk).update(amount_minor=900)
    report = reconciliation_run()
    found = kinds(report)
    assert ("refund_missing", f"refund:{missing.pk}") in found
    assert ("refund_amount_mismatch", f"refund:{ours.pk}") in found
    assert [kind for kind, _ in found].count("refund_without_record") == 1
    assert len(found) == 3


def test_a_missed_payout_paid_webhook_is_a_difference(transferred):
    report = reconciliation_run()
    [difference] = report.differences.all()
    assert (difference.kind, difference.reference) == (
        "bank_payout_status_mismatch",
        f"payout:{transferred.pk}",
    )
    assert (difference.expected, difference.actual) == ("transferred", "paid")


def test_a_failed_payout_whose_transfer_was_not_reversed_is_a_difference(transferred):
    payout_fail(payout=transferred, code="manual", message="failed without reversing the transfer")
    found = kinds(reconciliation_run())
    assert ("transfer_not_reversed", f"payout:{transferred.pk}") in found


def test_a_payout_whose_transfer_stripe_does_not_have_is_a_difference(paid_out):
    Payout.objects.filter(pk=paid_out.pk).update(stripe_transfer_id="tr_unknown")
    found = kinds(reconciliation_run())
    assert ("transfer_missing", f"payout:{paid_out.pk}") in found
    assert ("transfer_without_payout", stripe.Transfer.list().data[0].id) in found
