"""The API's JSON renderer: DRF's output, produced by orjson.

DRF's JSONRenderer runs the standard library's encoder with a Python ``default`` hook; on a
catalogue page of 50 products (25 KiB) that was an eighth of the request. orjson writes the same
bytes for the types our serializers produce (dicts, lists, str, int, bool, None) several times
faster. Everything else goes through DRF's own encoder (``default``), so datetimes keep DRF's
"Z" form, Decimals, lazy translations and the rest render as before. Anything orjson refuses
(an integer over 64 bits, a non-string key), an ``indent`` asked for in the Accept header, or
settings other than DRF's compact, strict, Unicode defaults fall back to DRF's renderer, so the
output is the same, only cheaper (tests/common/test_renderers.py compares both on every kind of
value). One difference: a float NaN or infinity, which no serializer here produces, renders as
null where DRF's strict mode would raise.
"""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_drf_default = JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if indent is not None or not self.compact or self.ensure_ascii or not self.strict:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_drf_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: U+2028 and U+2029 escaped, so the output is also a JavaScript literal.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered
