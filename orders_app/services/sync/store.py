"""Writing one page of parsed orders: one transaction, bulk writes, the data version moved
only when something changed, and an order the database refuses parked instead of stopping the
pass."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from orders_app.clopos.jsontext import EncodedJSON, json_or_null
from orders_app.clopos.payloads import ParsedOrder, compact
from orders_app.models import Order, OrderEvent, OrderItem, OrderItemModifier, SkippedOrder
from orders_app.services.insight_rollups import local_day, mark_dirty
from orders_app.services.search_index import indexed_in_one_go
from orders_app.services.sync.bulk_writer import BulkWriter
from orders_app.services.sync.parsing import Skip
from orders_app.services.sync.results import StoreResult
from orders_app.services.sync.skipped import skipped_order_writes
from orders_app.services.sync.stages import receipt_states, stage_next
from orders_app.services.sync.version import data_version_bump

logger = logging.getLogger("orders_app.sync")

# An empty warnings list, its text made once for every order that has none.
NO_WARNINGS = EncodedJSON([], "[]")

# The kitchen stage is written with the order (stages.stage_next), not derived after it.
ORDER_FIELDS = ["id", *ParsedOrder.COLUMNS, "parse_warnings", "synced_at", "stage", "stage_at"]
NEW_ORDERS = BulkWriter(Order, [*ORDER_FIELDS, "first_seen_at"])
CHANGED_ORDERS = BulkWriter(Order, ORDER_FIELDS)
ITEMS = BulkWriter(
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
MODIFIERS = BulkWriter(
    OrderItemModifier,
    ["item_id", "position", "modifier_id", "name", "count", "price", "shape", "raw"],
)
EVENTS = BulkWriter(
    OrderEvent,
    ["order_id", "kind", "from_status", "to_status", "observed_at", "remote_updated_at"],
)


def _order_values(
    parsed: ParsedOrder,
    *,
    now: datetime,
    stage: tuple[str, datetime | None],
    first_seen_at: datetime | None = None,
) -> tuple:
    values = (
        parsed.id,
        *(
            EncodedJSON(parsed.raw, parsed.raw_json) if name == "raw" else getattr(parsed, name)
            for name in ParsedOrder.COLUMNS
        ),
        list(parsed.warnings) if parsed.warnings else NO_WARNINGS,
        now,
        *stage,
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
    unchanged ones cost only the read of their hashes. Each written order carries its kitchen
    stage in the same INSERT or UPDATE (derived from the parsed order, the stage it had and its
    cached receipt, read only when a changed order has one). ``known_skipped`` is the set of
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
                "id",
                "content_hash",
                "status",
                "updated_at",
                "receipt_id",
                "stage",
                "stage_at",
                "created_at",
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
        current_hash, current_status, current_updated = current[:3]
        if current_hash == order.content_hash or order.updated_at < current_updated:
            result.unchanged += 1  # same content, or an older copy than we have
        else:
            changed.append((order, current_status))
    receipts = receipt_states(existing[p.id][3] for p, _ in changed)

    if known_skipped is None:
        known_skipped = set(SkippedOrder.objects.values_list("remote_id", flat=True))
    recovered = [str(i) for i in latest if str(i) in known_skipped]
    skipped_writes = skipped_order_writes(skipped, now=now)
    result.skipped = len(skipped)

    if not new and not changed and not recovered and not skipped_writes:
        return result

    with transaction.atomic():
        if new:
            with indexed_in_one_go([p.id for p in new]):
                NEW_ORDERS.insert(
                    [
                        _order_values(p, now=now, stage=_stage(p, None, now=now), first_seen_at=now)
                        for p in new
                    ]
                )
        if changed:
            ids = [p.id for p, _ in changed]
            CHANGED_ORDERS.update(
                [
                    _order_values(p, now=now, stage=_stage(p, existing[p.id], receipts, now=now))
                    for p, _ in changed
                ]
            )
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
            EVENTS.insert(events)
        if recovered:
            SkippedOrder.objects.filter(remote_id__in=recovered).delete()
        for write in skipped_writes:
            write()
        if new or changed:
            data_version_bump()
            # The insights' rows of these orders' days (the day they were, too) are stale.
            mark_dirty(
                [local_day(p.created_at) for p in new]
                + [local_day(p.created_at) for p, _ in changed]
                + [local_day(existing[p.id][6]) for p, _ in changed]
            )
            result.changed = True
    # Only once the transaction committed: the set mirrors what the database holds.
    known_skipped.difference_update(recovered)
    known_skipped.update(s.remote_id for s in skipped)
    result.created = len(new)
    result.updated = len(changed)
    return result


def _stage(
    parsed: ParsedOrder,
    current: tuple | None,
    receipts: dict | None = None,
    *,
    now: datetime,
) -> tuple[str, datetime | None]:
    """The (stage, stage_at) an order is written with: a new one (``current`` None) has no
    receipt yet; a changed one keeps its receipt (``receipts``: the cached ones) and its
    stage's time unless the stage moved."""
    if current is None:
        receipt, stage, stage_at = None, "", None
    else:
        receipt_id, stage, stage_at = current[3:6]
        receipt = (receipts or {}).get(receipt_id)
    return stage_next(
        status=parsed.status,
        receipt=receipt,
        stage=stage,
        stage_at=stage_at,
        updated_at=parsed.updated_at,
        now=now,
    )


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
            json_or_null(i.raw),
        )
        for order in orders
        for i in order.items
    ]
    if not items:
        return
    ITEMS.insert(items)
    with_modifiers = [o for o in orders if any(i.modifiers for i in o.items)]
    if not with_modifiers:
        return
    item_ids = {
        (order_id, position): pk
        for pk, order_id, position in OrderItem.objects.filter(
            order_id__in=[o.id for o in with_modifiers]
        ).values_list("id", "order_id", "position")
    }
    MODIFIERS.insert(
        [
            (
                item_ids[order.id, i.position],
                m.position,
                m.modifier_id,
                m.name,
                m.count,
                m.price,
                m.shape,
                json_or_null(m.raw),
            )
            for order in with_modifiers
            for i in order.items
            for m in i.modifiers
        ]
    )
