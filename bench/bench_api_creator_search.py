"""api_creator_search: requests/s of marketplace discovery searches over 100k listed creators.

Each request is GET /api/v1/marketplace/creators/ with three filters and a text query
(country, niche, minimum engagement rate, q), sorted by relevance, 20 rows, as a signed-in
brand member (JWT, as the mobile app calls it). The product caches result pages for 30 s
(marketplace/search_cache.py); the same comparison with the cache off is in the notes. The
anchor is the bare DRF one-query endpoint (bench/anchors.py) in the same run, loaded by the
same tool with the same settings in interleaved rounds. Target ratio >= 0.5; p95 latency in the notes.

The harness's wrk() sends no headers, so this module runs wrk itself with an Authorization
header, reading the same report (harness.WRK_REPORT) and taking the median round as the
harness does.
"""

import json
import re
import shutil
import subprocess
import sys

from django.db import connection

from bench.bench_api_creator_list import ensure_creators
from bench.harness import ROOT, WRK_REPORT, LoadResult, Result, _median, gunicorn

LISTINGS = 100_000
QUERY = "/api/v1/marketplace/creators/?country=US&niche=beauty&min_engagement_bps=300&q=min"
ANCHOR = "/_anchor/one-query/"

# One INSERT … SELECT: deterministic rates and figures from the creator's id, the search copies
# as listing_upsert() writes them (lowercased text, the follower band of enums.BAND_FLOORS).
LISTINGS_SQL = """
INSERT INTO marketplace_listing (
    creator_id, is_listed, currency, rate_reel_minor, rate_carousel_minor, rate_standard_minor,
    niches, languages, audience_countries, availability, handle, display_name, country, search_text,
    followers, follower_band, engagement_rate_bps, posts_90d, branded_share_bps, formats,
    measured_at, rating_sum, rating_count, created_at, updated_at
)
SELECT c.id, true, 'USD', 10000 + (c.id * 37) %% 200000, 8000 + (c.id * 53) %% 150000, NULL,
    c.niches, c.languages, '[]'::jsonb, 'available', c.handle, c.display_name, c.country,
    lower(c.handle || ' ' || c.display_name || ' ' || c.bio || ' ' ||
          coalesce((SELECT string_agg(n, ' ') FROM jsonb_array_elements_text(c.niches) AS n), '')),
    c.followers,
    CASE WHEN c.followers >= 1000000 THEN 'mega' WHEN c.followers >= 500000 THEN 'macro'
         WHEN c.followers >= 100000 THEN 'mid' WHEN c.followers >= 10000 THEN 'micro' ELSE 'nano' END,
    (c.id * 7919) %% 1200, 0, 0, '[]'::jsonb, now(), 0, 0, now(), now()
FROM creators_creatorprofile c
WHERE NOT EXISTS (SELECT 1 FROM marketplace_listing l WHERE l.creator_id = c.id)
ORDER BY c.id
LIMIT %s
"""


def ensure_listings() -> int:
    ensure_creators()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM marketplace_listing")
        existing = cursor.fetchone()[0]
        if existing < LISTINGS:
            cursor.execute(LISTINGS_SQL, [LISTINGS - existing])
            cursor.execute("ANALYZE marketplace_listing")
        cursor.execute("SELECT count(*) FROM marketplace_listing WHERE is_listed")
        return cursor.fetchone()[0]


def brand_member_token() -> str:
    """A brand owner's JWT access token (15 minutes: the run is far shorter)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from creators.models import User
    from marketplace.services.brands import brand_create

    user, created = User.objects.get_or_create(email="bench-brand@example.com")
    if created:
        brand_create(user=user, name="Bench brand", country="US")
    return str(RefreshToken.for_user(user).access_token)


def wrk_with_header(url: str, header: str, *, seconds: int) -> LoadResult:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    script = ROOT / "bench" / ".wrk-report-search.lua"
    script.write_text(WRK_REPORT)
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    script.unlink(missing_ok=True)
    summary = json.loads(output.split("JSON ", 1)[1].splitlines()[0])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return LoadResult(
        rps, summary["requests"], summary["errors"], summary["p50"], summary["p95"], summary["p99"]
    )


def _compare(base: str, header: str) -> tuple[LoadResult, LoadResult]:
    """Interleaved rounds of the search and the anchor; the median round of each (as the harness)."""
    wrk_with_header(base + QUERY, header, seconds=2)  # warm-up: connections, caches, the planner
    wrk_with_header(base + ANCHOR, "", seconds=2)
    measured: list[LoadResult] = []
    anchor: list[LoadResult] = []
    for round_number in range(3):
        pair = [(base + ANCHOR, "", anchor), (base + QUERY, header, measured)]
        for url, head, into in pair if round_number % 2 == 0 else reversed(pair):
            into.append(wrk_with_header(url, head, seconds=5))
    return _median(measured), _median(anchor)


def run() -> Result:
    total = ensure_listings()
    header = f"Authorization: Bearer {brand_member_token()}"
    with gunicorn() as base:
        search, floor = _compare(base, header)
    with gunicorn(MARKETPLACE_SEARCH_CACHE_SECONDS="0") as base:
        uncached, uncached_floor = _compare(base, header)
    ratio = search.requests_per_second / floor.requests_per_second
    uncached_ratio = uncached.requests_per_second / uncached_floor.requests_per_second
    errors = search.errors + floor.errors + uncached.errors + uncached_floor.errors
    return Result(
        value=round(search.requests_per_second, 1),
        unit="requests/s",
        anchor=round(floor.requests_per_second, 1),
        ratio=round(ratio, 3),
        notes=(
            f"{total:,} listed creators; {QUERY}; JWT-authenticated; 30 s result cache; gunicorn 4 sync "
            f"workers; wrk 2 threads 16 connections, median of 3 interleaved 5 s rounds; p95 "
            f"{search.latency_p95_ms:.1f} ms (anchor {floor.latency_p95_ms:.1f} ms); errors {errors}; "
            f"without the result cache: {uncached.requests_per_second:,.0f} vs "
            f"{uncached_floor.requests_per_second:,.0f} req/s, ratio {uncached_ratio:.2f}, "
            f"p95 {uncached.latency_p95_ms:.1f} ms"
        ),
        extra={
            "p95_ms": search.latency_p95_ms,
            "errors": errors,
            "uncached_ratio": round(uncached_ratio, 3),
            "uncached_p95_ms": uncached.latency_p95_ms,
            "target_ratio": 0.5,
        },
    )
