"""Filling the order cache from Clopos: one pass at a time, idempotent, never half-written.

A pass is one of three kinds, chosen from ``SyncState``:

- **backfill** (first run, ``--since`` or ``--full``): every order created in the last
  ``SYNC_BACKFILL_DAYS`` (or since a date, or ever), read ``created_at`` ascending so new orders
  arriving meanwhile only append to the end and never shift the pages still to read.
- **incremental** (every later run): ``updated_at`` descending from page 1, stopping once a
  page reaches back past the watermark minus ``SYNC_OVERLAP_MINUTES``. Changes during the pass
  move rows towards page 1, so later pages can only repeat a row, never skip one. An idle
  restaurant costs one request and no writes to the cache.
- **reconcile** (every ``SYNC_RECONCILE_MINUTES``, after the incremental part): re-reads today's
  orders, and refreshes venues and sale types.

Every ``date[]`` window sent to Clopos is padded by a day on each side (the API does not say
which time zone it reads dates in) and everything that comes back is kept.

Each page is written in one transaction with bulk writes (``Rows``: multi-row INSERT/UPDATE
through Django's connection with the backend's own value adapters): new orders are inserted,
orders whose ``content_hash`` changed are updated and their items and modifiers replaced, the
rest cost one read of their hashes. ``SyncState.data_version`` moves only when a page changed
something. An idle pass writes nothing but one UPDATE of the sync-state row (so /healthz knows
the pass happened). An order Clopos sends that cannot be parsed, or that the database refuses,
is parked in ``SkippedOrder`` with its reason; it never stops the pass.

The watermark moves only at the end of a complete pass and never past what the pass has read:
a change made after the first page was served carries an ``updated_at`` at or after Clopos's
clock at that moment (the envelope's ``unix``; ours if Clopos does not send it), and the next
pass reads back to the watermark minus the overlap. A pass killed midway leaves whole pages
behind, and the next pass converges to the same cache. Backfills fetch the next page while the
current one is written (their order never shifts, so nothing is lost by reading ahead).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders_app.clopos.errors import CloposError
from orders_app.clopos.payloads import (
    ParsedOrder,
    PayloadError,
    compact,
    fast_json,
    json_safe,
    parse_order,
    parse_sale_type,
    parse_timestamp,
    parse_venue,
)
from orders_app.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderItemModifier,
    SaleType,
    SkippedOrder,
    SyncState,
    Venue,
)
from orders_app.services.locks import LeaseLost
from orders_app.services.search_index import indexed_in_one_go

logger = logging.getLogger("orders_app.sync")

BACKFILL = "backfill"
FULL = "full"
INCREMENTAL = "incremental"
RECONCILE = "reconcile"

SKIPPED_REFRESH = timedelta(minutes=10)
# The API publishes no cap on pages; a runaway walk stops here (200 x 5000 = a million rows).
MAX_PAGES = 5000


# --- Results ------------------------------------------------------------------------------------


@dataclass
class StoreResult:
    """What writing one batch of parsed orders did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    status_changes: int = 0
    changed: bool = False  # whether the data version moved

    def add(self, other: StoreResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.status_changes += other.status_changes
        self.changed = self.changed or other.changed


@dataclass
class Progress:
    """Told to ``progress`` after each page."""

    mode: str
    pages: int
    orders: int
    total: int | None
    elapsed: float


@dataclass
class PassResult:
    ok: bool = True
    mode: str = INCREMENTAL
    reconciled: bool = False
    reference_refreshed: bool = False
    stopped: bool = False  # should_stop asked us to stop between pages
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    status_changes: int = 0
    pages: int = 0
    orders_read: int = 0
    requests: int = 0
    seconds: float = 0.0
    fetch_seconds: float = 0.0
    parse_seconds: float = 0.0
    write_seconds: float = 0.0
    data_version: int = 0
    watermark: datetime | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)

    def count(self, stored: StoreResult) -> None:
        self.created += stored.created
        self.updated += stored.updated
        self.unchanged += stored.unchanged
        self.skipped += stored.skipped
        self.status_changes += stored.status_changes

    def summary_line(self) -> str:
        """One logfmt-ish line per pass, for people and log collectors alike."""
        if not self.ok:
            return (
                f"sync failed mode={self.mode} requests={self.requests} "
                f"seconds={self.seconds:.2f} error={quote(self.error)}"
            )
        word = "stopped" if self.stopped else "ok"
        line = (
            f"sync {word} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} skipped={self.skipped} requests={self.requests} "
            f"seconds={self.seconds:.2f} version={self.data_version} mode={self.mode}"
        )
        if self.reconciled:
            line += " reconciled=1"
        return line

    def as_state(self) -> dict[str, Any]:
        """What goes into SyncState.last_pass (JSON)."""
        data = asdict(self)
        data["watermark"] = self.watermark.isoformat() if self.watermark else None
        for key in ("seconds", "fetch_seconds", "parse_seconds", "write_seconds"):
            data[key] = round(data[key], 3)
        data["warnings"] = self.warnings[:10]
        return data


def quote(text: str) -> str:
    return '"' + " ".join(str(text).split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- Parsing a page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Skip:
    remote_id: str
    reason: str
    raw: Any


def parse_rows(rows: Iterable[Any]) -> tuple[list[ParsedOrder], list[Skip]]:
    """Parse every row; an unusable one becomes a Skip with its id and reason."""
    parsed: list[ParsedOrder] = []
    skipped: list[Skip] = []
    for raw in rows:
        try:
            parsed.append(parse_order(raw))
        except PayloadError as exc:
            skipped.append(
                Skip(remote_id=exc.remote_id or _anonymous_id(raw), reason=exc.reason, raw=raw)
            )
    return parsed, skipped


def _anonymous_id(raw: Any) -> str:
    digest = hashlib.sha256(compact(raw, 100_000).encode()).hexdigest()[:12]
    return f"(no id) {digest}"


# --- Writing a page -----------------------------------------------------------------------------


class Rows:
    """Fast multi-row INSERT and UPDATE of plain tuples for one model, through Django's
    connection (so SQLite and PostgreSQL alike), without building a model instance per row.

    Values are adapted with the backend's own adapters (``adapt_datetimefield_value``,
    ``adapt_decimalfield_value``, ``adapt_json_value``), exactly as the ORM would; columns the
    caller does not give get the field's default. This is what makes the write stage of a
    20,000-order backfill run close to a raw ``executemany`` (see bench/bench_sync.py).
    """

    def __init__(self, model: type, fields: Sequence[str]) -> None:
        self.model = model
        self.field_names = list(fields)

    def _fields(self) -> list[Any]:
        meta = self.model._meta
        return [meta.get_field(name) for name in self.field_names]

    def _adapters(self, fields: Sequence[Any]) -> list[tuple[int, Callable[[Any], Any]]]:
        """(column index, adapter) for the columns whose values need adapting."""
        ops = connection.ops
        sqlite = connection.vendor == "sqlite"
        decimal_is_identity = (
            type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value
        )
        adapters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, f in enumerate(fields):
            kind = f.get_internal_type()
            adapter: Callable[[Any], Any] | None = None
            if kind == "DateTimeField":
                adapter = (
                    _sqlite_datetime
                    if sqlite and settings.USE_TZ
                    else ops.adapt_datetimefield_value
                )
            elif kind == "DecimalField" and not decimal_is_identity:

                def adapter(v: Any, f: Any = f) -> Any:
                    return ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)

            elif kind == "JSONField":

                def adapter(v: Any, encoder: Any = f.encoder) -> Any:
                    if isinstance(v, EncodedJSON):
                        if sqlite and encoder is None and v.text:
                            return v.text  # what adapt_json_value makes, without a second dump
                        v = v.value
                    if sqlite and encoder is None:
                        return fast_json(v)  # SQLite stores the text; ~5x faster than json.dumps
                    return ops.adapt_json_value(v, encoder)

            if adapter is not None:
                adapters.append((index, adapter))
        return adapters

    @staticmethod
    def _adapt(values: list[Any], adapters: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
        for index, adapter in adapters:
            value = values[index]
            if value is not None:
                values[index] = adapter(value)
        return values

    def _missing(self) -> list[Any]:
        given = set(self.field_names)
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in given and f.attname not in given and not f.primary_key
        ]

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        fields = self._fields()
        missing = self._missing()
        fields_all = [*fields, *missing]
        defaults = [f.get_default() for f in missing]
        adapters = self._adapters(fields_all)
        quote = connection.ops.quote_name
        # Identifiers come from model metadata, quoted by the backend; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(self.model._meta.db_table),
            ", ".join(quote(f.column) for f in fields_all),
            ", ".join(["%s"] * len(fields_all)),
        )
        width = len(fields)
        params = []
        for row in rows:
            if len(row) != width:
                raise ValueError(f"{self.model.__name__} row has {len(row)} values, not {width}")
            params.append(self._adapt([*row, *defaults], adapters))
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)

    def update(self, rows: Sequence[Sequence[Any]]) -> None:
        """UPDATE by the first field (the key: the first value of each row)."""
        if not rows:
            return
        fields = self._fields()
        adapters = self._adapters(fields)
        quote = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(self.model._meta.db_table),
            ", ".join(f"{quote(f.column)} = %s" for f in fields[1:]),
            quote(fields[0].column),
        )
        params = []
        for row in rows:
            values = self._adapt(list(row), adapters)
            params.append([*values[1:], values[0]])
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite adapter stores with USE_TZ: naive UTC as text."""
    if value.tzinfo is UTC:
        return value.isoformat(" ")[:-6]  # drop "+00:00"
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


class EncodedJSON:
    """A JSON value with its text already made (see ParsedOrder.raw_json)."""

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text


# JSON null (Python None would be SQL NULL, which the NOT NULL raw columns refuse).
JSON_NULL = EncodedJSON(None, "null")


NO_WARNINGS = EncodedJSON([], "[]")


def _json(value: Any) -> Any:
    return JSON_NULL if value is None else value


ORDER_FIELDS = ["id", *ParsedOrder.COLUMNS, "parse_warnings", "synced_at"]
ORDER_ROWS = Rows(Order, [*ORDER_FIELDS, "first_seen_at"])
ORDER_UPDATE_ROWS = Rows(Order, ORDER_FIELDS)
ITEM_ROWS = Rows(
    OrderItem,
    [
        "order_id",
        "position",
        "product_id",
        "name",
        "count",
        "portion_size",
        "price",
        "line_total",
        "status",
        "note",
        "raw",
    ],
)
MODIFIER_ROWS = Rows(
    OrderItemModifier,
    ["item_id", "position", "modifier_id", "name", "count", "price", "shape", "raw"],
)
EVENT_ROWS = Rows(
    OrderEvent,
    ["order_id", "kind", "from_status", "to_status", "observed_at", "remote_updated_at"],
)


def _order_values(
    parsed: ParsedOrder, *, now: datetime, first_seen_at: datetime | None = None
) -> tuple:
    values = (
        parsed.id,
        *(
            EncodedJSON(parsed.raw, parsed.raw_json) if name == "raw" else getattr(parsed, name)
            for name in ParsedOrder.COLUMNS
        ),
        list(parsed.warnings) if parsed.warnings else NO_WARNINGS,
        now,
    )
    return values if first_seen_at is None else (*values, first_seen_at)


def store_orders(
    parsed: Sequence[ParsedOrder],
    skipped: Sequence[Skip] = (),
    *,
    now: datetime | None = None,
    known_skipped: set[str] | None = None,
) -> StoreResult:
    """Upsert a batch (one page) of parsed orders in one transaction.

    New orders are inserted with their items, modifiers and a SEEN event; orders whose content
    hash changed are rewritten and their items replaced (a STATUS event when the status moved);
    unchanged ones cost only the read of their hashes. ``known_skipped`` is the set of
    SkippedOrder ids (None: read them); an order that parses again leaves that list.
    """
    now = now or timezone.now()
    result = StoreResult()
    latest: dict[int, ParsedOrder] = {}
    for order in parsed:
        seen = latest.get(order.id)
        if seen is None or order.updated_at >= seen.updated_at:
            latest[order.id] = order
    result.unchanged += len(parsed) - len(latest)  # repeats within the page

    existing = (
        {
            row[0]: row[1:]
            for row in Order.objects.filter(id__in=list(latest)).values_list(
                "id", "content_hash", "status", "updated_at"
            )
        }
        if latest
        else {}
    )
    new: list[ParsedOrder] = []
    changed: list[tuple[ParsedOrder, str]] = []
    for order_id, order in latest.items():
        current = existing.get(order_id)
        if current is None:
            new.append(order)
            continue
        current_hash, current_status, current_updated = current
        if current_hash == order.content_hash or order.updated_at < current_updated:
            result.unchanged += 1  # same content, or an older copy than we have
        else:
            changed.append((order, current_status))

    if known_skipped is None:
        known_skipped = set(SkippedOrder.objects.values_list("remote_id", flat=True))
    recovered = [str(i) for i in latest if str(i) in known_skipped]
    skipped_rows = _skipped_writes(skipped, now=now)
    result.skipped = len(skipped)

    if not new and not changed and not recovered and not skipped_rows:
        return result

    with transaction.atomic():
        if new:
            with indexed_in_one_go([p.id for p in new]):
                ORDER_ROWS.insert([_order_values(p, now=now, first_seen_at=now) for p in new])
        if changed:
            ids = [p.id for p, _ in changed]
            ORDER_UPDATE_ROWS.update([_order_values(p, now=now) for p, _ in changed])
            OrderItemModifier.objects.filter(item__order_id__in=ids).delete()
            OrderItem.objects.filter(order_id__in=ids).delete()
        _insert_items([*new, *(p for p, _ in changed)])
        events = [(p.id, OrderEvent.Kind.SEEN, "", p.status, now, p.updated_at) for p in new]
        for p, previous_status in changed:
            if p.status != previous_status:
                result.status_changes += 1
                events.append(
                    (p.id, OrderEvent.Kind.STATUS, previous_status, p.status, now, p.updated_at)
                )
        if events:
            EVENT_ROWS.insert(events)
        if recovered:
            SkippedOrder.objects.filter(remote_id__in=recovered).delete()
        for write in skipped_rows:
            write()
        if new or changed:
            SyncState.objects.get_or_create(id=SyncState.SINGLETON_ID)
            SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
                data_version=F("data_version") + 1
            )
            result.changed = True
    # Only once the transaction committed: the set mirrors what the database holds.
    known_skipped.difference_update(recovered)
    known_skipped.update(s.remote_id for s in skipped)
    result.created = len(new)
    result.updated = len(changed)
    return result


def store_page(
    parsed: Sequence[ParsedOrder],
    skipped: Sequence[Skip] = (),
    *,
    now: datetime | None = None,
    known_skipped: set[str] | None = None,
) -> StoreResult:
    """store_orders, and if the database refuses the page's content (an integrity or data
    error: nothing was written, the page's transaction rolled back), the page again order by
    order: an order the database refuses is parked in SkippedOrder with the reason and the
    rest are stored, so one poison order cannot stop every pass. Other database errors (the
    database away or locked) fail the pass as they are."""
    try:
        return store_orders(parsed, skipped, now=now, known_skipped=known_skipped)
    except (IntegrityError, DataError) as exc:
        logger.warning("sync_page_refused error=%s: storing order by order", type(exc).__name__)
    now = now or timezone.now()
    result = StoreResult()
    refused: list[Skip] = []
    for order in parsed:
        try:
            result.add(store_orders([order], now=now, known_skipped=known_skipped))
        except (IntegrityError, DataError) as exc:
            reason = (
                f"the database refused this order ({type(exc).__name__}: "
                f"{compact(str(exc).strip(), 200)})"
            )
            refused.append(Skip(remote_id=str(order.id), reason=reason, raw=order.raw))
    result.add(store_orders([], [*skipped, *refused], now=now, known_skipped=known_skipped))
    return result


def _insert_items(orders: Sequence[ParsedOrder]) -> None:
    """Items, then their modifiers (keyed on the item ids the database gave)."""
    items = [
        (
            order.id,
            i.position,
            i.product_id,
            i.name,
            i.count,
            i.portion_size,
            i.price,
            i.line_total,
            i.status,
            i.note,
            _json(i.raw),
        )
        for order in orders
        for i in order.items
    ]
    if not items:
        return
    ITEM_ROWS.insert(items)
    with_modifiers = [o for o in orders if any(i.modifiers for i in o.items)]
    if not with_modifiers:
        return
    item_ids = {
        (order_id, position): pk
        for pk, order_id, position in OrderItem.objects.filter(
            order_id__in=[o.id for o in with_modifiers]
        ).values_list("id", "order_id", "position")
    }
    MODIFIER_ROWS.insert(
        [
            (
                item_ids[order.id, i.position],
                m.position,
                m.modifier_id,
                m.name,
                m.count,
                m.price,
                m.shape,
                _json(m.raw),
            )
            for order in with_modifiers
            for i in order.items
            for m in i.modifiers
        ]
    )


def _skip_raw(raw: Any) -> dict:
    """An unusable payload as storable JSON (an object, cleaned of what databases refuse)."""
    return json_safe(raw if isinstance(raw, dict) else {"value": raw})


def _skipped_writes(skipped: Sequence[Skip], *, now: datetime) -> list[Callable[[], None]]:
    """The writes that record unusable orders: new ones inserted, known ones refreshed when
    their payload changed or they were last noted a while ago (so idle passes write nothing)."""
    if not skipped:
        return []
    by_id = {s.remote_id: s for s in skipped}
    current = {row.remote_id: row for row in SkippedOrder.objects.filter(remote_id__in=list(by_id))}
    writes: list[Callable[[], None]] = []
    fresh = [
        SkippedOrder(
            remote_id=s.remote_id[:64],
            reason=s.reason,
            raw=_skip_raw(s.raw),
            first_seen_at=now,
            last_seen_at=now,
        )
        for remote_id, s in by_id.items()
        if remote_id not in current
    ]
    if fresh:
        writes.append(lambda: SkippedOrder.objects.bulk_create(fresh, ignore_conflicts=True))
    for remote_id, row in current.items():
        s = by_id[remote_id]
        raw = _skip_raw(s.raw)
        if row.raw != raw or row.reason != s.reason or now - row.last_seen_at >= SKIPPED_REFRESH:
            writes.append(
                lambda remote_id=remote_id, raw=raw, reason=s.reason: SkippedOrder.objects.filter(
                    remote_id=remote_id
                ).update(raw=raw, reason=reason, last_seen_at=now, times_seen=F("times_seen") + 1)
            )
    for s in skipped:
        logger.warning("sync_skipped_order id=%s reason=%s", quote(s.remote_id), quote(s.reason))
    return writes


# --- Reference data -----------------------------------------------------------------------------


def sync_reference_data(*, client: Any, now: datetime | None = None) -> bool:
    """Refresh venues and sale types; True when anything changed."""
    now = now or timezone.now()
    changed = False
    venues = []
    for raw in client.venues():
        try:
            venues.append(parse_venue(raw))
        except PayloadError as exc:
            logger.warning("sync_skipped_venue reason=%s", quote(exc.reason))
    sale_types = []
    for raw in client.sale_types():
        try:
            sale_types.append(parse_sale_type(raw))
        except PayloadError as exc:
            logger.warning("sync_skipped_sale_type reason=%s", quote(exc.reason))
    with transaction.atomic():
        current_venues = {v.id: v for v in Venue.objects.filter(id__in=[v.id for v in venues])}
        for venue in venues:
            row = current_venues.get(venue.id)
            if row is None:
                Venue.objects.create(id=venue.id, name=venue.name, raw=venue.raw, synced_at=now)
                changed = True
            elif row.name != venue.name or row.raw != venue.raw:
                Venue.objects.filter(id=venue.id).update(
                    name=venue.name, raw=venue.raw, synced_at=now
                )
                changed = True
        current_types = {
            s.id: s for s in SaleType.objects.filter(id__in=[s.id for s in sale_types])
        }
        for sale_type in sale_types:
            row = current_types.get(sale_type.id)
            values = {
                "name": sale_type.name,
                "system_type": sale_type.system_type,
                "channel": sale_type.channel,
                "raw": sale_type.raw,
            }
            if row is None:
                SaleType.objects.create(id=sale_type.id, synced_at=now, **values)
                changed = True
            elif any(getattr(row, k) != v for k, v in values.items()):
                SaleType.objects.filter(id=sale_type.id).update(synced_at=now, **values)
                changed = True
        if changed:
            SyncState.objects.get_or_create(id=SyncState.SINGLETON_ID)
            SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
                data_version=F("data_version") + 1
            )
    return changed


# --- One pass -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassPlan:
    mode: str  # BACKFILL, FULL or INCREMENTAL
    reconcile: bool
    refresh_reference: bool
    date_from: date | None = None
    date_to: date | None = None


def plan_pass(
    state: SyncState,
    *,
    now: datetime,
    full: bool = False,
    since: date | None = None,
) -> PassPlan:
    """What this pass will read, from the sync state and the command's options."""
    today = timezone.localdate(now)
    pad = timedelta(days=1)
    if full:
        return PassPlan(mode=FULL, reconcile=False, refresh_reference=True)
    if since is not None or state.backfill_completed_at is None or state.watermark is None:
        start = since or today - timedelta(days=settings.SYNC_BACKFILL_DAYS)
        return PassPlan(
            mode=BACKFILL,
            reconcile=False,
            refresh_reference=True,
            date_from=start - pad,
            date_to=today + pad,
        )
    every = timedelta(minutes=settings.SYNC_RECONCILE_MINUTES)
    due = state.last_reconcile_at is None or now - state.last_reconcile_at >= every
    return PassPlan(
        mode=INCREMENTAL,
        reconcile=due,
        refresh_reference=due,
        date_from=today - pad if due else None,
        date_to=today + pad if due else None,
    )


class SyncFailed(Exception):
    """A pass failed; ``result`` says how far it got and ``__cause__`` is what stopped it.
    ``str()`` is the plain-words reason recorded on SyncState."""

    def __init__(self, result: PassResult) -> None:
        super().__init__(result.error)
        self.result = result

    @property
    def internal(self) -> bool:
        """True when the cause is a bug or a database fault rather than Clopos or the lease."""
        return not isinstance(self.__cause__, CloposError | LeaseLost)


class _Stop(Exception):
    """should_stop said so between two pages."""


class _PassRun:
    """The state of one pass while it walks pages."""

    def __init__(
        self,
        *,
        client: Any,
        now: datetime,
        result: PassResult,
        progress: Callable[[Progress], None] | None,
        should_stop: Callable[[], bool] | None,
        heartbeat: Callable[[], None] | None,
        page_size: int | None,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.now = now
        self.result = result
        self.progress = progress
        self.should_stop = should_stop
        self.heartbeat = heartbeat
        self.page_size = page_size
        self.clock = clock
        self.started = clock()
        self.known_skipped = set(SkippedOrder.objects.values_list("remote_id", flat=True))
        self.max_updated: datetime | None = None
        # Clopos's clock when the first page was served (the envelope's ``unix``), if given.
        self.server_started: datetime | None = None

    def walk(
        self,
        *,
        mode: str,
        sort: str,
        direction: int,
        date_from: date | None = None,
        date_to: date | None = None,
        stop_before: datetime | None = None,
        prefetch: bool = False,
    ) -> None:
        """Read pages 1, 2, ... and store each; stop on an empty page, a short one (when the
        server gives no total), once ``total`` distinct rows have come, when a page repeats the
        previous one, or (``stop_before``) once a page reaches back past that time.

        With ``prefetch`` (orders sorted so that pages never shift: created_at ascending) the
        next page is fetched in a helper thread while this one is parsed and written; the
        client is still used by one thread at a time."""

        def fetch(number: int) -> Any:
            return self.client.orders_page(
                page=number,
                limit=self.page_size,
                sort=sort,
                direction=direction,
                date_from=date_from,
                date_to=date_to,
            )

        seen: set[Any] = set()  # distinct rows read (pages shifting may repeat some)
        previous_ids: list[Any] | None = None
        # On the way out (last page, stop, error) the pool waits for a fetch in flight, so the
        # client is never used by two threads at once.
        pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch")
            if prefetch
            else None
        )
        with pool or nullcontext():
            upcoming: Future | None = None
            for number in range(1, MAX_PAGES + 1):
                t0 = self.clock()
                page = upcoming.result() if upcoming is not None else fetch(number)
                upcoming = None
                t1 = self.clock()
                if self.server_started is None:
                    self.server_started = _server_time(page, near=self.now)
                rows = [*page.rows, *getattr(page, "invalid_rows", [])]
                ids = [row.get("id") if isinstance(row, dict) else repr(row) for row in rows]
                seen.update(ids)
                if not rows:
                    more = False
                elif page.total is None:
                    more = len(rows) >= (page.limit or self.page_size or 1)  # short page: last
                else:
                    more = len(seen) < page.total  # short pages too: the server may cap limit
                if more and ids == previous_ids:
                    logger.warning("sync_page_repeated page=%s mode=%s: stopping", number, mode)
                    more = False
                previous_ids = ids
                if more and pool is not None:
                    upcoming = pool.submit(fetch, number + 1)

                parsed, skipped = parse_rows(rows)
                if self.heartbeat is not None:
                    self.heartbeat()  # e.g. the lease check: raising here writes nothing
                t2 = self.clock()
                stored = store_page(parsed, skipped, now=self.now, known_skipped=self.known_skipped)
                t3 = self.clock()
                self.result.fetch_seconds += t1 - t0
                self.result.parse_seconds += t2 - t1
                self.result.write_seconds += t3 - t2
                self.result.count(stored)
                if stored.changed:
                    self.result.data_version += 1
                self.result.pages += 1
                self.result.orders_read += len(rows)
                oldest: datetime | None = None
                for order in parsed:
                    if self.max_updated is None or order.updated_at > self.max_updated:
                        self.max_updated = order.updated_at
                    if oldest is None or order.updated_at < oldest:
                        oldest = order.updated_at
                if self.progress is not None:
                    self.progress(
                        Progress(
                            mode=mode,
                            pages=self.result.pages,
                            orders=self.result.orders_read,
                            total=page.total,
                            elapsed=self.clock() - self.started,
                        )
                    )
                if not more:
                    return
                if stop_before is not None and oldest is not None and oldest < stop_before:
                    return
                if self.should_stop is not None and self.should_stop():
                    raise _Stop
            logger.warning("sync_page_cap pages=%s mode=%s", MAX_PAGES, mode)


def sync_pass(
    *,
    client: Any = None,
    now: datetime | None = None,
    full: bool = False,
    since: date | None = None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    heartbeat: Callable[[], None] | None = None,
    page_size: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PassResult:
    """One sync pass (backfill, incremental, and a reconcile when due); see the module doc.

    ``heartbeat`` is called before each page is written (the command checks its lease there);
    if it raises, that page is not written and the pass fails.

    Records the outcome on SyncState. On failure the cache keeps what it had (pages already
    written stay, whole), the failure is counted, and SyncFailed is raised from the cause.
    """
    if client is None:
        from orders_app.clopos.client import CloposClient

        client = CloposClient.from_settings()
    now = now or timezone.now()
    state = SyncState.get()
    plan = plan_pass(state, now=now, full=full, since=since)
    result = PassResult(mode=plan.mode, data_version=state.data_version)
    requests_before = getattr(client, "requests_made", 0)
    run = None
    try:
        run = _PassRun(
            client=client,
            now=now,
            result=result,
            progress=progress,
            should_stop=should_stop,
            heartbeat=heartbeat,
            page_size=page_size,
            clock=clock,
        )
        if plan.mode in (BACKFILL, FULL):
            run.walk(
                mode=plan.mode,
                sort="created_at",
                direction=1,
                date_from=plan.date_from,
                date_to=plan.date_to,
                prefetch=True,
            )
        else:
            overlap = timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
            run.walk(
                mode=INCREMENTAL,
                sort="updated_at",
                direction=-1,
                stop_before=state.watermark - overlap,
            )
            if plan.reconcile:
                if should_stop is not None and should_stop():
                    raise _Stop
                run.walk(
                    mode=RECONCILE,
                    sort="created_at",
                    direction=1,
                    date_from=plan.date_from,
                    date_to=plan.date_to,
                )
                result.reconciled = True
        if plan.refresh_reference:
            result.reference_refreshed = _refresh_reference(client, now=now, result=result)
    except _Stop:
        result.stopped = True
    except Exception as exc:
        result.ok = False
        result.error = failure_message(exc)
        result.requests = getattr(client, "requests_made", 0) - requests_before
        result.seconds = clock() - (run.started if run else clock())
        try:
            record_failure(result, now=now)
        except Exception:
            logger.exception("sync_record_failure_failed")
        logger.warning("sync_failed mode=%s error=%s", plan.mode, quote(result.error))
        raise SyncFailed(result) from exc
    result.requests = getattr(client, "requests_made", 0) - requests_before
    result.seconds = clock() - run.started
    finished = now + timedelta(seconds=result.seconds)
    if result.stopped:
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
            last_attempt_at=now, last_pass=result.as_state()
        )
        return result

    # The watermark: never past what this pass read, never behind where it was.
    watermark = state.watermark
    # Anything changed after the first page was served carries an updated_at at or after
    # Clopos's clock at that moment (our clock when Clopos does not say).
    if run.max_updated is not None or plan.mode in (BACKFILL, FULL):
        started = run.server_started or now
        candidate = min(run.max_updated or started, started)
        watermark = candidate if watermark is None else max(watermark, candidate)
    result.watermark = watermark
    updates: dict[str, Any] = {
        "source": "demo" if settings.CLOPOS_DEMO else "live",
        "last_attempt_at": now,
        "last_success_at": finished,
        "consecutive_failures": 0,
        "failing_since": None,
        "watermark": watermark,
        "last_pass": result.as_state(),
    }
    if plan.mode in (BACKFILL, FULL):
        updates["backfill_completed_at"] = finished
        updates["last_reconcile_at"] = now
    elif result.reconciled:
        updates["last_reconcile_at"] = now
    SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(**updates)
    return result


def _server_time(page: Any, *, near: datetime) -> datetime | None:
    """Clopos's clock from a page's envelope (``unix``, else ``timestamp``), trusted only
    within a day of ours."""
    meta = getattr(page, "raw_meta", None) or {}
    value = parse_timestamp(meta.get("unix")) or parse_timestamp(meta.get("timestamp"))
    if value is None or abs(value - near) > timedelta(days=1):
        return None
    return value


def _refresh_reference(client: Any, *, now: datetime, result: PassResult) -> bool:
    """Venues and sale types; a failure here is a warning, never a failed pass."""
    try:
        changed = sync_reference_data(client=client, now=now)
    except CloposError as exc:
        result.warnings.append(f"venues and sale types not refreshed: {exc}")
        logger.warning("sync_reference_failed error=%s", quote(str(exc)))
        return False
    if changed:
        result.data_version += 1
    return True


def failure_message(exc: BaseException) -> str:
    """Plain words for the sync state and the pages: the client's typed errors already say
    what to fix; anything else is named without internals. Configured secrets never appear."""
    if isinstance(exc, CloposError | LeaseLost):
        text = str(exc)
    else:
        text = (
            f"Sync stopped on an internal error ({type(exc).__name__}); "
            "the cache keeps what it had. See the sync_orders log for details."
        )
    for name in ("CLOPOS_TOKEN", "CLOPOS_CLIENT_SECRET"):
        secret = getattr(settings, name, "") or ""
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:1000]


def record_failure(result: PassResult, *, now: datetime) -> None:
    """Count a failed pass on SyncState; the cached data is left as it is."""
    SyncState.objects.get_or_create(id=SyncState.SINGLETON_ID)
    SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
        source="demo" if settings.CLOPOS_DEMO else "live",
        last_attempt_at=now,
        last_error=result.error,
        last_error_at=now,
        failing_since=Coalesce(F("failing_since"), Value(now, output_field=DateTimeField())),
        consecutive_failures=F("consecutive_failures") + 1,
        last_pass=result.as_state(),
    )
