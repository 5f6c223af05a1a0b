from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.api import error_body
from common.health import broker_health, database_health
from common.security import too_many_requests


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_health(), "broker": broker_health()}
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """django-ratelimit's block=True decorators send blocked requests here: 429 with a
    Retry-After hint. (common.security.rate_limit answers with the exact seconds instead.)"""
    return too_many_requests(
        request, retry_after=60, message=_("Too many attempts. Please wait a minute and try again.")
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)
    return render(request, "500.html", status=500)
