"""Reconciliation: the ledger against itself, and our records against Stripe's.

reconciliation_run() (the nightly `payments.reconcile` task, or staff) writes one
ReconciliationReport with a ReconciliationDifference per mismatch:

- the ledger: payments.selectors.ledger_check() (balanced transactions, cached balances);
- transfers: every Stripe transfer belongs to a Payout with the same id and amount, every
  transferred or paid Payout has its transfer at Stripe, and a failed payout's transfer was
  reversed while an open or paid one's was not;
- refunds: every Refund sent to Stripe exists there with the same amount, and every Stripe
  refund is one of ours (metadata refund_id);
- bank payouts: every Payout with a bank payout agrees with its connected account's payouts list
  (paid when we say paid, and the other way round).

Stripe being unreachable ends the report as ``failed`` with the error in ``checked["error"]``
(and whatever differences were found before): the beat task never crashes on it.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.errors import ApplicationError
from common.money import Money
from payments import gateway
from payments.enums import PayoutStatus, ReconciliationStatus
from payments.models import (
    LedgerAccount,
    Payout,
    ReconciliationDifference,
    ReconciliationReport,
    Refund,
)
from payments.selectors import LedgerProblem, LedgerProblemCode, account_balance, ledger_check

logger = logging.getLogger(__name__)

SENT_STATUSES = (PayoutStatus.TRANSFERRED, PayoutStatus.PAID)


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    reference: str = ""
    expected: str = ""
    actual: str = ""
    detail: str = ""


def reconciliation_run(*, triggered_by: Any = None) -> ReconciliationReport:
    """Run every check and return the finished report (clean, differences, or failed).

    The report row is committed first, so staff can see a run in progress; the differences and
    the outcome are written together at the end. Reads the whole ledger and Stripe's lists.
    """
    report = ReconciliationReport.objects.create(triggered_by=triggered_by)
    checked: dict[str, Any] = {}
    differences: list[Difference] = []
    error = None
    try:
        for check in (_ledger_differences, _transfer_differences, _refund_differences, _bank_differences):
            differences.extend(check(checked))
    except gateway.StripeTemporaryError as exc:
        error = f"Stripe unreachable: {exc}"
    except Exception as exc:  # a report must end, whatever broke; the traceback goes to the log
        logger.exception("reconciliation %s failed", report.pk)
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        checked["error"] = error[:2000]
        status = ReconciliationStatus.FAILED
    else:
        status = ReconciliationStatus.DIFFERENCES if differences else ReconciliationStatus.CLEAN
    _report_finish(report, status=status, checked=checked, differences=differences)
    return report


def difference_record(
    *, kind: str, reference: str, expected: str = "", actual: str = "", detail: str = ""
) -> None:
    """Record a difference found outside a reconciliation run (by a webhook handler), for staff.

    It gets a report of its own, so it shows in admin with the nightly ones. Idempotent: the
    same kind and reference is recorded once (webhooks arrive more than once).
    """
    if ReconciliationDifference.objects.filter(kind=kind, reference=reference).exists():
        return
    logger.warning("payments difference %s %s: %s", kind, reference, detail)
    report = ReconciliationReport.objects.create()
    _report_finish(
        report,
        status=ReconciliationStatus.DIFFERENCES,
        checked={"source": "webhook"},
        differences=[Difference(kind, reference, expected, actual, detail)],
    )


@transaction.atomic
def _report_finish(
    report: ReconciliationReport, *, status: str, checked: dict[str, Any], differences: Iterable[Difference]
) -> None:
    ReconciliationDifference.objects.bulk_create(
        ReconciliationDifference(
            report=report,
            kind=d.kind[:40],
            reference=d.reference[:200],
            expected=d.expected[:200],
            actual=d.actual[:200],
            detail=d.detail,
        )
        for d in differences
    )
    report.status = status
    report.checked = checked
    report.finished_at = timezone.now()
    report.save(update_fields=["status", "checked", "finished_at"])


# ---------------------------------------------------------------- the ledger


def _ledger_differences(checked: dict[str, Any]) -> list[Difference]:
    problems = ledger_check()
    checked["ledger_accounts"] = LedgerAccount.objects.count()
    checked["ledger_problems"] = len(problems)
    return [_ledger_difference(problem) for problem in problems]


def _ledger_difference(problem: LedgerProblem) -> Difference:
    if problem.code == LedgerProblemCode.BALANCE_MISMATCH and problem.account_id is not None:
        account = LedgerAccount.objects.get(pk=problem.account_id)
        return Difference(
            kind=problem.code,
            reference=f"ledger_account:{account.pk}",
            expected=str(account_balance(account)),  # the entries are the truth
            actual=str(account.balance),
            detail=problem.message,
        )
    if problem.transaction_id is not None:
        reference = f"ledger_transaction:{problem.transaction_id}"
    else:
        reference = f"ledger_account:{problem.account_id}"
    return Difference(kind=problem.code, reference=reference, detail=problem.message)


# ---------------------------------------------------------------- transfers


def _transfer_differences(checked: dict[str, Any]) -> list[Difference]:
    differences = []
    payouts = Payout.objects.filter(Q(stripe_transfer_id__isnull=False) | Q(status__in=SENT_STATUSES))
    by_transfer = {p.stripe_transfer_id: p for p in payouts if p.stripe_transfer_id}
    seen = set()
    count = 0
    for transfer in gateway.transfers_list():
        count += 1
        payout = by_transfer.get(transfer.id)
        if payout is None:
            differences.append(_unknown_transfer(transfer))
            continue
        seen.add(transfer.id)
        differences.extend(_transfer_compare(payout, transfer))
    for payout in payouts:
        if payout.status in SENT_STATUSES and payout.stripe_transfer_id not in seen:
            differences.append(
                Difference(
                    kind="transfer_missing",
                    reference=f"payout:{payout.pk}",
                    expected=f"{payout.stripe_transfer_id or 'a transfer'} of {payout.amount}",
                    actual="none at Stripe",
                    detail=f"Payout {payout.pk} is {payout.status} but Stripe has no such transfer.",
                )
            )
    checked["stripe_transfers"] = count
    checked["payouts_with_transfers"] = len(by_transfer)
    return differences


def _unknown_transfer(transfer: Any) -> Difference:
    payout_id = _metadata(transfer).get("payout_id", "")
    return Difference(
        kind="transfer_without_payout",
        reference=transfer.id,
        expected="no transfer" if not payout_id else f"payout {payout_id} to record it",
        actual=str(_stripe_money(transfer.amount, transfer.currency)),
        detail=f"Stripe transfer {transfer.id} to {transfer.destination} matches no payout.",
    )


def _transfer_compare(payout: Payout, transfer: Any) -> list[Difference]:
    differences = []
    reference = f"payout:{payout.pk}"
    actual = _stripe_money(transfer.amount, transfer.currency)
    if actual != payout.amount:
        differences.append(
            Difference("transfer_amount_mismatch", reference, str(payout.amount), str(actual), transfer.id)
        )
    reversed_minor = transfer.amount_reversed or 0
    if payout.status == PayoutStatus.FAILED and reversed_minor < transfer.amount:
        differences.append(
            Difference(
                "transfer_not_reversed",
                reference,
                f"{transfer.amount} reversed",
                f"{reversed_minor} reversed",
                f"Payout {payout.pk} failed and its money is back in `available`, but transfer "
                f"{transfer.id} still sits on the connected account.",
            )
        )
    elif payout.status != PayoutStatus.FAILED and reversed_minor:
        differences.append(
            Difference(
                "transfer_reversed",
                reference,
                "not reversed",
                f"{reversed_minor} reversed",
                f"Transfer {transfer.id} was reversed but payout {payout.pk} is {payout.status}.",
            )
        )
    return differences


# ---------------------------------------------------------------- refunds


def _refund_differences(checked: dict[str, Any]) -> list[Difference]:
    differences = []
    refunds = {r.stripe_refund_id: r for r in Refund.objects.filter(stripe_refund_id__isnull=False)}
    seen = set()
    count = 0
    for stripe_refund in gateway.refunds_list():
        count += 1
        refund = refunds.get(stripe_refund.id)
        actual = _stripe_money(stripe_refund.amount, stripe_refund.currency)
        if refund is None:
            refund_id = _metadata(stripe_refund).get("refund_id", "")
            differences.append(
                Difference(
                    "refund_without_record",
                    stripe_refund.id,
                    f"refund {refund_id} to record it" if refund_id else "no refund",
                    str(actual),
                    f"Stripe refund {stripe_refund.id} matches no Refund with that id.",
                )
            )
            continue
        seen.add(stripe_refund.id)
        if actual != Money(refund.amount_minor, refund.currency):
            differences.append(
                Difference(
                    "refund_amount_mismatch",
                    f"refund:{refund.pk}",
                    str(Money(refund.amount_minor, refund.currency)),
                    str(actual),
                    stripe_refund.id,
                )
            )
    for stripe_id, refund in refunds.items():
        if stripe_id not in seen:
            differences.append(
                Difference(
                    "refund_missing",
                    f"refund:{refund.pk}",
                    f"{stripe_id} of {Money(refund.amount_minor, refund.currency)}",
                    "none at Stripe",
                    f"Refund {refund.pk} names a Stripe refund that Stripe does not have.",
                )
            )
    checked["stripe_refunds"] = count
    checked["refunds"] = len(refunds)
    return differences


# ---------------------------------------------------------------- bank payouts


def _bank_differences(checked: dict[str, Any]) -> list[Difference]:
    """Our payouts with a bank payout against each connected account's payouts list."""
    differences = []
    by_account: dict[str, list[Payout]] = defaultdict(list)
    payouts = Payout.objects.select_related("connected_account").filter(
        Q(stripe_payout_id__isnull=False) | Q(status=PayoutStatus.PAID)
    )
    for payout in payouts:
        if not payout.stripe_payout_id:
            differences.append(
                Difference(
                    "bank_payout_missing",
                    f"payout:{payout.pk}",
                    "a bank payout",
                    "none recorded",
                    f"Payout {payout.pk} is paid without a Stripe bank payout id.",
                )
            )
            continue
        by_account[payout.connected_account.stripe_account_id or ""].append(payout)
    count = 0
    for account_id, ours in sorted(by_account.items()):
        at_stripe = {p.id: p for p in gateway.payouts_list(account_id=account_id)}
        count += len(at_stripe)
        for payout in ours:
            differences.extend(_bank_compare(payout, at_stripe.get(payout.stripe_payout_id or "")))
    checked["connected_accounts"] = len(by_account)
    checked["stripe_bank_payouts"] = count
    return differences


def _bank_compare(payout: Payout, bank_payout: Any) -> list[Difference]:
    reference = f"payout:{payout.pk}"
    if bank_payout is None:
        return [
            Difference(
                "bank_payout_missing",
                reference,
                payout.stripe_payout_id or "",
                "none at Stripe",
                f"Payout {payout.pk} names a bank payout its connected account does not have.",
            )
        ]
    differences = []
    actual = _stripe_money(bank_payout.amount, bank_payout.currency)
    if actual != payout.amount:
        differences.append(
            Difference(
                "bank_payout_amount_mismatch", reference, str(payout.amount), str(actual), bank_payout.id
            )
        )
    # Stripe's final states must match ours; `pending`/`in_transit` at Stripe is still on its way.
    ours_final = payout.status if payout.status in (PayoutStatus.PAID, PayoutStatus.FAILED) else None
    theirs_final = bank_payout.status if bank_payout.status in ("paid", "failed", "canceled") else None
    if ours_final != theirs_final and not (ours_final == PayoutStatus.FAILED and theirs_final == "canceled"):
        differences.append(
            Difference(
                "bank_payout_status_mismatch",
                reference,
                payout.status,
                bank_payout.status,
                f"Bank payout {bank_payout.id} is {bank_payout.status} at Stripe, payout {payout.pk} "
                f"is {payout.status} here (a missed webhook?).",
            )
        )
    return differences


def _metadata(stripe_object: Any) -> dict[str, str]:
    metadata = getattr(stripe_object, "metadata", None)
    if metadata is None:
        return {}
    # The SDK's objects are not mappings (stripe-python 16): convert explicitly.
    values = metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)
    return {str(key): str(value) for key, value in values.items()}


def _stripe_money(amount: int, currency: str) -> Money | str:
    """Stripe's amount as Money; as text for a currency the platform does not use (never equal)."""
    try:
        return Money(int(amount), currency.upper())
    except ApplicationError:
        return f"{amount} {currency.upper()}"
