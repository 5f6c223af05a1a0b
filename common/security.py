"""Abuse limits and security headers shared by every app.

- ``rate_limit``: a per-client limit on a web view (django-ratelimit's counters, in the cache).
  Over the limit the answer is 429 with ``Retry-After``: the seconds until the window resets.
- ``too_many_requests``: that 429 answer: the common error shape under /api/, the 429 page
  elsewhere. django-ratelimit's own RATELIMIT_VIEW and the login lockout use it too.
- ``WriteRateThrottle`` and its subclasses: DRF throttles that count only the writes of a view
  (a list-and-create endpoint stays free to read). DRF answers 429 with ``Retry-After`` itself.
- ``TrustedProxyMiddleware``: the client's address behind known reverse proxies, for the limits.
- ``SecurityHeadersMiddleware``: Content-Security-Policy and Permissions-Policy on every
  response. Django's SecurityMiddleware and XFrameOptionsMiddleware send the other headers
  (nosniff, Referrer-Policy, Cross-Origin-Opener-Policy, X-Frame-Options).

Rates are settings read at request time, so a test (or an operator) can change them.
"""

import math
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle

from common.api import error_body

View = Callable[..., HttpResponse]


# ---------------------------------------------------------------- 429


def too_many_requests(request: HttpRequest, *, retry_after: int, message: str | None = None) -> HttpResponse:
    """429 with Retry-After (whole seconds, at least 1): JSON error shape on the API, a page elsewhere."""
    if message is None:
        minutes = max(1, math.ceil(retry_after / 60))
        message = ngettext(
            "Too many attempts. Please try again in %(minutes)d minute.",
            "Too many attempts. Please try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body("throttled", message), status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response


def rate_limit(*, group: str, setting: str, key: str = "ip", method: str = "POST") -> Callable[[View], View]:
    """Limit a web view to ``settings.<setting>`` requests (django-ratelimit syntax: "10/m", "5/h")
    per ``key`` ("ip", "user_or_ip", …) and ``group``; only ``method`` requests count.

    Views that share a group share one budget (every way of making an offer, say). An empty
    setting turns the limit off.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            rate = getattr(settings, setting)
            usage = (
                get_usage(request, group=group, key=key, rate=rate, method=method, increment=True)
                if rate
                else None
            )
            if usage is not None and usage["should_limit"]:
                request.limited = True  # type: ignore[attr-defined]  # django-ratelimit's flag
                return too_many_requests(request, retry_after=usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class WriteRateThrottle(UserRateThrottle):
    """Per user (or address, signed out), counting only unsafe methods; rate from the ``scope``
    in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class OfferCreateThrottle(WriteRateThrottle):
    """Marketplace offers, counter-offers and campaign applications; affiliate offers."""

    scope = "offer_create"


# ---------------------------------------------------------------- client address


class TrustedProxyMiddleware:
    """Behind SECURITY_TRUSTED_PROXIES reverse proxies (load balancer, ingress), REMOTE_ADDR is
    the nearest proxy's address, and every per-address limit would put all clients in one bucket.
    Each trusted proxy appends the address it saw to X-Forwarded-For, so the client's address is
    the one that many entries from the right; entries further left came from the client and are
    not trusted. 0 (the default) leaves REMOTE_ADDR alone. DRF's throttles use NUM_PROXIES, set
    from the same setting.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        proxies = settings.SECURITY_TRUSTED_PROXIES
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if proxies and forwarded:
            addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
            if addresses:
                request.META["REMOTE_ADDR"] = addresses[-min(proxies, len(addresses))]
        return self.get_response(request)


# ---------------------------------------------------------------- headers


@lru_cache(maxsize=8)
def _policy(stripe_api_base: str, extra_form_action: tuple[str, ...]) -> str:
    """The Content-Security-Policy. No inline scripts or styles anywhere: templates keep their
    JavaScript in static/js and their styles in static/css.

    form-action allows Stripe's hosted pages: a POST to the site (checkout, payout setup)
    answers with a redirect there, and browsers check form-action along that redirect.
    """
    split = urlsplit(stripe_api_base)
    stripe_origin = f"{split.scheme}://{split.netloc}" if split.scheme and split.netloc else ""
    form_action = " ".join(x for x in dict.fromkeys(["'self'", stripe_origin, *extra_form_action]) if x)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def content_security_policy() -> str:
    return _policy(settings.STRIPE_API_BASE, tuple(settings.STRIPE_HOSTED_ORIGINS))


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy (SECURITY_CSP_ENABLED; SECURITY_CSP_REPORT_ONLY sends it as
    report-only) and Permissions-Policy to every response that has not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SECURITY_CSP_ENABLED:
            header = (
                "Content-Security-Policy-Report-Only"
                if settings.SECURITY_CSP_REPORT_ONLY
                else "Content-Security-Policy"
            )
            response.headers.setdefault(header, content_security_policy())
        if settings.SECURITY_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.SECURITY_PERMISSIONS_POLICY)
        return response
