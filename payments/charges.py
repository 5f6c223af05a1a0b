"""Charges: a Payment is created by a feature, charged through Stripe, and marked paid by webhooks.

Flow (DESIGN.md, "Payments flow"): a feature (shops, the marketplace) calls payment_create()
with the splits; the buyer pays through a PaymentIntent (mobile, payment_start_intent) or a
hosted Checkout page (web, payment_start_checkout); Stripe's webhooks, processed by
payments.webhooks, call the handlers below, which mark the payment succeeded or failed; a
succeeded payment is settled into the ledger by the ``payments.settle_payment`` task.

Webhooks arrive more than once and in any order, so every transition here is idempotent and
one-way where it matters: ``succeeded`` is terminal for failure events, while ``failed`` may
still become ``succeeded`` (the buyer retried the card on the same PaymentIntent).

Every Stripe call happens outside a database transaction (no row lock is held across HTTP) and
uses an idempotency key derived from a row committed before the call: callers pass committed
payments and refunds.
"""

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeGuard

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money, charge_amount_validate
from payments import gateway
from payments.enums import CommissionSource, PaymentStatus, RefundStatus
from payments.models import Payment, Refund, WebhookEvent
from payments.payment_hooks import payment_succeeded_notify
from payments.refunds import refund_mark_failed, refund_mark_succeeded, refund_record
from payments.settlement import settlement_post, settlement_splits_validate
from payments.tasks import send_refund, settle_payment
from payments.webhooks import WebhookEventIgnored

if TYPE_CHECKING:
    from creators.models import User

logger = logging.getLogger(__name__)

# A payment in these states can still be paid (a failed one: the buyer tries another card).
PAYABLE_STATUSES = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED})
# Stripe refunds in these states moved (or are moving) money back to the buyer.
STRIPE_REFUND_LIVE_STATUSES = frozenset({"pending", "succeeded", "requires_action"})
REFERENCE_MAX_LENGTH = Payment._meta.get_field("reference").max_length or 120


# ---------------------------------------------------------------- creating and starting payments


def payment_create(
    *,
    reference: str,
    source: str,
    amount: Money,
    splits: list[dict[str, Any]],
    payer: "User | None" = None,
    payer_email: str = "",
    country: str = "",
    metadata: dict[str, Any] | None = None,
) -> Payment:
    """Create a pending Payment that a feature will have the buyer pay.

    ``reference`` is the feature's idempotency key (``order:123``): the same reference with the
    same amount returns the payment already created (a retried request); with another amount it
    is ``reference_conflict`` (409). Refuses an amount below Stripe's minimum for the currency
    (``amount_below_minimum``), an unknown source (``invalid_source``) and splits that do not
    add up to the amount (``invalid_splits``, see payments.settlement). Writes nothing else.
    """
    reference = reference.strip() if isinstance(reference, str) else ""
    if not reference or len(reference) > REFERENCE_MAX_LENGTH:
        raise ApplicationError(
            _("A payment reference is 1 to %(max)d characters.") % {"max": REFERENCE_MAX_LENGTH},
            code="invalid_reference",
        )
    charge_amount_validate(amount)  # Money already refused an unsupported currency
    if source not in CommissionSource.values:
        raise ApplicationError(
            _('Unknown payment source "%(source)s".') % {"source": source}, code="invalid_source"
        )
    settlement_splits_validate(splits=splits, total=amount)
    country = country.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise ApplicationError(_("Use a two-letter ISO country code."), code="invalid_country")
    if (existing := Payment.objects.filter(reference=reference).first()) is not None:
        return _same_payment_or_conflict(existing, amount)
    try:
        # A savepoint: losing the race to a concurrent create must not break the caller's transaction.
        with transaction.atomic():
            return Payment.objects.create(
                reference=reference,
                source=source,
                payer=payer,
                payer_email=payer_email or (payer.email if payer is not None else ""),
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                country=country,
                splits=splits,
                metadata=metadata or {},
            )
    except IntegrityError:
        return _same_payment_or_conflict(Payment.objects.get(reference=reference), amount)


def _same_payment_or_conflict(existing: Payment, amount: Money) -> Payment:
    if existing.amount != amount:
        raise ApplicationError(
            _("Reference %(reference)s is already used by a payment of another amount.")
            % {"reference": existing.reference},
            code="reference_conflict",
            status_code=409,
        )
    return existing


def payment_start_intent(*, payment: Payment) -> dict[str, str]:
    """The PaymentIntent the mobile app confirms: {"client_secret", "payment_intent_id", "status"}.

    Precondition: the payment row is committed (its pk is the idempotency key). Calling it again
    returns the same PaymentIntent. Refuses a payment already paid or cancelled
    (``payment_not_payable``). Side effect: ``stripe_payment_intent_id`` is stored.
    """
    fresh = _payable_get(payment)
    if fresh.stripe_payment_intent_id:
        # Stripe forgets idempotency keys after a day; the stored id never expires.
        intent = gateway.payment_intent_retrieve(fresh.stripe_payment_intent_id)
    else:
        intent = gateway.payment_intent_create(payment=fresh)
        # Only if still empty: a webhook may have recorded the intent meanwhile.
        Payment.objects.filter(pk=fresh.pk, stripe_payment_intent_id__isnull=True).update(
            stripe_payment_intent_id=intent.id, updated_at=timezone.now()
        )
    payment.stripe_payment_intent_id = intent.id
    return {
        "client_secret": intent.client_secret or "",
        "payment_intent_id": intent.id,
        "status": intent.status,
    }


def payment_start_checkout(
    *, payment: Payment, line_items: list[dict[str, Any]], success_url: str, cancel_url: str
) -> str:
    """A hosted Checkout page for the payment (web); returns its URL.

    ``line_items``: [{"name", "unit_amount_minor", "quantity"}] adding up exactly to the payment
    (``invalid_line_items`` otherwise). Precondition: the payment row is committed. Refuses a
    payment already paid or cancelled (``payment_not_payable``). Side effect:
    ``stripe_checkout_session_id`` is stored.
    """
    fresh = _payable_get(payment)
    _line_items_validate(line_items, fresh)
    session = gateway.checkout_session_create(
        payment=fresh, line_items=line_items, success_url=success_url, cancel_url=cancel_url
    )
    if not session.url:
        raise gateway.StripeTemporaryError(f"Checkout Session {session.id} has no URL")
    Payment.objects.filter(pk=fresh.pk).update(
        stripe_checkout_session_id=session.id, updated_at=timezone.now()
    )
    payment.stripe_checkout_session_id = session.id
    return session.url


def _payable_get(payment: Payment) -> Payment:
    fresh = Payment.objects.get(pk=payment.pk)
    if fresh.status not in PAYABLE_STATUSES:
        raise ApplicationError(
            _("Payment %(reference)s is %(status)s: it cannot be paid.")
            % {"reference": fresh.reference, "status": fresh.get_status_display()},
            code="payment_not_payable",
            status_code=409,
        )
    return fresh


def _line_items_validate(line_items: list[dict[str, Any]], payment: Payment) -> None:
    total = 0
    for item in line_items:
        name, unit, quantity = item.get("name"), item.get("unit_amount_minor"), item.get("quantity")
        if not (isinstance(name, str) and name and _positive_int(unit) and _positive_int(quantity)):
            raise _invalid_line_items(_("Each line item has a name, a positive unit amount and a quantity."))
        total += unit * quantity
    if not line_items or total != payment.amount_minor:
        raise _invalid_line_items(
            _("The line items must add up to the payment (%(total)s).") % {"total": str(payment.amount)}
        )


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _invalid_line_items(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_line_items")


# ---------------------------------------------------------------- outcomes


@transaction.atomic
def payment_mark_succeeded(
    *,
    payment: Payment,
    stripe_payment_intent_id: str,
    stripe_charge_id: str = "",
    paid_at: datetime | None = None,
) -> Payment:
    """Stripe took the money: the payment succeeded. Idempotent.

    Allowed from pending, requires_action and failed (the buyer retried). Refuses a second
    PaymentIntent succeeding for a payment already paid (``payment_paid_twice``: the buyer was
    charged twice and staff must refund one) and a cancelled payment (``payment_cancelled``).
    Side effects, under the payment's row lock: status, ids and paid_at (also on the instance
    passed in); the feature's hook (payments.payment_hooks) when the payment becomes paid; on
    commit, the ``payments.settle_payment`` task, also when a repeated call finds the payment
    still unsettled.
    """
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status == PaymentStatus.SUCCEEDED:
        if locked.stripe_payment_intent_id != stripe_payment_intent_id:
            raise ApplicationError(
                _("Payment %(reference)s was already paid by %(first)s; %(second)s charged it again.")
                % {
                    "reference": locked.reference,
                    "first": locked.stripe_payment_intent_id,
                    "second": stripe_payment_intent_id,
                },
                code="payment_paid_twice",
                status_code=409,
            )
        if stripe_charge_id and not locked.stripe_charge_id:
            locked.stripe_charge_id = stripe_charge_id
            locked.save(update_fields=["stripe_charge_id", "updated_at"])
    elif locked.status == PaymentStatus.CANCELLED:
        raise ApplicationError(
            _("Payment %(reference)s was cancelled, but Stripe says it was paid.")
            % {"reference": locked.reference},
            code="payment_cancelled",
            status_code=409,
        )
    else:
        locked.status = PaymentStatus.SUCCEEDED
        locked.stripe_payment_intent_id = stripe_payment_intent_id
        locked.stripe_charge_id = stripe_charge_id or locked.stripe_charge_id
        locked.paid_at = paid_at or timezone.now()
        locked.failure_code, locked.failure_message = "", ""
        locked.save(
            update_fields=[
                "status",
                "stripe_payment_intent_id",
                "stripe_charge_id",
                "paid_at",
                "failure_code",
                "failure_message",
                "updated_at",
            ]
        )
        payment_succeeded_notify(locked)
    if locked.settlement_id is None:
        # Robust: the payment is recorded as paid whatever happens to the enqueue; a repeated
        # event (or reconciliation) enqueues the settlement again, and settling is idempotent.
        pk = locked.pk
        transaction.on_commit(lambda: settle_payment.delay(pk), robust=True)
    _copy_outcome(locked, payment)
    return locked


@transaction.atomic
def payment_mark_failed(*, payment: Payment, code: str, message: str) -> Payment:
    """Stripe refused the charge. Only a pending or requires_action payment changes: a failure
    reported after a success (webhooks arrive in any order) changes nothing. Idempotent."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status in (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION):
        locked.status = PaymentStatus.FAILED
        locked.failure_code = code[:64]
        locked.failure_message = message[:255]
        locked.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
    _copy_outcome(locked, payment)
    return locked


def _copy_outcome(source: Payment, target: Payment) -> None:
    for name in (
        "status",
        "stripe_payment_intent_id",
        "stripe_charge_id",
        "paid_at",
        "failure_code",
        "failure_message",
        "settlement_id",
        "amount_refunded_minor",
    ):
        setattr(target, name, getattr(source, name))


# ---------------------------------------------------------------- refunds


@transaction.atomic
def refund_request(
    *, payment: Payment, amount: Money, reason: str = "", requested_by: "User | None" = None
) -> Refund:
    """Refund ``amount`` of a paid payment: the ledger reversal now, the Stripe refund in a task.

    Settles the payment first if its settlement task has not run yet. Refusals are those of
    payments.refunds.refund_record (``payment_not_paid``, ``refund_exceeds_remaining``, …).
    Side effects: the pending Refund and its ledger reversal; on commit, ``payments.send_refund``.
    """
    # Lock order as in payments.refunds: the payment row first.
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status == PaymentStatus.SUCCEEDED and locked.settlement_id is None:
        settlement_post(payment=locked)
    refund = refund_record(payment=locked, amount=amount, reason=reason, requested_by=requested_by)
    _copy_outcome(locked, payment)
    refund_pk = refund.pk
    transaction.on_commit(lambda: send_refund.delay(refund_pk))
    return refund


def refund_send(*, refund_id: int) -> Refund:
    """Ask Stripe to refund a pending Refund, then mark it succeeded or failed. Safe to run twice.

    The Stripe call is idempotent on the Refund row, so a retry never refunds twice. Stripe's
    refusal (an ApplicationError) marks the refund failed, which puts the ledger back;
    StripeTemporaryError propagates so that the task retries.
    """
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    try:
        stripe_refund = gateway.refund_create(refund=refund)
    except ApplicationError as exc:
        logger.warning("refund %s refused by Stripe: %s", refund.pk, exc)
        return refund_mark_failed(refund=refund, message=exc.message)
    if stripe_refund.status in ("failed", "canceled"):
        return refund_mark_failed(
            refund=refund, message=_("Stripe could not refund: %(reason)s") % {"reason": stripe_refund.status}
        )
    return refund_mark_succeeded(refund=refund, stripe_refund_id=stripe_refund.id)


# ---------------------------------------------------------------- webhook handlers
# Each runs inside the transaction that marks its WebhookEvent processed (payments.webhooks).
# ``data`` is the event's data.object, as Stripe sent it.


def handle_payment_intent_succeeded(event: WebhookEvent, data: dict[str, Any]) -> None:
    """payment_intent.succeeded: mark the payment paid (which enqueues its settlement)."""
    payment = _payment_for_intent(data)
    _amount_check(payment, data.get("amount_received") or data.get("amount"), data.get("currency"))
    payment_mark_succeeded(
        payment=payment,
        stripe_payment_intent_id=data["id"],
        stripe_charge_id=_charge_id(data.get("latest_charge")),
        paid_at=event.stripe_created,
    )


def handle_payment_intent_failed(event: WebhookEvent, data: dict[str, Any]) -> None:
    """payment_intent.payment_failed: mark the payment failed with Stripe's code, unless it was
    paid meanwhile or the failure concerns an older PaymentIntent than the payment's own."""
    payment = _payment_for_intent(data)
    if payment.stripe_payment_intent_id and payment.stripe_payment_intent_id != data["id"]:
        return  # an abandoned PaymentIntent: the payment's own intent decides
    error = data.get("last_payment_error") or {}
    payment_mark_failed(
        payment=payment,
        code=error.get("code") or error.get("decline_code") or "payment_failed",
        message=error.get("message") or _("The payment failed."),
    )


def handle_checkout_session_completed(event: WebhookEvent, data: dict[str, Any]) -> None:
    """checkout.session.completed: a paid session marks its payment paid. An unpaid one (a
    delayed payment method) waits for payment_intent.succeeded."""
    payment = _payment_for_session(data)
    if data.get("payment_status") != "paid":
        return
    intent_id = data.get("payment_intent")
    if not isinstance(intent_id, str) or not intent_id:
        raise ApplicationError(
            _("Checkout Session %(id)s is paid but names no PaymentIntent.") % {"id": data.get("id")},
            code="malformed_event",
        )
    _amount_check(payment, data.get("amount_total"), data.get("currency"))
    payment_mark_succeeded(payment=payment, stripe_payment_intent_id=intent_id, paid_at=event.stripe_created)


def handle_charge_refunded(event: WebhookEvent, data: dict[str, Any]) -> None:
    """charge.refunded: make the ledger follow refunds made at Stripe (its dashboard, its API).

    Our own refunds (pending or succeeded) cover what Stripe reports in the usual case, and
    nothing happens. Otherwise each Stripe refund of the charge that we do not know is recorded
    through refund_record + refund_mark_succeeded. A refund event that overtakes the charge's
    success event marks the payment paid first (the charge proves it) and settles it.
    """
    payment = _payment_for_intent({"id": data.get("payment_intent"), "metadata": data.get("metadata")})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            if not (data.get("paid") and data.get("captured")):
                raise ApplicationError(
                    _("Charge %(id)s was refunded but never captured.") % {"id": data.get("id")},
                    code="malformed_event",
                )
            payment_mark_succeeded(
                payment=locked,
                stripe_payment_intent_id=data["payment_intent"],
                stripe_charge_id=data["id"],
                paid_at=_timestamp(data.get("created")) or event.stripe_created,
            )
        if locked.settlement_id is None:
            settlement_post(payment=locked)
        covered = (
            Refund.objects.filter(payment=locked)
            .exclude(status=RefundStatus.FAILED)
            .aggregate(total=Sum("amount_minor"))["total"]
            or 0
        )
        if covered >= int(data.get("amount_refunded") or 0):
            return
        _stripe_refunds_record(locked)


def _stripe_refunds_record(payment: Payment) -> None:
    """Record every Stripe refund of the payment's PaymentIntent that no Refund row stands for.

    Caller holds the payment's row lock. A Refund of ours is known by its Stripe id or, while
    its send is under way, by the refund_id we put in the Stripe refund's metadata.
    """
    ours = Refund.objects.filter(payment=payment)
    known_stripe_ids = set(ours.exclude(stripe_refund_id=None).values_list("stripe_refund_id", flat=True))
    our_ids = {str(pk) for pk in ours.values_list("pk", flat=True)}
    for stripe_refund in gateway.refunds_list(payment_intent=payment.stripe_payment_intent_id):
        if (
            stripe_refund.status not in STRIPE_REFUND_LIVE_STATUSES
            or stripe_refund.id in known_stripe_ids
            or (stripe_refund.to_dict().get("metadata") or {}).get("refund_id") in our_ids
        ):
            continue
        refund = refund_record(
            payment=payment,
            amount=Money(stripe_refund.amount, payment.currency),
            reason=_("Refunded at Stripe (%(id)s)") % {"id": stripe_refund.id},
        )
        refund_mark_succeeded(refund=refund, stripe_refund_id=stripe_refund.id)
        logger.info("recorded Stripe refund %s of payment %s", stripe_refund.id, payment.pk)


# ---------------------------------------------------------------- finding the payment of an event


def _payment_for_intent(data: dict[str, Any]) -> Payment:
    """The payment of a PaymentIntent (or of its charge): by the intent id we stored, else by the
    metadata we gave Stripe (the intent of a Checkout Session is not stored until it is paid)."""
    intent_id = data.get("id")
    if (
        isinstance(intent_id, str)
        and intent_id
        and (payment := _payment_by(stripe_payment_intent_id=intent_id))
    ):
        return payment
    if (payment := _payment_from_metadata(data.get("metadata"))) is not None:
        return payment
    raise WebhookEventIgnored(f"no payment for PaymentIntent {intent_id}")


def _payment_for_session(data: dict[str, Any]) -> Payment:
    session_id = data.get("id")
    if (
        isinstance(session_id, str)
        and session_id
        and (payment := _payment_by(stripe_checkout_session_id=session_id))
    ):
        return payment
    if (payment := _payment_from_metadata(data.get("metadata"))) is not None:
        return payment
    reference = data.get("client_reference_id")
    if isinstance(reference, str) and reference and (payment := _payment_by(reference=reference)):
        return payment
    raise WebhookEventIgnored(f"no payment for Checkout Session {session_id}")


def _payment_by(**lookup: str) -> Payment | None:
    return Payment.objects.filter(**lookup).first()


def _payment_from_metadata(metadata: object) -> Payment | None:
    # Both the id and the reference must match: another environment sharing the Stripe account
    # (a staging database, a reset development one) has payments with the same ids.
    if not isinstance(metadata, dict):
        return None
    payment_id, reference = metadata.get("payment_id"), metadata.get("reference")
    if not (isinstance(payment_id, str) and payment_id.isdigit() and isinstance(reference, str)):
        return None
    return Payment.objects.filter(pk=int(payment_id), reference=reference).first()


def _amount_check(payment: Payment, amount_minor: object, currency: object) -> None:
    if amount_minor != payment.amount_minor or str(currency).upper() != payment.currency:
        raise ApplicationError(
            _("Stripe charged %(charged)s %(currency)s for payment %(reference)s of %(amount)s.")
            % {
                "charged": amount_minor,
                "currency": str(currency).upper(),
                "reference": payment.reference,
                "amount": str(payment.amount),
            },
            code="amount_mismatch",
        )


def _charge_id(value: object) -> str:
    # latest_charge is an id, or the charge itself when expanded.
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None
