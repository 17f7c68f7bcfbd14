"""Response bodies decode exactly as the standard library decodes them, only faster."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_app.clopos.jsontext import load_json as _loads
from tests.strategies import json_values


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN and ints never standing for floats."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=400, deadline=None)
@given(json_values, st.booleans())
def test_any_body_decodes_as_the_standard_library_decodes_it(value, ascii_only):
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError:
        with pytest.raises(ValueError):
            _loads(body)
        return
    assert same(_loads(body), expected)


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": 123456789012345678901234567890}',  # orjson alone would make this a float
        b'{"price": NaN, "fee": Infinity, "x": -Infinity}',
        b'{"total": 1e999}',
        b'{"name": "Ali\\ud800"}',
        b'{"a": 1, "a": 2}',
    ],
)
def test_what_orjson_refuses_or_bends_is_decoded_by_the_standard_library(body):
    assert same(_loads(body), json.loads(body))


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"<html>", b'{"a": }'])
def test_broken_bodies_still_raise_value_error(body):
    with pytest.raises(ValueError):
        _loads(body)
