"""Print the order cache as JSON (run in a subprocess against a drill's database).

    DATABASE_URL=... python -m tests.drills.audit

Per order: status, updated_at, content_hash, its items (position, name, count, modifier
count) and its events (kind, from, to); plus the sync state and the skipped-order count.
Drills compare this with the simulator's own truth (see ``harness.score``).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict


def snapshot() -> dict:
    from django.db.models import Count

    from orders_app.models import Order, OrderEvent, OrderItem, SkippedOrder, SyncState

    items: dict[int, list] = defaultdict(list)
    for row in (
        OrderItem.objects.annotate(modifier_count=Count("modifiers"))
        .order_by("order_id", "position")
        .values_list("order_id", "position", "name", "count", "modifier_count")
    ):
        items[row[0]].append([row[1], row[2], str(row[3].normalize()), row[4]])
    events: dict[int, list] = defaultdict(list)
    for order_id, kind, from_status, to_status in OrderEvent.objects.order_by(
        "order_id", "observed_at", "id"
    ).values_list("order_id", "kind", "from_status", "to_status"):
        events[order_id].append([kind, from_status, to_status])
    orders = {
        str(order_id): {
            "status": status,
            "updated_at": updated_at.isoformat(),
            "content_hash": content_hash,
            "items": items.get(order_id, []),
            "events": events.get(order_id, []),
        }
        for order_id, status, updated_at, content_hash in Order.objects.values_list(
            "id", "status", "updated_at", "content_hash"
        )
    }
    state = SyncState.objects.filter(id=SyncState.SINGLETON_ID).first()
    return {
        "orders": orders,
        "skipped": SkippedOrder.objects.count(),
        "sync_state": None
        if state is None
        else {
            "backfill_completed": state.backfill_completed_at is not None,
            "consecutive_failures": state.consecutive_failures,
            "last_error": state.last_error,
            "data_version": state.data_version,
            "watermark": state.watermark.isoformat() if state.watermark else None,
        },
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    print(json.dumps(snapshot()))
