"""Service tokens for machine clients: `Authorization: Token svc_…`."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from creators.models import ServiceToken
from creators.services import service_token_hash


class JWTAuthentication(SimpleJWTAuthentication):
    """simplejwt's bearer tokens, and the signed-in user's language for the rest of the request.

    PreferredLanguageMiddleware only sees session users: a JWT is read later, inside the DRF
    view. Without this, a mobile user would get error messages in the language of the
    Accept-Language header (or the default) instead of the one saved on their account.
    """

    def authenticate(self, request: Request):  # type: ignore[no-untyped-def]
        result = super().authenticate(request)
        if result is not None and getattr(result[0], "preferred_language", ""):
            translation.activate(result[0].preferred_language)
            request._request.LANGUAGE_CODE = result[0].preferred_language
        return result


class ServiceTokenUser:
    """The principal of a request authenticated by a service token (not a person)."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True
    pk = None

    def __init__(self, token: ServiceToken) -> None:
        self.token = token

    def __str__(self) -> str:
        return f"service:{self.token.name}"


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[ServiceTokenUser, ServiceToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode().lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed token header."))
        raw = header[1].decode(errors="replace")
        token = ServiceToken.objects.filter(
            token_hash=service_token_hash(raw), revoked_at__isnull=True
        ).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked service token."))
        # One write per minute at most: marking every request would serialize ingestion.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return ServiceTokenUser(token), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsServiceToken:
    """Permission: only requests authenticated by a live service token."""

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.user, ServiceTokenUser)

    def has_object_permission(self, request: Request, view: object, obj: object) -> bool:
        return self.has_permission(request, view)


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Describes service tokens in the OpenAPI schema."""

    target_class = ServiceTokenAuthentication
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A service token created by staff in admin, sent as "Token svc_…".',
        }


class JWTScheme(SimpleJWTScheme):
    """Describes our JWTAuthentication in the OpenAPI schema exactly like simplejwt's own."""

    target_class = "creators.authentication.JWTAuthentication"
