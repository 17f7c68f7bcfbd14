"""Each order's kitchen stage, kept current on ``Order.stage`` (vocabulary.order_stage says
what it is; this module only applies it).

An order's stage is written with the order itself: the page writer (``store.py``) computes it
with ``stage_next`` from the parsed order, the stage it had and its already-known receipt
(``receipt_states``), so the INSERT or UPDATE carries it and the page costs no query for it.
After the pass it is derived again for orders whose receipt changed or that were just linked
to one (``stages_refresh``, which moves the data version when any stage moved).
``stages_apply`` is the plain twin of the page writer's derivation (read the written orders
back, derive, update): tests pin both equal. Migration 0007 gave the orders already cached
their first stage.
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


ReceiptState = tuple[int | None, str]  # a receipt's (status, order_status)


def receipt_states(receipt_ids: Iterable[int | None]) -> dict[int, ReceiptState]:
    """The cached receipts among ``receipt_ids``: id -> (status, order_status); no query when
    there is none to look for."""
    wanted = {r for r in receipt_ids if r is not None}
    if not wanted:
        return {}
    rows = Receipt.objects.filter(id__in=wanted).values_list("id", "status", "order_status")
    return {rid: (status, order_status) for rid, status, order_status in rows}


def stage_next(
    *,
    status: str,
    receipt: ReceiptState | None,
    stage: str,
    stage_at: datetime | None,
    updated_at: datetime,
    now: datetime,
) -> tuple[str, datetime | None]:
    """The (stage, stage_at) an order holds once it has ``status`` and ``receipt`` (None: no
    receipt cached), given the ``stage`` it had (since ``stage_at``; "" for a new order). A
    first derivation dates from the order's own last change (``updated_at``), a move from
    ``now``; an unmoved stage keeps its time."""
    receipt_status, receipt_order_status = receipt or (None, None)
    new = order_stage(
        status=status, receipt_status=receipt_status, receipt_order_status=receipt_order_status
    )
    if new == stage:
        return stage, stage_at
    return new, updated_at if not stage else now


def _moves(rows: list[tuple], *, now: datetime) -> dict[tuple[str, datetime], list[int]]:
    """(new stage, since when) -> orders, for the rows (id, status, receipt id, stage,
    updated_at) whose derived stage differs from the stored one."""
    receipts = receipt_states(r for _, _, r, _, _ in rows)
    moves: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for order_id, status, receipt_id, stage, updated_at in rows:
        new, at = stage_next(
            status=status,
            receipt=receipts.get(receipt_id),
            stage=stage,
            stage_at=None,
            updated_at=updated_at,
            now=now,
        )
        if new != stage:
            moves[(new, at)].append(order_id)
    return moves


def _write(moves: dict[tuple[str, datetime], list[int]]) -> int:
    for (stage, at), ids in moves.items():
        for start in range(0, len(ids), BATCH):
            Order.objects.filter(id__in=ids[start : start + BATCH]).update(stage=stage, stage_at=at)
    return sum(len(ids) for ids in moves.values())


_ROW = ("id", "status", "receipt_id", "stage", "updated_at")


def stages_apply(*, order_ids: Iterable[int], now: datetime) -> int:
    """Derive the stages of orders already written, by reading them back (the plain twin of
    the page writer's ``stage_next``, pinned equal by tests; call it inside the transaction
    whose data version bump covers them); how many moved."""
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
