"""Parameter specs: the names and types each endpoint accepts.

A spec is a leaf type (``STR``, ``INT``, ``BOOL``, ``METADATA``), a dict of named specs, or a
one-element list ``[spec]`` for arrays. Unknown names are rejected with Stripe's
``parameter_unknown`` error, and ``tests/stripe_emulator/test_contract.py`` checks every name
against the ``stripe`` package's own parameter TypedDicts.
"""

from __future__ import annotations

from typing import Any

from .errors import StripeError, invalid

STR = "string"
INT = "integer"
BOOL = "boolean"
METADATA = "metadata"

# A leaf type name, a dict of specs, or a one-element list ``[spec]``; typed loosely on purpose
# so that nested literals need no annotations.
Spec = Any

# Every endpoint takes ``expand``; list endpoints take the pagination cursor.
EXPAND: dict[str, Spec] = {"expand": [STR]}
PAGINATION: dict[str, Spec] = {"limit": INT, "starting_after": STR, "ending_before": STR, **EXPAND}
# The `created` range filter of the list endpoints that take one (paginate() applies it).
CREATED: dict[str, Spec] = {"created": {"gt": INT, "gte": INT, "lt": INT, "lte": INT}}


def coerce(raw: dict[str, Any], spec: dict[str, Spec]) -> dict[str, Any]:
    """Validate decoded form data against ``spec`` and convert the leaves to Python types."""
    return _coerce_dict(raw, spec, prefix="")


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _coerce(value: Any, spec: Spec, name: str) -> Any:
    if isinstance(spec, dict):
        if value == "":
            return None
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {name}", param=name)
        return _coerce_dict(value, spec, prefix=name)
    if isinstance(spec, list):
        return _coerce_list(value, spec[0], name)
    if spec == METADATA:
        return _coerce_metadata(value, name)
    if isinstance(value, dict):
        raise invalid(f"Invalid {spec}: {name} must be a {spec}, not a hash", param=name)
    if value == "":
        # An empty string unsets an optional field, as in Stripe.
        return None
    if spec == INT:
        return _coerce_int(value, name)
    if spec == BOOL:
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=name)
        return value == "true"
    return value


def _coerce_dict(value: dict[str, Any], spec: dict[str, Spec], prefix: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = _name(prefix, key)
        if key not in spec:
            raise StripeError(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )
        result[key] = _coerce(item, spec[key], name)
    return result


def _coerce_list(value: Any, item_spec: Spec, name: str) -> list[Any]:
    if value == "":
        return []
    if not isinstance(value, dict) or not all(key.isdigit() for key in value):
        raise invalid(f"Invalid array: {name}", param=name)
    ordered = sorted(value.items(), key=lambda pair: int(pair[0]))
    return [_coerce(item, item_spec, f"{name}[{index}]") for index, item in ordered]


def _coerce_int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise invalid(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer") from None


def _coerce_metadata(value: Any, name: str) -> dict[str, str] | None:
    if value == "":
        return None  # ``metadata=""`` clears all keys
    if not isinstance(value, dict) or any(isinstance(v, dict) for v in value.values()):
        raise invalid(f"Invalid hash: {name}", param=name)
    if len(value) > 50:
        raise invalid("Metadata can have at most 50 keys.", param=name)
    return dict(value)


def merge_metadata(current: dict[str, str], update: dict[str, str] | None, present: bool) -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value deletes a key, ``""`` clears all."""
    if not present:
        return current
    if update is None:
        return {}
    merged = dict(current)
    for key, item in update.items():
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    return merged
