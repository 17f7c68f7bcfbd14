"""The simulator's state: configuration, the clock, and the orders as they move over time.

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

import copy
import itertools
import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from orders_app.clopos.simulator import jwt
from orders_app.clopos.simulator.factory import (
    MODIFIER_SHAPES,
    STATUSES,
    Features,
    OrderFactory,
    make_customers,
)
from orders_app.clopos.simulator.faults import FAULT_KINDS, FaultPlan
from orders_app.clopos.simulator.ratelimit import SlidingWindowLimiter
from orders_app.clopos.simulator.restaurant import CHANNELS, SALE_TYPES, VENUES

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
_EXTERNAL_INTEGRATIONS = {c.integration for c in CHANNELS if c.external_prefix}
_INTEGRATION_STATUS = {
    "PENDING": "CREATED",
    "RECEIVED": "ACCEPTED",
    "DELIVERED": "DELIVERED",
    "IGNORE": "REJECTED",
}


def _demo_credentials() -> dict[str, str]:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return dict(settings.CLOPOS_DEMO_CREDENTIALS)
    except ImproperlyConfigured:  # Django not configured: the same defaults settings.py ships
        return {
            "client_id": "pass-demo",
            "client_secret": "pass-demo-secret",
            "brand": "pass-demo",
            "integrator_id": "pass-demo-integrator",
        }


@dataclass(frozen=True)
class SimClient:
    """One set of API credentials the simulator accepts."""

    client_id: str
    client_secret: str
    brand: str
    integrator_id: str
    integrator_is_test: bool = False
    brand_is_test: bool = False
    venue_id: int = 1  # the token's default venue (a claim, like the real JWT)

    @classmethod
    def demo(cls) -> SimClient:
        return cls(**_demo_credentials())


def _default_clients() -> tuple[SimClient, ...]:
    return (SimClient.demo(),)


@dataclass
class SimulatorConfig:
    seed: int = 1
    orders: int = 300  # seeded orders, spread over the last `days` days
    days: float = 7.0
    new_every: float = 0.0  # a new live order every S seconds of simulator time; 0 = off
    rate_limit: int = 300  # authenticated requests per minute per integrator:brand
    auth_rate_limit: int = 60  # POST /auth per minute per client address
    token_ttl: int = 3600
    faults: tuple[str, ...] = ()  # kinds drawn by fault_rate / fault_every
    fault_rate: float = 0.0  # probability per authenticated request
    fault_every: int = 0  # every Nth authenticated request; 0 = off
    slow_seconds: float = 12.0
    fault_429_reset: int = 2  # RateLimit-Reset sent with an injected 429
    now: datetime | None = None  # clock start; None = the real time
    frozen: bool = False  # True: the clock moves only through clock.advance()/set()
    clients: tuple[SimClient, ...] = field(default_factory=_default_clients)
    extra_clients: tuple[SimClient, ...] = ()
    hostile: bool = False  # seed one order whose text is hostile HTML/JS
    restrict_to_token_venue: bool = False  # no x-venue: only the token's venue (else all)
    date_timezone: str = "Asia/Baku"  # how date[0]/date[1] are read
    first_order_id: int = 10_001
    request_log_size: int = 10_000
    jwt_secret: str = "pass-simulator-hs256-key"  # noqa: S105 (a fake API signs fake tokens)

    def __post_init__(self) -> None:
        unknown = [k for k in self.faults if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(FAULT_KINDS)}")
        if self.orders < 0 or self.days <= 0:
            raise ValueError("orders must be >= 0 and days > 0")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate is a probability between 0 and 1")
        if self.new_every < 0 or self.fault_every < 0 or self.slow_seconds < 0:
            raise ValueError("new_every, fault_every and slow_seconds must be >= 0")
        if self.rate_limit < 1 or self.auth_rate_limit < 1 or self.token_ttl < 1:
            raise ValueError("rate_limit, auth_rate_limit and token_ttl must be >= 1")


class Clock:
    """Simulator time: real time from a start point, plus explicit advances.

    ``frozen=True`` stops real time from moving it (tests move it with ``advance``)."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False):
        self._start = (start or datetime.now(UTC)).timestamp()
        self._start = float(math.floor(self._start)) if start is None else self._start
        self._mono = time.monotonic()
        self._offset = 0.0
        self.frozen = frozen

    def time(self) -> float:
        elapsed = 0.0 if self.frozen else time.monotonic() - self._mono
        return self._start + self._offset + elapsed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> datetime:
        self._offset += seconds
        return self.now()

    def set(self, when: datetime) -> datetime:
        self._offset += when.timestamp() - self.time()
        return self.now()


def iso(epoch: float) -> str:
    """2026-02-02T13:45:53.000000Z, the way Clopos prints order times."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(int(epoch)))


def parse_time(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


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
        "receipt_id",
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


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str  # relative to /open-api/v2, e.g. "/orders"
    query: dict[str, str]  # flat: {"filters[0][1][0]": "PENDING"}
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    fault: str | None = None
    at: float = 0.0  # time.time()


def _key_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


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
        self._tz = ZoneInfo(self.config.date_timezone)
        self._orders: dict[int, SimOrder] = {}
        self._next_id = self.config.first_order_id
        self._sid = itertools.count(1)
        self._expired_below = 0
        self._added = 0
        self._version = 0
        self._full = True  # evaluate every order on the next refresh
        self._touched: set[SimOrder] = set()  # changed by a control since the last refresh
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
            self._refresh()
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
        order.local_date = self._local_date(created)
        self._orders[order_id] = order
        self._touched.add(order)
        return order

    def _local_date(self, epoch: int) -> str:
        return datetime.fromtimestamp(epoch, self._tz).date().isoformat()

    # --- evaluation over time ----------------------------------------------------------------
    def _refresh(self) -> float:
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
            self._refresh()
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
            self._refresh()
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

    def order_json(self, order: SimOrder, relations: tuple[str, ...] = ()) -> bytes:
        return order.to_json(relations)

    def find(self, order_id: int, venue_id: int | None = None) -> SimOrder | None:
        with self.lock:
            self._refresh()
            order = self._orders.get(order_id)
            if order is None or not order.visible:
                return None
            if venue_id is not None and order.field("venue_id") != venue_id:
                return None
            return order

    # --- reference data ----------------------------------------------------------------------
    def venues(self) -> list[dict[str, Any]]:
        return copy.deepcopy(VENUES)

    def sale_types(self) -> list[dict[str, Any]]:
        return copy.deepcopy(SALE_TYPES)

    # --- tokens ------------------------------------------------------------------------------
    def all_clients(self) -> tuple[SimClient, ...]:
        return (*self.config.clients, *self.config.extra_clients)

    def issue_token(self, client: SimClient) -> tuple[str, int]:
        with self.lock:
            issued = int(time.time())
            expires = issued + self.config.token_ttl
            claims = {
                "token": f"oauth_{random.Random(f'{self.config.seed}:{issued}:{client.client_id}').getrandbits(96):024x}",
                "brand": client.brand,
                "stage": "beta" if client.brand_is_test else "production",
                "venue_id": client.venue_id,
                "integrator_id": client.integrator_id,
                "sid": next(self._sid),
                "iat": issued,
                "exp": expires,
            }
            return jwt.encode(claims, self.config.jwt_secret), expires

    def token_expired(self, claims: dict[str, Any]) -> bool:
        return (
            int(claims.get("sid", 0)) < self._expired_below
            or float(claims.get("exp", 0)) <= time.time()
        )

    # --- controls for tests and drills -------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every token issued so far answers 401 "Token expired" from now on."""
        with self.lock:
            self._expired_below = next(self._sid)

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
        """Create an order "now" (simulator clock) and return it as GET /orders/{id} shows it.

        Overrides: any top-level order field; ``payload`` (merged into the payload);
        shortcuts ``customer`` (dict or None), ``products``, ``comment``, ``delivery_fee``;
        ``created_at`` (datetime, epoch or ISO); ``status`` (fixed, no automatic progress);
        ``progress=False`` (stay PENDING until set_status); ``features`` (a data.Features)."""
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
            self._refresh()
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
            self._refresh()
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
            self._refresh()
            return order.as_dict(("receipt",))

    def order(self, order_id: int, relations: tuple[str, ...] = ("receipt",)) -> dict[str, Any]:
        """An order as the API serves it now."""
        with self.lock:
            self._refresh()
            return self._get(order_id).as_dict(relations)

    def order_ids(self) -> list[int]:
        with self.lock:
            self._refresh()
            return sorted(o.id for o in self._orders.values() if o.visible)

    def summary(self) -> dict[str, Any]:
        with self.lock:
            now = self._refresh()
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
                "requests": len(self.request_log),
                "faults_pending": self.faults.pending(),
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
