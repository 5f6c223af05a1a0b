"""Properties of settlement and refunds over random amounts, splits, rates and currencies."""

from dataclasses import dataclass
from itertools import count

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import ApplicationError
from common.money import Money
from payments.commission import commission_defaults_ensure
from payments.enums import AccountKind, CommissionSource
from payments.models import PLATFORM, CommissionRule, LedgerAccount, Payment, party_for_user
from payments.refunds import refund_record
from payments.selectors import ledger_check
from payments.settlement import settlement_post
from tests.payments.factories import PAID_AT, paid_payment

CURRENCIES = ["USD", "JPY", "KRW"]
examples = count()


@dataclass(frozen=True)
class Sale:
    currency: str
    shares: list[tuple[int, str]]  # (amount minor, source), one per party
    rate_bps: int  # a country rule for shop sales, so odd rates are exercised too


sales = st.builds(
    Sale,
    currency=st.sampled_from(CURRENCIES),
    shares=st.lists(
        st.tuples(st.integers(1, 10_000_000), st.sampled_from(CommissionSource.values)),
        min_size=1,
        max_size=3,
    ),
    rate_bps=st.integers(0, 10_000),
)
# Refund requests as thousandths of the gross; some overshoot what is left, on purpose.
refund_steps = st.lists(st.integers(1, 1_200), max_size=5)

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def balances() -> dict[tuple[str, str, str], int]:
    return {(a.party, a.kind, a.currency): a.balance_minor for a in LedgerAccount.objects.all()}


def settle(sale: Sale, users) -> Payment:
    CommissionRule.objects.create(
        source="shop_sale", country="US", rate_bps=sale.rate_bps, effective_from=PAID_AT
    )
    splits = [
        {"party": party_for_user(user), "amount_minor": amount, "source": source}
        for user, (amount, source) in zip(users, sale.shares, strict=False)
    ]
    payment = paid_payment(*splits, currency=sale.currency)
    settlement_post(payment=payment)
    return payment


@SETTINGS
@given(sale=sales)
def test_a_settlement_balances_and_gives_everyone_exactly_the_gross(db, creator, other_creator, brand, sale):
    with transaction.atomic():  # each example in a savepoint, rolled back at its end
        commission_defaults_ensure()
        payment = settle(sale, [creator.user, other_creator.user, brand])
        assert payment.settlement is not None
        entries = {
            (e.account.party, e.account.kind): e.amount_minor for e in payment.settlement.entries.all()
        }
        gross = payment.amount_minor

        assert sum(entries.values()) == 0
        assert entries[(PLATFORM, AccountKind.STRIPE_CLEARING)] == -gross
        credited = {key: amount for key, amount in entries.items() if amount > 0}
        assert sum(credited.values()) == gross
        for rule in payment.settlement.commission_rule["rules"]:
            # each party gets its split minus a commission within half a minor unit of the exact rate
            assert (
                abs(2 * (rule["commission_minor"] * 10_000 - rule["gross_minor"] * rule["rate_bps"]))
                <= 10_000
            )
            net = rule["gross_minor"] - rule["commission_minor"]
            assert credited.get((rule["party"], AccountKind.PENDING), 0) == net
        assert ledger_check() == []
        transaction.set_rollback(True)


@SETTINGS
@given(sale=sales, steps=refund_steps)
def test_refunds_never_exceed_the_payment_and_a_full_refund_restores_every_account(
    db, creator, other_creator, brand, sale, steps
):
    with transaction.atomic():
        commission_defaults_ensure()
        before = balances()
        payment = settle(sale, [creator.user, other_creator.user, brand])
        gross, refunded = payment.amount_minor, 0

        for thousandths in steps:
            amount = max(1, gross * thousandths // 1_000)
            try:
                refund_record(payment=payment, amount=Money(amount, sale.currency))
            except ApplicationError as error:
                assert (error.code, refunded + amount > gross) == ("refund_exceeds_remaining", True)
                continue
            refunded += amount
            assert refunded <= gross
            assert payment.amount_refunded_minor == refunded
        if refunded < gross:
            refund_record(payment=payment, amount=Money(gross - refunded, sale.currency))

        after = balances()
        assert {key: after[key] for key in before} == before
        assert all(balance == 0 for key, balance in after.items() if key not in before)
        assert ledger_check() == []
        transaction.set_rollback(True)
