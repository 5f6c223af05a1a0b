"""Template context for every page: the number of items in the visitor's cart (the nav badge)."""

from functools import cache
from typing import Any

from django.http import HttpRequest

from shops.cart import cart_count, cart_for_request


def cart(request: HttpRequest) -> dict[str, Any]:
    """``cart_count``: computed only if a template reads it, and at most once per request.

    A callable, so pages that never show the navigation (admin, emails rendered with a request)
    pay no query for it.
    """

    @cache
    def count() -> int:
        if not hasattr(request, "session") or not hasattr(request, "user"):
            return 0
        return cart_count(cart=cart_for_request(request))

    return {"cart_count": count}
