"""A wall card: one order (or a dine-in table's receipt) as a screen shows it, with its items
routed to their stations (selectors/routing.py), its stations' chips, its cooking-time target
and its 86'd items (selectors/stop_list.py). selectors/wall.py lays the cards out in columns.

``card_screen`` reads what every card of one screen needs in a fixed number of queries: sale
types, stations, the items' products, the linked receipts' lines, the stop list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils.translation import gettext, ngettext

from orders_app.models import Order, OrderItem, Receipt, SaleType
from orders_app.selectors.bump import CardBump
from orders_app.selectors.routing import Routing, routing_for
from orders_app.selectors.stop_list import StopList, out_names, stop_list
from orders_app.vocabulary import (
    OPEN_STAGES,
    STOP_FLAG_STAGES,
    sale_kind,
    sale_kind_label,
    wall_channel_label,
)

# A card with a cooking-time target turns amber at this share of it, red at all of it.
TARGET_AMBER_SHARE = 0.75


@dataclass(frozen=True)
class WallModifier:
    name: str
    count: Decimal | None


@dataclass(frozen=True)
class WallItem:
    name: str
    count: Decimal
    modifiers: tuple[WallModifier, ...]
    note: str
    station_id: int | None = None
    station_name: str = ""
    holds: bool = True  # made at a kitchen station, not GOODS (selectors/routing.py)
    cooking_minutes: int | None = None  # the product's cooking_time, when it holds


@dataclass(frozen=True)
class StationChip:
    """One station's share of a card on the expo: its name and how many items it makes."""

    id: int
    name: str
    count: Decimal
    kitchen: bool


@dataclass(frozen=True)
class WallCard:
    id: int
    status: str
    created_at: datetime
    updated_at: datetime
    channel: str
    sale_kind: str  # delivery, takeaway, in or ""
    sale_type_name: str
    customer_name: str
    comment: str
    items: tuple[WallItem, ...]
    expires_at: datetime | None  # Done/Ignored cards leave the wall then
    stage: str = ""
    receipt_id: int | None = None
    stations: tuple[StationChip, ...] = ()
    # The slowest holding item's cooking_time (minutes), when Clopos gives one: the card is
    # late against it in the Preparing column, instead of the configured thresholds.
    target_minutes: int | None = None
    out: tuple[str, ...] = ()  # its 86'd items, while it is not yet being cooked
    # A dine-in ticket (a receipt opened at the POS, no API order): "Table 12 · 3 guests".
    ticket: str = ""
    # With WALL_BUMP on, its receipt's bump state (selectors/bump.py); None without a receipt.
    bump: CardBump | None = None

    @property
    def target_amber_minutes(self) -> float | None:
        """Slow (amber) at three quarters of the target time, late (red) at the target."""
        return self.target_minutes * TARGET_AMBER_SHARE if self.target_minutes else None

    @property
    def key(self) -> str:
        """The card's id on the screen (data-id): the order's id, or "r<receipt id>"."""
        return f"r{self.receipt_id}" if self.ticket else str(self.id)

    @property
    def not_started(self) -> bool:
        """Accepted but not yet being prepared, in the Preparing column."""
        return self.stage in ("accepted", "scheduled")

    @property
    def sale_kind_label(self) -> str:
        return sale_kind_label(self.sale_kind) or self.sale_type_name


def _sale_kinds() -> dict[int, tuple[str, str]]:
    return {
        st.id: (sale_kind(st.system_type), st.name)
        for st in SaleType.objects.only("id", "name", "system_type")
    }


def _item_name(name: str, product_id: int | None) -> str:
    if name:
        return name
    if product_id:
        return gettext("Product %(id)s") % {"id": product_id}
    return gettext("Item")


@dataclass(frozen=True)
class CardScreen:
    """What every card of one screen is built with."""

    sale_types: dict[int, tuple[str, str]]
    routing: Routing
    stop_list: StopList
    stop: dict  # product id -> StopItem (stop_list.by_product)
    stations: frozenset[int]  # a station screen's stations; empty for the expo


def _routed(screen: CardScreen, lines, *, receipt_id: int | None) -> tuple[WallItem, ...] | None:
    """Items with their stations, only the screen's stations' on a station screen (None when
    the card has nothing for them). ``lines``: (name, product id, count, modifiers, note,
    station id or None) per item."""
    items = []
    for name, product_id, count, modifiers, note, station_id in lines:
        route = screen.routing.route(
            product_id=product_id, receipt_id=receipt_id, station_id=station_id
        )
        station = route.station
        if screen.stations and (station is None or station.id not in screen.stations):
            continue
        items.append(
            WallItem(
                name=_item_name(name, product_id),
                count=count,
                modifiers=modifiers,
                note=note,
                station_id=station.id if station else None,
                station_name=station.name if station else "",
                holds=route.holds,
                cooking_minutes=route.cooking_minutes,
            )
        )
    if screen.stations and not items:
        return None
    return tuple(items)


def _card_parts(screen: CardScreen, items: tuple[WallItem, ...], raw_items, *, stage: str) -> dict:
    """Chips, target time and 86 flags of a card from its (routed) items."""
    chips: dict[int, StationChip] = {}
    for item in items:
        if item.station_id is None:
            continue
        chip = chips.get(item.station_id)
        chips[item.station_id] = StationChip(
            id=item.station_id,
            name=item.station_name,
            count=(chip.count if chip else Decimal(0)) + item.count,
            kitchen=item.holds or (chip.kitchen if chip else False),
        )
    minutes = [item.cooking_minutes for item in items if item.cooking_minutes]
    return {
        "stations": tuple(chips.values()) if not screen.stations else (),
        "target_minutes": max(minutes) if minutes else None,
        "out": out_names(raw_items, screen.stop) if stage in STOP_FLAG_STAGES else (),
    }


def order_card(
    order: Order,
    screen: CardScreen,
    expires_at,
    *,
    finished_at: datetime | None = None,
    stage: str | None = None,
    bump: CardBump | None = None,
) -> WallCard | None:
    """One order's card, or None on a station screen when the order has nothing for it.
    ``stage``: where a tap not yet confirmed put it (else ``order.stage``); ``bump``: its
    receipt's bump state."""
    stage = stage or order.stage
    kind, sale_name = screen.sale_types.get(order.sale_type_id or -1, ("", ""))
    order_items = list(order.items.all())
    items = _routed(
        screen,
        (
            (
                item.name,
                item.product_id,
                item.count,
                tuple(
                    WallModifier(
                        name=m.name or gettext("Modifier %(id)s") % {"id": m.modifier_id},
                        count=m.count,
                    )
                    for m in item.modifiers.all()
                ),
                item.note.strip(),
                None,
            )
            for item in order_items
        ),
        receipt_id=order.receipt_id,
    )
    if items is None:
        return None
    parts = _card_parts(screen, items, [(i.product_id, i.name) for i in order_items], stage=stage)
    return WallCard(
        id=order.id,
        status=order.status,
        created_at=order.created_at,
        updated_at=finished_at or order.updated_at,
        stage=stage,
        receipt_id=order.receipt_id,
        channel=wall_channel_label(integration=order.integration, order_type=order.type),
        sale_kind=kind,
        sale_type_name=sale_name,
        customer_name=order.customer_name.strip(),
        comment=order.comment.strip(),
        items=items,
        expires_at=expires_at,
        bump=bump,
        **parts,
    )


def ticket_label(receipt: Receipt) -> str:
    """A dine-in ticket's title: "Table 12 · 3 guests", "Table 12", or "Receipt 4471"."""
    parts = []
    if receipt.table_id is not None:
        parts.append(gettext("Table %(table)s") % {"table": receipt.table_id})
    else:
        parts.append(gettext("Receipt %(id)s") % {"id": receipt.daily_number or receipt.id})
    if receipt.guests:
        parts.append(
            ngettext("%(count)s guest", "%(count)s guests", receipt.guests)
            % {"count": receipt.guests}
        )
    return " · ".join(parts)


def ticket_card(
    receipt: Receipt, screen: CardScreen, stage: str, *, bump: CardBump | None = None
) -> WallCard | None:
    """A dine-in receipt's card (no API order): its own lines, routed as they say."""
    lines = list(receipt.items.all())
    items = _routed(
        screen,
        (
            (
                line.name,
                line.product_id,
                line.count,
                tuple(
                    WallModifier(name=str(m.get("name") or ""), count=_decimal(m.get("count")))
                    for m in (line.modifiers or [])
                    if isinstance(m, dict) and m.get("name")
                ),
                "",
                line.station_id,
            )
            for line in lines
        ),
        receipt_id=None,
    )
    if items is None:
        return None
    created = receipt.created_at or receipt.first_seen_at
    finished = None
    expires = None
    if stage not in OPEN_STAGES:
        finished = receipt.closed_at or receipt.updated_at or created
        expires = finished + timedelta(minutes=settings.WALL_DONE_MINUTES)
    parts = _card_parts(screen, items, [(i.product_id, i.name) for i in lines], stage=stage)
    kind, sale_name = screen.sale_types.get(receipt.sale_type_id or -1, ("", ""))
    return WallCard(
        id=receipt.id,
        status="",
        created_at=created,
        updated_at=finished or receipt.updated_at or created,
        stage=stage,
        receipt_id=receipt.id,
        channel="",
        sale_kind=kind,
        sale_type_name=sale_name,
        customer_name="",
        comment="",
        items=items,
        expires_at=expires,
        ticket=ticket_label(receipt),
        bump=bump,
        **parts,
    )


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None


def card_screen(
    orders: list[Order], *, stations: tuple[int, ...], tickets: list[Receipt] = ()
) -> CardScreen:
    product_ids = {i.product_id for o in orders for i in o.items.all()}
    product_ids |= {line.product_id for r in tickets for line in r.items.all()}
    stop = stop_list()
    return CardScreen(
        sale_types=_sale_kinds(),
        routing=routing_for(
            product_ids=product_ids,
            receipt_ids={o.receipt_id for o in orders if o.receipt_id is not None},
        ),
        stop_list=stop,
        stop=stop.by_product,
        stations=frozenset(stations),
    )


def station_names(screen: CardScreen) -> tuple[str, ...]:
    return tuple(screen.routing.station(s).name for s in sorted(screen.stations))


def card_fields(qs):
    """Only what a card shows, with its items and their modifiers prefetched."""
    return qs.only(
        "id",
        "status",
        "stage",
        "stage_at",
        "receipt_id",
        "created_at",
        "updated_at",
        "type",
        "integration",
        "sale_type_id",
        "customer_name",
        "comment",
    ).prefetch_related(
        Prefetch(
            "items",
            queryset=OrderItem.objects.only(
                "id", "order_id", "position", "product_id", "name", "count", "note"
            ).prefetch_related("modifiers"),
        )
    )
