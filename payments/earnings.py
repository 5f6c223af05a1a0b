"""Reads for a party's earnings: what the creator's Earnings page and the API show.

Only ever called with the requesting user's own party: earnings are visible to their owner
and to staff, never to anyone else.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet, Sum

from common.money import Money
from payments.enums import AccountKind, PayoutStatus
from payments.models import ConnectedAccount, Hold, LedgerAccount, LedgerEntry, Payout
from payments.selectors import balances_for_party, statement_for_account


@dataclass
class Release:
    release_at: datetime
    amount: Money


@dataclass
class CurrencyEarnings:
    currency: str
    pending: Money
    available: Money
    payable_out: Money
    paid_out: Money
    releases: list[Release] = field(default_factory=list)


def earnings_for_party(*, party: str, releases_per_currency: int = 5) -> list[CurrencyEarnings]:
    """Balances per currency, what was paid out, and when pending money clears."""
    balances = balances_for_party(party=party)
    paid = dict(
        Payout.objects.filter(party=party, status=PayoutStatus.PAID)
        .values_list("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    currencies = sorted(set(balances) | set(paid))
    summaries = []
    for currency in currencies:
        by_kind = balances.get(currency, {})
        summaries.append(
            CurrencyEarnings(
                currency=currency,
                pending=by_kind.get(AccountKind.PENDING, Money.zero(currency)),
                available=by_kind.get(AccountKind.AVAILABLE, Money.zero(currency)),
                payable_out=by_kind.get(AccountKind.PAYABLE_OUT, Money.zero(currency)),
                paid_out=Money(paid.get(currency) or 0, currency),
                releases=_upcoming_releases(party, currency, releases_per_currency),
            )
        )
    return summaries


def _upcoming_releases(party: str, currency: str, limit: int) -> list[Release]:
    rows = (
        Hold.objects.filter(party=party, currency=currency, released_at__isnull=True)
        .values("release_at", "amount_minor", "refunded_minor")
        .order_by("release_at")[:limit]
    )
    return [
        Release(row["release_at"], Money(row["amount_minor"] - row["refunded_minor"], currency))
        for row in rows
        if row["amount_minor"] > row["refunded_minor"]
    ]


def statement_for_party(*, party: str, currency: str, kind: str) -> QuerySet[LedgerEntry]:
    """One of the party's accounts, entry by entry with a running balance (newest last)."""
    account = LedgerAccount.objects.filter(party=party, currency=currency, kind=kind).first()
    if account is None:
        return LedgerEntry.objects.none()
    return statement_for_account(account=account).select_related("transaction")


def payouts_for_party(*, party: str) -> QuerySet[Payout]:
    return Payout.objects.filter(party=party).order_by("-created_at", "-id")


def connected_account_for_party(*, party: str) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(party=party).first()


def recent_entries_for_party(*, party: str, limit: int = 25) -> QuerySet[LedgerEntry]:
    """The newest money movements on any of the party's accounts."""
    return (
        LedgerEntry.objects.filter(account__party=party)
        .select_related("transaction", "account")
        .order_by("-id")[:limit]
    )
