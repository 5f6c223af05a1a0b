from celery import shared_task
from django.db import connection
from django.utils import timezone


@shared_task(name="common.ping", acks_late=True)
def ping(payload: str) -> str:
    """Round-trip check used by /healthz tests and the real-worker test."""
    return f"pong:{payload}"


@shared_task(name="common.db_session", acks_late=True)
def db_session() -> int:
    """The worker's database session: PostgreSQL's backend process id (0 elsewhere). The worker
    test uses it to see whether consecutive tasks share a connection."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@shared_task(name="common.heartbeat", acks_late=True)
def heartbeat() -> str:
    """Beat's own liveness mark: a periodic task that does nothing but prove beat runs."""
    return timezone.now().isoformat()
