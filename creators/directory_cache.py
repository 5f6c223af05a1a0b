"""A short-lived response cache for the public creator directory.

The directory is the busiest public read and changes slowly: follower counts move daily,
profiles rarely. Pages are cached for DIRECTORY_CACHE_SECONDS (30 s by default). Changes
that must show at once (a suspension above all) bump a version number that every cache
key carries, which retires every cached page in one step.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

VERSION_KEY = "creators:directory:version"


def directory_invalidate() -> None:
    """Retire every cached directory page (call after a change that must show at once)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing is cached under a versioned key either
        cache.set(VERSION_KEY, 1, timeout=None)


def directory_cached(request: HttpRequest, build: Callable[[], bytes]) -> bytes:
    """The page for this request, from the cache or freshly built (and then cached)."""
    seconds = settings.DIRECTORY_CACHE_SECONDS
    if seconds <= 0:
        return build()
    version = cache.get(VERSION_KEY, 0)
    # The host is part of the key because the page carries absolute "next" links. Hashed, so
    # any query string makes a short key that every cache backend accepts.
    query = f"{request.get_host()}?{sorted(request.GET.lists())}".encode()
    key = f"creators:directory:{version}:{hashlib.sha256(query).hexdigest()}"
    page = cache.get(key)
    if page is None:
        page = build()
        cache.set(key, page, timeout=seconds)
    return page
