"""Celery tasks of the payments app: ids in, one service call out, safe to run twice.

Services are imported inside each task: the task modules load at worker start-up, and
keeping the imports local keeps that start-up independent of the payments services' imports.
"""

from celery import shared_task

from payments.gateway import StripeTemporaryError

RETRY = {
    "autoretry_for": (StripeTemporaryError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


# Nothing reads a settlement task's return value: storing it would cost a Redis write per task.
@shared_task(name="payments.settle_payment", ignore_result=True, **RETRY)
def settle_payment(payment_id: int) -> None:
    from payments.models import Payment
    from payments.settlement import settlement_post

    settlement_post(payment=Payment.objects.get(pk=payment_id))


@shared_task(name="payments.settle_payments", ignore_result=True, **RETRY)
def settle_payments(payment_ids: list[int]) -> int:
    """Settle a batch of paid payments in one database transaction (each exactly once)."""
    from payments.settlement import settlement_post_many

    return settlement_post_many(payment_ids=payment_ids)


@shared_task(name="payments.settle_missed", acks_late=True)
def settle_missed() -> int:
    from payments.settlement import settlements_catch_up

    return settlements_catch_up()


@shared_task(name="payments.release_due_holds", acks_late=True)
def release_due_holds() -> int:
    from payments.holds import holds_release_due

    return holds_release_due()


@shared_task(name="payments.process_webhook_event", **RETRY)
def process_webhook_event(event_id: int) -> None:
    from payments.webhooks import webhook_event_process

    webhook_event_process(event_id=event_id)


@shared_task(name="payments.send_refund", **RETRY)
def send_refund(refund_id: int) -> None:
    from payments.charges import refund_send

    refund_send(refund_id=refund_id)


@shared_task(name="payments.run_payouts", acks_late=True)
def run_payouts() -> int:
    from payments.payouts import payouts_run

    return payouts_run()


@shared_task(name="payments.resume_payouts", acks_late=True)
def resume_payouts() -> int:
    from payments.payouts import payouts_catch_up

    return payouts_catch_up()


@shared_task(name="payments.execute_payout", **RETRY)
def execute_payout(payout_id: int) -> None:
    from payments.payouts import payout_execute

    payout_execute(payout_id=payout_id)


@shared_task(name="payments.reconcile", acks_late=True)
def reconcile() -> int:
    from payments.reconciliation import reconciliation_run

    return reconciliation_run().pk
