"""Personas and real-service fixtures shared by every test.

Personas (CONVENTIONS.md): creator, other_creator, brand, buyer, staff, anonymous. Data is
built through the real services, so a test exercises what a user would.
"""

import os

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from creators.services import (
    creator_become,
    creator_switch_to_professional,
    service_token_create,
    user_create,
)
from notifications.enums import NotificationType
from notifications.services import notify
from payments.commission import commission_defaults_ensure

# The Stripe emulator's fixtures: `emulator`, `control`, `receiver` (stripe_emulator/README.md).
pytest_plugins = ["stripe_emulator.pytest_plugin"]

PASSWORD = "a-long-test-password-42"
# In CI, tests that need Redis, a worker or Chromium must run: a skip there is a failure.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and throttles live in the cache: every test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _commission_defaults(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    commission_defaults_ensure()


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves its language active on the thread; the next test starts in the default."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL (row locks, triggers); set DATABASE_URL to run it")


def make_user(email: str, **fields):
    return user_create(email=email, password=PASSWORD, **fields)


def make_creator(handle: str, *, country: str = "US", professional: bool = True, **fields):
    user = make_user(f"{handle}@example.com", display_name=handle.title())
    profile = creator_become(
        user=user, handle=handle, display_name=handle.title(), country=country, is_adult=True, **fields
    )
    if professional:
        profile = creator_switch_to_professional(creator=profile)
    return profile


@pytest.fixture
def creator(db):
    return make_creator("minji", country="KR", niches=["beauty"], languages=["ko"])


@pytest.fixture
def other_creator(db):
    return make_creator("sora", country="JP", niches=["food"], languages=["ja"])


@pytest.fixture
def buyer(db):
    return make_user("buyer@example.com", display_name="Buyer")


@pytest.fixture
def brand(db):
    """A brand member. The marketplace issue attaches brand membership; today it is a plain account."""
    return make_user("brand@example.com", display_name="Brand")


@pytest.fixture
def staff(db):
    from creators.models import User

    return User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Staff")


@pytest.fixture
def anonymous():
    return APIClient()


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api_as():
    """api_as(user) → an APIClient authenticated with that user's JWT."""
    return api_client_for


@pytest.fixture
def service_token(staff):
    _token, raw = service_token_create(name="pipeline", created_by=staff)
    return raw


@pytest.fixture
def ingest_client(service_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {service_token}")
    return client


@pytest.fixture
def stripe_api(emulator, settings):
    """The payments gateway talking to a clean Stripe emulator (real SDK, real HTTP)."""
    settings.STRIPE_API_BASE = emulator.base_url
    settings.STRIPE_SECRET_KEY = "sk_test_emulator"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_emulator"
    return emulator


@pytest.fixture
def redis_url():
    """The Redis of REDIS_URL, for tests that start a real Celery worker (skipped without it)."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("REDIS_URL is not set: no Redis to run a real worker against")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        skip_or_fail(f"Redis at {url} is not reachable: {exc}")
    return url


# The notification centre's tests and its browser test share it.
@pytest.fixture
def notified():
    """notified(user, n=1) → n notifications for ``user``, newest last, without any email."""

    def make(user, n: int = 1, **params):
        return [
            notify(
                user=user,
                type=NotificationType.NEW_ORDER,
                params={"number": f"N{i}", "shop": "Shop", "total_minor": 2500, "currency": "USD", **params},
                url="/dashboard/shop/",
            )
            for i in range(n)
        ]

    return make
