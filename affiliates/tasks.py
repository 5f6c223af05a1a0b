"""Periodic work of the affiliate marketplace (thin wrappers)."""

from celery import shared_task

from affiliates.clicks import clicks_flush


@shared_task(name="affiliates.flush_clicks", acks_late=True)
def flush_clicks() -> int:
    """Every minute: the Redis click buffer into ClickDaily (crash-safe, exact; see affiliates.clicks)."""
    return clicks_flush()
