"""Playwright driving Debian's Chromium (never a downloaded browser), headless."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The closed network here refuses Chromium's background connections; these flags keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests
    # make between page actions are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (installed by npm, `make node_modules`) on the page; return the violations of
    those impacts as {id, impact, help, targets}, ready for a readable failure message.

    The script is injected from the file on disk: nothing is fetched from the network. A page
    whose Content-Security-Policy refuses inline scripts needs a context made with
    ``bypass_csp=True`` (the ``axe_page`` fixture does that).
    """
    if not AXE_SCRIPT.exists():
        skip_or_fail("axe-core is not installed (make node_modules, or npm ci)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }"""
    )
    return [v for v in results if v["impact"] in impacts]


OVERFLOW_SCRIPT = """() => {
    const width = window.innerWidth;
    const overflow = document.scrollingElement.scrollWidth - width;
    const sticksOut = (el) => el.getBoundingClientRect().right > width + 1;
    const culprits = [];
    for (const el of overflow > 0 ? document.body.querySelectorAll('*') : []) {
        if (!sticksOut(el) || (el.parentElement && sticksOut(el.parentElement))) continue;
        const classes = typeof el.className === 'string' && el.className ? '.' + el.className.trim()
            .split(/\\s+/).join('.') : '';
        const px = Math.round(el.getBoundingClientRect().width);
        culprits.push(`${el.tagName.toLowerCase()}${classes} (${px}px)`);
        if (culprits.length >= 5) break;
    }
    return [overflow, culprits];
}"""


def horizontal_overflow(page) -> tuple[int, list[str]]:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll), and the
    outermost elements that stick out past its right edge (where to look; an element clipped by a
    scrolling wrapper can be listed too, so read it as a hint)."""
    overflow, culprits = page.evaluate(OVERFLOW_SCRIPT)
    return overflow, culprits


@pytest.fixture
def axe_page(browser, live_server):
    """A page like ``page``, in a context that lets axe-core be injected under any CSP."""
    context = browser.new_context(base_url=live_server.url, locale="en-US", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# ---------------------------------------------------------------- shared by the journeys and feature tests

# The browser locale of each site language: Chromium sends it as Accept-Language.
BROWSER_LOCALES = {"en": "en-US", "fr": "fr-FR", "ja": "ja-JP", "ko": "ko-KR"}


def session_cookie(live_server, user) -> dict:
    """A signed-in session for ``user``, as a cookie to add to a browser context."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


@pytest.fixture
def new_page(browser, live_server):
    """new_page(lang) → a page in a fresh browser context (its own cookies) whose browser asks
    for ``lang`` (Accept-Language); every context is closed at the end of the test."""
    contexts = []

    def make(lang: str = "en"):
        context = browser.new_context(base_url=live_server.url, locale=BROWSER_LOCALES[lang])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def stripe_webhooks(stripe_api, live_server, settings):
    """listen(connect=…) → Stripe's events reach the live server's real webhook endpoint, signed.

    The endpoint is registered through Stripe's API, so the emulator's reset before the next test
    removes it (the live server outlives the test and must not get later tests' events). The site
    verifies one signing secret, and Stripe gives Connect events (connected accounts: onboarding,
    bank payouts) and platform events (checkout, charges, transfers) to separate endpoints with
    separate secrets: a test that needs both listens to one kind at a time.
    """
    import stripe

    current: list = []

    def listen(*, connect: bool = False) -> None:
        for endpoint in current:
            stripe.WebhookEndpoint.delete(endpoint.id)
        current.clear()
        endpoint = stripe.WebhookEndpoint.create(
            url=live_server.url + "/webhooks/stripe/", enabled_events=["*"], connect=connect
        )
        current.append(endpoint)
        settings.STRIPE_WEBHOOK_SECRET = endpoint.secret

    return listen
