"""Escrow: money a payer hands the platform to hold until work is delivered (the marketplace's deals).

Design. A payment whose single split says ``"escrow": true`` settles whole into the platform's
``escrow`` account (payments.settlement), with no commission and no hold: nobody has earned it
yet. The ``escrow`` account is one pooled platform account per currency (a party may not own an
``escrow`` account: see AccountKind and the ``ledger_account_kind_matches_party`` constraint),
so what belongs to one payment is tracked per payment, from the ledger itself:

    remaining = what the settlement put into escrow
                − what escrow_release() moved out (transactions ``payment:<pk>:escrow:<key>``)
                − what refunds took back (``Payment.amount_refunded_minor``)

and every function here refuses to move more than that, under the payment's row lock, so one
payment's escrow can never pay for another's.

- escrow_release(): part of the escrow becomes a party's earnings: escrow −gross, the party's
  ``pending`` +(gross − commission), ``commission_revenue`` +commission, with a Hold (7 days by
  default for sponsorship) like any settlement. The commission rule is looked up at release
  time, for the payment's country, and copied onto the transaction.
- escrow_refund(): part of the escrow goes back to the payer: a normal refund of the payment
  (payments.charges.refund_request, Stripe refund in a task). The refund takes it from escrow
  because escrow is what the settlement credited (payments.refunds.refund_plan).

Lock order as in payments.refunds: the payment row first, then ledger accounts (in ledger_post).
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money, portion
from payments.commission import commission_rule_for
from payments.enums import AccountKind, CommissionSource, PaymentStatus, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, platform_account
from payments.models import PARTY_PATTERN, PLATFORM, Hold, LedgerEntry, LedgerTransaction, Payment, Refund

if TYPE_CHECKING:
    from creators.models import User


@dataclass(frozen=True, slots=True)
class EscrowState:
    """Where a payment's escrow stands: funded, released to parties, refunded, remaining."""

    funded: Money
    released: Money
    refunded: Money

    @property
    def remaining(self) -> Money:
        return self.funded - self.released - self.refunded


def escrow_release_reference(*, payment: Payment, key: str) -> str:
    return f"payment:{payment.pk}:escrow:{key}"


def escrow_state(*, payment: Payment) -> EscrowState:
    """The payment's escrow as the database says now (a read; zero everywhere before settlement).

    Reads the payment row again: the instance in hand may predate its settlement or a refund.
    """
    currency = payment.currency
    zero = Money.zero(currency)
    settlement_id, refunded_minor = Payment.objects.values_list("settlement_id", "amount_refunded_minor").get(
        pk=payment.pk
    )
    if settlement_id is None:
        return EscrowState(zero, zero, zero)
    funded = _escrow_sum(LedgerEntry.objects.filter(transaction_id=settlement_id))
    released = -_escrow_sum(
        LedgerEntry.objects.filter(
            transaction__reference__startswith=escrow_release_reference(payment=payment, key="")
        )
    )
    return EscrowState(Money(funded, currency), Money(released, currency), Money(refunded_minor, currency))


def _escrow_sum(entries) -> int:
    total = entries.filter(account__party=PLATFORM, account__kind=AccountKind.ESCROW).aggregate(
        total=Sum("amount_minor")
    )["total"]
    return int(total or 0)


@transaction.atomic
def escrow_release(
    *,
    payment: Payment,
    party: str,
    amount: Money,
    key: str,
    source: str = CommissionSource.SPONSORSHIP,
    hold_days: int | None = None,
    description: str = "",
) -> LedgerTransaction:
    """Release ``amount`` of the payment's escrow to ``party``'s pending, minus commission, on hold.

    ``key`` names the release within the payment (``deliverable:12``): the ledger reference is
    ``payment:<pk>:escrow:<key>``, and releasing the same key again returns the first
    transaction and writes nothing (a retried task). Settles the payment first if its
    settlement task has not run yet. Refuses, writing nothing: a payment not paid
    (``payment_not_paid``) or not an escrow payment (``not_escrow``), a party that cannot earn
    (``invalid_party``), an amount that is not positive or in another currency
    (``invalid_amount``), and more than remains in this payment's escrow (``escrow_insufficient``).
    Side effects: the ledger transaction (kind sponsorship) and one Hold released after
    ``hold_days`` (default ``settings.PAYMENTS_HOLD_DAYS[source]``).
    """
    locked = _payment_lock(payment)
    reference = escrow_release_reference(payment=locked, key=key)
    if (existing := LedgerTransaction.objects.filter(reference=reference).first()) is not None:
        return existing
    if not PARTY_PATTERN.match(party) or party == PLATFORM:
        raise ApplicationError(
            _('"%(party)s" cannot receive escrow.') % {"party": party}, code="invalid_party"
        )
    _amount_check(locked, amount)
    state = escrow_state(payment=locked)
    if state.funded.is_zero():
        raise ApplicationError(
            _("Payment %(reference)s holds no escrow.") % {"reference": locked.reference}, code="not_escrow"
        )
    if amount > state.remaining:
        raise _insufficient(locked, state)
    now = timezone.now()
    rule = commission_rule_for(source=source, country=locked.country, at=now)
    commission = portion(amount, rule.rate_bps)
    net = amount - commission
    currency = locked.currency
    entries = [EntrySpec(platform_account(AccountKind.ESCROW, currency), -amount)]
    if net.is_positive():
        entries.append(
            EntrySpec(account_get_or_create(party=party, kind=AccountKind.PENDING, currency=currency), net)
        )
    if commission.is_positive():
        entries.append(EntrySpec(platform_account(AccountKind.COMMISSION_REVENUE, currency), commission))
    posted = ledger_post(
        reference=reference,
        entries=entries,
        kind=TransactionKind.SPONSORSHIP,
        description=description or f"Escrow release {key} of payment {locked.reference}",
        metadata={"payment_id": locked.pk, "payment_reference": locked.reference, "escrow_key": key},
        commission_rule={
            "rules": [
                {
                    **rule.snapshot(),
                    "party": party,
                    "gross_minor": amount.amount_minor,
                    "commission_minor": commission.amount_minor,
                }
            ],
            "country": locked.country,
            "currency": currency,
            "applied_at": now.isoformat(),
        },
    )
    if net.is_positive():
        days = hold_days if hold_days is not None else settings.PAYMENTS_HOLD_DAYS[source]
        Hold.objects.create(
            party=party,
            currency=currency,
            amount_minor=net.amount_minor,
            source=source,
            origin=posted,
            release_at=now + timedelta(days=days),
        )
    return posted


@transaction.atomic
def escrow_refund(
    *, payment: Payment, amount: Money, reason: str = "", requested_by: "User | None" = None
) -> Refund:
    """Give ``amount`` of the payment's escrow back to the payer (a Stripe refund, sent by a task).

    Refuses more than remains in this payment's escrow (``escrow_insufficient``), and what
    payments.charges.refund_request refuses. Side effects: those of refund_request.
    """
    from payments.charges import refund_request  # charges imports the feature hooks; import late

    locked = _payment_lock(payment)
    _amount_check(locked, amount)
    state = escrow_state(payment=locked)
    if state.funded.is_zero():
        raise ApplicationError(
            _("Payment %(reference)s holds no escrow.") % {"reference": locked.reference}, code="not_escrow"
        )
    if amount > state.remaining:
        raise _insufficient(locked, state)
    return refund_request(payment=locked, amount=amount, reason=reason, requested_by=requested_by)


def _payment_lock(payment: Payment) -> Payment:
    """Lock the payment row and settle it if needed. Caller is inside a transaction."""
    from payments.settlement import settlement_post

    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.SUCCEEDED:
        raise ApplicationError(
            _("Payment %(reference)s has not been paid: there is no escrow.")
            % {"reference": locked.reference},
            code="payment_not_paid",
        )
    if locked.settlement_id is None:
        settlement_post(payment=locked)
    return locked


def _amount_check(payment: Payment, amount: Money) -> None:
    if amount.currency != payment.currency or not amount.is_positive():
        raise ApplicationError(
            _("An escrow amount is positive and in %(currency)s.") % {"currency": payment.currency},
            code="invalid_amount",
        )


def _insufficient(payment: Payment, state: EscrowState) -> ApplicationError:
    return ApplicationError(
        _("Only %(remaining)s remains in the escrow of payment %(reference)s.")
        % {"remaining": str(state.remaining), "reference": payment.reference},
        code="escrow_insufficient",
    )
