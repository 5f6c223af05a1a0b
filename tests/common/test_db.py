"""common.db: psycopg's C timestamptz loader on UTC connections gives what Django's loader gives."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from common.db import UtcTimestamptzLoader, fast_timestamps_register

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a psycopg loader")

TIMESTAMPTZ_OID = 1184
VALUES_SQL = (
    "SELECT '2026-03-01 09:30:00.123456+09'::timestamptz, '1999-12-31 23:59:59-08'::timestamptz, "
    "NULL::timestamptz"
)


def _loaded(sql: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@pytest.mark.django_db
def test_utc_connections_load_timestamps_with_the_c_loader():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader


@pytest.mark.django_db
def test_the_c_loader_gives_the_same_datetimes_as_djangos():
    connection.ensure_connection()
    adapters = connection.connection.adapters
    try:
        fast = _loaded(VALUES_SQL)
        # Django's own loader, registered as Django does for a connection in another time zone.
        register_tzloader(datetime.UTC, connection.connection)
        djangos = _loaded(VALUES_SQL)
    finally:
        adapters.register_loader("timestamptz", UtcTimestamptzLoader)
    assert fast == djangos
    assert fast[0] == datetime.datetime(2026, 3, 1, 0, 30, 0, 123456, tzinfo=datetime.UTC)
    assert fast[0].tzinfo is datetime.UTC and djangos[0].tzinfo is datetime.UTC
    assert fast[2] is None


def test_other_time_zones_keep_djangos_loader():
    class Adapters:
        registered: list = []

        def register_loader(self, name, loader):
            self.registered.append((name, loader))

    class FakeConnection:
        vendor = "postgresql"
        timezone_name = "Asia/Seoul"

        class connection:  # the psycopg connection Django holds
            adapters = Adapters()

    fast_timestamps_register(None, FakeConnection())
    assert Adapters.registered == []
    FakeConnection.timezone_name = "UTC"
    fast_timestamps_register(None, FakeConnection())
    assert Adapters.registered == [("timestamptz", UtcTimestamptzLoader)]
