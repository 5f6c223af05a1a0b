import pytest

from creators.models import CreatorProfile
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_signs_up_becomes_a_creator_and_sees_their_public_page(page):
    page.goto("/")
    page.get_by_role("link", name="Create your account").click()
    page.get_by_label("Email").fill("hana@example.com")
    page.get_by_label("Your name").fill("Hana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("link", name="Become a creator").click()

    page.get_by_label("Handle").fill("hana.draws")
    page.get_by_label("Display name").fill("Hana")
    page.get_by_label("Country (ISO code, e.g. KR)").fill("JP")
    page.get_by_label("Art & design").check()
    page.get_by_label("I am 18 or older").check()
    page.get_by_role("button", name="Create my creator profile").click()

    assert page.get_by_text("You are a creator now").is_visible()
    page.get_by_role("button", name="Switch to a professional account").click()
    assert page.get_by_text("Your account is now a professional account.").is_visible()
    assert CreatorProfile.objects.get(handle="hana.draws").is_professional

    page.get_by_role("link", name="View public page").click()
    assert page.url.endswith("/@hana.draws")
    assert page.get_by_role("heading", name="Hana @hana.draws").is_visible()
    screenshot(page, "creator-public-page")


def test_the_form_shows_errors_in_place(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("short@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Sign up").click()
    assert page.get_by_role("alert").first.is_visible()
    assert "too short" in page.content()


def test_the_language_switcher_translates_the_page_shell(page):
    page.goto("/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    assert page.locator("html").get_attribute("lang") == "fr"


def test_pages_fit_a_phone_screen(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    page = context.new_page()
    for path in ["/", "/accounts/login/", "/accounts/signup/"]:
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    screenshot(page, "home-phone")
    context.close()
