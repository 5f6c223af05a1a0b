"""Settlement: a paid Payment becomes ledger money, split between the parties and the platform.

Every feature settles through here. A feature (shops, affiliates, the marketplace) creates a
Payment whose ``splits`` say who receives what of the gross, before commission:

    [{"party": "user:5", "amount_minor": 9000, "source": "shop_sale"},
     {"party": "user:9", "amount_minor": 1000, "source": "affiliate_commission", "hold_days": 30}]

- ``party``: a ledger party (``user:<id>`` or ``brand:<id>``, never ``platform``: the platform
  earns through commission), at most once per payment (merge a party's shares first).
- ``amount_minor``: a positive int in the payment's currency; the splits add up exactly to
  ``Payment.amount_minor``.
- ``source``: a CommissionSource, which picks the commission rule and the default hold. An
  affiliate's share is simply another split with source ``affiliate_commission``: a $100 shop
  sale with a 10% affiliate is ``[seller 9000 shop_sale, affiliate 1000 affiliate_commission]``.
- ``hold_days`` (optional): days the party's money stays ``pending`` before it becomes
  ``available``; default ``settings.PAYMENTS_HOLD_DAYS[source]``; 0 releases at the next run.
- ``escrow`` (optional, default false): the split is held by the platform for the party (a
  brand funding a deal) instead of being earned: it goes whole to the platform's ``escrow``
  account, with no commission and no hold. payments.escrow releases it later, taking the
  commission then. Not combinable with ``hold_days``.

Commission is taken per split: ``portion(split, rule.rate_bps)`` (rounded half up, see
common.money), with the rule in force for (split source, payment country, paid_at). The party
gets the split minus its commission into ``pending``, the platform's ``commission_revenue``
gets the commissions, and ``stripe_clearing`` gives the gross: one balanced transaction whose
``commission_rule`` keeps a copy of every rule applied. Platform-funded splits (a promotion the
platform pays for) are not supported yet.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, TypeGuard

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.bulk import bulk_set
from common.errors import ApplicationError
from common.money import Money, portion, sum_money
from payments.commission import commission_rule_for, commission_rule_pick, commission_rules_load
from payments.enums import AccountKind, CommissionSource, PaymentStatus
from payments.ledger import (
    EntrySpec,
    Posting,
    account_get_or_create,
    accounts_get_or_create,
    ledger_post,
    ledger_post_many,
)
from payments.models import (
    PARTY_PATTERN,
    PLATFORM,
    CommissionRule,
    Hold,
    LedgerAccount,
    LedgerTransaction,
    Payment,
)

logger = logging.getLogger(__name__)

SPLIT_REQUIRED_KEYS: Final = frozenset({"party", "amount_minor", "source"})
SPLIT_KEYS: Final = SPLIT_REQUIRED_KEYS | {"hold_days", "escrow"}
# Ten years: longer is a typo, and far larger values would overflow a datetime.
MAX_HOLD_DAYS: Final = 3650

AccountKey = tuple[str, str, str]  # (party, kind, currency)


@dataclass(frozen=True, slots=True)
class Split:
    """One validated element of ``Payment.splits``."""

    party: str
    amount: Money
    source: str
    hold_days: int | None
    escrow: bool = False


@dataclass(frozen=True, slots=True)
class _Share:
    party: str
    net: Money  # the split minus its commission: what lands in the party's pending account
    source: str
    release_at: datetime
    escrow: bool = False  # held in the platform's escrow account, not the party's pending


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything a settlement writes, computed before anything is written."""

    payment: Payment
    shares: list[_Share]
    commission: Money
    rules: dict[str, Any]

    def account_keys(self) -> set[AccountKey]:
        currency = self.payment.currency
        keys = {_share_account_key(share, currency) for share in self.shares}
        keys.add((PLATFORM, AccountKind.STRIPE_CLEARING.value, currency))
        keys.add((PLATFORM, AccountKind.COMMISSION_REVENUE.value, currency))
        return keys


# ---------------------------------------------------------------- services


@transaction.atomic
def settlement_post(*, payment: Payment) -> LedgerTransaction:
    """Settle a paid payment into the ledger once; return its settlement transaction.

    Precondition: the payment succeeded (``payment_not_paid`` otherwise). Idempotent: a settled
    payment returns its settlement and writes nothing. Refuses bad splits (``invalid_splits``)
    and a source without a rule (``no_commission_rule``), writing nothing. Side effects, in one
    database transaction with the payment row locked (two workers settle once): the ledger
    transaction ``payment:<pk>:settle``, one Hold per receiving party and ``payment.settlement``
    (also set on the instance passed in).
    """
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.settlement_id is None:
        if locked.status != PaymentStatus.SUCCEEDED:
            raise ApplicationError(
                _("Payment %(reference)s has not been paid: there is nothing to settle.")
                % {"reference": locked.reference},
                code="payment_not_paid",
            )
        plan = _plan(payment=locked, rules=None)
        _plan_post(plan, accounts=_accounts_get_or_create(plan.account_keys()))
    assert locked.settlement is not None
    payment.settlement = locked.settlement
    return locked.settlement


@transaction.atomic
def settlement_post_many(*, payment_ids: Sequence[int]) -> int:
    """Settle several paid payments in ONE database transaction; return how many this call settled.

    Each payment is still settled exactly once: payments already settled, not paid, or locked
    by another worker (SKIP LOCKED, so two workers split a batch between them) are skipped; a
    payment whose splits or commission rule are refused is logged and skipped, and the rest of
    the batch goes on. Payments are locked in primary-key order.
    """
    if connection.vendor == "postgresql":
        from payments.settlement_bulk import settlement_post_bulk  # it builds on this module

        settled_in_bulk = settlement_post_bulk(payment_ids=payment_ids)
        if settled_in_bulk is not None:
            return settled_in_bulk
    payments = list(
        Payment.objects.select_for_update(skip_locked=True)
        .filter(pk__in=set(payment_ids), settlement__isnull=True, status=PaymentStatus.SUCCEEDED)
        .order_by("pk")
    )
    rules = commission_rules_load()
    plans = []
    for payment in payments:
        try:
            plans.append(_plan(payment=payment, rules=rules))
        except ApplicationError as error:  # bad data in one payment must not block the others
            logger.warning("payment %s not settled: %s", payment.pk, error)
    if not plans:
        return 0
    accounts = accounts_get_or_create(keys=set().union(*(plan.account_keys() for plan in plans)))
    # One ledger_post_many: the batch's accounts are locked once, in pk order, so two batches
    # (or a batch and a refund) never wait on each other in a cycle; the references it claims
    # belong to payments whose rows this transaction holds, so no claim can wait either.
    prepared = [_plan_posting(plan, accounts=accounts) for plan in plans]
    posted = ledger_post_many(postings=[posting for posting, _credited in prepared])
    Hold.objects.bulk_create(
        hold
        for plan, (_posting, credited), transaction_ in zip(plans, prepared, posted, strict=True)
        for hold in _holds(plan, credited, transaction_)
    )
    for plan, transaction_ in zip(plans, posted, strict=True):
        plan.payment.settlement = transaction_
    settled = {plan.payment.pk: transaction_.pk for plan, transaction_ in zip(plans, posted, strict=True)}
    bulk_set(Payment, column="settlement_id", sql_type="bigint", values=settled)
    Payment.objects.filter(pk__in=settled).update(updated_at=timezone.now())
    return len(plans)


def settlements_catch_up(*, older_than: timedelta = timedelta(minutes=5), limit: int = 1000) -> int:
    """Settle paid payments whose settlement task never ran (a lost message, a worker gone).

    Run by beat; the grace period leaves the normal on-commit task time to do it first.
    """
    due = timezone.now() - older_than
    ids = list(
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED, settlement__isnull=True, paid_at__lt=due)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return settlement_post_many(payment_ids=ids) if ids else 0


def settlement_splits_validate(*, splits: object, total: Money) -> list[Split]:
    """Parse ``Payment.splits`` (see the module docstring), or refuse with ``invalid_splits``.

    Features may call it before creating a Payment, to refuse bad splits early.
    """
    if not isinstance(splits, list) or not splits:
        raise _invalid_splits(_("A payment needs at least one split."))
    parsed: list[Split] = []
    for raw in splits:
        parsed.append(_split_parse(raw, total.currency))
    if len({split.party for split in parsed}) != len(parsed):
        raise _invalid_splits(_("A party appears in two splits: merge its shares into one."))
    if sum_money((split.amount for split in parsed), total.currency) != total:
        raise _invalid_splits(
            _("The splits must add up exactly to the payment (%(total)s).") % {"total": str(total)}
        )
    return parsed


# ---------------------------------------------------------------- internals


def _split_parse(raw: object, currency: str) -> Split:
    if not isinstance(raw, dict) or not SPLIT_REQUIRED_KEYS <= raw.keys() <= SPLIT_KEYS:
        raise _invalid_splits(
            _("Each split is {party, amount_minor, source} with an optional hold_days, and nothing else.")
        )
    party, amount, source, hold_days = raw["party"], raw["amount_minor"], raw["source"], raw.get("hold_days")
    if not isinstance(party, str) or not PARTY_PATTERN.match(party) or party == PLATFORM:
        raise _invalid_splits(_('"%(party)s" cannot receive a split.') % {"party": party})
    if not (_whole(amount) and amount > 0):
        raise _invalid_splits(_("Split amounts are positive whole minor units."))
    if source not in CommissionSource.values:
        raise _invalid_splits(_('Unknown split source "%(source)s".') % {"source": source})
    if hold_days is not None and not (_whole(hold_days) and 0 <= hold_days <= MAX_HOLD_DAYS):
        raise _invalid_splits(
            _("hold_days is a whole number of days from 0 to %(max)d.") % {"max": MAX_HOLD_DAYS}
        )
    escrow = raw.get("escrow", False)
    if not isinstance(escrow, bool) or (escrow and hold_days is not None):
        raise _invalid_splits(_("escrow is true or false, and an escrow split has no hold_days."))
    return Split(
        party=party, amount=Money(amount, currency), source=source, hold_days=hold_days, escrow=escrow
    )


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int, and always a bug


def _invalid_splits(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_splits")


def _plan(*, payment: Payment, rules: Iterable[CommissionRule] | None) -> _Plan:
    """Validate the splits and apply the commission rules; writes nothing.

    ``rules`` preloaded by a batch, or None to look each rule up in the database.
    """
    splits = settlement_splits_validate(splits=payment.splits, total=payment.amount)
    # A succeeded payment always has paid_at; should one lack it, settle as of now rather than never.
    paid_at = payment.paid_at or timezone.now()
    shares, applied = [], []
    for split in splits:
        if split.escrow:  # held whole, no commission: payments.escrow takes it on release
            shares.append(_Share(split.party, split.amount, split.source, paid_at, escrow=True))
            applied.append({"party": split.party, "gross_minor": split.amount.amount_minor, "escrow": True})
            continue
        if rules is None:
            rule = commission_rule_for(source=split.source, country=payment.country, at=paid_at)
        else:
            rule = commission_rule_pick(rules, source=split.source, country=payment.country, at=paid_at)
        commission = portion(split.amount, rule.rate_bps)
        hold_days = (
            split.hold_days if split.hold_days is not None else settings.PAYMENTS_HOLD_DAYS[split.source]
        )
        release_at = paid_at + timedelta(days=hold_days)
        shares.append(_Share(split.party, split.amount - commission, split.source, release_at))
        applied.append(
            {
                **rule.snapshot(),
                "party": split.party,
                "gross_minor": split.amount.amount_minor,
                "commission_minor": commission.amount_minor,
            }
        )
    total_commission = payment.amount - sum_money((share.net for share in shares), payment.currency)
    snapshot = {
        "rules": applied,
        "country": payment.country,
        "currency": payment.currency,
        "applied_at": paid_at.isoformat(),
    }
    return _Plan(payment=payment, shares=shares, commission=total_commission, rules=snapshot)


def _share_account_key(share: _Share, currency: str) -> AccountKey:
    if share.escrow:
        return (PLATFORM, AccountKind.ESCROW.value, currency)
    return (share.party, AccountKind.PENDING.value, currency)


def _accounts_get_or_create(keys: set[AccountKey]) -> dict[AccountKey, LedgerAccount]:
    # Created in a fixed order: two transactions inserting the same new accounts then wait on
    # each other in that order, never in a cycle.
    return {key: account_get_or_create(party=key[0], kind=key[1], currency=key[2]) for key in sorted(keys)}


def settlement_reference(payment_id: int) -> str:
    """The ledger reference of a payment's settlement: what makes settling it idempotent."""
    return f"payment:{payment_id}:settle"


def _plan_posting(plan: _Plan, *, accounts: dict[AccountKey, LedgerAccount]) -> tuple[Posting, list[_Share]]:
    """The ledger posting of a plan, and the shares it credits (each gets a hold)."""
    payment, currency = plan.payment, plan.payment.currency
    entries = [EntrySpec(accounts[(PLATFORM, AccountKind.STRIPE_CLEARING, currency)], -payment.amount)]
    credited = [share for share in plan.shares if share.net.is_positive()]  # 100% commission: nothing
    entries += [EntrySpec(accounts[_share_account_key(s, currency)], s.net) for s in credited]
    credited = [share for share in credited if not share.escrow]  # escrow has no hold
    if plan.commission.is_positive():
        entries.append(
            EntrySpec(accounts[(PLATFORM, AccountKind.COMMISSION_REVENUE, currency)], plan.commission)
        )
    posting = Posting(
        reference=settlement_reference(payment.pk),
        entries=entries,
        kind=payment.source,
        description=f"Settlement of payment {payment.reference}",
        metadata={"payment_id": payment.pk, "payment_reference": payment.reference},
        commission_rule=plan.rules,
    )
    return posting, credited


def _holds(plan: _Plan, credited: list[_Share], posted: LedgerTransaction) -> list[Hold]:
    return [
        Hold(
            party=share.party,
            currency=plan.payment.currency,
            amount_minor=share.net.amount_minor,
            source=share.source,
            origin=posted,
            release_at=share.release_at,
        )
        for share in credited
    ]


def _plan_post(plan: _Plan, *, accounts: dict[AccountKey, LedgerAccount]) -> LedgerTransaction:
    """Write a plan: the ledger transaction, the holds and payment.settlement.

    Caller holds the payment row lock inside an open database transaction.
    """
    posting, credited = _plan_posting(plan, accounts=accounts)
    posted = ledger_post(
        reference=posting.reference,
        entries=posting.entries,
        kind=posting.kind,
        description=posting.description,
        metadata=posting.metadata,
        commission_rule=posting.commission_rule,
    )
    Hold.objects.bulk_create(_holds(plan, credited, posted))
    plan.payment.settlement = posted
    plan.payment.save(update_fields=["settlement", "updated_at"])
    return posted
