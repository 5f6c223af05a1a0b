"""mixed_load: requests/s of a mixed traffic at the highest load the machine sustains.

The system under load is the whole deployment of docker-compose on one machine: gunicorn
(2 x cores + 1 sync workers), PostgreSQL, Redis, one Celery worker and the Stripe emulator,
which delivers its webhooks back to gunicorn. The load tool is wrk with a Lua script
(bench/mixed_load.lua) walking a fixed, pre-shuffled list of requests of these kinds (weights
in percent, MIX below):

    storefront  public pages: a creator's shop, product pages, a creator's page        28
    redirect    affiliate links /r/<code> (302)                                        20
    api_read    JWT users: product list and detail, creator list and detail            24
    dashboard   session users: creator dashboard, shop, earnings, affiliates pages     11
    ingest      POST /api/v1/ingest/posts/ (service token), one creator's 20 posts     10
    checkout    POST /api/v1/orders/ (JWT): order + PaymentIntent on the emulator       7

The API checkout is the mobile one: it creates a PaymentIntent (the web checkout's Checkout
Session needs a cart in the session and a CSRF token, a multi-request flow wrk cannot follow).

A payer thread plays the mobile app after checkout: it confirms each new PaymentIntent on the
emulator with a test card, so the emulator sends payment_intent.succeeded to the webhook, the
worker marks the order paid and settles it, as in production. Webhooks and the worker are load
on the same cores; they are not counted in the requests/s, which are wrk's.

wrk rather than locust: it is already the load tool of the other benchmarks, and it is C: on
two shared cores a Python load generator would take a large share of the CPU it measures.

Steps: seed the data (fixed names and a fixed random seed; idempotent, so a second run loads
the same data), check every distinct request once (each must answer its expected status; an ingestion
batch must have no row refused),
warm up, then a step ramp of 20 s per level (4, 8, 16, 32 connections) that stops at the first
level with an error or p99 >= 250 ms; the highest level that passed is run for 2 minutes
(and, should those 2 minutes miss the target, again at half the connections, down to one). If
4 connections already fail, 2 and then 1 are tried; if none passes, 4 is run and the notes say
the target is missed. Afterwards the worker is given up to 2 minutes to mark every confirmed
payment paid and settle it, and the ledger is checked. The anchor is the
bare DRF endpoint doing one query (bench/anchors.py BareOneQueryApi) loaded by wrk at the same
concurrency on the same server, 15 s before and 15 s after the long run (the mean of the two);
ratio = mixed requests/s / anchor requests/s (higher is better).

Users sign in without the login form, which has a lockout and a rate limit of its own: the
session of a dashboard user is created as Django's test client's force_login does, the JWT
of an API user is minted by simplejwt's token class, the ingestion token by the service.
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from affiliates.clicks import clicks_flush
from affiliates.models import Offer
from affiliates.services import membership_join, offer_create
from bench.harness import ROOT, Result, celery_workers, free_port, gunicorn, wrk
from creators.ingestion import posts_ingest
from creators.models import CreatorProfile, Post, User
from creators.services import creator_become, service_token_create, service_token_revoke, user_create
from payments.charges import payment_mark_succeeded
from payments.enums import PaymentStatus, WebhookEventStatus
from payments.models import Payment, WebhookEvent
from payments.selectors import ledger_check
from payments.settlement import settlement_post_many
from shops.enums import ProductStatus, ProductType, ShopStatus
from shops.models import Order, Product, Shop
from shops.orders import ItemRequest, order_create
from shops.services import product_create, shop_create, shop_set_status

SEED = 20261122
PREFIX = "ml"  # handles, emails, slugs and codes of this benchmark's data
MIX = {"storefront": 28, "redirect": 20, "api_read": 24, "dashboard": 11, "ingest": 10, "checkout": 7}
SEQUENCE = 1000  # requests in the list wrk walks: the mix in exact proportions
LEVELS = (4, 8, 16, 32)  # connections of the step ramp
# The durations can be shortened for a trial run (MIXED_LOAD_STEP_SECONDS=5 MIXED_LOAD_SECONDS=20);
# results.json figures come from the defaults.
STEP_SECONDS = int(os.environ.get("MIXED_LOAD_STEP_SECONDS", "20"))
RUN_SECONDS = int(os.environ.get("MIXED_LOAD_SECONDS", "120"))
ANCHOR_SECONDS = int(os.environ.get("MIXED_LOAD_ANCHOR_SECONDS", "15"))
P99_TARGET_MS = 250.0
SHOPS = (
    ("USD", "12.00"),
    ("USD", "25.00"),
    ("USD", "8.50"),
    ("JPY", "1500"),
    ("USD", "9.00"),
    ("JPY", "1200"),
)
# The checkouts buy only from the last CHECKOUT_SHOPS shops, whose sellers' dashboards are not in
# the mix: the orders of every run pile up there (ledger rows cannot be deleted), while the
# dashboards in the mix show the same seeded orders at every run.
CHECKOUT_SHOPS = 2
PRODUCTS_PER_SHOP = 12
AFFILIATES = 12
POSTS_PER_CREATOR = 20  # seeded per creator; an ingestion batch refreshes one creator's
PUBLISHED = datetime(2026, 9, 1, tzinfo=UTC)
PAID_ORDERS_PER_SHOP = 10
BUYERS = 8
PASSWORD = "a-long-bench-password-42"
ANCHOR = "/_anchor/one-query/"
EMULATOR_KEY = "sk_test_emulator"
LOGS = Path(tempfile.gettempdir())  # bench-mixed_load-{gunicorn,emulator}.log: read them after errors


# ---------------------------------------------------------------- the data


@dataclass
class Data:
    shops: list  # (slug, seller handle, product ids); the last CHECKOUT_SHOPS take the checkouts
    creators: list[str]  # handles of every creator of the benchmark
    codes: list[str]  # affiliate link codes
    sellers: list  # User rows with a shop and seeded sales (dashboard users)
    buyers: list  # User rows (API users)


def _user(email: str):
    return User.objects.filter(email=email).first() or user_create(email=email, password=PASSWORD)


def _creator(handle: str, country: str = "US"):
    user = _user(f"{handle}@bench.example")
    return CreatorProfile.objects.filter(user=user).first() or creator_become(
        user=user, handle=handle, display_name=handle.title(), country=country, is_adult=True
    )


def _shop(number: int, currency: str, price: str):
    """An open shop of PRODUCTS_PER_SHOP digital products, its seller and an open affiliate offer."""

    seller = _creator(f"{PREFIX}seller{number}", country="JP" if currency == "JPY" else "US")
    slug = f"{PREFIX}-shop-{number}"
    shop = Shop.objects.filter(slug=slug).first()
    if shop is None:
        shop = shop_create(creator=seller, name=f"Mixed load shop {number}", slug=slug, currency=currency)
        shop = shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=seller.user)
    for index in range(Product.objects.filter(shop=shop).count(), PRODUCTS_PER_SHOP):
        product_create(
            shop=shop,
            title=f"Preset pack {index + 1}",
            description="Ten presets for warm evening light, with a short guide.",
            price=price,
            type=ProductType.DIGITAL,
            status=ProductStatus.ACTIVE,
        )
    products = list(Product.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))
    offer = Offer.objects.filter(shop=shop, product__isnull=True).first() or offer_create(
        shop=shop, rate_bps=1000
    )
    return shop, seller, products, offer


def _posts(handles: list[str]) -> None:
    """POSTS_PER_CREATOR posts for each creator who has none, through the ingestion service."""
    seeded = set(Post.objects.filter(creator__handle__in=handles).values_list("creator__handle", flat=True))
    rows = [
        _post_row(handle, n, PUBLISHED, PUBLISHED + timedelta(days=2))
        for handle in handles
        if handle not in seeded
        for n in range(POSTS_PER_CREATOR)
    ]
    for start in range(0, len(rows), 500):
        posts_ingest(rows=rows[start : start + 500])


def _post_row(handle: str, n: int, published: datetime, observed: datetime) -> dict:
    views = 1000 + (n * 7919 + len(handle) * 104_729) % 90_000
    return {
        "external_id": f"{PREFIX}_{handle}_{n}",
        "creator": handle,
        "format": ("reel", "carousel", "standard")[n % 3],
        "published_at": published.isoformat(),
        "observed_at": observed.isoformat(),
        "views": views,
        "likes": views // 20,
        "comments": views // 200,
        "shares": views // 300,
    }


def _paid_orders(shop, products: list[int]) -> None:
    """PAID_ORDERS_PER_SHOP paid and settled orders, so the sellers' dashboards show sales."""

    paid = []
    for index in range(Order.objects.filter(shop=shop).count(), PAID_ORDERS_PER_SHOP):
        order = order_create(
            shop=shop,
            items=[ItemRequest(product_id=products[index % len(products)], variant_id=None, quantity=1)],
            email=f"{PREFIX}seed-{index}@bench.example",
        )
        assert order.payment is not None
        payment_mark_succeeded(
            payment=order.payment, stripe_payment_intent_id=f"pi_{PREFIX}_{shop.pk}_{index}"
        )
        paid.append(order.payment.pk)
    if paid:
        settlement_post_many(payment_ids=paid)


def seed() -> Data:
    """The benchmark's data; what exists already is kept (same names), so reruns load the same."""

    shops, offers, sellers = [], [], []
    for number, (currency, price) in enumerate(SHOPS, start=1):
        shop, seller, products, offer = _shop(number, currency, price)
        shops.append((shop.slug, seller.handle, products))
        offers.append(offer)
        if number <= len(SHOPS) - CHECKOUT_SHOPS:
            _paid_orders(shop, products)
            sellers.append(seller.user)
    affiliates = [
        _creator(f"{PREFIX}creator{n}", country=("US", "JP", "KR")[n % 3]) for n in range(1, AFFILIATES + 1)
    ]
    codes = [
        membership_join(offer=offers[n % len(offers)], affiliate=a).code for n, a in enumerate(affiliates)
    ]
    creators = [handle for _slug, handle, _p in shops] + [a.handle for a in affiliates]
    _posts(creators)
    buyers = [_user(f"{PREFIX}buyer{n}@bench.example") for n in range(1, BUYERS + 1)]
    return Data(shops=shops, creators=creators, codes=codes, sellers=sellers, buyers=buyers)


# ---------------------------------------------------------------- credentials


def session_cookie(user) -> str:
    """A signed-in session as Django's test client's force_login makes it (no login form)."""

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def jwt_access(user) -> str:
    """An access token valid for the whole benchmark (the default lifetime is 15 minutes)."""

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(hours=2))
    return str(token)


def ingest_token() -> tuple[object, str]:
    staff, _ = User.objects.get_or_create(email=f"{PREFIX}-staff@bench.example", defaults={"is_staff": True})
    return service_token_create(name="mixed_load bench", created_by=staff)


# ---------------------------------------------------------------- the request list


def request_kinds(data: Data, ingest_raw: str) -> dict[str, list[dict]]:
    """Every distinct request of each kind, with the status it must answer."""
    dashboard_users = data.sellers + [_creator(f"{PREFIX}creator{n}").user for n in range(1, 5)]
    cookies = {user.pk: session_cookie(user) for user in dashboard_users}
    bearer = [f"Bearer {jwt_access(user)}" for user in data.buyers]

    def get(path: str, expect: int = 200, **headers: str) -> dict:
        return {"method": "GET", "path": path, "headers": headers, "body": "", "expect": expect}

    def post(path: str, body: dict, **headers: str) -> dict:
        headers = {**headers, "Content-Type": "application/json"}
        return {"method": "POST", "path": path, "headers": headers, "body": json.dumps(body), "expect": 0}

    storefront = []
    for slug, handle, products in data.shops:
        storefront += [get(f"/@{handle}/shop"), get(f"/@{handle}")]
        storefront += [get(f"/shops/{slug}/p/{pk}/") for pk in products[:6]]
    api_read = []
    for n, (slug, handle, products) in enumerate(data.shops):
        auth = {"Authorization": bearer[n % len(bearer)]}
        api_read += [
            get(f"/api/v1/products/?shop={slug}", **auth),
            get(f"/api/v1/creators/{handle}/", **auth),
        ]
        api_read += [get(f"/api/v1/products/{pk}/", **auth) for pk in products[:3]]
    api_read += [get(f"/api/v1/creators/?country={c}", Authorization=bearer[0]) for c in ("US", "JP", "KR")]
    dashboard = [
        get(path, Cookie=cookies[user.pk])
        for user in data.sellers
        for path in ("/dashboard/", "/dashboard/shop/", "/dashboard/earnings/", "/dashboard/affiliates/")
    ]
    dashboard += [
        get("/dashboard/affiliates/", Cookie=cookies[user.pk])
        for user in dashboard_users[len(data.sellers) :]
    ]
    # A pipeline refreshing one creator's recent posts per batch: the counters observed an hour
    # ago (a new snapshot per run), the published_at stored at seeding (a fixed field).
    observed = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ingest = [
        post(
            "/api/v1/ingest/posts/",
            {"posts": [_post_row(handle, n, PUBLISHED, observed) for n in range(POSTS_PER_CREATOR)]},
            Authorization=f"Token {ingest_raw}",
        )
        for handle in data.creators
    ]
    checkout = [
        post(
            "/api/v1/orders/",
            {"shop": slug, "items": [{"product": products[(n + b) % len(products)], "quantity": 1}]},
            Authorization=bearer[b],
        )
        for n, (slug, _h, products) in enumerate(data.shops[-CHECKOUT_SHOPS:])
        for b in range(len(bearer))
    ]
    for request in ingest:
        request["expect"] = 200
    for request in checkout:
        request["expect"] = 201
    return {
        "storefront": storefront,
        "redirect": [get(f"/r/{code}", expect=302) for code in data.codes],
        "api_read": api_read,
        "dashboard": dashboard,
        "ingest": ingest,
        "checkout": checkout,
    }


def sequence(kinds: dict[str, list[dict]]) -> list[dict]:
    """SEQUENCE requests in MIX's exact proportions, in a fixed pseudo-random order."""
    total = sum(MIX.values())
    out = []
    for kind, weight in MIX.items():
        templates = kinds[kind]
        out += [{"kind": kind, **templates[n % len(templates)]} for n in range(SEQUENCE * weight // total)]
    random.Random(SEED).shuffle(out)
    return out


def _lua_string(text: str) -> str:
    assert "]==]" not in text
    return f"[==[{text}]==]"


def write_lua_data(requests: list[dict], path: Path) -> None:
    lines = ["return {"]
    for r in requests:
        headers = ", ".join(f'["{k}"] = {_lua_string(v)}' for k, v in r["headers"].items())
        body = _lua_string(r["body"]) if r["body"] else "nil"
        lines.append(
            f'  {{kind = "{r["kind"]}", method = "{r["method"]}", path = {_lua_string(r["path"])}, '
            f"headers = {{{headers}}}, body = {body}}},"
        )
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def _rejects_rows(kind: str, body: bytes) -> bool:
    """An ingestion answer is 200 even when it refuses rows: the mix must have none refused."""
    return kind == "ingest" and json.loads(body).get("rejected") != 0


def check_each(base: str, kinds: dict[str, list[dict]]) -> tuple[dict[str, float], list[str]]:
    """Each distinct request once before the load: each must answer its expected status.

    Then each once more, one at a time, timed: (the median ms per kind, the five slowest
    requests) on the idle server. The ramp says how the mix behaves under load; this says which
    request costs what, the first place to look when the p99 misses the target.
    """
    parts = urllib.parse.urlsplit(base)
    problems = []
    timed: list[tuple[float, str, str]] = []
    client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for attempt in range(2):
        for kind, templates in kinds.items():
            for r in templates:
                started = time.perf_counter()
                client.request(r["method"], r["path"], body=r["body"] or None, headers=r["headers"])
                response = client.getresponse()
                body = response.read()
                if attempt == 1:
                    timed.append(((time.perf_counter() - started) * 1000, kind, f"{r['method']} {r['path']}"))
                elif response.status != r["expect"] or _rejects_rows(kind, body):
                    problems.append(f"{kind} {r['method']} {r['path']}: {response.status} {body[:200]!r}")
        if problems:
            raise RuntimeError(
                f"{len(problems)} requests of the mix fail before any load: " + "; ".join(problems[:5])
            )
    client.close()
    medians = {kind: round(statistics.median(ms for ms, k, _r in timed if k == kind), 1) for kind in kinds}
    slowest = [f"{request} {ms:.0f} ms" for ms, _k, request in sorted(timed, reverse=True)[:5]]
    return medians, slowest


# ---------------------------------------------------------------- load


@dataclass
class Level:
    connections: int
    rps: float
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float
    statuses: dict
    sent: dict
    samples: list

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0

    @property
    def passes(self) -> bool:
        return self.requests > 0 and self.errors == 0 and self.p99 < P99_TARGET_MS

    def brief(self) -> str:
        return f"{self.connections}c {self.rps:.0f} rps p99 {self.p99:.0f} ms err {self.errors}"


def mixed_wrk(base: str, data_file: Path, *, connections: int, seconds: int) -> Level:
    env = {**os.environ, "MIXED_LOAD_REQUESTS": str(data_file)}
    script = ROOT / "bench" / "mixed_load.lua"
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    output = subprocess.run(
        [*command, "-s", str(script), base], capture_output=True, text=True, check=True, env=env
    ).stdout
    s = json.loads(output.split("JSON ", 1)[1].splitlines()[0])
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return Level(
        connections,
        s["requests"] / s["seconds"],
        s["requests"],
        errors,
        s["p50"],
        s["p95"],
        s["p99"],
        s["max"],
        s["statuses"],
        s["sent"],
        s["samples"],
    )


# ---------------------------------------------------------------- the emulator and the payer


@contextmanager
def emulator(port: int, webhook_url: str):
    log = (LOGS / "bench-mixed_load-emulator.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_emulator",
            "--port",
            str(port),
            "--quiet",
            "--webhook-url",
            webhook_url,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(
                        "the Stripe emulator did not start: see bench-mixed_load-emulator.log"
                    ) from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Payer(threading.Thread):
    """Confirms every new PaymentIntent of the benchmark's orders with a test card, as the
    mobile app does after checkout; the emulator then sends the webhooks."""

    def __init__(self, emulator_base: str, since: datetime) -> None:
        super().__init__(daemon=True)
        self.base, self.since = urllib.parse.urlsplit(emulator_base), since
        self.stop = threading.Event()
        self.confirmed: set[str] = set()
        self.failures: list[str] = []

    def run(self) -> None:
        from payments.enums import PaymentStatus
        from payments.models import Payment

        try:
            while not self.stop.is_set():
                intents = Payment.objects.filter(
                    status=PaymentStatus.PENDING,
                    created_at__gte=self.since,
                    stripe_payment_intent_id__isnull=False,
                    order__shop__slug__startswith=f"{PREFIX}-shop-",
                ).values_list("stripe_payment_intent_id", flat=True)
                for intent in set(intents) - self.confirmed:
                    self.confirm(intent)
                self.stop.wait(0.5)
        finally:
            connection.close()

    def confirm(self, intent: str) -> None:
        client = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=30)
        client.request(
            "POST",
            f"/v1/payment_intents/{intent}/confirm",
            body="payment_method=pm_card_visa",
            headers={
                "Authorization": f"Bearer {EMULATOR_KEY}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = client.getresponse()
        body = response.read()
        client.close()
        self.confirmed.add(intent)
        if response.status != 200:
            self.failures.append(f"{intent}: {response.status} {body[:200]!r}")


def drain(payer: Payer, since: datetime, timeout: float = 120) -> dict:
    """Wait until the worker has marked every confirmed payment paid and settled it; what the run
    left behind."""

    ours = Payment.objects.filter(created_at__gte=since, order__shop__slug__startswith=f"{PREFIX}-shop-")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        confirmed = ours.filter(stripe_payment_intent_id__in=list(payer.confirmed))
        pending = confirmed.exclude(status=PaymentStatus.SUCCEEDED) | confirmed.filter(
            settlement__isnull=True
        )
        if not pending.exists():
            break
        time.sleep(1)
    orders = Order.objects.filter(
        created_at__gte=since, shop__slug__startswith=f"{PREFIX}-shop-", channel="api"
    )
    events = WebhookEvent.objects.filter(received_at__gte=since)
    return {
        "orders": orders.count(),
        "intents_confirmed": len(payer.confirmed),
        "confirm_failures": len(payer.failures),
        "payments_succeeded": ours.filter(status=PaymentStatus.SUCCEEDED).count(),
        "payments_settled": ours.filter(status=PaymentStatus.SUCCEEDED, settlement__isnull=False).count(),
        "webhooks": events.count(),
        "webhooks_failed": events.filter(status=WebhookEventStatus.FAILED).count(),
        "webhooks_unprocessed": events.filter(status=WebhookEventStatus.RECEIVED).count(),
        "ledger_problems": len(ledger_check()),
    }


# ---------------------------------------------------------------- the benchmark


def ramp(base: str, data_file: Path) -> tuple[list[Level], int]:
    """The step ramp; (every level run, the connections chosen for the long run).

    Up from LEVELS[0] until a level fails; if the first fails, down (half, then one connection)
    until one passes. No level passing: LEVELS[0], and the notes say the target is missed.
    """
    levels: list[Level] = []

    def step(connections: int) -> Level:
        level = mixed_wrk(base, data_file, connections=connections, seconds=STEP_SECONDS)
        levels.append(level)
        print(f"   ramp {level.brief()}", flush=True)
        return level

    for connections in LEVELS:
        if not step(connections).passes:
            break
    if not levels[0].passes:
        for connections in (LEVELS[0] // 2, 1):
            if step(connections).passes:
                break
    passed = [level.connections for level in levels if level.passes]
    return levels, (max(passed) if passed else LEVELS[0])


@contextmanager
def _environ(**values: str):
    """These environment variables for the processes started inside (the later benchmarks of
    the same `make bench` see the environment as it was)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run() -> Result:
    data = seed()
    token, raw = ingest_token()
    kinds = request_kinds(data, raw)
    data_file = ROOT / "bench" / ".mixed-load-requests.lua"
    write_lua_data(sequence(kinds), data_file)
    workers = 2 * (os.cpu_count() or 2) + 1
    emulator_port = free_port()
    env = {
        "AFFILIATE_REDIRECT_RATE_PER_MINUTE": "0",  # wrk is one address; the limit would answer 429s
        "AFFILIATE_REDIS_PREFIX": PREFIX,
        "STRIPE_API_BASE": f"http://127.0.0.1:{emulator_port}",
        "STRIPE_SECRET_KEY": EMULATOR_KEY,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # Server errors, with their tracebacks, go to a file: a pipe nobody reads would block the
        # workers once full, and the benchmark settings log nothing of a 500 otherwise.
        "GUNICORN_CMD_ARGS": (
            f"--error-logfile {LOGS / 'bench-mixed_load-gunicorn.log'} --capture-output "
            f"--config python:bench.mixed_load_gunicorn"
        ),
    }
    (LOGS / "bench-mixed_load-gunicorn.log").write_text("")  # gunicorn appends; keep this run's only
    since = datetime.now(UTC)
    with _environ(STRIPE_API_BASE=env["STRIPE_API_BASE"], STRIPE_SECRET_KEY=EMULATOR_KEY):
        worker = celery_workers(1, queue="celery", name="mixed")  # its Stripe is the emulator too
    try:
        with (
            gunicorn(workers=workers, **env) as base,
            emulator(emulator_port, f"{base}/webhooks/stripe/") as stripe_base,
        ):
            idle_ms, slowest = check_each(base, kinds)
            payer = Payer(stripe_base, since)
            payer.start()
            mixed_wrk(base, data_file, connections=LEVELS[0], seconds=5)  # warm-up
            levels, chosen = ramp(base, data_file)
            while True:
                # A 20 s step can pass where 2 minutes do not (the worker's backlog of webhooks
                # and settlements grows with the checkouts): "sustained" is decided by the long
                # run, which steps down (half the connections) until it meets the target.
                before = wrk(
                    base + ANCHOR, seconds=ANCHOR_SECONDS, connections=chosen, threads=min(2, chosen)
                )
                load_before = os.getloadavg()[0]
                final = mixed_wrk(base, data_file, connections=chosen, seconds=RUN_SECONDS)
                load_after = os.getloadavg()[0]
                after = wrk(base + ANCHOR, seconds=ANCHOR_SECONDS, connections=chosen, threads=min(2, chosen))
                if final.passes or chosen == 1:
                    break
                print(f"   {RUN_SECONDS} s at {final.brief()}: missed, stepping down", flush=True)
                levels.append(final)
                chosen //= 2
            check = drain(payer, since)
            payer.stop.set()
            payer.join(timeout=10)
    finally:
        for process in worker:
            process.terminate()
            process.wait(timeout=30)
        data_file.unlink(missing_ok=True)
    service_token_revoke(token=token)
    prefix, settings.AFFILIATE_REDIS_PREFIX = settings.AFFILIATE_REDIS_PREFIX, PREFIX
    clicks_flush()  # the redirects' clicks, so they do not pile up in Redis run after run
    settings.AFFILIATE_REDIS_PREFIX = prefix
    return _result(
        final, levels, chosen, before, after, check, workers, (load_before, load_after), idle_ms, slowest
    )


def _result(final: Level, levels, chosen, before, after, check, workers, load, idle_ms, slowest) -> Result:
    anchor = (before.requests_per_second + after.requests_per_second) / 2
    target_met = final.passes
    sent = sum(final.sent.values()) or 1
    mix = ", ".join(f"{kind} {100 * final.sent.get(kind, 0) / sent:.0f}%" for kind in MIX)
    statuses = dict(sorted(final.statuses.items()))
    return Result(
        value=round(final.rps, 1),
        unit="requests/s",
        anchor=round(anchor, 1),
        ratio=round(final.rps / anchor, 3),
        notes=(
            f"{RUN_SECONDS} s at {chosen} connections (ramp {STEP_SECONDS} s/level: "
            f"{'; '.join(level.brief() for level in levels)}); p50 {final.p50:.1f} ms, "
            f"p95 {final.p95:.1f} ms, p99 {final.p99:.1f} ms, max {final.max:.0f} ms; "
            f"errors {final.errors}/{final.requests} ({100 * final.error_rate:.3f}%); "
            f"target (0 errors, p99 < {P99_TARGET_MS:.0f} ms): {'met' if target_met else 'MISSED'}; "
            f"statuses {statuses}; sent: {mix}; idle median ms by kind {idle_ms}, slowest "
            f"{'; '.join(slowest[:3])}; "
            f"checkouts {check['orders']}, paid {check['payments_succeeded']} of "
            f"{check['intents_confirmed']} confirmed, settled {check['payments_settled']}, "
            f"webhooks {check['webhooks']} ({check['webhooks_failed']} failed), "
            f"ledger problems {check['ledger_problems']}; "
            f"gunicorn {workers} sync workers + 1 Celery worker + Stripe emulator; "
            f"anchor: bare DRF one-query endpoint at {chosen} connections, "
            f"{before.requests_per_second:.0f} rps before / {after.requests_per_second:.0f} after; "
            f"load average {load[0]:.1f} before / {load[1]:.1f} after on {os.cpu_count()} cores"
            + (f"; error samples {final.samples[:3]}" if final.samples else "")
        ),
        extra={
            "connections": chosen,
            "latency_p50_ms": round(final.p50, 1),
            "latency_p95_ms": round(final.p95, 1),
            "latency_p99_ms": round(final.p99, 1),
            "error_rate": final.error_rate,
            "errors": final.errors,
            "requests": final.requests,
            "target_met": target_met,
            "statuses": statuses,
            "sent_by_kind": final.sent,
            "ramp": [
                {
                    "connections": lv.connections,
                    "rps": round(lv.rps, 1),
                    "p99_ms": round(lv.p99, 1),
                    "errors": lv.errors,
                }
                for lv in levels
            ],
            "background": check,
            "gunicorn_workers": workers,
            "idle_median_ms_by_kind": idle_ms,
            "idle_slowest_requests": slowest,
            "load_average": list(load),
        },
    )
