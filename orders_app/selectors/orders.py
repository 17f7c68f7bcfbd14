"""Reads for the manager board: the filtered, counted, paginated list; one order in full; CSV.

The list costs a fixed number of queries whatever the page size: one GROUP BY for the status
counts (which also gives the total for pagination, so no separate COUNT), and one for the page
of orders with venue and sale type names joined in as subqueries.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils import timezone

from orders_app.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderItemModifier,
    SaleType,
    Venue,
)
from orders_app.text import fold, phone_query_digits

SORTS = {
    "created": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "created"

# Columns the list shows: the raw payload and search text stay in the database.
LIST_FIELDS = (
    "id",
    "status",
    "created_at",
    "updated_at",
    "first_seen_at",
    "venue_id",
    "sale_type_id",
    "type",
    "integration",
    "customer_name",
    "customer_phone",
    "item_count",
    "items_total",
)


@dataclass(frozen=True)
class BoardFilters:
    """The board's filters, as validated by BoardFilterForm."""

    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    venue: int | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def from_cleaned(cls, data: Mapping[str, Any]) -> BoardFilters:
        return cls(
            statuses=tuple(dict.fromkeys(data.get("status") or ())),
            date_from=data.get("from"),
            date_to=data.get("to"),
            channel=(data.get("channel") or "").strip(),
            venue=data.get("venue"),
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
            page=data.get("page") or 1,
        )

    def params(self, **overrides: Any) -> list[tuple[str, str]]:
        """The query-string pairs for these filters (defaults left out), with overrides.

        ``page`` resets to 1 unless it is overridden: a changed filter starts at the top."""
        f = replace(self, page=1) if "page" not in overrides else self
        f = replace(f, **overrides)
        pairs: list[tuple[str, str]] = [("status", s) for s in f.statuses]
        if f.date_from:
            pairs.append(("from", f.date_from.isoformat()))
        if f.date_to:
            pairs.append(("to", f.date_to.isoformat()))
        if f.channel:
            pairs.append(("channel", f.channel))
        if f.venue is not None:
            pairs.append(("venue", str(f.venue)))
        if f.q:
            pairs.append(("q", f.q))
        if f.sort and f.sort != DEFAULT_SORT:
            pairs.append(("sort", f.sort))
        if f.page and f.page > 1:
            pairs.append(("page", str(f.page)))
        return pairs

    def querystring(self, **overrides: Any) -> str:
        return urlencode(self.params(**overrides))

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.statuses
            or self.date_from
            or self.date_to
            or self.channel
            or self.venue is not None
            or self.q
        )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def order_filter_q(
    filters: BoardFilters, *, with_status: bool = True, channels: ChannelChoices | None = None
) -> Q:
    """Everything but the sort, as one Q: dates are whole days in TIME_ZONE, inclusive.

    ``channels`` (the known types and integrations) lets a channel filter use one column, and
    so one index, instead of ``type = x OR integration = x``."""
    q = Q()
    if with_status and filters.statuses:
        q &= Q(status__in=filters.statuses)
    if filters.date_from:
        q &= Q(created_at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        q &= Q(created_at__lt=_local_midnight(filters.date_to + timedelta(days=1)))
    if filters.channel:
        q &= channel_q(filters.channel, channels=channels)
    if filters.venue is not None:
        q &= Q(venue_id=filters.venue)
    if filters.q:
        q &= text_search_q(filters.q)
    return q


def channel_q(channel: str, *, channels: ChannelChoices | None = None) -> Q:
    """A channel is an order type (CALL_CENTER_ORDER) or an integration (call_center_new)."""
    if channels is not None:
        is_type = channel in channels.types
        is_integration = channel in channels.integrations
        if is_type and not is_integration:
            return Q(type=channel)
        if is_integration and not is_type:
            return Q(integration=channel)
    # Both, or not seen yet (the choices are cached per data version): look in both columns.
    return Q(type=channel) | Q(integration=channel)


def text_search_q(query: str) -> Q:
    """Free text against Order.search_text (pre-folded), plus phone digits in any spacing.

    On SQLite, terms of three or more characters are looked up in the FTS5 trigram index
    (migration 0003): the same substring match, without reading every order. PostgreSQL's
    trigram index serves the LIKE by itself."""
    folded = fold(query)
    phone = phone_query_digits(query)
    terms = [term for term in (folded, phone) if term]
    if terms and connection.vendor == "sqlite" and all(len(term) >= 3 for term in terms):
        # An FTS5 phrase per term ("" escapes a quote): a phrase of trigrams is a substring.
        expression = " OR ".join('"{}"'.format(term.replace('"', '""')) for term in terms)
        return Q(
            id__in=RawSQL(
                "SELECT rowid FROM orders_app_order_fts WHERE orders_app_order_fts MATCH %s",
                [expression],
            )
        )
    match = Q(search_text__contains=folded) if folded else Q()
    if phone:
        match |= Q(search_text__contains=phone)
    return match


def _with_names(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.annotate(
        venue_name=Subquery(Venue.objects.filter(id=OuterRef("venue_id")).values("name")[:1]),
        sale_type_name=Subquery(
            SaleType.objects.filter(id=OuterRef("sale_type_id")).values("name")[:1]
        ),
    )


@dataclass(frozen=True)
class StatusCount:
    status: str
    count: int
    selected: bool


@dataclass(frozen=True)
class BoardPage:
    filters: BoardFilters
    orders: list[Order]
    status_counts: list[StatusCount]
    total: int  # orders matching every filter, status included
    page: int
    num_pages: int
    page_size: int
    requested_page: int = 1

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.orders else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.page_size + len(self.orders)

    @property
    def order_ids(self) -> list[int]:
        return [o.id for o in self.orders]

    @property
    def counts_by_status(self) -> dict[str, int]:
        return {c.status: c.count for c in self.status_counts}

    @property
    def other_statuses(self) -> list[StatusCount]:
        """Statuses Clopos sent that Pass does not know (kept as given), with counts."""
        known = set(settings.ORDER_STATUSES)
        return [c for c in self.status_counts if c.status not in known and c.count]

    @property
    def all_count(self) -> int:
        return sum(c.count for c in self.status_counts)


def board_page(
    *,
    filters: BoardFilters,
    page_size: int | None = None,
    channels: ChannelChoices | None = None,
) -> BoardPage:
    """One page of the board: two queries, whatever ``page_size`` is."""
    page_size = page_size or settings.BOARD_PAGE_SIZE
    base = Order.objects.filter(order_filter_q(filters, with_status=False, channels=channels))
    if filters.q:
        return _searched_page(base, filters=filters, page_size=page_size)
    counts = _status_counts(base, filters)
    total = _total(counts, filters)
    num_pages = max(1, math.ceil(total / page_size))
    page = min(max(filters.page, 1), num_pages)
    orders: list[Order] = []
    if total:
        qs = base.filter(status__in=filters.statuses) if filters.statuses else base
        sort = SORTS.get(filters.sort, SORTS["created"])
        start = (page - 1) * page_size
        # The page's ids come from the index alone (OFFSET walks index entries, not rows);
        # only those fifty rows are then read, with their venue and sale type names.
        page_ids = qs.order_by(*sort).values("id")[start : start + page_size]
        orders = list(
            _with_names(Order.objects.filter(id__in=page_ids).only(*LIST_FIELDS)).order_by(*sort)
        )
    return _page(filters, orders, counts, total, page, num_pages, page_size)


def _searched_page(base: QuerySet[Order], *, filters: BoardFilters, page_size: int) -> BoardPage:
    """Free text cannot use an index: read the matches once (id, status, sort key), count and
    sort them here, then load the page by id. One scan instead of two, and no walk down the
    created_at index fetching every row when fewer than a page match (a phone number)."""
    sort_field = SORTS.get(filters.sort, SORTS["created"])[0].lstrip("-")
    hits = _hits(base, sort_field)
    counts: dict[str, int] = {}
    for _, status, _ in hits:
        counts[status] = counts.get(status, 0) + 1
    if filters.statuses:
        wanted = set(filters.statuses)
        hits = [h for h in hits if h[1] in wanted]
    total = len(hits)
    num_pages = max(1, math.ceil(total / page_size))
    page = min(max(filters.page, 1), num_pages)
    hits.sort(key=lambda h: (h[2], h[0]), reverse=True)
    start = (page - 1) * page_size
    ids = [h[0] for h in hits[start : start + page_size]]
    orders: list[Order] = []
    if ids:
        orders = list(
            _with_names(Order.objects.filter(id__in=ids).only(*LIST_FIELDS)).order_by(
                *SORTS.get(filters.sort, SORTS["created"])
            )
        )
    return _page(filters, orders, counts, total, page, num_pages, page_size)


def _hits(base: QuerySet[Order], sort_field: str) -> list[tuple[int, str, Any]]:
    """(id, status, sort key) of every match, read through the bare cursor: a common surname
    over all dates matches ~7,000 of 100,000 orders, and Django's row handling plus a datetime
    per row cost ~60 ms of a ~65 ms answer. On SQLite the key is the stored text (ISO in UTC,
    which sorts as the times do: "2026-10-10 02:40:40.969805"), so no datetime is built; on
    PostgreSQL the driver's own datetimes are cheap."""
    key: Any = F(sort_field)
    if connection.vendor == "sqlite":
        # As text ("created_at || ''"): the expression has no declared type, so sqlite3 hands
        # back the stored string instead of converting it.
        key = Concat(key, Value(""), output_field=CharField())
    sql, params = (
        base.order_by().annotate(sort_key=key).values_list("id", "status", "sort_key").query
    ).sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _status_counts(base: QuerySet[Order], filters: BoardFilters) -> dict[str, int]:
    """Orders per status for every filter but status.

    Without a venue or channel filter, a GROUP BY that SQLite answers from the (status,
    created_at) index alone; COUNT(*), not COUNT(id), or it reads every row. With one, SQLite
    would still walk the whole status index and read each row to test the venue (~260 ms at
    100,000 orders); reading just the statuses lets it seek the venue or channel index first
    and read only those rows (~70 ms), and the counting is done here."""
    if filters.venue is not None or filters.channel:
        return dict(Counter(base.order_by().values_list("status", flat=True)))
    return dict(base.order_by().values_list("status").annotate(n=Count("*")))


def _total(counts: dict[str, int], filters: BoardFilters) -> int:
    if filters.statuses:
        return sum(counts.get(s, 0) for s in filters.statuses)
    return sum(counts.values())


def _page(
    filters: BoardFilters,
    orders: list[Order],
    counts: dict[str, int],
    total: int,
    page: int,
    num_pages: int,
    page_size: int,
) -> BoardPage:
    known = list(settings.ORDER_STATUSES)
    status_counts = [StatusCount(s, counts.get(s, 0), s in filters.statuses) for s in known]
    status_counts += [
        StatusCount(s, n, s in filters.statuses)
        for s, n in sorted(counts.items())
        if s not in known
    ]
    return BoardPage(
        filters=filters,
        orders=orders,
        status_counts=status_counts,
        total=total,
        page=page,
        num_pages=num_pages,
        page_size=page_size,
        requested_page=filters.page,
    )


# --- One order in full ------------------------------------------------------------------------


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

    @property
    def has_discount(self) -> bool:
        return bool(self.order.discount_type) or self.order.discount_value not in (None, 0)


def _timeline(order: Order, events: list[OrderEvent]) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = [
        TimelineEntry(at=order.created_at, kind="created", label="Created in Clopos")
    ]
    seen = [e for e in events if e.kind == OrderEvent.Kind.SEEN]
    if not seen:
        entries.append(
            TimelineEntry(at=order.first_seen_at, kind="seen", label="First seen by Pass")
        )
    for event in events:
        if event.kind == OrderEvent.Kind.SEEN:
            entries.append(
                TimelineEntry(
                    at=event.observed_at,
                    kind="seen",
                    label="First seen by Pass",
                    to_status=event.to_status,
                )
            )
        else:
            entries.append(
                TimelineEntry(
                    at=event.observed_at,
                    kind="status",
                    label="Status changed",
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


def order_detail(*, order_id: int) -> OrderDetail | None:
    """The order with its items, modifiers and events (four queries), or None."""
    items = Prefetch(
        "items",
        queryset=OrderItem.objects.order_by("position").prefetch_related(
            Prefetch("modifiers", queryset=OrderItemModifier.objects.order_by("position"))
        ),
    )
    events = Prefetch("events", queryset=OrderEvent.objects.order_by("observed_at", "id"))
    order = (
        _with_names(Order.objects.filter(id=order_id))
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


# --- Choices for the filter form ---------------------------------------------------------------


@dataclass(frozen=True)
class ChannelChoices:
    types: list[str]
    integrations: list[str]


def channel_choices(*, data_version: int | None = None) -> ChannelChoices:
    """Distinct order types and integrations in the cache (cached per data version)."""

    def load() -> ChannelChoices:
        types = Order.objects.order_by("type").values_list("type", flat=True).distinct()
        integrations = (
            Order.objects.order_by("integration").values_list("integration", flat=True).distinct()
        )
        return ChannelChoices(
            types=[t for t in types if t], integrations=[i for i in integrations if i]
        )

    if data_version is None:
        return load()
    return cache.get_or_set(f"pass:board:channels:{data_version}", load, 300)


def venue_choices() -> list[tuple[int, str]]:
    return [(v.id, str(v)) for v in Venue.objects.only("id", "name").order_by("name", "id")]


# --- CSV export --------------------------------------------------------------------------------

EXPORT_HEADER = [
    "order_id",
    "created_at",
    "updated_at",
    "status",
    "status_label",
    "type",
    "integration",
    "venue_id",
    "venue",
    "sale_type",
    "customer_name",
    "customer_phone",
    "customer_address",
    "item_count",
    "items_subtotal_computed",
    "delivery_fee",
    "comment",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ gets a leading quote."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    amount = Decimal(value) / Decimal(settings.MONEY_DIVISOR)
    return f"{amount:.{settings.MONEY_DECIMALS}f}"


def _count_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    number = Decimal(value)
    return str(int(number)) if number == number.to_integral_value() else format(number, "f")


def export_rows(
    *, filters: BoardFilters, chunk_size: int = 2000, channels: ChannelChoices | None = None
) -> Iterator[list[str]]:
    """The header, then one row per order matching ``filters`` (every page), sort kept."""
    yield EXPORT_HEADER
    venues = dict(Venue.objects.values_list("id", "name"))
    sale_types = dict(SaleType.objects.values_list("id", "name"))
    labels = settings.STATUS_LABELS
    local = ZoneInfo(settings.TIME_ZONE)
    qs = (
        Order.objects.filter(order_filter_q(filters, channels=channels))
        .order_by(*SORTS.get(filters.sort, SORTS["created"]))
        .values_list(
            "id",
            "created_at",
            "updated_at",
            "status",
            "type",
            "integration",
            "venue_id",
            "sale_type_id",
            "customer_name",
            "customer_phone",
            "customer_address",
            "item_count",
            "items_total",
            "delivery_fee",
            "comment",
        )
    )
    for (
        oid,
        created,
        updated,
        status,
        type_,
        integration,
        venue_id,
        sale_type_id,
        name,
        phone,
        address,
        item_count,
        items_total,
        delivery_fee,
        comment,
    ) in qs.iterator(chunk_size=chunk_size):
        yield [
            str(oid),
            created.astimezone(local).isoformat(timespec="seconds"),
            updated.astimezone(local).isoformat(timespec="seconds"),
            csv_safe(status),
            csv_safe(labels.get(status, status)),
            csv_safe(type_),
            csv_safe(integration),
            "" if venue_id is None else str(venue_id),
            csv_safe(venues.get(venue_id, "")),
            csv_safe(sale_types.get(sale_type_id, "")),
            csv_safe(name),
            csv_safe(phone),
            csv_safe(address),
            _count_text(item_count),
            _money_text(items_total),
            _money_text(delivery_fee),
            csv_safe(comment),
        ]


def quick_ranges(*, today: date | None = None) -> dict[str, tuple[date, date]]:
    """Today, Yesterday and Last 7 days, as inclusive (from, to) in TIME_ZONE."""
    today = today or timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))
    return {
        "Today": (today, today),
        "Yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "Last 7 days": (today - timedelta(days=6), today),
    }
