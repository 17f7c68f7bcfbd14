"""One Clopos order parsed at the boundary: raw dict in, frozen ``ParsedOrder`` out.

Clopos publishes little about what an order really contains (docs/clopos.md §4), so the parser
is liberal (``readers.py``): timestamps in several spellings become aware UTC datetimes, numbers
given as int, float or text become ``Decimal``, missing blocks (payload, meta, service,
customer) are simply empty, unknown statuses are kept as given, and modifiers are read in every
shape the notes list (docs/clopos.md §9, item 6). Anything that cannot be used becomes a warning
on the order; the raw payload is always kept whole beside the parsed columns.

Only an order that cannot be stored at all raises ``PayloadError``: not a JSON object, no
integer id, or no usable ``created_at``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from orders_app.clopos.jsontext import canonical_json, storable_json
from orders_app.clopos.payloads.readers import (
    MAX_AMOUNT,
    MAX_TOTAL,
    QUANTUM,
    Notes,
    PayloadError,
    as_dict,
    compact,
    dig,
    first_set,
    parse_timestamp,
    to_bool,
    to_decimal,
    to_int,
    to_optional_text,
    to_text,
    warning_label,
)
from orders_app.text import search_text_for

# Bump when parsing changes what the columns hold: the content hash changes with it, so the
# next pass rewrites every order it reads with the new rules.
PARSER_VERSION = "1"

MODIFIER_SHAPES = ("modifier", "modificator", "id_name", "nested", "unknown")


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


def content_hash(raw: Any, *, canonical: str | None = None) -> str:
    """sha256 of the canonical JSON of ``raw`` (and the parser version)."""
    if canonical is None:
        canonical = canonical_json(raw)
    return hashlib.sha256(f"{PARSER_VERSION}\n{canonical}".encode()).hexdigest()


# --- Modifiers ----------------------------------------------------------------------------------


def parse_modifier(raw: Any, *, position: int, notes: Notes, where: str) -> ParsedModifier:
    """One modifier in any of the shapes the API notes list; anything else is kept as text."""
    what = (where, "modifier", str(position + 1))
    if isinstance(raw, dict):
        nested = raw.get("modificator")
        if isinstance(nested, dict):
            shape = "nested"
            modifier_id = to_int(first_set(nested.get("id"), raw.get("modificator_id")))
            name = to_text(first_set(nested.get("name"), raw.get("name")), 255)
            price_raw = first_set(raw.get("price"), nested.get("price"))
        elif "modifier_id" in raw or "modifier_name" in raw:
            shape = "modifier"
            modifier_id = to_int(raw.get("modifier_id"))
            name = to_text(first_set(raw.get("modifier_name"), raw.get("name")), 255)
            price_raw = raw.get("price")
        elif "modificator_id" in raw:
            shape = "modificator"
            modifier_id = to_int(raw.get("modificator_id"))
            name = to_text(first_set(raw.get("name"), raw.get("modificator_name")), 255)
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
                notes.add(f"{warning_label(what)} has no name; shown as raw text")
            return ParsedModifier(position, modifier_id, name, count, price, shape, raw)
    notes.add(f"{warning_label(what)} has an unknown shape; shown as raw text")
    return ParsedModifier(position, None, compact(raw), None, None, "unknown", raw)


def _modifier_list(item: dict, notes: Notes, where: str) -> list[Any]:
    for value in (
        item.get("product_modificators"),
        item.get("modifiers"),
        dig(item, "meta", "order_product", "product_modificators"),
    ):
        if isinstance(value, list) and value:
            return value
        if isinstance(value, dict) and value:
            notes.add(f"{where} modifiers are an object, not a list")
            return [value]
    return []


# --- Items --------------------------------------------------------------------------------------


def parse_item(raw: Any, *, position: int, notes: Notes) -> ParsedItem:
    where = f"item {position + 1}"
    item = as_dict(raw)
    if not isinstance(raw, dict):
        notes.add(f"{where} is not an object; shown as raw text")
    meta = as_dict(item.get("meta"))
    order_product = as_dict(meta.get("order_product"))
    product = as_dict(order_product.get("product"))

    product_id = to_int(first_set(item.get("product_id"), product.get("id")))
    name = to_text(first_set(product.get("name"), item.get("product_name"), item.get("name")), 255)
    if not name:
        if not isinstance(raw, dict):
            name = compact(raw)
        else:
            name = f"Product #{product_id}" if product_id is not None else "Unnamed item"
            notes.add(f"{where} has no product name")
    count = to_decimal(
        first_set(item.get("count"), order_product.get("count")), what=(where, "count"), notes=notes
    )
    if count is None:
        count = Decimal(1).quantize(QUANTUM)
        if isinstance(raw, dict):
            notes.add(f"{where} has no count; shown as 1")
    portion_size = to_decimal(item.get("portion_size"), what=(where, "portion"), notes=notes)
    price = to_decimal(
        first_set(meta.get("price"), product.get("price"), item.get("price")),
        what=(where, "price"),
        notes=notes,
    )
    line_total = None
    if price is not None:
        line_total = (price * count).quantize(QUANTUM)
        if abs(line_total) >= MAX_TOTAL:
            notes.add(f"{where} total is out of range")
            line_total = None
    status = to_text(first_set(order_product.get("status"), item.get("status")), 64)
    note = to_text(first_set(item.get("note"), item.get("comment"), order_product.get("note")))
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
    raw, raw_json, cleaned = storable_json(raw)
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

    notes = Notes()
    if cleaned:
        notes.add("payload had NaN/Infinity, NUL or broken characters; stored cleaned")
    updated_at = parse_timestamp(raw.get("updated_at"))
    if updated_at is None:
        notes.add("updated_at missing or unreadable; using created_at")
        updated_at = created_at

    payload = raw.get("payload")
    if payload is not None and not isinstance(payload, dict):
        notes.add("payload is not an object")
    payload = as_dict(payload)
    service = as_dict(payload.get("service"))
    meta = as_dict(payload.get("meta"))
    customer_raw = payload.get("customer")
    if customer_raw is not None and not isinstance(customer_raw, dict):
        notes.add("customer is not an object")
    customer = as_dict(customer_raw)

    discount = as_dict(first_set(meta.get("discount"), payload.get("discount")))
    service_charge = as_dict(payload.get("service_charge"))

    products = payload.get("products")
    if products is None:
        products = []
    elif not isinstance(products, list):
        notes.add("products is not a list")
        products = [products]
    items = tuple(parse_item(p, position=i, notes=notes) for i, p in enumerate(products))

    item_count = sum((i.count for i in items), Decimal(0)).quantize(QUANTUM)
    if abs(item_count) >= MAX_AMOUNT:
        notes.add("item count is out of range")
        item_count = Decimal(0).quantize(QUANTUM)
    priced = [i.line_total for i in items if i.line_total is not None]
    items_total = sum(priced, Decimal(0)).quantize(QUANTUM) if priced else None
    if items_total is not None and abs(items_total) >= MAX_TOTAL:
        notes.add("items total is out of range")
        items_total = None

    customer_name = to_text(customer.get("name"), 255)
    customer_phone = to_text(first_set(customer.get("phone"), _first_phone(customer)), 64)
    customer_address = to_text(customer.get("address"))
    comment = to_text(first_set(meta.get("comment"), payload.get("comment")))
    venue_id = to_int(first_set(raw.get("venue_id"), service.get("venue_id")))
    sale_type_id = to_int(first_set(service.get("sale_type_id"), payload.get("sale_type_id")))
    service_charge_enabled = to_bool(
        first_set(meta.get("apply_service_charge"), service_charge.get("enabled"))
    )
    service_charge_value = to_decimal(
        first_set(meta.get("service_charge_value"), service_charge.get("value")),
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
