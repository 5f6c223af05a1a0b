"""The Stripe webhook endpoint and the event dispatcher (payments.webhooks).

Also home of the helpers the other payments tests use to feed real emulator deliveries to the
endpoint: ``feed`` (every delivery since the last call) and ``signed`` (sign a body by hand).
"""

import hashlib
import hmac
import json
import time

import pytest
import stripe
from django.urls import reverse

from common.errors import ApplicationError
from payments import webhooks
from payments.enums import CommissionSource, WebhookEventStatus
from payments.gateway import StripeTemporaryError
from payments.models import Payment, WebhookEvent
from payments.webhook_handlers import HANDLERS
from payments.webhooks import webhook_event_process, webhook_event_reprocess

SECRET = "whsec_emulator"
URL = "/webhooks/stripe/"


# ---------------------------------------------------------------- helpers shared with the other tests


def signature_for(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(
    event_type: str, obj: dict, *, event_id: str = "evt_test_1", created: int | None = None, **extra
):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()) if created is None else created,
            "data": {"object": obj},
            **extra,
        }
    )


def post(client, body: str, signature: str | None):
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    return client.post(URL, data=body, content_type="application/json", **headers)


class Feed:
    """Hands the emulator's webhook deliveries to our endpoint, as Stripe would, one request each.

    Each request's on_commit callbacks (the processing task, then settlement) run right after it,
    as a worker would run them.
    """

    def __init__(self, client, receiver, control, capture):
        self.client, self.receiver, self.control, self.capture = client, receiver, control, capture
        self.seen = 0

    def pending(self) -> list[tuple[str, str]]:
        """Deliveries not handed over yet, as (raw body, signature), in the order Stripe sent them."""
        self.control.wait_for_webhooks()
        hooks = self.receiver.acknowledged()[self.seen :]
        self.seen += len(hooks)
        return [(hook.body, hook.signature) for hook in hooks]

    def send(self, deliveries: list[tuple[str, str]]) -> None:
        for body, signature in deliveries:
            with self.capture(execute=True):
                response = post(self.client, body, signature)
            assert response.status_code == 200, response.content

    def __call__(self) -> list[str]:
        """Deliver everything new; return the event types delivered."""
        deliveries = self.pending()
        self.send(deliveries)
        return [json.loads(body)["type"] for body, _ in deliveries]


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks):
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


# ---------------------------------------------------------------- verification


def test_a_real_signed_event_is_stored_and_processed(feed, db):
    stripe.PaymentIntent.create(amount=1000, currency="usd")

    assert feed() == ["payment_intent.created"]

    event = WebhookEvent.objects.get()
    assert (event.type, event.account) == ("payment_intent.created", "")
    assert event.payload["data"]["object"]["amount"] == 1000
    # Nobody handles payment_intent.created: recorded as ignored, not an error.
    assert (event.status, event.attempts) == (WebhookEventStatus.IGNORED, 1)


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        (
            signature_for(event_body("payment_intent.succeeded", {}), secret="whsec_forged"),
            "invalid_signature",
        ),
        (None, "missing_signature"),
        (
            signature_for(event_body("payment_intent.succeeded", {}), timestamp=int(time.time()) - 301),
            "invalid_signature",
        ),
        ("garbage", "invalid_signature"),
    ],
    ids=["forged", "missing header", "stale", "garbage"],
)
def test_an_unverified_event_is_refused_and_not_stored(client, settings, db, signature, code):
    settings.STRIPE_WEBHOOK_SECRET = SECRET

    response = post(client, event_body("payment_intent.succeeded", {}), signature)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not WebhookEvent.objects.exists()


def test_events_signed_with_the_connect_endpoints_secret_are_accepted_too(client, settings, db):
    # Stripe signs connected accounts' events (payouts to their banks) on a second endpoint.
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
    body = event_body("payout.paid", {})

    accepted = post(client, body, signature_for(body, secret="whsec_connect"))
    refused = post(client, body, signature_for(body, secret="whsec_someone_else"))

    assert accepted.status_code == 200
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_signature")
    assert WebhookEvent.objects.count() == 1


def test_without_a_configured_secret_every_event_is_refused(client, settings, db):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = event_body("payment_intent.succeeded", {})

    response = post(client, body, signature_for(body))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "webhook_secret_missing")
    assert not WebhookEvent.objects.exists()


def test_a_signed_body_that_is_not_an_event_is_refused(client, settings, db):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    body = json.dumps({"hello": "world"})

    response = post(client, body, signature_for(body))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_event")


def test_only_post_is_allowed(client, db):
    assert client.get(URL).status_code == 405
    assert reverse("stripe-webhook") == URL


# ---------------------------------------------------------------- storing and dispatching


def test_a_duplicate_delivery_is_acknowledged_and_stored_once(
    client, settings, db, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    body = event_body("customer.created", {"id": "cus_1"}, account="acct_1")

    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = post(client, body, signature_for(body))
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = post(client, body, signature_for(body))

    assert first.json() == {"received": True, "duplicate": False}
    assert (second.status_code, second.json()["duplicate"]) == (200, True)
    event = WebhookEvent.objects.get()
    assert (event.account, event.status, event.attempts) == ("acct_1", WebhookEventStatus.IGNORED, 1)
    # The duplicate of an event already handled enqueues nothing.
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)


def stored(event_type: str, obj: dict | None = None, event_id: str = "evt_1") -> WebhookEvent:
    body = json.loads(event_body(event_type, obj or {}, event_id=event_id))
    return WebhookEvent.objects.create(
        stripe_event_id=event_id, type=event_type, payload=body, stripe_created="2026-01-01T00:00:00Z"
    )


def make_payment(reference: str = "order:1") -> Payment:
    return Payment.objects.create(
        reference=reference, source=CommissionSource.SHOP_SALE, amount_minor=1000, currency="USD", splits=[]
    )


def refusing_handler(event, data):
    make_payment(reference="written-then-refused")
    raise ApplicationError("Nothing to do with that.", code="refused")


def temporarily_failing_handler(event, data):
    make_payment(reference="written-then-retried")
    raise StripeTemporaryError("Stripe is down")


def working_handler(event, data):
    make_payment(reference=data["reference"])


def test_a_refused_event_is_failed_with_its_error_and_its_writes_rolled_back(db, monkeypatch):
    monkeypatch.setitem(HANDLERS, "test.refused", f"{__name__}.refusing_handler")
    event = stored("test.refused")

    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEventStatus.FAILED, 1)
    assert "refused: Nothing to do with that." in event.last_error
    assert not Payment.objects.exists()
    # A failed event is not retried by itself: processing it again changes nothing but attempts.
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEventStatus.FAILED, 2)


def test_staff_reprocess_a_failed_event_once_the_cause_is_fixed(db, monkeypatch):
    monkeypatch.setitem(HANDLERS, "test.fixed", f"{__name__}.refusing_handler")
    event = stored("test.fixed", {"reference": "order:7"})
    webhook_event_process(event_id=event.pk)

    monkeypatch.setitem(HANDLERS, "test.fixed", f"{__name__}.working_handler")
    webhook_event_reprocess(event=event)

    event.refresh_from_db()
    assert (event.status, event.last_error, event.attempts) == (WebhookEventStatus.PROCESSED, "", 2)
    assert event.processed_at is not None
    assert Payment.objects.filter(reference="order:7").exists()
    with pytest.raises(ApplicationError) as error:
        webhook_event_reprocess(event=event)
    assert error.value.code == "event_already_processed"


def test_a_handler_module_that_is_missing_fails_the_event_instead_of_crashing(db, monkeypatch):
    monkeypatch.setitem(HANDLERS, "test.missing", "payments.not_written_yet.handle_it")
    event = stored("test.missing")

    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookEventStatus.FAILED
    assert "payments.not_written_yet.handle_it" in event.last_error


def test_stripe_being_down_propagates_for_a_retry_and_commits_nothing(db, monkeypatch):
    monkeypatch.setitem(HANDLERS, "test.temporary", f"{__name__}.temporarily_failing_handler")
    event = stored("test.temporary")

    with pytest.raises(StripeTemporaryError):
        webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEventStatus.RECEIVED, 1)
    assert "Stripe is down" in event.last_error
    assert not Payment.objects.exists()


def test_a_processed_event_is_never_handled_twice(db, monkeypatch):
    monkeypatch.setitem(HANDLERS, "test.once", f"{__name__}.working_handler")
    event = stored("test.once", {"reference": "order:9"})

    webhook_event_process(event_id=event.pk)
    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEventStatus.PROCESSED, 1)
    assert Payment.objects.filter(reference="order:9").count() == 1


def test_a_handler_may_say_the_event_is_none_of_ours(db, monkeypatch):
    def not_ours(event, data):
        raise webhooks.WebhookEventIgnored("no payment for pi_elsewhere")

    monkeypatch.setattr(webhooks, "import_string", lambda path: not_ours)
    event = stored("payment_intent.succeeded")

    webhook_event_process(event_id=event.pk)

    event.refresh_from_db()
    assert (event.status, event.last_error) == (WebhookEventStatus.IGNORED, "no payment for pi_elsewhere")
