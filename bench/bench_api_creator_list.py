"""api_creator_list: requests/s of GET /api/v1/creators/?country=JP over 100k creators.

Served by gunicorn against Postgres; the anchor is a bare DRF endpoint doing one query,
loaded by the same tool (wrk) with the same settings in the same run. Target ratio >= 0.7.
"""

from bench.harness import Result, gunicorn, wrk
from creators.demo import demo_populate
from creators.models import CreatorProfile

CREATORS = 100_000
SECONDS = 10


def ensure_creators() -> int:
    existing = CreatorProfile.objects.count()
    if existing < CREATORS:
        demo_populate(creators=CREATORS - existing, start=existing, seed=11)
    return CreatorProfile.objects.count()


def run() -> Result:
    total = ensure_creators()
    with gunicorn() as base:
        wrk(base + "/api/v1/creators/?country=JP", seconds=2)  # warm-up: connections, caches
        anchor = wrk(base + "/_anchor/one-query/", seconds=SECONDS)
        measured = wrk(base + "/api/v1/creators/?country=JP", seconds=SECONDS)
    errors = measured.errors + anchor.errors
    return Result(
        value=round(measured.requests_per_second, 1),
        unit="requests/s",
        anchor=round(anchor.requests_per_second, 1),
        ratio=round(measured.requests_per_second / anchor.requests_per_second, 3),
        notes=(
            f"{total:,} creators; gunicorn 3 sync workers; wrk 2 threads 16 connections {SECONDS} s; "
            f"p95 {measured.latency_p95_ms:.1f} ms (anchor {anchor.latency_p95_ms:.1f} ms); errors {errors}"
        ),
        extra={"p95_ms": measured.latency_p95_ms, "errors": errors, "target_ratio": 0.7},
    )
