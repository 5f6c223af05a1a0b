"""Test controls under ``/_emulator/``: reset, faults, webhook switches, clock. JSON or form bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .faults import Fault
from .responses import Response, json_response
from .webhooks import DEFAULT_SECRET, Endpoint

if TYPE_CHECKING:
    from .server import Emulator

Control = Callable[["Emulator", dict[str, Any]], Response]


def handle(emulator: Emulator, method: str, path: str, query: str, body: bytes) -> Response:
    control = _CONTROLS.get((method, path.removeprefix("/_emulator")))
    if control is None:
        return json_response(
            404, {"error": {"type": "invalid_request_error", "message": f"No control {path}"}}
        )
    data: dict[str, Any] = dict(parse_qsl(query))
    if body:
        text = body.decode()
        data.update(json.loads(text) if text.lstrip().startswith("{") else dict(parse_qsl(text)))
    try:
        return control(emulator, data)
    except (ValueError, KeyError, TypeError) as exc:
        return json_response(400, {"error": {"type": "invalid_request_error", "message": str(exc)}})


def _ok(**extra: Any) -> Response:
    return json_response(200, {"ok": True, **extra})


def health(emulator: Emulator, data: dict[str, Any]) -> Response:
    return _ok(base_url=emulator.base_url)


def reset(emulator: Emulator, data: dict[str, Any]) -> Response:
    emulator.reset()
    return _ok()


def add_fault(emulator: Emulator, data: dict[str, Any]) -> Response:
    emulator.faults.add(Fault.from_dict(data))
    return _ok(faults=emulator.faults.pending())


def clear_faults(emulator: Emulator, data: dict[str, Any]) -> Response:
    emulator.faults.clear()
    return _ok()


def list_faults(emulator: Emulator, data: dict[str, Any]) -> Response:
    return _ok(faults=emulator.faults.pending())


def add_endpoint(emulator: Emulator, data: dict[str, Any]) -> Response:
    events = data.get("enabled_events") or ["*"]
    if isinstance(events, str):
        events = events.split(",")
    connect = data.get("connect")
    emulator.add_webhook_endpoint(
        Endpoint(
            data["url"],
            data.get("secret") or DEFAULT_SECRET,
            tuple(events),
            None if connect in (None, "") else connect in (True, "true"),
        )
    )
    return _ok()


def duplicate(emulator: Emulator, data: dict[str, Any]) -> Response:
    emulator.webhooks.duplicate_next(int(data.get("count", 1)))
    return _ok()


def hold(emulator: Emulator, data: dict[str, Any]) -> Response:
    emulator.webhooks.hold()
    return _ok()


def release(emulator: Emulator, data: dict[str, Any]) -> Response:
    seed = data.get("seed")
    order = emulator.webhooks.release(data.get("order", "reverse"), None if seed in (None, "") else int(seed))
    return _ok(event_ids=order)


def flush(emulator: Emulator, data: dict[str, Any]) -> Response:
    # No emulator lock here: a webhook handler may call back into the API while we wait.
    pending = emulator.webhooks.flush(float(data.get("timeout", 10)))
    return json_response(200 if pending == 0 else 504, {"ok": pending == 0, "pending": pending})


def deliveries(emulator: Emulator, data: dict[str, Any]) -> Response:
    return _ok(data=emulator.webhooks.log())


def advance_clock(emulator: Emulator, data: dict[str, Any]) -> Response:
    with emulator.lock:
        emulator.store.clock_offset += int(data["seconds"])
        return _ok(now=emulator.store.now())


def state(emulator: Emulator, data: dict[str, Any]) -> Response:
    with emulator.lock:
        return json_response(200, emulator.store.dump())


_CONTROLS: dict[tuple[str, str], Control] = {
    ("GET", "/health"): health,
    ("POST", "/reset"): reset,
    ("POST", "/faults"): add_fault,
    ("DELETE", "/faults"): clear_faults,
    ("GET", "/faults"): list_faults,
    ("POST", "/webhooks/endpoints"): add_endpoint,
    ("POST", "/webhooks/duplicate"): duplicate,
    ("POST", "/webhooks/hold"): hold,
    ("POST", "/webhooks/release"): release,
    ("POST", "/webhooks/flush"): flush,
    ("GET", "/webhooks/deliveries"): deliveries,
    ("POST", "/clock/advance"): advance_clock,
    ("GET", "/state"): state,
}
