"""Reads of the ledger: balances, statements and the consistency check used by reconciliation.

These selectors do not check who is asking: callers that serve a user pass only that user's
party or accounts (party_for_user(request.user)).
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import BigIntegerField, Exists, F, OuterRef, QuerySet, Sum, Value, Window

from common.money import Money
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction


def account_balance(account: LedgerAccount) -> Money:
    """The balance derived from the account's entries (the truth; ``balance_minor`` is its cache)."""
    entries = LedgerEntry.objects.filter(account=account)
    return Money(entries.aggregate(total=Sum("amount_minor", default=0))["total"], account.currency)


def balances_for_party(*, party: str) -> dict[str, dict[str, Money]]:
    """``{currency: {kind: Money}}`` for every account of ``party``, e.g. ``{"USD": {"available": …}}``.

    Reads the cached balances, one query whatever the number of entries: ledger_post() keeps
    them equal to the entries in the same database transaction, and ledger_check() verifies it.
    """
    balances: dict[str, dict[str, Money]] = {}
    for account in LedgerAccount.objects.filter(party=party).order_by("currency", "kind"):
        balances.setdefault(account.currency, {})[account.kind] = account.balance
    return balances


def statement_for_account(*, account: LedgerAccount, after_id: int | None = None) -> QuerySet[LedgerEntry]:
    """The account's entries, oldest first, each annotated with ``running_balance`` (minor units).

    ``running_balance`` is the balance just after that entry, a window sum over the account's
    entries by id. Re-order and slice the queryset freely (pagination applies after the window),
    but do not ``.filter()`` it: a WHERE runs before the window and would restart the sum. For
    keyset pagination pass ``after_id``: the entries after it, with the balance carried over.
    """
    entries = LedgerEntry.objects.filter(account=account)
    opening = 0
    if after_id is not None:
        opening = entries.filter(id__lte=after_id).aggregate(total=Sum("amount_minor", default=0))["total"]
        entries = entries.filter(id__gt=after_id)
    running = Window(Sum("amount_minor"), order_by=F("id").asc()) + Value(
        opening, output_field=BigIntegerField()
    )
    return entries.select_related("transaction").annotate(running_balance=running).order_by("id")


# ---------------------------------------------------------------- consistency check


class LedgerProblemCode(StrEnum):
    UNBALANCED_TRANSACTION = "unbalanced_transaction"
    EMPTY_TRANSACTION = "empty_transaction"
    BALANCE_MISMATCH = "balance_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    ORPHAN_ENTRY = "orphan_entry"


@dataclass(frozen=True, slots=True)
class LedgerProblem:
    code: LedgerProblemCode
    message: str
    transaction_id: int | None = None
    account_id: int | None = None
    entry_id: int | None = None


def ledger_check() -> list[LedgerProblem]:
    """Every broken ledger rule, found with five set-based queries (no per-row loops in SQL).

    Finds transactions whose entries do not sum to zero per currency, transactions without
    entries, entries whose currency is not their account's, entries whose transaction or
    account is gone, and accounts whose cached ``balance_minor`` differs from the sum of their
    entries. An empty list means a sound ledger. On PostgreSQL the triggers prevent all but the
    last, so they signal tampering (a trigger dropped, a table truncated by hand: the entries'
    references are checked by the ledger's trigger, not by foreign keys); on SQLite only the
    services prevent them. Reads the whole ledger: for the
    reconciliation job, not for requests.
    """
    return [
        *_unbalanced_transactions(),
        *_empty_transactions(),
        *_currency_mismatches(),
        *_orphan_entries(),
        *_balance_mismatches(),
    ]


def _unbalanced_transactions() -> list[LedgerProblem]:
    rows = (
        LedgerEntry.objects.order_by()
        .values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("transaction_id", "currency")
    )
    return [
        LedgerProblem(
            code=LedgerProblemCode.UNBALANCED_TRANSACTION,
            message=f"transaction {row['transaction_id']} sums to {Money(row['total'], row['currency'])}",
            transaction_id=row["transaction_id"],
        )
        for row in rows
    ]


def _empty_transactions() -> list[LedgerProblem]:
    ids = LedgerTransaction.objects.filter(entries__isnull=True).values_list("id", flat=True)
    return [
        LedgerProblem(
            code=LedgerProblemCode.EMPTY_TRANSACTION,
            message=f"transaction {pk} has no entries",
            transaction_id=pk,
        )
        for pk in ids
    ]


def _currency_mismatches() -> list[LedgerProblem]:
    rows = (
        LedgerEntry.objects.exclude(currency=F("account__currency"))
        .values("id", "transaction_id", "account_id", "currency", "account__currency")
        .order_by("id")
    )
    return [
        LedgerProblem(
            code=LedgerProblemCode.CURRENCY_MISMATCH,
            message=f"entry {row['id']} is in {row['currency']} on a {row['account__currency']} account",
            transaction_id=row["transaction_id"],
            account_id=row["account_id"],
            entry_id=row["id"],
        )
        for row in rows
    ]


def _orphan_entries() -> list[LedgerProblem]:
    rows = (
        LedgerEntry.objects.filter(
            ~Exists(LedgerTransaction.objects.filter(pk=OuterRef("transaction_id")))
            | ~Exists(LedgerAccount.objects.filter(pk=OuterRef("account_id")))
        )
        .values_list("id", "transaction_id", "account_id")
        .order_by("id")
    )
    return [
        LedgerProblem(
            code=LedgerProblemCode.ORPHAN_ENTRY,
            message=f"entry {pk} names transaction {transaction_id} and account {account_id}: one is gone",
            transaction_id=transaction_id,
            account_id=account_id,
            entry_id=pk,
        )
        for pk, transaction_id, account_id in rows
    ]


def _balance_mismatches() -> list[LedgerProblem]:
    accounts = (
        LedgerAccount.objects.annotate(derived=Sum("entries__amount_minor", default=0))
        .exclude(balance_minor=F("derived"))
        .order_by("id")
    )
    return [
        LedgerProblem(
            code=LedgerProblemCode.BALANCE_MISMATCH,
            message=(
                f"account {account} caches {account.balance} but its entries sum to "
                f"{Money(account.derived, account.currency)}"
            ),
            account_id=account.pk,
        )
        for account in accounts
    ]
