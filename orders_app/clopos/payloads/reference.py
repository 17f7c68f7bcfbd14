"""Clopos reference data parsed at the boundary: venues and sale types (docs/clopos.md §6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orders_app.clopos.jsontext import storable_json
from orders_app.clopos.payloads.readers import PayloadError, to_int, to_text


@dataclass(frozen=True)
class ParsedVenue:
    id: int
    name: str
    raw: dict


@dataclass(frozen=True)
class ParsedSaleType:
    id: int
    name: str
    system_type: str
    channel: str
    raw: dict


def parse_venue(raw: Any) -> ParsedVenue:
    if not isinstance(raw, dict):
        raise PayloadError(f"venue is not a JSON object ({type(raw).__name__})")
    venue_id = to_int(raw.get("id"))
    if venue_id is None:
        raise PayloadError("venue has no integer id", remote_id=to_text(raw.get("id"), 64))
    return ParsedVenue(id=venue_id, name=to_text(raw.get("name"), 255), raw=storable_json(raw)[0])


def parse_sale_type(raw: Any) -> ParsedSaleType:
    if not isinstance(raw, dict):
        raise PayloadError(f"sale type is not a JSON object ({type(raw).__name__})")
    sale_type_id = to_int(raw.get("id"))
    if sale_type_id is None:
        raise PayloadError("sale type has no integer id", remote_id=to_text(raw.get("id"), 64))
    return ParsedSaleType(
        id=sale_type_id,
        name=to_text(raw.get("name"), 255),
        system_type=to_text(raw.get("system_type"), 32),
        channel=to_text(raw.get("channel"), 64),
        raw=storable_json(raw)[0],
    )
