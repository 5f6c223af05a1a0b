"""click_redirect: redirects/s of GET /r/<code> under gunicorn, against a bare Django redirect.

Served by gunicorn (4 sync workers) with Redis (the click buffer and the destination cache) and
Postgres; the anchor is ``/_anchor/redirect/`` (bench/anchors.py bare_redirect: a view that
returns HttpResponseRedirect and nothing else), loaded by the same tool (wrk) with the same
settings in the same run, in interleaved rounds (median of 3). Target ratio >= 0.8.

The link is served by affiliates.redirect_views.LinkFastLaneMiddleware, ahead of the session,
locale, CSRF, auth and message middleware it does not use; the anchor, like any Django view,
goes through all of them. Both go through the security middleware (HSTS, CSP, nosniff).

Exactness: wrk cannot say how many requests it sent (it drops those in flight when a run stops),
so after the timed rounds a counting client sends exactly 5,000 more requests, the buffer is
flushed, and the clicks stored for them must equal 5,000. The wrk figures are reported too.
wrk is one client on one address, so the per-address rate limit is switched off for this server
(AFFILIATE_REDIRECT_RATE_PER_MINUTE=0); the Lua script still runs the same counters.
"""

import http.client
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from django.conf import settings

from affiliates.clicks import clicks_flush
from affiliates.enums import MembershipStatus
from affiliates.models import ClickDaily, Membership, Offer
from bench.harness import LoadResult, Result, _median, gunicorn, wrk
from creators.models import CreatorProfile, User
from creators.services import creator_become, user_create
from shops.enums import ProductType, ShopStatus
from shops.models import Product, Shop
from shops.services import product_create, shop_create, shop_set_status

SLUG = "bench-affiliate-shop"
CODE = "BENCHLNK"
PREFIX = "affbench"
EXACT_REQUESTS = 5000


def _creator(handle: str) -> CreatorProfile:
    email = f"{handle}@example.com"
    user = User.objects.filter(email=email).first() or user_create(
        email=email, password="a-long-bench-password-42"
    )
    existing = CreatorProfile.objects.filter(user=user).first()
    return existing or creator_become(
        user=user, handle=handle, display_name=handle, country="US", is_adult=True
    )


def ensure_link() -> Membership:
    """An open shop, one product in an active offer, one affiliate with the link code BENCHLNK."""
    membership = Membership.objects.filter(code=CODE).first()
    if membership is not None:
        return membership
    seller = _creator("benchaffseller")
    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is None:
        shop = shop_create(creator=seller, name="Bench affiliate shop", slug=SLUG, currency="USD")
        shop = shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=seller.user)
    product = Product.objects.filter(shop=shop).first() or product_create(
        shop=shop, title="Bench preset", price="10.00", status="active", type=ProductType.DIGITAL
    )
    offer = Offer.objects.create(shop=shop, product=product, rate_bps=1000)
    return Membership.objects.create(
        offer=offer, affiliate=_creator("benchaffiliate"), code=CODE, status=MembershipStatus.ACTIVE
    )


def _stored(membership: Membership) -> int:
    return sum(ClickDaily.objects.filter(membership=membership).values_list("raw", flat=True))


def _load(
    measured: str, anchor: str, rounds: int = 3, seconds: int = 5
) -> tuple[LoadResult, LoadResult, int]:
    """compare_load's interleaved rounds, keeping every wrk request count (the warm-up's too)."""
    sent = wrk(measured, seconds=2).requests
    wrk(anchor, seconds=2)
    ours: list[LoadResult] = []
    bare: list[LoadResult] = []
    for number in range(rounds):
        pair = [(anchor, bare), (measured, ours)]
        for url, into in pair if number % 2 == 0 else reversed(pair):
            into.append(wrk(url, seconds=seconds))
    sent += sum(result.requests for result in ours)
    return _median(ours), _median(bare), sent


def _send_exactly(url: str, count: int, threads: int = 8) -> int:
    """Send exactly ``count`` GETs (no redirect following); return how many answered 302."""
    parts = urlsplit(url)

    def worker(n: int) -> int:
        ok = 0
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        for _ in range(n):
            connection.request("GET", parts.path, headers={"User-Agent": "bench-exactness/1.0"})
            response = connection.getresponse()
            response.read()
            ok += response.status == 302
        connection.close()
        return ok

    share = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(worker, share))


def run() -> Result:
    membership = ensure_link()
    settings.AFFILIATE_REDIS_PREFIX = PREFIX  # this process flushes the server's buffer
    clicks_flush()  # leftovers of an earlier run are stored before counting starts
    before = _stored(membership)
    with gunicorn(AFFILIATE_REDIRECT_RATE_PER_MINUTE="0", AFFILIATE_REDIS_PREFIX=PREFIX) as base:
        measured, anchor, wrk_sent = _load(f"{base}/r/{CODE}", f"{base}/_anchor/redirect/")
        time.sleep(3)  # requests wrk left in flight are still being answered
        clicks_flush()
        after_wrk = _stored(membership)
        answered = _send_exactly(f"{base}/r/{CODE}", EXACT_REQUESTS)
    clicks_flush()
    exact_stored = _stored(membership) - after_wrk
    wrk_stored = after_wrk - before
    exact = exact_stored == EXACT_REQUESTS == answered
    return Result(
        value=measured.requests_per_second,
        unit="redirects/s",
        anchor=anchor.requests_per_second,
        ratio=measured.requests_per_second / anchor.requests_per_second,
        notes=(
            "gunicorn 4 workers, wrk 2x16, median of 3 interleaved rounds; the link skips the "
            "session/locale/CSRF/auth/message middleware (fast lane), the anchor does not; "
            f"p50 {measured.latency_p50_ms:.1f} ms "
            f"(anchor {anchor.latency_p50_ms:.1f}); wrk errors {measured.errors}; "
            f"exact check: {EXACT_REQUESTS} requests sent, {exact_stored} clicks stored ({exact}); "
            f"wrk runs: {wrk_sent} completed, {wrk_stored} stored (wrk does not count requests still in "
            "flight when a run stops, so stored may exceed completed by up to the connections per run)"
        ),
        extra={"clicks_stored": exact_stored, "requests_sent": EXACT_REQUESTS, "exact": exact},
    )
