"""Payouts: a party's `available` balance leaves the platform for its Stripe Connect account and bank.

A payout moves through these states, each with its ledger posting (all kind ``payout`` unless
said otherwise; A is the payout's amount):

- ``pending``: created by a payout run, which in the same database transaction reserves the
  money: ``payout:<pk>:reserve`` = available −A, payable_out +A. The balance is spoken for
  before Stripe is called, so nothing else can spend it, and a crash leaves it visible.
- ``transferred``: the Stripe transfer to the connected account exists (no posting: the money
  is still owed to the party until it reaches their bank) and a bank payout is under way.
- ``paid``: Stripe says the bank payout arrived: ``payout:<pk>:paid`` = payable_out −A,
  stripe_clearing +A. The money has left the platform for good.
- ``failed``: the transfer was refused, or the bank payout failed and the transfer was reversed
  (the money is back in the platform's Stripe balance): ``payout:<pk>:return`` (kind
  ``payout_failed``) = payable_out −A, available +A, and the party is told by email.

Every Stripe call carries an idempotency key derived from the Payout row (committed before the
call), so Celery retries and redelivered tasks make exactly one transfer and one bank payout.
Webhook handlers are idempotent and tolerate any order; a contradiction they cannot settle
alone (a bank payout failing after it was paid) becomes a ReconciliationDifference for staff.
"""

import logging
from datetime import UTC, datetime, timedelta
from functools import partial, reduce
from operator import or_
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from common.money import Money
from payments import gateway
from payments.enums import AccountKind, LedgerErrorCode, PayoutStatus, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, platform_account
from payments.models import PLATFORM, ConnectedAccount, LedgerAccount, Payout, WebhookEvent
from payments.notifications import notify_payout_failed
from payments.reconciliation import difference_record
from payments.tasks import execute_payout

logger = logging.getLogger(__name__)

OPEN_STATUSES: Final = (PayoutStatus.PENDING, PayoutStatus.TRANSFERRED)


class PayoutErrorCode:
    NOT_FAILED = "payout_not_failed"
    ALREADY_PAID = "payout_already_paid"
    ACCOUNT_NOT_READY = "account_not_ready"
    OPEN_PAYOUT_EXISTS = "open_payout_exists"
    TRANSFER_REVERSED = "transfer_reversed"


# ---------------------------------------------------------------- runs


def payouts_run(*, now: datetime | None = None, run_key: str | None = None) -> int:
    """Create and reserve one payout per party and currency whose `available` balance reaches the
    currency's minimum (settings.PAYOUT_MINIMUM_MINOR) and whose Connect account is ready; return
    how many were created.

    ``run_key`` (default: the UTC date of ``now``, e.g. "2026-11-22") names the run: running it
    again creates nothing new. Safe against concurrent runs, with the same key or not: each party
    is claimed by locking its ConnectedAccount row with SKIP LOCKED, and a party with an open
    payout is left alone. Side effects: one database transaction per payout (the Payout and its
    reserve posting) and, on its commit, an execute_payout task.

    A run that comes back (its worker killed, the task delivered again) first sends again the
    payouts an earlier attempt of the same run created but never started: a kill between a
    payout's commit and its task's publish would otherwise leave it to the catch-up, 15 minutes
    later. Sending one twice is safe (payout_execute records each step, with idempotency keys).
    """
    run_key = run_key or (now or timezone.now()).astimezone(UTC).date().isoformat()
    unstarted = Payout.objects.filter(run_key=run_key, status=PayoutStatus.PENDING, attempts=0)
    for payout_id in unstarted.order_by("pk").values_list("pk", flat=True):
        execute_payout.delay(payout_id)
    created = 0
    for party, currency in _candidates():
        if _payout_create(party=party, currency=currency, run_key=run_key) is not None:
            created += 1
    return created


def _minimums() -> dict[str, int]:
    return dict(settings.PAYOUT_MINIMUM_MINOR)


def _candidates() -> list[tuple[str, str]]:
    """(party, currency) pairs whose cached `available` balance reaches the minimum, with a ready
    Connect account. A hint only: _payout_create() checks again under the claim."""
    minimums = _minimums()
    if not minimums:
        return []
    over_minimum = reduce(
        or_, (Q(currency=currency, balance_minor__gte=minimum) for currency, minimum in minimums.items())
    )
    ready = _ready_accounts().filter(party=OuterRef("party"))
    return list(
        LedgerAccount.objects.filter(over_minimum, Exists(ready), kind=AccountKind.AVAILABLE)
        .exclude(party=PLATFORM)
        .order_by("pk")
        .values_list("party", "currency")
    )


def _ready_accounts() -> QuerySet[ConnectedAccount]:
    return ConnectedAccount.objects.filter(charges_enabled=True, payouts_enabled=True).exclude(
        Q(stripe_account_id__isnull=True) | Q(stripe_account_id="")
    )


def _payout_create(*, party: str, currency: str, run_key: str) -> Payout | None:
    """One party's payout for one run, reserved in the same transaction; None when there is nothing
    to pay, the party is claimed by a concurrent run, or a payout is already open or made."""
    minimum = _minimums()[currency]
    try:
        with transaction.atomic():
            # The claim: a concurrent run skips this party instead of waiting for it, and a
            # later one sees this run's payout (open) and an emptied balance once we commit.
            connected = (
                _ready_accounts()
                .select_for_update(skip_locked=True)
                .filter(party=party)
                .order_by("pk")
                .first()
            )
            if connected is None:
                return None
            if (
                Payout.objects.filter(party=party, currency=currency)
                .filter(Q(run_key=run_key) | Q(status__in=OPEN_STATUSES))
                .exists()
            ):
                return None
            # Read after the claim: under READ COMMITTED this sees every committed posting.
            available = account_get_or_create(party=party, kind=AccountKind.AVAILABLE, currency=currency)
            if available.balance_minor < minimum:
                return None
            payout = Payout.objects.create(
                party=party,
                connected_account=connected,
                currency=currency,
                amount_minor=available.balance_minor,
                run_key=run_key,
            )
            _reserve(payout=payout, available=available, metadata={"run_key": run_key})
    except IntegrityError:
        # A payout for this run, or an open one, committed meanwhile by a path without the claim.
        logger.info("payout run %s: %s %s already has a payout", run_key, party, currency)
        return None
    except ApplicationError as exc:
        if exc.code != LedgerErrorCode.INSUFFICIENT_FUNDS:
            raise
        # A refund took money from `available` between the read and the posting: next run.
        logger.info("payout run %s: %s %s balance changed, skipped", run_key, party, currency)
        return None
    return payout


def _reserve(*, payout: Payout, available: LedgerAccount, metadata: dict[str, Any]) -> None:
    """Move the payout's amount available → payable_out and enqueue its execution on commit.

    Caller holds an open database transaction that created ``payout``."""
    payable_out = account_get_or_create(
        party=payout.party, kind=AccountKind.PAYABLE_OUT, currency=payout.currency
    )
    payout.reserve = ledger_post(
        reference=f"payout:{payout.pk}:reserve",
        entries=[
            EntrySpec(account=available, amount=-payout.amount),
            EntrySpec(account=payable_out, amount=payout.amount),
        ],
        kind=TransactionKind.PAYOUT,
        description=f"Payout {payout.pk} reserved",
        metadata={"payout_id": payout.pk, **metadata},
    )
    payout.save(update_fields=["reserve", "updated_at"])
    transaction.on_commit(partial(execute_payout.delay, payout.pk))


# ---------------------------------------------------------------- execution


def payouts_catch_up(*, older_than: timedelta = timedelta(minutes=15), limit: int = 500) -> int:
    """Send again the payouts whose execute task never finished (a worker killed mid-call, a lost
    message); return how many were queued. Run by beat.

    Stuck means pending (no transfer recorded) or transferred without a bank payout, and not
    touched for ``older_than``, which leaves the normal task and its retries time first. A payout
    whose task is only slow is safe to queue again: payout_execute() runs each step only if its
    result is not recorded, with the payout's idempotency keys, so Stripe makes each once.
    """
    stuck = Q(status=PayoutStatus.PENDING) | Q(
        Q(stripe_payout_id__isnull=True) | Q(stripe_payout_id=""), status=PayoutStatus.TRANSFERRED
    )
    ids = list(
        Payout.objects.filter(stuck, updated_at__lt=timezone.now() - older_than)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for payout_id in ids:
        execute_payout.delay(payout_id)
    return len(ids)


def payout_execute(*, payout_id: int) -> Payout:
    """Send a payout to Stripe: the transfer to the Connect account, then the bank payout.

    Idempotent: each step runs only if its result is not recorded yet, with the row's
    idempotency keys, so a retry or a redelivered task makes exactly one transfer and one bank
    payout. Stripe's definite refusals (account not ready, …) fail the payout and return the
    money; StripeTemporaryError propagates for Celery to retry with the same keys.
    """
    payout = Payout.objects.select_related("connected_account").get(pk=payout_id)
    if payout.status == PayoutStatus.PENDING:
        payout = _transfer_send(payout)
    if payout.status == PayoutStatus.TRANSFERRED and not payout.stripe_payout_id:
        payout = _bank_payout_send(payout)
    return payout


def _transfer_send(payout: Payout) -> Payout:
    Payout.objects.filter(pk=payout.pk).update(attempts=F("attempts") + 1)
    if not payout.connected_account.is_ready:
        return payout_fail(
            payout=payout,
            code=PayoutErrorCode.ACCOUNT_NOT_READY,
            message=_("The Stripe account is not ready to receive money."),
        )
    try:
        transfer = gateway.transfer_create(payout=payout)
    except ApplicationError as exc:
        _raise_if_ambiguous(exc)
        return payout_fail(payout=payout, code=exc.code, message=exc.message)
    return _transfer_record(payout=payout, transfer_id=transfer.id)


def _raise_if_ambiguous(exc: ApplicationError) -> None:
    """An idempotency conflict (the same key still in flight at Stripe, or a key reused) says
    nothing about whether Stripe made the object: never return the money on it. Retry later,
    when Stripe replays the stored answer."""
    if exc.code == "idempotency_conflict":
        raise gateway.StripeTemporaryError(exc.message) from exc


@transaction.atomic
def _transfer_record(*, payout: Payout, transfer_id: str) -> Payout:
    locked = Payout.objects.select_for_update().select_related("connected_account").get(pk=payout.pk)
    fields = []
    if not locked.stripe_transfer_id:
        locked.stripe_transfer_id = transfer_id
        fields.append("stripe_transfer_id")
    if locked.status == PayoutStatus.PENDING:
        locked.status = PayoutStatus.TRANSFERRED
        fields.append("status")
    elif locked.status == PayoutStatus.FAILED:
        # Failed by another path while the transfer was made: reconciliation reports the
        # transfer as not reversed, for staff to reverse it.
        logger.error("payout %s failed while its transfer %s was made", locked.pk, transfer_id)
    if fields:
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


def _bank_payout_send(payout: Payout) -> Payout:
    try:
        bank_payout = gateway.bank_payout_create(payout=payout)
    except ApplicationError as exc:
        _raise_if_ambiguous(exc)
        # The money sits on the connected account: bring it back before returning it.
        _transfer_reverse(payout)
        return payout_fail(payout=payout, code=exc.code, message=exc.message)
    # The payout's webhook may already have been handled: record the id, keep its status.
    Payout.objects.filter(pk=payout.pk, stripe_payout_id__isnull=True).update(
        stripe_payout_id=bank_payout.id, updated_at=timezone.now()
    )
    return Payout.objects.select_related("connected_account").get(pk=payout.pk)


def _transfer_reverse(payout: Payout) -> None:
    """Reverse the payout's transfer at Stripe (idempotent on the payout's reversal key)."""
    if not payout.stripe_transfer_id:
        raise ApplicationError(
            _("Payout %(id)s has no transfer to reverse.") % {"id": payout.pk}, code="payout_no_transfer"
        )
    try:
        gateway.transfer_reverse(payout=payout)
    except ApplicationError as exc:
        if exc.code != "stripe_transfer_already_reversed":  # reversed elsewhere (e.g. by staff)
            raise


def payout_fail(*, payout: Payout, code: str, message: str) -> Payout:
    """Mark a payout failed, return its money to `available` and tell the party (email on commit).

    Precondition: Stripe no longer holds the money for the party (the transfer was refused, or
    reversed). Idempotent: failing a failed payout returns it unchanged; a paid payout is refused
    (``payout_already_paid``).
    """
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == PayoutStatus.FAILED:
            return locked
        if locked.status == PayoutStatus.PAID:
            raise ApplicationError(
                _("Payout %(id)s was already paid.") % {"id": locked.pk}, code=PayoutErrorCode.ALREADY_PAID
            )
        locked.status = PayoutStatus.FAILED
        locked.failure_code = (code or "failed")[:64]
        locked.failure_message = (message or "")[:255]
        locked.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
        ledger_post(
            reference=f"payout:{locked.pk}:return",
            entries=[
                EntrySpec(account=_account(locked, AccountKind.PAYABLE_OUT), amount=-locked.amount),
                EntrySpec(account=_account(locked, AccountKind.AVAILABLE), amount=locked.amount),
            ],
            kind=TransactionKind.PAYOUT_FAILED,
            description=f"Payout {locked.pk} failed: {locked.failure_code}",
            metadata={"payout_id": locked.pk, "failure_code": locked.failure_code},
        )
        # robust: the money is back whatever happens to the email; a failure to send is logged.
        transaction.on_commit(partial(notify_payout_failed, locked), robust=True)
    return locked


def _account(payout: Payout, kind: str) -> LedgerAccount:
    return account_get_or_create(party=payout.party, kind=kind, currency=payout.currency)


# ---------------------------------------------------------------- staff


def payout_retry(*, payout: Payout, actor: object) -> Payout:
    """Re-issue a failed payout as a new one (run_key "retry:<old pk>") for the same amount.

    For staff (admin action), once the cause is fixed. Refused unless ``payout`` failed, the
    Connect account is ready, no payout is open for the party and currency, and `available`
    still holds the amount (``insufficient_funds``). Idempotent: retrying the same payout again
    returns the first retry. Side effects: the new payout, its reserve, and execute_payout on commit.
    """
    if payout.status != PayoutStatus.FAILED:
        raise ApplicationError(
            _("Only a failed payout can be retried."), code=PayoutErrorCode.NOT_FAILED, status_code=409
        )
    run_key = f"retry:{payout.pk}"
    with transaction.atomic():
        connected = ConnectedAccount.objects.select_for_update().get(pk=payout.connected_account_id)
        if existing := Payout.objects.filter(
            party=payout.party, currency=payout.currency, run_key=run_key
        ).first():
            return existing
        if not connected.is_ready:
            raise ApplicationError(
                _("The payout account is not ready to receive money."), code=PayoutErrorCode.ACCOUNT_NOT_READY
            )
        if Payout.objects.filter(
            party=payout.party, currency=payout.currency, status__in=OPEN_STATUSES
        ).exists():
            raise ApplicationError(
                _("A payout is already under way for this account and currency."),
                code=PayoutErrorCode.OPEN_PAYOUT_EXISTS,
                status_code=409,
            )
        retry = Payout.objects.create(
            party=payout.party,
            connected_account=connected,
            currency=payout.currency,
            amount_minor=payout.amount_minor,
            run_key=run_key,
        )
        _reserve(
            payout=retry,
            available=_account(retry, AccountKind.AVAILABLE),
            metadata={"retry_of": payout.pk, "retried_by": getattr(actor, "pk", None)},
        )
    logger.info("payout %s retried as %s by %s", payout.pk, retry.pk, actor)
    return retry


# ---------------------------------------------------------------- reads


def payouts_paid_total(*, party: str) -> dict[str, Money]:
    """``{currency: Money}``: what the party's paid payouts add up to, per currency."""
    rows = (
        Payout.objects.filter(party=party, status=PayoutStatus.PAID)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
    )
    return {row["currency"]: Money(row["total"], row["currency"]) for row in rows}


# ---------------------------------------------------------------- webhooks


def handle_transfer_created(event: WebhookEvent, data: dict) -> None:
    """transfer.created: record the transfer id if payout_execute() did not get to it."""
    payout = _payout_find(data, stripe_id_field="stripe_transfer_id")
    if payout is None:
        return
    _amount_check(payout, data, kind="transfer_amount_mismatch")
    if not payout.stripe_transfer_id or payout.status == PayoutStatus.PENDING:
        _transfer_record(payout=payout, transfer_id=data["id"])


def handle_transfer_reversed(event: WebhookEvent, data: dict) -> None:
    """transfer.reversed: our own reversal (a failed bank payout) needs nothing here, since
    handle_payout_failed() fails the payout; a full reversal made elsewhere fails an open
    payout; anything else is a difference for staff."""
    payout = _payout_find(data, stripe_id_field="stripe_transfer_id")
    if payout is None:
        return
    fully = int(data.get("amount_reversed") or 0) >= int(data.get("amount") or 0)
    if payout.status == PayoutStatus.FAILED:
        if not fully:
            _reversal_difference(payout, data, expected="fully reversed")
        return
    ours = any(
        (reversal.get("metadata") or {}).get("payout_id") == str(payout.pk)
        for reversal in (data.get("reversals") or {}).get("data") or []
    )
    if ours and fully and payout.status != PayoutStatus.PAID:
        return  # handle_payout_failed() made it and fails the payout itself
    if payout.status == PayoutStatus.PAID or not fully:
        _reversal_difference(payout, data, expected="not reversed")
        return
    payout_fail(
        payout=payout,
        code=PayoutErrorCode.TRANSFER_REVERSED,
        message=_("The transfer to the Stripe account was reversed."),
    )


def _reversal_difference(payout: Payout, data: dict, *, expected: str) -> None:
    difference_record(
        kind="transfer_reversed",
        reference=f"payout:{payout.pk}",
        expected=expected,
        actual=f"{data.get('amount_reversed')} of {data.get('amount')} reversed",
        detail=f"Transfer {data.get('id')} was reversed while payout {payout.pk} is {payout.status}.",
    )


def handle_payout_paid(event: WebhookEvent, data: dict) -> None:
    """payout.paid: the bank payout arrived. The money leaves the ledger (payable_out → clearing).

    A payout already failed stays failed: Stripe never pays a failed payout, so the event is late.
    """
    payout = _payout_find(data, stripe_id_field="stripe_payout_id", event=event)
    if payout is None:
        return
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status in (PayoutStatus.PAID, PayoutStatus.FAILED):
            return
        _amount_check(locked, data, kind="bank_payout_amount_mismatch")
        locked.status = PayoutStatus.PAID
        locked.paid_at = event.stripe_created or timezone.now()
        locked.stripe_payout_id = locked.stripe_payout_id or data["id"]
        locked.save(update_fields=["status", "paid_at", "stripe_payout_id", "updated_at"])
        ledger_post(
            reference=f"payout:{locked.pk}:paid",
            entries=[
                EntrySpec(account=_account(locked, AccountKind.PAYABLE_OUT), amount=-locked.amount),
                EntrySpec(
                    account=platform_account(AccountKind.STRIPE_CLEARING, locked.currency),
                    amount=locked.amount,
                ),
            ],
            kind=TransactionKind.PAYOUT,
            description=f"Payout {locked.pk} paid ({locked.stripe_payout_id})",
            metadata={"payout_id": locked.pk, "stripe_payout_id": locked.stripe_payout_id},
        )


def handle_payout_failed(event: WebhookEvent, data: dict) -> None:
    """payout.failed: the bank refused the money. Reverse the transfer (the money returns to the
    platform's Stripe balance), then fail the payout with Stripe's code and message.

    After the payout was paid the ledger is left alone and staff get a difference to look at.
    """
    payout = _payout_find(data, stripe_id_field="stripe_payout_id", event=event)
    if payout is None or payout.status == PayoutStatus.FAILED:
        return
    if payout.status == PayoutStatus.PAID:
        difference_record(
            kind="bank_payout_failed_after_paid",
            reference=f"payout:{payout.pk}",
            expected="paid",
            actual="failed",
            detail=(
                f"Bank payout {data.get('id')} failed ({data.get('failure_code')}) after it was "
                "recorded as paid; the ledger was not changed."
            ),
        )
        return
    if not payout.stripe_payout_id:
        Payout.objects.filter(pk=payout.pk, stripe_payout_id__isnull=True).update(stripe_payout_id=data["id"])
    _transfer_reverse(payout)
    payout_fail(
        payout=payout,
        code=data.get("failure_code") or "payout_failed",
        message=data.get("failure_message") or "",
    )


def _payout_find(data: dict, *, stripe_id_field: str, event: WebhookEvent | None = None) -> Payout | None:
    """The payout a Stripe object belongs to: by its metadata payout_id, else by the stored id.

    None for objects that are not ours (a creator's own payout on their Express account) or that
    contradict what we stored (another object claiming the payout, another connected account).
    """
    stripe_id = data.get("id") or ""
    payouts = Payout.objects.select_related("connected_account")
    payout_id = str((data.get("metadata") or {}).get("payout_id") or "")
    payout = None
    if payout_id.isdigit():
        payout = payouts.filter(pk=int(payout_id)).first()
    if payout is None and stripe_id:
        payout = payouts.filter(**{stripe_id_field: stripe_id}).first()
    if payout is None:
        return None
    stored = getattr(payout, stripe_id_field)
    if stored and stored != stripe_id:
        logger.warning("%s claims payout %s, which has %s", stripe_id, payout.pk, stored)
        return None
    account = event.account if event is not None else ""
    if account and account != payout.connected_account.stripe_account_id:
        logger.warning("%s on account %s claims payout %s of another account", stripe_id, account, payout.pk)
        return None
    return payout


def _amount_check(payout: Payout, data: dict, *, kind: str) -> None:
    amount, currency = data.get("amount"), str(data.get("currency") or "").upper()
    if amount == payout.amount_minor and currency == payout.currency:
        return
    difference_record(
        kind=kind,
        reference=f"payout:{payout.pk}",
        expected=str(payout.amount),
        actual=f"{amount} {currency}",
        detail=f"Stripe's {data.get('object')} {data.get('id')} does not match payout {payout.pk}.",
    )
