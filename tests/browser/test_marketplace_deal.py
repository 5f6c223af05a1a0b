"""A brand finds a creator, sends an offer, the creator accepts, the brand funds, the creator submits,
the brand approves: in a real Chromium, with Stripe's hosted Checkout page and real webhooks."""

import pytest
import stripe

from marketplace.enums import DealStatus
from marketplace.models import Deal
from payments.enums import AccountKind
from payments.models import LedgerAccount, party_for_user
from tests.browser.conftest import screenshot, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_brand_and_a_creator_make_a_deal_in_the_browser(
    page, browser, live_server, stripe_api, control, settings
):
    from tests.conftest import make_creator, make_user
    from tests.marketplace.factories import due, make_brand, make_listing

    owner = make_user("owner@glow.example", display_name="Olivia")
    brand = make_brand(owner, name="Glow Co")
    creator = make_creator("mina.glow", country="US", niches=["beauty"], languages=["en"])
    make_listing(creator, currency="USD", reel=40_000, carousel=None)
    endpoint = stripe.WebhookEndpoint.create(url=live_server.url + "/webhooks/stripe/", enabled_events=["*"])
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret

    # The brand finds the creator and sends an offer.
    page.context.add_cookies([session_cookie(live_server, owner)])
    page.goto(f"/marketplace/brands/{brand.pk}/discover/")
    page.get_by_label("Search").fill("mina")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="@mina.glow").click()
    page.get_by_label("Price (minor units)").fill("40000")
    page.get_by_label("Due date").fill(due())
    page.get_by_role("button", name="Send offer").click()
    assert page.get_by_text("Offer sent.").is_visible()

    # The creator accepts it.
    creator_context = browser.new_context(base_url=live_server.url, locale="en-US")
    creator_page = creator_context.new_page()
    creator_page.set_default_timeout(15_000)
    creator_context.add_cookies([session_cookie(live_server, creator.user)])
    creator_page.goto("/marketplace/creator/")
    creator_page.get_by_role("link", name="Glow Co").first.click()
    creator_page.get_by_role("button", name="Accept offer").click()
    assert creator_page.locator(".message").get_by_text("Offer accepted").is_visible()
    deal = Deal.objects.get()

    # The brand pays into escrow on Stripe's Checkout page.
    page.goto(f"/marketplace/deals/{deal.pk}/")
    page.get_by_role("button", name="Pay into escrow").click()
    assert page.url.startswith(stripe_api.base_url)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"**/marketplace/deals/{deal.pk}/?funded=1")
    control.wait_for_webhooks()
    assert Deal.objects.get().status == DealStatus.ACTIVE

    # The creator submits the reel; the brand approves it.
    creator_page.goto(f"/marketplace/deals/{deal.pk}/")
    creator_page.get_by_label("Link to the published post").fill("https://social.example/p/reel-1")
    creator_page.get_by_role("button", name="Submit").click()
    assert creator_page.locator(".message").get_by_text("Deliverable submitted.").is_visible()
    page.goto(f"/marketplace/deals/{deal.pk}/")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_text("Deliverable approved: its share is released.").is_visible()
    assert page.locator(".deal-status").inner_text() == "Completed"
    screenshot(page, "marketplace-deal-completed")

    pending = LedgerAccount.objects.get(party=party_for_user(creator.user), kind=AccountKind.PENDING)
    assert pending.balance_minor == 36_000  # $400.00 minus the 10% sponsorship commission
    creator_context.close()
