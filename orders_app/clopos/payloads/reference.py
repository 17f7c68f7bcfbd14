"""Clopos reference data parsed at the boundary (docs/clopos.md §6): venues, sale types, and the
kitchen's stations, products and stop list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orders_app.clopos.jsontext import storable_json
from orders_app.clopos.payloads.readers import (
    PayloadError,
    first_set,
    parse_timestamp,
    to_int,
    to_text,
)


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


def _required_id(raw: Any, what: str) -> int:
    """The integer id of a reference item; PayloadError when it is not an object with one."""
    if not isinstance(raw, dict):
        raise PayloadError(f"{what} is not a JSON object ({type(raw).__name__})")
    item_id = to_int(raw.get("id"))
    if item_id is None:
        raise PayloadError(f"{what} has no integer id", remote_id=to_text(raw.get("id"), 64))
    return item_id


def parse_venue(raw: Any) -> ParsedVenue:
    venue_id = _required_id(raw, "venue")
    return ParsedVenue(id=venue_id, name=to_text(raw.get("name"), 255), raw=storable_json(raw)[0])


def parse_sale_type(raw: Any) -> ParsedSaleType:
    sale_type_id = _required_id(raw, "sale type")
    return ParsedSaleType(
        id=sale_type_id,
        name=to_text(raw.get("name"), 255),
        system_type=to_text(raw.get("system_type"), 32),
        channel=to_text(raw.get("channel"), 64),
        raw=storable_json(raw)[0],
    )


@dataclass(frozen=True)
class ParsedStation:
    id: int
    name: str
    kitchen: bool  # type 1 kitchen, 0 other (a bar); a station without a type counts as kitchen
    active: bool
    raw: dict


@dataclass(frozen=True)
class ParsedProduct:
    id: int
    name: str
    type: str
    station_id: int | None
    cooking_time: int | None  # minutes
    raw: dict


@dataclass(frozen=True)
class ParsedStopEntry:
    product_id: int
    limit: int  # 0: out ("86")
    at: datetime | None  # the entry's timestamp (ms in the docs)


def parse_station(raw: Any) -> ParsedStation:
    station_id = _required_id(raw, "station")
    kind = to_int(raw.get("type"))
    status = to_int(raw.get("status"))
    return ParsedStation(
        id=station_id,
        name=to_text(raw.get("name"), 255),
        kitchen=kind != 0,
        active=status != 0,
        raw=storable_json(raw)[0],
    )


def parse_product(raw: Any) -> ParsedProduct:
    product_id = _required_id(raw, "product")
    station = raw.get("station") if isinstance(raw.get("station"), dict) else {}
    cooking = to_int(raw.get("cooking_time"))
    return ParsedProduct(
        id=product_id,
        name=to_text(raw.get("name") or raw.get("full_name"), 255),
        type=to_text(raw.get("type"), 32).upper(),
        station_id=to_int(
            raw.get("station_id") if raw.get("station_id") is not None else station.get("id")
        ),
        cooking_time=cooking if cooking is not None and 0 < cooking < 24 * 60 else None,
        raw=storable_json(raw)[0],
    )


def parse_stop_entry(raw: Any) -> ParsedStopEntry:
    if not isinstance(raw, dict):
        raise PayloadError(f"stop-list entry is not a JSON object ({type(raw).__name__})")
    product_id = to_int(first_set(raw.get("id"), raw.get("product_id")))
    if product_id is None:
        raise PayloadError(
            "stop-list entry has no product id", remote_id=to_text(raw.get("id"), 64)
        )
    limit = to_int(raw.get("limit"))
    return ParsedStopEntry(
        product_id=product_id,
        limit=max(limit, 0) if limit is not None else 0,
        at=parse_timestamp(raw.get("timestamp")),
    )
