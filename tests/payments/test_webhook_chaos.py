"""Stripe delivers webhooks more than once and in any order: the end state must not depend on it.

One scenario of real emulator events (payments that succeed, fail then succeed, are paid on
Checkout, are refunded twice in Stripe's dashboard; a connected account updated twice) is
delivered once in order, then several times shuffled with every event delivered one to three
times. Each run happens in a savepoint rolled back afterwards, so all runs start from the same
database, and each must end in the same state as the ordered run.
"""

import contextlib
import random

import pytest
import stripe
from django.db import transaction

from common.money import Money
from payments.charges import payment_create, payment_start_checkout, payment_start_intent
from payments.connect import onboarding_link_create
from payments.models import ConnectedAccount, LedgerAccount, Payment, Refund, WebhookEvent, party_for_user
from tests.payments.test_webhooks import Feed

SEEDS = (1, 2, 3, 4, 5, 6)


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


def make_payment(reference: str, amount: Money, shares: dict[str, int]) -> Payment:
    return payment_create(
        reference=reference,
        source="shop_sale",
        amount=amount,
        splits=[
            {"party": party, "amount_minor": minor, "source": "shop_sale"} for party, minor in shares.items()
        ],
        country="US",
    )


def confirm(payment: Payment, card: str) -> None:
    intent_id = payment_start_intent(payment=payment)["payment_intent_id"]
    # A declined card: the app shows the decline, and Stripe sends payment_intent.payment_failed.
    with contextlib.suppress(stripe.CardError):
        stripe.PaymentIntent.confirm(intent_id, payment_method=f"pm_card_{card}")


@pytest.fixture
def scenario(creator, other_creator, feed, control):
    """Play the scenario at Stripe; return its deliveries, in the order Stripe sent them."""
    minji, sora = party_for_user(creator.user), party_for_user(other_creator.user)
    paid = make_payment("order:paid", Money(2500, "USD"), {minji: 2500})
    confirm(paid, "visa")
    retried = make_payment("order:retried", Money(1500, "JPY"), {sora: 1500})
    confirm(retried, "chargeDeclined")
    confirm(retried, "visa")
    refunded = make_payment("order:refunded", Money(5000, "USD"), {minji: 3000, sora: 2000})
    confirm(refunded, "visa")
    stripe.Refund.create(payment_intent=refunded.stripe_payment_intent_id, amount=1200)
    stripe.Refund.create(payment_intent=refunded.stripe_payment_intent_id, amount=800)
    on_the_web = make_payment("order:web", Money(700, "USD"), {sora: 700})
    url = payment_start_checkout(
        payment=on_the_web,
        line_items=[{"name": "Sticker", "unit_amount_minor": 350, "quantity": 2}],
        success_url="http://shop/ok",
        cancel_url="http://shop/cancel",
    )
    control.pay_checkout(url)
    link = onboarding_link_create(
        user=creator.user, refresh_url="http://r", return_url="http://d", request_key="k"
    )
    stripe.Account.modify(
        ConnectedAccount.objects.get().stripe_account_id, business_profile={"name": "Minji"}
    )
    control.advance_clock(5)  # the two account updates are seconds apart, as in real life
    control.complete_onboarding(link)
    return feed.pending()


def final_state() -> dict:
    return {
        "payments": {
            p.reference: (p.status, p.amount_refunded_minor, p.failure_code, p.settlement_id is not None)
            for p in Payment.objects.all()
        },
        "refunds": sorted(
            Refund.objects.values_list("payment__reference", "amount_minor", "status", "stripe_refund_id")
        ),
        "balances": {
            (a.party, a.kind, a.currency): a.balance_minor
            for a in LedgerAccount.objects.all()
            if a.balance_minor
        },
        "accounts": list(
            ConnectedAccount.objects.values_list(
                "party", "charges_enabled", "payouts_enabled", "details_submitted", "requirements_due"
            )
        ),
        "events": dict(WebhookEvent.objects.values_list("stripe_event_id", "status")),
    }


def delivered(feed: Feed, deliveries: list[tuple[str, str]]) -> dict:
    """Deliver, read the final state, and roll it all back."""
    with transaction.atomic():
        feed.send(deliveries)
        state = final_state()
        transaction.set_rollback(True)
    return state


def test_any_order_and_any_repetition_gives_the_state_of_one_ordered_delivery(
    scenario, feed, creator, other_creator
):
    expected = delivered(feed, scenario)

    # The ordered run is right to begin with.
    assert expected["payments"] == {
        "order:paid": ("succeeded", 0, "", True),
        "order:retried": ("succeeded", 0, "", True),
        "order:refunded": ("succeeded", 2000, "", True),
        "order:web": ("succeeded", 0, "", True),
    }
    assert [(ref, amount, status) for ref, amount, status, _id in expected["refunds"]] == [
        ("order:refunded", 800, "succeeded"),
        ("order:refunded", 1200, "succeeded"),
    ]
    minji, sora = party_for_user(creator.user), party_for_user(other_creator.user)
    # 5% commission; the refunds (40% of order:refunded) came back from both sellers and the platform.
    assert expected["balances"][(minji, "pending", "USD")] == 2375 + 2850 - 1140
    assert expected["balances"][(sora, "pending", "JPY")] == 1425
    assert expected["accounts"] == [(minji, True, True, True, [])]
    assert set(expected["events"].values()) == {"processed", "ignored"}

    for seed in SEEDS:
        rng = random.Random(seed)
        chaos = [delivery for delivery in scenario for _ in range(rng.randint(1, 3))]
        rng.shuffle(chaos)
        assert delivered(feed, chaos) == expected, f"seed {seed}"
