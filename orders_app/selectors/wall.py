"""What the wall screen shows: columns of ticket cards, the all-day counts, and sync health.

By kitchen stage (Order.stage: New, Preparing, Ready, Done by default; ``stage=`` picks) or,
for a link asking ``status=``, by Clopos status as before. Fixed query count whatever the
number of orders: orders, items, modifiers, sale types, the sync state row, and on a stage wall
the count of open orders too old to show (plus the venue's name when a venue is chosen). Everything that depends on
the passing of time (age colours, LATE labels, the watchdog, Done cards expiring) is computed
in the browser from the ISO timestamps here, so an unchanged poll token is enough for 204.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from orders_app.models import Order, OrderItem, SaleType, Venue
from orders_app.selectors.sync import SyncHealth, sync_health
from orders_app.vocabulary import (
    OPEN_STAGES,
    OPEN_STATUSES,
    WALL_FINISHED_COLUMNS,
    WALL_STAGE_COLUMNS,
    WALL_STAGE_THRESHOLDS,
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


@dataclass(frozen=True)
class Thresholds:
    amber_minutes: float
    red_minutes: float


def age_thresholds(entries: list[str] | None = None) -> dict[str, Thresholds]:
    """WALL_AGE_THRESHOLDS ("PENDING=2:5") parsed; malformed entries are skipped."""
    entries = settings.WALL_AGE_THRESHOLDS if entries is None else entries
    result: dict[str, Thresholds] = {}
    for entry in entries:
        status, _, spec = str(entry).partition("=")
        amber, _, red = spec.partition(":")
        try:
            amber_m, red_m = float(amber), float(red)
        except ValueError:
            continue
        if amber_m <= 0 or red_m < amber_m:
            continue
        result[status.strip().upper()] = Thresholds(amber_m, red_m)
    return result


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


def _sale_kinds() -> dict[int, tuple[str, str]]:
    return {
        st.id: (sale_kind(st.system_type), st.name)
        for st in SaleType.objects.only("id", "name", "system_type")
    }


def _card(
    order: Order,
    sale_types: dict[int, tuple[str, str]],
    expires_at,
    *,
    finished_at: datetime | None = None,
) -> WallCard:
    kind, sale_name = sale_types.get(order.sale_type_id or -1, ("", ""))
    items = tuple(
        WallItem(
            name=item.name
            or (
                gettext("Product %(id)s") % {"id": item.product_id}
                if item.product_id
                else gettext("Item")
            ),
            count=item.count,
            modifiers=tuple(
                WallModifier(
                    name=m.name or gettext("Modifier %(id)s") % {"id": m.modifier_id},
                    count=m.count,
                )
                for m in item.modifiers.all()
            ),
            note=item.note.strip(),
        )
        for item in order.items.all()
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
    )


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
) -> WallBoard:
    """The wall for one screen, optionally for one venue and some channels (order types or
    integrations): by kitchen stage (``stage_columns``, vocabulary.WALL_STAGE_COLUMNS; only
    the ``stages`` asked for, when some are), or, the older wall, by Clopos status
    (``columns``, statuses in order)."""
    now = now or timezone.now()
    if stage_columns is not None:
        return _stage_board(
            stage_columns=stage_columns, stages=stages, venue=venue, channels=channels, now=now
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
    sale_types = _sale_kinds()
    by_status: dict[str, list[WallCard]] = defaultdict(list)
    open_cards: list[WallCard] = []
    done_minutes = timedelta(minutes=settings.WALL_DONE_MINUTES)
    for order in qs.order_by("created_at", "id"):
        expires = order.updated_at + done_minutes if order.status not in OPEN_STATUSES else None
        card = _card(order, sale_types, expires)
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
        open_ids=tuple(c.id for c in open_cards if c.status in columns),
        health=health,
        now=now,
        venue_name=_venue_name(venue),
    )


def _stage_board(
    *,
    stage_columns: tuple[str, ...],
    stages: tuple[str, ...],
    venue: int | None,
    channels: tuple[str, ...],
    now: datetime,
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
    qs = _card_fields(scoped.filter(wanted))
    sale_types = _sale_kinds()
    by_stage: dict[str, list[WallCard]] = defaultdict(list)
    open_cards: list[WallCard] = []
    for order in qs.order_by("created_at", "id"):
        if order.stage in OPEN_STAGES:
            card = _card(order, sale_types, None)
            open_cards.append(card)
        else:
            finished = order.stage_at or order.updated_at
            card = _card(order, sale_types, finished + done_minutes, finished_at=finished)
        by_stage[order.stage].append(card)
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
        open_ids=tuple(c.id for c in open_cards),
        health=health,
        now=now,
        venue_name=_venue_name(venue),
        older_open=older_open,
    )
