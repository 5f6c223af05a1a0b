"""A short-lived cache of discovery search result pages.

Searches repeat (many brands, the same few filters) and listings change slowly: measured
figures move once a day, rate cards rarely. A rendered result page is cached for
MARKETPLACE_SEARCH_CACHE_SECONDS (30 s by default; 0 switches the cache off). Results are the
same for every caller (listings are public profiles), so the key is the query string alone;
an invalid query raises before anything is cached.

Two levels: the shared cache (Redis), so every worker profits from a page one of them built,
and a small in-process copy, so a hit costs no network round trip at all. A change that must
show at once (a creator unlisting, a new rate card) bumps a version number in the shared cache
that every key carries; a process re-reads that version at most once a second, so another
process stops serving the old page within a second (this one at once).
"""

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "marketplace:search:version"
VERSION_TTL = 1.0  # seconds a process trusts its copy of the version
LOCAL_MAX_PAGES = 2000  # bounded: cleared whole when full, which is rare and harmless

_local: dict[str, tuple[float, bytes]] = {}
_version: list[float | int] = [0.0, 0]  # [read at (monotonic), version]


def search_cache_invalidate() -> None:
    """Retire every cached search page (call after a listing changed)."""
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing is cached under a versioned key either
        version = 1
        cache.set(VERSION_KEY, version, timeout=None)
    _version[:] = [time.monotonic(), version]
    _local.clear()


def _current_version() -> int:
    read_at, version = _version
    now = time.monotonic()
    if now - read_at > VERSION_TTL:
        version = cache.get(VERSION_KEY, 0)
        _version[:] = [now, version]
    return int(version)


def search_cached(query: str, build: Callable[[], bytes]) -> bytes:
    """The rendered page for this query string, from a cache or freshly built (and then cached)."""
    seconds = settings.MARKETPLACE_SEARCH_CACHE_SECONDS
    if seconds <= 0:
        return build()
    key = f"marketplace:search:{_current_version()}:{hashlib.sha256(query.encode()).hexdigest()}"
    now = time.monotonic()
    local = _local.get(key)
    if local is not None and local[0] > now:
        return local[1]
    page = cache.get(key)
    if page is None:
        page = build()
        cache.set(key, page, timeout=seconds)
    if len(_local) >= LOCAL_MAX_PAGES:
        _local.clear()
    _local[key] = (now + seconds, page)
    return page


def search_cache_clear_local() -> None:
    """Forget this process's copies (tests: the shared cache is cleared between tests)."""
    _local.clear()
    _version[:] = [0.0, 0]
