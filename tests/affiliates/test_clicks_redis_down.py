"""The click buffer's Redis is down (restarting, loading its file): visitors still land, clicks still count.

tests/drills/test_redis_restart_clicks.py restarts a real Redis full of clicks; this is the
quick version for `make test`: REDIS_URL names a port nobody listens on.
"""

import pytest
import redis

from affiliates.clicks import clicks_flush
from affiliates.models import ClickDaily
from tests.affiliates.factories import join, make_offer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"

pytestmark = pytest.mark.django_db


DOWN = "redis://127.0.0.1:1/0"  # connection refused


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = DOWN


def test_a_click_while_redis_is_down_lands_the_visitor_and_is_stored_raw(
    settings, client, shop, guide, affiliate
):
    membership = join(make_offer(shop, product=guide), affiliate)
    settings.REDIS_URL = DOWN  # it goes down after the link was made
    for ip in ("203.0.113.7", "203.0.113.8"):
        response = client.get(f"/r/{membership.code}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=ip)
        assert response.status_code == 302
        assert response["Location"] == f"/shops/selena-studio/p/{guide.pk}/"
    row = ClickDaily.objects.get(membership=membership)
    # Unique needs the repeat window, which lives in the Redis that is down: raw only.
    assert (row.raw, row.unique_clicks) == (2, 0)


def test_an_unknown_code_while_redis_is_down_goes_home_and_counts_nothing(redis_down, client):
    response = client.get("/r/NOSUCHCODE", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302 and response["Location"] == "/"
    assert not ClickDaily.objects.exists()


def test_the_flush_fails_loudly_while_redis_is_down_and_loses_nothing(redis_down):
    with pytest.raises(redis.ConnectionError):  # the beat task fails and runs again next minute
        clicks_flush()
