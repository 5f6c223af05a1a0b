"""The tracked link and the click buffer: redirect, counters, flush (exact, crash-safe)."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core import signing

from affiliates import clicks
from affiliates.attribution import COOKIE_NAME, click_from_token, clicks_from_cookie
from affiliates.clicks import clicks_flush, redis_client
from affiliates.models import ClickDaily, ClickFlush, FraudSignal
from affiliates.services import membership_leave, offer_set_status
from tests.affiliates.factories import join, make_offer
from tests.conftest import skip_or_fail

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"


@pytest.fixture
def needs_redis():
    """The buffer and its flush exist only with Redis (the zero-setup run writes clicks directly)."""
    if redis_client() is None:
        skip_or_fail("REDIS_URL is not set: the click buffer needs Redis")


@pytest.fixture
def membership(shop, guide, affiliate):
    return join(make_offer(shop, product=guide), affiliate)


def follow(client, code, ua=BROWSER, ip="203.0.113.7"):
    return client.get(f"/r/{code}", HTTP_USER_AGENT=ua, REMOTE_ADDR=ip)


def counts(membership):
    row = ClickDaily.objects.filter(membership=membership).first()
    return (row.raw, row.unique_clicks) if row else (0, 0)


def test_the_link_redirects_to_the_product_and_remembers_the_click(client, membership, guide):
    response = follow(client, membership.code)
    assert response.status_code == 302
    assert response["Location"] == f"/shops/selena-studio/p/{guide.pk}/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) == 90 * 24 * 3600
    [(code, _at)] = clicks_from_cookie(cookie.value)
    assert code == membership.code
    assert click_from_token(response["X-Click-Token"])[0] == membership.code


def test_no_database_write_per_click_until_the_flush(
    needs_redis, client, membership, django_assert_num_queries
):
    follow(client, membership.code)  # warms the destination cache
    with django_assert_num_queries(0):
        follow(client, membership.code)
    assert counts(membership) == (0, 0)
    assert clicks_flush() == 2
    assert counts(membership) == (2, 1)  # the repeat from the same visitor is raw only


def test_bots_and_repeats_are_raw_clicks_only(client, membership):
    follow(client, membership.code)
    follow(client, membership.code)
    follow(client, membership.code, ip="198.51.100.1")
    follow(client, membership.code, ua="Googlebot/2.1 (+http://www.google.com/bot.html)", ip="192.0.2.9")
    follow(client, membership.code, ua="", ip="192.0.2.10")
    clicks_flush()
    assert counts(membership) == (5, 2)


def test_flushing_twice_counts_each_click_once(needs_redis, client, membership):
    for _ in range(3):
        follow(client, membership.code)
    assert clicks_flush() == 3
    assert clicks_flush() == 0
    follow(client, membership.code, ip="198.51.100.2")
    assert clicks_flush() == 1
    assert counts(membership) == (4, 2)
    assert ClickFlush.objects.count() == 2


def test_a_crash_before_the_database_write_loses_nothing(needs_redis, client, membership, monkeypatch):
    for _ in range(3):
        follow(client, membership.code)
    real = clicks._counts_add

    def crash(_counts):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(clicks, "_counts_add", crash)
    with pytest.raises(RuntimeError):
        clicks_flush()
    follow(client, membership.code, ip="198.51.100.3")  # a new live hash meanwhile
    monkeypatch.setattr(clicks, "_counts_add", real)
    assert clicks_flush() == 4  # the leftover batch, then the new one
    assert counts(membership) == (4, 2)


def test_a_crash_after_the_commit_does_not_count_twice(needs_redis, client, membership, monkeypatch):
    follow(client, membership.code)
    follow(client, membership.code, ip="198.51.100.4")
    redis = redis_client()
    monkeypatch.setattr(redis, "delete", lambda *keys: (_ for _ in ()).throw(RuntimeError("killed")))
    with pytest.raises(RuntimeError):
        clicks_flush()  # stored and committed, but the processing key is still there
    monkeypatch.undo()
    assert list(redis.scan_iter(match=f"{settings.AFFILIATE_REDIS_PREFIX}:proc:*"))
    assert clicks_flush() == 0
    assert counts(membership) == (2, 2)
    assert not list(redis.scan_iter(match=f"{settings.AFFILIATE_REDIS_PREFIX}:proc:*"))


def test_a_destination_dropped_again_before_the_count_still_lands_and_counts(
    needs_redis, client, membership, guide, monkeypatch
):
    # destinations_forget() (or an eviction) can delete the key between the SET of a miss and
    # the script that counts: the redirect retries instead of failing with a 500.
    real_set = redis_client().set
    lost = {"sets": 0}

    def set_that_is_forgotten_at_once(name, *args, **kwargs):
        lost["sets"] += 1
        if lost["sets"] == 1:
            return True  # as if written and deleted right away
        return real_set(name, *args, **kwargs)

    monkeypatch.setattr(redis_client(), "set", set_that_is_forgotten_at_once)
    response = follow(client, membership.code)

    assert response.status_code == 302
    assert response["Location"] == f"/shops/selena-studio/p/{guide.pk}/"
    assert lost["sets"] == 2
    clicks_flush()
    assert counts(membership) == (1, 1)


def test_unknown_code_lands_home_without_attribution(client, membership):
    response = follow(client, "NOPE1234")
    assert response.status_code == 302 and response["Location"] == "/"
    assert COOKIE_NAME not in response.cookies
    clicks_flush()
    assert not ClickDaily.objects.exists()


def test_revoked_links_land_on_the_shop_without_attribution(client, membership):
    follow(client, membership.code)  # cached while active
    membership_leave(membership=membership)
    response = follow(client, membership.code)
    assert response["Location"] == "/shops/selena-studio"
    assert COOKIE_NAME not in response.cookies


def test_a_paused_offer_stops_attribution(client, membership):
    offer_set_status(offer=membership.offer, status="paused")
    response = follow(client, membership.code)
    assert response["Location"] == "/shops/selena-studio" and COOKIE_NAME not in response.cookies


def test_a_tampered_cookie_is_ignored(client, membership):
    client.cookies[COOKIE_NAME] = signing.Signer(salt="another-salt").sign("EVIL0000.1")
    response = follow(client, membership.code)
    assert [code for code, _at in clicks_from_cookie(response.cookies[COOKIE_NAME].value)] == [
        membership.code
    ]
    assert clicks_from_cookie("garbage") == []


def test_the_cookie_keeps_the_last_ten_clicks(client, membership):
    for _ in range(12):
        response = follow(client, membership.code)
    assert len(clicks_from_cookie(response.cookies[COOKIE_NAME].value)) == 10


def test_an_address_over_the_rate_limit_is_refused_and_not_counted(needs_redis, client, membership, settings):
    settings.AFFILIATE_REDIRECT_RATE_PER_MINUTE = 3
    responses = [follow(client, membership.code) for _ in range(4)]
    assert [response.status_code for response in responses] == [302, 302, 302, 429]
    assert responses[-1]["Retry-After"] == "60"
    clicks_flush()
    assert counts(membership) == (3, 1)


def test_a_click_flood_from_one_address_is_a_fraud_signal(needs_redis, client, membership, settings):
    settings.AFFILIATE_FLOOD_CLICKS_PER_MINUTE = 3
    for _ in range(5):
        follow(client, membership.code)
    assert FraudSignal.objects.filter(membership=membership, kind="click_flood").count() == 1


def test_without_redis_clicks_go_straight_to_the_database(client, membership, settings):
    settings.REDIS_URL = ""
    follow(client, membership.code)
    follow(client, membership.code)
    assert counts(membership) == (2, 1)


def test_clicks_are_counted_per_utc_day(membership):
    clicks.click(
        code=membership.code,
        ip="1.2.3.4",
        user_agent=BROWSER,
        now=datetime(2026, 1, 1, 23, 59, tzinfo=UTC),
    )
    clicks.click(
        code=membership.code,
        ip="1.2.3.4",
        user_agent=BROWSER,
        now=datetime(2026, 1, 2, 0, 1, tzinfo=UTC),
    )
    clicks_flush()
    assert sorted(ClickDaily.objects.values_list("day", "raw")) == [
        (datetime(2026, 1, 1).date(), 1),
        (datetime(2026, 1, 2).date(), 1),
    ]


def test_malformed_codes_land_home_without_a_query(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/r/%20bad%20code!", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302 and response["Location"] == "/"
