from celery import shared_task
from django.utils import timezone


@shared_task(name="common.ping", acks_late=True)
def ping(payload: str) -> str:
    """Round-trip check used by /healthz tests and the real-worker test."""
    return f"pong:{payload}"


@shared_task(name="common.heartbeat", acks_late=True)
def heartbeat() -> str:
    """Beat's own liveness mark: a periodic task that does nothing but prove beat runs."""
    return timezone.now().isoformat()
