"""Fault switches for tests: fail a request, drop a response, or delay responses.

Each fault matches API requests by optional method and path prefix and applies ``count`` times
(``None``: until cleared). Control endpoints and hosted pages are never affected.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .errors import StripeError

KINDS = ("error", "drop", "delay")


@dataclass
class Fault:
    kind: str
    method: str | None = None
    path: str | None = None
    count: int | None = 1
    # for "error": the response to send instead of handling the request
    status: int = 500
    type: str = "api_error"
    code: str | None = None
    message: str = "An error occurred with our connection to Stripe (injected by the emulator)."
    # for "delay"
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or path.startswith(self.path)
        )

    def error(self) -> StripeError:
        return StripeError(self.status, self.message, type=self.type, code=self.code)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        if data.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        count = data.get("count", 1)
        return cls(
            kind=data["kind"],
            method=data.get("method"),
            path=data.get("path"),
            count=None if count in (None, "", "null", "unlimited") else int(count),
            status=int(data.get("status", 500)),
            type=data.get("type", "api_error"),
            code=data.get("code"),
            message=data.get("message") or cls.message,
            seconds=float(data.get("seconds", 0.0)),
        )


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, kind: str, method: str, path: str) -> Fault | None:
        """The first armed fault of ``kind`` matching the request, used up by one application."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(fault).copy() for fault in self._faults]
