"""Bonus awards in the ledger: platform-funded money for a creator, and its reversal.

The bonuses app approves awards; only the payments app writes payments models, so this module
is the bonuses app's door into the ledger. An award is one balanced transaction:

    platform bonus_expense   −gross
    creator  pending         +gross − commission
    platform commission_revenue  +commission      (the ``bonus`` commission rule, rounded by portion())

plus a Hold that the hold-release task moves to ``available`` after the review hold
(``settings.PAYMENTS_HOLD_DAYS["bonus"]``, 14 days), as for settled sales (payments.settlement).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from common.money import Money, portion
from payments.commission import commission_rule_pick, commission_rules_load
from payments.enums import AccountKind, CommissionSource, TransactionKind
from payments.ledger import (
    EntrySpec,
    Posting,
    account_get_or_create,
    accounts_get_or_create,
    ledger_post,
    ledger_post_many,
    ledger_reverse,
)
from payments.models import PLATFORM, CommissionRule, Hold, LedgerAccount, LedgerTransaction


@dataclass(frozen=True, slots=True)
class BonusAward:
    """One award to post: who, how much (gross, before the bonus commission) and where."""

    reference: str
    party: str
    amount: Money
    country: str
    description: str = ""
    metadata: dict[str, Any] | None = None


@transaction.atomic
def bonus_awards_post_many(
    *, awards: Sequence[BonusAward], at: datetime, hold_days: int | None = None
) -> list[LedgerTransaction]:
    """Post many awards (one balanced transaction each) in one database transaction and a few queries.

    Idempotent per reference, as ledger_post_many(): awards already posted return their first
    posting and get no second hold. Precondition: every amount is positive. Raises
    ``no_commission_rule`` (nothing written) when no bonus rule is in force for a country at ``at``.
    Side effects: the transactions and one Hold per creator net, released after ``hold_days``
    (default ``settings.PAYMENTS_HOLD_DAYS["bonus"]``).
    """
    if not awards:
        return []
    rules = commission_rules_load()
    days = settings.PAYMENTS_HOLD_DAYS[CommissionSource.BONUS] if hold_days is None else hold_days
    planned = []
    for award in awards:
        rule = commission_rule_pick(rules, source=CommissionSource.BONUS, country=award.country, at=at)
        commission = portion(award.amount, rule.rate_bps)
        planned.append((award, rule, commission, award.amount - commission))
    keys = set()
    for award, _rule, _commission, _net in planned:
        currency = award.amount.currency
        keys |= {
            (PLATFORM, AccountKind.BONUS_EXPENSE.value, currency),
            (PLATFORM, AccountKind.COMMISSION_REVENUE.value, currency),
            (award.party, AccountKind.PENDING.value, currency),
        }
    accounts = accounts_get_or_create(keys=keys)
    postings = [
        _posting(award, rule, commission, net, accounts, at) for award, rule, commission, net in planned
    ]
    posted = ledger_post_many(postings=postings)
    Hold.objects.bulk_create(
        [
            Hold(
                party=award.party,
                currency=net.currency,
                amount_minor=net.amount_minor,
                source=CommissionSource.BONUS,
                origin=transaction_,
                release_at=at + timedelta(days=days),
            )
            for (award, _rule, _commission, net), transaction_ in zip(planned, posted, strict=True)
            if net.is_positive()
        ],
        ignore_conflicts=True,  # a retried batch: the first hold of each posting stays
    )
    return posted


def _posting(
    award: BonusAward,
    rule: CommissionRule,
    commission: Money,
    net: Money,
    accounts: dict[tuple[str, str, str], LedgerAccount],
    at: datetime,
) -> Posting:
    currency = award.amount.currency
    entries = [EntrySpec(accounts[(PLATFORM, AccountKind.BONUS_EXPENSE, currency)], -award.amount)]
    if net.is_positive():
        entries.append(EntrySpec(accounts[(award.party, AccountKind.PENDING, currency)], net))
    if commission.is_positive():
        entries.append(EntrySpec(accounts[(PLATFORM, AccountKind.COMMISSION_REVENUE, currency)], commission))
    return Posting(
        reference=award.reference,
        entries=entries,
        kind=TransactionKind.BONUS,
        description=award.description or f"Bonus {award.reference}",
        metadata=award.metadata or {},
        commission_rule={
            "rules": [
                {
                    **rule.snapshot(),
                    "party": award.party,
                    "gross_minor": award.amount.amount_minor,
                    "commission_minor": commission.amount_minor,
                }
            ],
            "country": award.country,
            "currency": currency,
            "applied_at": at.isoformat(),
        },
    )


def bonus_award_post(
    *,
    reference: str,
    party: str,
    amount: Money,
    country: str,
    at: datetime,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    hold_days: int | None = None,
) -> LedgerTransaction:
    """Post one award (bonus_awards_post_many() of one); idempotent by ``reference``."""
    award = BonusAward(reference, party, amount, country, description, metadata)
    return bonus_awards_post_many(awards=[award], at=at, hold_days=hold_days)[0]


@transaction.atomic
def bonus_award_reverse(
    *, posted: LedgerTransaction, reference: str, description: str = ""
) -> LedgerTransaction:
    """Reverse an award's posting once (idempotent by ``reference``), whatever its hold became.

    Still on hold: the exact negation of the posting (ledger_reverse), and the hold is emptied so
    its release moves nothing. Already released: the creator's part is taken back from
    ``available`` (which may go negative, recovered from future earnings as for refunds).
    """
    if (existing := LedgerTransaction.objects.filter(reverses=posted).first()) is not None:
        return existing
    if (existing := LedgerTransaction.objects.filter(reference=reference).first()) is not None:
        return existing
    holds = list(Hold.objects.select_for_update().filter(origin=posted).order_by("pk"))
    if all(hold.released_at is None for hold in holds):
        for hold in holds:
            hold.refunded_minor = hold.amount_minor
            hold.save(update_fields=["refunded_minor"])
        return ledger_reverse(transaction=posted, reference=reference, description=description)
    entries, overdraft = [], []
    for entry in posted.entries.select_related("account").order_by("id"):
        account = entry.account
        if account.kind == AccountKind.PENDING:
            account = account_get_or_create(
                party=account.party, kind=AccountKind.AVAILABLE, currency=account.currency
            )
            overdraft.append(account)
        entries.append(EntrySpec(account, -entry.amount))
    return ledger_post(
        reference=reference,
        entries=entries,
        kind=TransactionKind.REVERSAL,
        description=description or f"Reversal of {posted.reference}",
        metadata={"reverses": posted.reference},
        allow_negative=overdraft,
    )
