"""Receipts in the cache: the kitchen's side of each order (docs/clopos.md §5).

One receipts walk per pass, after the orders: a backfill (``created_at`` ascending over
SYNC_BACKFILL_DAYS) until it has completed once, then incremental (``updated_at`` descending,
stopping once a page reaches back past the receipts watermark minus SYNC_OVERLAP_MINUTES), so
an idle pass costs one request and one read of the page's hashes. Each page is written in one
transaction with bulk writes (``BulkWriter``, as the orders' pages are): unchanged receipts
cost a hash comparison, a changed one has its items replaced and every change Pass sees
(opened, each order_status, closed, reopened) recorded as a ReceiptEvent. The data version
moves only when a page changed something.

``SYNC_RECEIPTS=0`` turns receipts off; so does Clopos refusing them (403/404: an integrator
without the receipts scope), said once on SyncState.receipts_off_reason, not as an error on
every pass, and tried again after RECEIPTS_RETRY_AFTER.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from orders_app.clopos.errors import CloposNotFound, CloposRequestRejected
from orders_app.clopos.paging import DEFAULT_MAX_PAGES, walk_pages
from orders_app.clopos.payloads.readers import PayloadError
from orders_app.clopos.payloads.receipt import ParsedReceipt, parse_receipt
from orders_app.models import Product, Receipt, ReceiptEvent, ReceiptItem, SyncState
from orders_app.services.insight_rollups import mark_dirty_for_receipts
from orders_app.services.sync.bulk_writer import BulkWriter
from orders_app.services.sync.results import PassResult
from orders_app.services.sync.version import data_version_bump
from orders_app.vocabulary import RECEIPT_CLOSED, RECEIPT_OPEN

logger = logging.getLogger("orders_app.sync")

RECEIPTS_RETRY_AFTER = timedelta(hours=1)


@dataclass
class ReceiptsStored:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    events: int = 0
    unknown_products: set[int] | None = None
    changed_ids: set[int] | None = None  # receipts created or changed


def receipts_parse(rows: Iterable[Any], *, zone: ZoneInfo) -> tuple[list[ParsedReceipt], int]:
    """The usable receipts of a page, and how many could not be used (logged)."""
    parsed: list[ParsedReceipt] = []
    refused = 0
    for row in rows:
        try:
            parsed.append(parse_receipt(row, zone=zone))
        except PayloadError as exc:
            refused += 1
            logger.warning("sync_receipt_skipped id=%s reason=%s", exc.remote_id, exc.reason)
    return parsed, refused


# Page writes through BulkWriter, as the orders' are (store.py): plain tuples, no model instances.
_RECEIPT_FIELDS = [
    "id",
    *ParsedReceipt.COLUMNS,
    "raw",
    "content_hash",
    "parse_warnings",
    "synced_at",
]
NEW_RECEIPTS = BulkWriter(Receipt, [*_RECEIPT_FIELDS, "first_seen_at"])
CHANGED_RECEIPTS = BulkWriter(Receipt, _RECEIPT_FIELDS)
ITEMS = BulkWriter(
    ReceiptItem,
    [
        "receipt_id",
        "position",
        "remote_id",
        "product_id",
        "name",
        "count",
        "price",
        "total",
        "station_id",
        "station_name",
        "modifiers",
        "raw",
    ],
)
EVENTS = BulkWriter(
    ReceiptEvent, ["receipt_id", "kind", "from_value", "to_value", "observed_at", "remote_at"]
)


def _events_for(old: tuple | None, new: ParsedReceipt, *, now: datetime) -> list[tuple]:
    """What changed between the cached receipt (``old``: its status and order_status) and the
    one Clopos sent, as timeline event rows (EVENTS' fields)."""
    Kind = ReceiptEvent.Kind

    def event(kind: str, from_value: str, to_value: str, at: datetime | None) -> tuple:
        return (new.id, kind, from_value, to_value, now, at)

    if old is None:
        events = [event(Kind.OPENED, "", new.order_status, new.created_at)]
        if new.status == RECEIPT_CLOSED:
            events.append(event(Kind.CLOSED, "", new.order_status, new.closed_at))
        return events
    old_status, old_order_status = old
    events = []
    if new.order_status != old_order_status:
        events.append(event(Kind.ORDER_STATUS, old_order_status, new.order_status, new.updated_at))
    if new.status != old_status:
        if new.status == RECEIPT_CLOSED:
            events.append(event(Kind.CLOSED, "", new.order_status, new.closed_at))
        elif new.status == RECEIPT_OPEN and old_status == RECEIPT_CLOSED:
            events.append(event(Kind.REOPENED, "", new.order_status, new.updated_at))
    return events


def _receipt_values(receipt: ParsedReceipt, *, now: datetime) -> tuple:
    return (
        receipt.id,
        *(getattr(receipt, name) for name in ParsedReceipt.COLUMNS),
        receipt.raw,
        receipt.content_hash,
        receipt.warnings,
        now,
    )


def _item_rows(receipt: ParsedReceipt, products: dict[int, int | None]) -> list[tuple]:
    return [
        (
            receipt.id,
            item.position,
            item.remote_id,
            item.product_id,
            item.name,
            item.count,
            item.price,
            item.total,
            # The receipt's own station for the item, else the product's (from /products).
            item.station_id if item.station_id is not None else products.get(item.product_id or -1),
            item.station_name,
            item.modifiers,
            item.raw,
        )
        for item in receipt.items
    ]


def receipts_store(parsed: list[ParsedReceipt], *, now: datetime) -> ReceiptsStored:
    """Write one page of receipts in one transaction (see the module docstring): one read of
    the page's stored hashes; when something changed, one read of the products its items name
    and bulk writes of the receipts, their items and their events."""
    stored = ReceiptsStored(unknown_products=set(), changed_ids=set())
    if not parsed:
        return stored
    latest = {receipt.id: receipt for receipt in parsed}  # a page may repeat a receipt
    cached = {
        rid: (content_hash, status, order_status)
        for rid, content_hash, status, order_status in Receipt.objects.filter(
            id__in=list(latest)
        ).values_list("id", "content_hash", "status", "order_status")
    }
    new: list[ParsedReceipt] = []
    changed: list[ParsedReceipt] = []
    for receipt in latest.values():
        old = cached.get(receipt.id)
        if old is None:
            new.append(receipt)
        elif old[0] == receipt.content_hash:
            stored.unchanged += 1
        else:
            changed.append(receipt)
    if not new and not changed:
        return stored
    written = [*new, *changed]
    # The products the written items name: their stations, and which Pass has not heard of.
    product_ids = {i.product_id for r in written for i in r.items if i.product_id}
    with transaction.atomic():
        products = (
            dict(Product.objects.filter(id__in=product_ids).values_list("id", "station_id"))
            if product_ids
            else {}
        )
        NEW_RECEIPTS.insert([(*_receipt_values(r, now=now), now) for r in new])
        if changed:
            CHANGED_RECEIPTS.update([_receipt_values(r, now=now) for r in changed])
            ReceiptItem.objects.filter(receipt_id__in=[r.id for r in changed]).delete()
        ITEMS.insert([row for r in written for row in _item_rows(r, products)])
        events = [
            event
            for r in written
            for event in _events_for(cached[r.id][1:] if r.id in cached else None, r, now=now)
        ]
        EVENTS.insert(events)
        data_version_bump()
        # Totals and kitchen timings of the linked orders' days changed.
        mark_dirty_for_receipts(r.id for r in written)
    stored.unknown_products = product_ids - set(products)
    stored.created, stored.updated = len(new), len(changed)
    stored.changed_ids = {r.id for r in written}
    stored.events = len(events)
    return stored


def receipts_sync(
    *, client: Any, now: datetime, result: PassResult, state: SyncState | None = None
) -> set[int]:
    """The receipts walk of one pass; counts go on ``result`` (receipts_* fields). Returns the
    ids of the receipts it created or changed (their orders' stages may have moved).
    ``state``: SyncState as the pass read it at its start (read again when not given)."""
    changed: set[int] = set()
    state = state or SyncState.get()
    if not settings.SYNC_RECEIPTS:
        _say_off(state, "SYNC_RECEIPTS=0: receipts are not synced")
        return changed
    refused_at = state.receipts_refused_at
    if refused_at is not None and now - refused_at < RECEIPTS_RETRY_AFTER:
        return changed  # Clopos refused receipts lately: try again later, quietly
    result.receipts = True
    zone = ZoneInfo(settings.TIME_ZONE)
    overlap = timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
    backfill = state.receipts_backfill_completed_at is None or state.receipts_watermark is None
    if backfill:
        kwargs: dict[str, Any] = {
            "sort": "created_at",
            "direction": 1,
            "date_from": (now - timedelta(days=settings.SYNC_BACKFILL_DAYS)).date(),
        }
        stop_before = None
    else:
        kwargs = {"sort": "updated_at", "direction": -1}
        stop_before = state.receipts_watermark - overlap
    newest = state.receipts_watermark
    try:
        pages = walk_pages(
            lambda number: client.receipts_page(page=number, **kwargs),
            max_pages=DEFAULT_MAX_PAGES,
        )
        with closing(pages):
            for page in pages:
                parsed, refused = receipts_parse(page.rows, zone=zone)
                stored = receipts_store(parsed, now=now)
                result.receipts_read += len(page.rows)
                result.receipts_created += stored.created
                result.receipts_updated += stored.updated
                result.receipts_unchanged += stored.unchanged
                result.receipts_skipped += refused
                if stored.created or stored.updated:
                    result.data_version_moved()
                    changed |= stored.changed_ids or set()
                for product_id in sorted(stored.unknown_products or ()):
                    if product_id not in result.unknown_products:
                        result.unknown_products.append(product_id)
                times = [r.updated_at for r in parsed if r.updated_at is not None]
                if times and (newest is None or max(times) > newest):
                    newest = max(times)
                if stop_before is not None and times and min(times) < stop_before:
                    break
    except (CloposRequestRejected, CloposNotFound) as exc:
        # An integrator that may not read receipts: say so once, go on with orders.
        _say_off(state, f"Clopos refused receipts: {exc}")
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(receipts_refused_at=now)
        return changed
    # Only what moved: an idle pass (watermark where it was, receipts on) writes nothing here.
    updates: dict[str, Any] = {}
    if state.receipts_off_reason or state.receipts_refused_at is not None:
        updates.update(receipts_off_reason="", receipts_refused_at=None)
    if newest is not None and newest != state.receipts_watermark:
        updates["receipts_watermark"] = newest
    if backfill:
        updates["receipts_backfill_completed_at"] = now
    if updates:
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(**updates)
    return changed


def _say_off(state: SyncState, reason: str) -> None:
    if state.receipts_off_reason != reason:
        logger.warning("sync_receipts_off reason=%s", reason)
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(receipts_off_reason=reason)
