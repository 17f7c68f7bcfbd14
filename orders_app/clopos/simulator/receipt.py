"""One simulated receipt as GET /receipts serves it (docs/clopos.md §5).

The store (``receipts.py``) brings a receipt's state to the clock (``evaluate``); this module
turns it into the JSON a client sees.

Shapes [D field reference], with these choices where the docs are silent [I]:

- times (``created_at``, ``updated_at``, ``closed_at``) are ``YYYY-MM-DD HH:MM:SS`` in the
  brand's local time (``SimulatorConfig.receipt_timezone``, Asia/Baku by default), not UTC as
  the envelope's ``timestamp`` is: the POS prints the restaurant's wall clock. ``shift_date``
  is the local date; ``meta.terminal_updated_at`` is epoch milliseconds;
- money is in the order's own scale (decimal manat, ``8.5``); ``discount_type`` 1 reads
  ``discount_value`` as a percentage, 2 as an amount; ``service_charge`` is a percentage of
  the discounted subtotal; VAT (18 %) is included in prices, so ``i_tax`` is total × 18/118 and
  ``e_tax`` 0;
- ``remaining`` is the total while open and 0 once paid; a CANCELLED receipt closes with no
  payment (``payment_methods`` ``[]``, ``remaining`` = total);
- ``receipt_products[].meta.product`` always has the product's name and price;
  ``with[]=receipt_products.product.station`` adds ``station{id,name}`` and
  ``...product.unit`` adds ``unit{id,name}`` there (rather than as a separate ``product``
  relation, which the docs do not show);
- ``with[]=receipt_products.modificators`` adds ``modificators[]`` to each line as
  ``{id, modificator_id, name, count, price}`` (``modificator_id`` null for a free-text one),
  and ``...modificators.modificator_group`` adds ``modificator_group{id,name}`` (or null) to
  each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from orders_app.clopos.simulator.catalog import UNIT, VAT, item_of, modificator_group, station_of
from orders_app.clopos.simulator.factory import money
from orders_app.clopos.simulator.kitchen import Step, status_at
from orders_app.clopos.simulator.restaurant import PAYMENT_CARD, PAYMENT_CASH, SALE_TYPES

PRODUCTS = "receipt_products"
MODIFICATORS = "receipt_products.modificators"
UNIT_REL = "receipt_products.product.unit"
STATION_REL = "receipt_products.product.station"
GROUP_REL = "receipt_products.modificators.modificator_group"
RECEIPT_RELATIONS = (PRODUCTS, MODIFICATORS, UNIT_REL, STATION_REL, GROUP_REL)
_SALE_TYPE_NAMES = {s["id"]: s["name"] for s in SALE_TYPES}
_VAT_SHARE = 18 / 118


def local_time(epoch: float, tz: tzinfo) -> str:
    """2026-02-02 14:30:00, the way receipts print their times (local wall clock)."""
    return datetime.fromtimestamp(int(epoch), tz).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Line:
    """One receipt line: a product, its count and its modificators."""

    product_id: Any
    name: str
    price: float
    count: float
    product_hash: str
    portion_size: float = 1
    # (modificator_id or None, name, count, price)
    modificators: list[tuple[Any, str, float, float]] = field(default_factory=list)

    @property
    def subtotal(self) -> float:
        extras = sum(price * count for _id, _name, count, price in self.modificators)
        return round((self.price + extras) * self.count, 2)


@dataclass(eq=False)
class SimReceipt:
    """One receipt: what it holds, its kitchen plan, and its state at the last evaluation."""

    id: int
    cid: str
    venue_id: int
    sale_type_id: Any
    source: str  # "web" (from an API order) or "pos" (a table)
    opened: int
    local_date: str
    lines: list[Line]  # read through items(): ``fill`` may still have to build them
    steps: list[Step]
    close_at: int | None
    cancelled: bool = False
    customer_id: Any = None
    guests: int = 1
    order_id: int | None = None
    service_notification_id: int | None = None
    table_id: int | None = None
    hall_id: int | None = None
    terminal_id: int | None = None
    user: tuple[int, str] = (0, "")
    payment: tuple[int, str] = (PAYMENT_CASH, "Cash")
    discount_type: int = 0
    discount_value: float = 0
    service_charge: float = 0
    delivery_fee: float = 0
    description: str | None = None
    address: str | None = None
    order_number: str | None = None
    fiscal_id: str | None = None
    lock: bool = False
    manual_status: bool = False  # order_status set by PATCH or a control: no automatic steps
    manual_close: bool = False  # closed by a control or POST /close, not by the plan
    payments: list[dict[str, Any]] | None = None  # payment_methods given at a manual close
    edited: int = 0  # the latest PATCH
    patched: set[str] = field(default_factory=set)  # fields a PATCH set (kept over rebuilds)
    # Fills ``lines`` and the money and text fields on first use (receipt_factory.py).
    fill: Callable[[SimReceipt], None] | None = None
    # state at the last evaluation
    visible: bool = False
    order_status: str = "NEW"
    updated: int = 0
    closed: bool = False
    daily_id: int = 0
    monthly_id: int = 0
    _amounts: dict[str, Any] | None = None

    # --- state over time -----------------------------------------------------------------
    def evaluate(self, now: float, writes: Callable[[float], bool]) -> tuple[bool, float]:
        """Bring the state to ``now``; return (whether it changed, when it changes next)."""
        if now < self.opened:
            changed, self.visible = self.visible, False
            return changed, self.opened
        status, at, ahead = status_at(self.steps, now, writes)
        updated = max(self.opened, at)
        closed = self.close_at is not None and self.close_at <= now
        if self.close_at is not None:
            if closed:
                updated = max(updated, self.close_at)
            else:
                ahead = min(ahead, self.close_at)
        if self.edited <= now:
            updated = max(updated, self.edited)
        else:
            ahead = min(ahead, self.edited)
        state = (True, status, updated, closed)
        changed = state != (self.visible, self.order_status, self.updated, self.closed)
        self.visible, self.order_status, self.updated, self.closed = state
        return changed, ahead

    def ensure(self) -> None:
        """Fill what ``fill`` still owes (lines, money, comment, address)."""
        if self.fill is not None:
            fill, self.fill = self.fill, None
            fill(self)
            self._amounts = None

    def items(self) -> list[Line]:
        self.ensure()
        return self.lines

    def product_counts(self) -> list[tuple[Any, float]]:
        return [(line.product_id, line.count) for line in self.items()]

    # --- money ---------------------------------------------------------------------------
    def amounts(self) -> dict[str, Any]:
        self.ensure()
        if self._amounts is None:
            subtotal = round(sum(line.subtotal for line in self.items()), 2)
            rate, discount = 0.0, 0.0
            if self.discount_type == 1:
                rate = float(self.discount_value)
                discount = subtotal * rate / 100
            elif self.discount_type == 2:
                discount = min(subtotal, float(self.discount_value))
                rate = discount / subtotal * 100 if subtotal else 0.0
            charge = (subtotal - discount) * float(self.service_charge) / 100
            total = subtotal - discount + charge + float(self.delivery_fee)
            cost = sum(
                item.product.price * 0.35 * line.count
                for line in self.items()
                if (item := item_of(line.product_id)) is not None
            )
            self._amounts = {
                "total": money(total),
                "subtotal": money(subtotal),
                "original_subtotal": money(subtotal),
                "discount_type": self.discount_type,
                "discount_value": money(float(self.discount_value)),
                "discount_rate": money(rate),
                "total_discount": money(discount),
                "service_charge": money(float(self.service_charge)),
                "service_charge_value": money(charge),
                "delivery_fee": money(float(self.delivery_fee)),
                "i_tax": money(total * _VAT_SHARE),
                "e_tax": 0,
                "total_tax": money(total * _VAT_SHARE),
                "totalCost": money(cost),
            }
        return self._amounts

    def total(self) -> float:
        return self.amounts()["total"]

    def payment_methods(self) -> list[dict[str, Any]]:
        if not self.closed or (self.cancelled and self.payments is None):
            return []
        if self.payments is not None:
            return [dict(p) for p in self.payments]
        return [{"id": self.payment[0], "name": self.payment[1], "amount": self.total()}]

    # --- as served -------------------------------------------------------------------------
    def field(self, name: str) -> Any:
        """A top-level value for filters and sorts."""
        if name == "status":
            return 2 if self.closed else 1
        if name == "total":
            return self.total()
        if name == "customer_id":
            self.ensure()
        return getattr(self, name)

    def relation(self) -> dict[str, Any] | None:
        """The order's ``receipt`` relation: ``{id, service_notification_id, status}`` [I]."""
        if not self.visible:
            return None
        return {
            "id": self.id,
            "service_notification_id": self.service_notification_id,
            "status": 2 if self.closed else 1,
        }

    def as_dict(self, relations: frozenset[str], tz: tzinfo) -> dict[str, Any]:
        self.ensure()
        amounts = self.amounts()
        payments = self.payment_methods()
        paid = sum(
            p.get("amount") or 0 for p in payments if isinstance(p.get("amount"), int | float)
        )

        def paid_by(method: int) -> float:
            return money(sum(p.get("amount") or 0 for p in payments if p.get("id") == method))

        remaining = amounts["total"]
        if self.closed and not self.cancelled:
            remaining = money(max(0.0, amounts["total"] - paid)) if self.payments else 0
        closed_at = self.close_at if self.closed else None
        data: dict[str, Any] = {
            "id": self.id,
            "cid": self.cid,
            "venue_id": self.venue_id,
            "sale_type_id": self.sale_type_id,
            "customer_id": self.customer_id,
            "source": self.source,
            "guests": self.guests,
            "status": 2 if self.closed else 1,
            "order_status": self.order_status,
            "order_number": self.order_number,
            "lock": self.lock,
            "fiscal_id": self.fiscal_id,
            "service_notification_id": self.service_notification_id,
            "table_id": self.table_id,
            "hall_id": self.hall_id,
            "user_id": self.user[0],
            "open_by_user_id": self.user[0],
            "close_by_user_id": self.user[0] if self.closed else None,
            "terminal_id": self.terminal_id,
            "closed_terminal_id": self.terminal_id if self.closed else None,
            "courier_id": None,
            "seller_id": None,
            "total": amounts["total"],
            "subtotal": amounts["subtotal"],
            "remaining": remaining,
            **{k: v for k, v in amounts.items() if k not in ("total", "subtotal")},
            "gift_total": 0,
            "gift_count": 0,
            "by_cash": paid_by(PAYMENT_CASH),
            "by_card": paid_by(PAYMENT_CARD),
            "payment_methods": payments,
            "is_returns": False,
            "printed": self.closed,
            "description": self.description,
            "address": self.address,
            "properties": {"daily_id": self.daily_id, "monthly_id": self.monthly_id},
            "meta": {
                "preprint_count": 0,
                "sale_type": {"name": _SALE_TYPE_NAMES.get(self.sale_type_id)}
                if isinstance(self.sale_type_id, int)
                else {"name": None},
                "user": {"name": self.user[1]},
                "terminal_updated_at": self.updated * 1000,
            },
            "shift_date": self.local_date,
            "created_at": local_time(self.opened, tz),
            "updated_at": local_time(self.updated, tz),
            "closed_at": local_time(closed_at, tz) if closed_at is not None else None,
            "deleted_at": None,
        }
        if PRODUCTS in relations:
            data[PRODUCTS] = [self._line(i, line, relations) for i, line in enumerate(self.items())]
        return data

    def _line(self, index: int, line: Line, relations: frozenset[str]) -> dict[str, Any]:
        line_id = self.id * 100 + index + 1
        item = item_of(line.product_id)
        product: dict[str, Any] = {
            "name": line.name,
            "price": money(line.price),
            "giftable": True,
            "discountable": item is None or item.type == "DISH",
            "sold_by_weight": False,
            "priceWithoutTaxes": money(line.price / 1.18),
            "barcode": None,
            "taxes": [dict(VAT)],
        }
        if STATION_REL in relations:
            product["station"] = station_of(line.product_id)
        if UNIT_REL in relations:
            product["unit"] = dict(UNIT)
        data: dict[str, Any] = {
            "id": line_id,
            "cid": str(uuid.uuid5(uuid.UUID(self.cid), str(index))),  # stable per line
            "product_id": line.product_id,
            "receipt_id": self.id,
            "product_hash": line.product_hash,
            "count": line.count,
            "price": money(line.price),
            "subtotal": money(line.subtotal),
            "total": money(line.subtotal),
            "portion_size": line.portion_size,
            "is_gift": False,
            "meta": {
                "product": product,
                "originalPrice": money(line.price),
                "discountedPrice": money(line.price),
                "total_gift": 0,
                "terminal_updated_at": self.opened * 1000,
            },
        }
        if MODIFICATORS in relations:
            mods = []
            for j, (mod_id, name, count, price) in enumerate(line.modificators):
                mod: dict[str, Any] = {
                    "id": line_id * 10 + j + 1,
                    "modificator_id": mod_id,
                    "name": name,
                    "count": count,
                    "price": money(price),
                }
                if GROUP_REL in relations:
                    mod["modificator_group"] = modificator_group(mod_id)
                mods.append(mod)
            data["modificators"] = mods
        return data
