"""OpenAPI schema generation tuned to the one-view-per-operation style.

Besides naming, the AutoSchema documents the error answers every operation can give, in the one
error shape (common.api.error_body): a client generated from the schema (and the schemathesis
fuzzing in tests/fuzz) then knows that a 404 is {"error": {"code", "message", "fields"}} too.
The schema's texts are developer documentation in English, like every help_text of the API's
serializers: not marked for translation (the error messages themselves are).
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='A stable, machine-readable code: "invalid", "not_found", …')
    message = serializers.CharField(help_text="A sentence for people, in the request's language.")
    # The metaclass takes declared fields off the class, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="Per input field, what is wrong with it (empty when the error is not about a field).",
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API: {"error": {"code", "message", "fields"}}."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "The input is not valid (see error.fields), or the request is malformed.",
    "401": "No credentials, or credentials that are not valid (expired or revoked token).",
    "403": "The caller may not do this.",
    "404": "Not found, or outside the caller's reach.",
    "409": (
        "The request conflicts with the current state (an order already paid, an offer that already "
        "exists, not your turn), or its Idempotency-Key was used before with another request."
    ),
    "429": "Too many requests: try again later (see the Retry-After header).",
}


# Error answers a view documents beyond the derived ones (see errors()); read, then dropped.
_ERRORS_EXTENSION = "x-error-statuses"
_PAGE_PARAMETERS = {"page", "cursor"}


def errors(*statuses: int):
    """Document error answers the AutoSchema cannot derive from the view, on a view method.

    For example a 404 from a /me/… endpoint when the caller has no shop, or a 409 when an order
    is no longer in a state that allows the action: ``@errors(404, 409)``. Stacks with @extend_schema.
    """
    unknown = {str(status) for status in statuses} - set(ERROR_DESCRIPTIONS)
    assert not unknown, f"no description for {unknown}: add it to ERROR_DESCRIPTIONS"
    return extend_schema(extensions={_ERRORS_EXTENSION: [str(status) for status in statuses]})


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer, direction) -> str:
        """Name nested serializers after their view: SignupApi.InputSerializer → SignupApiInput.

        Every view has its own InputSerializer and OutputSerializer (CONVENTIONS.md); named by
        their class alone they would collide in the schema's components.
        """
        qualname = serializer.__class__.__qualname__
        if "." in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)

    def get_operation(self, path, path_regex, path_prefix, method, registry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        declared = operation.pop(_ERRORS_EXTENSION, [])
        responses = operation.setdefault("responses", {})
        for code in sorted({*self._error_codes(operation), *declared}):
            if code not in responses:  # a view's own @extend_schema answer wins
                response = OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(response, code)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _get_serializer_field_meta(self, field, direction):
        """An output field with default=None answers null when its source is missing
        (``source="discount_code.code", default=None``): say so, as allow_null would."""
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and isinstance(field, serializers.Field) and field.default is None:
            meta["nullable"] = True
        return meta

    def _get_paginator(self):
        """The view's paginator: APIViews paginate by hand, with a nested Pagination class."""
        pagination_class = getattr(self.view, "pagination_class", None) or getattr(
            self.view, "Pagination", None
        )
        return pagination_class() if pagination_class else None

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        """The errors this operation can answer, from what the view declares.

        400: any input (body, query, header or path parameters) can be invalid or malformed.
        401: every view authenticates: a bad or expired token is refused even where anonymous
        callers are welcome. 403: a view that checks permissions. 404: an object in the path.
        A page or cursor parameter that points nowhere is a 404 too (DRF's paginators).
        409: any write can conflict with the state of things (ApplicationError(status_code=409)
        is the services' "not now"), and an Idempotency-Key reused with another body.
        429: a throttled view.
        """
        parameters = operation.get("parameters", [])
        codes = []
        if "requestBody" in operation or parameters:
            codes.append("400")
        if self.view.get_authenticators():
            codes.append("401")
        if any(not isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes.append("403")
        if any(param["in"] == "path" or param["name"] in _PAGE_PARAMETERS for param in parameters):
            codes.append("404")
        if self.method != "GET" or any(param["name"].lower() == "idempotency-key" for param in parameters):
            codes.append("409")
        if self.view.get_throttles():
            codes.append("429")
        return codes
