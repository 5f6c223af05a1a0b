"""settlement_post and settlement_post_many: a paid payment becomes ledger money exactly once."""

from datetime import UTC, datetime, timedelta

import pytest

from common.errors import ApplicationError
from payments.enums import PaymentStatus, TransactionKind
from payments.models import CommissionRule, Hold, LedgerEntry, LedgerTransaction, Payment, party_for_user
from payments.selectors import ledger_check
from payments.settlement import settlement_post, settlement_post_many
from tests.payments.factories import (
    PAID_AT,
    clearing_balance,
    paid_payment,
    pending_of,
    revenue,
    run_threads,
    split,
)

# ---------------------------------------------------------------- the ledger of a settlement


@pytest.mark.parametrize(
    ("currency", "gross", "seller", "commission"),
    [
        ("USD", 10_000, 9_500, 500),  # $100.00 at 5%
        ("USD", 1_999, 1_899, 100),  # $19.99: 99.95¢ commission rounds half up to $1.00
        ("JPY", 1_999, 1_899, 100),  # ¥1,999: ¥99.95 rounds to ¥100
        ("KRW", 70_000, 66_500, 3_500),
    ],
)
def test_a_shop_sale_settles_to_the_seller_and_the_platform(creator, currency, gross, seller, commission):
    payment = paid_payment(split(creator.user, gross), currency=currency)

    posted = settlement_post(payment=payment)

    assert posted.kind == TransactionKind.SHOP_SALE
    assert posted.reference == f"payment:{payment.pk}:settle"
    assert pending_of(creator.user, currency) == seller
    assert revenue(currency) == commission
    assert clearing_balance(currency) == -gross
    assert sorted(posted.entries.values_list("amount_minor", flat=True)) == sorted(
        [-gross, seller, commission]
    )
    assert posted.metadata == {"payment_id": payment.pk, "payment_reference": payment.reference}
    [rule] = posted.commission_rule["rules"]
    assert (rule["source"], rule["rate_bps"], rule["gross_minor"], rule["commission_minor"]) == (
        "shop_sale",
        500,
        gross,
        commission,
    )
    payment.refresh_from_db()
    assert payment.settlement == posted
    assert ledger_check() == []


def test_a_sale_with_an_affiliate_splits_three_ways(creator, other_creator):
    # given: a $100 sale, $10 of which is the affiliate's share (10% commission on it, 5% on the rest)
    payment = paid_payment(
        split(creator.user, 9_000), split(other_creator.user, 1_000, "affiliate_commission")
    )

    posted = settlement_post(payment=payment)

    assert pending_of(creator.user) == 8_550
    assert pending_of(other_creator.user) == 900
    assert revenue() == 450 + 100
    assert clearing_balance() == -10_000
    assert [(r["party"], r["rate_bps"], r["commission_minor"]) for r in posted.commission_rule["rules"]] == [
        (party_for_user(creator.user), 500, 450),
        (party_for_user(other_creator.user), 1_000, 100),
    ]


def test_a_country_rule_applies_to_sales_in_that_country(creator, staff):
    CommissionRule.objects.create(
        source="shop_sale",
        country="KR",
        rate_bps=300,
        effective_from=PAID_AT - timedelta(days=1),
        created_by=staff,
    )

    settlement_post(payment=paid_payment(split(creator.user, 70_000), currency="KRW", country="KR"))
    settlement_post(payment=paid_payment(split(creator.user, 70_000), currency="KRW", country="US"))

    assert revenue("KRW") == 2_100 + 3_500


def test_a_rule_changed_after_the_fact_does_not_change_history(creator, staff):
    first = settlement_post(payment=paid_payment(split(creator.user, 10_000)))
    # Staff edit the rule in force, and add a new one for later sales.
    CommissionRule.objects.filter(source="shop_sale").update(rate_bps=2_000)
    CommissionRule.objects.create(
        source="shop_sale", rate_bps=1_500, effective_from=PAID_AT + timedelta(days=1), created_by=staff
    )

    again = settlement_post(payment=Payment.objects.get(settlement=first))
    later = settlement_post(
        payment=paid_payment(split(creator.user, 10_000), paid_at=PAID_AT + timedelta(days=2))
    )

    first.refresh_from_db()
    assert again.pk == first.pk
    assert first.commission_rule["rules"][0]["rate_bps"] == 500
    assert later.commission_rule["rules"][0]["rate_bps"] == 1_500
    assert revenue() == 500 + 1_500


def test_settling_twice_posts_once(creator):
    payment = paid_payment(split(creator.user, 10_000))

    first = settlement_post(payment=payment)
    second = settlement_post(payment=Payment.objects.get(pk=payment.pk))

    assert first.pk == second.pk
    assert LedgerTransaction.objects.count() == 1
    assert Hold.objects.count() == 1
    assert pending_of(creator.user) == 9_500


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.CANCELLED])
def test_a_payment_that_is_not_paid_is_not_settled(creator, status):
    payment = paid_payment(split(creator.user, 10_000), status=status)

    with pytest.raises(ApplicationError) as error:
        settlement_post(payment=payment)

    assert error.value.code == "payment_not_paid"
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda me, you: [], id="no split"),
        pytest.param(lambda me, you: "user:1", id="not a list"),
        pytest.param(lambda me, you: [split(me, 9_999)], id="short of the gross"),
        pytest.param(lambda me, you: [split(me, 6_000), split(you, 4_001)], id="over the gross"),
        pytest.param(lambda me, you: [{**split(me, 10_000), "party": "platform"}], id="platform"),
        pytest.param(lambda me, you: [{**split(me, 10_000), "party": "someone"}], id="unknown party"),
        pytest.param(lambda me, you: [split(me, 10_500), split(you, -500)], id="negative"),
        pytest.param(lambda me, you: [split(me, 10_000), split(you, 0)], id="zero"),
        pytest.param(lambda me, you: [split(me, "10000")], id="text amount"),
        pytest.param(lambda me, you: [split(me, 9_999.5), split(you, 0.5)], id="fractional"),
        pytest.param(lambda me, you: [split(me, 9_999), split(you, True)], id="bool amount"),
        pytest.param(lambda me, you: [split(me, 10_000, "tip")], id="unknown source"),
        pytest.param(lambda me, you: [split(me, 5_000), split(me, 5_000)], id="party twice"),
        pytest.param(lambda me, you: [split(me, 10_000, amount=1)], id="unknown key"),
        pytest.param(lambda me, you: [{"party": party_for_user(me), "amount_minor": 10_000}], id="no source"),
        pytest.param(lambda me, you: [split(me, 10_000, hold_days=-1)], id="negative hold"),
        pytest.param(lambda me, you: [split(me, 10_000, hold_days="30")], id="text hold"),
        pytest.param(lambda me, you: [split(me, 10_000, hold_days=10**6)], id="endless hold"),
    ],
)
def test_invalid_splits_are_refused_with_nothing_written(creator, other_creator, bad):
    payment = paid_payment(amount_minor=10_000)
    payment.splits = bad(creator.user, other_creator.user)
    payment.save()

    with pytest.raises(ApplicationError) as error:
        settlement_post(payment=payment)

    assert error.value.code == "invalid_splits"
    assert not LedgerTransaction.objects.exists() and not LedgerEntry.objects.exists()
    assert not Hold.objects.exists()
    assert Payment.objects.get(pk=payment.pk).settlement is None


def test_a_payment_without_a_rule_in_force_is_not_settled(creator):
    payment = paid_payment(split(creator.user, 10_000), paid_at=datetime(2019, 6, 1, tzinfo=UTC))

    with pytest.raises(ApplicationError) as error:
        settlement_post(payment=payment)

    assert error.value.code == "no_commission_rule"
    assert not LedgerTransaction.objects.exists()


def test_each_receiving_party_gets_a_hold_until_its_release_date(creator, other_creator, brand):
    payment = paid_payment(
        split(creator.user, 6_000),  # shop_sale: 30 days by default
        split(other_creator.user, 3_000, "affiliate_commission", hold_days=7),
        split(brand, 1_000, "affiliate_commission", hold_days=0),
    )

    posted = settlement_post(payment=payment)

    holds = {hold.party: hold for hold in Hold.objects.filter(origin=posted)}
    assert {party: (h.amount_minor, h.release_at, h.source) for party, h in holds.items()} == {
        party_for_user(creator.user): (5_700, PAID_AT + timedelta(days=30), "shop_sale"),
        party_for_user(other_creator.user): (2_700, PAID_AT + timedelta(days=7), "affiliate_commission"),
        party_for_user(brand): (900, PAID_AT, "affiliate_commission"),
    }
    assert all(
        h.released_at is None and h.refunded_minor == 0 and h.currency == "USD" for h in holds.values()
    )


def test_the_hold_defaults_follow_the_settings(creator, settings):
    settings.PAYMENTS_HOLD_DAYS = {**settings.PAYMENTS_HOLD_DAYS, "sponsorship": 3}

    settlement_post(payment=paid_payment(split(creator.user, 10_000, "sponsorship"), source="sponsorship"))

    assert Hold.objects.get().release_at == PAID_AT + timedelta(days=3)


def test_a_zero_commission_source_and_a_full_commission_rule(creator, other_creator):
    CommissionRule.objects.create(source="sponsorship", country="US", rate_bps=10_000, effective_from=PAID_AT)
    payment = paid_payment(
        split(creator.user, 5_000, "bonus"), split(other_creator.user, 5_000, "sponsorship")
    )

    posted = settlement_post(payment=payment)

    # The bonus split pays no commission; the sponsorship split is all commission, so it gets no hold.
    assert pending_of(creator.user) == 5_000
    assert revenue() == 5_000
    assert posted.entries.count() == 3
    assert list(Hold.objects.values_list("party", flat=True)) == [party_for_user(creator.user)]


# ---------------------------------------------------------------- many at once


def test_settlement_post_many_settles_each_paid_payment_once(creator, other_creator):
    settled_before = paid_payment(split(creator.user, 1_000))
    settlement_post(payment=settled_before)
    fresh = [
        paid_payment(split(creator.user, 10_000)),
        paid_payment(split(other_creator.user, 2_000), currency="JPY"),
    ]
    unpaid = paid_payment(split(creator.user, 1_000), status=PaymentStatus.PENDING)
    broken = paid_payment(split(creator.user, 1_000), amount_minor=2_000)
    ids = [p.pk for p in [settled_before, *fresh, unpaid, broken]]

    assert settlement_post_many(payment_ids=ids + ids) == 2
    assert settlement_post_many(payment_ids=ids) == 0

    assert LedgerTransaction.objects.count() == 3
    assert all(Payment.objects.get(pk=p.pk).settlement is not None for p in fresh)
    assert Payment.objects.get(pk=unpaid.pk).settlement is None
    assert Payment.objects.get(pk=broken.pk).settlement is None
    assert pending_of(creator.user) == 950 + 9_500
    assert pending_of(other_creator.user, "JPY") == 1_900
    assert Hold.objects.count() == 3
    assert ledger_check() == []


# ---------------------------------------------------------------- concurrency (PostgreSQL)


def test_eight_workers_settling_one_payment_post_once(postgres_only, transactional_db, creator):
    payment = paid_payment(split(creator.user, 10_000))

    results = run_threads(8, lambda index: settlement_post(payment=Payment.objects.get(pk=payment.pk)))

    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert {r.pk for r in results} == {Payment.objects.get(pk=payment.pk).settlement_id}
    assert LedgerTransaction.objects.count() == 1
    assert Hold.objects.count() == 1
    assert pending_of(creator.user) == 9_500
    assert ledger_check() == []


def test_workers_settling_overlapping_batches_settle_each_payment_once(
    postgres_only, transactional_db, creator, other_creator, brand
):
    users = [creator.user, other_creator.user, brand]
    payments = [
        paid_payment(split(users[i % 3], 1_000 + i), split(users[(i + 1) % 3], 500)) for i in range(30)
    ]
    ids = [p.pk for p in payments]

    # Each worker gets the batch in another order: locks are still taken in pk order.
    results = run_threads(4, lambda index: settlement_post_many(payment_ids=ids[index:] + ids[:index]))

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 30
    assert LedgerTransaction.objects.count() == 30
    assert Hold.objects.count() == 60
    assert not Payment.objects.filter(settlement__isnull=True).exists()
    assert -clearing_balance() == sum(p.amount_minor for p in payments)
    assert ledger_check() == []


def test_payments_whose_settlement_task_was_lost_are_caught_up(creator):
    from payments.settlement import settlements_catch_up

    lost = paid_payment(split(creator.user, 10_000), paid_at=PAID_AT)
    fresh = paid_payment(split(creator.user, 5_000), paid_at=datetime.now(UTC))
    assert settlements_catch_up() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.settlement is not None and fresh.settlement is None  # the fresh one's own task comes first
    assert settlements_catch_up() == 0
