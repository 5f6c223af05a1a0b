"""ledger_post_many: the rules of ledger_post, for a batch, all or nothing."""

import pytest

from common.errors import ApplicationError
from payments.enums import AccountKind, TransactionKind
from payments.ledger import Posting, accounts_get_or_create, ledger_post, ledger_post_many
from payments.models import LedgerEntry, LedgerTransaction
from payments.selectors import ledger_check
from tests.payments.factories import balance_of, clearing, entry, user_account


def sale(reference, seller, gross, revenue_account):
    return Posting(
        reference=reference,
        kind=TransactionKind.SHOP_SALE,
        entries=[
            entry(clearing("USD"), -gross),
            entry(seller, gross - gross // 20),
            entry(revenue_account, gross // 20),
        ],
    )


@pytest.fixture
def accounts(creator, other_creator):
    from payments.ledger import platform_account

    return (
        user_account(creator.user, AccountKind.PENDING),
        user_account(other_creator.user, AccountKind.PENDING),
        platform_account(AccountKind.COMMISSION_REVENUE, "USD"),
    )


def test_a_batch_posts_like_consecutive_posts(accounts):
    a, b, revenue = accounts
    posted = ledger_post_many(
        postings=[
            sale("s:1", a, 10_000, revenue),
            sale("s:2", b, 3_000, revenue),
            sale("s:3", a, 999, revenue),
        ]
    )
    assert [t.reference for t in posted] == ["s:1", "s:2", "s:3"]
    assert (balance_of(a), balance_of(b), balance_of(revenue)) == (9_500 + 950, 2_850, 500 + 150 + 49)
    assert LedgerEntry.objects.count() == 9
    assert ledger_check() == []


def test_a_repeated_batch_writes_nothing(accounts):
    a, b, revenue = accounts
    first = ledger_post_many(postings=[sale("s:1", a, 10_000, revenue)])
    again = ledger_post_many(postings=[sale("s:1", a, 10_000, revenue), sale("s:2", b, 500, revenue)])
    assert again[0].pk == first[0].pk
    assert LedgerTransaction.objects.count() == 2 and balance_of(a) == 9_500


def test_one_conflicting_or_unbalanced_posting_refuses_the_whole_batch(accounts):
    a, b, revenue = accounts
    ledger_post(reference="s:1", entries=sale("s:1", a, 100, revenue).entries, kind=TransactionKind.SHOP_SALE)
    with pytest.raises(ApplicationError) as error:
        ledger_post_many(postings=[sale("s:9", b, 500, revenue), sale("s:1", a, 999, revenue)])
    assert error.value.code == "reference_conflict"
    unbalanced = Posting(
        reference="s:10", kind=TransactionKind.SHOP_SALE, entries=[entry(clearing("USD"), -10), entry(a, 9)]
    )
    with pytest.raises(ApplicationError) as error:
        ledger_post_many(postings=[sale("s:11", b, 500, revenue), unbalanced])
    assert error.value.code == "unbalanced"
    assert set(LedgerTransaction.objects.values_list("reference", flat=True)) == {"s:1"}
    assert balance_of(b) == 0


def test_overdrafts_are_checked_in_order(accounts):
    a, b, _revenue = accounts
    spend = Posting(reference="m:1", kind=TransactionKind.ADJUSTMENT, entries=[entry(a, -100), entry(b, 100)])
    refill = Posting(
        reference="m:2",
        kind=TransactionKind.ADJUSTMENT,
        entries=[entry(clearing("USD"), -100), entry(a, 100)],
    )
    with pytest.raises(ApplicationError) as error:
        ledger_post_many(postings=[spend, refill])  # a later credit does not excuse an earlier overdraft
    assert error.value.code == "insufficient_funds"
    ledger_post_many(postings=[refill, spend])
    assert (balance_of(a), balance_of(b)) == (0, 100)


def test_a_reference_twice_in_one_batch_is_refused(accounts):
    a, _b, revenue = accounts
    with pytest.raises(ApplicationError) as error:
        ledger_post_many(postings=[sale("s:1", a, 100, revenue), sale("s:1", a, 100, revenue)])
    assert error.value.code == "invalid_reference"


def test_accounts_are_created_in_bulk(creator):
    keys = {("user:77", "pending", "USD"), ("user:78", "pending", "JPY"), ("platform", "escrow", "KRW")}
    found = accounts_get_or_create(keys=keys)
    assert set(found) == keys
    assert accounts_get_or_create(keys=keys) == found
