"""Celery tasks of the notification centre: ids in, one service call out."""

from celery import shared_task

from notifications.services import notifications_delete_read


@shared_task(name="notifications.delete_old_read", acks_late=True)
def delete_old_read() -> int:
    """Daily: forget read notifications past their retention (idempotent, safe to run twice)."""
    return notifications_delete_read()
