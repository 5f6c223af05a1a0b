"""The schema documents the error answers in the common shape (common/schema.py), so the fuzzing's
status-code and body checks have something true to hold the API to. Part of `make test`."""

from functools import cache

import pytest
from drf_spectacular.generators import SchemaGenerator

from common.schema import errors

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def responses(path: str, method: str) -> dict:
    return schema()["paths"][path][method]["responses"]


def error_schema_of(path: str, method: str, status: str) -> dict:
    return responses(path, method)[status]["content"]["application/json"]["schema"]


def test_the_error_component_is_the_common_error_shape():
    components = schema()["components"]["schemas"]
    assert components["Error"]["required"] == ["error"]
    assert set(components["ErrorDetail"]["required"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    ("path", "method", "statuses", "absent"),
    [
        # An object in the path: 404; a token needed: 401; permissions checked: 403.
        ("/api/v1/orders/{number}/", "get", {"200", "401", "403", "404"}, {"409", "429"}),
        # Checkout: input, an Idempotency-Key (409), throttled (429), a shop that may not exist (404).
        ("/api/v1/orders/", "post", {"201", "400", "401", "403", "404", "409", "429"}, set()),
        # The public directory: no 403 (anyone may), a bad token is still a 401.
        ("/api/v1/creators/", "get", {"200", "400", "401"}, {"403"}),
        # A cursor that points nowhere is a 404.
        ("/api/v1/notifications/", "get", {"200", "400", "401", "403", "404"}, {"409"}),
        # Wrong email or password.
        ("/api/v1/auth/token/", "post", {"200", "400", "401", "429"}, set()),
    ],
)
def test_operations_document_their_errors(path, method, statuses, absent):
    documented = set(responses(path, method))
    assert statuses <= documented, f"missing {statuses - documented}"
    assert not absent & documented, f"not answered, yet documented: {absent & documented}"
    for status in statuses - {"200", "201"}:
        assert error_schema_of(path, method, status) == ERROR_REF


def test_views_own_answers_are_kept():
    # POST /auth/logout/ declares its 204 itself; the derived errors come on top of it.
    logout = responses("/api/v1/auth/logout/", "post")
    assert "204" in logout and "content" not in logout["204"]
    assert error_schema_of("/api/v1/auth/logout/", "post", "400") == ERROR_REF


def test_lists_paginated_by_hand_are_documented_as_pages():
    page = error_schema_of("/api/v1/orders/", "get", "200")
    component = schema()["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert component["properties"]["results"]["type"] == "array"
    assert {"next", "previous"} <= set(component["properties"])


def test_fields_that_default_to_none_are_nullable():
    link = schema()["components"]["schemas"]["LinkStats"]["properties"]
    assert link["discount_code"]["nullable"] is True


def test_errors_refuses_a_status_without_a_description():
    with pytest.raises(AssertionError, match="418"):
        errors(418)


@pytest.mark.django_db
def test_a_real_error_matches_the_documented_shape(api_as, buyer):
    response = api_as(buyer).get("/api/v1/orders/NOPE/")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "not_found"
