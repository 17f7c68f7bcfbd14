"""Receipts drawn from their sources with seeded random sources: one for each API order that
was accepted (RECEIVED), and the dine-in tables the waiters open through the day.

- An order's receipt opens at its RECEIVED moment, with its products, customer, discount,
  service charge and delivery fee; ``source`` "web", one guest, no table [I: the docs show the
  fields, not how an order maps onto them]. Delivery-app orders carry their external id as
  ``order_number``, others null. Its id is the order's ``receipt_id`` (500,000 + order id, a
  number space of its own).
- Tables: ``source`` "pos", sale type 1 (in the venue), a hall and table of the venue, 1–6
  guests, no customer, no order; a third of their items are the popular ones. They open during opening hours (10:00–22:59 local) at
  ``tables_per_hour`` per venue on average (busier at lunch and dinner, 0.6× at Port Baku),
  drawn per (venue, hour) so the same seed gives the same tables however the clock is
  advanced. Their ids count up from ``first_table_receipt_id``.

Modifiers of an order line arrive in any shape docs/clopos.md §9 lists (unknown 6); a receipt
line holds them as ``(modificator_id, name, count, price)``, a free-text one with id None.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from datetime import datetime, tzinfo
from typing import Any

from orders_app.clopos.simulator.catalog import (
    DEFAULT_COOKING_MINUTES,
    ITEMS,
    cooking_minutes,
    item_of,
)
from orders_app.clopos.simulator.kitchen import (
    ORDER_LINGER,
    TABLE_CANCEL_RATE,
    TABLE_LINGER,
    Plan,
    final_status,
    plan,
)
from orders_app.clopos.simulator.order import SimOrder
from orders_app.clopos.simulator.receipt import Line, SimReceipt
from orders_app.clopos.simulator.restaurant import (
    CHANNELS,
    HALLS,
    MENU,
    MODIFIER_GROUPS,
    PAYMENT_CARD,
    PAYMENT_CASH,
    PAYMENT_METHODS,
    PAYMENT_ONLINE,
    POPULAR,
    SALE_TYPE_DELIVERY,
    SALE_TYPE_IN,
    STAFF,
    TERMINALS,
)

_EXTERNAL = {c.integration for c in CHANNELS if c.external_prefix}
# Mean tables opened per hour of the local day, at tables_per_hour=1.
_BUSY = {10: 0.3, 11: 0.6, 12: 1.5, 13: 1.8, 14: 1.2, 15: 0.6, 16: 0.5, 17: 0.7, 18: 1.3}
_BUSY |= {19: 1.8, 20: 1.6, 21: 1.0, 22: 0.5}
_VENUE_SHARE = {1: 1.0, 2: 0.6}
TABLE_SERVICE_CHARGE = 10  # the in-venue sale type's service_charge_rate


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _num(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return default


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def received_and_end(order: SimOrder) -> tuple[int | None, tuple[int, str] | None]:
    """When the order was accepted, and its DELIVERED or IGNORE step after that, if any."""
    received: int | None = None
    for at, status in order.schedule:
        if received is None:
            if status == "RECEIVED":
                received = at
        elif status in ("DELIVERED", "IGNORE"):
            return received, (at, status)
    return received, None


def modificator(raw: Any) -> tuple[Any, str, float, float]:
    """An order modifier in any of its shapes, as a receipt line's modificator."""
    if isinstance(raw, str):
        return None, raw, 1, 0
    if not isinstance(raw, dict):
        return None, json.dumps(raw, ensure_ascii=False), 1, 0
    nested = _dict(raw.get("modificator"))
    mod_id = next(
        (
            v
            for v in (
                raw.get("modifier_id"),
                raw.get("modificator_id"),
                raw.get("id"),
                nested.get("id"),
            )
            if v is not None
        ),
        None,
    )
    name = raw.get("modifier_name") or raw.get("name") or nested.get("name") or raw.get("title")
    if not isinstance(name, str):
        name = json.dumps(raw, ensure_ascii=False)
    price = _num(raw.get("price"), _num(nested.get("price"), 0))
    return mod_id, name, _num(raw.get("count"), 1), price


def order_line(raw: dict[str, Any]) -> Line:
    meta = _dict(raw.get("meta"))
    order_product = _dict(meta.get("order_product"))
    product = _dict(order_product.get("product"))
    product_id = raw.get("product_id", product.get("id"))
    item = item_of(product_id)
    name = product.get("name") or raw.get("product_name") or raw.get("name")
    if not isinstance(name, str):
        name = item.product.name if item else f"Product #{product_id}"
    price = _num(meta.get("price"), _num(product.get("price"), _num(raw.get("price"), 0)))
    if price == 0 and item is not None and "price" not in meta:
        price = item.product.price
    mods = next(
        (
            m
            for m in (
                raw.get("product_modificators"),
                raw.get("modifiers"),
                order_product.get("product_modificators"),
            )
            if m
        ),
        [],
    )
    if isinstance(mods, dict):
        mods = [mods]
    product_hash = order_product.get("product_hash") or raw.get("product_hash") or str(product_id)
    return Line(
        product_id=product_id,
        name=name,
        price=price,
        count=_num(raw.get("count"), _num(order_product.get("count"), 1)),
        product_hash=str(product_hash),
        portion_size=_num(raw.get("portion_size"), 1),
        modificators=[modificator(m) for m in mods] if isinstance(mods, list) else [],
    )


def _cook(product_ids: list[Any]) -> int:
    """The slowest item's cooking time, in minutes."""
    return max((cooking_minutes(p) for p in product_ids), default=DEFAULT_COOKING_MINUTES)


def _local_date(epoch: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(epoch, tz).date().isoformat()


def order_receipt(order: SimOrder, *, seed: int, tz: tzinfo) -> SimReceipt | None:
    """The receipt an accepted order opens, or None if the order was never accepted.

    Only what the plan, filters and sorts need is read here (from the order's top-level
    fields); the payload (lines, money, comment, address) is decoded when the receipt is first
    served, so 20,000 receipts open in about the time their orders took."""
    received, end = received_and_end(order)
    if received is None or order.receipt_id is None:
        return None
    rng = random.Random(f"{seed}:receipt:{order.id}")
    venue_id = order.field("venue_id")
    venue_id = venue_id if isinstance(venue_id, int) and venue_id in TERMINALS else 1
    sale_type_id = order.sale_type_id if order.sale_type_id is not None else SALE_TYPE_DELIVERY
    integration = order.field("integration")
    external = isinstance(integration, str) and integration in _EXTERNAL
    cid, terminal, user = _uuid(rng), rng.choice(TERMINALS[venue_id]), rng.choice(STAFF[venue_id])
    method = PAYMENT_ONLINE if external else rng.choice((PAYMENT_CASH, PAYMENT_CARD))
    number = order.field("integration_id") if external else None
    receipt = SimReceipt(
        id=order.receipt_id,
        cid=cid,
        venue_id=venue_id,
        sale_type_id=sale_type_id,
        source="web",
        opened=received,
        local_date=_local_date(received, tz),
        lines=[],
        fill=lambda r: _fill_from_payload(r, order.payload()),
        steps=[],
        close_at=None,
        customer_id=order.customer_id,
        order_id=order.id,
        service_notification_id=order.service_notification_id,
        terminal_id=terminal,
        user=user,
        payment=(method, PAYMENT_METHODS[method]),
        order_number=str(number)[:20] if number else None,
    )
    kitchen = plan(
        rng,
        opened=received,
        cook_minutes=_cook(list(order.product_ids)),
        final=final_status(sale_type_id),
        linger=ORDER_LINGER,
        end=end,
    )
    apply_plan(receipt, kitchen)
    return receipt


def _fill_from_payload(receipt: SimReceipt, payload: Any) -> None:
    """The receipt's lines and money from its order's payload."""
    payload = _dict(payload)
    customer = _dict(payload.get("customer"))
    meta = _dict(payload.get("meta"))
    discount = _dict(meta.get("discount") or payload.get("discount"))
    raw_lines = payload.get("products")
    raw_lines = [raw_lines] if isinstance(raw_lines, dict) else raw_lines
    receipt.lines = [order_line(r) for r in raw_lines or [] if isinstance(r, dict)]
    if receipt.customer_id is None:
        receipt.customer_id = customer.get("id")
    receipt.discount_type = int(_num(discount.get("discount_type"), 0))
    receipt.discount_value = _num(discount.get("discount_value"), 0)
    if meta.get("apply_service_charge"):
        receipt.service_charge = _num(meta.get("service_charge_value"), 0)
    receipt.delivery_fee = _num(payload.get("delivery_fee"), 0)
    comment, address = meta.get("comment"), customer.get("address")
    receipt.description = comment if isinstance(comment, str) else None
    receipt.address = address if isinstance(address, str) else None


def apply_plan(receipt: SimReceipt, new: Plan) -> None:
    """Take a new plan, keeping what controls set by hand (an explicit status, a close)."""
    if not receipt.manual_status:
        receipt.steps = new.steps
        receipt.cancelled = new.cancelled
    if not receipt.manual_close:
        receipt.close_at = new.close_at
    receipt._amounts = None


def table_openings(
    seed: int, venue_id: int, hour_start: int, rate: float, tz: tzinfo
) -> list[tuple[int, str]]:
    """When tables open in one venue in the hour from ``hour_start``: ``[(epoch, rng key)]``."""
    mean = rate * _BUSY.get(datetime.fromtimestamp(hour_start, tz).hour, 0.0)
    mean *= _VENUE_SHARE.get(venue_id, 1.0)
    if mean <= 0:
        return []
    rng = random.Random(f"{seed}:tables:{venue_id}:{hour_start}")
    count, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:  # Knuth's Poisson draw
        count += 1
        product *= rng.random()
    times = sorted(hour_start + rng.randrange(3600) for _ in range(count))
    return [(t, f"{seed}:table:{venue_id}:{hour_start}:{i}") for i, t in enumerate(times)]


def table_receipt(
    receipt_id: int,
    key: str,
    *,
    opened: int,
    venue_id: int,
    tz: tzinfo,
    hall_id: int | None = None,
    table_id: int | None = None,
    guests: int | None = None,
    products: list[Any] | None = None,
) -> SimReceipt:
    """A dine-in receipt opened at ``opened``. ``products`` is a list of product ids or
    ``(id, count)`` pairs (drawn from the menu when None)."""
    rng = random.Random(key)
    halls = [h for h in HALLS if h.venue_id == venue_id] or list(HALLS[:1])
    hall = next((h for h in halls if h.id == hall_id), None) or rng.choice(halls)
    table = table_id if table_id is not None else rng.choice(hall.tables)
    guests = guests if guests is not None else rng.randint(1, 6)
    lines: list[Line] = []
    if products is None:
        for _ in range(rng.randint(max(1, guests // 2), min(6, guests + 2))):
            popular = rng.random() < 0.35
            product = ITEMS[rng.choice(POPULAR)].product if popular else rng.choice(MENU)
            mods: list[tuple[Any, str, float, float]] = []
            if product.group and rng.random() < 0.4:
                for mod_id, name, price in rng.sample(MODIFIER_GROUPS[product.group].options, k=1):
                    mods.append((mod_id, name, 1, price))
            count = rng.randint(1, max(1, min(product.max_count, guests)))
            lines.append(_menu_line(product.id, count, mods))
    else:
        for entry in products:
            product_id, count = entry if isinstance(entry, list | tuple) else (entry, 1)
            lines.append(_menu_line(int(product_id), count, []))
    method = rng.choice((PAYMENT_CASH, PAYMENT_CARD, PAYMENT_CARD))
    receipt = SimReceipt(
        id=receipt_id,
        cid=_uuid(rng),
        venue_id=venue_id,
        sale_type_id=SALE_TYPE_IN,
        source="pos",
        opened=opened,
        local_date=_local_date(opened, tz),
        lines=lines,
        steps=[],
        close_at=None,
        guests=guests,
        table_id=table,
        hall_id=hall.id,
        terminal_id=rng.choice(TERMINALS.get(venue_id, (1,))),
        user=rng.choice(STAFF.get(venue_id, STAFF[1])),
        payment=(method, PAYMENT_METHODS[method]),
        service_charge=TABLE_SERVICE_CHARGE,
    )
    new = plan(
        rng,
        opened=opened,
        cook_minutes=_cook([line.product_id for line in lines]),
        final=final_status(SALE_TYPE_IN),
        linger=TABLE_LINGER,
        cancel_rate=TABLE_CANCEL_RATE,
    )
    apply_plan(receipt, new)
    return receipt


def _menu_line(product_id: int, count: float, mods: list[tuple[Any, str, float, float]]) -> Line:
    item = ITEMS.get(product_id)
    if item is None:
        raise ValueError(f"no product {product_id} on the menu")
    return Line(
        product_id=product_id,
        name=item.product.name,
        price=item.product.price,
        count=count,
        product_hash=str(product_id)
        if not mods
        else f"{product_id}-{'-'.join(str(m[0]) for m in mods)}",
        modificators=mods,
    )
