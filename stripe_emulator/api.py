"""The Stripe API pipeline: delay fault, auth, routing, error fault, idempotency, handler, drop fault."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any

from . import forms
from .errors import StripeError
from .params import coerce
from .resources import API_ROUTES
from .resources.accounts import find_connected
from .responses import Response, json_response
from .routing import Call, Route, match
from .state import API_VERSION, PLATFORM, Store

if TYPE_CHECKING:
    from email.message import Message

    from .server import Emulator


def handle(emulator: Emulator, method: str, path: str, query: str, headers: Message, body: bytes) -> Response:
    delay = emulator.faults.take("delay", method, path)
    if delay:
        time.sleep(delay.seconds)
    request_id = Store.new_id("req_", 14)
    base_headers = {"Request-Id": request_id, "Stripe-Version": headers.get("Stripe-Version") or API_VERSION}
    try:
        _authenticate(headers.get("Authorization", ""))
        found = match(API_ROUTES, method, path)
        if found is None:
            raise StripeError(
                404,
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
            )
        error = emulator.faults.take("error", method, path)
        if error:
            raise error.error()
        raw = (
            forms.decode(query)
            if method != "POST"
            else forms.decode_body(body, headers.get("Content-Type", ""))
        )
        route, args = found
        response = _execute(emulator, route, args, raw, headers, request_id)
    except StripeError as exc:
        response = json_response(exc.status, exc.body())
    response.headers.update(base_headers)
    if emulator.faults.take("drop", method, path):
        response.drop = True
    return response


def _authenticate(authorization: str) -> None:
    scheme, _, credential = authorization.partition(" ")
    if scheme == "Basic":
        credential = base64.b64decode(credential).decode(errors="replace").partition(":")[0]
    elif scheme != "Bearer":
        credential = ""
    if not credential:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    if not credential.startswith(("sk_test_", "rk_test_")):
        raise StripeError(401, f"Invalid API Key provided: {credential[:8]}{'*' * 8}{credential[-4:]}")


def _execute(
    emulator: Emulator,
    route: Route,
    args: dict[str, str],
    raw: dict[str, Any],
    headers: Message,
    request_id: str,
) -> Response:
    account = headers.get("Stripe-Account") or PLATFORM
    key = headers.get("Idempotency-Key") if route.method == "POST" else None
    store = emulator.store
    with emulator.lock:
        if account != PLATFORM:
            find_connected(store, account)
            if route.platform_only:
                raise StripeError(
                    400, f"{route.method} {route.path} cannot be called with a Stripe-Account header."
                )
        fingerprint = json.dumps([route.method, route.path, args, raw], sort_keys=True)
        if key:
            replay = _replay(store, f"{account}|{key}", key, fingerprint)
            if replay:
                return replay
        store.request = {"id": request_id, "idempotency_key": key}
        try:
            params = coerce(raw, route.params)
            call = Call(store, params, args, account, emulator.base_url)
            status, data = 200, store.render(route.handler(call), params.get("expand"))
        except StripeError as exc:
            status, data = exc.status, exc.body()
        finally:
            store.request = {"id": None, "idempotency_key": None}
        # Stripe saves the result once the request has started executing: successes and card
        # errors, not validation errors (those can be retried with the same key after a fix).
        if key and (status < 400 or status == 402):
            store.idempotency[f"{account}|{key}"] = {
                "fingerprint": fingerprint,
                "status": status,
                "body": data,
            }
        events = store.take_outbox()
        if route.method != "GET":
            emulator.persist()
    response = json_response(status, data, {"Idempotency-Key": key} if key else None)
    response.events = events
    return response


def _replay(store: Store, slot: str, key: str, fingerprint: str) -> Response | None:
    saved = store.idempotency.get(slot)
    if saved is None:
        return None
    if saved["fingerprint"] != fingerprint:
        raise StripeError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a different "
            "request.",
            type="idempotency_error",
        )
    return json_response(
        saved["status"], saved["body"], {"Idempotency-Key": key, "Idempotent-Replayed": "true"}
    )
