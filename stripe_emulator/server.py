"""The emulator: one HTTP server with the Stripe API (``/v1``), hosted pages (``/pages``) and
test controls (``/_emulator``), and the state and webhook dispatcher behind them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from . import api, control, pages
from .client import EmulatorControl
from .errors import StripeError
from .faults import Faults
from .responses import Response, json_response
from .state import PLATFORM, Store
from .webhooks import DEFAULT_SECRET, Endpoint, WebhookDispatcher

logger = logging.getLogger("stripe_emulator")


class Emulator:
    """A running (or ready to run) emulator with its own state.

    ``port=0`` picks a free port. Webhooks go to ``webhook_urls`` (signed with ``webhook_secret``)
    and to endpoints registered at run time.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 12111,
        *,
        state_file: str | Path | None = None,
        webhook_urls: Iterable[str] = (),
        webhook_secret: str = DEFAULT_SECRET,
        public_url: str | None = None,
        webhook_retry_base: float = 1.0,
        webhook_retry_max: float = 60.0,
        webhook_max_attempts: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self._host = host
        self.store = Store(clock)
        self.state_file = Path(state_file) if state_file else None
        if self.state_file:
            self.store.load_file(self.state_file)
        self.faults = Faults()
        self.endpoints: list[Endpoint] = [Endpoint(url, webhook_secret) for url in webhook_urls]
        self.webhooks = WebhookDispatcher(
            self._all_endpoints,
            retry_base=webhook_retry_base,
            retry_max=webhook_retry_max,
            max_attempts=webhook_max_attempts,
        )
        self.store.count_endpoints = lambda event: len(self.webhooks.matching(event))
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._public_url = public_url.rstrip("/") if public_url else None
        self._thread: threading.Thread | None = None

    # ---- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """Where the SDK (``stripe.api_base``) and browsers reach this emulator."""
        if self._public_url:
            return self._public_url
        return f"http://{self._host}:{self.port}"

    @property
    def control(self) -> EmulatorControl:
        """A client for the test controls and hosted pages of this emulator."""
        return EmulatorControl(self.base_url)

    # ---- running -----------------------------------------------------------------------

    def start(self) -> Emulator:
        """Serve from a background thread (tests); returns at once."""
        self.webhooks.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the command line)."""
        self.webhooks.start()
        try:
            self._httpd.serve_forever()
        finally:
            self.webhooks.stop()
            self._httpd.server_close()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self.webhooks.stop()
        if self._thread:
            self._thread.join(timeout=5)

    # ---- state -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every object, balance, event, fault and queued webhook (configured endpoints stay)."""
        with self.lock:
            self.store.reset()
            self.faults.clear()
            self.webhooks.reset()
            self.persist()

    def persist(self) -> None:
        if self.state_file:
            with self.lock:
                self.store.save(self.state_file)

    def add_webhook_endpoint(self, endpoint: Endpoint) -> None:
        with self.lock:
            self.endpoints.append(endpoint)

    def _all_endpoints(self) -> list[Endpoint]:
        with self.lock:
            registered = [
                Endpoint(obj["url"], obj["_secret"], tuple(obj["enabled_events"]), bool(obj["_connect"]))
                for obj in self.store.select("webhook_endpoint", PLATFORM)
                if obj["status"] == "enabled"
            ]
            return [*self.endpoints, *registered]

    # ---- one request -------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: object, body: bytes) -> Response:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        try:
            if path.startswith("/v1/"):
                return api.handle(self, method, path, url.query, headers, body)  # type: ignore[arg-type]
            if path.startswith("/pages/"):
                return pages.handle(self, method, path, body)
            if path.startswith("/_emulator/"):
                return control.handle(self, method, path, url.query, body)
        except StripeError as exc:
            return json_response(exc.status, exc.body())
        return json_response(
            404, {"error": {"type": "invalid_request_error", "message": f"Unknown path {path}"}}
        )


def _handler_for(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's HTTP client expects
        server_version = "stripe-emulator"
        # Headers and body go out in separate writes: without this, Nagle plus delayed ACKs
        # add ~40 ms to every keep-alive request.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                response = emulator.respond(method, self.path, self.headers, body)
            except Exception:
                logger.exception("stripe emulator: unexpected error on %s %s", method, self.path)
                response = json_response(
                    500, {"error": {"type": "api_error", "message": "Emulator bug: see its log."}}
                )
            # Announce the events before answering, so a test that waits for webhooks right after
            # this response cannot miss them; deliver them only after the response is written.
            if response.events:
                emulator.webhooks.announce()
            try:
                if response.drop:
                    # Applied, but the client never hears back: it sees a connection error.
                    self.close_connection = True
                else:
                    self._write(response)
            finally:
                if response.events:
                    emulator.webhooks.publish(response.events, announced=True)

        def _write(self, response: Response) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, format: str, *args: object) -> None:
            logger.info("%s - %s", self.address_string(), format % args)

    return Handler
