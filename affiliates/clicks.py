"""The redirect's hot path: resolve a link code, count the click in Redis, flush counts to Postgres.

Per click there is no database write and one Redis round trip: a Lua script reads the code's
cached destination and updates the rate limit, the raw and unique counters and the flood counter
atomically (a MULTI pipeline could not make the unique counter depend on the SET NX result, nor
the counters on the cached destination, without more round trips).

Buffer layout (prefix ``settings.AFFILIATE_REDIS_PREFIX``):

- ``<p>:dest:<code>`` "<membership id>|<url>" (id empty: lands without attribution), 5 minutes,
  deleted when the membership or its offer changes;
- ``<p>:live`` hash, fields ``<membership>:<YYYY-MM-DD>:r`` (raw) and ``…:u`` (unique);
- ``<p>:seen:<membership>:<visitor>`` SET NX EX: a repeat click inside the window is raw only;
- ``<p>:ip:<ip hash>:<minute>`` per-address counter: rate limit and flood signal;
- ``<p>:proc:<batch>`` a hash being flushed.

The flush (clicks_flush, every minute) RENAMEs the live hash to a processing key named by a
fresh batch id, adds its counts to ClickDaily in one database transaction that also inserts
ClickFlush(batch), then DELetes the key. A crash between any two steps is repaired by the next
run, which first finishes leftover processing keys and skips the database part of a batch whose
ClickFlush row exists: no click is lost or counted twice.

Without REDIS_URL (the zero-setup SQLite run) there is no buffer: a click is added straight to
ClickDaily (one UPSERT) and the repeat window lives in the local cache. Fine for a laptop, not
for production traffic.

The buffer is the only copy of a click until the flush, so the Redis holding it must keep its
data across a restart: production runs it with the append-only file (``appendonly yes``; with
``appendfsync always`` not even kill -9 loses a click). docs/SCALING.md says so, and
tests/drills/test_redis_restart_clicks.py restarts and kills such a Redis full of clicks.
While that Redis is unreachable (restarting, loading its file), a click is added straight to
ClickDaily as in the zero-setup run, raw only (the repeat window is in the Redis that is down),
so the visitor still lands and the click is not lost.
"""

import hashlib
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache as memoize
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from affiliates.enums import MembershipStatus, OfferStatus
from affiliates.models import ClickDaily, ClickFlush, FraudSignal, Membership

logger = logging.getLogger(__name__)

DEST_CACHE_SECONDS = 300
DEST_LOAD_ATTEMPTS = 3
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|curl|wget|python-requests|httpclient|"
    r"scrapy|go-http-client|java/|okhttp|libwww|monitor|pingdom|uptime",
    re.IGNORECASE,
)

# One round trip per click. The destination ("<membership id or empty>|<url>") is cached in the
# same Redis as the buffer, so the script reads it and counts the click together; on a miss it
# returns -1 and Python loads the destination, stores it and runs the script again. The seen key
# is built inside the script (it needs the membership id from the destination): fine on one
# Redis, which is what the buffer needs anyway (RENAME needs both names on one node).
_CLICK_SCRIPT = """
local dest = redis.call('GET', KEYS[1])
if not dest then return {-1, 0, ''} end
local sep = string.find(dest, '|', 1, true)
local mid = string.sub(dest, 1, sep - 1)
if mid == '' then return {2, 0, dest} end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], 120) end
local limit = tonumber(ARGV[5])
if limit > 0 and n > limit then return {0, n, dest} end
local field = mid .. ':' .. ARGV[1]
redis.call('HINCRBY', KEYS[2], field .. ':r', 1)
if ARGV[4] == '0' then
  if redis.call('SET', ARGV[6] .. mid .. ':' .. ARGV[2], '1', 'NX', 'EX', ARGV[3]) then
    redis.call('HINCRBY', KEYS[2], field .. ':u', 1)
  end
end
return {1, n, dest}
"""


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a code leads. ``membership_id`` is None when the click earns nothing (revoked, paused)."""

    url: str
    membership_id: int | None


@dataclass(frozen=True, slots=True)
class Click:
    """What the redirect does: go to ``url``; attributed clicks were counted unless rate limited."""

    url: str
    attributed: bool
    limited: bool = False


def _prefix() -> str:
    return settings.AFFILIATE_REDIS_PREFIX


@memoize
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def redis_client() -> redis.Redis | None:
    """The click buffer's Redis, or None in the zero-setup run."""
    url = settings.REDIS_URL
    return _redis(url) if url else None


@memoize
def _click_script(url: str) -> Any:
    return _redis(url).register_script(_CLICK_SCRIPT)


# ---------------------------------------------------------------- destinations (cached)


def _dest_key(code: str) -> str:
    return f"{_prefix()}:dest:{code}"


def _code_clean(code: str) -> str | None:
    code = code.strip().upper()
    return code if code.isalnum() and len(code) <= 16 else None  # else never a link code


def destination_for(code: str) -> Destination:
    """The URL a code redirects to, from the cache (DB on a miss). Unknown codes go home."""
    clean = _code_clean(code)
    if clean is None:
        return Destination(reverse("home"), None)
    cached = cache.get(_dest_key(clean))
    if cached is None:
        cached = _dest_value(_destination_load(clean))
        cache.set(_dest_key(clean), cached, DEST_CACHE_SECONDS)
    return _dest_parse(cached)


def _dest_value(destination: Destination | None) -> str:
    if destination is None:
        return f"|{reverse('home')}"
    return f"{destination.membership_id or ''}|{destination.url}"


def _dest_parse(value: str | bytes) -> Destination:
    text = value.decode() if isinstance(value, bytes) else value
    membership, url = text.split("|", 1)
    return Destination(url, int(membership) if membership else None)


def _destination_load(code: str) -> Destination | None:
    membership = Membership.objects.select_related("offer__shop", "offer__product").filter(code=code).first()
    if membership is None:
        return None
    offer, shop = membership.offer, membership.offer.shop
    shop_url = reverse("shop-storefront", kwargs={"slug": shop.slug})
    attributable = membership.status == MembershipStatus.ACTIVE and offer.status == OfferStatus.ACTIVE
    if not attributable:
        return Destination(shop_url, None)
    if offer.product_id is not None:
        url = reverse("shop-product", kwargs={"slug": shop.slug, "product_id": offer.product_id})
    else:
        url = shop_url
    return Destination(url, membership.pk)


def destinations_forget(codes: list[str]) -> None:
    """Drop cached destinations after a membership or offer change.

    Dropped at once and again on commit: a request that re-cached the old row between the two
    (reading before the change committed) cannot leave a stale destination behind.
    """
    if not codes:
        return
    keys = [_dest_key(code) for code in codes]

    def forget() -> None:
        cache.delete_many(keys)
        if (client := redis_client()) is not None:
            client.delete(*keys)

    forget()
    transaction.on_commit(forget)


# ---------------------------------------------------------------- recording a click


def _digest(*parts: str) -> str:
    material = "|".join((settings.SECRET_KEY, *parts)).encode()
    return hashlib.blake2b(material, digest_size=10).hexdigest()


def is_bot(user_agent: str) -> bool:
    """An empty User-Agent or an obvious bot: counted raw, never unique."""
    return not user_agent or bool(BOT_PATTERN.search(user_agent))


def click(*, code: str, ip: str, user_agent: str, now: datetime) -> Click:
    """Resolve a link code and count the click (attributable links only).

    With Redis: one EVALSHA on a cached destination (two and a query on a miss), no database
    write. Without Redis: the Django cache and one UPSERT (see the module docstring). Over the
    per-address rate limit nothing is counted and ``limited`` is set.
    """
    clean = _code_clean(code)
    if clean is None:
        return Click(reverse("home"), attributed=False)
    client = redis_client()
    if client is None:
        destination = destination_for(clean)
        if destination.membership_id is None:
            return Click(destination.url, attributed=False)
        _click_record_direct(destination.membership_id, now, user_agent=user_agent, ip=ip)
        return Click(destination.url, attributed=True)
    try:
        return _click_buffered(client, clean, ip=ip, user_agent=user_agent, now=now)
    except (redis.ConnectionError, redis.TimeoutError) as error:  # BusyLoadingError included
        # Redis is restarting: land the visitor and keep the click in the database instead.
        logger.warning("click buffer unreachable (%s): click on %s stored directly", error, clean)
        return _click_unbuffered(clean, now)


def _click_buffered(client: redis.Redis, clean: str, *, ip: str, user_agent: str, now: datetime) -> Click:
    """Count a click in the Redis buffer (see click()); raises redis's errors when it is down."""
    ip_hash = _digest(ip)
    p = _prefix()
    keys = [_dest_key(clean), f"{p}:live", f"{p}:ip:{ip_hash}:{int(now.timestamp()) // 60}"]
    args = [
        now.astimezone(UTC).date().isoformat(),  # counters are per UTC day
        _digest(ip, user_agent),
        settings.AFFILIATE_UNIQUE_WINDOW_SECONDS,
        "1" if is_bot(user_agent) else "0",
        settings.AFFILIATE_REDIRECT_RATE_PER_MINUTE,
        f"{p}:seen:",
    ]
    script = _click_script(settings.REDIS_URL)
    for _attempt in range(DEST_LOAD_ATTEMPTS):
        status, seen_from_ip, dest = script(keys=keys, args=args)
        if status != -1:
            break
        # Not cached: load it, then count. The key can vanish again before the script runs
        # (destinations_forget, an eviction), so this may take another round.
        client.set(keys[0], _dest_value(_destination_load(clean)), ex=DEST_CACHE_SECONDS)
    else:
        return _click_unbuffered(clean, now)
    destination = _dest_parse(dest)
    if status == 2 or destination.membership_id is None:
        return Click(destination.url, attributed=False)
    if int(seen_from_ip) == settings.AFFILIATE_FLOOD_CLICKS_PER_MINUTE:
        # Exactly at the threshold: one signal per address and minute, not one per click.
        FraudSignal.objects.create(
            kind="click_flood",
            membership_id=destination.membership_id,
            detail=f"{seen_from_ip} clicks in a minute from address {ip_hash}",
        )
    return Click(destination.url, attributed=True, limited=status == 0)


def _click_unbuffered(clean: str, now: datetime) -> Click:
    """A click while the buffer's Redis is down: the destination from the database, the click
    added to ClickDaily at once, raw only (without the repeat window it is not called unique),
    and no rate limit. Should Redis have counted it before the connection broke, it counts twice:
    one click too many is the lesser harm than one lost."""
    destination = _destination_load(clean)
    if destination is None:
        return Click(reverse("home"), attributed=False)
    if destination.membership_id is None:
        return Click(destination.url, attributed=False)
    _counts_add({(destination.membership_id, now.astimezone(UTC).date()): (1, 0)})
    return Click(destination.url, attributed=True)


def _click_record_direct(membership_id: int, now: datetime, *, user_agent: str, ip: str) -> None:
    visitor = _digest(ip, user_agent)
    window = settings.AFFILIATE_UNIQUE_WINDOW_SECONDS
    unique = 0 if is_bot(user_agent) else int(cache.add(f"aff:seen:{membership_id}:{visitor}", 1, window))
    _counts_add({(membership_id, now.astimezone(UTC).date()): (1, unique)})


# ---------------------------------------------------------------- the flush


def _counts_add(counts: dict[tuple[int, date], tuple[int, int]]) -> None:
    """Add (raw, unique) to ClickDaily rows, creating them as needed (one UPSERT per row).

    Memberships that no longer exist are skipped (their counts cannot be stored anywhere).
    """
    known = set(Membership.objects.filter(pk__in={pk for pk, _day in counts}).values_list("pk", flat=True))
    table = ClickDaily._meta.db_table
    # The table name is the model's, every value a parameter.
    sql = (
        f"INSERT INTO {table} (membership_id, day, raw, unique_clicks) VALUES (%s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (membership_id, day) DO UPDATE SET raw = {table}.raw + EXCLUDED.raw, "
        f"unique_clicks = {table}.unique_clicks + EXCLUDED.unique_clicks"
    )
    rows = [(pk, day, raw, uniq) for (pk, day), (raw, uniq) in sorted(counts.items()) if pk in known]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _parse(fields: Mapping[bytes | str, bytes | str]) -> dict[tuple[int, date], tuple[int, int]]:
    counts: dict[tuple[int, date], tuple[int, int]] = {}
    for raw_field, raw_value in fields.items():
        try:
            text = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
            pk, day, kind = text.split(":")
            key = (int(pk), date.fromisoformat(day))
        except ValueError:
            logger.error("bad click buffer field %r", raw_field)
            continue
        raw, uniq = counts.get(key, (0, 0))
        value = int(raw_value)
        counts[key] = (raw + value, uniq) if kind == "r" else (raw, uniq + value)
    return counts


def _batch_process(client: redis.Redis, batch: str) -> int:
    """Store one processing key's counts once, then delete the key; returns the clicks stored."""
    key = f"{_prefix()}:proc:{batch}"
    counts = _parse(client.hgetall(key))
    clicks = sum(raw for raw, _u in counts.values())
    with transaction.atomic():
        _flush, created = ClickFlush.objects.get_or_create(
            batch=batch, defaults={"fields": len(counts), "clicks": clicks}
        )
        if created:
            _counts_add(counts)
    client.delete(key)  # after the commit: a crash before it leaves a key the next run skips
    return clicks if created else 0


def clicks_flush() -> int:
    """Move the buffered clicks into ClickDaily; return how many raw clicks this run stored.

    Leftover processing keys (a previous run that crashed) are finished first. Safe to run
    concurrently: RENAME is atomic, so each live hash goes to exactly one batch.
    """
    client = redis_client()
    if client is None:
        return 0
    p = _prefix()
    stored = 0
    for key in client.scan_iter(match=f"{p}:proc:*", count=100):
        stored += _batch_process(client, key.decode().rsplit(":", 1)[1])
    batch = f"{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"
    try:
        client.rename(f"{p}:live", f"{p}:proc:{batch}")
    except redis.ResponseError:  # no live hash: no clicks since the last flush
        return stored
    return stored + _batch_process(client, batch)
