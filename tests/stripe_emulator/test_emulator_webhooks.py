"""Webhooks: real signatures, retries with backoff, duplicates, out-of-order batches, endpoints, Events."""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import pytest
import stripe

from stripe_emulator.testing import WebhookReceiver
from stripe_emulator.webhooks import Endpoint, WebhookDispatcher


def test_every_delivery_carries_a_signature_construct_event_accepts(emulator, pay, receiver):
    pay()
    emulator.control.wait_for_webhooks()
    for delivery in receiver.acknowledged():
        event = stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_emulator")
        assert event.id.startswith("evt_") and event.livemode is False
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            receiver.acknowledged()[0].body, receiver.acknowledged()[0].signature, "whsec_other"
        )


def test_events_name_the_request_that_caused_them(emulator, receiver):
    stripe.Customer.create(idempotency_key="create-customer-1")
    emulator.control.wait_for_webhooks()
    [event] = receiver.events()
    assert event["request"]["idempotency_key"] == "create-customer-1"
    assert event["request"]["id"].startswith("req_")


def test_refused_deliveries_are_retried_until_acknowledged(emulator, receiver):
    receiver.refuse_next(3, status=500)
    stripe.Customer.create(email="retry@example.com")
    emulator.control.wait_for_webhooks()
    attempts = [(d["attempt"], d["status"]) for d in emulator.control.webhook_deliveries()]
    assert attempts == [(1, 500), (2, 500), (3, 500), (4, 200)]
    assert receiver.types() == ["customer.created"]


def test_backoff_doubles_up_to_the_cap():
    dispatcher = WebhookDispatcher(lambda: [], retry_base=1.0, retry_max=10.0)
    assert [dispatcher.delay_for(attempt) for attempt in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_unreachable_endpoint_is_retried_then_given_up_when_capped():
    from stripe_emulator.testing import start_emulator

    with start_emulator(webhook_urls=["http://127.0.0.1:9/unreachable"], webhook_max_attempts=3) as emulator:
        emulator.webhooks.publish([{"id": "evt_1", "type": "customer.created"}])
        emulator.control.wait_for_webhooks(timeout=5)
        deliveries = emulator.control.webhook_deliveries()
        assert [d["attempt"] for d in deliveries] == [1, 2, 3]
        assert all(d["status"] is None and d["error"] for d in deliveries)


def test_duplicate_delivery_of_the_next_event(emulator, receiver):
    emulator.control.duplicate_next_webhook()
    stripe.Customer.create()
    stripe.Customer.create()
    emulator.control.wait_for_webhooks()
    ids = [event["id"] for event in receiver.events()]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize("order", ["reverse", "shuffle"])
def test_held_batch_is_released_out_of_order(emulator, pay, receiver, order):
    emulator.control.hold_webhooks()
    pay()
    emulator.control.wait_for_webhooks()
    assert receiver.events() == []
    created = [event.id for event in stripe.Event.list().auto_paging_iter()][::-1]

    released = emulator.control.release_webhooks(order=order, seed=7)
    emulator.control.wait_for_webhooks()

    assert sorted(released) == sorted(created) and released != created
    assert [event["id"] for event in receiver.events()] == released


def test_endpoints_registered_through_the_api(emulator, pay, onboard):
    with WebhookReceiver() as only_succeeded, WebhookReceiver() as connect:
        endpoint = stripe.WebhookEndpoint.create(
            url=only_succeeded.url, enabled_events=["payment_intent.succeeded"]
        )
        stripe.WebhookEndpoint.create(url=connect.url, enabled_events=["*"], connect=True)
        assert endpoint.secret.startswith("whsec_")
        assert "secret" not in stripe.WebhookEndpoint.retrieve(endpoint.id)

        pay()
        onboard()
        emulator.control.wait_for_webhooks()

        [delivery] = only_succeeded.acknowledged()
        assert stripe.Webhook.construct_event(delivery.body, delivery.signature, endpoint.secret).type == (
            "payment_intent.succeeded"
        )
        assert connect.types() == ["account.updated"]

        stripe.WebhookEndpoint.modify(endpoint.id, disabled=True)
        pay()
        emulator.control.wait_for_webhooks()
        assert len(only_succeeded.acknowledged()) == 1
        assert stripe.WebhookEndpoint.delete(endpoint.id).deleted is True


def test_events_api_lists_filters_and_retrieves(emulator, pay, onboard):
    intent = pay()
    account = onboard()
    types = [event.type for event in stripe.Event.list()]
    assert types == ["payment_intent.succeeded", "charge.succeeded", "payment_intent.created"]
    succeeded = stripe.Event.list(type="payment_intent.succeeded").data[0]
    assert succeeded.data.object.id == intent.id
    assert len(stripe.Event.list(type="payment_intent.*").data) == 2
    assert stripe.Event.retrieve(succeeded.id).type == "payment_intent.succeeded"
    connected = stripe.Event.list(stripe_account=account.id).data
    assert [event.type for event in connected] == ["account.updated"]
    assert connected[0].account == account.id


def test_endpoint_filters_connect_and_platform_events():
    platform_only = Endpoint("http://x", connect=False, enabled_events=("charge.*",))
    assert platform_only.wants({"type": "charge.succeeded"})
    assert not platform_only.wants({"type": "charge.succeeded", "account": "acct_1"})
    assert not platform_only.wants({"type": "payout.paid"})
