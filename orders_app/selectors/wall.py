"""What the wall screen shows: columns of ticket cards, the all-day counts, and sync health.

By kitchen stage (Order.stage: New, Preparing, Ready, Done by default; ``stage=`` picks) or,
for a link asking ``status=``, by Clopos status as before. A station screen (``stations``)
shows only the items those stations make (selectors/routing.py), and only the orders that have
one; the expo (no station) shows whole orders with one chip per station. ``tickets="all"`` adds
the dine-in receipts opened at the POS with no API order (tables). Every card of an order not
yet being cooked names its 86'd items (selectors/stop_list.py).

Fixed query count whatever the number of orders: orders, items, modifiers, sale types, the sync
state row, stations, the items' products, the linked receipts' lines, the stop list, on a stage
wall the count of open orders too old to show, with tickets their receipts and lines (plus the
venue's name when a venue is chosen). Everything that depends on
the passing of time (age colours, LATE labels, the watchdog, Done cards expiring) is computed
in the browser from the ISO timestamps here, so an unchanged poll token is enough for 204.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from orders_app.models import Order, OrderItem, Receipt, SaleType, Venue
from orders_app.selectors.insights import DaySummary, day_summary
from orders_app.selectors.routing import Routing, routing_for
from orders_app.selectors.stop_list import StopList, out_names, stop_list
from orders_app.selectors.sync import SyncHealth, sync_health
from orders_app.selectors.thresholds import Thresholds, age_thresholds
from orders_app.vocabulary import (
    OPEN_STAGES,
    OPEN_STATUSES,
    RECEIPT_CLOSED,
    RECEIPT_OPEN,
    STOP_FLAG_STAGES,
    WALL_FINISHED_COLUMNS,
    WALL_STAGE_COLUMNS,
    WALL_STAGE_THRESHOLDS,
    order_stage,
    sale_kind,
    sale_kind_label,
    stage_label,
    wall_channel_label,
    wall_column_label,
)

# Cards rendered per column at most; the rest are counted into the "+N more" marker. The
# browser hides further cards that do not fit the screen and adds them to the same marker.
MAX_CARDS = 40
# Done/Ignored columns only look at orders created this recently (uses the status index).
DONE_LOOKBACK = timedelta(days=2)
ALL_DAY_MAX = 40
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


@dataclass(frozen=True)
class WallColumn:
    status: str  # the Clopos status of a status column; "" for a stage column
    label: str
    cards: tuple[WallCard, ...]
    total: int
    thresholds: Thresholds | None
    stage: str = ""  # the stage column's name (vocabulary.WALL_STAGE_COLUMNS); "" by status

    @property
    def target_amber_minutes(self) -> float | None:
        """Slow (amber) at three quarters of the target time, late (red) at the target."""
        return self.target_minutes * TARGET_AMBER_SHARE if self.target_minutes else None

    @property
    def key(self) -> str:
        """The column's CSS and data name: new, preparing, ... or pending, received, ..."""
        return self.stage or self.status.lower()

    @property
    def finished(self) -> bool:
        return (
            self.stage in WALL_FINISHED_COLUMNS
            if self.stage
            else (self.status not in OPEN_STATUSES)
        )

    @property
    def omitted(self) -> int:
        return self.total - len(self.cards)


@dataclass(frozen=True)
class AllDayLine:
    name: str
    count: Decimal
    modifiers: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class WallBoard:
    columns: tuple[WallColumn, ...]
    all_day: tuple[AllDayLine, ...]
    all_day_omitted: int
    open_count: int
    # Every open order this screen's columns cover, shown or not: the browser chimes for ids
    # it has not seen, so an order beyond the card cap still chimes.
    open_ids: tuple[int, ...]
    health: SyncHealth
    now: datetime
    venue_name: str
    # Open orders older than WALL_MAX_OPEN_HOURS, left off the wall (a stage wall only).
    older_open: int = 0
    stop_list: StopList = field(default_factory=lambda: StopList(items=()))
    # A station screen's stations, by name ("" for the expo).
    station_names: tuple[str, ...] = ()
    # Cards struck through as cancelled: the browser sounds once for each it has not seen.
    cancelled_ids: tuple[str, ...] = ()
    # ``stats=1``: today's orders and median time to accept (the late count is the browser's).
    stats: DaySummary | None = None


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
class _Screen:
    """What every card of one screen is built with."""

    sale_types: dict[int, tuple[str, str]]
    routing: Routing
    stop_list: StopList
    stop: dict  # product id -> StopItem (stop_list.by_product)
    stations: frozenset[int]  # a station screen's stations; empty for the expo


def _routed(screen: _Screen, lines, *, receipt_id: int | None) -> tuple[WallItem, ...] | None:
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


def _card_parts(screen: _Screen, items: tuple[WallItem, ...], raw_items, *, stage: str) -> dict:
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


def _card(
    order: Order,
    screen: _Screen,
    expires_at,
    *,
    finished_at: datetime | None = None,
) -> WallCard | None:
    """One order's card, or None on a station screen when the order has nothing for it."""
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
    parts = _card_parts(
        screen, items, [(i.product_id, i.name) for i in order_items], stage=order.stage
    )
    return WallCard(
        id=order.id,
        status=order.status,
        created_at=order.created_at,
        updated_at=finished_at or order.updated_at,
        stage=order.stage,
        receipt_id=order.receipt_id,
        channel=wall_channel_label(integration=order.integration, order_type=order.type),
        sale_kind=kind,
        sale_type_name=sale_name,
        customer_name=order.customer_name.strip(),
        comment=order.comment.strip(),
        items=items,
        expires_at=expires_at,
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


def _ticket_card(receipt: Receipt, screen: _Screen, stage: str) -> WallCard | None:
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
        **parts,
    )


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None


def _screen(
    orders: list[Order], *, stations: tuple[int, ...], tickets: list[Receipt] = ()
) -> _Screen:
    product_ids = {i.product_id for o in orders for i in o.items.all()}
    product_ids |= {line.product_id for r in tickets for line in r.items.all()}
    stop = stop_list()
    return _Screen(
        sale_types=_sale_kinds(),
        routing=routing_for(
            product_ids=product_ids,
            receipt_ids={o.receipt_id for o in orders if o.receipt_id is not None},
        ),
        stop_list=stop,
        stop=stop.by_product,
        stations=frozenset(stations),
    )


def _station_names(screen: _Screen) -> tuple[str, ...]:
    return tuple(screen.routing.station(s).name for s in sorted(screen.stations))


def _card_fields(qs):
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


def all_day_counts(
    cards: list[WallCard], *, limit: int = ALL_DAY_MAX
) -> tuple[list[AllDayLine], int]:
    """Item counts across open orders, biggest first; modifiers summed under their item.

    A modifier's count is per unit of its item (Clopos sends it on the product line), so
    "Pizza x2 + Extra cheese x1" adds two Extra cheese.
    """
    counts: dict[str, Decimal] = defaultdict(Decimal)
    mods: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for card in cards:
        for item in card.items:
            counts[item.name] += item.count
            for m in item.modifiers:
                mods[item.name][m.name] += (m.count if m.count is not None else 1) * item.count
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
    lines = [
        AllDayLine(
            name=name,
            count=count,
            modifiers=tuple(sorted(mods[name].items(), key=lambda kv: (-kv[1], kv[0].casefold()))),
        )
        for name, count in ordered[:limit]
    ]
    return lines, max(len(ordered) - limit, 0)


def _scope(qs, *, venue: int | None, channels: tuple[str, ...]):
    if venue is not None:
        qs = qs.filter(venue_id=venue)
    if channels:
        qs = qs.filter(Q(type__in=channels) | Q(integration__in=channels))
    return qs


def _venue_name(venue: int | None) -> str:
    if venue is None:
        return ""
    found = Venue.objects.filter(id=venue).only("name").first()
    return str(found) if found else gettext("Venue %(id)s") % {"id": venue}


def wall_board(
    *,
    columns: tuple[str, ...] = (),
    venue: int | None = None,
    channels: tuple[str, ...] = (),
    now: datetime | None = None,
    stage_columns: tuple[str, ...] | None = None,
    stages: tuple[str, ...] = (),
    stations: tuple[int, ...] = (),
    tickets: str = "orders",
    stats: bool = False,
) -> WallBoard:
    """The wall for one screen, optionally for one venue and some channels (order types or
    integrations): by kitchen stage (``stage_columns``, vocabulary.WALL_STAGE_COLUMNS; only
    the ``stages`` asked for, when some are), or, the older wall, by Clopos status
    (``columns``, statuses in order). ``stations``: a station screen's stations (their items
    only); ``tickets="all"``: dine-in receipts too (a stage wall only)."""
    now = now or timezone.now()
    if stats:
        summary = day_summary(day=timezone.localdate(now), venue=venue, channels=channels)
        board = wall_board(
            columns=columns,
            venue=venue,
            channels=channels,
            now=now,
            stage_columns=stage_columns,
            stages=stages,
            stations=stations,
            tickets=tickets,
        )
        return replace(board, stats=summary)
    if stage_columns is not None:
        return _stage_board(
            stage_columns=stage_columns,
            stages=stages,
            venue=venue,
            channels=channels,
            now=now,
            stations=stations,
            tickets=tickets,
        )
    health = sync_health(now=now)
    done_statuses = [s for s in columns if s not in OPEN_STATUSES]
    done_cutoff = now - timedelta(minutes=settings.WALL_DONE_MINUTES)
    wanted = Q(status__in=OPEN_STATUSES)
    if done_statuses:
        wanted |= Q(
            status__in=done_statuses,
            updated_at__gte=done_cutoff,
            created_at__gte=now - DONE_LOOKBACK,
        )
    qs = _card_fields(_scope(Order.objects.filter(wanted), venue=venue, channels=channels))
    orders = list(qs.order_by("created_at", "id"))
    screen = _screen(orders, stations=stations)
    by_status: dict[str, list[WallCard]] = defaultdict(list)
    open_cards: list[WallCard] = []
    done_minutes = timedelta(minutes=settings.WALL_DONE_MINUTES)
    for order in orders:
        expires = order.updated_at + done_minutes if order.status not in OPEN_STATUSES else None
        card = _card(order, screen, expires)
        if card is None:
            continue
        by_status[order.status].append(card)
        if order.status in OPEN_STATUSES:
            open_cards.append(card)
    thresholds = age_thresholds()
    shown = []
    for status in columns:
        cards = by_status.get(status, [])
        if status not in OPEN_STATUSES:
            # Most recently finished first.
            cards = sorted(cards, key=lambda c: (c.updated_at, c.id), reverse=True)
        shown.append(
            WallColumn(
                status=status,
                label=wall_column_label(status),
                cards=tuple(cards[:MAX_CARDS]),
                total=len(cards),
                thresholds=thresholds.get(status),
            )
        )
    all_day, all_day_omitted = all_day_counts(open_cards)
    return WallBoard(
        columns=tuple(shown),
        all_day=tuple(all_day),
        all_day_omitted=all_day_omitted,
        open_count=len(open_cards),
        open_ids=tuple(c.key for c in open_cards if c.status in columns),
        health=health,
        now=now,
        venue_name=_venue_name(venue),
        stop_list=screen.stop_list,
        station_names=_station_names(screen),
    )


def _tickets(
    *, open_held: list[str], finished_held: list[str], venue: int | None, now: datetime
) -> list[Receipt]:
    """Dine-in receipts (no API order links to them): open ones while younger than
    WALL_MAX_OPEN_HOURS, closed ones for WALL_DONE_MINUTES after closing."""
    wanted = Q()
    if open_held:
        wanted |= Q(
            status=RECEIPT_OPEN,
            created_at__gte=now - timedelta(hours=settings.WALL_MAX_OPEN_HOURS),
        )
    if finished_held:
        wanted |= Q(
            status=RECEIPT_CLOSED,
            closed_at__gte=now - timedelta(minutes=settings.WALL_DONE_MINUTES),
            created_at__gte=now - DONE_LOOKBACK,
        )
    if not wanted:
        return []
    qs = Receipt.objects.filter(wanted).exclude(
        id__in=Order.objects.filter(receipt_id__isnull=False).values("receipt_id")
    )
    if venue is not None:
        qs = qs.filter(venue_id=venue)
    return list(
        qs.only(
            "id",
            "status",
            "order_status",
            "daily_number",
            "table_id",
            "guests",
            "sale_type_id",
            "created_at",
            "updated_at",
            "closed_at",
            "first_seen_at",
        )
        .prefetch_related("items")
        .order_by("created_at", "id")
    )


def _stage_board(
    *,
    stage_columns: tuple[str, ...],
    stages: tuple[str, ...],
    venue: int | None,
    channels: tuple[str, ...],
    now: datetime,
    stations: tuple[int, ...] = (),
    tickets: str = "orders",
) -> WallBoard:
    """The wall by kitchen stage (Order.stage, kept by the sync): open stages while younger than
    WALL_MAX_OPEN_HOURS (older ones counted in ``older_open``), finished ones (done, cancelled,
    ignored) for WALL_DONE_MINUTES after their stage moved."""
    health = sync_health(now=now)
    held = {stage for column in stage_columns for stage in WALL_STAGE_COLUMNS[column]}
    if stages:
        held &= set(stages)
    open_held = sorted(held & set(OPEN_STAGES))
    finished_held = sorted(held - set(OPEN_STAGES))
    done_minutes = timedelta(minutes=settings.WALL_DONE_MINUTES)
    open_since = now - timedelta(hours=settings.WALL_MAX_OPEN_HOURS)
    wanted = Q(stage__in=open_held, created_at__gte=open_since)
    if finished_held:
        wanted |= Q(
            stage__in=finished_held,
            stage_at__gte=now - done_minutes,
            created_at__gte=now - DONE_LOOKBACK,
        )
    scoped = _scope(Order.objects.all(), venue=venue, channels=channels)
    orders = list(_card_fields(scoped.filter(wanted)).order_by("created_at", "id"))
    # Tables have no channel: a screen for some channels does not show them.
    receipts = (
        _tickets(open_held=open_held, finished_held=finished_held, venue=venue, now=now)
        if tickets == "all" and not channels
        else []
    )
    screen = _screen(orders, stations=stations, tickets=receipts)
    by_stage: dict[str, list[WallCard]] = defaultdict(list)
    open_cards: list[WallCard] = []
    for order in orders:
        if order.stage in OPEN_STAGES:
            card = _card(order, screen, None)
        else:
            finished = order.stage_at or order.updated_at
            card = _card(order, screen, finished + done_minutes, finished_at=finished)
        if card is None:
            continue
        if card.stage in OPEN_STAGES:
            open_cards.append(card)
        by_stage[order.stage].append(card)
    for receipt in receipts:
        stage = order_stage(
            status="", receipt_status=receipt.status, receipt_order_status=receipt.order_status
        )
        if stage not in held:
            continue
        card = _ticket_card(receipt, screen, stage)
        if card is None:
            continue
        if stage in OPEN_STAGES:
            open_cards.append(card)
        by_stage[stage].append(card)
    thresholds = age_thresholds()
    shown = []
    for column in stage_columns:
        cards = [c for stage in WALL_STAGE_COLUMNS[column] for c in by_stage.get(stage, [])]
        if column in WALL_FINISHED_COLUMNS:
            cards.sort(key=lambda c: (c.updated_at, c.id), reverse=True)
        else:
            cards.sort(key=lambda c: (c.created_at, c.id))
        threshold_key = WALL_STAGE_THRESHOLDS.get(column, "")
        shown.append(
            WallColumn(
                status="",
                stage=column,
                label=stage_label(column) if column != "done" else wall_column_label("DELIVERED"),
                cards=tuple(cards[:MAX_CARDS]),
                total=len(cards),
                thresholds=thresholds.get(threshold_key) or thresholds.get(column.upper()),
            )
        )
    older_open = (
        scoped.filter(stage__in=open_held, created_at__lt=open_since).count() if open_held else 0
    )
    all_day, all_day_omitted = all_day_counts(open_cards)
    return WallBoard(
        columns=tuple(shown),
        all_day=tuple(all_day),
        all_day_omitted=all_day_omitted,
        open_count=len(open_cards),
        open_ids=tuple(c.key for c in open_cards),
        health=health,
        now=now,
        venue_name=_venue_name(venue),
        older_open=older_open,
        stop_list=screen.stop_list,
        station_names=_station_names(screen),
        cancelled_ids=tuple(
            c.key for column in shown for c in column.cards if c.stage == "cancelled"
        ),
    )
