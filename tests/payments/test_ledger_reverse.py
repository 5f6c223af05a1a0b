import pytest

from common.errors import ApplicationError
from payments.enums import AccountKind, TransactionKind
from payments.ledger import ledger_post, ledger_reverse, platform_account
from payments.models import LedgerTransaction
from payments.selectors import ledger_check
from tests.payments.factories import balance_of, clearing, entry, fund, move, user_account


@pytest.fixture
def sale(creator):
    return ledger_post(
        reference="order:9:settle",
        entries=[
            entry(clearing("KRW"), -70_000),
            entry(user_account(creator.user, AccountKind.PENDING, "KRW"), 63_000),
            entry(platform_account(AccountKind.COMMISSION_REVENUE, "KRW"), 7_000),
        ],
        kind=TransactionKind.SHOP_SALE,
    )


def test_a_reversal_is_the_exact_negation_and_restores_the_balances(creator, sale):
    # when
    reversal = ledger_reverse(transaction=sale)
    # then
    assert (reversal.reference, reversal.kind, reversal.reverses) == (
        "order:9:settle:reverse",
        TransactionKind.REVERSAL,
        sale,
    )
    assert sorted(reversal.entries.values_list("account_id", "amount_minor", "currency")) == sorted(
        (account_id, -amount, currency)
        for account_id, amount, currency in sale.entries.values_list("account_id", "amount_minor", "currency")
    )
    assert balance_of(user_account(creator.user, AccountKind.PENDING, "KRW")) == 0
    assert balance_of(clearing("KRW")) == 0
    assert balance_of(platform_account(AccountKind.COMMISSION_REVENUE, "KRW")) == 0
    assert ledger_check() == []


def test_repeating_a_reversal_with_the_same_reference_returns_the_first(sale):
    first = ledger_reverse(transaction=sale)
    again = ledger_reverse(transaction=sale)
    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 2


def test_a_transaction_is_reversed_at_most_once(sale):
    ledger_reverse(transaction=sale, reference="order:9:refund-full")
    with pytest.raises(ApplicationError) as error:
        ledger_reverse(transaction=sale)
    assert error.value.code == "already_reversed"
    assert LedgerTransaction.objects.count() == 2


def test_a_reversal_cannot_be_reversed(sale):
    reversal = ledger_reverse(transaction=sale)
    with pytest.raises(ApplicationError) as error:
        ledger_reverse(transaction=reversal)
    assert error.value.code == "already_reversed"
    assert LedgerTransaction.objects.count() == 2


def test_a_reversal_that_would_overdraw_an_account_is_refused(creator, sale):
    # given: the hold was released, so pending no longer holds the sale's money
    pending = user_account(creator.user, AccountKind.PENDING, "KRW")
    move(
        reference="order:9:release",
        source=pending,
        target=user_account(creator.user, AccountKind.AVAILABLE, "KRW"),
        amount_minor=63_000,
        kind=TransactionKind.HOLD_RELEASE,
    )
    with pytest.raises(ApplicationError) as error:
        ledger_reverse(transaction=sale)
    assert error.value.code == "insufficient_funds"
    assert not sale.__class__.objects.filter(reverses=sale).exists()
    assert balance_of(pending) == 0


def test_a_reversal_may_take_available_below_zero_when_allowed(creator):
    available = user_account(creator.user, AccountKind.AVAILABLE, "USD")
    sale = fund(available, 1_000, reference="sale:1")
    move(
        reference="payout:1",
        source=available,
        target=clearing(),
        amount_minor=800,
        kind=TransactionKind.PAYOUT,
    )
    ledger_reverse(transaction=sale, allow_negative=[available])
    assert balance_of(available) == -800
