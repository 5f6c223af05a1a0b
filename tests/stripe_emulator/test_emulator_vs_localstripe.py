"""Cross-check against a peer: the subset both emulators cover must give the same outcomes.

``localstripe`` (PyPI) runs as a separate process. The shared subset: create and confirm a
PaymentIntent, a declined card, a partial and a full refund, and a signed webhook. The decline
uses ``pm_card_chargeCustomerFail``: localstripe declines ``pm_card_visa_chargeDeclined`` only
when it is attached to a customer, not when it is charged.
"""

# The SDK types every response field as optional and every id as "str | object"; these tests
# assert on concrete responses (and send deliberate typos), so those checks are off here.
# mypy: disable-error-code="union-attr,arg-type,index,operator"

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from stripe_emulator.testing import WebhookReceiver, configure_stripe, start_emulator

SECRET = "whsec_crosscheck"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("localstripe") is None:
        reason = "localstripe is not installed (pip install localstripe; it is in the dev dependencies)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    port = _free_port()
    workdir: Path = tmp_path_factory.mktemp("localstripe")
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"localstripe did not start (exit code {process.poll()})")
                time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _charge_id(intent: stripe.PaymentIntent) -> str:
    charge = intent.latest_charge
    return charge if isinstance(charge, str) else charge.id  # localstripe returns the object


def shared_subset(
    base_url: str, receiver: WebhookReceiver, register: Callable[[str], None]
) -> dict[str, Any]:
    """Run the scenario against ``base_url`` and describe what happened."""
    register(receiver.url)
    outcome: dict[str, Any] = {}
    with configure_stripe(base_url):
        intent = stripe.PaymentIntent.create(amount=2000, currency="usd", payment_method="pm_card_visa")
        outcome["created"] = intent.status
        intent = stripe.PaymentIntent.confirm(intent.id)
        outcome["confirmed"] = (intent.status, intent.amount, intent.currency)
        charge = stripe.Charge.retrieve(_charge_id(intent))
        outcome["charge"] = (charge.status, charge.paid, charge.captured, charge.amount_refunded)

        with pytest.raises(stripe.CardError) as raised:
            stripe.PaymentIntent.create(
                amount=2000, currency="usd", payment_method="pm_card_chargeCustomerFail", confirm=True
            )
        outcome["declined"] = (raised.value.http_status, raised.value.code)

        partial = stripe.Refund.create(payment_intent=intent.id, amount=500)
        charge = stripe.Charge.retrieve(_charge_id(intent))
        outcome["partial_refund"] = (partial.status, partial.amount, charge.amount_refunded, charge.refunded)

        other = stripe.PaymentIntent.create(
            amount=3000, currency="usd", payment_method="pm_card_visa", confirm=True
        )
        full = stripe.Refund.create(payment_intent=other.id)
        charge = stripe.Charge.retrieve(_charge_id(other))
        outcome["full_refund"] = (full.status, full.amount, charge.amount_refunded, charge.refunded)

    receiver.wait_for(lambda r: "payment_intent.succeeded" in r.types(), timeout=10)
    delivery = next(d for d in receiver.acknowledged() if d.event["type"] == "payment_intent.succeeded")
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, SECRET)
    outcome["webhook"] = (event.type, event.data.object.id == intent.id)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_wrong")
    return outcome


def test_emulator_and_localstripe_agree_on_the_shared_subset(localstripe):
    with start_emulator() as emulator, WebhookReceiver() as ours, WebhookReceiver() as theirs:
        emulator_outcome = shared_subset(
            emulator.base_url, ours, lambda url: emulator.control.add_webhook_endpoint(url, secret=SECRET)
        )
        localstripe_outcome = shared_subset(
            localstripe,
            theirs,
            lambda url: requests.post(
                f"{localstripe}/_config/webhooks/crosscheck", data={"url": url, "secret": SECRET}, timeout=5
            ).raise_for_status(),
        )
    assert emulator_outcome == localstripe_outcome
    assert emulator_outcome == {
        "created": "requires_confirmation",
        "confirmed": ("succeeded", 2000, "usd"),
        "charge": ("succeeded", True, True, 0),
        "declined": (402, "card_declined"),
        "partial_refund": ("succeeded", 500, 500, False),
        "full_refund": ("succeeded", 3000, 3000, True),
        "webhook": ("payment_intent.succeeded", True),
    }
