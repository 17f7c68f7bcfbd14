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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from orders_app.models import Order, Receipt, Venue
from orders_app.selectors.bump import card_bumps
from orders_app.selectors.day_summary import DaySummary, day_summary
from orders_app.selectors.stop_list import StopList
from orders_app.selectors.sync import SyncHealth, sync_health
from orders_app.selectors.thresholds import Thresholds, age_thresholds
from orders_app.selectors.wall_cards import (
    StationChip,
    WallCard,
    WallItem,
    WallModifier,
    card_fields,
    card_screen,
    order_card,
    station_names,
    ticket_card,
)
from orders_app.vocabulary import (
    OPEN_STAGES,
    OPEN_STATUSES,
    RECEIPT_CLOSED,
    RECEIPT_OPEN,
    WALL_FINISHED_COLUMNS,
    WALL_STAGE_COLUMNS,
    WALL_STAGE_THRESHOLDS,
    order_stage,
    stage_label,
    wall_column_label,
)

# Cards rendered per column at most; the rest are counted into the "+N more" marker. The
# browser hides further cards that do not fit the screen and adds them to the same marker.
MAX_CARDS = 40
# Done/Ignored columns only look at orders created this recently (uses the status index).
DONE_LOOKBACK = timedelta(days=2)
ALL_DAY_MAX = 40


@dataclass(frozen=True)
class WallColumn:
    status: str  # the Clopos status of a status column; "" for a stage column
    label: str
    cards: tuple[WallCard, ...]
    total: int
    thresholds: Thresholds | None
    stage: str = ""  # the stage column's name (vocabulary.WALL_STAGE_COLUMNS); "" by status

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

    @property
    def stages(self) -> tuple[str, ...]:
        """The kitchen stages a stage column holds (a moved card finds its column by them)."""
        return WALL_STAGE_COLUMNS.get(self.stage, ()) if self.stage else ()


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


def wall_scope(qs, *, venue: int | None, channels: tuple[str, ...]):
    if venue is not None:
        qs = qs.filter(venue_id=venue)
    if channels:
        qs = qs.filter(Q(type__in=channels) | Q(integration__in=channels))
    return qs


def venue_name(venue: int | None) -> str:
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
    qs = card_fields(wall_scope(Order.objects.filter(wanted), venue=venue, channels=channels))
    orders = list(qs.order_by("created_at", "id"))
    screen = card_screen(orders, stations=stations)
    by_status: dict[str, list[WallCard]] = defaultdict(list)
    open_cards: list[WallCard] = []
    done_minutes = timedelta(minutes=settings.WALL_DONE_MINUTES)
    for order in orders:
        expires = order.updated_at + done_minutes if order.status not in OPEN_STATUSES else None
        card = order_card(order, screen, expires)
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
        venue_name=venue_name(venue),
        stop_list=screen.stop_list,
        station_names=station_names(screen),
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
    scoped = wall_scope(Order.objects.all(), venue=venue, channels=channels)
    orders = list(card_fields(scoped.filter(wanted)).order_by("created_at", "id"))
    # Tables have no channel: a screen for some channels does not show them.
    receipts = (
        _tickets(open_held=open_held, finished_held=finished_held, venue=venue, now=now)
        if tickets == "all" and not channels
        else []
    )
    screen = card_screen(orders, stations=stations, tickets=receipts)
    # With bumping on: where the kitchen's taps not yet confirmed put each card (two queries).
    bumps = (
        card_bumps(
            [o.receipt_id for o in orders if o.receipt_id is not None] + [r.id for r in receipts],
            now=now,
        )
        if settings.WALL_BUMP
        else {}
    )
    by_stage: dict[str, list[WallCard]] = defaultdict(list)
    open_cards: list[WallCard] = []
    for order in orders:
        bump = bumps.get(order.receipt_id) if order.receipt_id is not None else None
        stage = bump.stage(order.status) if bump is not None and bump.sending else order.stage
        if stage not in held:
            continue
        if stage in OPEN_STAGES:
            card = order_card(order, screen, None, stage=stage, bump=bump)
        else:
            # Finished by a tap still on its way: it leaves WALL_DONE_MINUTES from now.
            finished = (order.stage_at or order.updated_at) if stage == order.stage else now
            card = order_card(
                order,
                screen,
                finished + done_minutes,
                finished_at=finished,
                stage=stage,
                bump=bump,
            )
        if card is None:
            continue
        if card.stage in OPEN_STAGES:
            open_cards.append(card)
        by_stage[stage].append(card)
    for receipt in receipts:
        bump = bumps.get(receipt.id)
        if bump is not None and bump.sending:
            stage = bump.stage("")
        else:
            stage = order_stage(
                status="",
                receipt_status=receipt.status,
                receipt_order_status=receipt.order_status,
            )
        if stage not in held:
            continue
        card = ticket_card(receipt, screen, stage, bump=bump)
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
        venue_name=venue_name(venue),
        older_open=older_open,
        stop_list=screen.stop_list,
        station_names=station_names(screen),
        cancelled_ids=tuple(
            c.key for column in shown for c in column.cards if c.stage == "cancelled"
        ),
    )


# Re-exported: what a card is, for the wall's callers and tests.
__all__ = [
    "AllDayLine",
    "StationChip",
    "Thresholds",
    "WallBoard",
    "WallCard",
    "WallColumn",
    "WallItem",
    "WallModifier",
    "age_thresholds",
    "all_day_counts",
    "venue_name",
    "wall_board",
    "wall_scope",
]
