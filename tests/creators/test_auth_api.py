from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


def obtain(client: APIClient, email: str, password: str = PASSWORD):
    return client.post(reverse("api:creators-api:token-obtain"), {"email": email, "password": password})


def test_token_obtain_and_use(buyer):
    client = APIClient()
    tokens = obtain(client, "buyer@example.com").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = client.get(reverse("api:creators-api:me"))
    assert response.status_code == 200
    assert response.json()["email"] == "buyer@example.com"
    assert response.json()["creator"] is None


def test_wrong_password_gets_the_error_shape(buyer):
    response = obtain(APIClient(), "buyer@example.com", "wrong")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_refresh_rotates_and_the_old_refresh_token_is_dead(buyer):
    client = APIClient()
    first = obtain(client, "buyer@example.com").json()
    rotated = client.post(reverse("api:creators-api:token-refresh"), {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]
    replay = client.post(reverse("api:creators-api:token-refresh"), {"refresh": first["refresh"]})
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "token_not_valid"


def test_logout_blacklists_the_refresh_token(buyer):
    client = APIClient()
    tokens = obtain(client, "buyer@example.com").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post(reverse("api:creators-api:logout"), {"refresh": tokens["refresh"]}).status_code == 204
    client.credentials()
    assert (
        client.post(reverse("api:creators-api:token-refresh"), {"refresh": tokens["refresh"]}).status_code
        == 401
    )


def test_logout_cannot_blacklist_someone_elses_token(buyer, creator, api_as):
    victim = obtain(APIClient(), "buyer@example.com").json()
    response = api_as(creator.user).post(reverse("api:creators-api:logout"), {"refresh": victim["refresh"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
    assert (
        APIClient()
        .post(reverse("api:creators-api:token-refresh"), {"refresh": victim["refresh"]})
        .status_code
        == 200
    )


def test_token_obtain_is_throttled(buyer, settings):
    from rest_framework.throttling import ScopedRateThrottle

    # The class keeps its rates from import time; put back these, not the lowered ones.
    original_rates = ScopedRateThrottle.THROTTLE_RATES
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "2/min"},
    }
    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client = APIClient()
        obtain(client, "buyer@example.com", "x")
        obtain(client, "buyer@example.com", "x")
        response = obtain(client, "buyer@example.com")
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "throttled"
        assert "Retry-After" in response
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original_rates


def test_me_requires_authentication(anonymous):
    response = anonymous.get(reverse("api:creators-api:me"))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": response.json()["error"]["message"], "fields": {}}
    }


def test_me_patch_updates_allowed_fields_only(buyer, api_as):
    client = api_as(buyer)
    response = client.patch(
        reverse("api:creators-api:me"),
        {"preferred_language": "ko", "country": "jp", "is_staff": True, "email": "x@example.com"},
    )
    assert response.status_code == 200
    buyer.refresh_from_db()
    assert (buyer.preferred_language, buyer.country, buyer.is_staff, buyer.email) == (
        "ko",
        "JP",
        False,
        "buyer@example.com",
    )


def test_me_patch_rejects_bad_language_with_field_error(buyer, api_as):
    response = api_as(buyer).patch(reverse("api:creators-api:me"), {"preferred_language": "xx"})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and "preferred_language" in body["fields"]


def test_me_shows_the_creators_own_standing(creator, api_as):
    data = api_as(creator.user).get(reverse("api:creators-api:me")).json()
    assert data["creator"]["handle"] == "minji"
    assert data["creator"]["policy_standing"] == "good"


def test_signup_api_returns_tokens(db):
    response = APIClient().post(
        reverse("api:creators-api:signup"), {"email": "m@example.com", "password": PASSWORD}
    )
    assert response.status_code == 201
    assert {"access", "refresh"} <= set(response.json())


def test_signup_api_duplicate_email(buyer):
    response = APIClient().post(
        reverse("api:creators-api:signup"), {"email": "BUYER@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "email_taken"


def test_malformed_json_gets_the_error_shape(buyer, api_as):
    response = api_as(buyer).generic(
        "PATCH", reverse("api:creators-api:me"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_unknown_api_url_answers_json_404(client, db):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
