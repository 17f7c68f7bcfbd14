"""One order in full, for its page and the board's row panel: items (with their stations),
modifiers, its Clopos receipt, and the timeline of what Pass saw happen to both."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from orders_app.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderItemModifier,
    OutboxEntry,
    Product,
    Receipt,
    ReceiptEvent,
    ReceiptItem,
    Station,
)
from orders_app.selectors.order_filters import with_names
from orders_app.selectors.stop_list import is_flagged_stage, out_names, stop_list
from orders_app.services.outbox import entries_for_order
from orders_app.vocabulary import order_stage, order_status_label, stage_label


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "created", "seen", "status", or a receipt's: "opened", "order_status", "closed"
    label: str
    from_status: str = ""
    to_status: str = ""
    since_previous: timedelta | None = None
    stage: str = ""  # for a receipt's entries: the kitchen stage it put the order in
    detail: str = ""  # a write to Clopos's end: confirmed when, or why not


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    items: list[OrderItem]
    timeline: list[TimelineEntry]
    raw_discount: dict[str, Any] = field(default_factory=dict)
    receipt: Receipt | None = None
    receipt_items: list[ReceiptItem] = field(default_factory=list)
    # product id -> the station that makes it (the receipt's routing, else /products).
    stations: dict[int, str] = field(default_factory=dict)
    # The names of its 86'd items ("86: Plov"), for an order the kitchen has not started.
    out_names: tuple[str, ...] = ()
    # The writes asked of Clopos for it (services/outbox), oldest first.
    writes: list[OutboxEntry] = field(default_factory=list)

    @property
    def ignore_waiting(self) -> bool:
        """An ignore of this order is on its way to Clopos."""
        return any(
            w.kind == OutboxEntry.Kind.ORDER_IGNORE and w.state == OutboxEntry.State.PENDING
            for w in self.writes
        )

    def station_of(self, item: OrderItem) -> str:
        return self.stations.get(item.product_id or -1, "")


_RECEIPT_LABELS = {
    ReceiptEvent.Kind.OPENED: ReceiptEvent.Kind.OPENED.label,
    ReceiptEvent.Kind.ORDER_STATUS: ReceiptEvent.Kind.ORDER_STATUS.label,
    ReceiptEvent.Kind.CLOSED: ReceiptEvent.Kind.CLOSED.label,
    ReceiptEvent.Kind.REOPENED: ReceiptEvent.Kind.REOPENED.label,
}


def _receipt_entries(events: list[ReceiptEvent]) -> list[TimelineEntry]:
    entries = []
    for event in events:
        closed = event.kind == ReceiptEvent.Kind.CLOSED
        stage = order_stage(
            status="RECEIVED",
            receipt_status=2 if closed else 1,
            receipt_order_status=event.to_value,
        )
        entries.append(
            TimelineEntry(
                at=event.observed_at,
                kind=event.kind,
                label=str(_RECEIPT_LABELS.get(event.kind, event.kind)),
                from_status=event.from_value,
                to_status=event.to_value,
                stage=stage_label(stage),
            )
        )
    return entries


def _write_entries(writes: list[OutboxEntry]) -> list[TimelineEntry]:
    """The writes Pass asked of Clopos for this order (bumps of its receipt, its ignore): who
    tapped, from and to, when, and how each ended."""
    entries = []
    for write in writes:
        who = {"name": write.actor, "whom": write.get_actor_kind_display()}
        if write.kind == OutboxEntry.Kind.ORDER_IGNORE:
            label = gettext("Ignore asked by %(name)s (%(whom)s)") % who
        else:
            label = gettext("Bumped by %(name)s (%(whom)s): %(from)s → %(to)s") % {
                **who,
                "from": order_status_label(write.from_status),
                "to": order_status_label(write.to_status),
            }
        if write.state == OutboxEntry.State.CONFIRMED and write.confirmed_at:
            at = timezone.localtime(write.confirmed_at).strftime("%H:%M:%S")
            detail = gettext("Confirmed by Clopos at %(time)s") % {"time": at}
        elif write.state == OutboxEntry.State.PENDING:
            detail = str(OutboxEntry.State.PENDING.label)
        else:
            detail = f"{write.get_state_display()}: {write.reason}" if write.reason else ""
            detail = detail or write.get_state_display()
        entries.append(
            TimelineEntry(
                at=write.tapped_at,
                kind="write",
                label=label,
                from_status=write.from_status,
                to_status=write.to_status,
                detail=detail,
            )
        )
    return entries


def _stations(receipt_items: list[ReceiptItem], product_ids: set[int]) -> dict[int, str]:
    """Which station makes each product: the receipt's own routing first, else /products.
    At most two queries (products, then station names), none for what the receipt named."""
    routed: dict[int, int] = {}
    found: dict[int, str] = {}
    for item in receipt_items:
        if item.product_id is None:
            continue
        if item.station_name:
            found[item.product_id] = item.station_name
        elif item.station_id is not None:
            routed[item.product_id] = item.station_id
    missing = product_ids - set(found) - set(routed)
    if missing:
        routed.update(
            Product.objects.filter(id__in=missing, station_id__isnull=False).values_list(
                "id", "station_id"
            )
        )
    if routed:
        names = dict(Station.objects.filter(id__in=set(routed.values())).values_list("id", "name"))
        for product_id, station_id in routed.items():
            if station_id in names:
                found.setdefault(product_id, names[station_id])
    return found


def _timeline(
    order: Order,
    events: list[OrderEvent],
    receipt_events: list[ReceiptEvent] = (),
    writes: list[OutboxEntry] = (),
) -> list[TimelineEntry]:
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
    entries += _receipt_entries(list(receipt_events))
    entries += _write_entries(list(writes))
    entries.sort(key=lambda e: (e.at, 0 if e.kind == "created" else 1))
    timed: list[TimelineEntry] = []
    for index, entry in enumerate(entries):
        previous = entries[index - 1].at if index else None
        timed.append(replace(entry, since_previous=entry.at - previous if previous else None))
    return timed


def order_detail_get(*, order_id: int) -> OrderDetail | None:
    """The order with its items, modifiers and events (four queries), its receipt with items
    and events (three more when linked), the writes asked of Clopos for it (one), its items'
    stations, and the stop list (one more, for an order the kitchen has not started), or
    None."""
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
    receipt = None
    receipt_items: list[ReceiptItem] = []
    receipt_events: list[ReceiptEvent] = []
    if order.receipt_id is not None:
        receipt = Receipt.objects.defer("raw").filter(id=order.receipt_id).first()
        if receipt is not None:
            receipt_items = list(receipt.items.order_by("position"))
            receipt_events = list(receipt.events.order_by("observed_at", "id"))
    items = list(order.items.all())
    stations = _stations(receipt_items, {i.product_id for i in items if i.product_id})
    for item in items:
        item.station_name = stations.get(item.product_id or -1, "")  # type: ignore[attr-defined]
    flagged: tuple[str, ...] = ()
    if is_flagged_stage(order.stage):
        stop = stop_list()
        flagged = out_names([(i.product_id, i.name) for i in items], stop)
        out_ids = stop.out_ids
        for item in items:
            item.is_out = item.product_id in out_ids  # type: ignore[attr-defined]
    writes = entries_for_order(order)
    return OrderDetail(
        order=order,
        items=items,
        timeline=_timeline(order, list(order.events.all()), receipt_events, writes),
        writes=writes,
        raw_discount=discount,
        receipt=receipt,
        receipt_items=receipt_items,
        stations=stations,
        out_names=flagged,
    )
