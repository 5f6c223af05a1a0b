"""The tracked link is served ahead of the session, locale, CSRF, auth and message middleware
(affiliates.redirect_views.LinkFastLaneMiddleware): the answer must stay what a routed view
would give, security headers included, and anything else under /r/ takes the normal route."""

import pytest

from affiliates.attribution import COOKIE_NAME, clicks_from_cookie
from tests.affiliates.factories import join, make_offer
from tests.affiliates.test_clicks import BROWSER, follow, needs_redis  # noqa: F401  (fixture)


@pytest.fixture
def membership(shop, guide, affiliate):
    return join(make_offer(shop, product=guide), affiliate)


def test_the_fast_answer_carries_the_security_headers_and_a_length(client, membership, guide):
    response = follow(client, membership.code)
    assert response.status_code == 302
    assert response["Location"] == f"/shops/selena-studio/p/{guide.pk}/"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Content-Length"] == str(len(response.content))
    assert response["Cache-Control"] == "private, no-store"


def test_the_link_skips_the_session_and_locale_layers(client, membership):
    """Neither layer runs: no session cookie, no Vary (LocaleMiddleware adds Vary: Accept-Language
    to everything it answers), and the attribution cookie is the only one set."""
    response = follow(client, membership.code)
    assert "Vary" not in response
    assert list(response.cookies) == [COOKIE_NAME]
    assert clicks_from_cookie(response.cookies[COOKIE_NAME].value)[0][0] == membership.code


def test_other_methods_take_the_normal_route(client, membership):
    response = client.post(f"/r/{membership.code}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_a_nested_path_under_the_link_prefix_is_not_found(client, membership):
    assert client.get(f"/r/{membership.code}/extra", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get("/r/", HTTP_USER_AGENT=BROWSER).status_code == 404


def test_the_rate_limit_answer_speaks_the_visitors_language(needs_redis, client, membership, settings):  # noqa: F811
    settings.AFFILIATE_REDIRECT_RATE_PER_MINUTE = 1
    follow(client, membership.code)
    response = client.get(
        f"/r/{membership.code}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 429
    assert response.content.decode() == "Trop de requêtes."
