"""Clopos receipts parsed at the boundary (docs/clopos.md §5): the kitchen's side of an order.

Liberal in what it accepts, as for orders: numbers as numbers or text, times in any spelling
Clopos uses, items under ``receipt_products`` (or ``products``), each item's station from the
receipt (``meta.product.station`` or ``product.station``, asked with ``with[]``), modifiers in
whatever shape they come. The raw receipt is kept whole; what cannot be read becomes a warning,
and a receipt without an integer id is refused (PayloadError).

Times: the documented examples write ``"2025-08-18 13:45:16"`` with no zone. A POS keeps the
restaurant's wall clock, so Pass reads a time without a zone in ``TIME_ZONE`` [I]; a time with a
zone or an offset is read as it says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from orders_app.clopos.jsontext import storable_json
from orders_app.clopos.payloads.order import content_hash
from orders_app.clopos.payloads.readers import (
    Notes,
    PayloadError,
    as_dict,
    dig,
    first_set,
    parse_timestamp,
    to_decimal,
    to_int,
    to_text,
)


@dataclass(frozen=True)
class ParsedReceiptItem:
    position: int
    remote_id: int | None
    product_id: int | None
    name: str
    count: Decimal
    price: Decimal | None
    total: Decimal | None
    station_id: int | None
    station_name: str
    modifiers: list[dict]
    raw: Any


@dataclass(frozen=True)
class ParsedReceipt:
    id: int
    cid: str
    venue_id: int | None
    sale_type_id: int | None
    customer_id: int | None
    source: str
    status: int | None
    order_status: str
    order_number: str
    daily_number: str
    table_id: int | None
    hall_id: int | None
    guests: int | None
    total: Decimal | None
    subtotal: Decimal | None
    total_discount: Decimal | None
    service_charge_value: Decimal | None
    delivery_fee: Decimal | None
    total_tax: Decimal | None
    payment_methods: list[dict]
    created_at: datetime | None
    updated_at: datetime | None
    closed_at: datetime | None
    items: list[ParsedReceiptItem]
    raw: Any
    content_hash: str
    warnings: list[str] = field(default_factory=list)

    # The Receipt columns filled from the fields of the same name.
    COLUMNS = (
        "cid",
        "venue_id",
        "sale_type_id",
        "customer_id",
        "source",
        "status",
        "order_status",
        "order_number",
        "daily_number",
        "table_id",
        "hall_id",
        "guests",
        "total",
        "subtotal",
        "total_discount",
        "service_charge_value",
        "delivery_fee",
        "total_tax",
        "payment_methods",
        "created_at",
        "updated_at",
        "closed_at",
    )


def parse_local_timestamp(value: Any, zone: ZoneInfo) -> datetime | None:
    """An aware UTC datetime; a text time without a zone is read in ``zone``."""
    parsed = parse_timestamp(value)
    if parsed is None or not isinstance(value, str):
        return parsed
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        return parsed
    if naive.tzinfo is not None:
        return parsed
    return naive.replace(tzinfo=zone).astimezone(parsed.tzinfo)


def _plain(value: Decimal | None, default: int) -> str:
    """A number as short text for the stored JSON: 1, 0.5 (``default`` when absent)."""
    number = Decimal(default) if value is None else value
    return format(number.normalize(), "f") if number else "0"


def _modifiers(raw_item: dict, notes: Notes, where: str) -> list[dict]:
    found = first_set(raw_item.get("modificators"), raw_item.get("modifiers"))
    if found is None:
        return []
    if isinstance(found, dict):
        found = list(found.values())
    if not isinstance(found, list):
        notes.add(f"{where}: modifiers are not a list")
        return []
    modifiers = []
    for index, mod in enumerate(found):
        if not isinstance(mod, dict):
            notes.add(f"{where} modifier {index + 1}: not an object")
            continue
        what = f"{where} modifier {index + 1}"
        modifiers.append(
            {
                "id": to_int(first_set(mod.get("modificator_id"), mod.get("id"))),
                "name": to_text(
                    first_set(
                        mod.get("name"),
                        dig(mod, "modificator", "name"),
                        mod.get("modificator_name"),
                    ),
                    255,
                ),
                "count": _plain(to_decimal(mod.get("count"), what=(what, "count"), notes=notes), 1),
                "price": _plain(to_decimal(mod.get("price"), what=(what, "price"), notes=notes), 0),
            }
        )
    return modifiers


def parse_receipt_item(raw: Any, *, position: int, notes: Notes) -> ParsedReceiptItem:
    where = f"item {position + 1}"
    item = as_dict(raw)
    if not item:
        notes.add(f"{where}: not an object")
    product = as_dict(first_set(dig(item, "meta", "product"), item.get("product")))
    station = as_dict(first_set(product.get("station"), item.get("station")))
    count = to_decimal(item.get("count"), what=(where, "count"), notes=notes)
    return ParsedReceiptItem(
        position=position,
        remote_id=to_int(item.get("id")),
        product_id=to_int(first_set(item.get("product_id"), product.get("id"))),
        name=to_text(first_set(product.get("name"), item.get("name")), 255),
        count=count if count is not None else Decimal(1),
        price=to_decimal(item.get("price"), what=(where, "price"), notes=notes),
        total=to_decimal(
            first_set(item.get("total"), item.get("subtotal")), what=(where, "total"), notes=notes
        ),
        station_id=to_int(first_set(station.get("id"), product.get("station_id"))),
        station_name=to_text(station.get("name"), 255),
        modifiers=_modifiers(item, notes, where),
        raw=raw,
    )


def _payment_methods(value: Any, notes: Notes) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        notes.add("payment_methods: not a list")
        return []
    methods = []
    for index, method in enumerate(value):
        method = as_dict(method)
        amount = to_decimal(
            method.get("amount"), what=(f"payment {index + 1}", "amount"), notes=notes
        )
        methods.append(
            {
                "id": to_int(method.get("id")),
                "name": to_text(method.get("name"), 255),
                "amount": _plain(amount, 0) if amount is not None else None,
            }
        )
    return methods


def parse_receipt(raw: Any, *, zone: ZoneInfo) -> ParsedReceipt:
    """One receipt as Clopos sent it (``zone``: how to read times without one)."""
    if not isinstance(raw, dict):
        raise PayloadError(f"receipt is not a JSON object ({type(raw).__name__})")
    receipt_id = to_int(raw.get("id"))
    if receipt_id is None:
        raise PayloadError("receipt has no integer id", remote_id=to_text(raw.get("id"), 64))
    notes = Notes()
    raw_items = first_set(raw.get("receipt_products"), raw.get("products"))
    if raw_items is None:
        raw_items = []
    elif not isinstance(raw_items, list):
        notes.add("receipt_products: not a list")
        raw_items = []
    items = [parse_receipt_item(item, position=n, notes=notes) for n, item in enumerate(raw_items)]
    stored, canonical, cleaned = storable_json(raw)
    if cleaned:
        notes.add("text with characters a database cannot store was cleaned")
    properties = as_dict(raw.get("properties"))

    def money(name: str) -> Decimal | None:
        return to_decimal(raw.get(name), what=name, notes=notes)

    def when(name: str) -> datetime | None:
        value = raw.get(name)
        parsed = parse_local_timestamp(value, zone)
        if parsed is None and value not in (None, ""):
            notes.add(f"{name}: {to_text(value, 40)} is not a time")
        return parsed

    return ParsedReceipt(
        id=receipt_id,
        cid=to_text(raw.get("cid"), 64),
        venue_id=to_int(raw.get("venue_id")),
        sale_type_id=to_int(raw.get("sale_type_id")),
        customer_id=to_int(raw.get("customer_id")),
        source=to_text(raw.get("source"), 32),
        status=to_int(raw.get("status")),
        order_status=to_text(raw.get("order_status"), 32).upper(),
        order_number=to_text(raw.get("order_number"), 64),
        daily_number=to_text(properties.get("daily_id"), 32),
        table_id=to_int(raw.get("table_id")),
        hall_id=to_int(raw.get("hall_id")),
        guests=to_int(raw.get("guests")),
        total=money("total"),
        subtotal=money("subtotal"),
        total_discount=money("total_discount"),
        service_charge_value=money("service_charge_value"),
        delivery_fee=money("delivery_fee"),
        total_tax=money("total_tax"),
        payment_methods=_payment_methods(raw.get("payment_methods"), notes),
        created_at=when("created_at"),
        updated_at=when("updated_at"),
        closed_at=when("closed_at"),
        items=items,
        raw=stored,
        content_hash=content_hash(stored, canonical=canonical),
        warnings=notes.items,
    )
