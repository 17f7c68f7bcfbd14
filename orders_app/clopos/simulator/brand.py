"""The ``Simulator``: one simulated Clopos brand, the object tests and the HTTP layer hold.

It puts the parts together (the clock, the order store, the receipt store, the stop list,
tokens, rate limiters, the fault plan, the request log) and offers the controls tests and
drills use. The contract itself (which request gets which answer) is ``api.py`` and
``pos_api.py``; HTTP is ``server.py``.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from orders_app.clopos.simulator.catalog import ITEMS, product_json, stations
from orders_app.clopos.simulator.clock import Clock
from orders_app.clopos.simulator.config import SimClient, SimulatorConfig
from orders_app.clopos.simulator.faults import FaultPlan
from orders_app.clopos.simulator.order import SimOrder
from orders_app.clopos.simulator.ratelimit import SlidingWindowLimiter
from orders_app.clopos.simulator.receipt import RECEIPT_RELATIONS, SimReceipt
from orders_app.clopos.simulator.receipts import ReceiptQuery, ReceiptStore
from orders_app.clopos.simulator.restaurant import SALE_TYPES, VENUES
from orders_app.clopos.simulator.stoplist import StopList
from orders_app.clopos.simulator.store import OrderQuery, OrderStore
from orders_app.clopos.simulator.tokens import TokenIssuer


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str  # relative to /open-api/v2, e.g. "/orders"
    query: dict[str, str]  # flat: {"filters[0][1][0]": "PENDING"}
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    fault: str | None = None
    at: float = 0.0  # time.time()


class Simulator:
    """A Clopos brand with two venues, its orders over time, and its credentials.

    Thread-safe: every public method takes the simulator lock."""

    def __init__(self, config: SimulatorConfig | None = None):
        self.config = config or SimulatorConfig()
        self.lock = threading.RLock()
        self.clock = Clock(self.config.now, frozen=self.config.frozen)
        # The newest requests (a long demo run must not grow without bound).
        self.request_log: deque[LogEntry] = deque(maxlen=self.config.request_log_size)
        self.faults = FaultPlan(
            kinds=self.config.faults,
            rate=self.config.fault_rate,
            every=self.config.fault_every,
            seed=self.config.seed,
        )
        self.limiter = SlidingWindowLimiter(self.config.rate_limit, 60.0)
        self.auth_limiter = SlidingWindowLimiter(self.config.auth_rate_limit, 60.0)
        self.tokens = TokenIssuer(
            seed=self.config.seed, ttl=self.config.token_ttl, secret=self.config.jwt_secret
        )
        self.store = OrderStore(self.config, self.clock, self.lock)
        self.receipts = ReceiptStore(self.config, self.clock, self.lock, self.store)
        self.store.receipt_link = self.receipts.relation
        for order in self.store.all_orders():
            order.receipt_link = self.receipts.relation
        self.stop_list = StopList(
            seed=self.config.seed,
            tz=self.receipts.tz,
            taken=self.receipts.taken,
            auto=self.config.auto_stop_list,
        )

    # --- orders, as the API reads them -------------------------------------------------------
    @property
    def version(self) -> int:
        return self.store.version

    def warm(self) -> None:
        self.store.warm()

    def query_orders(self, query: OrderQuery) -> list[SimOrder]:
        """Every visible order matching ``query``, sorted. Caller must not mutate the list."""
        return self.store.query_orders(query)

    def order_json(self, order: SimOrder, relations: tuple[str, ...] = ()) -> bytes:
        return order.to_json(relations)

    def find(self, order_id: int, venue_id: int | None = None) -> SimOrder | None:
        return self.store.find(order_id, venue_id)

    # --- receipts, as the API reads them -----------------------------------------------------
    def query_receipts(self, query: ReceiptQuery) -> list[SimReceipt]:
        """Every open or closed receipt matching ``query``, sorted. Do not mutate the list."""
        return self.receipts.query(query)

    def find_receipt(self, receipt_id: int, venue_id: int | None = None) -> SimReceipt | None:
        return self.receipts.find(receipt_id, venue_id)

    def receipt_json(self, receipt: SimReceipt, relations: frozenset[str] = frozenset()):
        return receipt.as_dict(relations, self.receipts.tz)

    # --- reference data ----------------------------------------------------------------------
    def venues(self) -> list[dict[str, Any]]:
        return copy.deepcopy(VENUES)

    def sale_types(self) -> list[dict[str, Any]]:
        return copy.deepcopy(SALE_TYPES)

    def stations(self) -> list[dict[str, Any]]:
        return stations()

    def products(self, relations: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        """Every product of the menu as GET /products serves it, by id."""
        return [product_json(ITEMS[pid], relations) for pid in sorted(ITEMS)]

    def stop_list_entries(self, ids: frozenset[int] | None = None) -> list[dict[str, Any]]:
        """The stop list now (GET /products/stop-list's ``data``)."""
        with self.lock:
            return self.stop_list.entries(self.clock.time(), ids)

    # --- tokens ------------------------------------------------------------------------------
    def all_clients(self) -> tuple[SimClient, ...]:
        return (*self.config.clients, *self.config.extra_clients)

    def issue_token(self, client: SimClient) -> tuple[str, int]:
        return self.tokens.issue(client)

    def token_expired(self, claims: dict[str, Any]) -> bool:
        return self.tokens.expired(claims)

    # --- controls for tests and drills -------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every token issued so far answers 401 "Token expired" from now on."""
        self.tokens.expire_all()

    def inject(self, kind: str, count: int = 1) -> None:
        """Answer the next ``count`` authenticated requests with fault ``kind``."""
        self.faults.inject(kind, count)

    def reset_log(self) -> None:
        with self.lock:
            self.request_log.clear()

    def log(self, entry: LogEntry) -> None:
        with self.lock:
            self.request_log.append(entry)

    def requests_to(self, path: str) -> list[LogEntry]:
        with self.lock:
            return [e for e in self.request_log if e.path == path]

    def add_order(self, **overrides: Any) -> dict[str, Any]:
        """Create an order "now" (simulator clock) and return it as GET /orders/{id} shows it;
        the overrides are ``OrderStore.add_order``'s."""
        return self.store.add_order(**overrides)

    def set_status(self, order_id: int, status: str) -> dict[str, Any]:
        """Move an order to ``status`` now; automatic progress stops for that order."""
        return self.store.set_status(order_id, status)

    def update_order(self, order_id: int, **changes: Any) -> dict[str, Any]:
        """Edit an order now (``updated_at`` moves): top-level fields replace, ``payload`` merges,
        ``status`` goes through set_status."""
        return self.store.update_order(order_id, **changes)

    def order(self, order_id: int, relations: tuple[str, ...] = ("receipt",)) -> dict[str, Any]:
        """An order as the API serves it now."""
        return self.store.order(order_id, relations)

    def order_ids(self) -> list[int]:
        return self.store.order_ids()

    # --- receipt, kitchen and stop-list controls ---------------------------------------------
    def receipt(
        self, receipt_id: int, relations: tuple[str, ...] | frozenset[str] = RECEIPT_RELATIONS
    ) -> dict[str, Any]:
        """A receipt as GET /receipts/{id} serves it now (every ``with[]`` by default)."""
        with self.lock:
            return self.receipt_json(self.receipts.get(receipt_id), frozenset(relations))

    def receipt_for_order(self, order_id: int) -> dict[str, Any] | None:
        """The receipt an order opened, or None (not accepted yet, or never)."""
        with self.lock:
            receipt = self.receipts.for_order(order_id)
            return (
                None
                if receipt is None
                else self.receipt_json(receipt, frozenset(RECEIPT_RELATIONS))
            )

    def receipt_ids(self) -> list[int]:
        return self.receipts.ids()

    def set_receipt_status(self, receipt_id: int, order_status: str) -> dict[str, Any]:
        """Set a receipt's ``order_status`` now; its automatic kitchen progress stops."""
        with self.lock:
            self.receipts.set_order_status(receipt_id, order_status)
            return self.receipt(receipt_id)

    def close_receipt(
        self,
        receipt_id: int,
        payment_methods: list[dict[str, Any]] | None = None,
        closed_at: Any = None,
    ) -> dict[str, Any]:
        """Close a receipt now (or at ``closed_at``), paid by ``payment_methods`` (default: its
        own method, the whole total). ValueError if already closed or before it opened."""
        with self.lock:
            self.receipts.close(receipt_id, payment_methods, closed_at)
            return self.receipt(receipt_id)

    def patch_receipt(self, receipt_id: int, **changes: Any) -> dict[str, Any]:
        """What PATCH /receipts/{id} does: only order_status, order_number, fiscal_id and lock
        (``receipt_patch.InvalidPatch`` otherwise)."""
        with self.lock:
            self.receipts.patch(receipt_id, changes)
            return self.receipt(receipt_id)

    def open_table(self, **options: Any) -> dict[str, Any]:
        """Open a dine-in receipt now: ``venue_id``, ``hall_id``, ``table_id``, ``guests``,
        ``products`` ([id or (id, count)]); all optional."""
        with self.lock:
            return self.receipt(self.receipts.open_table(**options).id)

    def set_pos_writes_order_status(self, on: bool) -> None:
        """From now on the POS does (True) or does not (False) write receipts' order_status."""
        self.receipts.set_pos_writes_order_status(on)

    def stop_product(self, product_id: int, limit: int = 0, count_down: bool = False) -> None:
        """Put a product on the stop list now with ``limit`` (0: out of stock); with
        ``count_down`` the limit drops as receipts take the product."""
        if product_id not in ITEMS:
            raise KeyError(f"no product {product_id} on the menu")
        with self.lock:
            self.stop_list.put(product_id, limit, self.clock.time(), count_down)

    def release_product(self, product_id: int) -> None:
        """Take a product off the stop list now (its own entries of the day too)."""
        if product_id not in ITEMS:
            raise KeyError(f"no product {product_id} on the menu")
        with self.lock:
            self.stop_list.put(product_id, None, self.clock.time())

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.store.summary(),
                "receipts": self.receipts.summary(),
                "stop_list": len(self.stop_list_entries()),
                "requests": len(self.request_log),
                "faults_pending": self.faults.pending(),
            }
