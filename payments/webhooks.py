"""Stripe webhooks: verify, store once, answer fast; process in a task (DESIGN.md, "Payments flow").

The view verifies the signature on the raw body, stores the event under its unique Stripe id
and enqueues ``payments.process_webhook_event``. The task runs the event's handler (see
payments.webhook_handlers) in the same database transaction that marks the event processed,
so an effect and its record commit together or not at all: a redelivered or retried event
finds the record and does nothing twice.

Handlers signal "this event concerns nothing of ours" (a payment made by another system on the
same Stripe account) by raising WebhookEventIgnored; the event is then recorded as ignored.
"""

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.api import error_body
from common.errors import ApplicationError
from payments import gateway
from payments.enums import WebhookEventStatus
from payments.gateway import StripeTemporaryError
from payments.models import WebhookEvent
from payments.tasks import process_webhook_event
from payments.webhook_handlers import HANDLERS

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent, dict[str, Any]], None]
FINISHED = frozenset({WebhookEventStatus.PROCESSED, WebhookEventStatus.IGNORED})


class WebhookEventIgnored(Exception):
    """Raised by a handler when the event concerns nothing of ours; the message says why."""


# ---------------------------------------------------------------- the endpoint


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """Stripe's webhook endpoint. 400 for anything unverified (nothing is stored); 200 otherwise,
    duplicates included, so Stripe stops redelivering."""
    signature = request.headers.get("Stripe-Signature", "")
    try:
        gateway.webhook_event_construct(payload=request.body, signature=signature)
        fields = _event_fields(request.body)
    except ApplicationError as exc:
        code, message = exc.code, exc.message
        if code == "invalid_signature" and not signature:
            code, message = "missing_signature", _("The Stripe-Signature header is missing.")
        logger.warning("webhook refused: %s", code)
        return JsonResponse(error_body(code, message), status=400)
    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(stripe_event_id=fields.pop("id"), defaults=fields)
        # A duplicate still `received` may be a redelivery after its enqueue failed (the answer
        # was then a 500): enqueue it again; processing twice is harmless.
        if created or event.status == WebhookEventStatus.RECEIVED:
            event_pk = event.pk
            transaction.on_commit(lambda: process_webhook_event.delay(event_pk))
    return JsonResponse({"received": True, "duplicate": not created})


def _event_fields(body: bytes) -> dict[str, Any]:
    """The columns of a verified event; a signed body that is not a Stripe event is refused."""
    payload = json.loads(body)  # verified, so valid JSON
    event_id, event_type, created = payload.get("id"), payload.get("type"), payload.get("created")
    if not (
        isinstance(event_id, str) and event_id and isinstance(event_type, str) and isinstance(created, int)
    ):
        raise ApplicationError(_("This is not a Stripe event."), code="invalid_event")
    return {
        "id": event_id,
        "type": event_type,
        "account": payload.get("account") or "",
        "payload": payload,
        "stripe_created": datetime.fromtimestamp(created, tz=UTC),
    }


# ---------------------------------------------------------------- processing


def webhook_event_process(*, event_id: int) -> WebhookEvent:
    """Run an event's handler once; return the event.

    Under the event's row lock: an event already processed or ignored returns at once; an
    unhandled type is ignored; the handler's effect and ``processed`` commit together. A
    handler's refusal (ApplicationError), a handler module that cannot be imported, or a bug
    mark the event failed with ``last_error``, its partial writes rolled back (staff retry it
    with webhook_event_reprocess). StripeTemporaryError propagates, nothing of the handler
    committed, so that the task retries. Every call counts an attempt.
    """
    try:
        return _event_process(event_id)
    except StripeTemporaryError as exc:
        WebhookEvent.objects.filter(pk=event_id).update(
            attempts=F("attempts") + 1, last_error=f"Stripe unavailable, will retry: {exc}"[:2000]
        )
        raise


@transaction.atomic
def _event_process(event_id: int) -> WebhookEvent:
    event = WebhookEvent.objects.select_for_update().get(pk=event_id)
    if event.status in FINISHED:
        return event
    event.attempts += 1
    path = HANDLERS.get(event.type)
    if path is None:
        return _event_finish(event, WebhookEventStatus.IGNORED, f"no handler for {event.type}")
    try:
        handler: Handler = import_string(path)
    except ImportError as exc:  # a handler module not deployed yet (another team's): retry later
        logger.error("webhook %s: handler %s cannot be imported: %s", event.stripe_event_id, path, exc)
        return _event_finish(event, WebhookEventStatus.FAILED, f"handler {path} unavailable: {exc}")
    data = (event.payload.get("data") or {}).get("object") or {}
    try:
        # A savepoint: a refused handler's partial writes roll back, the failure record stays.
        with transaction.atomic():
            handler(event, data)
    except WebhookEventIgnored as exc:
        return _event_finish(event, WebhookEventStatus.IGNORED, str(exc))
    except StripeTemporaryError:
        raise
    except ApplicationError as exc:
        logger.warning("webhook %s (%s) failed: %s", event.stripe_event_id, event.type, exc)
        return _event_finish(event, WebhookEventStatus.FAILED, str(exc))
    except Exception as exc:
        # A bug or malformed data: retrying cannot help, so record it for staff instead of looping.
        logger.exception("webhook %s (%s) crashed", event.stripe_event_id, event.type)
        return _event_finish(event, WebhookEventStatus.FAILED, f"{type(exc).__name__}: {exc}")
    return _event_finish(event, WebhookEventStatus.PROCESSED, "")


def _event_finish(event: WebhookEvent, status: str, note: str) -> WebhookEvent:
    event.status = status
    event.last_error = note[:2000]
    event.processed_at = timezone.now() if status in FINISHED else None
    event.save(update_fields=["status", "attempts", "last_error", "processed_at"])
    return event


def webhook_event_reprocess(*, event: WebhookEvent) -> WebhookEvent:
    """Staff: process a failed (or stuck received) event again, now; return it.

    Refuses an event already processed or ignored (``event_already_processed``).
    StripeTemporaryError propagates: try again later.
    """
    with transaction.atomic():
        locked = WebhookEvent.objects.select_for_update().get(pk=event.pk)
        if locked.status in FINISHED:
            raise ApplicationError(
                _("This event was already %(status)s.") % {"status": locked.get_status_display()},
                code="event_already_processed",
            )
        locked.status = WebhookEventStatus.RECEIVED
        locked.save(update_fields=["status"])
    return webhook_event_process(event_id=locked.pk)
