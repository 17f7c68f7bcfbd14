"""The simulated brand's orders as they move over time: seeding, live orders, status
evaluation against the clock, the sorted and filtered lists GET /orders pages through, and the
controls tests use to add, move and edit orders.

An order's status is a pure function of the simulator clock and the order's schedule
(``[(epoch, status), ...]``, starting with ``(created, "PENDING")``), so a seeded run is
reproducible. ``set_status`` is an explicit override: it cuts the schedule at "now" and
freezes the order in the new status. ``updated_at`` is the time of the latest schedule step or
edit that has happened.

Sorted order lists and filtered results are cached per *state version*; the version moves only
when an order becomes visible, changes status, or is edited, so paging through 20,000 orders
re-sorts nothing.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from orders_app.clopos.simulator.clock import Clock, iso, parse_time
from orders_app.clopos.simulator.config import SimulatorConfig
from orders_app.clopos.simulator.factory import (
    MODIFIER_SHAPES,
    Features,
    OrderFactory,
    make_customers,
)
from orders_app.clopos.simulator.order import STATUSES, SimOrder

SORT_FIELDS = ("id", "created_at", "updated_at")
FILTER_FIELDS = (
    "id",
    "venue_id",
    "status",
    "type",
    "integration",
    "integration_status",
    "customer_ref_id",
    "sale_type_id",
    "customer_id",
)


@dataclass(frozen=True)
class OrderQuery:
    """A validated GET /orders query, without paging."""

    venue_id: int | None = None
    status: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    filters: tuple[tuple[str, frozenset[str]], ...] = ()
    sort: str = "created_at"
    direction: int = -1


def _key_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class OrderStore:
    """Every order of the brand, visible or not yet. Thread-safe under the simulator's lock,
    which the caller shares so an API handler can read a count and a page as one snapshot."""

    def __init__(self, config: SimulatorConfig, clock: Clock, lock: threading.RLock):
        self.config = config
        self.clock = clock
        self.lock = lock
        self._tz = ZoneInfo(self.config.date_timezone)
        self._next_id = self.config.first_order_id
        self._orders: dict[int, SimOrder] = {}
        self._added = 0
        self._version = 0
        self._full = True  # evaluate every order on the next refresh
        self._touched: set[SimOrder] = set()  # changed by a control since the last refresh
        # Orders added or changed since the receipt store last took them (it empties the set),
        # and the receipt store's relation lookup, which SimOrder.receipt() calls (brand.py).
        self.changed: set[SimOrder] = set()
        self.receipt_link: Callable[[SimOrder], dict[str, Any] | None] | None = None
        self._unsettled: set[SimOrder] = set()  # orders with a step still ahead of the clock
        self._eval_at = -math.inf
        self._next_change = -math.inf
        self._sorted: dict[tuple[str, int], list[SimOrder]] = {}
        self._results: dict[OrderQuery, list[SimOrder]] = {}
        self.customers = make_customers(random.Random(f"{self.config.seed}:customers"))
        self.factory = OrderFactory(self.customers)
        start = self.clock.time()
        self._live_index = 0
        self._next_live = start + self.config.new_every if self.config.new_every > 0 else math.inf
        self._seed_orders(int(start))
        self.warm()

    def warm(self) -> None:
        """Encode every order and sort once up front, so the first pages are as fast as the rest."""
        with self.lock:
            self.refresh()
            for order in self._orders.values():
                order.to_json()
            for sort in SORT_FIELDS:
                self._sorted_orders(sort, -1)

    # --- seeding -----------------------------------------------------------------------------
    def _seed_orders(self, now: int) -> None:
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:seed")
        span = int(cfg.days * 86_400)
        times: list[int] = []
        # A few orders still in flight at start, so a demo board is never empty at 9 a.m.
        in_flight = min(cfg.orders // 15, 8)
        for index in range(cfg.orders):
            if index < in_flight:  # two just in (still PENDING), the rest within 45 minutes
                times.append(now - rng.randrange(60 if index < 2 else 45 * 60))
                continue
            for _attempt in range(4):  # prefer opening hours, 10:00-23:59 Baku time
                created = now - rng.randrange(max(span, 1))
                if datetime.fromtimestamp(created, self._tz).hour >= 10:
                    break
            times.append(created)
        times.sort()
        features: dict[int, Features] = {}
        if times:
            wanted = [Features(shape=s) for s in MODIFIER_SHAPES] + [
                Features(null_customer=True),
                Features(no_meta=True),
                Features(no_service=True),
                Features(extra_fields=True),
            ]
            if cfg.hostile:
                wanted.append(Features(hostile=True))
            positions = rng.sample(range(len(times)), k=min(len(wanted), len(times)))
            features = dict(zip(positions, wanted, strict=False))
        for index, created in enumerate(times):
            order_rng = random.Random(f"{cfg.seed}:order:{index}")
            self._insert(order_rng, created, features.get(index))

    def _insert(
        self, rng: random.Random, created: int, features: Features | None = None
    ) -> SimOrder:
        order_id = self._next_id
        self._next_id += 1
        spec = self.factory.build(rng, order_id=order_id, created=created, features=features)
        order = SimOrder(spec.order, created, spec.schedule)
        order.receipt_id = spec.receipt_id
        order.service_notification_id = spec.service_notification_id
        order.receipt_link = self.receipt_link
        order.local_date = self._local_date(created)
        self._orders[order_id] = order
        self._touched.add(order)
        return order

    def _local_date(self, epoch: int) -> str:
        return datetime.fromtimestamp(epoch, self._tz).date().isoformat()

    # --- evaluation over time ----------------------------------------------------------------
    def refresh(self) -> float:
        """Bring the orders to the clock's time; return that time. Caller holds the lock.

        Only orders with a step still ahead (or just changed by a control) are looked at,
        so a restaurant of 20,000 orders costs a few dozen checks per status change."""
        now = self.clock.time()
        if not self._touched and not self._full and self._eval_at <= now < self._next_change:
            return now
        while self._next_live <= now:
            self._live_index += 1
            rng = random.Random(f"{self.config.seed}:live:{self._live_index}")
            self._insert(rng, int(self._next_live))
            self._next_live += self.config.new_every
        full = self._full or now < self._eval_at  # first run, or the clock went back
        candidates = list(self._orders.values()) if full else list(self._unsettled | self._touched)
        changed = bool(self._touched)
        self.changed |= self._touched
        next_change = self._next_live
        for order in candidates:
            ahead = math.inf
            if order.created > now:
                ahead = order.created
                if order.visible:
                    order.visible = False
                    changed = True
            else:
                status, at, received = "PENDING", order.created, False
                for step_at, step_status in order.schedule:
                    if step_at <= now:
                        status, at = step_status, step_at
                        received = received or step_status == "RECEIVED"
                    else:
                        ahead = step_at
                        break
                if order.edited <= now:
                    updated = max(at, order.edited)
                else:
                    updated, ahead = at, min(ahead, order.edited)
                if (
                    not order.visible
                    or status != order.status
                    or updated != order.updated
                    or received != order.received
                ):
                    order.visible, order.status, order.updated = True, status, updated
                    order.received = received
                    changed = True
            if ahead < math.inf:
                self._unsettled.add(order)
                next_change = min(next_change, ahead)
            else:
                self._unsettled.discard(order)
        self._eval_at = now
        self._next_change = next_change
        self._touched.clear()
        self._full = False
        if changed:
            self._version += 1
            self._sorted.clear()
            self._results.clear()
        return now

    @property
    def version(self) -> int:
        with self.lock:
            self.refresh()
            return self._version

    def _sorted_orders(self, sort: str, direction: int) -> list[SimOrder]:
        key = (sort, direction)
        cached = self._sorted.get(key)
        if cached is None:
            keyfunc: Callable[[SimOrder], Any] = {
                "id": lambda o: o.id,
                "created_at": lambda o: (o.created, o.id),
                "updated_at": lambda o: (o.updated, o.id),
            }[sort]
            visible = [o for o in self._orders.values() if o.visible]
            cached = sorted(visible, key=keyfunc, reverse=direction < 0)
            self._sorted[key] = cached
        return cached

    def query_orders(self, query: OrderQuery) -> list[SimOrder]:
        """Every visible order matching ``query``, sorted. Caller must not mutate the list."""
        with self.lock:
            self.refresh()
            cached = self._results.get(query)
            if cached is not None:
                return cached
            rows: Iterable[SimOrder] = self._sorted_orders(query.sort, query.direction)
            if query.venue_id is not None:
                rows = [o for o in rows if o.field("venue_id") == query.venue_id]
            if query.status:
                rows = [o for o in rows if o.status == query.status]
            if query.date_from:
                rows = [o for o in rows if o.local_date >= query.date_from]
            if query.date_to:
                rows = [o for o in rows if o.local_date <= query.date_to]
            for name, values in query.filters:
                rows = [o for o in rows if _key_value(o.field(name)) in values]
            result = list(rows)
            if len(self._results) > 256:
                self._results.clear()
            self._results[query] = result
            return result

    def find(self, order_id: int, venue_id: int | None = None) -> SimOrder | None:
        with self.lock:
            self.refresh()
            order = self._orders.get(order_id)
            if order is None or not order.visible:
                return None
            if venue_id is not None and order.field("venue_id") != venue_id:
                return None
            return order

    # --- controls for tests and drills -------------------------------------------------------
    def add_order(self, **overrides: Any) -> dict[str, Any]:
        """Create an order "now" (simulator clock) and return it as GET /orders/{id} shows it.

        Overrides: any top-level order field; ``payload`` (merged into the payload);
        shortcuts ``customer`` (dict or None), ``products``, ``comment``, ``delivery_fee``;
        ``created_at`` (datetime, epoch or ISO); ``status`` (fixed, no automatic progress);
        ``progress=False`` (stay PENDING until set_status); ``features`` (a factory.Features)."""
        with self.lock:
            now = int(self.clock.time())
            created = parse_time(overrides.pop("created_at")) if "created_at" in overrides else now
            self._added += 1
            rng = random.Random(f"{self.config.seed}:added:{self._added}")
            features = overrides.pop("features", None)
            status = overrides.pop("status", None)
            progress = overrides.pop("progress", True)
            order = self._insert(rng, created, features)
            if status is not None:
                self._check_status(status)
                order.schedule = [(created, status)]
                if status != "PENDING" and status != "IGNORE":
                    order.schedule = [(created, "PENDING"), (created, "RECEIVED")]
                    if status != "RECEIVED":
                        order.schedule.append((created, status))
            elif not progress:
                order.schedule = [(created, "PENDING")]
            self._apply_changes(order, overrides)
            self.refresh()
            return order.as_dict(("receipt",))

    def set_status(self, order_id: int, status: str) -> dict[str, Any]:
        """Move an order to ``status`` now; automatic progress stops for that order."""
        with self.lock:
            self._check_status(status)
            order = self._get(order_id)
            now = max(int(self.clock.time()), order.created)
            kept = [(t, s) for t, s in order.schedule if t <= now]
            order.schedule = [*kept, (now, status)]
            if order.edited > now:
                order.edited = now
            self._touched.add(order)
            self.refresh()
            return order.as_dict(("receipt",))

    def update_order(self, order_id: int, **changes: Any) -> dict[str, Any]:
        """Edit an order now (``updated_at`` moves): top-level fields replace, ``payload`` merges,
        ``status`` goes through set_status."""
        with self.lock:
            order = self._get(order_id)
            status = changes.pop("status", None)
            if "created_at" in changes:
                order.created = parse_time(changes.pop("created_at"))
                order.local_date = self._local_date(order.created)
                order.schedule = [(max(t, order.created), s) for t, s in order.schedule]
            self._apply_changes(order, changes)
            order.edited = max(int(self.clock.time()), order.created)
            self._touched.add(order)
            if status is not None:
                return self.set_status(order_id, status)
            self.refresh()
            return order.as_dict(("receipt",))

    def order(self, order_id: int, relations: tuple[str, ...] = ("receipt",)) -> dict[str, Any]:
        """An order as the API serves it now."""
        with self.lock:
            self.refresh()
            return self._get(order_id).as_dict(relations)

    def all_orders(self) -> list[SimOrder]:
        """Every order, visible or not yet, in no particular order."""
        return list(self._orders.values())

    def order_ids(self) -> list[int]:
        with self.lock:
            self.refresh()
            return sorted(o.id for o in self._orders.values() if o.visible)

    def summary(self) -> dict[str, Any]:
        """The clock's time, the state version and the visible orders counted by status."""
        with self.lock:
            now = self.refresh()
            counts = dict.fromkeys(STATUSES, 0)
            for o in self._orders.values():
                if o.visible:
                    counts[o.status] += 1
            return {
                "now": iso(now),
                "unix": int(now),
                "version": self._version,
                "orders": sum(counts.values()),
                "by_status": counts,
            }

    # --- helpers -----------------------------------------------------------------------------
    def _get(self, order_id: int) -> SimOrder:
        order = self._orders.get(int(order_id))
        if order is None:
            raise KeyError(f"no order {order_id} in the simulator")
        return order

    @staticmethod
    def _check_status(status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")

    def _apply_changes(self, order: SimOrder, changes: dict[str, Any]) -> None:
        if not changes:
            return
        data = order.fields()
        payload = data.get("payload")
        if not isinstance(payload, dict):
            payload = data["payload"] = {}
        for key in ("customer", "products", "delivery_fee"):
            if key in changes:
                payload[key] = changes.pop(key)
        if "comment" in changes:
            meta = payload.get("meta")
            if not isinstance(meta, dict):
                meta = payload["meta"] = {}
            meta["comment"] = changes.pop("comment")
        if "payload" in changes:
            extra = changes.pop("payload")
            if extra is None:
                data["payload"] = None
            else:
                payload.update(extra)
        changes.pop("id", None)
        data.update(changes)
        order.set_fields(data)
        self._touched.add(order)
