"""Parsing Clopos payloads at the boundary: raw dicts in, frozen typed objects out.

- ``order.py``: an order, its items and modifiers (``parse_order`` -> ``ParsedOrder``), and
  its content hash.
- ``reference.py``: venues and sale types.
- ``readers.py``: the liberal readers both use (text, ids, decimals, booleans, timestamps),
  the warnings an order collects, and ``PayloadError`` for what cannot be stored at all.

The JSON helpers live in ``orders_app.clopos.jsontext``; the old names are kept here
(``canonical_json``, ``fast_json`` = ``compact_json``, ``json_safe`` = ``storable_copy``,
``storable`` = ``storable_json``) for code not yet importing from there.
"""

from __future__ import annotations

from orders_app.clopos.jsontext import canonical_json, compact_json, storable_copy, storable_json
from orders_app.clopos.payloads.order import (
    MODIFIER_SHAPES,
    PARSER_VERSION,
    ParsedItem,
    ParsedModifier,
    ParsedOrder,
    content_hash,
    parse_item,
    parse_modifier,
    parse_order,
)
from orders_app.clopos.payloads.readers import (
    PayloadError,
    compact,
    parse_timestamp,
    to_bool,
    to_decimal,
    to_int,
    to_optional_text,
    to_text,
)
from orders_app.clopos.payloads.reference import (
    ParsedSaleType,
    ParsedVenue,
    parse_sale_type,
    parse_venue,
)

# Old names of the JSON helpers (see the module docstring).
fast_json = compact_json
json_safe = storable_copy
storable = storable_json

__all__ = [
    "MODIFIER_SHAPES",
    "PARSER_VERSION",
    "ParsedItem",
    "ParsedModifier",
    "ParsedOrder",
    "ParsedSaleType",
    "ParsedVenue",
    "PayloadError",
    "canonical_json",
    "compact",
    "compact_json",
    "content_hash",
    "fast_json",
    "json_safe",
    "parse_item",
    "parse_modifier",
    "parse_order",
    "parse_sale_type",
    "parse_timestamp",
    "parse_venue",
    "storable",
    "storable_copy",
    "storable_json",
    "to_bool",
    "to_decimal",
    "to_int",
    "to_optional_text",
    "to_text",
]
