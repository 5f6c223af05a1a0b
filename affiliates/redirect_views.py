"""The tracked link ``/r/<code>``: the hot path (see affiliates.clicks for what it costs)."""

import time

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from affiliates.attribution import click_token_make, cookie_add_click
from affiliates.clicks import click


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
        limited = HttpResponse(_("Too many requests."), status=429, content_type="text/plain")
        limited["Retry-After"] = "60"  # the limit is per minute
        return limited
    response = HttpResponseRedirect(outcome.url)
    if outcome.attributed:
        code = code.strip().upper()
        clicked_at = int(time.time())
        cookie_add_click(request, response, code, clicked_at)
        response["X-Click-Token"] = click_token_make(code, clicked_at)
        response["Cache-Control"] = "private, no-store"
    return response
