"""Events: list (filter by ``type``, with ``*`` wildcards, or ``types``) and retrieve."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from ..params import PAGINATION, STR
from ..routing import Call, Routes, paginate

ROUTES = Routes()


@ROUTES.api("GET", "/v1/events", {"type": STR, "types": [STR], **PAGINATION}, sdk="EventListParams")
def list_events(call: Call) -> dict[str, Any]:
    patterns = call.params.get("types") or ([call.params["type"]] if call.params.get("type") else ["*"])
    found = call.store.select(
        "event", call.account, lambda e: any(fnmatchcase(e["type"], p) for p in patterns)
    )
    return paginate(call, found, "/v1/events")


@ROUTES.api("GET", "/v1/events/{event}", sdk="EventRetrieveParams")
def retrieve(call: Call) -> dict[str, Any]:
    return call.store.get(call.args["event"], "event", call.account, param="id")
