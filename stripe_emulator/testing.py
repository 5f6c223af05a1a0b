"""Test helpers: an in-process emulator, a webhook receiver, and SDK configuration.

with start_emulator() as emulator, WebhookReceiver() as receiver:
    emulator.control.add_webhook_endpoint(receiver.url)
    with configure_stripe(emulator.base_url):
        stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method="pm_card_visa", confirm=True)
    emulator.control.wait_for_webhooks()
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .server import Emulator

TEST_API_KEY = "sk_test_emulator"


@contextmanager
def start_emulator(
    *, webhook_retry_base: float = 0.01, webhook_retry_max: float = 0.2, **options: Any
) -> Iterator[Emulator]:
    """An emulator on a free port of 127.0.0.1, with webhook retries fast enough for tests."""
    emulator = Emulator(
        port=0, webhook_retry_base=webhook_retry_base, webhook_retry_max=webhook_retry_max, **options
    ).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@contextmanager
def configure_stripe(
    base_url: str, api_key: str = TEST_API_KEY, max_network_retries: int = 0
) -> Iterator[None]:
    """Point the ``stripe`` package's global configuration at ``base_url``; restore it afterwards."""
    import stripe

    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = api_key, base_url, max_network_retries
    try:
        yield
    finally:
        stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@dataclass
class ReceivedWebhook:
    body: str
    signature: str
    status: int

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class WebhookReceiver:
    """A tiny HTTP endpoint that records webhook deliveries and can refuse some of them."""

    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self._refuse: list[int] = []
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/stripe"

    def __enter__(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def refuse_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` deliveries with ``status`` so the emulator retries them."""
        with self._cond:
            self._refuse.extend([status] * count)

    def clear(self) -> None:
        with self._cond:
            self.received.clear()
            self._refuse.clear()

    def acknowledged(self) -> list[ReceivedWebhook]:
        with self._cond:
            return [hook for hook in self.received if 200 <= hook.status < 300]

    def events(self) -> list[dict[str, Any]]:
        return [hook.event for hook in self.acknowledged()]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]

    def wait_for(self, predicate: Callable[[WebhookReceiver], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"webhook condition not met; received {[h.event['type'] for h in self.received]}"
                    )
                self._cond.wait(remaining)

    def _record(self, body: str, signature: str) -> int:
        with self._cond:
            status = self._refuse.pop(0) if self._refuse else 200
            self.received.append(ReceivedWebhook(body, signature, status))
            self._cond.notify_all()
            return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status = receiver._record(body, self.headers.get("Stripe-Signature", ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
