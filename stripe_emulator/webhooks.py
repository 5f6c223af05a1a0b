"""Webhook delivery: signed like Stripe, from a background thread, retried with backoff.

Each event goes to every matching endpoint as a ``Delivery``. A failed attempt (no 2xx) is
retried after ``retry_base * 2**(attempt-1)`` seconds, capped at ``retry_max``, until it is
acknowledged or ``max_attempts`` is reached (Stripe gives up after three days). The test
switches live here too: hold deliveries and release them out of order, deliver one twice.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

logger = logging.getLogger("stripe_emulator.webhooks")

DEFAULT_SECRET = "whsec_emulator"  # noqa: S105 - a public test value


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str = DEFAULT_SECRET
    enabled_events: tuple[str, ...] = ("*",)
    # None: platform and Connect events alike; True: Connect events only; False: platform only.
    connect: bool | None = None

    def wants(self, event: dict[str, Any]) -> bool:
        is_connect = "account" in event
        if self.connect is not None and self.connect != is_connect:
            return False
        return any(fnmatchcase(event["type"], pattern) for pattern in self.enabled_events)


@dataclass
class Delivery:
    endpoint: Endpoint
    event_id: str
    event_type: str
    payload: str
    attempts: int = 0


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value that ``stripe.Webhook.construct_event`` verifies."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class WebhookDispatcher:
    endpoints: Callable[[], list[Endpoint]]
    retry_base: float = 1.0
    retry_max: float = 60.0
    max_attempts: int | None = None
    timeout: float = 10.0
    _queue: list[tuple[float, int, Delivery]] = field(default_factory=list)
    _held: list[Delivery] = field(default_factory=list)
    _holding: bool = False
    _duplicates: int = 0
    _in_flight: int = 0
    _announced: int = 0
    _log: list[dict[str, Any]] = field(default_factory=list)
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _stopping: bool = False
    _thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stripe-emulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget queued and held deliveries, switches and the log (deliveries in flight finish)."""
        with self._cond:
            self._queue.clear()
            self._held.clear()
            self._holding = False
            self._duplicates = 0
            self._log.clear()
            self._cond.notify_all()

    # ---- publishing and test switches --------------------------------------------------

    def matching(self, event: dict[str, Any]) -> list[Endpoint]:
        return [endpoint for endpoint in self.endpoints() if endpoint.wants(event)]

    def announce(self) -> None:
        """A publication is coming: ``flush`` waits for it too."""
        with self._cond:
            self._announced += 1

    def publish(self, events: list[dict[str, Any]], announced: bool = False) -> None:
        # Endpoints are looked up before taking the condition: the lookup takes the emulator's lock.
        routed = [(event, json.dumps(event, indent=2), self.matching(event)) for event in events]
        with self._cond:
            if announced:
                self._announced -= 1
            for event, payload, endpoints in routed:
                for endpoint in endpoints:
                    copies = 1
                    if self._duplicates:
                        self._duplicates -= 1
                        copies = 2
                    for _ in range(copies):
                        delivery = Delivery(endpoint, event["id"], event["type"], payload)
                        if self._holding:
                            self._held.append(delivery)
                        else:
                            self._push(delivery, time.monotonic())
            self._cond.notify_all()

    def duplicate_next(self, count: int = 1) -> None:
        with self._cond:
            self._duplicates += count

    def hold(self) -> None:
        with self._cond:
            self._holding = True

    def release(self, order: str = "reverse", seed: int | None = None) -> list[str]:
        """Deliver the held batch out of order; returns the event ids in delivery order."""
        with self._cond:
            batch, self._held, self._holding = self._held, [], False
            if order == "reverse":
                batch.reverse()
            elif order == "shuffle":
                original = list(batch)
                random.Random(seed).shuffle(batch)
                if len(batch) > 1 and batch == original:
                    batch.reverse()  # a shuffle that changed nothing would not test anything
            elif order != "original":
                raise ValueError(f"unknown order {order!r}: use reverse, shuffle or original")
            now = time.monotonic()
            for delivery in batch:
                self._push(delivery, now)
            self._cond.notify_all()
            return [delivery.event_id for delivery in batch]

    def flush(self, timeout: float) -> int:
        """Wait until nothing is queued or being delivered; returns what is still pending."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight or self._announced:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return len(self._queue) + self._in_flight + self._announced

    def log(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._log)

    def delay_for(self, attempt: int) -> float:
        """Seconds before retrying after failed attempt number ``attempt`` (1-based)."""
        return min(self.retry_base * 2 ** (attempt - 1), self.retry_max)

    # ---- the delivery thread -----------------------------------------------------------

    def _push(self, delivery: Delivery, due: float) -> None:
        # The counter keeps deliveries due at the same time in publication order.
        heapq.heappush(self._queue, (due, next(self._counter), delivery))

    def _next_due(self) -> Delivery | None:
        with self._cond:
            while not self._stopping:
                if self._queue:
                    wait = self._queue[0][0] - time.monotonic()
                    if wait <= 0:
                        self._in_flight += 1
                        return heapq.heappop(self._queue)[2]
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        while (delivery := self._next_due()) is not None:
            delivery.attempts += 1
            status, error = self._send(delivery)
            with self._cond:
                self._log.append(
                    {
                        "event_id": delivery.event_id,
                        "type": delivery.event_type,
                        "url": delivery.endpoint.url,
                        "attempt": delivery.attempts,
                        "status": status,
                        "error": error,
                    }
                )
                acknowledged = status is not None and 200 <= status < 300
                if not acknowledged:
                    logger.warning(
                        "webhook %s %s to %s failed (attempt %d): %s",
                        delivery.event_type,
                        delivery.event_id,
                        delivery.endpoint.url,
                        delivery.attempts,
                        error or status,
                    )
                if not acknowledged and (self.max_attempts is None or delivery.attempts < self.max_attempts):
                    self._push(delivery, time.monotonic() + self.delay_for(delivery.attempts))
                self._in_flight -= 1
                self._cond.notify_all()

    def _send(self, delivery: Delivery) -> tuple[int | None, str | None]:
        body = delivery.payload.encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is configured by the developer
            delivery.endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(delivery.payload, delivery.endpoint.secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except (urllib.error.URLError, OSError) as exc:
            return None, str(exc)
