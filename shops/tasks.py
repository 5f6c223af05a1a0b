"""Shops' Celery tasks: order emails (sent off the request and the webhook), releasing unpaid
reservations, completing delivered orders. Thin wrappers: ids in, one service call."""

from celery import shared_task

from shops import emails

# Mail servers fail transiently; an email sent twice after a lost acknowledgement beats one lost.
EMAIL_RETRY = {"acks_late": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="shops.email_order_paid", **EMAIL_RETRY)
def email_order_paid(order_id: int) -> None:
    emails.order_paid_send(order_id)


@shared_task(name="shops.email_order_shipped", **EMAIL_RETRY)
def email_order_shipped(order_id: int) -> None:
    emails.order_shipped_send(order_id)


@shared_task(name="shops.email_order_refunded", **EMAIL_RETRY)
def email_order_refunded(order_id: int, amount_minor: int, sold_out: bool = False) -> None:
    emails.order_refunded_send(order_id, amount_minor, sold_out=sold_out)


@shared_task(name="shops.release_expired_orders", acks_late=True)
def release_expired_orders() -> int:
    from shops.orders import orders_release_expired  # shops.orders enqueues the email tasks above

    return orders_release_expired()


@shared_task(name="shops.complete_delivered_orders", acks_late=True)
def complete_delivered_orders() -> int:
    from shops.orders import orders_complete_due

    return orders_complete_due()
