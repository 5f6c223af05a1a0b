"""The Idempotency-Key header for API POSTs that move money (DESIGN.md, API).

Same key and same body → the stored response, replayed; same key with another body → 409.
A mobile client on a flaky network can retry a checkout or a refund without doing it twice.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import ApplicationError
from creators.selectors import user_from_request
from payments.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def _request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate an APIView's post(): honours Idempotency-Key for authenticated callers."""

    @functools.wraps(view_method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.META.get(HEADER, "").strip()
        if not key or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            raise ApplicationError(
                _("The Idempotency-Key header is too long."), code="invalid_idempotency_key"
            )
        record, replay = _claim(request, key)
        if replay is not None:
            return replay
        try:
            response = view_method(view, request, *args, **kwargs)
        except BaseException:
            # The service owns its transaction: an error means nothing was done, so the key is
            # free for a corrected retry.
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code < 500:  # a server error may be retried with the same key
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                status_code=response.status_code, response_body=response.data
            )
        else:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return response

    return wrapper


def _claim(request: Request, key: str) -> tuple[IdempotencyRecord, Response | None]:
    digest = _request_hash(request)
    user = user_from_request(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key, endpoint=request.path, request_hash=digest
            )
        return record, None
    except IntegrityError:
        record = IdempotencyRecord.objects.get(user=user, key=key)
    if record.request_hash != digest:
        raise ApplicationError(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
            status_code=409,
        )
    if record.status_code is None:
        raise ApplicationError(
            _("A request with this Idempotency-Key is still being processed; retry shortly."),
            code="request_in_progress",
            status_code=409,
        )
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return record, response
