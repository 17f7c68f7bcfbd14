"""One simulated order as the API serves it, kept encoded so serving it costs a join.

The store (``store.py``) decides an order's ``status``, ``updated`` and ``received`` from its
schedule and the clock; this module turns them into the JSON a client sees: the fields that
follow the state, the ``integration_status`` an aggregator's order shows, and the ``receipt``
relation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from orders_app.clopos.simulator.clock import iso
from orders_app.clopos.simulator.restaurant import CHANNELS

STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")

# Aggregator orders (Wolt, Bolt Food) report the partner's view of the order too; it follows
# the status unless a test or control stored a different one.
_EXTERNAL_INTEGRATIONS = {c.integration for c in CHANNELS if c.external_prefix}
_INTEGRATION_STATUS = {
    "PENDING": "CREATED",
    "RECEIVED": "ACCEPTED",
    "DELIVERED": "DELIVERED",
    "IGNORE": "REJECTED",
}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# Served from the order's state rather than from its stored fields, and always present, even
# when a test's edit drops them.
_DYNAMIC = ("status", "integration_status", "created_at", "updated_at")


class SimOrder:
    """One order, kept as its encoded JSON (``frag``) plus the top-level fields around the
    payload. The payload is encoded once; when the status moves, only the small top-level
    parts are re-encoded around it. 20,000 orders stay fast to serve and small in memory."""

    __slots__ = (
        "created",
        "customer_id",
        "edited",
        "frag",
        "frag_state",
        "head",
        "id",
        "local_date",
        "p0",
        "p1",
        "product_ids",
        "receipt_id",
        "receipt_link",
        "received",
        "sale_type_id",
        "schedule",
        "service_notification_id",
        "status",
        "tail",
        "updated",
        "visible",
    )

    def __init__(self, order: dict[str, Any], created: int, schedule: list[tuple[int, str]]):
        self.id: int = order["id"]
        self.created = created
        self.schedule = schedule
        self.edited = created
        self.receipt_id: int | None = None
        # The receipt store's lookup (set by the Simulator); without one, the relation follows
        # the order's status alone.
        self.receipt_link: Callable[[SimOrder], dict[str, Any] | None] | None = None
        self.service_notification_id: int | None = None
        self.status = "PENDING"
        self.updated = created
        self.visible = False
        self.received = False
        self.local_date = ""
        self.set_fields(order)

    def set_fields(self, order: dict[str, Any]) -> None:
        """Store the top-level fields around ``payload`` and encode the payload."""
        keys = list(order)
        cut = keys.index("payload") if "payload" in order else len(keys)
        self.head = {k: order[k] for k in keys[:cut]}
        self.tail = {k: order[k] for k in keys[cut + 1 :]}
        for name in _DYNAMIC:
            if name not in self.head and name not in self.tail:
                self.tail[name] = None
        payload = order.get("payload")
        # Until first served, frag holds only the encoded payload (frag_state None = stale).
        self.frag = _dumps(payload) if "payload" in order else b""
        self.p0, self.p1 = (0, len(self.frag)) if "payload" in order else (-1, -1)
        self.frag_state: tuple[Any, ...] | None = None
        payload = payload if isinstance(payload, dict) else {}
        self.sale_type_id = payload.get("sale_type_id")
        self.customer_id = payload.get("customer_id")
        products = payload.get("products")
        products = [products] if isinstance(products, dict) else products
        lines = products if isinstance(products, list) else []
        self.product_ids = tuple(p.get("product_id") for p in lines if isinstance(p, dict))

    def payload_json(self) -> bytes | None:
        return self.frag[self.p0 : self.p1] if self.p0 >= 0 else None

    def payload(self) -> Any:
        raw = self.payload_json()
        return json.loads(raw) if raw is not None else None

    def _state(self) -> tuple[Any, ...]:
        return (self.status, self.updated, self.created)

    def _encode(self, payload_json: bytes | None, extra: dict[str, Any]) -> tuple[bytes, int]:
        dynamic = {
            "status": self.status,
            "integration_status": self.integration_status(),
            "created_at": iso(self.created),
            "updated_at": iso(self.updated),
        }
        head = {k: dynamic.get(k, v) for k, v in self.head.items()}
        tail = {k: dynamic.get(k, v) for k, v in self.tail.items()}
        tail.update(extra)
        if payload_json is None:
            return _dumps({**head, **tail}), -1
        prefix = _dumps(head)[:-1] + b',"payload":' if head else b'{"payload":'
        suffix = b"," + _dumps(tail)[1:] if tail else b"}"
        return prefix + payload_json + suffix, len(prefix)

    def _compose(self, payload_json: bytes | None) -> None:
        self.frag, self.p0 = self._encode(payload_json, {})
        self.p1 = self.p0 + len(payload_json) if payload_json is not None else -1
        self.frag_state = self._state()

    def fields(self) -> dict[str, Any]:
        """Every stored top-level field, payload included, as a fresh copy."""
        data = copy.deepcopy(self.head)
        if self.p0 >= 0:
            data["payload"] = self.payload()
        data.update(copy.deepcopy(self.tail))
        return data

    def field(self, name: str) -> Any:
        if name == "status":
            return self.status
        if name == "sale_type_id":
            return self.sale_type_id
        if name == "customer_id":
            return self.customer_id
        if name == "integration_status":
            return self.integration_status()
        return self.head[name] if name in self.head else self.tail.get(name)

    def integration_status(self) -> Any:
        stored = self.head.get("integration_status", self.tail.get("integration_status"))
        if self.field("integration") in _EXTERNAL_INTEGRATIONS and stored in (None, "CREATED"):
            return _INTEGRATION_STATUS.get(self.status, "CREATED")
        return stored

    def receipt(self) -> dict[str, Any] | None:
        """The ``receipt`` relation: ``{id, service_notification_id, status}`` or None [I]."""
        if self.receipt_link is not None:
            return self.receipt_link(self)
        if not self.received or self.receipt_id is None:
            return None
        return {
            "id": self.receipt_id,
            "service_notification_id": self.service_notification_id,
            "status": 1 if self.status == "RECEIVED" else 2,
        }

    def to_json(self, relations: tuple[str, ...] = ()) -> bytes:
        """The order as the API serves it now, encoded."""
        if self.frag_state != self._state():
            self._compose(self.payload_json())
        if not relations:
            return self.frag
        extra: dict[str, Any] = {}
        if "customer" in relations:
            payload = self.payload()
            extra["customer"] = payload.get("customer") if isinstance(payload, dict) else None
        if "receipt" in relations:
            extra["receipt"] = self.receipt()
        return self._encode(self.payload_json(), extra)[0]

    def as_dict(self, relations: tuple[str, ...] = ()) -> dict[str, Any]:
        """The order as served now, a fresh copy the caller may change."""
        return json.loads(self.to_json(relations))
