"""Reads: the outbox's health, the Recall drawer's rows, a receipt's or order's timeline of writes."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from orders_app.models import Order, OutboxEntry
from orders_app.services.outbox.common import (
    ActorKind,
    Kind,
    State,
)

# --- Reads: health, the Recall drawer, the timeline ------------------------------------------


def outbox_health(now: datetime | None = None) -> dict[str, int | float | None]:
    """``{"pending": N, "oldest_age_seconds": S}`` (None when nothing waits), for /healthz
    and the wall's "changes waiting to reach Clopos" banner; one query."""
    now = now or timezone.now()
    row = OutboxEntry.objects.filter(state=State.PENDING).aggregate(
        pending=Count("id"), oldest=Min("tapped_at")
    )
    oldest = row["oldest"]
    age = None if oldest is None else max(0.0, round((now - oldest).total_seconds(), 1))
    return {"pending": row["pending"], "oldest_age_seconds": age}


def recent_bumps(
    actor: str, *, actor_kind: str = ActorKind.SCREEN, limit: int = 10
) -> list[OutboxEntry]:
    """The last ``limit`` bumps of one screen (a kiosk key's name) or manager, newest first:
    the Recall drawer's rows. Uses outbox_actor_idx."""
    return list(
        OutboxEntry.objects.filter(
            actor_kind=actor_kind, actor=actor, kind=Kind.RECEIPT_STATUS
        ).order_by("-id")[:limit]
    )


def entries_for_receipt(receipt_id: int) -> list[OutboxEntry]:
    """Every write asked of one receipt, oldest first: who, from and to, when tapped, how it
    ended and when. Uses outbox_receipt_idx."""
    return list(OutboxEntry.objects.filter(receipt_id=receipt_id).order_by("id"))


def entries_for_order(order: Order) -> list[OutboxEntry]:
    """Every write asked of one order: its ignore and its receipt's bumps, oldest first (the
    order detail's timeline)."""
    match = Q(order_remote_id=order.id)
    if order.receipt_id is not None:
        match |= Q(receipt_id=order.receipt_id)
    return list(OutboxEntry.objects.filter(match).order_by("id"))
