"""Celery tasks of the marketplace: thin, named, idempotent, acks_late."""

from celery import shared_task

from payments.gateway import StripeTemporaryError

RETRY = {
    "autoretry_for": (StripeTemporaryError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="marketplace.auto_approve_deliverables", acks_late=True)
def auto_approve_deliverables() -> int:
    """Beat: approve deliverables unreviewed for 5 business days (due rows, SKIP LOCKED)."""
    from marketplace.services.deals import deliverables_auto_approve_due

    return deliverables_auto_approve_due()


@shared_task(name="marketplace.measure_listings", acks_late=True)
def measure_listings() -> int:
    """Beat: refresh every listing's 90-day figures."""
    from marketplace.services.listings import listings_measure_all

    return listings_measure_all()


@shared_task(name="marketplace.refund_late_funding", **RETRY)
def refund_late_funding(deal_id: int, payment_id: int) -> None:
    from marketplace.models import Deal
    from marketplace.services.deals import deal_late_funding_refund
    from payments.models import Payment

    deal_late_funding_refund(deal=Deal.objects.get(pk=deal_id), payment=Payment.objects.get(pk=payment_id))
