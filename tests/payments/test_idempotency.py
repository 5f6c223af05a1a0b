"""The Idempotency-Key header: same key and body → the same answer, replayed; another body → 409."""

import pytest
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from payments.idempotency import idempotent

CALLS: list[dict] = []


class CountingApi(APIView):
    permission_classes = [IsAuthenticated]

    @idempotent
    def post(self, request):
        CALLS.append(dict(request.data))
        return Response({"call": len(CALLS), "echo": request.data}, status=201)


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()


def post(user, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    request = APIRequestFactory().post("/api/v1/test/", body, format="json", **headers)
    force_authenticate(request, user=user)
    return CountingApi.as_view()(request)


def test_the_same_key_and_body_replays_the_first_answer(buyer):
    first = post(buyer, {"amount": 10}, key="k-1")
    again = post(buyer, {"amount": 10}, key="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.data == first.data == {"call": 1, "echo": {"amount": 10}}
    assert again["Idempotent-Replayed"] == "true"
    assert len(CALLS) == 1


def test_the_same_key_with_another_body_is_a_conflict(buyer):
    post(buyer, {"amount": 10}, key="k-1")
    response = post(buyer, {"amount": 99}, key="k-1")
    assert response.status_code == 409
    assert response.data["error"]["code"] == "idempotency_key_reused"
    assert len(CALLS) == 1


def test_keys_belong_to_their_user(buyer, creator):
    post(buyer, {"amount": 10}, key="k-1")
    assert post(creator.user, {"amount": 10}, key="k-1").data["call"] == 2


def test_without_a_key_every_request_runs(buyer):
    post(buyer, {"amount": 10})
    post(buyer, {"amount": 10})
    assert len(CALLS) == 2


def test_an_overlong_key_is_refused(buyer):
    response = post(buyer, {"amount": 10}, key="k" * 300)
    assert response.status_code == 400 and response.data["error"]["code"] == "invalid_idempotency_key"


class FailingOnceApi(APIView):
    permission_classes = [IsAuthenticated]

    @idempotent
    def post(self, request):
        from common.errors import ApplicationError

        if not CALLS:
            CALLS.append({"failed": True})
            raise ApplicationError("not yet", code="try_again")
        return Response({"ok": True}, status=201)


def test_a_failed_request_frees_its_key_for_the_retry(buyer):
    def send():
        request = APIRequestFactory().post(
            "/api/v1/test/", {"a": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
        )
        force_authenticate(request, user=buyer)
        return FailingOnceApi.as_view()(request)

    assert send().status_code == 400
    assert send().status_code == 201
