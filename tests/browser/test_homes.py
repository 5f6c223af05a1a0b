"""The creator home and the brand home in Chromium: the chart and its table, the period switch,
the checklist links, no serious accessibility violation, and no horizontal scroll on a phone."""

import pytest
from django.utils import timezone

from common.money import Money
from payments.bonus_posting import BonusAward, bonus_awards_post_many
from payments.models import party_for_user
from payments.settlement import settlement_post
from tests.browser.conftest import axe_violations, horizontal_overflow, screenshot, session_cookie
from tests.conftest import make_creator, make_user
from tests.marketplace.factories import make_brand, make_deal
from tests.payments.factories import paid_payment, split

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def minji(db):
    creator = make_creator("minji", country="KR")
    settlement_post(payment=paid_payment(split(creator.user, 10_000), paid_at=timezone.now()))
    bonus_awards_post_many(
        awards=[BonusAward("bonus:browser:1", party_for_user(creator.user), Money(5_000, "USD"), "KR")],
        at=timezone.now(),
    )
    return creator


def test_the_creator_home_draws_earnings_with_a_table_alternative(axe_page, live_server, minji):
    page = axe_page
    page.context.add_cookies([session_cookie(live_server, minji.user)])
    page.goto("/dashboard/")

    assert page.get_by_role("heading", name="Earnings by source").is_visible()
    assert page.get_by_role("img", name="Earnings in USD by source").is_visible()
    assert page.locator("rect.shop_sale").count() == 1 and page.locator("rect.bonus").count() == 1
    page.get_by_text("Show the figures as a table").click()
    table = page.get_by_role("table", name="Earnings in USD by source")
    assert table.is_visible() and "$95.00" in table.inner_text() and "$50.00" in table.inner_text()

    page.get_by_role("link", name="Last 365 days").click()
    assert page.url.endswith("?days=365#earnings-title")
    assert page.get_by_role("link", name="Last 365 days").get_attribute("aria-current") == "page"

    assert axe_violations(page) == []
    screenshot(page, "creator-home")
    page.get_by_role("link", name="Set up payouts").first.click()
    assert page.url.endswith("/dashboard/earnings/")


def test_the_creator_home_fits_a_phone(axe_page, live_server, minji):
    page = axe_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.context.add_cookies([session_cookie(live_server, minji.user)])
    page.goto("/dashboard/")
    overflow, culprits = horizontal_overflow(page)
    assert overflow <= 0, culprits
    screenshot(page, "creator-home-phone")


def test_the_brand_home_lists_what_needs_action(axe_page, live_server):
    page = axe_page
    owner = make_user("owner@glow.example")
    glow = make_brand(owner, name="Glow Co")
    make_deal(glow, owner, make_creator("sora", country="JP"), amount_minor=80_000)
    page.context.add_cookies([session_cookie(live_server, owner)])
    page.goto("/")
    page.get_by_role("link", name="Brand home").click()

    assert page.get_by_role("heading", name="Needs your action").is_visible()
    assert page.get_by_role("link", name="Fund the deal with @sora").is_visible()
    assert page.get_by_role("link", name="Create your first campaign").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "brand-home")
