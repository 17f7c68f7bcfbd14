"""Each JSON fast path gives what its standard-library twin gives (orders_app/clopos/jsontext.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from orders_app.clopos.jsontext import (
    JSON_NULL,
    canonical_json,
    canonical_json_stdlib,
    compact_json,
    json_or_null,
    storable_copy,
    storable_json,
)
from tests.strategies import json_values


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_json_is_its_standard_library_twin(value):
    try:
        expected = canonical_json_stdlib(value)
    except ValueError:
        with pytest.raises(ValueError):
            canonical_json(value)
        return
    assert json.loads(canonical_json(value)) == json.loads(expected)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_compact_json_means_what_the_standard_library_writes(value):
    clean = storable_copy(value)
    assert json.loads(compact_json(clean)) == json.loads(json.dumps(clean))


def test_storable_json_cleans_only_what_a_database_refuses():
    raw, text, cleaned = storable_json({"b": 1, "a": "x"})
    assert (raw, text, cleaned) == ({"b": 1, "a": "x"}, '{"a":"x","b":1}', False)
    raw, text, cleaned = storable_json({"n": float("nan"), "s": "a\x00b\ud800"})
    assert cleaned is True
    assert raw == {"n": "NaN", "s": "ab\ufffd"}
    assert text == canonical_json(raw)


def test_json_or_null_makes_none_json_null():
    assert json_or_null(None) is JSON_NULL
    assert JSON_NULL.text == "null"
    assert json_or_null([1]) == [1]
