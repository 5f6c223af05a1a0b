import pytest
import stripe

from payments.models import ConnectedAccount, party_for_user
from tests.browser.conftest import screenshot, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_creator_sets_up_payouts_on_stripes_page_and_comes_back_ready(
    page, live_server, stripe_api, control, settings
):
    from tests.conftest import make_creator

    creator = make_creator("hana.pays", country="JP")
    # Stripe's Connect events reach the site's real webhook endpoint, signed, as in production.
    # Registered through Stripe's API, so the emulator's reset before the next test removes it:
    # the live server outlives this test and must not receive later tests' events.
    endpoint = stripe.WebhookEndpoint.create(
        url=live_server.url + "/webhooks/stripe/", enabled_events=["*"], connect=True
    )
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret
    page.context.add_cookies([session_cookie(live_server, creator.user)])

    page.goto("/dashboard/earnings/")
    page.get_by_role("link", name="Set up payouts").click()
    assert page.url.startswith(stripe_api.base_url)
    page.get_by_role("button", name="Agree and submit").click()
    page.wait_for_url("**/dashboard/earnings/?setup=done")
    control.wait_for_webhooks()

    connected = ConnectedAccount.objects.get(party=party_for_user(creator.user))
    assert connected.is_ready
    page.reload()
    assert page.locator(".payout-setup").get_by_text("Your payout account is ready").is_visible()
    screenshot(page, "earnings-payouts-ready")


# The shared helper lives in conftest.py now; this name stays for the tests that still import it here.
_session_cookie = session_cookie
