import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from common.money import Money
from payments.enums import AccountKind, TransactionKind
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, party_for_user
from payments.selectors import account_balance, balances_for_party, ledger_check, statement_for_account
from tests.payments.factories import clearing, fund, move, user_account


@pytest.fixture
def available(creator):
    account = user_account(creator.user, AccountKind.AVAILABLE, "USD")
    fund(account, 1_000, reference="sale:1")
    move(
        reference="payout:1", source=account, target=clearing(), amount_minor=300, kind=TransactionKind.PAYOUT
    )
    fund(account, 50, reference="sale:2")
    move(
        reference="payout:2", source=account, target=clearing(), amount_minor=700, kind=TransactionKind.PAYOUT
    )
    return account


def test_the_statement_carries_a_running_balance(available):
    rows = [
        (e.transaction.reference, e.amount_minor, e.running_balance)
        for e in statement_for_account(account=available)
    ]
    assert rows == [
        ("sale:1", 1_000, 1_000),
        ("payout:1", -300, 700),
        ("sale:2", 50, 750),
        ("payout:2", -700, 50),
    ]


def test_the_running_balance_survives_reordering_and_slicing(available):
    newest_first = statement_for_account(account=available).order_by("-id")
    assert [e.running_balance for e in newest_first[1:3]] == [750, 700]


def test_the_statement_after_an_entry_carries_the_balance_over(available):
    cursor = statement_for_account(account=available)[1].id
    rows = [
        (e.amount_minor, e.running_balance) for e in statement_for_account(account=available, after_id=cursor)
    ]
    assert rows == [(50, 750), (-700, 50)]


def test_the_statement_reads_in_one_query(available, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len([e.transaction.reference for e in statement_for_account(account=available)]) == 4


def test_balances_are_grouped_by_currency_and_kind(creator, other_creator, available):
    fund(user_account(creator.user, AccountKind.PENDING, "JPY"), 500, reference="sale:3")
    fund(user_account(other_creator.user, AccountKind.PENDING, "JPY"), 900, reference="sale:4")
    assert balances_for_party(party=party_for_user(creator.user)) == {
        "JPY": {"pending": Money(500, "JPY")},
        "USD": {"available": Money(50, "USD")},
    }
    assert account_balance(available) == Money(50, "USD")


def test_a_sound_ledger_has_no_problems(available):
    assert ledger_check() == []


def test_the_check_finds_a_corrupted_cached_balance(available):
    LedgerAccount.objects.filter(pk=available.pk).update(balance_minor=F("balance_minor") + 1)
    problems = ledger_check()
    assert [(p.code, p.account_id) for p in problems] == [("balance_mismatch", available.pk)]
    assert "USD 0.51" in problems[0].message and "USD 0.50" in problems[0].message


def test_the_check_finds_unbalanced_and_empty_transactions_written_around_the_service(creator, available):
    # On PostgreSQL the deferred triggers refuse both at COMMIT (and at the test's teardown,
    # which checks deferred constraints), so the rows live in a savepoint rolled back before.
    with transaction.atomic():
        lopsided = LedgerTransaction.objects.create(reference="manual:1", kind=TransactionKind.ADJUSTMENT)
        LedgerEntry.objects.create(transaction=lopsided, account=clearing(), amount_minor=-5, currency="USD")
        empty = LedgerTransaction.objects.create(reference="manual:2", kind=TransactionKind.ADJUSTMENT)
        problems = {(p.code, p.transaction_id, p.account_id) for p in ledger_check()}
        transaction.set_rollback(True)
    assert problems == {
        ("unbalanced_transaction", lopsided.pk, None),
        ("empty_transaction", empty.pk, None),
        # the clearing account's cached balance never saw the hand-written entry either
        ("balance_mismatch", None, clearing().pk),
    }
    assert ledger_check() == []


def test_an_entry_in_the_wrong_currency_is_refused_or_found(creator, available):
    posted = LedgerTransaction.objects.get(reference="sale:1")
    jpy_entry = {"transaction": posted, "account": available, "amount_minor": 5, "currency": "JPY"}
    if connection.vendor == "postgresql":
        # the ledger_entry_currency trigger refuses it on insert
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.create(**jpy_entry)
    else:
        wrong = LedgerEntry.objects.create(**jpy_entry)
        assert ("currency_mismatch", wrong.pk) in {(p.code, p.entry_id) for p in ledger_check()}


def test_the_check_finds_entries_whose_account_or_transaction_is_gone(creator, available):
    # The ledger's trigger refuses such entries (no foreign keys: migration 0007), so on
    # PostgreSQL the rows are written with triggers off, in a savepoint rolled back after.
    posted = LedgerTransaction.objects.get(reference="sale:1")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        no_account = LedgerEntry.objects.create(
            transaction=posted, account_id=987_654, amount_minor=5, currency="USD"
        )
        no_transaction = LedgerEntry.objects.create(
            transaction_id=987_655, account=available, amount_minor=-5, currency="USD"
        )
        found = {(p.code, p.entry_id) for p in ledger_check() if p.code == "orphan_entry"}
        transaction.set_rollback(True)
    assert found == {("orphan_entry", no_account.pk), ("orphan_entry", no_transaction.pk)}
    assert ledger_check() == []
