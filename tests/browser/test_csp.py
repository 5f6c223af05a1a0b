"""The Content-Security-Policy in a real browser: the main pages, the admin and the API docs load
with no CSP violation in the console, and the forms that hand over to Stripe's hosted pages still
get there (browsers check form-action along the redirect).

The pages are the accessibility test's (the demo data plus a campaign, offers, a deal and a bonus
receipt), as the persona who uses each one.
"""

import pytest

from creators.models import User
from shops.models import Product
from tests.browser.conftest import session_cookie
from tests.browser.test_accessibility import _exists, demo_world
from tests.conftest import make_creator
from tests.shops.factories import make_product, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Console:
    """Collects the console messages and page errors of every page it watches."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda message: self.messages.append(f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: self.messages.append(f"{page.url}: page error: {error}"))

    def violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Content-Security-Policy" in m]


def _page_as(browser, live_server, console: Console, user=None):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    if user is not None:
        context.add_cookies([session_cookie(live_server, user)])
    page = context.new_page()
    console.watch(page)
    return page


def test_the_main_pages_and_the_admin_load_without_a_csp_violation(browser, live_server):
    world = demo_world()
    console = Console()
    pages = {}
    staff = world["users"]["staff"]
    product = Product.objects.order_by("pk").first()
    admin_pages = [
        ("staff", f"/admin/creators/user/{staff.pk}/change/", "admin user change form"),
        ("staff", f"/admin/shops/product/{product.pk}/change/", "admin product change form"),
        ("staff", "/admin/creators/user/", "admin user list"),
        ("staff", "/admin/creators/user/add/", "admin add user"),
    ]
    visited = []
    for persona, path, what in [*world["pages"], *admin_pages, (None, "/api/v1/docs/", "API docs")]:
        if not _exists(path):  # a page another issue is still building
            continue
        if persona not in pages:
            user = world["users"][persona] if persona else None
            pages[persona] = _page_as(browser, live_server, console, user)
        page = pages[persona]
        response = page.goto(path)
        assert response is not None and response.status == 200, (
            f"{what} {path}: {response and response.status}"
        )
        page.wait_for_load_state("load")
        visited.append(path)
    # Swagger UI builds itself from its own script files: it must actually have rendered.
    pages[None].goto("/api/v1/docs/")
    pages[None].locator(".swagger-ui .info").wait_for()
    # The admin's own JavaScript ran (the collapsible navigation sidebar's toggle is wired up).
    admin = pages["staff"]
    admin.goto(f"/admin/creators/user/{staff.pk}/change/")
    before = admin.locator("#main").get_attribute("class")
    admin.locator("#toggle-nav-sidebar").click()
    assert admin.locator("#main").get_attribute("class") != before  # nav_sidebar.js ran

    assert len(visited) > 20
    assert not console.violations(), "\n".join(console.violations())


def test_the_affiliate_dashboards_script_runs_under_the_policy(browser, live_server):
    world = demo_world()
    console = Console()
    page = _page_as(browser, live_server, console, world["users"]["creator"])
    page.goto("/dashboard/affiliates/")
    button = page.locator(".copy-link").first
    if button.count():
        button.click()
        assert button.get_attribute("data-copied")  # set by static/js/affiliates_dashboard.js
    assert not console.violations(), "\n".join(console.violations())


def test_checkout_and_payout_setup_reach_stripes_hosted_pages(browser, live_server, stripe_api):
    console = Console()
    creator = make_creator("csp.shop", country="US")
    shop = make_shop(creator, name="CSP shop", slug="csp-shop")
    guide = make_product(shop, title="Guide", price="12.00", type="digital")

    # A guest buys: the checkout form's POST answers with a redirect to the hosted page.
    page = _page_as(browser, live_server, console)
    page.goto(f"/shops/{shop.slug}/p/{guide.pk}/")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    page.get_by_role("link", name="Checkout with CSP shop").click()
    page.get_by_label("Email for your receipt").fill("ada@example.com")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(stripe_api.base_url + "/**")

    # A creator sets up payouts: a link this time, redirected to Connect onboarding.
    payouts = _page_as(browser, live_server, console, User.objects.get(pk=creator.user.pk))
    payouts.goto("/dashboard/earnings/")
    payouts.get_by_role("link", name="Set up payouts").click()
    payouts.wait_for_url(stripe_api.base_url + "/**")

    assert not console.violations(), "\n".join(console.violations())
