"""api_creator_list: requests/s of GET /api/v1/creators/?country=JP over 100k creators.

Served by gunicorn against Postgres; the anchor is a bare DRF endpoint doing one query,
loaded by the same tool (wrk) with the same settings in the same run, in interleaved rounds.
The product serves the directory through a 30 s response cache (creators/directory_cache.py);
the same comparison with the cache switched off is reported in the notes. Target ratio >= 0.7.
"""

from bench.harness import Result, compare_load, gunicorn
from creators.demo import demo_populate
from creators.models import CreatorProfile

CREATORS = 100_000
PATH = "/api/v1/creators/?country=JP"
ANCHOR = "/_anchor/one-query/"


def ensure_creators() -> int:
    existing = CreatorProfile.objects.count()
    if existing < CREATORS:
        demo_populate(creators=CREATORS - existing, start=existing, seed=11)
    return CreatorProfile.objects.count()


def run() -> Result:
    total = ensure_creators()
    with gunicorn() as base:
        shipped = compare_load(base + PATH, base + ANCHOR)
    with gunicorn(DIRECTORY_CACHE_SECONDS="0") as base:
        uncached = compare_load(base + PATH, base + ANCHOR)
    measured, anchor = shipped.measured, shipped.anchor
    return Result(
        value=round(measured.requests_per_second, 1),
        unit="requests/s",
        anchor=round(anchor.requests_per_second, 1),
        ratio=round(shipped.ratio, 3),
        notes=(
            f"{total:,} creators; gunicorn 4 sync workers; wrk 2 threads 16 connections, median of "
            f"{shipped.rounds} interleaved 5 s rounds; p95 {measured.latency_p95_ms:.1f} ms (anchor "
            f"{anchor.latency_p95_ms:.1f} ms); errors {measured.errors + anchor.errors}; without the "
            f"response cache: {uncached.measured.requests_per_second:,.0f} vs "
            f"{uncached.anchor.requests_per_second:,.0f} req/s, ratio {uncached.ratio:.2f}"
        ),
        extra={
            "p95_ms": measured.latency_p95_ms,
            "errors": measured.errors + anchor.errors,
            "uncached_ratio": round(uncached.ratio, 3),
            "target_ratio": 0.7,
        },
    )
