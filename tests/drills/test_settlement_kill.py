"""Drill 1: the worker settling a backlog of paid charges is killed with kill -9 half-way.

200 charges are paid at the emulator and marked succeeded, which queues one
``payments.settle_payment`` task each; a ``payments.settle_payments`` batch over the same charges
is queued after every 25 (the catch-up path settling what singles may already have settled).
A worker starts on the backlog and is SIGKILLed once some but not all charges are settled,
mid-task as likely as not. A new worker takes over; the task the dead one held comes back
(acks_late, after the visibility timeout). Every charge must be settled exactly once.
"""

import pytest
import stripe
from django.db.models import Count, Sum

from common.money import Money
from payments.charges import payment_create, payment_mark_succeeded
from payments.enums import AccountKind, PaymentStatus
from payments.models import PLATFORM, Hold, LedgerAccount, LedgerTransaction, Payment, party_for_user
from payments.tasks import settle_payments
from tests.conftest import make_creator
from tests.drills.conftest import VISIBILITY_TIMEOUT, assert_books_clean, report, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True)]

CHARGES = 200
BATCH = 25


def settled() -> int:
    return Payment.objects.filter(settlement__isnull=False).count()


def unsettled() -> list[tuple]:
    return list(Payment.objects.filter(settlement__isnull=True).values_list("pk", "status", "paid_at")[:10])


def test_a_worker_killed_mid_settlement_settles_every_charge_exactly_once(workers):
    # given: 200 charges paid at Stripe by buyers of four sellers, one of them through an affiliate
    sellers = [party_for_user(make_creator(f"seller{n}", country="US").user) for n in range(4)]
    affiliate = party_for_user(make_creator("affiliate", country="US").user)
    expected_gross, batch = 0, []
    for n in range(CHARGES):
        amount = 1000 + 37 * n
        expected_gross += amount
        splits = [{"party": sellers[n % 4], "amount_minor": amount, "source": "shop_sale"}]
        if n % 5 == 0:
            cut = amount // 10
            splits = [
                {"party": sellers[n % 4], "amount_minor": amount - cut, "source": "shop_sale"},
                {"party": affiliate, "amount_minor": cut, "source": "affiliate_commission"},
            ]
        payment = payment_create(
            reference=f"drill:order:{n}",
            source="shop_sale",
            amount=Money(amount, "USD"),
            splits=splits,
            country="US",
        )
        intent = stripe.PaymentIntent.create(
            amount=amount, currency="usd", payment_method="pm_card_visa", confirm=True
        )
        payment_mark_succeeded(payment=payment, stripe_payment_intent_id=intent.id)  # on commit: settle task
        batch.append(payment.pk)
        if len(batch) == BATCH:
            settle_payments.delay(batch)
            batch = []
    assert settled() == 0, "nothing is settled before a worker runs"

    # when: a worker works through the backlog and is killed part-way…
    first = workers.start()
    wait_for(lambda: settled() >= CHARGES // 4, timeout=90, what="a quarter settled", logs=workers.logs)
    workers.kill(first)
    at_kill = settled()
    assert at_kill < CHARGES, "the worker was killed before the end of the backlog"
    # …and a new one takes over
    workers.start()
    took = wait_for(
        lambda: settled() == CHARGES,
        timeout=60 + VISIBILITY_TIMEOUT,
        what="every charge settled",
        logs=lambda: f"unsettled: {unsettled()}\n{workers.logs()}",
    )

    # then: one settlement transaction per charge, its own, with one hold per credited party
    payments = Payment.objects.filter(reference__startswith="drill:order:")
    assert payments.count() == CHARGES
    assert set(payments.values_list("status", flat=True)) == {PaymentStatus.SUCCEEDED}
    settlements = LedgerTransaction.objects.filter(reference__endswith=":settle")
    assert settlements.count() == CHARGES
    for payment in payments.select_related("settlement"):
        assert payment.settlement.reference == f"payment:{payment.pk}:settle"
    holds = Hold.objects.values("origin").annotate(n=Count("pk"))
    assert sorted({row["n"] for row in holds}) == [1, 2]  # seller, and the affiliate on every fifth
    assert Hold.objects.count() == CHARGES + CHARGES // 5
    # the money: Stripe clearing gave the gross once; sellers, affiliate and platform got it all
    clearing = LedgerAccount.objects.get(party=PLATFORM, kind=AccountKind.STRIPE_CLEARING, currency="USD")
    assert clearing.balance_minor == -expected_gross
    credited = LedgerAccount.objects.filter(currency="USD").exclude(kind=AccountKind.STRIPE_CLEARING)
    assert credited.aggregate(total=Sum("balance_minor"))["total"] == expected_gross
    assert Hold.objects.aggregate(total=Sum("amount_minor"))["total"] == sum(
        LedgerAccount.objects.filter(kind=AccountKind.PENDING).values_list("balance_minor", flat=True)
    )
    assert_books_clean()
    report(
        "settlement",
        charges=CHARGES,
        batch_tasks=CHARGES // BATCH,
        settled_when_killed=at_kill,
        recovery_seconds=round(took, 1),
        settlement_transactions=settlements.count(),
        holds=Hold.objects.count(),
    )
