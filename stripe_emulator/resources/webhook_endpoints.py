"""Webhook endpoints registered at run time, as with Stripe's API (the secret shows on create only)."""

from __future__ import annotations

import secrets
from typing import Any

from ..errors import invalid
from ..params import BOOL, METADATA, PAGINATION, STR, merge_metadata
from ..routing import Call, Routes, paginate
from ..state import API_VERSION, PLATFORM

ROUTES = Routes()
KIND = "webhook_endpoint"


def _check(call: Call) -> None:
    url = call.params.get("url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise invalid("Invalid URL: must start with http:// or https://", param="url")
    events = call.params.get("enabled_events")
    if events is not None and not events:
        raise invalid("enabled_events must list at least one event type, or '*'.", param="enabled_events")


@ROUTES.api(
    "POST",
    "/v1/webhook_endpoints",
    {
        "url": STR,
        "enabled_events": [STR],
        "description": STR,
        "metadata": METADATA,
        "connect": BOOL,
        "api_version": STR,
    },
    sdk="WebhookEndpointCreateParams",
    platform_only=True,
)
def create(call: Call) -> dict[str, Any]:
    _check(call)
    store = call.store
    endpoint: dict[str, Any] = {
        "id": store.new_id("we_"),
        "object": KIND,
        "api_version": call.params.get("api_version") or API_VERSION,
        "application": None,
        "created": store.now(),
        "description": call.params.get("description"),
        "enabled_events": call.require("enabled_events"),
        "livemode": False,
        "metadata": merge_metadata({}, call.params.get("metadata"), call.has("metadata")),
        "status": "enabled",
        "url": call.require("url"),
        "_connect": bool(call.params.get("connect")),
        "_secret": "whsec_" + secrets.token_hex(16),
    }
    store.insert(endpoint, PLATFORM)
    return {**endpoint, "secret": endpoint["_secret"]}


def _get(call: Call) -> dict[str, Any]:
    return call.store.get(call.args["endpoint"], KIND, PLATFORM, param="id")


@ROUTES.api(
    "GET", "/v1/webhook_endpoints/{endpoint}", sdk="WebhookEndpointRetrieveParams", platform_only=True
)
def retrieve(call: Call) -> dict[str, Any]:
    return _get(call)


@ROUTES.api(
    "POST",
    "/v1/webhook_endpoints/{endpoint}",
    {"url": STR, "enabled_events": [STR], "description": STR, "metadata": METADATA, "disabled": BOOL},
    sdk="WebhookEndpointUpdateParams",
    platform_only=True,
)
def update(call: Call) -> dict[str, Any]:
    _check(call)
    endpoint = _get(call)
    for name in ("url", "enabled_events", "description"):
        if call.params.get(name) is not None:
            endpoint[name] = call.params[name]
    if call.params.get("disabled") is not None:
        endpoint["status"] = "disabled" if call.params["disabled"] else "enabled"
    endpoint["metadata"] = merge_metadata(
        endpoint["metadata"], call.params.get("metadata"), call.has("metadata")
    )
    return endpoint


@ROUTES.api(
    "DELETE", "/v1/webhook_endpoints/{endpoint}", sdk="WebhookEndpointDeleteParams", platform_only=True
)
def delete(call: Call) -> dict[str, Any]:
    endpoint = _get(call)
    call.store.delete(endpoint["id"])
    return {"id": endpoint["id"], "object": KIND, "deleted": True}


@ROUTES.api("GET", "/v1/webhook_endpoints", PAGINATION, sdk="WebhookEndpointListParams", platform_only=True)
def list_endpoints(call: Call) -> dict[str, Any]:
    return paginate(call, call.store.select(KIND, PLATFORM), "/v1/webhook_endpoints")
