"""The kitchen's other data, each on its own cadence within a pass (docs/clopos.md §4–§6):

- order ↔ receipt links: RECEIVED orders not yet linked ask ``GET /orders/{id}?with[0]=receipt``,
  at most RECEIPT_LINKS_PER_PASS per pass, each order again only after RECEIPT_RECHECK (then
  RECEIPT_RECHECK_OLD once it is older than RECEIPT_YOUNG);
- stations and products (``/stations``, ``/products``): daily, and at once when a receipt names a
  product Pass has not heard of;
- the stop list (``/products/stop-list``): every SYNC_STOPLIST_SECONDS.

Each moves the data version only when it changed something.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from orders_app.clopos.errors import CloposError
from orders_app.clopos.payloads.readers import to_int
from orders_app.clopos.payloads.reference import parse_product, parse_station, parse_stop_entry
from orders_app.models import Order, Product, Station, StopListEntry, SyncState
from orders_app.services.insight_rollups import local_day, mark_dirty
from orders_app.services.sync.reference import parse_each
from orders_app.services.sync.results import PassResult
from orders_app.services.sync.version import data_version_bump

logger = logging.getLogger("orders_app.sync")

# Asking for an order's receipt is one request per order: bounded so that orders whose receipt
# never comes cannot eat the rate budget. At most this many a kitchen pass (6 a minute at the
# default SYNC_RECEIPTS_SECONDS: 360 new orders an hour, and about 2% of the brand's 300 a
# minute; bench/bench_latency.py), newest first; an order is asked again after RECEIPT_RECHECK while young, then
# after RECEIPT_RECHECK_OLD.
RECEIPT_LINKS_PER_PASS = 1
RECEIPT_RECHECK = timedelta(minutes=2)
RECEIPT_RECHECK_OLD = timedelta(minutes=15)
RECEIPT_YOUNG = timedelta(minutes=30)
KITCHEN_REFERENCE_EVERY = timedelta(days=1)


def receipt_id_from(relation: Any) -> int | None:
    """The order's ``receipt`` relation, in either shape seen: an object with ``id``, or a
    bare id (docs/clopos.md §4; undocumented)."""
    if isinstance(relation, dict):
        return to_int(relation.get("id"))
    return to_int(relation)


def receipts_link(*, client: Any, now: datetime, result: PassResult) -> list[int]:
    """Ask Clopos for the receipts of the newest RECEIVED orders that have none yet; the ids
    of the orders it linked."""
    linked: list[int] = []
    if not settings.SYNC_RECEIPTS:
        return linked
    window = now - timedelta(hours=settings.WALL_MAX_OPEN_HOURS)
    due = (
        Order.objects.filter(status="RECEIVED", receipt_id__isnull=True, created_at__gte=window)
        .filter(
            Q(receipt_checked_at__isnull=True)
            | Q(receipt_checked_at__lt=now - RECEIPT_RECHECK, created_at__gte=now - RECEIPT_YOUNG)
            | Q(receipt_checked_at__lt=now - RECEIPT_RECHECK_OLD)
        )
        .order_by("-created_at")
        .values_list("id", flat=True)[:RECEIPT_LINKS_PER_PASS]
    )
    for order_id in list(due):
        data = client.get_order(order_id, with_receipt=True)
        receipt_id = receipt_id_from(data.get("receipt"))
        changed = Order.objects.filter(id=order_id).update(
            receipt_id=receipt_id, receipt_checked_at=now
        )
        if receipt_id is not None and changed:
            result.receipts_linked += 1
            linked.append(order_id)
    if linked:
        data_version_bump()
        mark_dirty(
            local_day(created)
            for created in Order.objects.filter(id__in=linked).values_list("created_at", flat=True)
        )
        result.data_version_moved()
    return linked


def kitchen_reference_sync(
    *, client: Any, now: datetime, result: PassResult, state: SyncState | None = None
) -> bool:
    """Stations and products, when due; True when they were refreshed. A failure is logged
    and leaves what Pass had (the kitchen still works from the receipts' own stations).
    ``state``: SyncState as the pass read it at its start (read again when not given)."""
    if not settings.SYNC_RECEIPTS:
        return False
    state = state or SyncState.get()
    due = state.kitchen_reference_synced_at is None or (
        now - state.kitchen_reference_synced_at >= KITCHEN_REFERENCE_EVERY
    )
    if not (due or result.unknown_products):
        return False
    try:
        stations = parse_each(client.stations(), parse_station, kind="station")
        products = parse_each(client.products(), parse_product, kind="product")
    except CloposError as exc:
        logger.warning("sync_kitchen_reference_failed error=%s", exc)
        return False
    with transaction.atomic():
        changed = _replace(
            Station,
            {
                s.id: {"name": s.name, "kitchen": s.kitchen, "active": s.active, "raw": s.raw}
                for s in stations
            },
            now=now,
        )
        changed |= _replace(
            Product,
            {
                p.id: {
                    "name": p.name,
                    "type": p.type,
                    "station_id": p.station_id,
                    "cooking_time": p.cooking_time,
                    "raw": p.raw,
                }
                for p in products
            },
            now=now,
        )
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(kitchen_reference_synced_at=now)
        if changed:
            data_version_bump()
            result.data_version_moved()
    return True


def _replace(model: Any, rows: dict[int, dict], *, now: datetime) -> bool:
    """Make the table hold exactly ``rows`` (id -> fields); True when anything changed."""
    fields = sorted({name for values in rows.values() for name in values})
    cached = {obj.id: obj for obj in model.objects.all()}
    gone = set(cached) - set(rows)
    new, changed = [], []
    for row_id, values in rows.items():
        old = cached.get(row_id)
        if old is None:
            new.append(model(id=row_id, synced_at=now, **values))
        elif any(getattr(old, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(old, name, value)
            old.synced_at = now
            changed.append(old)
    if gone:
        model.objects.filter(id__in=gone).delete()
    model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, [*fields, "synced_at"])
    return bool(new or changed or gone)


def stop_list_sync(
    *,
    client: Any,
    now: datetime,
    result: PassResult,
    force: bool = False,
    state: SyncState | None = None,
) -> None:
    """The stop list, every SYNC_STOPLIST_SECONDS (``force``: now, as a one-shot pass does).
    ``state``: SyncState as the pass read it at its start (read again when not given)."""
    if not settings.SYNC_RECEIPTS:
        return
    state = state or SyncState.get()
    due = state.stop_list_synced_at is None or (
        now - state.stop_list_synced_at >= timedelta(seconds=settings.SYNC_STOPLIST_SECONDS)
    )
    if not (due or force):
        return
    entries = {
        e.product_id: e for e in parse_each(client.stop_list(), parse_stop_entry, kind="stop")
    }
    with transaction.atomic():
        cached = {e.product_id: e for e in StopListEntry.objects.all()}
        gone = set(cached) - set(entries)
        added = [
            StopListEntry(product_id=p, limit=e.limit, clopos_at=e.at, seen_at=now)
            for p, e in entries.items()
            if p not in cached
        ]
        moved = [(p, e) for p, e in entries.items() if p in cached and cached[p].limit != e.limit]
        StopListEntry.objects.bulk_create(added)
        for product_id, entry in moved:
            StopListEntry.objects.filter(product_id=product_id).update(
                limit=entry.limit, clopos_at=entry.at
            )
        if gone:
            StopListEntry.objects.filter(product_id__in=gone).delete()
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(stop_list_synced_at=now)
        changes = len(added) + len(moved) + len(gone)
        if changes:
            data_version_bump()
            result.data_version_moved()
    result.stop_list_changes += changes
