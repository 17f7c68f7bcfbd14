"""One order in full, for its page and the board's row panel: items, modifiers, timeline."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext

from orders_app.models import Order, OrderEvent, OrderItem, OrderItemModifier
from orders_app.selectors.order_filters import with_names


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "created", "seen" or "status"
    label: str
    from_status: str = ""
    to_status: str = ""
    since_previous: timedelta | None = None


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    items: list[OrderItem]
    timeline: list[TimelineEntry]
    raw_discount: dict[str, Any] = field(default_factory=dict)


def _timeline(order: Order, events: list[OrderEvent]) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = [
        TimelineEntry(at=order.created_at, kind="created", label=gettext("Created in Clopos"))
    ]
    seen = [e for e in events if e.kind == OrderEvent.Kind.SEEN]
    if not seen:
        entries.append(
            TimelineEntry(at=order.first_seen_at, kind="seen", label=gettext("First seen by Pass"))
        )
    for event in events:
        if event.kind == OrderEvent.Kind.SEEN:
            entries.append(
                TimelineEntry(
                    at=event.observed_at,
                    kind="seen",
                    label=gettext("First seen by Pass"),
                    to_status=event.to_status,
                )
            )
        else:
            entries.append(
                TimelineEntry(
                    at=event.observed_at,
                    kind="status",
                    label=gettext("Status changed"),
                    from_status=event.from_status,
                    to_status=event.to_status,
                )
            )
    entries.sort(key=lambda e: (e.at, 0 if e.kind == "created" else 1))
    timed: list[TimelineEntry] = []
    for index, entry in enumerate(entries):
        previous = entries[index - 1].at if index else None
        timed.append(replace(entry, since_previous=entry.at - previous if previous else None))
    return timed


def order_detail_get(*, order_id: int) -> OrderDetail | None:
    """The order with its items, modifiers and events (four queries), or None."""
    items = Prefetch(
        "items",
        queryset=OrderItem.objects.order_by("position").prefetch_related(
            Prefetch("modifiers", queryset=OrderItemModifier.objects.order_by("position"))
        ),
    )
    events = Prefetch("events", queryset=OrderEvent.objects.order_by("observed_at", "id"))
    order = (
        with_names(Order.objects.filter(id=order_id))
        .defer("search_text")
        .prefetch_related(items, events)
        .first()
    )
    if order is None:
        return None
    raw_meta = (order.raw or {}).get("payload", {}) if isinstance(order.raw, dict) else {}
    discount = {}
    if isinstance(raw_meta, dict) and isinstance(raw_meta.get("meta"), dict):
        raw_discount = raw_meta["meta"].get("discount")
        discount = raw_discount if isinstance(raw_discount, dict) else {}
    return OrderDetail(
        order=order,
        items=list(order.items.all()),
        timeline=_timeline(order, list(order.events.all())),
        raw_discount=discount,
    )
