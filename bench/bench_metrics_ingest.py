"""metrics_ingest: metric rows/s through the ingestion API (1M rows), against Postgres COPY.

The API side: 1,000 batches of 1,000 posts with their counters, pre-encoded, POSTed by 4
client threads over keep-alive connections to gunicorn; each row is validated, upserted into
posts and stored as a snapshot (two rows written per input row). The anchor: COPY of the same
1M rows into a table shaped like the posts table, with the same indexes and constraints.
Target ratio >= 0.2.
"""

import http.client
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from django.db import connection

from bench.harness import Result, gunicorn
from creators.models import CreatorProfile, MetricSnapshot, Post, User
from creators.services import service_token_create

ROWS = 1_000_000
BATCH = 1_000
CLIENTS = 4
PUBLISHED = datetime(2026, 3, 1, tzinfo=UTC)
OBSERVED = PUBLISHED + timedelta(days=3)


def _row(i: int, handle: str) -> dict:
    views = 1000 + (i * 7919) % 90_000
    return {
        "external_id": f"bench_{i}",
        "creator": handle,
        "format": ("reel", "carousel", "standard")[i % 3],
        "published_at": PUBLISHED.isoformat(),
        "observed_at": OBSERVED.isoformat(),
        "views": views,
        "likes": views // 20,
        "comments": views // 200,
        "shares": views // 300,
        "saves": views // 100,
        "reach": views * 3 // 4,
        "invalid_views": views // 100,
    }


def _batches(handles: list[str]) -> list[bytes]:
    rows = (_row(i, handles[i % len(handles)]) for i in range(ROWS))
    return [json.dumps({"posts": [next(rows) for _ in range(BATCH)]}).encode() for _ in range(ROWS // BATCH)]


def _send_all(base: str, token: str, bodies: list[bytes]) -> tuple[float, int]:
    target = urlparse(base)
    queue = list(reversed(bodies))
    lock = threading.Lock()
    accepted = [0]
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            conn.request("POST", "/api/v1/ingest/posts/", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                failures.append(f"{response.status}: {payload[:200]!r}")
                continue
            # The body starts {"accepted": N, ...}: read the count without decoding 1,000 rows,
            # so the load generator spends its share of the 2 cores on sending, not parsing.
            # The totals are checked against the database after the run.
            count = int(payload[: payload.index(b",")].split(b":")[1])
            with lock:
                accepted[0] += count
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} batches failed, first: {failures[0]}")
    return elapsed, accepted[0]


def _copy_anchor(bodies: list[bytes], creator_ids: dict[str, int]) -> float:
    """COPY the same rows into a table shaped like the posts table (same indexes, constraints)."""
    buffer = io.StringIO()
    now = datetime.now(UTC).isoformat()
    for body in bodies:
        for r in json.loads(body)["posts"]:
            buffer.write(
                "\t".join(
                    str(v)
                    for v in (
                        creator_ids[r["creator"]],
                        r["external_id"],
                        r["format"],
                        r["published_at"],
                        "",
                        "f",
                        "f",
                        r["views"],
                        r["likes"],
                        r["comments"],
                        r["shares"],
                        r["saves"],
                        r["reach"],
                        r["invalid_views"],
                        r["observed_at"],
                        now,
                        now,
                    )
                )
                + "\n"
            )
    data = buffer.getvalue()
    columns = (
        "creator_id, external_id, format, published_at, caption, is_branded, is_deleted, views, likes, "
        "comments, shares, saves, reach, invalid_views, metrics_observed_at, created_at, updated_at"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_posts")
        cursor.execute("CREATE TABLE bench_copy_posts (LIKE creators_post INCLUDING ALL)")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_copy_posts ({columns}) FROM STDIN") as copy:
            copy.write(data)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_posts")
    return elapsed


def run() -> Result:
    handles = list(CreatorProfile.objects.order_by("id").values_list("handle", flat=True)[:10_000])
    if len(handles) < 10_000:
        raise RuntimeError("run api_creator_list first, or seed creators: 10,000 are needed")
    creator_ids = dict(CreatorProfile.objects.filter(handle__in=handles).values_list("handle", "id"))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {MetricSnapshot._meta.db_table}, {Post._meta.db_table} CASCADE")
    staff, _ = User.objects.get_or_create(email="bench-staff@example.com", defaults={"is_staff": True})
    _token, raw = service_token_create(name="bench", created_by=staff)
    bodies = _batches(handles)

    with gunicorn() as base:
        elapsed, accepted = _send_all(base, raw, bodies)
    stored_posts, stored_snapshots = Post.objects.count(), MetricSnapshot.objects.count()
    copy_elapsed = _copy_anchor(bodies, creator_ids)

    value, anchor = ROWS / elapsed, ROWS / copy_elapsed
    exact = accepted == stored_posts == stored_snapshots == ROWS
    return Result(
        value=round(value, 1),
        unit="rows/s",
        anchor=round(anchor, 1),
        ratio=round(value / anchor, 3),
        notes=(
            f"{ROWS:,} rows in {elapsed:.1f} s via {ROWS // BATCH:,} API batches of {BATCH:,} "
            f"({CLIENTS} clients, gunicorn 4 workers); COPY took {copy_elapsed:.1f} s; "
            f"stored posts {stored_posts:,}, snapshots {stored_snapshots:,} "
            f"({'exact' if exact else 'MISMATCH'})"
        ),
        extra={"target_ratio": 0.2, "stored_exact": exact},
    )
