import re

from django.core import mail
from django.urls import reverse

from creators.models import User
from tests.conftest import PASSWORD, make_user


def test_signup_creates_an_account_and_logs_in(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "New@Example.com",
            "display_name": "New",
            "password": PASSWORD,
            "preferred_language": "ja",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("creators:dashboard")
    user = User.objects.get(email="new@example.com")
    assert user.preferred_language == "ja"
    assert client.get(reverse("creators:dashboard")).status_code == 200
    assert response.cookies["django_language"].value == "ja"


def test_signup_with_taken_email_shows_form_error(client, buyer):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "BUYER@example.com",
            "password": PASSWORD,
            "preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="buyer@example.com").count() == 1


def test_signup_with_weak_password_is_refused(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "weak@example.com",
            "password": "12345",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.com").exists()
    assert "too short" in response.content.decode()


def test_login_by_email_in_any_case_then_logout(client, buyer):
    response = client.post(reverse("accounts:login"), {"username": "Buyer@Example.COM", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("creators:dashboard")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("creators:dashboard")).status_code == 302


def test_wrong_password_is_a_form_error(client, buyer):
    response = client.post(reverse("accounts:login"), {"username": "buyer@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "correct" in response.content.decode()


def test_login_is_rate_limited(client, buyer, settings):
    settings.RATELIMIT_LOGIN = "3/m"
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "buyer@example.com", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "buyer@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60  # the seconds left in the one-minute window


def test_signup_is_rate_limited(client, db, settings):
    settings.RATELIMIT_SIGNUP = "2/h"
    for i in range(2):
        client.post(
            reverse("accounts:signup"),
            {"email": f"u{i}@example.com", "password": PASSWORD, "preferred_language": "en"},
        )
        client.post(reverse("accounts:logout"))
    response = client.post(
        reverse("accounts:signup"),
        {"email": "u9@example.com", "password": PASSWORD, "preferred_language": "en"},
    )
    assert response.status_code == 429
    assert not User.objects.filter(email="u9@example.com").exists()


def test_password_reset_sends_a_working_link(client, buyer):
    client.post(reverse("accounts:password-reset"), {"email": "buyer@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-long-pass-77", "new_password2": "another-long-pass-77"},
    )
    buyer.refresh_from_db()
    assert buyer.check_password("another-long-pass-77")


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password-reset"), {"email": "ghost@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_account_settings_update_language_and_country(client, buyer):
    client.force_login(buyer)
    response = client.post(
        reverse("accounts:settings"), {"display_name": "B", "preferred_language": "ko", "country": "kr"}
    )
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert (buyer.preferred_language, buyer.country) == ("ko", "KR")


def test_account_settings_reject_unknown_country(client, buyer):
    client.force_login(buyer)
    response = client.post(
        reverse("accounts:settings"), {"display_name": "B", "preferred_language": "en", "country": "XX"}
    )
    assert response.status_code == 200
    assert "Unknown country code" in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.country == ""


def test_pages_follow_the_users_language_over_the_browser(client, db):
    user = make_user("fr@example.com", preferred_language="fr")
    client.force_login(user)
    response = client.get(reverse("creators:dashboard"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.headers["Content-Language"] == "fr"


def test_anonymous_pages_follow_the_browser(client, db):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.headers["Content-Language"] == "ko"


def test_language_switcher_saves_the_preference(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("accounts:language"), {"language": "ja", "next": "/dashboard/"})
    assert response.status_code == 302 and response.url == "/dashboard/"
    buyer.refresh_from_db()
    assert buyer.preferred_language == "ja"


def test_language_switcher_refuses_offsite_redirects(client, db):
    response = client.post(reverse("accounts:language"), {"language": "fr", "next": "https://evil.example/"})
    assert response.url == "/"


def test_forms_require_csrf(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"username": "a@example.com", "password": "x"})
    assert response.status_code == 403
