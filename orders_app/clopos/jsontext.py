"""JSON text in and out of Pass: every JSON helper the client, the parser and sync use.

Each fast path is orjson with the standard library as its plain twin, and each gives exactly
what the standard library gives (tests/test_client_json.py and tests/test_payloads.py pin
them): orjson only where it is both faster and the same, the standard library for whatever
orjson refuses or would bend.

- ``load_json``: a response body to Python values.
- ``canonical_json`` (twin ``canonical_json_stdlib``): compact, sorted keys, NaN refused; the
  same text for the same content, hashed and stored.
- ``compact_json``: compact text of a value that came from a JSON document.
- ``storable_copy`` / ``storable_json``: a payload made safe for every database's JSON column.
- ``EncodedJSON`` / ``JSON_NULL`` / ``json_or_null``: a value travelling with its text already
  made, for writers that would otherwise serialise it again.
"""

from __future__ import annotations

import json
import math
import pickle  # only pickle.dumps, to look for non-finite floats: nothing is ever loaded
import re
from typing import Any

import orjson

_LONG_DIGITS = re.compile(rb"\d{19}")
_NON_FINITE_FLOAT = re.compile(rb"G[\x7f\xff][\xf0-\xff]")
_LONE_SURROGATE = re.compile(
    r"\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}"
)
_SURROGATES = re.compile("[\ud800-\udfff]")


def load_json(raw: bytes) -> Any:
    """JSON from a response body: orjson (the common case, several times faster), and the
    standard library for what orjson refuses but Clopos may still send (NaN and Infinity,
    integers beyond 64 bits, broken UTF-8 or lone surrogates): the payload parser then cleans
    those, as it always has. The standard library's error is the one raised.

    orjson turns integers beyond 64 bits into floats without a word, so a body with a run of 19
    or more digits goes to the standard library too (ids and phone numbers are far shorter)."""
    if _LONG_DIGITS.search(raw):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def canonical_json(value: Any) -> str:
    """``value`` as compact JSON with sorted keys: the same text for the same content.
    Raises ValueError for NaN or Infinity, which JSON (and the database) cannot hold.

    orjson writes it, because this runs on every order of every page. orjson writes NaN and
    Infinity as null instead of refusing them, so they are looked for apart: in a protocol-5
    pickle every float is the opcode ``G`` and eight big-endian bytes, and a non-finite one has
    all its exponent bits set. A match that is not a float after all (the same bytes inside a
    string or an integer) is settled by the standard library. Whatever orjson refuses (integers
    beyond 64 bits, lone surrogates) goes to the standard library as well, which then decides
    as it always did."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is one
        return canonical_json_stdlib(value)
    if _NON_FINITE_FLOAT.search(pickle.dumps(value, protocol=5)):
        canonical_json_stdlib(value)  # raises ValueError if there really is one
    return text.decode()


def canonical_json_stdlib(value: Any) -> str:
    """``canonical_json`` by the standard library alone: the plain twin it must equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def compact_json(value: Any) -> str:
    """Compact JSON text for storing a value that came from a JSON document (an item's or a
    modifier's raw part of an already cleaned order): orjson, or the standard library for what
    orjson refuses. Keys keep their order."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


def storable_copy(value: Any) -> Any:
    """A copy of ``value`` every database can store as JSON: NaN and Infinity become text,
    NUL characters are dropped and lone UTF-16 surrogates become U+FFFD (PostgreSQL refuses
    all three; Python's json module accepts them from a server)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, str):
        cleaned = value.replace("\x00", "")
        return _SURROGATES.sub("\ufffd", cleaned)
    if isinstance(value, dict):
        return {
            storable_copy(k) if isinstance(k, str) else k: storable_copy(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [storable_copy(v) for v in value]
    return value


def storable_json(raw: Any) -> tuple[Any, str, bool]:
    """``(raw, canonical JSON, cleaned)``: ``raw`` made safe to store when it has to be
    (``storable_copy``), with its canonical text; ``cleaned`` says whether it had to be."""
    try:
        text = canonical_json(raw)
    except ValueError:
        safe = storable_copy(raw)
        return safe, canonical_json(safe), True
    if "\\u0000" in text or ("\\ud" in text and _LONE_SURROGATE.search(text)):
        safe = storable_copy(raw)
        return safe, canonical_json(safe), True
    return raw, text, False


class EncodedJSON:
    """A JSON value with its text already made (see ParsedOrder.raw_json)."""

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text


# JSON null (Python None would be SQL NULL, which NOT NULL JSON columns refuse).
JSON_NULL = EncodedJSON(None, "null")


def json_or_null(value: Any) -> Any:
    """``value`` for a NOT NULL JSON column: None becomes JSON null, anything else is kept."""
    return JSON_NULL if value is None else value
