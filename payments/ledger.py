"""Posting to the double-entry ledger: the only code that writes ledger rows (DESIGN.md, "Ledger").

Every rule is checked here before anything is written, so it holds on SQLite too; on PostgreSQL
the triggers of migration 0002_ledger_rules hold the same rules for any code that goes around
these functions.

Locking order, for callers that post several transactions in one database transaction: a post
first claims its reference (a unique insert), then locks the accounts it touches in primary-key
order. Every post takes its locks in that order, so two posts never wait on each other in a
cycle. A caller should not lock ledger accounts itself before calling ledger_post().
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import F
from django.utils.translation import gettext as _

from common.bulk import bulk_set
from common.errors import ApplicationError
from common.money import Money, currency_validate
from payments.enums import (
    FREE_KINDS,
    OVERDRAFT_KINDS,
    PARTY_KINDS,
    PLATFORM_KINDS,
    AccountKind,
    LedgerErrorCode,
    TransactionKind,
)
from payments.models import PARTY_PATTERN, PLATFORM, LedgerAccount, LedgerEntry, LedgerTransaction

REFERENCE_MAX_LENGTH = LedgerTransaction._meta.get_field("reference").max_length or 200


@dataclass(frozen=True, slots=True)
class EntrySpec:
    """One line of a posting: a signed amount on an account (positive adds to its balance)."""

    account: LedgerAccount
    amount: Money


@dataclass(frozen=True, slots=True, order=True)
class _Line:
    # A validated EntrySpec reduced to plain values; the sorted lines are what gets hashed.
    account_id: int
    currency: str
    amount_minor: int


# ---------------------------------------------------------------- accounts


def account_get_or_create(*, party: str, kind: str, currency: str) -> LedgerAccount:
    """The account of ``party`` for ``kind`` in ``currency``, created on first use.

    Race-safe: two concurrent first uses create one row (the unique constraint on party, kind
    and currency decides; Django's get_or_create retries the read after losing the insert).
    Refuses an unknown party key, an unknown kind, a kind that does not fit the party
    (platform kinds for "platform", party kinds for users and brands) and unsupported currencies.
    """
    if not PARTY_PATTERN.match(party):
        raise ApplicationError(
            _('Unknown ledger party "%(party)s": use "platform", "user:<id>" or "brand:<id>".')
            % {"party": party},
            code=LedgerErrorCode.INVALID_PARTY,
        )
    allowed = PLATFORM_KINDS if party == PLATFORM else PARTY_KINDS
    if kind not in allowed:
        raise ApplicationError(
            _("A %(party)s account cannot be of kind %(kind)s.") % {"party": party, "kind": kind},
            code=LedgerErrorCode.INVALID_ACCOUNT_KIND,
        )
    account, _created = LedgerAccount.objects.get_or_create(
        party=party,
        kind=kind,
        currency=currency_validate(currency),
        defaults={"allow_negative": kind in FREE_KINDS},
    )
    return account


def platform_account(kind: str, currency: str) -> LedgerAccount:
    """The platform's account of ``kind`` (stripe_clearing, commission_revenue, …) in ``currency``."""
    return account_get_or_create(party=PLATFORM, kind=kind, currency=currency)


# ---------------------------------------------------------------- posting


def ledger_post(
    *,
    reference: str,
    entries: Sequence[EntrySpec],
    kind: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    commission_rule: dict[str, Any] | None = None,
    allow_negative: Collection[LedgerAccount] = (),
) -> LedgerTransaction:
    """Post a balanced transaction under the idempotency key ``reference``; return it.

    Preconditions, each refused with an ApplicationError and nothing written: two or more
    entries (``too_few_entries``), saved accounts (``unsaved_account``), non-zero amounts
    (``zero_amount``) in their account's currency (``currency_mismatch``), summing to zero per
    currency (``unbalanced``), and no account below zero afterwards (``insufficient_funds``)
    unless it is a platform account that allows any sign or an `available` account named in
    ``allow_negative`` (refunds and clawbacks; other kinds there are ``negative_not_allowed``).

    Idempotent: posting a reference again with the same kind and entries (in any order)
    returns the first transaction and writes nothing; with different content it is a
    ``reference_conflict`` (409). Safe under concurrency: of simultaneous posts of one reference
    exactly one writes. Side effects: the entries, and the accounts' cached balances, in one
    database transaction with the touched accounts locked in primary-key order.
    """
    return _transaction_post(
        reference=reference,
        entries=entries,
        kind=kind,
        description=description,
        metadata=metadata,
        commission_rule=commission_rule,
        allow_negative=allow_negative,
        reverses=None,
    )


def ledger_reverse(
    *,
    transaction: LedgerTransaction,
    reference: str | None = None,
    description: str = "",
    allow_negative: Collection[LedgerAccount] = (),
) -> LedgerTransaction:
    """Post the exact negation of ``transaction`` (reference "<original>:reverse" by default).

    Idempotent like ledger_post(): repeating the call with the same reference returns the
    reversal already posted. A transaction is reversed at most once: reversing it again under
    another reference, or reversing a reversal, is ``already_reversed``. The reversal takes
    money back from the accounts the original credited, so it can be ``insufficient_funds``;
    ``allow_negative`` works as in ledger_post().
    """
    original = transaction
    if original.reverses_id is not None:
        raise ApplicationError(
            _("%(reference)s is a reversal: post a new transaction instead of reversing it.")
            % {"reference": original.reference},
            code=LedgerErrorCode.ALREADY_REVERSED,
        )
    reference = f"{original.reference}:reverse" if reference is None else reference
    previous = LedgerTransaction.objects.filter(reverses=original).first()
    if previous is not None and previous.reference != reference:
        raise _already_reversed(original)
    return _transaction_post(
        reference=reference,
        entries=[
            EntrySpec(account=entry.account, amount=-entry.amount)
            for entry in original.entries.select_related("account").order_by("id")
        ],
        kind=TransactionKind.REVERSAL,
        # Stored text stays in English whatever the active language: the ledger is a record, not UI.
        description=description or f"Reversal of {original.reference}",
        metadata={"reverses": original.reference},
        commission_rule=None,
        allow_negative=allow_negative,
        reverses=original,
    )


@db_transaction.atomic
def _transaction_post(
    *,
    reference: str,
    entries: Sequence[EntrySpec],
    kind: str,
    description: str,
    metadata: dict[str, Any] | None,
    commission_rule: dict[str, Any] | None,
    allow_negative: Collection[LedgerAccount],
    reverses: LedgerTransaction | None,
) -> LedgerTransaction:
    """ledger_post() with an optional transaction being reversed; see there for the rules."""
    _reference_validate(reference)
    _transaction_kind_validate(kind)
    lines = _lines_validate(entries)
    overdraft_ids = _overdraft_ids(allow_negative)
    content_hash = _content_hash(kind=kind, lines=lines, reverses=reverses)
    if (existing := LedgerTransaction.objects.filter(reference=reference).first()) is not None:
        return _repeat_or_conflict(existing, content_hash)
    posted, created = _reference_claim(
        LedgerTransaction(
            reference=reference,
            kind=kind,
            description=description[:255],
            metadata=metadata or {},
            commission_rule=commission_rule,
            reverses=reverses,
            content_hash=content_hash,
        )
    )
    if not created:
        return _repeat_or_conflict(posted, content_hash)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            transaction=posted,
            account_id=line.account_id,
            amount_minor=line.amount_minor,
            currency=line.currency,
        )
        for line in lines
    )
    # Balances last: hot platform rows stay locked only from here to the commit (see there).
    _balances_apply(lines, overdraft_ids)
    return posted


def _reference_claim(candidate: LedgerTransaction) -> tuple[LedgerTransaction, bool]:
    """Insert ``candidate``, or return the transaction that won its reference: (row, created).

    A concurrent insert of the same reference blocks on the unique index until the other
    database transaction ends; if it committed, the insert fails and the winner is read back.
    Caller holds an open database transaction.
    """
    try:
        # A savepoint: losing the race must not abort the caller's transaction.
        with db_transaction.atomic():
            candidate.save(force_insert=True)
            return candidate, True
    except IntegrityError:
        # Under READ COMMITTED this new query sees the row committed by the winner.
        if (winner := LedgerTransaction.objects.filter(reference=candidate.reference).first()) is not None:
            return winner, False
        if candidate.reverses is not None:  # the unique `reverses`: reversed meanwhile elsewhere
            raise _already_reversed(candidate.reverses) from None
        raise


# ---------------------------------------------------------------- posting in batches


@dataclass(frozen=True, slots=True)
class Posting:
    """One transaction for ledger_post_many(): the arguments of ledger_post()."""

    reference: str
    entries: Sequence[EntrySpec]
    kind: str
    description: str = ""
    metadata: dict[str, Any] | None = None
    commission_rule: dict[str, Any] | None = None


@db_transaction.atomic
def ledger_post_many(
    *, postings: Sequence[Posting], allow_negative: Collection[LedgerAccount] = ()
) -> list[LedgerTransaction]:
    """Post many transactions in one database transaction, with a handful of queries.

    The same rules and idempotency as ledger_post() for each posting, all or nothing: one
    posting that breaks a rule refuses the batch. Overdrafts are checked posting by posting, in
    order, on the locked balances, exactly as consecutive ledger_post() calls would. Returns the
    transactions in the order of `postings` (already posted ones included, written once).
    """
    overdraft_ids = _overdraft_ids(allow_negative)
    prepared = [_posting_prepare(posting) for posting in postings]
    references = [posting.reference for posting, _lines, _digest in prepared]
    existing = LedgerTransaction.objects.in_bulk(references, field_name="reference")
    fresh = [item for item in prepared if item[0].reference not in existing]
    for posting, _lines, digest in prepared:
        if posting.reference in existing:
            _repeat_or_conflict(existing[posting.reference], digest)
    if len(set(references)) != len(references):
        raise ApplicationError(
            _("A reference appears twice in the batch."), code=LedgerErrorCode.INVALID_REFERENCE
        )
    created = _transactions_claim(fresh)
    if created is None:  # lost a race for a reference: post one by one, which handles it
        return [
            _transaction_post(
                reference=p.reference,
                entries=p.entries,
                kind=p.kind,
                description=p.description,
                metadata=p.metadata,
                commission_rule=p.commission_rule,
                allow_negative=allow_negative,
                reverses=None,
            )
            for p in postings
        ]
    fresh_lines = [lines for _posting, lines, _digest in fresh]
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            transaction=transaction,
            account_id=line.account_id,
            amount_minor=line.amount_minor,
            currency=line.currency,
        )
        for transaction, lines in zip(created, fresh_lines, strict=True)
        for line in lines
    )
    # Balances last: the hot platform rows stay locked only from here to the commit. A refused
    # overdraft raises, and the whole batch, entries included, is rolled back.
    _balances_apply_in_order(fresh_lines, overdraft_ids)
    by_reference = {**existing, **{t.reference: t for t in created}}
    return [by_reference[p.reference] for p in postings]


def _posting_prepare(posting: Posting) -> tuple[Posting, list[_Line], str]:
    _reference_validate(posting.reference)
    _transaction_kind_validate(posting.kind)
    lines = _lines_validate(posting.entries)
    return posting, lines, _content_hash(kind=posting.kind, lines=lines, reverses=None)


def _transactions_claim(fresh: list[tuple[Posting, list[_Line], str]]) -> list[LedgerTransaction] | None:
    """Insert the new transactions in one statement; None if another writer took a reference."""
    candidates = [
        LedgerTransaction(
            reference=p.reference,
            kind=p.kind,
            description=p.description[:255],
            metadata=p.metadata or {},
            commission_rule=p.commission_rule,
            content_hash=digest,
        )
        for p, _lines, digest in fresh
    ]
    try:
        with db_transaction.atomic():  # a savepoint: losing a race must not abort the caller
            return LedgerTransaction.objects.bulk_create(candidates)
    except IntegrityError:
        return None


def _balances_apply_in_order(batches: list[list[_Line]], overdraft_ids: frozenset[int]) -> None:
    """Refuse overdrafts and update the cached balances of the postings in `batches`, in order.

    Locking, always in this order so that no two writers wait on each other in a cycle:
    1. Accounts that must not go negative are locked with SELECT … FOR UPDATE in primary-key
       order, and overdrafts are checked posting by posting on the locked rows.
    2. Accounts that take any sign (the platform's clearing, revenue and expense accounts, hot
       rows that every settlement touches) need no check: they are incremented last, in
       primary-key order, so their row locks are held only from that UPDATE to the commit.
    The database's own CHECK on LedgerAccount backs step 1 whatever the caller claims.
    Caller holds an open database transaction (the row locks last until it ends).
    """
    currencies = {line.account_id: line.currency for lines in batches for line in lines}
    free = {
        a.pk: a
        for a in LedgerAccount.objects.filter(pk__in=currencies, allow_negative=True).only(
            "pk", "currency", "kind"
        )
    }
    guarded = {
        a.pk: a
        # FOR NO KEY UPDATE, the lock the balance UPDATE takes anyway: it excludes other
        # balance writers but not the FOR KEY SHARE that inserting an entry takes on its
        # account, so two batches that both inserted entries cannot deadlock here.
        for a in LedgerAccount.objects.select_for_update(no_key=True)
        .filter(pk__in=set(currencies) - set(free))
        .order_by("pk")
    }
    if len(guarded) + len(free) != len(currencies):
        raise ApplicationError(_("A ledger account no longer exists."), code=LedgerErrorCode.UNSAVED_ACCOUNT)
    for account in [*guarded.values(), *free.values()]:
        # Re-checked on the stored row: the caller's instance could be stale or hand-made.
        if account.currency != currencies[account.pk]:
            raise _currency_mismatch(account, currencies[account.pk])
    free_deltas: dict[int, int] = defaultdict(int)
    for lines in batches:
        deltas: dict[int, int] = defaultdict(int)
        for line in lines:
            deltas[line.account_id] += line.amount_minor
        for account_id, delta in deltas.items():
            if account_id in free:
                free_deltas[account_id] += delta
            else:
                _overdraft_check(guarded[account_id], delta, overdraft_ids)
                guarded[account_id].balance_minor += delta
    bulk_set(
        LedgerAccount,
        column="balance_minor",
        sql_type="bigint",
        values={pk: account.balance_minor for pk, account in guarded.items()},
    )
    for account_id in sorted(free_deltas):
        LedgerAccount.objects.filter(pk=account_id).update(
            balance_minor=F("balance_minor") + free_deltas[account_id]
        )


def accounts_get_or_create(
    *, keys: Collection[tuple[str, str, str]]
) -> dict[tuple[str, str, str], LedgerAccount]:
    """account_get_or_create() for many (party, kind, currency) keys, in three queries."""

    def fetch() -> dict[tuple[str, str, str], LedgerAccount]:
        parties = {key[0] for key in keys}
        return {
            (a.party, a.kind, a.currency): a
            for a in LedgerAccount.objects.filter(party__in=parties)
            if (a.party, a.kind, a.currency) in keys
        }

    found = fetch()
    missing = [key for key in keys if key not in found]
    if not missing:
        return found
    # Created in a fixed order: two transactions creating the same new accounts wait on each
    # other in that order, never in a cycle.
    for key in sorted(missing):
        account_get_or_create(party=key[0], kind=key[1], currency=key[2])
    return fetch()


# ---------------------------------------------------------------- validation


def _reference_validate(reference: str) -> None:
    if not reference or reference != reference.strip() or len(reference) > REFERENCE_MAX_LENGTH:
        raise ApplicationError(
            _("A ledger reference is non-blank text of at most %(max)d characters, such as order:123:settle.")
            % {"max": REFERENCE_MAX_LENGTH},
            code=LedgerErrorCode.INVALID_REFERENCE,
        )


def _transaction_kind_validate(kind: str) -> None:
    if kind not in TransactionKind.values:
        raise ApplicationError(
            _("Unknown ledger transaction kind %(kind)s.") % {"kind": kind},
            code=LedgerErrorCode.INVALID_TRANSACTION_KIND,
        )


def _lines_validate(entries: Sequence[EntrySpec]) -> list[_Line]:
    """The entries as sorted lines, or the ApplicationError for the first rule they break."""
    if len(entries) < 2:
        raise ApplicationError(
            _("A ledger transaction has at least two entries."), code=LedgerErrorCode.TOO_FEW_ENTRIES
        )
    totals: dict[str, int] = defaultdict(int)
    lines = []
    for spec in entries:
        account, amount = spec.account, spec.amount
        if account.pk is None:
            raise ApplicationError(_("Save the account first."), code=LedgerErrorCode.UNSAVED_ACCOUNT)
        if amount.is_zero():
            raise ApplicationError(_("Ledger entries cannot be zero."), code=LedgerErrorCode.ZERO_AMOUNT)
        if amount.currency != account.currency:
            raise _currency_mismatch(account, amount.currency)
        totals[amount.currency] += amount.amount_minor
        lines.append(_Line(account.pk, amount.currency, amount.amount_minor))
    if unbalanced := {currency: total for currency, total in sorted(totals.items()) if total}:
        sums = ", ".join(str(Money(total, currency)) for currency, total in unbalanced.items())
        raise ApplicationError(
            _("The entries do not balance: they sum to %(totals)s.") % {"totals": sums},
            code=LedgerErrorCode.UNBALANCED,
        )
    return sorted(lines)


def _overdraft_ids(accounts: Collection[LedgerAccount]) -> frozenset[int]:
    for account in accounts:
        if account.kind not in OVERDRAFT_KINDS:
            raise ApplicationError(
                _("A %(kind)s account can never go below zero.") % {"kind": account.kind},
                code=LedgerErrorCode.NEGATIVE_NOT_ALLOWED,
            )
    return frozenset(account.pk for account in accounts)


def _content_hash(*, kind: str, lines: list[_Line], reverses: LedgerTransaction | None) -> str:
    entries = [[line.account_id, line.currency, line.amount_minor] for line in lines]
    return content_hash(kind=kind, entries=entries, reverses_id=reverses.pk if reverses is not None else None)


def content_hash(*, kind: str, entries: list[list], reverses_id: int | None = None) -> str:
    """A posting's content hash from its sorted [account id, currency, amount] entries.

    Only what moves money is compared: a retry whose description or metadata changed (a
    timestamp, a new log line) is still the same posting. The bulk settlement path
    (settlement_bulk) hashes with this too, so both write the same hash for the same posting.
    """
    content = {"kind": kind, "reverses": reverses_id, "entries": entries}
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def _repeat_or_conflict(existing: LedgerTransaction, content_hash: str) -> LedgerTransaction:
    if existing.content_hash != content_hash:
        raise ApplicationError(
            _("The reference %(reference)s was already posted with different entries.")
            % {"reference": existing.reference},
            code=LedgerErrorCode.REFERENCE_CONFLICT,
            status_code=409,
        )
    return existing


def _already_reversed(original: LedgerTransaction) -> ApplicationError:
    return ApplicationError(
        _("%(reference)s has already been reversed.") % {"reference": original.reference},
        code=LedgerErrorCode.ALREADY_REVERSED,
    )


def _currency_mismatch(account: LedgerAccount, currency: str) -> ApplicationError:
    return ApplicationError(
        _("The account %(account)s holds %(expected)s, not %(currency)s.")
        % {"account": account, "expected": account.currency, "currency": currency},
        code=LedgerErrorCode.CURRENCY_MISMATCH,
    )


# ---------------------------------------------------------------- balances


def _balances_apply(lines: list[_Line], overdraft_ids: frozenset[int]) -> None:
    """Refuse overdrafts and update cached balances: _balances_apply_in_order() for one posting."""
    _balances_apply_in_order([lines], overdraft_ids)


def _overdraft_check(account: LedgerAccount, delta: int, overdraft_ids: frozenset[int]) -> None:
    after = account.balance_minor + delta
    # Only a debit can overdraw: crediting an account that is already negative (a creator
    # recovering from a clawback) is always fine.
    if delta >= 0 or after >= 0 or account.allow_negative:
        return
    if account.pk in overdraft_ids and account.kind in OVERDRAFT_KINDS:
        return
    raise ApplicationError(
        _("Insufficient funds on %(account)s: %(balance)s available, %(debit)s needed.")
        % {
            "account": account,
            "balance": Money(account.balance_minor, account.currency),
            "debit": Money(-delta, account.currency),
        },
        code=LedgerErrorCode.INSUFFICIENT_FUNDS,
    )


__all__ = [
    "AccountKind",
    "EntrySpec",
    "Posting",
    "TransactionKind",
    "account_get_or_create",
    "accounts_get_or_create",
    "ledger_post",
    "ledger_post_many",
    "ledger_reverse",
    "platform_account",
]
