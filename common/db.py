"""PostgreSQL connection tuning applied to every new connection (see CommonConfig.ready), and
psycopg_cursor() for the bulk statements that need psycopg's own cursor.

Timestamps: Django (5.2, psycopg 3) loads every ``timestamptz`` value through a Python subclass
of psycopg's pure-Python loader, so that the result carries the connection's time zone. That
costs about 2.5 µs per value: a catalogue page of 50 products spent more time there than
running its query. When the session time zone is UTC, which is what Django sets with USE_TZ
and no per-database TIME_ZONE, psycopg's C loader already returns datetimes with
``datetime.timezone.utc``, identical to Django's (tests/common/test_db.py checks), at a tenth of
the cost, so that loader is registered instead. Any other time zone keeps Django's loader.
"""

import datetime
from typing import Any

import psycopg
from django.db import connection as default_connection
from django.db.backends.signals import connection_created
from psycopg.pq import Format

try:  # the C implementation ships with psycopg[binary] (or [c]); without it nothing changes
    from psycopg_binary._psycopg import TimestamptzLoader as _CTimestamptzLoader  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - the project installs psycopg[binary]
    _CTimestamptzLoader = None


class UtcTimestamptzLoader:
    """Hands out psycopg's C loader. ``timezone`` is what Django's create_cursor() compares to
    its own before re-registering a loader per cursor; ``format`` is what psycopg registers."""

    timezone = datetime.UTC
    format = Format.TEXT

    def __new__(cls, oid: int, context: Any = None) -> Any:
        return _CTimestamptzLoader(oid, context)


def fast_timestamps_register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or _CTimestamptzLoader is None:
        return
    if connection.timezone_name != "UTC":
        return
    connection.connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)


def connect_signals() -> None:
    connection_created.connect(fast_timestamps_register, dispatch_uid="common.db.fast_timestamps")


def psycopg_cursor() -> psycopg.Cursor:
    """A psycopg cursor on Django's PostgreSQL connection, in the transaction Django holds open.

    Server-side binding: arrays travel as parameters instead of being quoted element by element
    into the SQL (Django's client-side cursor), and COPY and binary results are available.
    """
    default_connection.ensure_connection()
    return psycopg.Cursor(default_connection.connection)
