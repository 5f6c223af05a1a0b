"""api_product_list: requests/s of GET /api/v1/products/?shop=<slug>&page_size=50 over a 10k-product shop.

Served by gunicorn (4 sync workers) against Postgres; the anchor is a bare DRF endpoint doing one
values() query for the same 50 products of the same shop (bench/anchors.py BareProductPageApi),
loaded by the same tool (wrk) with the same settings in the same run, in interleaved rounds
(median of 3). ProductListApi paginates with a cursor (common.pagination.DefaultCursorPagination:
no COUNT(*), ``page_size`` up to 100), so 50 per page is ``page_size=50``. Target ratio >= 0.7.

What the product does to be fast, and the anchor does not: the page's SQL is compiled once per
distinct request (common.query_memo; the rows are read every time), JSON is written by orjson
(common.renderers; the anchor uses DRF's stock renderer), timestamps are read by psycopg's C
loader (common.db; both benefit). Every request still runs both queries.

The notes also carry the queries per request (page 1 and page 5, measured in-process with
CaptureQueriesContext: they must be equal) and an in-process breakdown of one request in CPU time
(filters, the page query, the rows with their images, the cursor links, JSON rendering), which
says where the time goes when the ratio is short. Before it checks that the hand-built rows are
byte for byte what ProductSerializer, the documented schema, gives.
"""

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request

from bench.harness import Result, compare_load, gunicorn
from common.api import parse_query
from common.renderers import FastJSONRenderer
from creators.models import User
from creators.services import creator_become, user_create
from shops.apis import ProductListApi, ProductSerializer, catalogue_page_rows, product_rows
from shops.enums import ProductStatus, ProductType, ShopStatus
from shops.models import Product, ProductImage, Shop
from shops.selectors import SORT_ORDERINGS, product_list_public
from shops.services import shop_create, shop_set_status

PRODUCTS = 10_000
PAGE_SIZE = 50
SLUG = "bench-catalogue"
PATH = f"/api/v1/products/?shop={SLUG}&page_size={PAGE_SIZE}"
ANCHOR = f"/_anchor/products/?shop={SLUG}"
LATER_PAGE = 5
SAMPLES = 200  # in-process timings: median of this many


def ensure_shop() -> Shop:
    """An open USD shop with 10,000 active products, one or two images each (bulk inserts)."""
    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is None:
        email = "bench-seller@example.com"
        user = User.objects.filter(email=email).first() or user_create(
            email=email, password="a-long-bench-password-42"
        )
        creator = creator_become(
            user=user, handle="benchseller", display_name="Bench Seller", country="US", is_adult=True
        )
        shop = shop_create(creator=creator, name="Bench catalogue", slug=SLUG, currency="USD")
        shop = shop_set_status(shop=shop, status=ShopStatus.OPEN, actor=user)
    existing = Product.objects.filter(shop=shop).count()
    if existing < PRODUCTS:
        products = Product.objects.bulk_create(
            [
                Product(
                    shop=shop,
                    title=f"Print no. {n}",
                    description="A risograph print on recycled paper, signed and numbered.",
                    type=ProductType.DIGITAL if n % 4 == 0 else ProductType.PHYSICAL,
                    price_minor=500 + (n * 37) % 9_500,
                    compare_at_minor=None if n % 3 else 20_000,
                    status=ProductStatus.ACTIVE,
                )
                for n in range(existing, PRODUCTS)
            ],
            batch_size=2_000,
        )
        ProductImage.objects.bulk_create(
            [
                ProductImage(
                    product=product, image=f"products/2026/11/bench-{product.pk}-{i}.jpg", position=i
                )
                for product in products
                for i in range(1 + product.pk % 2)
            ],
            batch_size=2_000,
        )
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would leave them
        cursor.execute("ANALYZE shops_shop, shops_product, shops_productimage, creators_creatorprofile")
    return shop


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_counts(client: Client) -> tuple[int, int]:
    """Queries for page 1 and for page LATER_PAGE (following the cursor), in this process."""
    counts = []
    url = PATH
    for page in range(1, LATER_PAGE + 1):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert len(body["results"]) == PAGE_SIZE, len(body["results"])
        if page in (1, LATER_PAGE):
            counts.append(len(queries))
        url = _path(body["next"])
    return counts[0], counts[1]


def _medians_ms(works: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median milliseconds of CPU time (this process's) of each piece of work, timed in turns (one
    of each per sample): other jobs share the machine's two cores, and wall-clock time counts
    their turns too. Time spent waiting for PostgreSQL is not counted; its own CPU is in the
    load test."""
    timings: dict[str, list[float]] = {name: [] for name in works}
    for work in works.values():
        work()  # warm: caches, prepared plans, imports
    for _ in range(SAMPLES):
        for name, work in works.items():
            started = time.process_time()
            work()
            timings[name].append(time.process_time() - started)
    return {name: sorted(values)[len(values) // 2] * 1000 for name, values in timings.items()}


def breakdown(client: Client) -> dict[str, float]:
    """Median CPU milliseconds of one request and of the parts ProductListApi.get() runs, in this
    process (no HTTP, no gunicorn); what the parts leave of the request is middleware and DRF."""
    request = Request(RequestFactory().get(PATH))
    view = ProductListApi()

    def filters() -> tuple[dict[str, Any], dict[str, Any]]:
        data = parse_query(ProductListApi.FilterSerializer, request.query_params)
        return data, ProductListApi.price_filters(data)

    data, price_filters = filters()

    def page() -> tuple[ProductListApi.Pagination, list[dict[str, Any]]]:
        # As the view does: the base query memoised per set of filters, the page's SQL compiled
        # once per distinct request (common.query_memo.CompiledOnce), the rows read every time.
        rows = catalogue_page_rows(shop_slug=SLUG, type=None, q=None, sort=data["sort"], **price_filters)
        paginator = ProductListApi.Pagination()
        paginator.ordering = SORT_ORDERINGS[data["sort"]]
        return paginator, paginator.paginate_queryset(rows, request, view)

    paginator, values = page()
    rows = product_rows(values)
    body = paginator.get_paginated_response(rows).data
    render = FastJSONRenderer().render
    # The hand-built rows must be exactly what ProductSerializer (the documented schema) gives.
    instances = list(product_list_public(shop_slug=SLUG)[:PAGE_SIZE])
    assert render(rows) == render(ProductSerializer(instances, many=True).data)
    medians = _medians_ms(
        {
            "request_ms": lambda: client.get(PATH),
            "anchor_request_ms": lambda: client.get(ANCHOR),
            "filters_ms": filters,  # FilterSerializer (memoised) and the price bounds
            "page_query_ms": page,  # SQL for products+shop (compiled once, run, read as rows)
            "rows_ms": lambda: product_rows(values),  # images (one SQL query), money, dates, URLs
            "links_ms": lambda: paginator.get_paginated_response(rows),  # next/previous cursors
            "render_ms": lambda: render(body),
        }
    )
    return {**medians, "response_kb": len(render(body)) / 1024}


def run() -> Result:
    shop = ensure_shop()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    first, later = query_counts(client)
    parts = breakdown(client)
    with gunicorn() as base:
        comparison = compare_load(base + PATH, base + ANCHOR)
    measured, anchor = comparison.measured, comparison.anchor
    products = Product.objects.filter(shop=shop, status=ProductStatus.ACTIVE).count()
    return Result(
        value=round(measured.requests_per_second, 1),
        unit="requests/s",
        anchor=round(anchor.requests_per_second, 1),
        ratio=round(comparison.ratio, 3),
        notes=(
            f"{products:,} active products in one shop, {PAGE_SIZE} per page (cursor pagination, no "
            f"COUNT); anchor: bare DRF, one values() query of the same 50 rows; gunicorn 4 sync workers; "
            f"wrk 2 threads 16 connections, median of {comparison.rounds} interleaved 5 s rounds; p95 "
            f"{measured.latency_p95_ms:.1f} ms (anchor {anchor.latency_p95_ms:.1f} ms); errors "
            f"{measured.errors + anchor.errors}; queries per request: page 1 {first}, page {LATER_PAGE} "
            f"{later}; in-process CPU medians: request {parts['request_ms']:.1f} ms (anchor "
            f"{parts['anchor_request_ms']:.1f}), of which filters {parts['filters_ms']:.2f}, page query "
            f"{parts['page_query_ms']:.2f}, rows with images {parts['rows_ms']:.2f}, links "
            f"{parts['links_ms']:.2f}, JSON {parts['render_ms']:.2f} ms, {parts['response_kb']:.0f} KiB; "
            f"machine load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other jobs)"
        ),
        extra={
            "p95_ms": measured.latency_p95_ms,
            "errors": measured.errors + anchor.errors,
            "queries_page_1": first,
            f"queries_page_{LATER_PAGE}": later,
            "breakdown_ms": {k: round(v, 2) for k, v in parts.items()},
            "target_ratio": 0.7,
        },
    )
