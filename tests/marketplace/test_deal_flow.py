"""The full deal flow through the Stripe emulator, with the ledger checked to the cent.

A $1,000.00 deal of two reels; sponsorship commission 10% (the default rule). Funding puts the
whole amount in escrow with no commission; each approval releases $500.00: $450.00 to the
creator's pending (7-day hold), $50.00 commission.
"""

from datetime import timedelta

import pytest
import stripe
from django.utils import timezone

from common.errors import ApplicationError
from common.money import Money
from marketplace.enums import DealEventKind, DealStatus, DeliverableStatus
from marketplace.models import Deal
from marketplace.services.deals import (
    deal_cancel,
    deal_fund_start,
    deliverable_approve,
    deliverable_submit,
    deliverables_auto_approve_due,
    dispute_open,
    dispute_resolve,
)
from payments.enums import AccountKind, PaymentStatus, ReconciliationStatus, RefundStatus
from payments.escrow import escrow_state
from payments.models import Hold, LedgerAccount, Payment, Refund, party_for_user
from payments.reconciliation import reconciliation_run
from payments.selectors import ledger_check
from tests.marketplace.factories import make_deal
from tests.payments.test_webhooks import Feed


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


def balance(party: str, kind: str, currency: str = "USD") -> int:
    account = LedgerAccount.objects.filter(party=party, kind=kind, currency=currency).first()
    return account.balance_minor if account else 0


def escrow() -> int:
    return balance("platform", AccountKind.ESCROW)


def fund_on_mobile(deal: Deal, owner, feed) -> Deal:
    started = deal_fund_start(deal=deal, user=owner, channel="mobile")
    stripe.PaymentIntent.confirm(started["payment_intent_id"], payment_method="pm_card_visa")
    assert "payment_intent.succeeded" in feed()
    return Deal.objects.get(pk=deal.pk)


def test_fund_partial_release_and_auto_approval_to_the_cent(glow, owner, manager, listed, feed):
    creator_party = party_for_user(listed.user)
    deal = make_deal(glow, owner, listed, amount_minor=100_000)
    assert deal.status == DealStatus.AWAITING_FUNDING

    # given: the brand pays through a PaymentIntent; the webhook starts the deal
    deal = fund_on_mobile(deal, owner, feed)
    assert deal.status == DealStatus.ACTIVE and deal.funded_at is not None
    payment = Payment.objects.get(reference=f"deal:{deal.pk}")
    assert payment.status == PaymentStatus.SUCCEEDED and payment.settlement_id
    assert escrow() == 100_000  # the whole amount, no commission on funding
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 0
    assert balance("platform", AccountKind.STRIPE_CLEARING) == -100_000
    assert balance(creator_party, AccountKind.PENDING) == 0

    # when: the first reel is submitted and a manager approves it
    first, second = deal.deliverables.order_by("position")
    deliverable_submit(deliverable=first, user=listed.user, post_url="https://social.example/p/abc")
    deliverable_approve(deliverable=first, user=manager)

    # then: half the escrow is released, minus 10% commission, on a 7-day hold
    assert escrow() == 50_000
    assert balance(creator_party, AccountKind.PENDING) == 45_000
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 5_000
    hold = Hold.objects.get(party=creator_party)
    assert hold.amount_minor == 45_000
    assert timedelta(days=6, hours=23) < hold.release_at - timezone.now() <= timedelta(days=7)
    assert escrow_state(payment=payment).remaining == Money(50_000, "USD")

    # when: the second is submitted and the brand does nothing for 5 business days
    deliverable_submit(deliverable=second, user=listed.user, post_url="https://social.example/p/def")
    assert deliverables_auto_approve_due(now=timezone.now() + timedelta(days=3)) == 0
    assert deliverables_auto_approve_due(now=timezone.now() + timedelta(days=8)) == 1
    assert deliverables_auto_approve_due(now=timezone.now() + timedelta(days=8)) == 0  # claimed once

    deal = Deal.objects.get(pk=deal.pk)
    second.refresh_from_db()
    assert second.status == DeliverableStatus.APPROVED and second.approved_by is None
    assert deal.status == DealStatus.COMPLETED and deal.released_minor == 100_000
    assert escrow() == 0
    assert balance(creator_party, AccountKind.PENDING) == 90_000
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 10_000
    kinds = list(deal.events.values_list("kind", flat=True))
    assert DealEventKind.AUTO_APPROVED in kinds and kinds[-1] == DealEventKind.COMPLETED
    assert ledger_check() == []


def test_cancellation_before_delivery_refunds_the_brand_minus_the_fee(
    glow, owner, listed, feed, control, django_capture_on_commit_callbacks
):
    creator_party = party_for_user(listed.user)
    deal = make_deal(glow, owner, listed, amount_minor=100_000)
    # given: funded on the web, through Checkout
    url = deal_fund_start(
        deal=deal, user=owner, channel="web", success_url="http://app/ok", cancel_url="http://app/no"
    )["checkout_url"]
    control.pay_checkout(url)
    assert "checkout.session.completed" in feed()
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.status == DealStatus.ACTIVE and escrow() == 100_000

    # when: the owner cancels before anything is delivered
    with django_capture_on_commit_callbacks(execute=True):
        deal_cancel(deal=deal, user=owner, reason="campaign moved")

    # then: 10% to the creator (minus commission), 90% back to the brand through Stripe
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.status == DealStatus.CANCELLED
    assert (deal.released_minor, deal.refunded_minor) == (10_000, 90_000)
    assert escrow() == 0
    assert balance(creator_party, AccountKind.PENDING) == 9_000
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 1_000
    refund = Refund.objects.get(payment=deal.payment)
    assert (refund.amount_minor, refund.status) == (90_000, RefundStatus.SUCCEEDED)
    assert balance("platform", AccountKind.STRIPE_CLEARING) == -10_000
    assert ledger_check() == []
    # Reconciliation against Stripe (the emulator) finds the refund where the ledger says it is.
    report = reconciliation_run()
    assert report.status == ReconciliationStatus.CLEAN, list(report.differences.values("kind", "detail"))


def test_after_a_delivery_only_staff_split_the_remaining_escrow(
    glow, owner, listed, staff, feed, django_capture_on_commit_callbacks
):
    creator_party = party_for_user(listed.user)
    deal = fund_on_mobile(make_deal(glow, owner, listed, amount_minor=100_000), owner, feed)
    first, second = deal.deliverables.order_by("position")
    deliverable_submit(deliverable=first, user=listed.user, post_url="https://social.example/p/1")
    deliverable_approve(deliverable=first, user=owner)
    deliverable_submit(deliverable=second, user=listed.user, post_url="https://social.example/p/2")

    with pytest.raises(ApplicationError) as error:
        deal_cancel(deal=deal, user=owner)
    assert error.value.code == "cancellation_needs_staff"
    assert escrow() == 50_000

    dispute = dispute_open(deal=deal, user=owner, reason="The second reel is off-brief.")
    assert (
        deliverables_auto_approve_due(now=timezone.now() + timedelta(days=30)) == 0
    )  # paused by the dispute

    with pytest.raises(ApplicationError) as error:
        dispute_resolve(dispute=dispute, staff=staff, creator_share=Money(50_001, "USD"))
    assert error.value.code == "invalid_share"

    with django_capture_on_commit_callbacks(execute=True):
        dispute_resolve(dispute=dispute, staff=staff, creator_share=Money(20_000, "USD"), note="half done")

    deal = Deal.objects.get(pk=deal.pk)
    assert deal.status == DealStatus.RESOLVED
    assert (deal.released_minor, deal.refunded_minor) == (70_000, 30_000)
    assert escrow() == 0
    assert balance(creator_party, AccountKind.PENDING) == 45_000 + 18_000
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 5_000 + 2_000
    assert Refund.objects.get(payment=deal.payment).amount_minor == 30_000
    assert ledger_check() == []
