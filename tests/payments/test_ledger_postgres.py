"""Rules PostgreSQL holds by itself (migrations 0002 and 0005), and posting under concurrency.

Tests that depend on COMMIT (deferred triggers, other connections seeing committed rows) use
``transactional_db``; each thread has its own connection and closes it when done.
"""

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from common.errors import ApplicationError
from payments.enums import AccountKind, TransactionKind
from payments.ledger import ledger_post
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.selectors import account_balance, ledger_check
from tests.payments.factories import balance_of, clearing, entry, fund, move, run_threads, user_account

THREADS = 8


def insert_transaction(reference: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_ledgertransaction"
            " (reference, kind, description, metadata, content_hash, created_at)"
            " VALUES (%s, 'adjustment', '', '{}', '', now()) RETURNING id",
            [reference],
        )
        return cursor.fetchone()[0]


def insert_entries(transaction_id: int, *rows: tuple[LedgerAccount, int, str]) -> None:
    with connection.cursor() as cursor:
        for account, amount_minor, currency in rows:
            cursor.execute(
                "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount_minor, currency)"
                " VALUES (%s, %s, %s, %s)",
                [transaction_id, account.pk, amount_minor, currency],
            )


# ---------------------------------------------------------------- triggers


def test_unbalanced_entries_written_by_hand_are_refused_at_commit(postgres_only, transactional_db, creator):
    pending = user_account(creator.user)
    # A balanced hand-written transaction commits: the trigger is not refusing everything.
    with transaction.atomic():
        insert_entries(insert_transaction("manual:ok"), (clearing(), -100, "USD"), (pending, 100, "USD"))
    # An unbalanced one is accepted statement by statement, then refused at COMMIT.
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        insert_entries(insert_transaction("manual:bad"), (clearing(), -100, "USD"), (pending, 99, "USD"))
    assert list(LedgerTransaction.objects.values_list("reference", flat=True)) == ["manual:ok"]


def test_entries_cannot_be_added_to_a_posted_transaction(postgres_only, transactional_db, creator):
    # The balance is checked once, when the transaction commits; a later pair of entries, even a
    # balanced one, would change what was posted, so the database refuses it.
    pending = user_account(creator.user)
    with transaction.atomic():
        posted = insert_transaction("manual:posted")
        insert_entries(posted, (clearing(), -100, "USD"), (pending, 100, "USD"))
    with pytest.raises(IntegrityError, match="is posted"), transaction.atomic():
        insert_entries(posted, (clearing(), -5, "USD"), (pending, 5, "USD"))
    assert LedgerEntry.objects.filter(transaction_id=posted).count() == 2


def test_entries_may_be_written_in_a_savepoint_of_the_posting_transaction(
    postgres_only, transactional_db, creator
):
    pending = user_account(creator.user)
    with transaction.atomic():
        posted = insert_transaction("manual:nested")
        with transaction.atomic():  # a savepoint: same top-level database transaction
            insert_entries(posted, (clearing(), -100, "USD"), (pending, 100, "USD"))
    assert LedgerEntry.objects.filter(transaction_id=posted).count() == 2


def test_a_transaction_without_entries_is_refused_at_commit(postgres_only, transactional_db):
    with pytest.raises(IntegrityError, match="has no entries"), transaction.atomic():
        insert_transaction("manual:empty")
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payments_ledgerentry SET amount_minor = amount_minor * 2",
        "DELETE FROM payments_ledgerentry",
        "UPDATE payments_ledgertransaction SET description = 'edited'",
        "DELETE FROM payments_ledgertransaction",
    ],
)
def test_entries_and_transactions_are_never_updated_or_deleted(postgres_only, creator, sql):
    fund(user_account(creator.user), 100, reference="sale:1")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert LedgerEntry.objects.count() == 2
    assert LedgerTransaction.objects.get().description == ""


def test_the_orm_cannot_delete_entries_either(postgres_only, creator):
    fund(user_account(creator.user), 100, reference="sale:1")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.count() == 2


def test_an_entry_must_have_its_accounts_currency(postgres_only, creator):
    usd_pending = user_account(creator.user, AccountKind.PENDING, "USD")
    with pytest.raises(IntegrityError, match="holds USD"), transaction.atomic():
        insert_entries(
            insert_transaction("manual:fx"), (clearing("JPY"), -100, "JPY"), (usd_pending, 100, "JPY")
        )
    assert not LedgerEntry.objects.exists()


def test_an_entry_on_an_account_that_does_not_exist_is_refused(postgres_only, creator):
    # No foreign key does this (migration 0007): the statement trigger's currency check does.
    ghost = LedgerAccount(pk=987_654, currency="USD")
    with pytest.raises(IntegrityError, match="account 987654 which holds <NULL>"), transaction.atomic():
        insert_entries(
            insert_transaction("manual:ghost-account"), (clearing(), -100, "USD"), (ghost, 100, "USD")
        )
    assert not LedgerEntry.objects.exists()


def test_an_entry_on_a_transaction_that_does_not_exist_is_refused(postgres_only, creator):
    pending = user_account(creator.user)
    with pytest.raises(IntegrityError, match="transaction 987654 which does not exist"), transaction.atomic():
        insert_entries(987_654, (clearing(), -100, "USD"), (pending, 100, "USD"))
    assert not LedgerEntry.objects.exists()


def test_an_account_with_entries_is_never_deleted(postgres_only, creator):
    pending = user_account(creator.user)
    unused = user_account(creator.user, AccountKind.AVAILABLE, "JPY")
    fund(pending, 100, reference="sale:1")
    delete = "DELETE FROM payments_ledgeraccount WHERE id = %s"
    with (
        pytest.raises(IntegrityError, match="has entries"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(delete, [pending.pk])
    assert LedgerAccount.objects.filter(pk=pending.pk).exists()
    # An account nothing was posted to may go: the trigger refuses only what has entries.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM payments_ledgeraccount WHERE id = %s", [unused.pk])
    assert not LedgerAccount.objects.filter(pk=unused.pk).exists()


def test_an_account_cannot_be_deleted_while_an_entry_on_it_is_being_written(
    postgres_only, transactional_db, creator
):
    # The statement trigger locks the entries' accounts (FOR KEY SHARE, as a foreign key's
    # check did): a DELETE from another session waits for that lock, then sees the entries.
    pending = user_account(creator.user)
    params = connection.get_connection_params()
    with transaction.atomic():
        insert_entries(insert_transaction("manual:held"), (clearing(), -100, "USD"), (pending, 100, "USD"))
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM payments_ledgeraccount WHERE id = %s", [pending.pk])
    # Committed now: refused outright.
    with (
        psycopg.connect(**params, autocommit=True) as other,
        pytest.raises(psycopg.errors.ForeignKeyViolation),
    ):
        other.execute("DELETE FROM payments_ledgeraccount WHERE id = %s", [pending.pk])
    assert balance_of(pending) == 0  # written by hand: the cached balance is the services' job


@pytest.mark.parametrize("field", ["party", "kind", "currency"])
def test_an_accounts_identity_never_changes_but_its_cached_balance_does(postgres_only, creator, field):
    account = user_account(creator.user, AccountKind.PENDING, "USD")
    new_value = {"party": "user:999999", "kind": AccountKind.AVAILABLE, "currency": "JPY"}[field]
    with pytest.raises(IntegrityError, match="never change"), transaction.atomic():
        LedgerAccount.objects.filter(pk=account.pk).update(**{field: new_value})
    LedgerAccount.objects.filter(pk=account.pk).update(balance_minor=5)  # the reconciler's concern
    assert balance_of(account) == 5


# ---------------------------------------------------------------- concurrency


def run_at_once(work: Callable[[int], Any]) -> list[Any]:
    return run_threads(THREADS, work)


def test_simultaneous_posts_of_one_reference_write_one_transaction(postgres_only, transactional_db, creator):
    pending = user_account(creator.user, AccountKind.PENDING, "JPY")
    source = clearing("JPY")

    def post(index: int) -> LedgerTransaction:
        # Half the threads carry other content: they must get a conflict, never a second row.
        amount = 5_000 if index % 2 == 0 else 4_000
        return ledger_post(
            reference="order:77:settle",
            entries=[entry(source, -amount), entry(pending, amount)],
            kind=TransactionKind.SHOP_SALE,
        )

    results = run_at_once(post)

    posted = LedgerTransaction.objects.get(reference="order:77:settle")
    winner_amount = balance_of(pending)
    assert winner_amount in (5_000, 4_000)
    for index, result in enumerate(results):
        if (5_000 if index % 2 == 0 else 4_000) == winner_amount:
            assert isinstance(result, LedgerTransaction) and result.pk == posted.pk, result
        else:
            assert isinstance(result, ApplicationError) and result.code == "reference_conflict", result
    assert LedgerEntry.objects.count() == 2
    assert ledger_check() == []


def test_simultaneous_debits_never_overdraw_an_account(postgres_only, transactional_db, creator):
    available = user_account(creator.user, AccountKind.AVAILABLE, "USD")
    payable = user_account(creator.user, AccountKind.PAYABLE_OUT, "USD")
    fund(available, 1_000, reference="sale:1")

    results = run_at_once(
        lambda index: move(
            reference=f"payout:{index}",
            source=available,
            target=payable,
            amount_minor=300,
            kind=TransactionKind.PAYOUT,
        )
    )

    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert [r.code for r in refused] == ["insufficient_funds"] * 5, results
    assert sum(isinstance(r, LedgerTransaction) for r in results) == 3
    assert balance_of(available) == account_balance(available).amount_minor == 100
    assert balance_of(payable) == account_balance(payable).amount_minor == 900
    assert ledger_check() == []


def test_opposite_transfers_at_once_do_not_deadlock(postgres_only, transactional_db, creator, other_creator):
    # Each post locks its accounts in primary-key order, whatever the order of its entries.
    mine = user_account(creator.user, AccountKind.AVAILABLE, "KRW")
    theirs = user_account(other_creator.user, AccountKind.AVAILABLE, "KRW")
    fund(mine, 10_000, reference="sale:1")
    fund(theirs, 10_000, reference="sale:2")

    def transfer(index: int) -> LedgerTransaction:
        source, target = (mine, theirs) if index % 2 == 0 else (theirs, mine)
        return move(reference=f"transfer:{index}", source=source, target=target, amount_minor=1_000 + index)

    results = run_at_once(transfer)

    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert balance_of(mine) + balance_of(theirs) == 20_000
    assert balance_of(mine) == 10_000 - sum(1_000 + i for i in range(0, THREADS, 2)) + sum(
        1_000 + i for i in range(1, THREADS, 2)
    )
    assert ledger_check() == []
