"""The small response type every part of the server returns, and JSON/HTML/redirect helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Events to deliver once the response is written, so a webhook never beats its API response.
    events: list[dict[str, Any]] = field(default_factory=list)
    # Close the connection without answering: the "apply but drop the response" fault.
    drop: bool = False


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, indent=2).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str) -> Response:
    return Response(303, b"", {"Location": location})
