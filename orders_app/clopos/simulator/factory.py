"""Customers and orders drawn from a seeded random source, shaped as Clopos order objects.

Orders are shaped like the published example on the GET /orders page (docs/clopos.md §4).
Modifiers come in every shape docs/clopos.md §9 lists (unknown 6), one shape per modifier group:

- ``modifier``:    ``{modifier_id, modifier_name, count, price, portion_size}`` (create-order body)
- ``modificator``: ``{modificator_id, name, count, price}``
- ``id``:          ``{id, name, count, price}``
- ``nested``:      ``{modificator: {id, name, price}, count, price}``
- ``unknown``:     rare; a bare string or ``{"title": ...}`` a client must show as raw text.
"""

from __future__ import annotations

import random
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from orders_app.clopos.simulator.restaurant import (
    ADDRESSES,
    CHANNELS,
    COMMENTS,
    HOSTILE,
    ITEM_NOTES,
    MENU,
    MODIFIER_GROUPS,
    PEOPLE,
    PHONE_OPERATORS,
    SALE_TYPE_DELIVERY,
    SALE_TYPE_IN,
    UNKNOWN_MODIFIERS,
    Product,
)

MODIFIER_SHAPES = ("modifier", "modificator", "id", "nested", "unknown")


def format_phone(operator: str, digits: str, style: int) -> str:
    """+994 phones in the spellings people actually type."""
    a, b, c = digits[:3], digits[3:5], digits[5:7]
    return (
        f"+994 {operator} {a} {b} {c}",
        f"+994{operator}{digits}",
        f"0{operator} {a} {b} {c}",
        f"+994 ({operator}) {a}-{b}-{c}",
        f"994{operator}{digits}",
        f"0{operator}{digits}",
    )[style % 6]


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    phone: str
    address: str | None
    discount_type: int
    reference_id: str | None


def make_customers(rng: random.Random) -> list[Customer]:
    customers = []
    for index, name in enumerate(PEOPLE):
        operator = rng.choice(PHONE_OPERATORS)
        digits = f"{rng.randrange(10_000_000):07d}"
        customers.append(
            Customer(
                id=1000 + index,
                name=name,
                phone=format_phone(operator, digits, index),  # every spelling in use
                address=rng.choice(ADDRESSES),
                discount_type=rng.choice((0, 0, 0, 1)),
                reference_id=f"LOY-{rng.randrange(100_000, 999_999)}"
                if rng.random() < 0.3
                else None,
            )
        )
    return customers


def money(value: float) -> float | int:
    """8.5 stays 8.5, 12.0 becomes 12, as the published examples print prices."""
    value = round(value, 2)
    return int(value) if value == int(value) else value


def modifier_object(shape: str, option: tuple[int, str, float], count: int, rng: random.Random):
    mod_id, name, price = option
    if shape == "modifier":
        return {
            "modifier_id": mod_id,
            "modifier_name": name,
            "count": count,
            "price": money(price),
            "portion_size": 1,
        }
    if shape == "modificator":
        return {"modificator_id": mod_id, "name": name, "count": count, "price": money(price)}
    if shape == "id":
        return {"id": mod_id, "name": name, "count": count, "price": money(price)}
    if shape == "nested":
        return {
            "modificator": {"id": mod_id, "name": name, "price": money(price)},
            "count": count,
            "price": money(price),
        }
    unknown = rng.choice(UNKNOWN_MODIFIERS)
    return dict(unknown) if isinstance(unknown, dict) else unknown


def modifier_shape(modifier: Any) -> str:
    """Which of MODIFIER_SHAPES a modifier object has (for tests and drills)."""
    if isinstance(modifier, dict):
        if "modifier_id" in modifier:
            return "modifier"
        if "modificator_id" in modifier:
            return "modificator"
        if isinstance(modifier.get("modificator"), dict):
            return "nested"
        if "id" in modifier and "name" in modifier:
            return "id"
    return "unknown"


@dataclass
class OrderSpec:
    """What the generator decided for one order; ``order`` is the Clopos object."""

    order: dict[str, Any]
    schedule: list[tuple[int, str]] = field(default_factory=list)
    receipt_id: int | None = None
    service_notification_id: int | None = None


@dataclass
class Features:
    """Forced features, so small seeded sets still show every case."""

    shape: str | None = None
    null_customer: bool = False
    no_meta: bool = False
    no_service: bool = False
    extra_fields: bool = False
    hostile: bool = False


class OrderFactory:
    """Builds orders from a random source. Same source and arguments → same order."""

    def __init__(self, customers: list[Customer]):
        self.customers = customers

    def schedule(self, rng: random.Random, created: int) -> list[tuple[int, str]]:
        roll = rng.random()
        steps = [(created, "PENDING")]
        if roll < 0.05:  # never accepted: ignored by the clerk
            steps.append((created + rng.randint(60, 300), "IGNORE"))
            return steps
        received = created + rng.randint(60, 240)
        steps.append((received, "RECEIVED"))
        if roll < 0.08:  # accepted, then cancelled
            steps.append((received + rng.randint(300, 900), "IGNORE"))
        else:
            steps.append((created + rng.randint(20 * 60, 50 * 60), "DELIVERED"))
        return steps

    def product_line(self, rng: random.Random, features: Features, force_shape: str | None):
        product = (
            rng.choice([p for p in MENU if p.group and self._group_shape(p) == force_shape])
            if force_shape and force_shape != "unknown"
            else rng.choice(MENU)
        )
        count = rng.randint(1, product.max_count)
        mods: list[Any] = []
        if product.group and (force_shape or rng.random() < 0.55):
            group = MODIFIER_GROUPS[product.group]
            for option in rng.sample(group.options, k=rng.randint(1, min(2, len(group.options)))):
                shape = group.shape
                if force_shape == "unknown" or rng.random() < 0.02:
                    shape = "unknown"
                    force_shape = None
                mods.append(modifier_object(shape, option, 1, rng))
        if force_shape == "unknown" and not mods:
            mods.append(modifier_object("unknown", (0, "", 0.0), 1, rng))
        name = product.name
        if features.hostile:
            mods.append(
                {"modifier_id": 9999, "modifier_name": HOSTILE["modifier"], "count": 1, "price": 0}
            )
        line: dict[str, Any] = {
            "product_id": product.id,
            "count": count,
            "product_modificators": mods,
            "portion_size": 1,
            "meta": {
                "price": money(product.price),
                "order_product": {
                    "count": count,
                    "status": "new",
                    "product_modificators": mods,
                    "product_hash": str(product.id)
                    if not mods
                    else f"{product.id}-{zlib.crc32(repr(mods).encode()):08x}",
                    "product": {"id": product.id, "name": name, "price": money(product.price)},
                },
            },
        }
        if rng.random() < 0.12 or features.hostile:
            line["note"] = HOSTILE["note"] if features.hostile else rng.choice(ITEM_NOTES)
        return line

    @staticmethod
    def _group_shape(product: Product) -> str | None:
        return MODIFIER_GROUPS[product.group].shape if product.group else None

    def build(
        self,
        rng: random.Random,
        *,
        order_id: int,
        created: int,
        features: Features | None = None,
    ) -> OrderSpec:
        features = features or Features()
        channel = rng.choices(CHANNELS, weights=[c.weight for c in CHANNELS])[0]
        venue_id = 1 if rng.random() < 0.65 else 2
        sale_type_id = rng.choice(channel.sale_types)
        customer = rng.choice(self.customers)
        # The hostile order always carries its customer: its name is half of the hostile text.
        null_customer = features.null_customer or (
            not features.hostile and channel.type == "WEB_ORDER" and rng.random() < 0.15
        )
        lines = [
            self.product_line(rng, features, features.shape if i == 0 else None)
            for i in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5)))
        ]
        delivery_fee: float | int | None = None
        if sale_type_id == SALE_TYPE_DELIVERY:
            delivery_fee = money(rng.choice((0, 1.5, 2.0, 2.5, 3.0, 4.0)))
        discount_value = rng.choice((0, 0, 0, 0, 5, 10, 15))
        payload: dict[str, Any] = {
            "auto_order_accept": channel.type != "CALL_CENTER_ORDER" and rng.random() < 0.3,
            "auto_order_sent_to_station": False,
            "delivery_fee": delivery_fee,
            "service": {"sale_type_id": sale_type_id, "venue_id": venue_id},
        }
        if null_customer:
            payload["customer"] = None
        else:
            payload["customer"] = {
                "id": customer.id,
                "phone": customer.phone,
                "address": customer.address if sale_type_id == SALE_TYPE_DELIVERY else None,
                "customer_discount_type": customer.discount_type,
                "name": HOSTILE["name"] if features.hostile else customer.name,
            }
            if features.hostile:
                payload["customer"]["address"] = HOSTILE["address"]
        payload["products"] = lines
        apply_service = sale_type_id == SALE_TYPE_IN or rng.random() < 0.1
        comment = rng.choice(COMMENTS) if rng.random() < 0.3 else None
        if features.hostile:
            comment = HOSTILE["comment"]
        payload["meta"] = {
            "comment": comment,
            "discount": {
                "discount_type": 1 if discount_value else 0,
                "discount_value": discount_value,
            },
            "apply_service_charge": apply_service,
            "customer_discount_type": 0 if null_customer else customer.discount_type,
            "service_charge_value": 10 if apply_service else 0,
        }
        payload["customer_id"] = None if null_customer else customer.id
        payload["sale_type_id"] = sale_type_id
        no_meta = features.no_meta or rng.random() < 0.03
        no_service = features.no_service or rng.random() < 0.03
        if no_meta:
            del payload["meta"]
        if no_service:
            del payload["service"]
        external = channel.external_prefix is not None
        order: dict[str, Any] = {
            "id": order_id,
            "venue_id": venue_id,
            "type": channel.type,
            "integration": channel.integration,
            "integration_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if external
            else None,
            "integration_id": f"{channel.external_prefix}-{rng.randrange(16**6):06X}"
            if external
            else None,
            "customer_ref_id": None if null_customer else customer.reference_id,
            "integration_status": "CREATED",
            "status": "PENDING",
            "receive_user_id": None,
            "receive_terminal_id": None,
            "payload": payload,
            "created_at": None,
            "updated_at": None,
            "integration_response": None,
        }
        if external and rng.random() < 0.5:
            order["integration_response"] = {"accepted": True, "provider": channel.integration}
        if features.extra_fields or rng.random() < 0.08:
            order["courier"] = {"name": "Elvin", "phone": "+994 55 201 11 22", "eta_minutes": 25}
            order["loyalty_points"] = rng.randint(1, 50)
            payload["platform_fee"] = money(rng.choice((0.5, 1.0)))
            lines[0]["station_id"] = rng.choice((1, 2))
        spec = OrderSpec(order=order, schedule=self.schedule(rng, created))
        spec.receipt_id = 500_000 + order_id
        spec.service_notification_id = rng.randrange(10_000, 99_999) if rng.random() < 0.7 else None
        return spec
