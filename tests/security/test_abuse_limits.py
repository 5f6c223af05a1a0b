"""Abuse limits: every limited endpoint answers 429 with Retry-After once over its (small, test)
rate, and the login lockout refuses an account's logins after repeated failures.

Rates are settings: the web limits (django-ratelimit) are read at request time; DRF's throttles
read REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] once, so the tests patch the throttles' copy.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from audit.enums import AuditAction
from audit.models import AuditEntry
from common.money import Money
from creators.login_lockout import login_lockout_seconds_left
from marketplace.services.negotiations import campaign_create, offer_send
from tests.affiliates.factories import join, make_offer
from tests.conftest import PASSWORD, api_client_for, make_user, skip_or_fail
from tests.marketplace.factories import due, make_brand, make_listing
from tests.shops.factories import make_product, make_shop

pytestmark = pytest.mark.django_db

REEL = [{"format": "reel", "count": 1, "due_date": due()}]


@pytest.fixture
def world(creator, other_creator, brand):
    """A brand with a campaign, a listed creator with an open offer from it, a seller's shop."""
    glow = make_brand(brand, name="Glow Co")
    listing = make_listing(creator, currency="USD")
    campaign = campaign_create(
        brand=glow,
        user=brand,
        title="Summer",
        description="Two reels.",
        deliverables=REEL,
        currency="USD",
        budget_min_minor=20_000,
        budget_max_minor=80_000,
    )
    negotiation = offer_send(
        brand=glow, user=brand, creator=creator, amount=Money(45_000, "USD"), deliverables=REEL
    )
    shop = make_shop(other_creator, name="Sora's studio", slug="sora-studio")
    product = make_product(shop, title="Glow guide", price="50.00", type="digital")
    return {
        "brand": glow,
        "listing": listing,
        "campaign": campaign,
        "negotiation": negotiation,
        "shop": shop,
        "product": product,
    }


@pytest.fixture
def throttle_rates(monkeypatch):
    """throttle_rates(scope=rate, …): DRF throttles use these rates for the rest of the test."""

    def set_rates(**rates: str) -> None:
        # Every throttle class that holds its own copy (another test may have set one on a subclass).
        for cls in [SimpleRateThrottle, *_subclasses(SimpleRateThrottle)]:
            if "THROTTLE_RATES" in vars(cls):
                monkeypatch.setattr(cls, "THROTTLE_RATES", {**cls.THROTTLE_RATES, **rates})

    return set_rates


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in [direct, *_subclasses(direct)]]


def assert_web_429(response) -> None:
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Slow down" in response.content.decode()  # the 429 page, not a bare status


def assert_api_429(response, code: str = "throttled") -> None:
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


# ---------------------------------------------------------------- web


def _web_cases(world, creator, other_creator, brand):
    """(setting, who is signed in, url, POST data) for every rate-limited web form."""
    return {
        "login": (
            "RATELIMIT_LOGIN",
            None,
            reverse("accounts:login"),
            {"username": "x@example.com", "password": "x"},
        ),
        "signup": ("RATELIMIT_SIGNUP", None, reverse("accounts:signup"), {"email": "bad"}),
        "password-reset": (
            "RATELIMIT_PASSWORD_RESET",
            None,
            reverse("accounts:password-reset"),
            {"email": "x@example.com"},
        ),
        "checkout": (
            "RATELIMIT_CHECKOUT",
            None,
            reverse("shop-checkout", args=[world["shop"].slug]),
            {"email": "bad"},
        ),
        "marketplace offer": (
            "RATELIMIT_OFFER_CREATE",
            brand,
            reverse("marketplace:creator-profile", args=[world["brand"].pk, world["listing"].pk]),
            {"amount_minor": "x"},
        ),
        "counter-offer": (
            "RATELIMIT_OFFER_CREATE",
            creator.user,
            reverse("marketplace:negotiation", args=[world["negotiation"].pk]),
            {"amount_minor": "x"},
        ),
        "campaign application": (
            "RATELIMIT_OFFER_CREATE",
            creator.user,
            reverse("marketplace:campaign", args=[world["campaign"].pk]),
            {"amount_minor": "x"},
        ),
        "affiliate offer": (
            "RATELIMIT_OFFER_CREATE",
            other_creator.user,
            reverse("affiliates:seller"),
            {"rate_bps": "x"},
        ),
    }


WEB_CASES = [
    "login",
    "signup",
    "password-reset",
    "checkout",
    "marketplace offer",
    "counter-offer",
    "campaign application",
    "affiliate offer",
]


@pytest.mark.parametrize("case", WEB_CASES)
def test_a_web_form_over_its_limit_gets_the_429_page_with_retry_after(
    case, client, settings, world, creator, other_creator, brand
):
    setting, user, url, data = _web_cases(world, creator, other_creator, brand)[case]
    setattr(settings, setting, "2/m")
    if user is not None:
        client.force_login(user)

    answers = [client.post(url, data).status_code for _ in range(2)]
    limited = client.post(url, data)

    assert 429 not in answers
    assert_web_429(limited)
    assert int(limited["Retry-After"]) <= 60  # the rest of the one-minute window
    assert "Please try again in 1 minute." in limited.content.decode()


def test_reading_a_limited_page_does_not_use_up_the_limit(client, settings, world, creator):
    settings.RATELIMIT_OFFER_CREATE = "1/m"
    client.force_login(creator.user)
    url = reverse("marketplace:campaign", args=[world["campaign"].pk])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]


def test_the_offer_limit_is_per_user(client, settings, world, creator, brand):
    settings.RATELIMIT_OFFER_CREATE = "1/m"
    client.force_login(creator.user)
    url = reverse("marketplace:campaign", args=[world["campaign"].pk])
    client.post(url, {"amount_minor": "x"})
    assert client.post(url, {"amount_minor": "x"}).status_code == 429

    client.force_login(make_user("someone@example.com"))
    assert client.post(url, {"amount_minor": "x"}).status_code != 429


def test_the_affiliate_redirect_answers_429_with_retry_after(client, settings, world, creator):
    from affiliates.clicks import redis_client

    redis = redis_client()
    if redis is None:  # without Redis the redirect counts clicks straight into the database, unlimited
        skip_or_fail("the affiliate redirect's limit needs Redis (REDIS_URL)")
    for key in redis.scan_iter(match=f"{settings.AFFILIATE_REDIS_PREFIX}:*"):
        redis.delete(key)
    settings.AFFILIATE_REDIRECT_RATE_PER_MINUTE = 2
    membership = join(make_offer(world["shop"], product=world["product"]), creator)

    answers = [client.get(f"/r/{membership.code}", REMOTE_ADDR="198.51.100.23") for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60


# ---------------------------------------------------------------- API


@pytest.fixture
def api_cases(world, creator, other_creator, brand, service_token):
    """scope → (client, url, body) for every throttled API endpoint."""
    ingest = APIClient()
    ingest.credentials(HTTP_AUTHORIZATION=f"Token {service_token}")
    return {
        "login": ("login", APIClient(), "/api/v1/auth/token/", {"email": "x@example.com", "password": "x"}),
        "token_refresh": ("token_refresh", APIClient(), "/api/v1/auth/token/refresh/", {"refresh": "nope"}),
        "signup": ("signup", APIClient(), "/api/v1/auth/signup/", {"email": "bad"}),
        "ingest posts": ("ingest", ingest, "/api/v1/ingest/posts/", {"posts": "x"}),
        "ingest followers": ("ingest", ingest, "/api/v1/ingest/followers/", {"followers": "x"}),
        "checkout": ("checkout", api_client_for(brand), "/api/v1/orders/", {"shop": "x"}),
        "marketplace offer": (
            "offer_create",
            api_client_for(brand),
            f"/api/v1/marketplace/brands/{world['brand'].pk}/offers/",
            {"listing_id": "x"},
        ),
        "counter-offer": (
            "offer_create",
            api_client_for(creator.user),
            f"/api/v1/marketplace/negotiations/{world['negotiation'].pk}/counter/",
            {"amount_minor": "x"},
        ),
        "campaign application": (
            "offer_create",
            api_client_for(creator.user),
            f"/api/v1/marketplace/campaigns/{world['campaign'].pk}/apply/",
            {"amount_minor": "x"},
        ),
        "affiliate offer": (
            "offer_create",
            api_client_for(other_creator.user),
            "/api/v1/affiliates/seller/offers/",
            {"rate_bps": "x"},
        ),
    }


API_CASES = [
    "login",
    "token_refresh",
    "signup",
    "ingest posts",
    "ingest followers",
    "checkout",
    "marketplace offer",
    "counter-offer",
    "campaign application",
    "affiliate offer",
]


@pytest.mark.parametrize("case", API_CASES)
def test_an_api_endpoint_over_its_limit_answers_429_with_retry_after(case, api_cases, throttle_rates):
    scope, client, url, body = api_cases[case]
    throttle_rates(**{scope: "2/min"})

    answers = [client.post(url, body, format="json").status_code for _ in range(2)]
    limited = client.post(url, body, format="json")

    assert 429 not in answers
    assert_api_429(limited)
    assert int(limited["Retry-After"]) <= 60


def test_listing_affiliate_offers_is_not_throttled_only_creating_them(api_cases, throttle_rates):
    throttle_rates(offer_create="1/min")
    _scope, client, url, body = api_cases["affiliate offer"]
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    client.post(url, body, format="json")
    assert_api_429(client.post(url, body, format="json"))


# ---------------------------------------------------------------- login lockout


def web_login(client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def api_login(email: str, password: str):
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


@pytest.fixture
def lockout(settings, throttle_rates):
    # The per-address limits are not what these tests are about.
    throttle_rates(login="1000/min")
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    settings.LOGIN_LOCKOUT_WINDOW_SECONDS = 15 * 60
    settings.LOGIN_LOCKOUT_SECONDS = 15 * 60
    settings.RATELIMIT_LOGIN = "1000/m"
    return settings


@pytest.fixture
def frozen_time(monkeypatch):
    """frozen_time.advance(seconds): the lockout's clock (and the cache's expiry) moves on."""
    import time as real_time

    from creators import login_lockout

    class Clock:
        offset = 0.0

        def time(self) -> float:
            return real_time.time() + self.offset

        def advance(self, seconds: float) -> None:
            self.offset += seconds

    clock = Clock()
    monkeypatch.setattr(login_lockout, "time", clock)  # the module's clock only, not the world's
    return clock


def test_five_wrong_passwords_lock_the_web_login_even_with_the_right_password(client, buyer, lockout):
    for _ in range(4):
        assert "correct" in web_login(client, "buyer@example.com", "wrong").content.decode()
    fifth = web_login(client, "buyer@example.com", "wrong").content.decode()
    assert "Too many failed sign-in attempts" in fifth and "15 minutes" in fifth

    right = web_login(client, "buyer@example.com", PASSWORD)

    assert right.status_code == 200  # the form again, not the redirect of a login
    assert "Try again in 15 minutes" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_ends_after_the_lockout_period(client, buyer, lockout, frozen_time):
    for _ in range(5):
        web_login(client, "buyer@example.com", "wrong")
    assert web_login(client, "buyer@example.com", PASSWORD).status_code == 200

    frozen_time.advance(15 * 60 + 1)

    response = web_login(client, "BUYER@example.com", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(buyer.pk)


def test_a_successful_login_resets_the_failures(client, buyer, lockout):
    for _ in range(4):
        web_login(client, "buyer@example.com", "wrong")
    assert web_login(client, "buyer@example.com", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        web_login(client, "buyer@example.com", "wrong")
    assert web_login(client, "buyer@example.com", PASSWORD).status_code == 302


def test_an_unknown_email_gets_the_same_answers_as_a_real_one(client, buyer, lockout):
    def answers(email: str) -> list[str]:
        pages = [web_login(client, email, "wrong").content.decode() for _ in range(6)]
        return [
            "locked" if "Too many failed sign-in attempts" in page else "wrong" if "correct" in page else "?"
            for page in pages
        ]

    assert answers("nobody@example.com") == answers("buyer@example.com") == ["wrong"] * 4 + ["locked"] * 2
    assert api_login("nobody@example.com", "x").json() == api_login("buyer@example.com", "x").json()


def test_the_api_token_obtain_is_locked_too_with_429_and_retry_after(buyer, lockout):
    for _ in range(4):
        assert api_login("buyer@example.com", "wrong").status_code == 401
    assert_api_429(api_login("buyer@example.com", "wrong"), code="login_locked")

    right = api_login("buyer@example.com", PASSWORD)

    assert_api_429(right, code="login_locked")
    assert 0 < int(right["Retry-After"]) <= 15 * 60
    assert "access" not in right.json()


def test_web_and_api_failures_count_together(client, buyer, lockout):
    for _ in range(3):
        web_login(client, "buyer@example.com", "wrong")
    for _ in range(2):
        api_login("buyer@example.com", "wrong")
    assert (
        "Too many failed sign-in attempts"
        in web_login(client, "buyer@example.com", PASSWORD).content.decode()
    )


def test_other_accounts_are_not_locked(client, buyer, brand, lockout):
    for _ in range(5):
        web_login(client, "buyer@example.com", "wrong")
    assert api_login("brand@example.com", PASSWORD).status_code == 200


def test_staff_unlock_an_account_in_admin(client, buyer, staff, lockout):
    for _ in range(5):
        api_login("buyer@example.com", "wrong")
    assert login_lockout_seconds_left(email="buyer@example.com") > 0
    client.force_login(staff)
    change_page = client.get(reverse("admin:creators_user_change", args=[buyer.pk])).content.decode()
    assert "Try again in 15 minutes" in change_page  # staff see the lock on the account

    response = client.post(
        reverse("admin:creators_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [buyer.pk], "apply": "1", "reason": "Called us"},
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 account was locked and can sign in again."
    ]
    assert login_lockout_seconds_left(email="buyer@example.com") == 0
    assert api_login("buyer@example.com", PASSWORD).status_code == 200
    [entry] = AuditEntry.objects.filter(action=AuditAction.ACCOUNT_UNLOCK)
    assert (entry.actor, entry.reason, entry.target_id) == (staff, "Called us", str(buyer.pk))
    assert "Not locked" in client.get(reverse("admin:creators_user_change", args=[buyer.pk])).content.decode()


def test_only_staff_reach_the_unlock_action(client, buyer, lockout):
    for _ in range(5):
        api_login("buyer@example.com", "wrong")
    client.force_login(make_user("curious@example.com"))

    response = client.post(
        reverse("admin:creators_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [buyer.pk]},
    )

    assert response.status_code == 302 and "/admin/login/" in response.url
    assert login_lockout_seconds_left(email="buyer@example.com") > 0


def test_each_ingestion_token_has_its_own_budget(api_cases, throttle_rates, staff):
    from creators.services import service_token_create

    throttle_rates(ingest="1/min")
    _scope, first, url, body = api_cases["ingest posts"]
    first.post(url, body, format="json")
    assert_api_429(first.post(url, body, format="json"))

    _token, raw = service_token_create(name="second pipeline", created_by=staff)
    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert second.post(url, body, format="json").status_code == 400  # refused for its body, not throttled


def test_behind_a_proxy_each_client_has_its_own_budget(client, settings):
    settings.RATELIMIT_PASSWORD_RESET = "1/m"
    settings.SECURITY_TRUSTED_PROXIES = 1
    url = reverse("accounts:password-reset")

    def reset(forwarded_for: str) -> int:
        return client.post(
            url, {"email": "x@example.com"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    assert reset("203.0.113.5") != 429
    assert reset("203.0.113.5") == 429
    assert reset("203.0.113.6") != 429  # another client behind the same load balancer
    assert reset("203.0.113.6, 203.0.113.5") == 429  # a forged left-hand entry changes nothing


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(client, settings):
    settings.RATELIMIT_PASSWORD_RESET = "1/m"
    url = reverse("accounts:password-reset")
    client.post(url, {"email": "x@example.com"}, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client.post(url, {"email": "x@example.com"}, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
