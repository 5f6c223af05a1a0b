"""common.renderers.FastJSONRenderer writes the bytes DRF's JSONRenderer writes, faster."""

import datetime
import uuid
from collections import OrderedDict
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from common.renderers import FastJSONRenderer
from payments.enums import CommissionSource

KST = datetime.timezone(datetime.timedelta(hours=9))

VALUES = {
    "plain": {"id": 1, "title": "Print", "ok": True, "none": None, "nested": [{"a": [1, 2, {"b": "c"}]}]},
    "unicode": {"name": "민지의 스튜디오", "fr": "Café à emporter", "ja": "春のボーナス", "emoji": "🎁"},
    "line separators": {"text": "one\u2028two\u2029three"},
    "escapes": {"text": 'quote " backslash \\ newline \n tab \t control \x01 slash /'},
    "utc datetime": {"at": datetime.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=datetime.UTC)},
    "other zone": {"at": datetime.datetime(2026, 3, 1, 9, 30, tzinfo=KST)},
    "naive datetime": {"at": datetime.datetime(2026, 3, 1, 9, 30)},
    "date and time": {"day": datetime.date(2026, 3, 1), "time": datetime.time(9, 30, 5)},
    "duration": {"left": datetime.timedelta(days=2, seconds=5)},
    "decimal": {"rate": Decimal("12.50")},
    "uuid": {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "lazy translation": {"message": gettext_lazy("Too many requests.")},
    "choices": {"source": CommissionSource.SHOP_SALE},
    "floats": {"ratio": 0.1, "big": 1e300, "small": 5e-324, "whole": 2.0},
    "drf containers": ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
    "ordered": OrderedDict([("z", 1), ("a", 2)]),
    "huge integer": {"n": 2**70},
    "integer keys": {1: "one", 2: "two"},
    "tuple and set": {"pair": (1, 2)},
    "bytes": {"raw": b"abc"},
    "top-level list": [1, "two", None],
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_the_same_bytes_as_drfs_renderer(value):
    assert FastJSONRenderer().render(value) == JSONRenderer().render(value)


def test_an_indent_asked_for_is_honoured_as_drf_does():
    data = {"a": [1, 2]}
    media_type = "application/json; indent=2"
    assert FastJSONRenderer().render(data, media_type) == JSONRenderer().render(data, media_type)
    assert b"\n  " in FastJSONRenderer().render(data, media_type)


def test_nothing_renders_as_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


def test_the_api_answers_through_it(client, db):
    response = client.get("/api/v1/products/?page_size=5")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response.content == JSONRenderer().render(response.data)
