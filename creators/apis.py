"""REST API for accounts, the public creator directory and ingestion."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from common.api import parse
from common.errors import ApplicationError
from common.pagination import DefaultCursorPagination
from common.schema import errors
from creators.authentication import IsServiceToken, ServiceTokenAuthentication
from creators.directory_cache import directory_cached
from creators.enums import Niche, PostFormat
from creators.ingestion import followers_ingest, posts_ingest
from creators.login_lockout import (
    login_failure_record,
    login_lockout_message,
    login_lockout_seconds_left,
    login_success_record,
)
from creators.selectors import (
    creator_get_for_user,
    creator_get_public,
    creator_rows_public,
    post_list_for_creator,
)
from creators.services import user_create, user_update

LANGUAGE_CHOICES = [code for code, _name in settings.LANGUAGES]


class CreatorPublicSerializer(serializers.Serializer):
    handle = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    avatar_url = serializers.SerializerMethodField()
    country = serializers.CharField()
    niches = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    account_type = serializers.CharField()
    followers = serializers.IntegerField()

    def get_avatar_url(self, obj) -> str | None:
        return obj.avatar.url if obj.avatar else None


def creator_public_row(row: dict) -> dict:
    """The public representation of a directory row, built without a serializer.

    The directory is the busiest public read; a plain dict is several times cheaper than
    a DRF serializer per item. CreatorPublicSerializer documents the same shape in the schema,
    and a test keeps the two identical.
    """
    return {
        "handle": row["handle"],
        "display_name": row["display_name"],
        "bio": row["bio"],
        "avatar_url": default_storage.url(row["avatar"]) if row["avatar"] else None,
        "country": row["country"],
        "niches": row["niches"],
        "languages": row["languages"],
        "account_type": row["account_type"],
        "followers": row["followers"],
    }


class PostSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    format = serializers.CharField()
    published_at = serializers.DateTimeField()
    caption = serializers.CharField()
    is_branded = serializers.BooleanField()
    is_deleted = serializers.BooleanField()
    views = serializers.IntegerField()
    likes = serializers.IntegerField()
    comments = serializers.IntegerField()
    shares = serializers.IntegerField()
    saves = serializers.IntegerField()
    reach = serializers.IntegerField()
    invalid_views = serializers.IntegerField()
    metrics_observed_at = serializers.DateTimeField(allow_null=True)


# ---------------------------------------------------------------- auth


class LoginLocked(exceptions.APIException):
    """429 login_locked, with Retry-After (DRF's handler sends `wait` as that header)."""

    status_code = 429
    default_code = "login_locked"

    def __init__(self, seconds: int) -> None:
        self.wait = seconds
        super().__init__(detail=login_lockout_message(seconds=seconds), code="login_locked")


@errors(401)
class TokenObtainApi(TokenObtainPairView):
    """Exchange email and password for a short access token and a rotating refresh token.

    Repeated failures for one email lock its logins for a while (creators.login_lockout):
    429 login_locked with Retry-After, even with the right password.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request: Request, *args, **kwargs) -> Response:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        email = email if isinstance(email, str) and email else None
        if email and (seconds := login_lockout_seconds_left(email=email)):
            raise LoginLocked(seconds)
        try:
            response = super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            if email and (seconds := login_failure_record(email=email)):
                raise LoginLocked(seconds) from None
            raise
        if email:
            login_success_record(email=email)
        return response


@errors(401)
class TokenRefreshApi(TokenRefreshView):
    """A refresh token is single-use: it is rotated and the old one blacklisted."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_refresh"


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = parse(self.InputSerializer, request.data)
        try:
            token = RefreshToken(data["refresh"])
            if str(token.get("user_id")) != str(request.user.pk):
                raise TokenError("not yours")
            token.blacklist()
        except TokenError as exc:
            raise ApplicationError(
                _("The refresh token is invalid or already used."), code="invalid_token"
            ) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignupApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True)
        display_name = serializers.CharField(required=False, allow_blank=True, max_length=80)
        preferred_language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
        country = serializers.CharField(required=False, allow_blank=True, max_length=2)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: inline_serializer(
                "SignupOutput", {"access": serializers.CharField(), "refresh": serializers.CharField()}
            )
        },
    )
    def post(self, request: Request) -> Response:
        user = user_create(**parse(self.InputSerializer, request.data))
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)}, status=201)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(required=False, allow_blank=True, max_length=80)
        preferred_language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
        country = serializers.CharField(required=False, allow_blank=True, max_length=2)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()
        preferred_language = serializers.CharField()
        country = serializers.CharField()
        is_staff = serializers.BooleanField()
        creator = serializers.SerializerMethodField()

        def get_creator(self, user) -> dict | None:
            creator = creator_get_for_user(user=user)
            if creator is None:
                return None
            # Standing is shown to its owner only; the public serializer leaves it out.
            return {
                **CreatorPublicSerializer(creator).data,
                "policy_standing": creator.policy_standing,
                "is_adult": creator.is_adult,
            }

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request) -> Response:
        user = user_update(user=request.user, **parse(self.InputSerializer, request.data))
        return Response(self.OutputSerializer(user).data)


class MyPostListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = DefaultCursorPagination  # paginated by hand; named for the schema

    @errors(404)
    @extend_schema(responses=PostSerializer(many=True))
    def get(self, request: Request) -> Response:
        creator = creator_get_for_user(user=request.user)
        if creator is None:
            raise ApplicationError(
                _("You do not have a creator profile yet."), code="not_a_creator", status_code=404
            )
        paginator = DefaultCursorPagination()
        paginator.ordering = ("-published_at", "-id")
        page = paginator.paginate_queryset(
            post_list_for_creator(creator=creator, include_deleted=True), request, self
        )
        return paginator.get_paginated_response(PostSerializer(page, many=True).data)


# ---------------------------------------------------------------- public directory


class CreatorListApi(APIView):
    """The public creator directory, busiest of the public reads: kept lean on purpose."""

    permission_classes = [AllowAny]

    class Pagination(DefaultCursorPagination):
        ordering = ("-followers", "id")

    @staticmethod
    def parse_filters(params) -> dict[str, str]:
        """Validate the three filters by hand: a serializer here costs more than the query."""
        filters: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        if country := params.get("country"):
            if len(country) != 2 or not country.isalpha():
                errors["country"] = [_("Use a two-letter ISO country code.")]
            filters["country"] = country
        for name, allowed in (("niche", Niche.values), ("format", PostFormat.values)):
            if value := params.get(name):
                if value not in allowed:
                    errors[name] = [_("Must be one of: %(choices)s.") % {"choices": ", ".join(allowed)}]
                filters[name] = value
        if errors:
            raise ApplicationError(_("Some fields are not valid."), code="invalid", fields=errors)
        return filters

    @extend_schema(
        parameters=[
            OpenApiParameter("country", str, description="ISO country code, e.g. JP"),
            OpenApiParameter("niche", str, enum=Niche.values),
            OpenApiParameter("format", str, enum=PostFormat.values),
        ],
        responses=CreatorPublicSerializer(many=True),
    )
    def get(self, request: Request) -> HttpResponse:
        filters = self.parse_filters(request.query_params)  # bad input is never cached

        def build() -> bytes:
            paginator = self.Pagination()
            page = paginator.paginate_queryset(creator_rows_public(**filters), request, self)
            data = paginator.get_paginated_response([creator_public_row(row) for row in page]).data
            return JSONRenderer().render(data)

        response = HttpResponse(directory_cached(request, build), content_type="application/json")
        patch_cache_control(response, public=True, max_age=settings.DIRECTORY_CACHE_SECONDS)
        return response


class CreatorDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=CreatorPublicSerializer)
    def get(self, request: Request, handle: str) -> Response:
        return Response(CreatorPublicSerializer(creator_get_public(handle=handle)).data)


# ---------------------------------------------------------------- ingestion (service tokens)

_INGEST_REPORT = inline_serializer(
    "IngestReport",
    {
        "accepted": serializers.IntegerField(),
        "rejected": serializers.IntegerField(),
        "rows": serializers.ListField(child=serializers.DictField()),
    },
)


class ServiceTokenThrottle(SimpleRateThrottle):
    """THROTTLE_INGEST per service token: each pipeline has its own budget (a service token's
    principal has no pk, so DRF's user throttles would put every pipeline in one bucket)."""

    scope = "ingest"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        token = getattr(request.user, "token", None)
        ident = f"token-{token.pk}" if token is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class _IngestApi(APIView):
    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [IsServiceToken]
    throttle_classes = [ServiceTokenThrottle]
    rows_key = ""

    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict) or self.rows_key not in request.data:
            raise ApplicationError(
                _('The body must be {"%(key)s": [ ... ]}.') % {"key": self.rows_key}, code="malformed_batch"
            )
        report = self.ingest(rows=request.data[self.rows_key])
        return Response(report.as_dict())


class PostIngestApi(_IngestApi):
    """Upsert up to 1,000 posts with their latest counters. Each row is answered on its own."""

    rows_key = "posts"
    ingest = staticmethod(posts_ingest)

    @extend_schema(
        request=inline_serializer(
            "PostIngestInput", {"posts": serializers.ListField(child=serializers.DictField())}
        ),
        responses=_INGEST_REPORT,
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class FollowerIngestApi(_IngestApi):
    """Record up to 1,000 follower counts; the newest observation sets a creator's count."""

    rows_key = "followers"
    ingest = staticmethod(followers_ingest)

    @extend_schema(
        request=inline_serializer(
            "FollowerIngestInput", {"followers": serializers.ListField(child=serializers.DictField())}
        ),
        responses=_INGEST_REPORT,
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
