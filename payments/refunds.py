"""Refunds, ledger side: reverse a settled payment's splits in proportion, commission included.

The Stripe call is the gateway's: a caller records the refund here (the money leaves the
parties' accounts at once, so it cannot be paid out meanwhile), calls Stripe with
``refund.idempotency_key``, then marks the refund succeeded or failed. A failure puts every
minor unit back where it was.

Where a party's share comes from: while the party's hold for this payment still holds money
(not yet released), from ``pending`` and the hold's ``refunded_minor`` grows by the same
amount; once the hold is released, from ``available``, which may go negative: money already
paid out is recovered from the party's future earnings (DESIGN.md, "Payments flow").

Lock order, the same in every function here and in settlement: the payment row, then the
refund row, then the payment's holds in pk order, then ledger accounts (inside ledger_post).
"""

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money, cumulative_reversal, proportional_reversal
from payments.enums import AccountKind, PaymentStatus, RefundStatus, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, ledger_reverse, platform_account
from payments.models import PLATFORM, Hold, LedgerAccount, LedgerEntry, LedgerTransaction, Payment, Refund

if TYPE_CHECKING:
    from creators.models import User


# ---------------------------------------------------------------- the plan (a read)


def refund_plan(*, payment: Payment, amount: Money) -> list[tuple[LedgerAccount, Money]]:
    """What each account credited by the settlement gives back for a refund of ``amount``.

    The accounts are the settlement's credits: each party's ``pending`` account (standing for
    the party, whichever of its accounts the money now sits in) and the platform's
    ``commission_revenue``. The figures add up exactly to ``amount``. They are computed
    cumulatively (common.money.cumulative_reversal): after any sequence of refunds each account
    has given back A(total refunded), the largest-remainder split of that total by the original
    credits, so refunding the whole payment in any number of steps gives back exactly every
    original share, commission included. A figure is occasionally negative by one minor unit
    (the "Alabama paradox" of that method, with three or more accounts): that account receives it.
    Rounding ties go to the account with the lower id, so the same refunds always split the same way.

    Precondition: the payment is settled and ``amount`` fits in what is left to refund. Reads
    only; refund_record() is what writes.
    """
    if payment.settlement_id is None:
        raise _not_settled(payment)
    currency, total = payment.currency, payment.amount
    credits: dict[LedgerAccount, Money] = {}
    for entry in (
        LedgerEntry.objects.filter(transaction_id=payment.settlement_id, amount_minor__gt=0)
        .select_related("account")
        .order_by("account_id")
    ):
        credits[entry.account] = credits.get(entry.account, Money.zero(currency)) + entry.amount
    before = Money(payment.amount_refunded_minor, currency)
    parts = cumulative_reversal(credits, before, amount, total)
    # cumulative_reversal assumes each account gave back exactly A(before). The ledger says what
    # it really gave back; they differ (by a minor unit) only after a refund failed while a later
    # one stood, so the difference is folded into this refund and the end state stays exact.
    assumed = proportional_reversal(credits, before, total)
    given_back = _given_back_by_party(payment)
    return [
        (account, parts[account] + assumed[account] - given_back.get(account.party, Money.zero(currency)))
        for account in credits
    ]


def _given_back_by_party(payment: Payment) -> dict[str, Money]:
    """What each party (and the platform's revenue) has given back so far, net of failed refunds."""
    rows = (
        LedgerEntry.objects.filter(
            Q(transaction__refund__payment=payment) | Q(transaction__reverses__refund__payment=payment)
        )
        .exclude(account__kind=AccountKind.STRIPE_CLEARING)
        .order_by()
        .values("account__party")
        .annotate(total=Sum("amount_minor"))
    )
    return {row["account__party"]: Money(-row["total"], payment.currency) for row in rows}


# ---------------------------------------------------------------- services


@transaction.atomic
def refund_record(
    *, payment: Payment, amount: Money, reason: str = "", requested_by: "User | None" = None
) -> Refund:
    """Record a pending refund of ``amount`` and take it back from the parties and the platform.

    Refuses, writing nothing: a payment not paid (``payment_not_paid``) or not yet settled
    (``payment_not_settled``), an amount that is not positive (``invalid_amount``) or in another
    currency (``currency_mismatch``), and more than is left to refund (``refund_exceeds_remaining``).
    Side effects, under the payment's row lock: the Refund (pending), the ledger transaction
    ``refund:<pk>`` (clearing +amount, each party's part out of pending or available, see the
    module docstring, commission_revenue −its part), the holds' ``refunded_minor`` and
    ``payment.amount_refunded_minor`` (also on the instance passed in). The caller then asks
    Stripe and calls refund_mark_succeeded() or refund_mark_failed().
    """
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    _refund_validate(locked, amount)
    refund = Refund.objects.create(
        payment=locked,
        amount_minor=amount.amount_minor,
        currency=locked.currency,
        reason=reason[:200],
        requested_by=requested_by,
        status=RefundStatus.PENDING,
    )
    plan = refund_plan(payment=locked, amount=amount)
    _escrow_refund_check(locked, plan)
    holds = _holds_lock(locked)
    entries = [EntrySpec(platform_account(AccountKind.STRIPE_CLEARING, locked.currency), amount)]
    overdraft: list[LedgerAccount] = []
    for account, part in sorted(plan, key=lambda item: item[0].party):
        if account.party == PLATFORM:
            entries.append(EntrySpec(account, -part))
        else:
            entries += _party_entries(account.party, part, hold=holds.get(account.party), overdraft=overdraft)
    refund.ledger_transaction = ledger_post(
        reference=f"refund:{refund.pk}",
        entries=[spec for spec in entries if not spec.amount.is_zero()],
        kind=TransactionKind.REFUND,
        description=f"Refund {refund.pk} of payment {locked.reference}",
        metadata={"refund_id": refund.pk, "payment_id": locked.pk, "payment_reference": locked.reference},
        allow_negative=overdraft,
    )
    refund.save(update_fields=["ledger_transaction", "updated_at"])
    locked.amount_refunded_minor += amount.amount_minor
    locked.save(update_fields=["amount_refunded_minor", "updated_at"])
    payment.amount_refunded_minor = locked.amount_refunded_minor
    return refund


@transaction.atomic
def refund_mark_succeeded(*, refund: Refund, stripe_refund_id: str) -> Refund:
    """Stripe refunded the money: the refund is final. Idempotent for the same Stripe id.

    Refuses a refund already failed, or already succeeded under another Stripe id
    (``refund_not_pending``). Updates the instance passed in as well.
    """
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status == RefundStatus.SUCCEEDED and locked.stripe_refund_id == stripe_refund_id:
        return locked
    if locked.status != RefundStatus.PENDING:
        raise ApplicationError(
            _("Refund %(id)s is already %(status)s.") % {"id": locked.pk, "status": locked.status},
            code="refund_not_pending",
        )
    locked.status = RefundStatus.SUCCEEDED
    locked.stripe_refund_id = stripe_refund_id
    locked.save(update_fields=["status", "stripe_refund_id", "updated_at"])
    refund.status, refund.stripe_refund_id = locked.status, locked.stripe_refund_id
    return locked


@transaction.atomic
def refund_mark_failed(*, refund: Refund, message: str) -> Refund:
    """Stripe could not refund: put every minor unit back where it was. Idempotent.

    Reverses the refund's ledger transaction (ledger_reverse, ``refund:<pk>:reverse``), gives
    back to each hold what the refund took from it, and decrements
    ``payment.amount_refunded_minor``. Money taken from ``pending`` under a hold released
    since then goes back to ``pending`` and straight on to ``available`` (``refund:<pk>:restore``),
    as the release would have moved it. A refund that succeeded can still fail later at Stripe,
    so both pending and succeeded refunds can be marked failed.
    """
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status != RefundStatus.FAILED:
        if locked.ledger_transaction is not None:
            _refund_unwind(locked, locked.ledger_transaction, holds=_holds_lock(payment))
            payment.amount_refunded_minor -= locked.amount_minor
            payment.save(update_fields=["amount_refunded_minor", "updated_at"])
        locked.status = RefundStatus.FAILED
        locked.failure_message = message[:255]
        locked.save(update_fields=["status", "failure_message", "updated_at"])
    refund.status, refund.failure_message = locked.status, locked.failure_message
    return locked


# ---------------------------------------------------------------- internals


def _refund_validate(payment: Payment, amount: Money) -> None:
    if payment.status != PaymentStatus.SUCCEEDED:
        raise ApplicationError(
            _("Payment %(reference)s has not been paid: there is nothing to refund.")
            % {"reference": payment.reference},
            code="payment_not_paid",
        )
    if payment.settlement_id is None:
        raise _not_settled(payment)
    if amount.currency != payment.currency:
        raise ApplicationError(
            _("This payment is in %(currency)s.") % {"currency": payment.currency}, code="currency_mismatch"
        )
    if not amount.is_positive():
        raise ApplicationError(_("A refund is a positive amount."), code="invalid_amount")
    remaining = payment.amount_minor - payment.amount_refunded_minor
    if amount.amount_minor > remaining:
        raise ApplicationError(
            _("At most %(remaining)s is left to refund on this payment.")
            % {"remaining": str(Money(remaining, payment.currency))},
            code="refund_exceeds_remaining",
        )


def _escrow_refund_check(payment: Payment, plan: list[tuple[LedgerAccount, Money]]) -> None:
    """An escrow payment gives back only what is still in its own escrow (payments.escrow).

    The platform's escrow account is pooled across payments, so without this a refund of a
    payment whose escrow was already released (a refund made at Stripe after the work was paid
    for) would take other payments' money. Refused with ``escrow_insufficient`` instead: staff
    settle such a refund by hand.
    """
    from payments.escrow import escrow_state

    from_escrow = sum(
        part.amount_minor
        for account, part in plan
        if account.party == PLATFORM and account.kind == AccountKind.ESCROW
    )
    if from_escrow > 0 and from_escrow > escrow_state(payment=payment).remaining.amount_minor:
        raise ApplicationError(
            _("Only part of payment %(reference)s is still in escrow: this refund needs staff.")
            % {"reference": payment.reference},
            code="escrow_insufficient",
        )


def _not_settled(payment: Payment) -> ApplicationError:
    return ApplicationError(
        _("Payment %(reference)s is not settled yet: try the refund again in a minute.")
        % {"reference": payment.reference},
        code="payment_not_settled",
    )


def _holds_lock(payment: Payment) -> dict[str, Hold]:
    """The payment's holds by party, row-locked in pk order (a concurrent release waits, or is waited for)."""
    holds = Hold.objects.select_for_update().filter(origin_id=payment.settlement_id).order_by("pk")
    return {hold.party: hold for hold in holds}


def _party_entries(
    party: str, part: Money, *, hold: Hold | None, overdraft: list[LedgerAccount]
) -> list[EntrySpec]:
    """Take ``part`` from ``party``: from pending as far as its unreleased hold covers, else from available.

    Appends to ``overdraft`` the available account that this refund may push below zero.
    Updates the hold (caller holds its row lock). A negative part (the one-unit paradox of
    refund_plan) is given to the party's available balance.
    """
    from_pending = 0
    entries = []
    if hold is not None and hold.released_at is None and part.is_positive():
        from_pending = min(part.amount_minor, hold.remaining_minor)
    if hold is not None and from_pending:
        hold.refunded_minor += from_pending
        hold.save(update_fields=["refunded_minor"])
        pending = account_get_or_create(party=party, kind=AccountKind.PENDING, currency=part.currency)
        entries.append(EntrySpec(pending, Money(-from_pending, part.currency)))
    rest = part - Money(from_pending, part.currency)
    if not rest.is_zero():
        available = account_get_or_create(party=party, kind=AccountKind.AVAILABLE, currency=part.currency)
        entries.append(EntrySpec(available, -rest))
        if rest.is_positive():
            overdraft.append(available)
    return entries


def _refund_unwind(refund: Refund, posted: LedgerTransaction, *, holds: dict[str, Hold]) -> None:
    """Reverse a refund's posting and restore its holds. Caller holds the payment, refund and hold locks."""
    entries = list(posted.entries.select_related("account").order_by("pk"))
    # The reversal takes back what the refund gave an available account (the one-unit paradox),
    # and that balance may have been paid out since.
    credited_available = [
        e.account for e in entries if e.account.kind == AccountKind.AVAILABLE and e.amount_minor > 0
    ]
    ledger_reverse(
        transaction=posted,
        reference=f"refund:{refund.pk}:reverse",
        description=f"Refund {refund.pk} failed",
        allow_negative=credited_available,
    )
    restore: list[EntrySpec] = []
    for entry in entries:
        if entry.account.kind != AccountKind.PENDING:
            continue
        hold, taken = holds[entry.account.party], -entry.amount
        if hold.released_at is None:
            hold.refunded_minor -= taken.amount_minor
            hold.save(update_fields=["refunded_minor"])
        else:  # released meanwhile: the money goes on to available, as the release would have moved it
            available = account_get_or_create(
                party=hold.party, kind=AccountKind.AVAILABLE, currency=hold.currency
            )
            restore += [EntrySpec(entry.account, -taken), EntrySpec(available, taken)]
    if restore:
        ledger_post(
            reference=f"refund:{refund.pk}:restore",
            entries=restore,
            kind=TransactionKind.HOLD_RELEASE,
            description=f"Refund {refund.pk} failed after its hold was released",
            metadata={"refund_id": refund.pk},
        )
