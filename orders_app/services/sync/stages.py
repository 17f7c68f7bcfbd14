"""Each order's kitchen stage, kept current on ``Order.stage`` (vocabulary.order_stage says
what it is; this module only applies it).

An order's stage is derived when its page is written (``stages_apply``, in the page's own
transaction and data version), and again after the pass for orders whose receipt changed or
that were just linked to one (``stages_refresh``, which moves the data version when any
stage moved). Migration 0007 gave the orders already cached their first stage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from orders_app.models import Order, Receipt
from orders_app.services.sync.version import data_version_bump
from orders_app.vocabulary import order_stage

BATCH = 2000


def _moves(rows: list[tuple], *, now: datetime) -> dict[tuple[str, datetime], list[int]]:
    """(new stage, since when) -> orders, for the rows (id, status, receipt id, stage,
    updated_at) whose derived stage differs from the stored one. A first derivation dates from
    the order's own last change, a move from now."""
    receipts = {
        rid: (status, order_status)
        for rid, status, order_status in Receipt.objects.filter(
            id__in={r for _, _, r, _, _ in rows if r is not None}
        ).values_list("id", "status", "order_status")
    }
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
    return moves


def _write(moves: dict[tuple[str, datetime], list[int]]) -> int:
    for (stage, at), ids in moves.items():
        for start in range(0, len(ids), BATCH):
            Order.objects.filter(id__in=ids[start : start + BATCH]).update(stage=stage, stage_at=at)
    return sum(len(ids) for ids in moves.values())


_ROW = ("id", "status", "receipt_id", "stage", "updated_at")


def stages_apply(*, order_ids: Iterable[int], now: datetime) -> int:
    """Derive the stages of orders a page just wrote, inside that page's transaction (whose
    data version bump covers them); how many moved."""
    rows = list(Order.objects.filter(id__in=list(order_ids)).values_list(*_ROW))
    return _write(_moves(rows, now=now))


def stages_refresh(
    *, now: datetime, receipt_ids: Iterable[int] = (), order_ids: Iterable[int] = ()
) -> int:
    """After a pass: derive again the stages that moved without their order changing (their
    receipt changed, ``receipt_ids``; they were just linked to one, ``order_ids``); how many
    changed, with the data version moved when any did. Nothing to look at costs no query."""
    receipts, orders = list(receipt_ids), list(order_ids)
    if not receipts and not orders:
        return 0
    due = Q(receipt_id__in=receipts) | Q(id__in=orders)
    moves = _moves(list(Order.objects.filter(due).values_list(*_ROW)), now=now)
    if not moves:
        return 0
    with transaction.atomic():
        moved = _write(moves)
        data_version_bump()
    return moved
