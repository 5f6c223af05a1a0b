"""Health of the parts the product depends on, for /healthz and the load balancer."""

import redis
from django.conf import settings
from django.db import connection


def database_health() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message helps the operator
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_health() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.REDIS_URL:
        return "eager"  # zero-setup mode: tasks run in-process, there is no broker to reach
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"
