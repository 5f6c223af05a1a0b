"""Every main page, as the persona who uses it, at a desktop and a phone width: zero serious or
critical axe-core violations, and no horizontal scroll on the phone.

The data is the demo's (``seed_demo``, made smaller) plus what the demo leaves out: a campaign,
an open offer, a deal and a bonus award with its receipt. axe-core comes from npm
(package-lock.json, ``make node_modules``), injected from disk by ``axe_violations``.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone

from bonuses.models import Award, Programme
from bonuses.runs import run_approve, run_compute, run_compute_all, run_create
from bonuses.selectors import current_period
from common.money import Money
from creators.ingestion import posts_ingest
from creators.models import CreatorProfile, User
from marketplace.models import Brand, Listing
from marketplace.services.negotiations import campaign_create, offer_accept, offer_send
from shops.models import Order, Product
from tests.browser.conftest import axe_violations, horizontal_overflow, screenshot
from tests.browser.test_payout_setup import _session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _due(days: int = 14) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def demo_world() -> dict:
    """The demo data plus a campaign, an open offer, a deal and an approved bonus award."""
    call_command("seed_demo", creators=3, posts=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {
        "creator": User.objects.get(email="minji@demo.example"),
        "brand": User.objects.get(email="brand@demo.example"),
        "buyer": User.objects.get(email="buyer@demo.example"),
        "staff": User.objects.get(email="staff@demo.example"),
    }
    minji = CreatorProfile.objects.get(handle="minji.makes")
    alex = CreatorProfile.objects.get(handle="alex.fits")
    brand = Brand.objects.get(name="Glow Labs")
    reel = [{"format": "reel", "count": 1, "due_date": _due()}]
    campaign = campaign_create(
        brand=brand,
        user=users["brand"],
        title="Summer glow launch",
        description="Two reels about our new sunscreen.",
        deliverables=reel,
        currency="USD",
        budget_min_minor=20_000,
        budget_max_minor=80_000,
    )
    negotiation = offer_send(
        brand=brand, user=users["brand"], creator=alex, amount=Money(48_000, "USD"), deliverables=reel
    )
    deal_offer = offer_send(
        brand=brand, user=users["brand"], creator=minji, amount=Money(640_000, "KRW"), deliverables=reel
    )
    deal = offer_accept(negotiation=deal_offer, user=minji.user)

    programme = Programme.objects.get(slug="spring-bonus-pilot")
    published = timezone.now()
    posts_ingest(
        rows=[
            {
                "external_id": "a11y-reel-1",
                "creator": minji.handle,
                "format": "reel",
                "published_at": published.isoformat(),
                "observed_at": (published + timedelta(seconds=1)).isoformat(),
                "views": 20_000,
                "likes": 300,
                "comments": 12,
                "shares": 4,
            }
        ]
    )
    run = run_create(period=current_period(programme=programme, now=published))
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    run_approve(run=run, actor=users["staff"])

    shop = minji.shops.get()
    product = Product.objects.filter(shop=shop).order_by("pk").first()
    order = Order.objects.filter(shop=shop).order_by("-pk").first()
    offer = shop.affiliate_offers.get()
    return {
        "users": users,
        "pages": [
            # (persona, path, what it is); persona None is an anonymous visitor.
            (None, "/", "home"),
            (None, "/accounts/signup/", "signup"),
            (None, "/accounts/login/", "login"),
            (None, f"/@{minji.handle}", "creator public page"),
            (None, f"/@{minji.handle}/shop", "storefront"),
            (None, f"/shops/{shop.slug}/p/{product.pk}/", "product detail"),
            (None, "/cart/", "cart (empty)"),
            ("buyer", "/orders/", "buyer's orders"),
            ("buyer", f"/orders/{order.number}/", "order page"),
            ("creator", "/dashboard/", "creator dashboard"),
            ("creator", "/dashboard/profile/", "creator profile form"),
            ("creator", "/dashboard/shop/", "shop dashboard"),
            ("creator", "/dashboard/shop/edit/", "shop settings"),
            ("creator", "/dashboard/shop/products/new/", "new product"),
            ("creator", f"/dashboard/shop/products/{product.pk}/", "product edit"),
            ("creator", "/dashboard/shop/orders/", "seller orders"),
            ("creator", f"/dashboard/shop/orders/{order.number}/", "seller order"),
            ("creator", "/dashboard/shop/discounts/", "discount codes"),
            ("creator", "/dashboard/shop/sales/", "sales"),
            ("creator", "/dashboard/earnings/", "earnings"),
            ("creator", "/dashboard/affiliates/", "affiliates dashboard"),
            ("creator", "/dashboard/affiliates/offers/", "affiliate offers"),
            ("creator", "/dashboard/affiliates/seller/", "affiliate seller"),
            ("creator", f"/dashboard/affiliates/seller/offers/{offer.pk}/", "affiliate offer edit"),
            ("creator", "/dashboard/bonus/", "bonus home"),
            ("creator", f"/dashboard/bonus/programmes/{programme.pk}/", "bonus programme"),
            ("creator", f"/dashboard/bonus/awards/{Award.objects.get(run=run).pk}/", "award receipt"),
            ("creator", "/marketplace/creator/", "marketplace creator dashboard"),
            ("creator", "/marketplace/listing/", "marketplace listing form"),
            ("creator", f"/marketplace/deals/{deal.pk}/", "deal (creator)"),
            ("creator", "/accounts/settings/", "settings"),
            ("creator", "/notifications/", "notifications"),
            ("brand", "/marketplace/", "marketplace home"),
            ("brand", f"/marketplace/brands/{brand.pk}/", "brand dashboard"),
            ("brand", f"/marketplace/brands/{brand.pk}/discover/", "discover"),
            (
                "brand",
                f"/marketplace/brands/{brand.pk}/creators/{Listing.objects.get(creator=alex).pk}/",
                "creator profile",
            ),
            ("brand", f"/marketplace/brands/{brand.pk}/campaigns/new/", "campaign form"),
            ("brand", f"/marketplace/campaigns/{campaign.pk}/", "campaign"),
            ("brand", f"/marketplace/negotiations/{negotiation.pk}/", "negotiation"),
            ("brand", f"/marketplace/deals/{deal.pk}/", "deal (brand)"),
            ("staff", "/admin/", "admin index"),
        ],
        "guide": Product.objects.get(shop=shop, type="digital"),
        "shop": shop,
    }


def _exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _check(page, label: str, name: str, problems: list[str]) -> None:
    assert page.locator("h1").count() >= 1 or "/admin/" in page.url, f"{label}: no page heading"
    for violation in axe_violations(page):
        problems.append(
            f"{label}: [{violation['impact']}] {violation['id']}: {violation['help']} at "
            f"{', '.join(violation['targets'])}"
        )
    if name == "phone":
        overflow, culprits = horizontal_overflow(page)
        if overflow > 0:
            problems.append(
                f"{label}: {overflow}px of horizontal scroll at phone width: {', '.join(culprits)}"
            )


@pytest.mark.parametrize("name", VIEWPORTS)
def test_every_main_page_passes_axe_and_fits_the_width(browser, live_server, name):
    world = demo_world()
    problems: list[str] = []
    contexts = {}
    for persona, path, what in world["pages"]:
        if not _exists(path):  # a page another issue is still building
            continue
        if persona not in contexts:
            context = browser.new_context(
                base_url=live_server.url, locale="en-US", bypass_csp=True, viewport=VIEWPORTS[name]
            )
            context.set_default_timeout(15_000)
            if persona is not None:
                context.add_cookies([_session_cookie(live_server, world["users"][persona])])
            contexts[persona] = context.new_page()
        page = contexts[persona]
        response = page.goto(path)
        assert response is not None and response.status == 200, (
            f"{what} {path}: {response and response.status}"
        )
        _check(page, f"{what} {path}", name, problems)
        if what in ("creator dashboard", "brand dashboard"):
            screenshot(page, f"a11y-{what.replace(' ', '-')}-{name}")

    # A guest with something in the cart, at checkout.
    page = contexts[None]
    page.goto(f"/shops/{world['shop'].slug}/p/{world['guide'].pk}/")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    _check(page, "cart /cart/", name, problems)
    page.get_by_role("link", name=f"Checkout with {world['shop'].name}").click()
    _check(page, f"checkout {page.url}", name, problems)
    screenshot(page, f"a11y-checkout-{name}")

    for page in contexts.values():
        page.context.close()
    assert not problems, "\n".join(problems)


def test_the_checks_can_fail(axe_page):
    """An unlabelled input and an empty link are reported, and so is a page too wide for a phone."""
    axe_page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Form</h1>'
        '<input type="text"><a href="/x"></a></main></body></html>'
    )
    ids = {v["id"] for v in axe_violations(axe_page)}
    assert {"label", "link-name"} <= ids

    # and a page wider than a phone is caught, with the element that sticks out
    axe_page.set_viewport_size(VIEWPORTS["phone"])
    axe_page.set_content('<main><div class="wide  banner" style="width: 900px">wide</div></main>')
    overflow, culprits = horizontal_overflow(axe_page)
    assert overflow > 400 and culprits == ["div.wide.banner (900px)"]


def test_the_keyboard_reaches_the_content_first_and_sees_where_it_is(axe_page):
    # given a visitor on the home page, keyboard only
    axe_page.goto("/")
    # when they press Tab, the first stop is the skip link, shown on screen with a focus ring
    axe_page.keyboard.press("Tab")
    focused = axe_page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            return {cls: el.className, left: el.getBoundingClientRect().left,
                    outline: style.outlineStyle, width: style.outlineWidth};
        }"""
    )
    assert focused["cls"] == "skip-link" and focused["left"] >= 0
    assert focused["outline"] != "none" and focused["width"] != "0px"
    # then Enter jumps to the content: the next Tab lands inside <main>, past the navigation
    axe_page.keyboard.press("Enter")
    assert axe_page.url.endswith("#main")
    axe_page.keyboard.press("Tab")
    assert axe_page.evaluate("() => document.activeElement.closest('main') !== null")


def test_empty_lists_say_what_to_do_next(axe_page, live_server):
    from tests.conftest import make_creator
    from tests.shops.factories import make_shop

    creator = make_creator("new.seller", country="US")
    make_shop(creator)
    axe_page.context.add_cookies([_session_cookie(live_server, creator.user)])

    axe_page.goto("/dashboard/shop/")
    axe_page.get_by_role("link", name="Add your first product").click()
    axe_page.wait_for_url("**/dashboard/shop/products/new/")

    axe_page.goto("/dashboard/shop/orders/")
    assert axe_page.locator(".empty").get_by_role("link").count() == 1
    axe_page.goto("/dashboard/affiliates/")
    axe_page.locator(".empty").get_by_role("link", name="Find an offer to promote").click()
    axe_page.wait_for_url("**/dashboard/affiliates/offers/")
