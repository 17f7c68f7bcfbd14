"""Parsing Clopos payloads at the boundary: raw dicts in, frozen typed objects out.

Clopos publishes little about what an order really contains (see ../shared/clopos/API.md), so
the parser is liberal: timestamps in several spellings become aware UTC datetimes, numbers
given as int, float or text become ``Decimal``, missing blocks (payload, meta, service,
customer) are simply empty, unknown statuses are kept as given, and modifiers are read in every
shape the notes list (API.md section 9, item 6). Anything that cannot be used becomes a warning
on the order; the raw payload is always kept whole beside the parsed columns.

Only an order that cannot be stored at all raises ``PayloadError``: not a JSON object, no
integer id, or no usable ``created_at``.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle  # only pickle.dumps, to look for non-finite floats: nothing is ever loaded
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from orders_app.text import search_text_for

# Bump when parsing changes what the columns hold: the content hash changes with it, so the
# next pass rewrites every order it reads with the new rules.
PARSER_VERSION = "1"

# DecimalField(max_digits=14, decimal_places=4) holds values below 10**10.
_MAX_AMOUNT = Decimal(10) ** 10
_MAX_TOTAL = Decimal(10) ** 12
_QUANTUM = Decimal("0.0001")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")

MODIFIER_SHAPES = ("modifier", "modificator", "id_name", "nested", "unknown")


class PayloadError(ValueError):
    """The payload cannot be stored at all; ``reason`` says why in plain words."""

    def __init__(self, reason: str, *, remote_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.remote_id = remote_id


@dataclass(frozen=True)
class ParsedModifier:
    position: int
    modifier_id: int | None
    name: str
    count: Decimal | None
    price: Decimal | None
    shape: str  # one of MODIFIER_SHAPES
    raw: Any


@dataclass(frozen=True)
class ParsedItem:
    position: int
    product_id: int | None
    name: str
    count: Decimal
    portion_size: Decimal | None
    price: Decimal | None
    line_total: Decimal | None
    status: str
    note: str
    raw: Any
    modifiers: tuple[ParsedModifier, ...] = ()


@dataclass(frozen=True)
class ParsedOrder:
    id: int
    venue_id: int | None
    sale_type_id: int | None
    type: str
    integration: str
    integration_uuid: str | None
    integration_id: str | None
    integration_status: str
    customer_ref_id: str | None
    status: str
    customer_remote_id: str
    customer_name: str
    customer_phone: str
    customer_address: str
    comment: str
    discount_type: str
    discount_value: Decimal | None
    service_charge_enabled: bool | None
    service_charge_value: Decimal | None
    delivery_fee: Decimal | None
    item_count: Decimal
    items_total: Decimal | None
    created_at: datetime
    updated_at: datetime
    search_text: str
    raw: dict
    content_hash: str
    items: tuple[ParsedItem, ...] = ()
    warnings: tuple[str, ...] = ()
    # ``raw`` as canonical JSON (sorted keys): hashed for content_hash, and stored as is on
    # SQLite so the payload is serialised once per order, not twice.
    raw_json: str = ""

    # The Order columns this object fills (everything but the ones sync owns).
    COLUMNS = (
        "venue_id",
        "sale_type_id",
        "type",
        "integration",
        "integration_uuid",
        "integration_id",
        "integration_status",
        "customer_ref_id",
        "status",
        "customer_remote_id",
        "customer_name",
        "customer_phone",
        "customer_address",
        "comment",
        "discount_type",
        "discount_value",
        "service_charge_enabled",
        "service_charge_value",
        "delivery_fee",
        "item_count",
        "items_total",
        "created_at",
        "updated_at",
        "search_text",
        "raw",
        "content_hash",
    )

    def columns(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.COLUMNS}
        values["parse_warnings"] = list(self.warnings)
        return values


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


# --- Small liberal converters -------------------------------------------------------------------


@dataclass
class _Notes:
    """Warnings collected while parsing one order."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)


def _obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _path(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _first(*values: Any) -> Any:
    """The first value that is not None (and not an empty string)."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def compact(value: Any, limit: int = 255) -> str:
    """A short one-line text rendering of any JSON value (for things we cannot read)."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_text(value: Any, limit: int | None = None) -> str:
    """Any value as text: None is empty, objects are rendered compactly, kept verbatim
    otherwise (escaping is the template's job), cut to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        text = str(value)
    else:
        text = compact(value, limit or 10_000)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def to_optional_text(value: Any, limit: int) -> str | None:
    return None if value is None else to_text(value, limit)


_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # BigIntegerField


def to_int(value: Any) -> int | None:
    """An integer id from int, integral float or digit text, within a 64-bit column; anything
    else is None."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d{1,19}", text):
            number = int(text)
        elif re.fullmatch(r"[+-]?\d{1,19}\.0*", text):
            number = int(text.split(".")[0])
    if number is None or not _INT_MIN <= number <= _INT_MAX:
        return None
    return number


def _label(what: str | tuple[str, ...]) -> str:
    """Warning labels are built only when a warning is written (parsing stays cheap)."""
    return what if isinstance(what, str) else " ".join(what)


def to_decimal(
    value: Any, *, what: str | tuple[str, ...], notes: _Notes, limit: Decimal = _MAX_AMOUNT
) -> Decimal | None:
    """A Decimal (4 places) from int, float or text ("8.5", "8,50"); None when absent.
    A value we cannot read becomes None and a warning naming ``what``."""
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is int and abs(value) < limit:
        return Decimal(value).quantize(_QUANTUM)
    if kind is float and abs(value) < limit and value == value:
        return Decimal(repr(value)).quantize(_QUANTUM)
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if _NUMBER.match(text):
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                number = None
    if number is None or not number.is_finite():
        notes.add(f"{_label(what)}: {compact(value, 40)!s} is not a number")
        return None
    if abs(number) >= limit:
        notes.add(f"{_label(what)}: {compact(value, 40)!s} is out of range")
        return None
    return number.quantize(_QUANTUM)


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
    return None


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from the spellings Clopos uses, or None.

    ``2026-02-02T13:45:53.000000Z``, ISO 8601 with an offset, ``2026-02-02 13:45:53`` (the
    envelope's UTC format), and epoch seconds or milliseconds as numbers.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:  # the common spellings, in one C call
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_unusual_timestamp(value)
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_unusual_timestamp(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return parse_timestamp(int(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if _FRACTION.search(text):
        text = _FRACTION.sub(r"\1", text)  # nanoseconds: keep microseconds
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def canonical_json(raw: Any) -> str:
    """``raw`` as compact JSON with sorted keys: the same text for the same content.
    Raises ValueError for NaN or Infinity, which JSON (and the database) cannot hold.

    orjson writes it (~4 µs for a 2 KB order against ~30 µs for the standard library, on every
    order of every page). orjson writes NaN and Infinity as null instead of refusing them, so
    they are looked for apart: in a protocol-5 pickle every float is the opcode ``G`` and eight
    big-endian bytes, and a non-finite one has all its exponent bits set (~5 µs). A match that
    is not a float after all (the same bytes inside a string or an integer) is settled by the
    standard library. Whatever orjson refuses (integers beyond 64 bits, lone surrogates) goes
    to the standard library as well, which then decides as it always did."""
    try:
        text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is one
        return _stdlib_canonical_json(raw)
    if _NON_FINITE_FLOAT.search(pickle.dumps(raw, protocol=5)):
        _stdlib_canonical_json(raw)  # raises ValueError if there really is one
    return text.decode()


_NON_FINITE_FLOAT = re.compile(rb"G[\x7f\xff][\xf0-\xff]")


def _stdlib_canonical_json(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), allow_nan=False)


def fast_json(value: Any) -> str:
    """Compact JSON text for storing a value that came from a JSON document (an item's or a
    modifier's raw part of an already cleaned order): orjson, or the standard library for what
    orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))


_LONE_SURROGATE = re.compile(
    r"\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}"
)
_SURROGATES = re.compile("[\ud800-\udfff]")


def json_safe(value: Any) -> Any:
    """A copy of ``value`` every database can store as JSON: NaN and Infinity become text,
    NUL characters are dropped and lone UTF-16 surrogates become U+FFFD (PostgreSQL refuses
    all three; Python's json module accepts them from a server)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, str):
        cleaned = value.replace("\x00", "")
        return _SURROGATES.sub("\ufffd", cleaned)
    if isinstance(value, dict):
        return {json_safe(k) if isinstance(k, str) else k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def storable(raw: Any) -> tuple[Any, str, bool]:
    """``(raw, canonical JSON, cleaned)``: ``raw`` made safe to store when it has to be."""
    try:
        text = canonical_json(raw)
    except ValueError:
        safe = json_safe(raw)
        return safe, canonical_json(safe), True
    if "\\u0000" in text or ("\\ud" in text and _LONE_SURROGATE.search(text)):
        safe = json_safe(raw)
        return safe, canonical_json(safe), True
    return raw, text, False


def content_hash(raw: Any, *, canonical: str | None = None) -> str:
    """sha256 of the canonical JSON of ``raw`` (and the parser version)."""
    if canonical is None:
        canonical = canonical_json(raw)
    return hashlib.sha256(f"{PARSER_VERSION}\n{canonical}".encode()).hexdigest()


# --- Modifiers ----------------------------------------------------------------------------------


def parse_modifier(raw: Any, *, position: int, notes: _Notes, where: str) -> ParsedModifier:
    """One modifier in any of the shapes the API notes list; anything else is kept as text."""
    what = (where, "modifier", str(position + 1))
    if isinstance(raw, dict):
        nested = raw.get("modificator")
        if isinstance(nested, dict):
            shape = "nested"
            modifier_id = to_int(_first(nested.get("id"), raw.get("modificator_id")))
            name = to_text(_first(nested.get("name"), raw.get("name")), 255)
            price_raw = _first(raw.get("price"), nested.get("price"))
        elif "modifier_id" in raw or "modifier_name" in raw:
            shape = "modifier"
            modifier_id = to_int(raw.get("modifier_id"))
            name = to_text(_first(raw.get("modifier_name"), raw.get("name")), 255)
            price_raw = raw.get("price")
        elif "modificator_id" in raw:
            shape = "modificator"
            modifier_id = to_int(raw.get("modificator_id"))
            name = to_text(_first(raw.get("name"), raw.get("modificator_name")), 255)
            price_raw = raw.get("price")
        elif "id" in raw and "name" in raw:
            shape = "id_name"
            modifier_id = to_int(raw.get("id"))
            name = to_text(raw.get("name"), 255)
            price_raw = raw.get("price")
        else:
            shape = "unknown"
        if shape != "unknown":
            count = to_decimal(raw.get("count"), what=(*what, "count"), notes=notes)
            price = to_decimal(price_raw, what=(*what, "price"), notes=notes)
            if not name:
                name = compact(raw)
                notes.add(f"{_label(what)} has no name; shown as raw text")
            return ParsedModifier(position, modifier_id, name, count, price, shape, raw)
    notes.add(f"{_label(what)} has an unknown shape; shown as raw text")
    return ParsedModifier(position, None, compact(raw), None, None, "unknown", raw)


def _modifier_list(item: dict, notes: _Notes, where: str) -> list[Any]:
    for value in (
        item.get("product_modificators"),
        item.get("modifiers"),
        _path(item, "meta", "order_product", "product_modificators"),
    ):
        if isinstance(value, list) and value:
            return value
        if isinstance(value, dict) and value:
            notes.add(f"{where} modifiers are an object, not a list")
            return [value]
    return []


# --- Items --------------------------------------------------------------------------------------


def parse_item(raw: Any, *, position: int, notes: _Notes) -> ParsedItem:
    where = f"item {position + 1}"
    item = _obj(raw)
    if not isinstance(raw, dict):
        notes.add(f"{where} is not an object; shown as raw text")
    meta = _obj(item.get("meta"))
    order_product = _obj(meta.get("order_product"))
    product = _obj(order_product.get("product"))

    product_id = to_int(_first(item.get("product_id"), product.get("id")))
    name = to_text(_first(product.get("name"), item.get("product_name"), item.get("name")), 255)
    if not name:
        if not isinstance(raw, dict):
            name = compact(raw)
        else:
            name = f"Product #{product_id}" if product_id is not None else "Unnamed item"
            notes.add(f"{where} has no product name")
    count = to_decimal(
        _first(item.get("count"), order_product.get("count")), what=(where, "count"), notes=notes
    )
    if count is None:
        count = Decimal(1).quantize(_QUANTUM)
        if isinstance(raw, dict):
            notes.add(f"{where} has no count; shown as 1")
    portion_size = to_decimal(item.get("portion_size"), what=(where, "portion"), notes=notes)
    price = to_decimal(
        _first(meta.get("price"), product.get("price"), item.get("price")),
        what=(where, "price"),
        notes=notes,
    )
    line_total = None
    if price is not None:
        line_total = (price * count).quantize(_QUANTUM)
        if abs(line_total) >= _MAX_TOTAL:
            notes.add(f"{where} total is out of range")
            line_total = None
    status = to_text(_first(order_product.get("status"), item.get("status")), 64)
    note = to_text(_first(item.get("note"), item.get("comment"), order_product.get("note")))
    modifiers = tuple(
        parse_modifier(m, position=i, notes=notes, where=where)
        for i, m in enumerate(_modifier_list(item, notes, where))
    )
    return ParsedItem(
        position=position,
        product_id=product_id,
        name=name,
        count=count,
        portion_size=portion_size,
        price=price,
        line_total=line_total,
        status=status,
        note=note,
        raw=raw,
        modifiers=modifiers,
    )


# --- Orders -------------------------------------------------------------------------------------


def parse_order(raw: Any) -> ParsedOrder:
    """One order from ``GET /orders`` (or ``/orders/{id}``) as a ParsedOrder.

    Raises PayloadError only when the order is unusable: not an object, no integer id, or no
    parseable ``created_at``.
    """
    if not isinstance(raw, dict):
        raise PayloadError(f"order is not a JSON object ({type(raw).__name__})")
    raw, raw_json, cleaned = storable(raw)
    remote_id = to_text(raw.get("id"), 64)
    order_id = to_int(raw.get("id"))
    if order_id is None:
        reason = "order has no id" if not remote_id else f"order id {remote_id!r} is not a number"
        raise PayloadError(reason, remote_id=remote_id)
    created_at = parse_timestamp(raw.get("created_at"))
    if created_at is None:
        value = raw.get("created_at")
        reason = (
            "order has no created_at"
            if value in (None, "")
            else f"created_at {compact(value, 40)!r} is not a date and time"
        )
        raise PayloadError(reason, remote_id=remote_id)

    notes = _Notes()
    if cleaned:
        notes.add("payload had NaN/Infinity, NUL or broken characters; stored cleaned")
    updated_at = parse_timestamp(raw.get("updated_at"))
    if updated_at is None:
        notes.add("updated_at missing or unreadable; using created_at")
        updated_at = created_at

    payload = raw.get("payload")
    if payload is not None and not isinstance(payload, dict):
        notes.add("payload is not an object")
    payload = _obj(payload)
    service = _obj(payload.get("service"))
    meta = _obj(payload.get("meta"))
    customer_raw = payload.get("customer")
    if customer_raw is not None and not isinstance(customer_raw, dict):
        notes.add("customer is not an object")
    customer = _obj(customer_raw)

    discount = _obj(_first(meta.get("discount"), payload.get("discount")))
    service_charge = _obj(payload.get("service_charge"))

    products = payload.get("products")
    if products is None:
        products = []
    elif not isinstance(products, list):
        notes.add("products is not a list")
        products = [products]
    items = tuple(parse_item(p, position=i, notes=notes) for i, p in enumerate(products))

    item_count = sum((i.count for i in items), Decimal(0)).quantize(_QUANTUM)
    if abs(item_count) >= _MAX_AMOUNT:
        notes.add("item count is out of range")
        item_count = Decimal(0).quantize(_QUANTUM)
    priced = [i.line_total for i in items if i.line_total is not None]
    items_total = sum(priced, Decimal(0)).quantize(_QUANTUM) if priced else None
    if items_total is not None and abs(items_total) >= _MAX_TOTAL:
        notes.add("items total is out of range")
        items_total = None

    customer_name = to_text(customer.get("name"), 255)
    customer_phone = to_text(_first(customer.get("phone"), _first_phone(customer)), 64)
    customer_address = to_text(customer.get("address"))
    comment = to_text(_first(meta.get("comment"), payload.get("comment")))
    venue_id = to_int(_first(raw.get("venue_id"), service.get("venue_id")))
    sale_type_id = to_int(_first(service.get("sale_type_id"), payload.get("sale_type_id")))
    service_charge_enabled = to_bool(
        _first(meta.get("apply_service_charge"), service_charge.get("enabled"))
    )
    service_charge_value = to_decimal(
        _first(meta.get("service_charge_value"), service_charge.get("value")),
        what="service charge",
        notes=notes,
    )
    status = to_text(raw.get("status"), 32)
    if not status:
        notes.add("order has no status")

    search_text = search_text_for(
        order_id=order_id,
        customer_name=customer_name,
        customer_phone=customer_phone,
        customer_address=customer_address,
        comment=comment,
        item_names=[i.name for i in items],
        modifier_names=[m.name for i in items for m in i.modifiers],
        notes=[i.note for i in items if i.note],
        extra=[
            to_text(v)
            for v in (raw.get("integration_id"), raw.get("customer_ref_id"))
            if v not in (None, "")
        ],
    )

    return ParsedOrder(
        id=order_id,
        venue_id=venue_id,
        sale_type_id=sale_type_id,
        type=to_text(raw.get("type"), 64),
        integration=to_text(raw.get("integration"), 64),
        integration_uuid=to_optional_text(raw.get("integration_uuid"), 255),
        integration_id=to_optional_text(raw.get("integration_id"), 255),
        integration_status=to_text(raw.get("integration_status"), 64),
        customer_ref_id=to_optional_text(raw.get("customer_ref_id"), 255),
        status=status,
        customer_remote_id=to_text(customer.get("id"), 64),
        customer_name=customer_name,
        customer_phone=customer_phone,
        customer_address=customer_address,
        comment=comment,
        discount_type=to_text(discount.get("discount_type"), 32),
        discount_value=to_decimal(discount.get("discount_value"), what="discount", notes=notes),
        service_charge_enabled=service_charge_enabled,
        service_charge_value=service_charge_value,
        delivery_fee=to_decimal(payload.get("delivery_fee"), what="delivery fee", notes=notes),
        item_count=item_count,
        items_total=items_total,
        created_at=created_at,
        updated_at=updated_at,
        search_text=search_text,
        raw=raw,
        content_hash=content_hash(raw, canonical=raw_json),
        items=items,
        warnings=tuple(notes.items),
        raw_json=raw_json,
    )


def _first_phone(customer: dict) -> Any:
    phones = customer.get("phones")
    if isinstance(phones, list) and phones:
        return phones[0]
    return None


def order_remote_id(raw: Any) -> str:
    """The id to record an unusable order under (text; may be empty)."""
    if isinstance(raw, dict):
        return to_text(raw.get("id"), 64)
    return ""


# --- Reference data -----------------------------------------------------------------------------


def parse_venue(raw: Any) -> ParsedVenue:
    if not isinstance(raw, dict):
        raise PayloadError(f"venue is not a JSON object ({type(raw).__name__})")
    venue_id = to_int(raw.get("id"))
    if venue_id is None:
        raise PayloadError("venue has no integer id", remote_id=to_text(raw.get("id"), 64))
    return ParsedVenue(id=venue_id, name=to_text(raw.get("name"), 255), raw=storable(raw)[0])


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
        raw=storable(raw)[0],
    )
