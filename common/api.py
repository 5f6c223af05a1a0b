"""API plumbing shared by every app: the error shape, input parsing."""

from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError
from common.money import Money, format_money

# DRF's exception classes → our stable error codes.
_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as {"error": {"code", "message", "fields"}}."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    # The exact class first: subclasses (simplejwt's InvalidToken, say) keep their own, finer code.
    code = _CODES.get(type(exc)) or _code_of(exc)
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(code, _("Some fields are not valid."), fields)
    else:
        detail = exc.detail.get("detail", exc.detail) if isinstance(exc.detail, dict) else exc.detail
        response.data = error_body(code, str(detail))
    return response


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        own = codes.get("code")  # simplejwt's errors carry {"detail", "code"}
        if isinstance(own, str):
            return own
    return next((c for cls, c in _CODES.items() if isinstance(exc, cls)), str(exc.default_code))


def parse(serializer_class: type[serializers.Serializer], data: Any, **context: Any) -> dict[str, Any]:
    """Validate input with a serializer and return its validated data (raises on bad input)."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def parse_query(serializer_class: type[serializers.Serializer], query_params: QueryDict) -> dict[str, Any]:
    """parse() for the query string of a hot list, memoised on the parameters the serializer declares.

    Precondition: the serializer's answer depends on those parameters alone (no context, no
    database, no clock), as a filter serializer's does. DRF deep-copies a serializer's fields for
    every instance, which costs more than checking a few filters; a catalogue sees the same few
    filters over and over. Bad input is not memoised: it raises, in the request's language,
    every time.
    """
    key = tuple((name, tuple(query_params.getlist(name))) for name in _field_names(serializer_class))
    return dict(_parse_memoised(serializer_class, key))


@lru_cache(maxsize=64)
def _field_names(serializer_class: type[serializers.Serializer]) -> tuple[str, ...]:
    return tuple(serializer_class().fields)


@lru_cache(maxsize=1024)
def _parse_memoised(
    serializer_class: type[serializers.Serializer], params: tuple[tuple[str, tuple[str, ...]], ...]
) -> dict[str, Any]:
    data = QueryDict(mutable=True)
    for name, values in params:
        if values:  # an absent parameter must stay absent, not become an empty list
            data.setlist(name, list(values))
    return parse(serializer_class, data)


# ---------------------------------------------------------------- money in responses


def money_data(money: Money | None) -> dict[str, Any] | None:
    """How every API shows an amount: exact minor units, the currency, the exact decimal amount
    and the amount formatted for the request's language (None stays None)."""
    if money is None:
        return None
    return money_fields(money.amount_minor, money.currency)


def money_fields(amount_minor: int, currency: str, language: str | None = None) -> dict[str, Any]:
    """money_data() from plain values (hot lists build many of them; see shops.apis).

    ``language`` defaults to the active one; a list that formats many amounts looks it up once
    and passes it, since get_language() costs as much as a memoised format."""
    amount, display = _money_strings(amount_minor, currency, language or get_language())
    return {"amount_minor": amount_minor, "currency": currency, "amount": amount, "display": display}


@lru_cache(maxsize=16_384)
def _money_strings(amount_minor: int, currency: str, language: str | None) -> tuple[str, str]:
    # A pure function of its arguments; catalogue pages show the same few prices over and over.
    money = Money(amount_minor, currency)
    return str(money.as_decimal()), format_money(money, language)


class MoneySerializer(serializers.Serializer):
    """Documents money_data() in the schema."""

    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    amount = serializers.CharField(help_text='Major units, exact: "24.00", "2400".')
    display = serializers.CharField(help_text="Formatted for the request's language.")


@extend_schema_field(MoneySerializer)
class MoneyField(serializers.Field):
    """A read-only Money attribute, shown as money_data() (None stays None)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Money) -> dict[str, Any] | None:
        return money_data(value)
