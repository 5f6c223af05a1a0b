"""payments.escrow and the escrow split of payments.settlement (the marketplace's part of payments)."""

import pytest

from common.errors import ApplicationError
from common.money import Money
from payments.charges import payment_create
from payments.enums import AccountKind, PaymentStatus
from payments.escrow import escrow_refund, escrow_release, escrow_state
from payments.models import Hold, LedgerAccount, LedgerTransaction, Payment, party_for_user
from payments.selectors import ledger_check
from payments.settlement import settlement_post, settlement_post_many
from tests.payments.factories import paid_payment


def balance(party: str, kind: str, currency: str = "USD") -> int:
    account = LedgerAccount.objects.filter(party=party, kind=kind, currency=currency).first()
    return account.balance_minor if account else 0


def escrow_payment(amount_minor: int = 10_000, currency: str = "USD") -> Payment:
    return paid_payment(
        {"party": "brand:1", "amount_minor": amount_minor, "source": "sponsorship", "escrow": True},
        currency=currency,
        source="sponsorship",
    )


@pytest.mark.parametrize(
    "extra",
    [{"escrow": "yes"}, {"escrow": 1}, {"escrow": True, "hold_days": 3}],
    ids=["text", "int", "with hold_days"],
)
def test_an_escrow_flag_must_be_a_boolean_without_hold_days(db, extra):
    with pytest.raises(ApplicationError) as error:
        payment_create(
            reference="deal:1",
            source="sponsorship",
            amount=Money(10_000, "USD"),
            splits=[{"party": "brand:1", "amount_minor": 10_000, "source": "sponsorship", **extra}],
        )
    assert error.value.code == "invalid_splits"
    assert not Payment.objects.exists()


def test_an_escrow_payment_settles_whole_into_escrow_with_no_commission_and_no_hold(db):
    payment = escrow_payment(10_000)

    settlement = settlement_post(payment=payment)

    assert balance("platform", AccountKind.ESCROW) == 10_000
    assert balance("platform", AccountKind.STRIPE_CLEARING) == -10_000
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 0
    assert not Hold.objects.exists()
    assert settlement.commission_rule["rules"] == [
        {"party": "brand:1", "gross_minor": 10_000, "escrow": True}
    ]
    assert escrow_state(payment=payment).remaining == Money(10_000, "USD")
    assert ledger_check() == []


def test_the_batch_settlement_also_puts_escrow_payments_into_escrow(db, creator):
    ordinary = paid_payment(
        {"party": party_for_user(creator.user), "amount_minor": 2_000, "source": "shop_sale"}
    )
    held = escrow_payment(5_000)

    assert settlement_post_many(payment_ids=[ordinary.pk, held.pk]) == 2

    assert balance("platform", AccountKind.ESCROW) == 5_000
    assert balance(party_for_user(creator.user), AccountKind.PENDING) == 1_900  # 5% shop commission
    assert ledger_check() == []


def test_a_release_pays_the_party_minus_commission_once_per_key(db, creator):
    payment = escrow_payment(10_000)
    party = party_for_user(creator.user)

    first = escrow_release(
        payment=payment, party=party, amount=Money(3_333, "USD"), key="deliverable:1", hold_days=7
    )
    again = escrow_release(
        payment=payment, party=party, amount=Money(3_333, "USD"), key="deliverable:1", hold_days=7
    )

    assert first.pk == again.pk
    assert balance("platform", AccountKind.ESCROW) == 6_667
    assert balance(party, AccountKind.PENDING) == 3_000  # 3,333 minus 333 (10%, half up)
    assert balance("platform", AccountKind.COMMISSION_REVENUE) == 333
    assert Hold.objects.get(origin=first).amount_minor == 3_000
    assert first.commission_rule["rules"][0]["commission_minor"] == 333
    assert escrow_state(payment=payment).released == Money(3_333, "USD")


def test_a_release_cannot_take_more_than_this_payments_escrow(db, creator):
    payment = escrow_payment(10_000)
    escrow_payment(50_000)  # another deal's money sits in the same pooled account
    party = party_for_user(creator.user)
    escrow_release(payment=payment, party=party, amount=Money(9_000, "USD"), key="a")

    with pytest.raises(ApplicationError) as error:
        escrow_release(payment=payment, party=party, amount=Money(1_001, "USD"), key="b")
    assert error.value.code == "escrow_insufficient"
    assert not LedgerTransaction.objects.filter(reference__endswith=":escrow:b").exists()


@pytest.mark.parametrize(
    ("amount", "party", "code"),
    [
        (Money(0, "USD"), "user:1", "invalid_amount"),
        (Money(100, "JPY"), "user:1", "invalid_amount"),
        (Money(100, "USD"), "platform", "invalid_party"),
    ],
)
def test_bad_releases_are_refused(db, amount, party, code):
    payment = escrow_payment(10_000)
    with pytest.raises(ApplicationError) as error:
        escrow_release(payment=payment, party=party, amount=amount, key="x")
    assert error.value.code == code


def test_an_ordinary_payment_has_no_escrow_to_release(db, creator):
    payment = paid_payment(
        {"party": party_for_user(creator.user), "amount_minor": 2_000, "source": "shop_sale"}
    )
    with pytest.raises(ApplicationError) as error:
        escrow_release(payment=payment, party="user:9", amount=Money(100, "USD"), key="x")
    assert error.value.code == "not_escrow"


def test_an_unpaid_payment_has_no_escrow(db):
    payment = paid_payment(
        {"party": "brand:1", "amount_minor": 1_000, "source": "sponsorship", "escrow": True},
        source="sponsorship",
        status=PaymentStatus.PENDING,
    )
    with pytest.raises(ApplicationError) as error:
        escrow_release(payment=payment, party="user:9", amount=Money(100, "USD"), key="x")
    assert error.value.code == "payment_not_paid"


def test_a_refund_comes_out_of_escrow_and_is_limited_to_what_remains(
    db, creator, django_capture_on_commit_callbacks
):
    payment = escrow_payment(10_000)
    escrow_release(payment=payment, party=party_for_user(creator.user), amount=Money(4_000, "USD"), key="a")

    with pytest.raises(ApplicationError) as error:
        escrow_refund(payment=payment, amount=Money(6_001, "USD"))
    assert error.value.code == "escrow_insufficient"

    escrow_refund(payment=payment, amount=Money(6_000, "USD"))
    assert balance("platform", AccountKind.ESCROW) == 0
    assert escrow_state(payment=Payment.objects.get(pk=payment.pk)).remaining == Money(0, "USD")
    assert ledger_check() == []


def test_a_plain_refund_cannot_take_another_payments_escrow(db, creator):
    from payments.refunds import refund_record

    payment = escrow_payment(10_000)
    escrow_payment(50_000)  # someone else's deal, in the same pooled account
    escrow_release(payment=payment, party=party_for_user(creator.user), amount=Money(9_000, "USD"), key="a")
    settle_all = settlement_post_many(payment_ids=list(Payment.objects.values_list("pk", flat=True)))
    assert settle_all == 1  # the other payment

    # A refund recorded outside the marketplace (made at Stripe, say) for more than remains.
    with pytest.raises(ApplicationError) as error:
        refund_record(payment=payment, amount=Money(5_000, "USD"))
    assert error.value.code == "escrow_insufficient"
    assert balance("platform", AccountKind.ESCROW) == 1_000 + 50_000

    refund_record(payment=payment, amount=Money(1_000, "USD"))  # what is left is fine
    assert balance("platform", AccountKind.ESCROW) == 50_000
    assert ledger_check() == []
