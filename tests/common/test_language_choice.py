"""Which language a request gets: the signed-in user's preference, then the cookie, then the browser.

The API follows the same rule for errors: Accept-Language for anonymous calls, the account's
preference for a JWT (which Django's middleware cannot see; creators.authentication reads it).
Messages come from DRF's and Django's own catalogues, so these tests do not depend on ours
being translated yet.
"""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework import exceptions, fields

from tests.conftest import make_user

ME = "api:creators-api:me"


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """Django leaves a request's language active on the thread: do not leak it to later tests."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _in(language: str, message) -> str:
    with translation.override(language):
        return str(message)


def test_an_anonymous_api_call_gets_errors_in_the_language_of_accept_language(anonymous, db):
    response = anonymous.get(reverse(ME), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 401
    assert response.headers["Content-Language"] == "ja"
    message = response.json()["error"]["message"]
    assert message == _in("ja", exceptions.NotAuthenticated.default_detail)
    assert message != _in("en", exceptions.NotAuthenticated.default_detail)


def test_a_signed_in_users_language_wins_over_accept_language_in_the_api(api_as, db):
    korean = make_user("ko@example.com", preferred_language="ko")
    response = api_as(korean).patch(reverse(ME), {"preferred_language": "xx"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "ko"
    expected = _in("ko", fields.ChoiceField.default_error_messages["invalid_choice"]).format(input="xx")
    assert expected != _in("en", fields.ChoiceField.default_error_messages["invalid_choice"]).format(
        input="xx"
    )
    assert response.json()["error"]["fields"]["preferred_language"] == [expected]


def test_an_api_user_without_a_saved_language_follows_the_browser(api_as, db):
    user = make_user("none@example.com")
    user.preferred_language = ""
    user.save(update_fields=["preferred_language"])
    response = api_as(user).get(reverse(ME), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fr"


def test_the_language_cookie_wins_over_the_browser_for_visitors(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.headers["Content-Language"] == "fr"


def test_a_saved_language_wins_over_the_cookie(client, db):
    user = make_user("ja@example.com", preferred_language="ja")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("creators:dashboard"), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.headers["Content-Language"] == "ja"


def test_the_switcher_sets_the_cookie_and_saves_the_signed_in_users_choice(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("accounts:language"), {"language": "ko", "next": "/cart/"})
    assert response.status_code == 302 and response.url == "/cart/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    buyer.refresh_from_db()
    assert buyer.preferred_language == "ko"
    # and the next page is in that language, whatever the browser says
    assert client.get(reverse("shop-cart"), HTTP_ACCEPT_LANGUAGE="fr").headers["Content-Language"] == "ko"


def test_the_switcher_for_a_visitor_only_sets_the_cookie(client, db):
    response = client.post(reverse("accounts:language"), {"language": "fr"})
    assert response.status_code == 302 and response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja").headers["Content-Language"] == "fr"


def test_the_switcher_refuses_an_unknown_language(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("accounts:language"), {"language": "xx", "next": "/cart/"})
    assert response.status_code == 404
    buyer.refresh_from_db()
    assert buyer.preferred_language == "en"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_only_takes_a_post(client, db):
    assert client.get(reverse("accounts:language"), {"language": "fr"}).status_code == 405


def test_djangos_set_language_is_mounted(client, db):
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"


def test_every_page_has_the_switcher(client, db):
    page = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("accounts:language")}"' in page
    for code, _name in settings.LANGUAGES:
        assert f'value="{code}"' in page


def _french_catalogue(root, messages: dict[str, str]) -> str:
    """A compiled French catalogue with only these messages, under root (no gettext needed)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="fr")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    folder = root / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "django.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return str(root)


def test_our_own_api_errors_come_from_our_catalogue_in_the_users_language(api_as, settings, tmp_path, db):
    # given our catalogue translates a service's error, and a user who reads French
    settings.LOCALE_PATHS = [
        _french_catalogue(tmp_path, {"You do not have a shop yet.": "Vous n’avez pas encore de boutique."})
    ]
    reader = make_user("fr-reader@example.com", preferred_language="fr")
    # when they call the API with a JWT from an English browser
    response = api_as(reader).get(reverse("api:shops-api:my-shop"), HTTP_ACCEPT_LANGUAGE="en")
    # then the error is in French, and in English for an English reader
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "no_shop",
        "message": "Vous n’avez pas encore de boutique.",
        "fields": {},
    }
    english = api_as(make_user("en-reader@example.com", preferred_language="en"))
    assert (
        english.get(reverse("api:shops-api:my-shop")).json()["error"]["message"]
        == "You do not have a shop yet."
    )
