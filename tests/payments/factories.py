"""Ledger test data, built through the real services (payments.ledger)."""

from common.money import Money
from payments.enums import AccountKind, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, platform_account
from payments.models import LedgerAccount, LedgerTransaction, party_for_user


def user_account(user, kind: str = AccountKind.PENDING, currency: str = "USD") -> LedgerAccount:
    return account_get_or_create(party=party_for_user(user), kind=kind, currency=currency)


def clearing(currency: str = "USD") -> LedgerAccount:
    return platform_account(AccountKind.STRIPE_CLEARING, currency)


def entry(account: LedgerAccount, amount_minor: int) -> EntrySpec:
    return EntrySpec(account=account, amount=Money(amount_minor, account.currency))


def move(
    *,
    reference: str,
    source: LedgerAccount,
    target: LedgerAccount,
    amount_minor: int,
    kind: str = TransactionKind.ADJUSTMENT,
    **options,
) -> LedgerTransaction:
    """Move money from ``source`` to ``target`` in one two-entry transaction."""
    return ledger_post(
        reference=reference,
        entries=[entry(source, -amount_minor), entry(target, amount_minor)],
        kind=kind,
        **options,
    )


def fund(account: LedgerAccount, amount_minor: int, *, reference: str) -> LedgerTransaction:
    """Credit ``account`` from Stripe clearing (a settled charge, as far as the ledger knows)."""
    return move(
        reference=reference,
        source=clearing(account.currency),
        target=account,
        amount_minor=amount_minor,
        kind=TransactionKind.SHOP_SALE,
    )


def balance_of(account: LedgerAccount) -> int:
    """The cached balance as stored now (the instance in hand may be stale)."""
    return LedgerAccount.objects.values_list("balance_minor", flat=True).get(pk=account.pk)
