"""Each order's kitchen stage, kept current on ``Order.stage`` (vocabulary.order_stage says
what it is; this module only applies it).

After a pass has written orders and receipts, the stages of every order that may have moved
are derived again: orders still open in the kitchen or not yet staged, and orders whose
receipt changed in this pass. Only changed stages are written, and the data version moves
when any did, so every screen learns of it on its next poll.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from orders_app.models import Order, Receipt
from orders_app.services.sync.version import data_version_bump
from orders_app.vocabulary import OPEN_STAGES, order_stage

BATCH = 2000


def stages_refresh(*, now: datetime, receipt_ids: Iterable[int] = ()) -> int:
    """Derive and store the stages that may have changed; how many changed. Open stages are
    looked at over the backfill window only (an order older than that, still "accepted"
    because Clopos never said more, is not read again on every pass)."""
    changed_receipts = list(receipt_ids)
    window = now - timedelta(days=max(settings.SYNC_BACKFILL_DAYS, 1))
    due = Q(stage="") | Q(stage__in=OPEN_STAGES, created_at__gte=window)
    if changed_receipts:
        due |= Q(receipt_id__in=changed_receipts)
    rows = list(
        Order.objects.filter(due).values_list("id", "status", "receipt_id", "stage", "updated_at")
    )
    receipts = dict(
        (rid, (status, order_status))
        for rid, status, order_status in Receipt.objects.filter(
            id__in={r for _, _, r, _, _ in rows if r is not None}
        ).values_list("id", "status", "order_status")
    )
    # (new stage, when) -> orders: a first derivation dates from the order's own last change,
    # a move from now.
    moves: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for order_id, status, receipt_id, stage, updated_at in rows:
        receipt_status, receipt_order_status = receipts.get(receipt_id, (None, None))
        new = order_stage(
            status=status,
            receipt_status=receipt_status,
            receipt_order_status=receipt_order_status,
        )
        if new != stage:
            moves[(new, updated_at if not stage else now)].append(order_id)
    if not moves:
        return 0
    with transaction.atomic():
        for (stage, at), ids in moves.items():
            for start in range(0, len(ids), BATCH):
                Order.objects.filter(id__in=ids[start : start + BATCH]).update(
                    stage=stage, stage_at=at
                )
        data_version_bump()
    return sum(len(ids) for ids in moves.values())
