"""A Python client for the emulator's test controls and hosted pages (stdlib only).

The page helpers submit the same HTML forms a browser would, so they exercise the pages.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .webhooks import DEFAULT_SECRET


@dataclass
class PageResult:
    status: int
    location: str | None
    html: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # tests want to see where a page sends the browser


_opener = urllib.request.build_opener(_NoRedirect)


class EmulatorControl:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # ---- plumbing ----------------------------------------------------------------------

    def _send(
        self, method: str, path: str, body: bytes | None, content_type: str
    ) -> tuple[int, dict[str, str], str]:
        url = path if path.startswith("http") else self.base_url + path
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - local emulator URL
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()

    def _control(self, verb: str, route: str, /, **data: Any) -> dict[str, Any]:
        # Positional-only, so controls can take ``method`` and ``path`` fields of their own.
        payload = {key: value for key, value in data.items() if value is not None}
        body = json.dumps(payload).encode() if verb != "GET" else None
        status, _, text = self._send(verb, "/_emulator" + route, body, "application/json")
        result: dict[str, Any] = json.loads(text)
        if status >= 400 and status != 504:
            raise RuntimeError(f"emulator control {route} failed ({status}): {text}")
        return result

    def _form(self, url: str, fields: dict[str, str]) -> PageResult:
        status, headers, html = self._send(
            "POST", url, urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )
        return PageResult(status, headers.get("Location"), html)

    def page(self, url: str) -> PageResult:
        status, headers, html = self._send("GET", url, None, "")
        return PageResult(status, headers.get("Location"), html)

    # ---- state and faults --------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._control("GET", "/health")

    def reset(self) -> None:
        self._control("POST", "/reset")

    def fail_next(
        self,
        status: int = 500,
        *,
        type: str = "api_error",
        code: str | None = None,
        message: str | None = None,
        method: str | None = None,
        path: str | None = None,
        count: int | None = 1,
    ) -> None:
        """The next matching API request fails with this error and is not applied."""
        fault = {"status": status, "type": type, "code": code, "message": message}
        self._control("POST", "/faults", kind="error", method=method, path=path, count=_count(count), **fault)

    def drop_next_response(
        self, *, method: str | None = None, path: str | None = None, count: int = 1
    ) -> None:
        """The next matching API request is applied, but the connection closes without a response."""
        self._control("POST", "/faults", kind="drop", method=method, path=path, count=count)

    def delay(
        self, seconds: float, *, method: str | None = None, path: str | None = None, count: int | None = 1
    ) -> None:
        self._control(
            "POST", "/faults", kind="delay", seconds=seconds, method=method, path=path, count=_count(count)
        )

    def clear_faults(self) -> None:
        self._control("DELETE", "/faults")

    def advance_clock(self, seconds: int) -> int:
        return int(self._control("POST", "/clock/advance", seconds=seconds)["now"])

    # ---- webhooks ----------------------------------------------------------------------

    def add_webhook_endpoint(
        self,
        url: str,
        secret: str = DEFAULT_SECRET,
        enabled_events: list[str] | None = None,
        connect: bool | None = None,
    ) -> None:
        self._control(
            "POST",
            "/webhooks/endpoints",
            url=url,
            secret=secret,
            enabled_events=enabled_events,
            connect=connect,
        )

    def duplicate_next_webhook(self, count: int = 1) -> None:
        self._control("POST", "/webhooks/duplicate", count=count)

    def hold_webhooks(self) -> None:
        self._control("POST", "/webhooks/hold")

    def release_webhooks(self, order: str = "reverse", seed: int | None = None) -> list[str]:
        """Deliver the held batch ``reverse``d or ``shuffle``d; returns the event ids in delivery order."""
        return list(self._control("POST", "/webhooks/release", order=order, seed=seed)["event_ids"])

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Block until every queued delivery (retries included) is acknowledged or given up."""
        result = self._control("POST", "/webhooks/flush", timeout=timeout)
        if result["pending"]:
            raise TimeoutError(f"{result['pending']} webhook deliveries still pending after {timeout}s")

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return list(self._control("GET", "/webhooks/deliveries")["data"])

    # ---- hosted pages, as a browser would use them -------------------------------------

    def pay_checkout(
        self, session_url: str, card: str = "visa", email: str = "buyer@example.com"
    ) -> PageResult:
        """Submit the Checkout page's Pay form.

        Cards: ``visa``, ``chargeDeclined``, ``chargeDeclinedInsufficientFunds``.
        """
        return self._form(_page_url(session_url) + "/pay", {"card": card, "email": email})

    def cancel_checkout(self, session_url: str) -> PageResult:
        return self._form(_page_url(session_url) + "/cancel", {})

    def complete_onboarding(
        self, link_url: str, *, bank: str = "000123456789", action: str = "complete", business_name: str = ""
    ) -> PageResult:
        """Open an Account Link and submit its form; ``bank`` 000111111116 makes payouts fail."""
        opened = self.page(link_url)
        found = re.search(r'name="form_token" value="([^"]+)"', opened.html)
        if found is None:
            return opened  # expired or used: the error page that sends the browser to refresh_url
        fields = {
            "form_token": found.group(1),
            "bank": bank,
            "action": action,
            "business_name": business_name,
        }
        return self._form(link_url, fields)

    def authenticate(self, intent_id: str, *, succeed: bool = True) -> PageResult:
        """Answer the 3-D Secure page of a PaymentIntent in ``requires_action``."""
        return self._form(f"/pages/authenticate/{intent_id}", {"action": "complete" if succeed else "fail"})


def _count(count: int | None) -> int | str:
    return "unlimited" if count is None else count


def _page_url(session_url: str) -> str:
    if session_url.startswith("http"):
        return urlsplit(session_url).path
    return f"/pages/checkout/{session_url}"
