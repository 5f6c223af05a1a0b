"""The tracked link ``/r/<code>``: the hot path (see affiliates.clicks for what it costs)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from affiliates.attribution import click_token_make, cookie_add_click
from affiliates.clicks import click

LINK_PREFIX = "/r/"


@require_GET
def click_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """302 to the product or shop; count the click; remember it in the attribution cookie.

    Unknown or revoked codes still land the visitor (home, or the shop) without attribution.
    Over the per-address rate limit the answer is 429 and nothing is counted.
    """
    outcome = click(
        code=code,
        ip=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        now=timezone.now(),
    )
    if outcome.limited:
        return _too_many_clicks(request)
    response = HttpResponseRedirect(outcome.url)
    if outcome.attributed:
        code = code.strip().upper()
        clicked_at = int(time.time())
        cookie_add_click(request, response, code, clicked_at)
        response["X-Click-Token"] = click_token_make(code, clicked_at)
        response["Cache-Control"] = "private, no-store"
    return response


def _too_many_clicks(request: HttpRequest) -> HttpResponse:
    # The fast lane runs ahead of LocaleMiddleware: the visitor's language is read here.
    with translation.override(translation.get_language_from_request(request)):
        limited = HttpResponse(_("Too many requests."), status=429, content_type="text/plain")
    limited["Retry-After"] = "60"  # the limit is per minute
    return limited


class LinkFastLaneMiddleware:
    """Serves ``GET /r/<code>`` ahead of the session, locale, CSRF, auth and message middleware.

    The tracked link is the platform's busiest URL and uses none of those layers (no session,
    no user, no form, no page), which together cost more than the click itself. It sits after
    SecurityMiddleware, SecurityHeadersMiddleware and TrustedProxyMiddleware, so the answer
    still carries HSTS, CSP and the other security headers, and the per-address limit sees the
    client's address. It does the two things the skipped layers would add to a redirect:
    X-Frame-Options and Content-Length. Anything else under /r/ (another method, a nested
    path) takes the normal route: 405 or 404 from the view and the URL resolver.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(LINK_PREFIX) or request.method != "GET":
            return self.get_response(request)
        code = path[len(LINK_PREFIX) :]
        if not code or "/" in code:
            return self.get_response(request)
        response = click_redirect(request, code)
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Content-Length", str(len(response.content)))
        return response
