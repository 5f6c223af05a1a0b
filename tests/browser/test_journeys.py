"""End-to-end journeys in a real headless Chromium, each in English and in one other language.

Each journey is one flow through the web pages and Stripe's hosted pages (the emulator's), with
the signed webhooks reaching the live server as in production, and ends by checking where the
money went in the ledger and by saving a screenshot of the final page:
test-artifacts/journey-<name>-<lang>.png.

Nothing here hard-codes foreign text. The browser asks for the language (Accept-Language), the
user saves it as their preference where there is a user, and every label, button and message
the test looks for is computed from the catalogues with gettext under translation.override, so
the journeys run the same before and after the translators' work, in every language.

What is done outside the browser, and why: data a journey starts from (the other party's shop,
an invitation, a bonus programme) is built through the services; the periodic jobs (hold
releases, payout runs, affiliate click flushes) are called as beat would call them; posts reach
the platform through the ingestion pipeline; and the platform's Stripe balance is topped up with
one charge before it pays a bonus out.
"""

from datetime import timedelta

import pytest
import stripe
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from common.money import Money, format_money
from creators.models import User
from payments.enums import AccountKind, PayoutStatus
from payments.models import PLATFORM, LedgerAccount, Payout, party_for_user
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, make_creator, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The other language of each journey rotates, so that every language runs a journey.
OTHER_LANGUAGE = {"shop": "fr", "affiliate": "ja", "deal": "ko", "bonus": "fr", "staff": "ja"}


def languages(journey: str):
    return pytest.mark.parametrize("lang", ["en", OTHER_LANGUAGE[journey]])


# ---------------------------------------------------------------- helpers


def tr(lang: str, msgid: str, **params: object) -> str:
    """What the page shows for ``msgid`` in ``lang``, from the same catalogues the site uses."""
    with translation.override(lang):
        text = gettext(msgid)
    return text % params if params else text


def money_text(lang: str, minor: int, currency: str) -> str:
    with translation.override(lang):
        return format_money(Money(minor, currency))


def expect_language(page, lang: str, msgid: str, **params: object) -> None:
    """The page is in ``lang``: <html lang> says so and a UI string shows in it."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_text(tr(lang, msgid, **params), exact=False).first).to_be_visible()


def log_in(page, user, lang: str) -> None:
    """Sign in through the login form (shown in the browser's language), then save ``lang``
    as the account's language with the switcher every page has."""
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.get_by_label(tr(lang, "Email"), exact=True).fill(user.email)
    page.get_by_label(tr(lang, "Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=tr(lang, "Log in"), exact=True).click()
    page.wait_for_url("**/dashboard/**")
    choose_language(page, user, lang)


def choose_language(page, user, lang: str) -> None:
    page.locator("#language-select").select_option(lang)
    page.locator(".language-switcher button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    user.refresh_from_db()
    assert user.preferred_language == lang


def balance(party: str, kind: str, currency: str) -> int:
    account = LedgerAccount.objects.filter(party=party, kind=kind, currency=currency).first()
    return 0 if account is None else account.balance_minor


def final_screenshot(page, journey: str, lang: str) -> None:
    path = screenshot(page, f"journey-{journey}-{lang}")
    assert path.stat().st_size > 0


def hosted_checkout_pay(page, emulator) -> None:
    """Stripe's hosted Checkout page (the emulator's, in English): pay with the default test card."""
    page.wait_for_url(emulator.base_url + "/**")
    page.locator("#pay").click()


# ---------------------------------------------------------------- 1. a creator opens a shop and sells


@languages("shop")
def test_journey_a_creator_signs_up_sets_up_payouts_opens_a_shop_and_sells_to_a_guest(
    lang, new_page, stripe_api, control, stripe_webhooks
):
    from shops.enums import OrderStatus
    from shops.models import Order

    seller = new_page(lang)

    # Sign up, in the browser's language, and keep it as the account's language.
    seller.goto("/")
    seller.get_by_role("link", name=tr(lang, "Create your account")).click()
    seller.get_by_label(tr(lang, "Email"), exact=True).fill("ines@example.com")
    seller.get_by_label(tr(lang, "Your name"), exact=True).fill("Ines")
    seller.get_by_label(tr(lang, "Password"), exact=True).fill(PASSWORD)
    language = seller.locator("#id_preferred_language")
    expect(language).to_have_value(lang)  # the form offers the language the browser asked for
    language.select_option(lang)
    seller.get_by_role("button", name=tr(lang, "Sign up"), exact=True).click()
    seller.wait_for_url("**/dashboard/")
    user = User.objects.get(email="ines@example.com")
    assert user.preferred_language == lang

    # Become a creator, then a professional one.
    seller.get_by_role("link", name=tr(lang, "Become a creator"), exact=True).click()
    seller.get_by_label(tr(lang, "Handle"), exact=True).fill("ines.prints")
    seller.get_by_label(tr(lang, "Display name"), exact=True).fill("Ines")
    seller.get_by_label(tr(lang, "Country (ISO code, e.g. KR)"), exact=True).fill("US")
    seller.locator("input[name=niches][value=art]").check()
    seller.get_by_label(tr(lang, "I am 18 or older")).check()
    seller.get_by_role("button", name=tr(lang, "Create my creator profile")).click()
    expect_language(seller, lang, "You are a creator now. Welcome aboard!")
    seller.get_by_role("button", name=tr(lang, "Switch to a professional account")).click()
    expect_language(seller, lang, "Your account is now a professional account.")

    # Payout setup on Stripe's hosted onboarding; Stripe's account.updated (a Connect event) says ready.
    stripe_webhooks(connect=True)
    seller.get_by_role("link", name=tr(lang, "Earnings"), exact=True).first.click()
    seller.get_by_role("link", name=tr(lang, "Set up payouts")).click()
    assert seller.url.startswith(stripe_api.base_url)
    seller.get_by_role("button", name="Agree and submit").click()
    seller.wait_for_url("**/dashboard/earnings/?setup=done")
    control.wait_for_webhooks()
    seller.reload()
    expect(seller.locator(".payout-setup")).to_contain_text(
        tr(lang, "Your payout account is ready. Available money is paid out automatically.")
    )

    # From here on the events that matter are the platform's (Checkout).
    stripe_webhooks(connect=False)

    # Open a shop, add a digital product with its file, open the shop.
    seller.get_by_role("link", name=tr(lang, "My shop"), exact=True).first.click()
    seller.wait_for_url("**/dashboard/shop/create/")
    seller.get_by_label(tr(lang, "Shop name"), exact=True).fill("Ines prints")
    seller.get_by_label(tr(lang, "Currency"), exact=True).select_option("USD")
    seller.get_by_role("button", name=tr(lang, "Save"), exact=True).click()
    expect_language(seller, lang, "Your shop is ready. Add products, then open it.")
    seller.get_by_role("link", name=tr(lang, "Add a product")).click()
    seller.get_by_label(tr(lang, "Title"), exact=True).fill("Riso zine")
    seller.get_by_label(tr(lang, "Type"), exact=True).select_option("digital")
    seller.get_by_label(tr(lang, "Price"), exact=True).fill("12.00")
    seller.get_by_label(tr(lang, "Status"), exact=True).select_option("active")
    seller.get_by_role("button", name=tr(lang, "Add"), exact=True).click()
    expect_language(seller, lang, "Product added. Add variants and photos below.")
    seller.get_by_label(tr(lang, "File buyers download")).set_input_files(
        {"name": "zine.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 a tiny zine"}
    )
    seller.get_by_role("button", name=tr(lang, "Upload file")).click()
    seller.get_by_role("link", name=tr(lang, "My shop"), exact=True).first.click()
    seller.locator("#shop-status").select_option("open")
    seller.locator("form[action$='/status/'] button[type=submit]").click()
    expect_language(seller, lang, "Your shop is now %(status)s.", status=tr(lang, "Open"))

    # A guest, in a browser of their own, buys the zine and pays on Stripe's hosted page.
    guest = new_page(lang)
    guest.goto("/shops/ines-prints")
    guest.get_by_text("Riso zine").first.click()
    guest.get_by_role("button", name=tr(lang, "Add to cart")).click()
    guest.wait_for_url("**/cart/")
    guest.get_by_role("link", name=tr(lang, "Checkout with %(shop)s", shop="Ines prints")).click()
    guest.get_by_label(tr(lang, "Email for your receipt")).fill("guest@example.com")
    guest.get_by_role("button", name=tr(lang, "Continue to payment")).click()
    hosted_checkout_pay(guest, stripe_api)
    order = Order.objects.get()
    guest.wait_for_url(f"**/orders/{order.number}/**")
    control.wait_for_webhooks()
    expect(guest.get_by_text(tr(lang, "Thank you! Your payment is confirmed."))).to_be_visible(timeout=15_000)
    expect(guest.locator("html")).to_have_attribute("lang", lang)
    # The file the seller uploaded is the guest's to download.
    expect(guest.get_by_role("link", name=tr(lang, "Download"), exact=True)).to_be_visible()

    # The seller sees the order.
    seller.get_by_role("link", name=tr(lang, "My shop"), exact=True).first.click()
    seller.get_by_role("link", name=tr(lang, "Orders"), exact=True).click()
    seller.get_by_role("link", name=order.number).click()
    expect(seller.get_by_text("guest@example.com").first).to_be_visible()
    expect_language(seller, lang, "My shop")
    final_screenshot(seller, "shop", lang)

    # The money: $12.00 paid (a digital order is delivered as soon as it is paid); the seller's
    # share waits in pending for the refund window, the platform keeps its 5%.
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.paid_at is not None
    assert order.payment.settlement_id is not None
    party = party_for_user(user)
    assert balance(party, AccountKind.PENDING, "USD") == 1140
    assert balance(party, AccountKind.AVAILABLE, "USD") == 0
    assert balance(PLATFORM, AccountKind.COMMISSION_REVENUE, "USD") == 60


# ---------------------------------------------------------------- 2. an affiliate earns a commission


@languages("affiliate")
def test_journey_a_creator_joins_an_offer_and_earns_a_commission_on_a_visitors_purchase(
    lang, new_page, stripe_api, control, stripe_webhooks
):
    from affiliates.clicks import clicks_flush
    from affiliates.enums import CommissionStatus
    from affiliates.models import Commission
    from shops.enums import OrderStatus, ProductType
    from shops.models import Order
    from tests.affiliates.factories import make_offer
    from tests.shops.factories import make_product, make_shop

    seller = make_creator("lena.sells", country="US")
    shop = make_shop(seller, name="Lena's presets", slug="lena-presets")
    preset = make_product(shop, title="Film presets", price="40.00", type=ProductType.DIGITAL)
    make_offer(shop, product=preset, rate_bps=1500)
    affiliate = make_creator("jin.shares", country="US")
    stripe_webhooks(connect=False)

    # The creator signs in, finds the offer, joins it and copies the link.
    page = new_page(lang)
    log_in(page, affiliate.user, lang)
    page.goto("/dashboard/affiliates/offers/")
    page.get_by_role("row", name="Film presets").get_by_role("button", name=tr(lang, "Join")).click()
    page.wait_for_url("**/dashboard/affiliates/")
    copy = page.locator("button.copy-link")
    expect(copy).to_have_text(tr(lang, "Copy"))
    copy.click()
    expect(copy).to_have_text(tr(lang, "Copied"))
    link = copy.get_attribute("data-copied")
    assert link and "/r/" in link

    # A visitor follows the link, buys the presets and pays on Stripe's hosted page.
    visitor = new_page(lang)
    visitor.goto(link)
    visitor.wait_for_url(f"**/shops/lena-presets/p/{preset.pk}/")
    visitor.get_by_role("button", name=tr(lang, "Add to cart")).click()
    visitor.wait_for_url("**/cart/")
    visitor.get_by_role("link", name=tr(lang, "Checkout with %(shop)s", shop="Lena's presets")).click()
    visitor.get_by_label(tr(lang, "Email for your receipt")).fill("visitor@example.com")
    visitor.get_by_role("button", name=tr(lang, "Continue to payment")).click()
    hosted_checkout_pay(visitor, stripe_api)
    order = Order.objects.get()
    visitor.wait_for_url(f"**/orders/{order.number}/**")
    control.wait_for_webhooks()
    expect(visitor.get_by_text(tr(lang, "Thank you! Your payment is confirmed."))).to_be_visible(
        timeout=15_000
    )
    clicks_flush()  # beat's minutely flush of the clicks counted in Redis

    # The creator sees the click, the order and the commission, pending.
    page.goto("/dashboard/affiliates/")
    row = page.locator("tr[data-membership]")
    expect(row.locator(".clicks")).to_have_text("1 / 1")
    expect(row.locator(".orders")).to_have_text("1")
    expect(page.locator(".commissions")).to_contain_text(money_text(lang, 600, "USD"))
    expect(page.locator(".commissions .status")).to_contain_text(tr(lang, "Pending"))
    expect_language(page, lang, "Copy")
    final_screenshot(page, "affiliate", lang)

    # The money: 15% of $40.00 is the creator's commission, pending until the refund window ends.
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.paid_at is not None
    commission = Commission.objects.get(order=order)
    assert commission.amount_minor == 600
    assert commission.status == CommissionStatus.EARNED
    # The platform keeps 10% of the commission ($0.60) and 5% of the seller's $34.00 ($1.70);
    # the three shares add up to the $40.00 paid.
    assert balance(party_for_user(affiliate.user), AccountKind.PENDING, "USD") == 540
    assert balance(party_for_user(seller.user), AccountKind.PENDING, "USD") == 3230
    assert balance(PLATFORM, AccountKind.COMMISSION_REVENUE, "USD") == 230


# ---------------------------------------------------------------- 3. a brand and a creator make a deal


@languages("deal")
def test_journey_a_brand_finds_a_creator_funds_a_deal_and_approves_the_deliverable(
    lang, new_page, stripe_api, control, stripe_webhooks
):
    from marketplace.enums import DealStatus
    from marketplace.models import Deal
    from tests.marketplace.factories import due, make_brand, make_listing

    owner = make_user("olivia@glow.example", display_name="Olivia")
    brand = make_brand(owner, name="Glow Co")
    creator = make_creator("mina.glow", country="US", niches=["beauty"], languages=["en"])
    make_listing(creator, currency="USD", reel=40_000, carousel=None)
    stripe_webhooks(connect=False)

    # The brand signs in, finds the creator and sends an offer.
    brand_page = new_page(lang)
    log_in(brand_page, owner, lang)
    brand_page.goto(f"/marketplace/brands/{brand.pk}/discover/")
    brand_page.locator("input[name=q]").fill("mina")
    brand_page.get_by_role("button", name=tr(lang, "Search"), exact=True).click()
    brand_page.get_by_role("link", name="@mina.glow").click()
    brand_page.get_by_label(tr(lang, "Price (minor units)")).fill("40000")
    brand_page.get_by_label(tr(lang, "Due date")).fill(due())
    brand_page.get_by_role("button", name=tr(lang, "Send offer")).click()
    expect_language(brand_page, lang, "Offer sent.")

    # The creator signs in and accepts it.
    creator_page = new_page(lang)
    log_in(creator_page, creator.user, lang)
    creator_page.goto("/marketplace/creator/")
    creator_page.get_by_role("link", name="Glow Co").first.click()
    creator_page.get_by_role("button", name=tr(lang, "Accept offer")).click()
    expect_language(creator_page, lang, "Offer accepted: the deal is waiting for the brand's payment.")
    deal = Deal.objects.get()

    # The brand pays into escrow on Stripe's hosted Checkout page.
    brand_page.goto(f"/marketplace/deals/{deal.pk}/")
    brand_page.get_by_role("button", name=tr(lang, "Pay into escrow")).click()
    hosted_checkout_pay(brand_page, stripe_api)
    brand_page.wait_for_url(f"**/marketplace/deals/{deal.pk}/?funded=1")
    control.wait_for_webhooks()
    deal.refresh_from_db()
    assert deal.status == DealStatus.ACTIVE
    assert balance(PLATFORM, AccountKind.ESCROW, "USD") == 40_000  # the brand's $400.00, held

    # The creator submits the reel; the brand approves it.
    creator_page.goto(f"/marketplace/deals/{deal.pk}/")
    creator_page.get_by_label(tr(lang, "Link to the published post")).fill("https://social.example/p/reel-1")
    creator_page.get_by_role("button", name=tr(lang, "Submit"), exact=True).click()
    expect_language(creator_page, lang, "Deliverable submitted.")
    brand_page.goto(f"/marketplace/deals/{deal.pk}/")
    brand_page.get_by_role("button", name=tr(lang, "Approve"), exact=True).click()
    expect_language(brand_page, lang, "Deliverable approved: its share is released.")
    expect(brand_page.locator(".deal-status")).to_have_text(tr(lang, "Completed"))
    final_screenshot(brand_page, "deal", lang)

    # The money: the escrow is released to the creator, minus the 10% sponsorship commission.
    deal.refresh_from_db()
    assert deal.status == DealStatus.COMPLETED
    assert balance(PLATFORM, AccountKind.ESCROW, "USD") == 0
    assert balance(party_for_user(creator.user), AccountKind.PENDING, "USD") == 36_000
    assert balance(PLATFORM, AccountKind.COMMISSION_REVENUE, "USD") == 4_000
    assert balance(PLATFORM, AccountKind.STRIPE_CLEARING, "USD") == -40_000  # received at Stripe


# ---------------------------------------------------------------- bonus helpers


def _bonus_programme(*, creator, staff, accept: bool):
    """The spring bonus (USD rates), with ``creator`` invited (and enrolled when ``accept``)."""
    from bonuses.services import (
        formula_version_create,
        invitation_accept,
        invitation_create,
        programme_create,
    )

    today = timezone.now().date()
    programme = programme_create(
        name="Spring bonus",
        slug="spring",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=40),
    )
    formula_version_create(
        programme=programme,
        rates={
            "USD": {"reel": 50, "carousel": 40, "standard": 30, "like": 1, "comment": 2, "share": 3},
            "KRW": {"reel": 50},
            "JPY": {"reel": 50},
        },
        published_at=timezone.now() - timedelta(days=2),
    )
    invitation = invitation_create(programme=programme, creator=creator, invited_by=staff)
    if accept:
        invitation_accept(invitation_id=invitation.pk, creator=creator)
    return programme


def _bonus_run_computed(*, programme, creator, post_id: str):
    """One reel ingested through the pipeline after enrolment, and the period's run computed:
    18,000 qualified views x 50 / 1000 = 900, + 300 likes + 12 x 2 + 4 x 3 = 1,236 cents."""
    from bonuses.runs import run_compute, run_compute_all, run_create
    from bonuses.selectors import current_period
    from creators.ingestion import posts_ingest

    published = timezone.now() + timedelta(seconds=1)
    report = posts_ingest(
        rows=[
            {
                "external_id": post_id,
                "creator": creator.handle,
                "format": "reel",
                "published_at": published.isoformat(),
                "observed_at": (published + timedelta(seconds=1)).isoformat(),
                "views": 20_000,
                "likes": 300,
                "comments": 12,
                "shares": 4,
                "invalid_views": 2_000,
            }
        ]
    )
    assert report.rejected == 0
    run = run_create(period=current_period(programme=programme, now=published))
    run_compute(run=run)
    run_compute_all(run_id=run.pk)
    return run


# ---------------------------------------------------------------- 4. a creator's bonus and its receipt


@languages("bonus")
def test_journey_a_creator_accepts_a_bonus_invitation_and_opens_the_award_receipt(lang, new_page):
    from bonuses.models import Award
    from bonuses.runs import run_approve

    creator = make_creator("yuna.bonus", country="US")
    staff = User.objects.create_superuser("boss@example.com", PASSWORD)
    programme = _bonus_programme(creator=creator, staff=staff, accept=False)

    # The creator signs in, reads the terms of the invitation and accepts it.
    page = new_page(lang)
    log_in(page, creator.user, lang)
    page.get_by_role("link", name=tr(lang, "Bonus"), exact=True).first.click()
    expect(page.get_by_text("Spring bonus").first).to_be_visible()
    page.get_by_role("link", name=tr(lang, "Read the terms")).click()
    page.get_by_role("button", name=tr(lang, "Accept"), exact=True).click()
    expect_language(
        page, lang, "You joined %(programme)s. Posts you publish from now on count.", programme="Spring bonus"
    )

    # A reel is ingested, staff compute and approve the period's run.
    run = _bonus_run_computed(programme=programme, creator=creator, post_id="yuna-reel-1")
    run_approve(run=run, actor=staff)

    # The creator opens the receipt of the award.
    page.get_by_role("link", name=tr(lang, "Bonus"), exact=True).first.click()
    page.get_by_role("link", name=tr(lang, "Receipt"), exact=True).click()
    expect(page.locator("#award-amount")).to_have_text(money_text(lang, 1236, "USD"))
    row = page.locator('tr[data-post="yuna-reel-1"]')
    expect(row.locator('[data-rule="invalid_views_removed"]')).to_be_visible()
    expect_language(page, lang, "Per post")
    final_screenshot(page, "bonus", lang)

    # The money: the award is posted, platform-funded, pending for the review hold (no commission).
    award = Award.objects.get(run=run)
    assert award.amount_minor == 1236 and award.ledger_transaction is not None
    assert balance(party_for_user(creator.user), AccountKind.PENDING, "USD") == 1236
    assert balance(PLATFORM, AccountKind.BONUS_EXPENSE, "USD") == -1236


# ---------------------------------------------------------------- 5. staff in admin


@languages("staff")
def test_journey_staff_approve_a_bonus_run_and_retry_a_failed_payout_in_admin(
    lang, new_page, stripe_api, control, stripe_webhooks
):
    from bonuses.enums import RunStatus
    from bonuses.models import Award
    from payments.connect import onboarding_link_create
    from payments.holds import holds_release_due
    from payments.models import ConnectedAccount
    from payments.payouts import payouts_run

    creator = make_creator("sora.paid", country="US")
    staff = User.objects.create_superuser("boss@example.com", PASSWORD)
    party = party_for_user(creator.user)

    # The creator set up payouts with a bank account that will refuse the money (Stripe's test
    # number 000111111116: "no_account"). Bank payouts are Connect events: listen to those.
    stripe_webhooks(connect=True)
    link = onboarding_link_create(
        user=creator.user,
        refresh_url="http://127.0.0.1/refresh",
        return_url="http://127.0.0.1/return",
        request_key="journey-staff",
    )
    control.complete_onboarding(link, bank="000111111116")
    control.wait_for_webhooks()
    assert ConnectedAccount.objects.get(party=party).is_ready
    # The platform's Stripe balance, which its sales fund, pays bonuses out: one charge tops it up.
    stripe.PaymentIntent.create(amount=5_000, currency="usd", payment_method="pm_card_visa", confirm=True)

    programme = _bonus_programme(creator=creator, staff=staff, accept=True)
    run = _bonus_run_computed(programme=programme, creator=creator, post_id="sora-reel-1")

    # Staff sign in to admin, save their language on the site, and come back to admin.
    page = new_page(lang)
    page.goto("/admin/")
    page.locator("#id_username").fill(staff.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=tr(lang, "Log in")).click()
    # Signed in, admin speaks the account's saved language (English so far): follow "View site"
    # by its address.
    page.locator("#user-tools a[href='/']").click()
    choose_language(page, staff, lang)
    page.get_by_role("link", name=tr(lang, "Admin"), exact=True).click()
    page.wait_for_url("**/admin/")

    # Approve the computed run with the admin action.
    page.goto("/admin/bonuses/run/")
    page.locator(f"input[name=_selected_action][value='{run.pk}']").check()
    page.locator("select[name=action]").select_option("approve_runs")
    page.get_by_role("button", name=tr(lang, "Go")).click()
    # Money-moving admin actions ask for a reason first (the audit log keeps it).
    page.locator("textarea[name=reason]").fill("Checked by staff")
    page.locator("input[name=apply]").click()
    expect(page.locator(".messagelist")).to_contain_text(tr(lang, "Approve and post to the ledger"))
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED
    assert Award.objects.get(run=run).ledger_transaction is not None

    # The review hold ends and the daily payout run pays the award out: the bank refuses it.
    holds_release_due(now=timezone.now() + timedelta(days=15))
    assert balance(party, AccountKind.AVAILABLE, "USD") == 1236
    assert payouts_run() == 1
    control.wait_for_webhooks()
    failed = Payout.objects.get(party=party)
    assert failed.status == PayoutStatus.FAILED and failed.failure_code == "no_account"
    assert balance(party, AccountKind.AVAILABLE, "USD") == 1236  # the money came back

    # The creator fixes their bank account on Stripe; staff retry the payout.
    stripe.Account.modify(failed.connected_account.stripe_account_id, external_account="btok_us_verified")
    control.wait_for_webhooks()
    page.goto("/admin/payments/payout/")
    failed_row = page.locator("#result_list tbody tr", has=page.locator(f"input[value='{failed.pk}']"))
    expect(failed_row).to_contain_text(tr(lang, "Failed"))
    failed_row.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("retry")
    page.get_by_role("button", name=tr(lang, "Go")).click()
    # Money-moving admin actions ask for a reason first (the audit log keeps it).
    page.locator("textarea[name=reason]").fill("Checked by staff")
    page.locator("input[name=apply]").click()
    expect(page.locator(".messagelist")).to_contain_text(
        tr(lang, "%(label)s: %(count)d done.", label=tr(lang, "Retry"), count=1)
    )
    control.wait_for_webhooks()

    # The retry reached the bank: paid.
    retry = Payout.objects.get(run_key=f"retry:{failed.pk}")
    page.reload()
    retry_row = page.locator("#result_list tbody tr", has=page.locator(f"input[value='{retry.pk}']"))
    expect(retry_row).to_contain_text(tr(lang, "Paid"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    final_screenshot(page, "staff", lang)

    # The money: the award left the platform through the retried payout; nothing is left owed.
    retry.refresh_from_db()
    assert retry.status == PayoutStatus.PAID and retry.amount_minor == 1236
    assert balance(party, AccountKind.PENDING, "USD") == 0
    assert balance(party, AccountKind.AVAILABLE, "USD") == 0
    assert balance(party, AccountKind.PAYABLE_OUT, "USD") == 0
    assert balance(PLATFORM, AccountKind.STRIPE_CLEARING, "USD") == 1236
