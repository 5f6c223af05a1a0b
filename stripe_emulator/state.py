"""The emulator's state: every object, balance, idempotent response and pending event.

Objects are plain JSON-ready dicts exactly as the API returns them, plus internal keys that
start with ``_`` (never sent). Each object has an owner: ``PLATFORM`` or a connected account id,
which is how the ``Stripe-Account`` header scopes retrieval, balances and events.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import string
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import missing

PLATFORM = ""
PLATFORM_ACCOUNT_ID = "acct_emulatorplatform"
API_VERSION = "2026-10-28.endive"  # the version stripe-python 16.1 pins

_ALPHABET = string.ascii_letters + string.digits


def public(value: Any) -> Any:
    """A deep copy without the internal ``_`` keys."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


class Store:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # How many webhook endpoints will receive an event: set by the emulator.
        self.count_endpoints: Callable[[dict[str, Any]], int] = lambda event: 0
        # Set per API request so events can name the request that caused them.
        self.request: dict[str, Any] = {"id": None, "idempotency_key": None}
        self.reset()

    def reset(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, str] = {}
        self.balances: dict[str, dict[str, int]] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}
        self.seq = 0
        self.clock_offset = 0
        self.outbox: list[dict[str, Any]] = []

    # ---- time and ids ------------------------------------------------------------------

    def now(self) -> int:
        return int(self._clock()) + self.clock_offset

    @staticmethod
    def new_id(prefix: str, length: int = 24) -> str:
        return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))

    # ---- objects -----------------------------------------------------------------------

    def insert(self, obj: dict[str, Any], account: str) -> dict[str, Any]:
        self.seq += 1
        obj["_seq"] = self.seq
        self.objects[obj["id"]] = obj
        self.owners[obj["id"]] = account
        return obj

    def get(
        self, object_id: str, kind: str, account: str, *, label: str = "", param: str = "id"
    ) -> dict[str, Any]:
        """The object ``object_id`` of type ``kind`` visible from ``account``, or Stripe's 404."""
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind or self.owners[object_id] != account:
            raise missing(label or kind, object_id, param=param)
        return obj

    def find(self, object_id: str) -> dict[str, Any] | None:
        return self.objects.get(object_id)

    def owner(self, object_id: str) -> str:
        return self.owners[object_id]

    def select(
        self, kind: str, account: str, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[dict[str, Any]]:
        """Objects of a type visible from ``account``, newest first as Stripe lists them."""
        found = [
            obj
            for obj_id, obj in self.objects.items()
            if obj["object"] == kind and self.owners[obj_id] == account and (where is None or where(obj))
        ]
        return sorted(found, key=lambda obj: obj["_seq"], reverse=True)

    def delete(self, object_id: str) -> None:
        self.objects.pop(object_id, None)
        self.owners.pop(object_id, None)

    # ---- money -------------------------------------------------------------------------

    def available(self, account: str, currency: str) -> int:
        return self.balances.get(account, {}).get(currency, 0)

    def move(
        self,
        account: str,
        currency: str,
        amount: int,
        *,
        type: str,
        source: str,
        description: str | None = None,
    ) -> str:
        """Change ``account``'s available balance and record the balance transaction.

        Funds are available at once: the emulator has no pending period (test mode's
        ``4000000000000077`` card behaviour for every charge).
        """
        balances = self.balances.setdefault(account, {})
        balances[currency] = balances.get(currency, 0) + amount
        now = self.now()
        txn_id = self.new_id("txn_")
        txn: dict[str, Any] = {
            "id": txn_id,
            "object": "balance_transaction",
            "amount": amount,
            "available_on": now,
            "created": now,
            "currency": currency,
            "description": description,
            "exchange_rate": None,
            "fee": 0,
            "fee_details": [],
            "net": amount,
            "reporting_category": type,
            "source": source,
            "status": "available",
            "type": type,
        }
        self.insert(txn, account)
        return txn_id

    # ---- events ------------------------------------------------------------------------

    def emit(
        self, type: str, obj: dict[str, Any], account: str, previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Record the event Stripe would send; the server delivers the outbox after responding."""
        data: dict[str, Any] = {"object": public(obj)}
        if previous:
            data["previous_attributes"] = previous
        event: dict[str, Any] = {
            "id": self.new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": dict(self.request),
            "type": type,
        }
        if account != PLATFORM:
            event["account"] = account  # Connect events name the connected account
        event["pending_webhooks"] = self.count_endpoints(event)
        self.insert(event, account)
        self.outbox.append(event)
        return event

    def take_outbox(self) -> list[dict[str, Any]]:
        events, self.outbox = self.outbox, []
        return events

    # ---- rendering ---------------------------------------------------------------------

    def render(self, value: dict[str, Any], expand: list[str] | None = None) -> dict[str, Any]:
        """The response body: expansions applied (``latest_charge``, ``data.customer``), internals removed."""
        result = copy.deepcopy(value)
        for path in expand or []:
            result = self._expand(result, path.split("."))
        return public(result)

    def _expand(self, node: Any, parts: list[str]) -> Any:
        if not isinstance(node, dict) or not parts:
            return node
        head, rest = parts[0], parts[1:]
        # ``_line_items``-style internal keys hold lists that Stripe only returns when expanded.
        key = head if head in node else "_" + head
        if key not in node:
            return node
        value = node[key]
        if isinstance(value, str) and value in self.objects:
            value = copy.deepcopy(self.objects[value])
        elif key != head:
            value = copy.deepcopy(value)
        if rest:
            if isinstance(value, list):
                value = [self._expand(item, rest) for item in value]
            else:
                value = self._expand(value, rest)
        node[head] = value
        return node

    # ---- persistence -------------------------------------------------------------------

    _PERSISTED = ("objects", "owners", "balances", "idempotency", "links", "seq", "clock_offset")

    def dump(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._PERSISTED}

    def load(self, data: dict[str, Any]) -> None:
        for name in self._PERSISTED:
            if name in data:
                setattr(self, name, data[name])

    def save(self, path: Path) -> None:
        """Write atomically so a crash never leaves half a state file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.dump(), handle)
        os.replace(tmp, path)

    def load_file(self, path: Path) -> None:
        if path.exists():
            self.load(json.loads(path.read_text(encoding="utf-8")))
