"""Decode Stripe's form encoding (``metadata[order]=1``, ``items[0][qty]=2``, ``expand[]=x``).

Everything decodes into nested dicts of strings; ``params.coerce`` later turns dicts with
numeric keys into lists where the parameter spec says a list, so ``metadata[0]`` stays a dict.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def split_key(key: str) -> list[str]:
    """``a[b][]`` -> ``["a", "b", ""]``."""
    head, _, rest = key.partition("[")
    if not rest:
        return [head]
    return [head, *_KEY_PART.findall("[" + rest)]


def decode(body: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        _insert(root, split_key(key), value)
    return root


def _insert(node: dict[str, Any], parts: list[str], value: str) -> None:
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part == "":
            # ``expand[]=a&expand[]=b``: each empty index appends a new element.
            part = str(len(node))
        if last:
            node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid parameter: {parts[0]} mixes a value and nested keys", param=parts[0])
        node = child


def decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    """The SDK sends form bodies; JSON is accepted too for curl and browser convenience."""
    if not body:
        return {}
    text = body.decode("utf-8")
    if content_type.startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise invalid("Invalid JSON body") from exc
        if not isinstance(data, dict):
            raise invalid("The JSON body must be an object")
        return _stringify(data)
    return decode(text)


def _stringify(value: Any) -> Any:
    """Make JSON values look like form values so one validator serves both encodings."""
    if isinstance(value, dict):
        return {str(k): _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): _stringify(v) for i, v in enumerate(value)}
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
