"""Routes: an HTTP method and path template bound to a handler and its parameter spec."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import StripeError, invalid, missing_param
from .params import EXPAND, Spec
from .state import PLATFORM, Store


@dataclass
class Call:
    """One API call as a handler sees it."""

    store: Store
    params: dict[str, Any]
    args: dict[str, str]
    account: str
    base_url: str

    def require(self, name: str) -> Any:
        value = self.params.get(name)
        if value is None:
            raise missing_param(name)
        return value

    def has(self, name: str) -> bool:
        return name in self.params

    @property
    def on_platform(self) -> bool:
        return self.account == PLATFORM


Handler = Callable[[Call], dict[str, Any]]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    params: dict[str, Spec]
    # Name of the stripe-python TypedDict (``stripe.params.<name>``) these params must match.
    sdk_params: str | None = None
    platform_only: bool = False
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.method != "DELETE":  # Stripe's delete endpoints take no ``expand``
            self.params = {**self.params, **EXPAND}
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)
        self.regex = re.compile(f"^{pattern}$")


class Routes(list[Route]):
    """A module's routes, filled by the ``api`` decorator."""

    def api(
        self,
        method: str,
        path: str,
        params: dict[str, Spec] | None = None,
        *,
        sdk: str | None = None,
        platform_only: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.append(Route(method, path, handler, params or {}, sdk, platform_only))
            return handler

        return register


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        if route.method == method:
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
    return None


def paginate(call: Call, items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """Stripe's cursor pagination over ``items`` (already newest first)."""
    limit = call.params.get("limit") or 10
    if not 1 <= limit <= 100:
        raise invalid("This value must be between 1 and 100.", param="limit")
    if created := call.params.get("created"):
        items = [item for item in items if _created_within(item.get("created", 0), created)]
    ids = [item["id"] for item in items]
    after, before = call.params.get("starting_after"), call.params.get("ending_before")
    if after:
        items = items[_cursor(ids, after, "starting_after") + 1 :]
    elif before:
        items = items[: _cursor(ids, before, "ending_before")][-limit:]
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def _created_within(created: int, bounds: dict[str, int]) -> bool:
    return (
        ("gt" not in bounds or created > bounds["gt"])
        and ("gte" not in bounds or created >= bounds["gte"])
        and ("lt" not in bounds or created < bounds["lt"])
        and ("lte" not in bounds or created <= bounds["lte"])
    )


def _cursor(ids: list[str], object_id: str, param: str) -> int:
    try:
        return ids.index(object_id)
    except ValueError:
        raise StripeError(
            404, f"No such object: '{object_id}'", code="resource_missing", param=param
        ) from None
