"""Periodic work of the shops: release unpaid reservations, complete delivered orders."""

from celery import shared_task

from shops.orders import orders_complete_due, orders_release_expired


@shared_task(name="shops.release_expired_orders", acks_late=True)
def release_expired_orders() -> int:
    return orders_release_expired()


@shared_task(name="shops.complete_delivered_orders", acks_late=True)
def complete_delivered_orders() -> int:
    return orders_complete_due()
