"""Pytest fixtures for any test suite that talks to Stripe through the emulator.

Enable them with ``pytest_plugins = ["stripe_emulator.pytest_plugin"]`` in the root conftest,
or import the fixtures into a conftest. One emulator and one webhook receiver serve the
session; ``emulator`` resets both before each test and points the ``stripe`` package at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .client import EmulatorControl
from .server import Emulator
from .testing import WebhookReceiver, configure_stripe, start_emulator


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def emulator_server(webhook_receiver: WebhookReceiver) -> Iterator[Emulator]:
    with start_emulator() as emulator:
        emulator.control.add_webhook_endpoint(webhook_receiver.url)
        yield emulator


@pytest.fixture
def emulator(emulator_server: Emulator, webhook_receiver: WebhookReceiver) -> Iterator[Emulator]:
    """A clean emulator with ``stripe.api_base`` pointing at it for the duration of the test."""
    emulator_server.reset()
    emulator_server.webhooks.flush(timeout=2)  # let a delivery still in flight land before clearing
    webhook_receiver.clear()
    with configure_stripe(emulator_server.base_url):
        yield emulator_server
    emulator_server.faults.clear()


@pytest.fixture
def control(emulator: Emulator) -> EmulatorControl:
    return emulator.control


@pytest.fixture
def receiver(emulator: Emulator, webhook_receiver: WebhookReceiver) -> WebhookReceiver:
    """Every webhook the emulator delivered during this test (signed with ``whsec_emulator``)."""
    return webhook_receiver
