"""Payments test data: ledger postings through the real services, paid payments as the gateway leaves them."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

from django.db import connections

from common.money import Money
from payments.enums import AccountKind, PaymentStatus, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, platform_account
from payments.models import LedgerAccount, LedgerTransaction, Payment, party_for_user


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


PAID_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_references = count(1)


def split(user, amount_minor: int, source: str = "shop_sale", **extra) -> dict[str, Any]:
    return {"party": party_for_user(user), "amount_minor": amount_minor, "source": source, **extra}


def paid_payment(
    *splits: dict[str, Any],
    currency: str = "USD",
    source: str = "shop_sale",
    country: str = "US",
    paid_at: datetime = PAID_AT,
    status: str = PaymentStatus.SUCCEEDED,
    amount_minor: int | None = None,
) -> Payment:
    """A succeeded payment as the gateway leaves it (test data: the gateway is tested elsewhere)."""
    return Payment.objects.create(
        reference=f"test-payment-{next(_references)}",
        source=source,
        amount_minor=sum(s["amount_minor"] for s in splits) if amount_minor is None else amount_minor,
        currency=currency,
        country=country,
        splits=list(splits),
        status=status,
        paid_at=paid_at if status == PaymentStatus.SUCCEEDED else None,
    )


def pending_of(user, currency: str = "USD") -> int:
    return balance_of(user_account(user, AccountKind.PENDING, currency))


def available_of(user, currency: str = "USD") -> int:
    return balance_of(user_account(user, AccountKind.AVAILABLE, currency))


def revenue(currency: str = "USD") -> int:
    return balance_of(platform_account(AccountKind.COMMISSION_REVENUE, currency))


def clearing_balance(currency: str = "USD") -> int:
    return balance_of(platform_account(AccountKind.STRIPE_CLEARING, currency))


def run_threads(threads: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..threads-1) in threads released together; results or exceptions, in order."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def thread_main(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:  # collected and asserted on by the test
            results[index] = exc
        finally:
            connections.close_all()  # this thread's own connection

    pool = [threading.Thread(target=thread_main, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in pool)
    return results
