"""The brand's receipts over time: one for each accepted order and one for each dine-in table
(``receipt_factory.py``), their kitchen progress against the clock (``kitchen.py``), the sorted
and filtered lists GET /receipts pages through, PATCH, and the receipt controls.

As with orders, a receipt's state is a function of the simulator clock and its plan, so a seeded
run is reproducible and a frozen clock gives stable receipts. Only receipts with a step still
ahead (or just changed) are looked at when the clock moves; sorted lists and filtered results
are cached per state version.

Nothing is built until something asks for a receipt (a receipt route, an order's ``receipt``
relation, a control): a simulator only paged for its orders pays nothing. Orders the order
store added or changed since the last look (``OrderStore.changed``) get their receipt
(re)built; what was set by hand (PATCHed fields, an explicit ``order_status``, a manual close)
survives that.

``pos_writes_order_status`` is a setting over time: turning it off (or on) at a moment drops
(or brings back) the POS's own ``order_status`` steps from that moment on.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from orders_app.clopos.simulator.clock import Clock, parse_time
from orders_app.clopos.simulator.config import SimulatorConfig
from orders_app.clopos.simulator.kitchen import ORDER_STATUSES, override, writes_over_time
from orders_app.clopos.simulator.order import SimOrder
from orders_app.clopos.simulator.receipt import SimReceipt
from orders_app.clopos.simulator.receipt_factory import (
    order_receipt,
    table_openings,
    table_receipt,
)
from orders_app.clopos.simulator.receipt_patch import validate_patch
from orders_app.clopos.simulator.restaurant import VENUES
from orders_app.clopos.simulator.store import OrderStore, _key_value

SORT_FIELDS = ("created_at", "updated_at", "closed_at", "total")
# [D] "commonly used with status, sale_type_id, terminal_id"; the rest are accepted too [I].
FILTER_FIELDS = (
    "status",
    "sale_type_id",
    "terminal_id",
    "id",
    "venue_id",
    "order_status",
    "customer_id",
    "source",
    "table_id",
    "hall_id",
    "service_notification_id",
)
_SORT_KEYS = {
    "created_at": lambda r: (r.opened, r.id),
    "updated_at": lambda r: (r.updated, r.id),
    "closed_at": lambda r: (r.close_at if r.closed else -1, r.id),  # null first, as MySQL does
    "total": lambda r: (r.total(), r.id),
}


@dataclass(frozen=True)
class ReceiptQuery:
    """A validated GET /receipts query, without paging."""

    venue_id: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    filters: tuple[tuple[str, frozenset[str]], ...] = ()
    sort: str = "created_at"
    direction: int = -1


class ReceiptStore:
    """Every receipt of the brand, open, closed or not yet opened. Thread-safe under the
    simulator's lock, shared with the order store."""

    def __init__(
        self, config: SimulatorConfig, clock: Clock, lock: threading.RLock, orders: OrderStore
    ):
        self.config = config
        self.clock = clock
        self.lock = lock
        self.orders = orders
        self.tz = ZoneInfo(config.receipt_timezone)
        self._date_tz = ZoneInfo(config.date_timezone)
        self._receipts: dict[int, SimReceipt] = {}
        self._by_order: dict[int, SimReceipt] = {}
        self._filter_dates: dict[int, str] = {}
        self._touched: set[SimReceipt] = set()
        self._unsettled: set[SimReceipt] = set()
        self._full = True
        self._eval_at = -math.inf
        self._next_change = -math.inf
        self._version = 0
        self._ranks_stale = True
        self._sorted: dict[tuple[str, int], list[SimReceipt]] = {}
        self._results: dict[ReceiptQuery, list[SimReceipt]] = {}
        self._writes: list[tuple[float, bool]] = [(-math.inf, config.pos_writes_order_status)]
        span_start = clock.time() - config.days * 86_400
        self._tables_until = int(span_start // 3600 * 3600)  # the next hour to draw tables for
        self._next_table_id = config.first_table_receipt_id
        self._tables_added = 0

    # --- evaluation over time ----------------------------------------------------------------
    def refresh(self) -> float:
        """Bring every receipt to the clock's time; return that time. Caller holds the lock."""
        now = self.orders.refresh()
        changed_orders = self.orders.changed
        tables_due = self.config.tables_per_hour > 0 and now + 3600 >= self._tables_until
        if (
            not changed_orders
            and not tables_due
            and not self._touched
            and not self._full
            and self._eval_at <= now < self._next_change
        ):
            return now
        self.orders.changed = set()
        changed = False
        for order in sorted(changed_orders, key=lambda o: o.id):
            changed |= self._sync_order(order)
        if tables_due:
            self._draw_tables(now)
        full = self._full or now < self._eval_at
        candidates = list(self._receipts.values()) if full else self._unsettled | self._touched
        changed |= bool(self._touched)
        writes = self._writes_at()
        next_change = self._tables_until - 3600 if self.config.tables_per_hour > 0 else math.inf
        for receipt in candidates:
            moved, ahead = receipt.evaluate(now, writes)
            changed |= moved
            if ahead < math.inf:
                self._unsettled.add(receipt)
                next_change = min(next_change, ahead)
            else:
                self._unsettled.discard(receipt)
        if self._ranks_stale:
            self._rank()
        self._eval_at, self._next_change = now, next_change
        self._touched.clear()
        self._full = False
        if changed:
            self._version += 1
            self._sorted.clear()
            self._results.clear()
        return now

    def _writes_at(self) -> Callable[[float], bool]:
        return writes_over_time(self._writes)

    def _sync_order(self, order: SimOrder) -> bool:
        """(Re)build an order's receipt after the order changed; True if the set changed."""
        old = self._by_order.get(order.id)
        new = order_receipt(order, seed=self.config.seed, tz=self.tz)
        if old is not None:
            self._drop(old)
        if new is None:
            return old is not None
        if old is not None:  # keep what was set by hand
            for name in old.patched:
                setattr(new, name, getattr(old, name))
            new.patched, new.edited = old.patched, old.edited
            if old.manual_status:
                new.steps, new.cancelled, new.manual_status = old.steps, old.cancelled, True
            if old.manual_close:
                new.close_at, new.payments, new.manual_close = old.close_at, old.payments, True
        self._by_order[order.id] = new
        self._add(new)
        return True

    def _add(self, receipt: SimReceipt) -> None:
        self._receipts[receipt.id] = receipt
        date = datetime.fromtimestamp(receipt.opened, self._date_tz).date().isoformat()
        self._filter_dates[receipt.id] = date
        self._touched.add(receipt)
        self._ranks_stale = True

    def _drop(self, receipt: SimReceipt) -> None:
        self._receipts.pop(receipt.id, None)
        if receipt.order_id is not None:
            self._by_order.pop(receipt.order_id, None)
        self._unsettled.discard(receipt)
        self._touched.discard(receipt)
        self._ranks_stale = True

    def _draw_tables(self, now: float) -> None:
        while self._tables_until <= now + 3600:
            hour = self._tables_until
            for venue in VENUES:
                for opened, key in table_openings(
                    self.config.seed, venue["id"], hour, self.config.tables_per_hour, self.tz
                ):
                    self._add(self._new_table(key, opened=opened, venue_id=venue["id"]))
            self._tables_until += 3600

    def _new_table(self, key: str, **options: Any) -> SimReceipt:
        receipt = table_receipt(self._next_table_id, key, tz=self.tz, **options)
        self._next_table_id += 1
        return receipt

    def _rank(self) -> None:
        """``properties.daily_id`` and ``monthly_id``: 1, 2, ... per venue per local day and
        month, in opening order."""
        days: dict[tuple[int, str], int] = {}
        months: dict[tuple[int, str], int] = {}
        for receipt in sorted(self._receipts.values(), key=lambda r: (r.opened, r.id)):
            day, month = (
                (receipt.venue_id, receipt.local_date),
                (receipt.venue_id, receipt.local_date[:7]),
            )
            days[day] = receipt.daily_id = days.get(day, 0) + 1
            months[month] = receipt.monthly_id = months.get(month, 0) + 1
        self._ranks_stale = False

    @property
    def version(self) -> int:
        with self.lock:
            self.refresh()
            return self._version

    # --- reads -------------------------------------------------------------------------------
    def _sorted_receipts(self, sort: str, direction: int) -> list[SimReceipt]:
        cached = self._sorted.get((sort, direction))
        if cached is None:
            visible = [r for r in self._receipts.values() if r.visible]
            cached = sorted(visible, key=_SORT_KEYS[sort], reverse=direction < 0)
            self._sorted[(sort, direction)] = cached
        return cached

    def query(self, query: ReceiptQuery) -> list[SimReceipt]:
        """Every open or closed receipt matching ``query``, sorted. Do not mutate the list."""
        with self.lock:
            self.refresh()
            cached = self._results.get(query)
            if cached is not None:
                return cached
            rows = self._sorted_receipts(query.sort, query.direction)
            if query.venue_id is not None:
                rows = [r for r in rows if r.venue_id == query.venue_id]
            if query.date_from:
                rows = [r for r in rows if self._filter_dates[r.id] >= query.date_from]
            if query.date_to:
                rows = [r for r in rows if self._filter_dates[r.id] <= query.date_to]
            for name, values in query.filters:
                rows = [r for r in rows if _key_value(r.field(name)) in values]
            result = list(rows)
            if len(self._results) > 256:
                self._results.clear()
            self._results[query] = result
            return result

    def find(self, receipt_id: int, venue_id: int | None = None) -> SimReceipt | None:
        with self.lock:
            self.refresh()
            receipt = self._receipts.get(receipt_id)
            if receipt is None or not receipt.visible:
                return None
            if venue_id is not None and receipt.venue_id != venue_id:
                return None
            return receipt

    def relation(self, order: SimOrder) -> dict[str, Any] | None:
        """An order's ``receipt`` relation now (``SimOrder.receipt`` calls this)."""
        with self.lock:
            self.refresh()
            receipt = self._by_order.get(order.id)
            return receipt.relation() if receipt is not None else None

    def for_order(self, order_id: int) -> SimReceipt | None:
        with self.lock:
            self.refresh()
            receipt = self._by_order.get(int(order_id))
            return receipt if receipt is not None and receipt.visible else None

    def taken(self, product_id: int, since: float, now: float) -> list[tuple[int, float]]:
        """``(opened, count)`` of each receipt opened in [since, now] with that product."""
        with self.lock:
            self.refresh()
            found = []
            for receipt in reversed(self._sorted_receipts("created_at", 1)):
                if receipt.opened < since:
                    break
                if receipt.opened <= now:
                    count = sum(c for p, c in receipt.product_counts() if p == product_id)
                    if count:
                        found.append((receipt.opened, count))
            return sorted(found)

    def ids(self) -> list[int]:
        with self.lock:
            self.refresh()
            return sorted(r.id for r in self._receipts.values() if r.visible)

    def summary(self) -> dict[str, Any]:
        with self.lock:
            self.refresh()
            visible = [r for r in self._receipts.values() if r.visible]
            by_status = dict.fromkeys(ORDER_STATUSES, 0)
            for r in visible:
                by_status[r.order_status] += 1
            return {
                "open": sum(1 for r in visible if not r.closed),
                "closed": sum(1 for r in visible if r.closed),
                "by_order_status": by_status,
                "pos_writes_order_status": self._writes_at()(self.clock.time()),
            }

    # --- writes: PATCH and the controls ------------------------------------------------------
    def get(self, receipt_id: int) -> SimReceipt:
        """A visible receipt, for a control; KeyError names an unknown one."""
        receipt = self.find(int(receipt_id))
        if receipt is None:
            raise KeyError(f"no receipt {receipt_id} in the simulator")
        return receipt

    def _now_for(self, receipt: SimReceipt) -> int:
        return max(int(self.clock.time()), receipt.opened)

    def patch(self, receipt_id: int, data: Any) -> SimReceipt:
        """PATCH /receipts/{id}: ``validate_patch``, then apply; ``updated_at`` moves only if
        something changed. Works on closed receipts too [D]."""
        with self.lock:
            receipt = self.get(receipt_id)
            changes = validate_patch(data)
            now = self._now_for(receipt)
            changed = False
            for name, value in changes.items():
                if name == "order_status":
                    if value != receipt.order_status:
                        receipt.steps = override(receipt.steps, now, value)
                        receipt.manual_status = changed = True
                elif getattr(receipt, name) != value:
                    setattr(receipt, name, value)
                    receipt.patched.add(name)
                    changed = True
            if changed:
                receipt.edited = now
                self._touched.add(receipt)
                self.refresh()
            return receipt

    def set_order_status(self, receipt_id: int, order_status: str) -> SimReceipt:
        """Set ``order_status`` now, whatever it was; automatic steps stop for that receipt."""
        with self.lock:
            receipt = self.get(receipt_id)
            receipt.steps = override(receipt.steps, self._now_for(receipt), order_status)
            receipt.manual_status = True
            self._touched.add(receipt)
            self.refresh()
            return receipt

    def close(
        self,
        receipt_id: int,
        payment_methods: list[dict[str, Any]] | None = None,
        closed_at: Any = None,
    ) -> SimReceipt:
        """Close an open receipt (status 2) now or at ``closed_at`` (see ``_parse_local``);
        POS steps after the close are dropped."""
        with self.lock:
            receipt = self.get(receipt_id)
            if receipt.closed:
                raise ValueError("Receipt is already closed")
            at = self._now_for(receipt) if closed_at is None else self._parse_local(closed_at)
            if at < receipt.opened:
                raise ValueError("closed_at must not be before created_at")
            receipt.close_at, receipt.manual_close = at, True
            receipt.payments = payment_methods
            receipt.steps = [s for s in receipt.steps if s[0] <= at or not s[2]]
            receipt.cancelled = any(status == "CANCELLED" for _t, status, _pos in receipt.steps)
            self._touched.add(receipt)
            self.refresh()
            return receipt

    def _parse_local(self, value: Any) -> int:
        """A datetime, an epoch, or text: ``2026-01-20 09:59:54`` (no zone: the receipts' local
        time, as they print it) or ISO 8601 with a zone."""
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return int(parsed.replace(tzinfo=parsed.tzinfo or self.tz).timestamp())
        return parse_time(value)

    def open_table(self, **options: Any) -> SimReceipt:
        """A dine-in receipt opened now: ``venue_id`` (1), ``hall_id``, ``table_id``, ``guests``,
        ``products`` (ids or (id, count) pairs); it progresses and closes like any other."""
        with self.lock:
            self.refresh()
            options.setdefault("venue_id", 1)
            if options["venue_id"] not in {v["id"] for v in VENUES}:
                raise ValueError(f"no venue {options['venue_id']} in this brand")
            self._tables_added += 1
            key = f"{self.config.seed}:table-added:{self._tables_added}"
            receipt = self._new_table(key, opened=int(self.clock.time()), **options)
            self._add(receipt)
            self.refresh()
            return receipt

    def set_pos_writes_order_status(self, on: bool) -> None:
        """From now on the POS does (or does not) write ``order_status``."""
        with self.lock:
            self._writes.append((self.clock.time(), bool(on)))
            self._writes.sort(key=lambda toggle: toggle[0])
            self._full = True
            self.refresh()
