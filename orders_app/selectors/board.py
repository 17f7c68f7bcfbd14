"""The manager board's list: one page of filtered orders with the status counts.

The list costs a fixed number of queries whatever the page size: one GROUP BY for the status
counts (which also gives the total for pagination, so no separate COUNT), one for the page of
orders with venue and sale type names and the receipt's total joined in as subqueries, one for
the stop list (the header's 86 strip), and, only when something is out and the page holds an
order the kitchen has not started, one for those orders' 86'd items (the rows' flags).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet

from orders_app.fastpaths import order_search_hits
from orders_app.fastpaths.sql import order_search_rows_page
from orders_app.models import Order, Venue
from orders_app.selectors.order_filters import (
    LIST_FIELDS,
    BoardFilters,
    ChannelChoices,
    is_text_search_only,
    order_filter_q,
    search_terms,
    sort_fields,
    with_names,
)
from orders_app.selectors.stop_list import StopList, StopStrip, orders_out_names, stop_list
from orders_app.vocabulary import ORDER_STATUSES, is_known_status

# The board's header shows this many stop-list products; the rest open from "+N more".
STOP_STRIP_MAX = 8


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
    stop: StopList = field(default_factory=lambda: StopList(items=()))

    @property
    def stop_strip(self) -> StopStrip:
        """The header's 86 strip: the first few products, the rest behind "+N more"."""
        return self.stop.strip(STOP_STRIP_MAX)

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
        return [c for c in self.status_counts if not is_known_status(c.status) and c.count]

    @property
    def all_count(self) -> int:
        return sum(c.count for c in self.status_counts)


def board_page(
    *,
    filters: BoardFilters,
    page_size: int | None = None,
    channels: ChannelChoices | None = None,
) -> BoardPage:
    """One page of the board: four queries at most, whatever ``page_size`` is (see above)."""
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
        sort = sort_fields(filters.sort)
        start = (page - 1) * page_size
        # The page's ids come from the index alone (OFFSET walks index entries, not rows);
        # only those fifty rows are then read, with their venue and sale type names.
        page_ids = qs.order_by(*sort).values("id")[start : start + page_size]
        orders = list(
            with_names(Order.objects.filter(id__in=page_ids).only(*LIST_FIELDS)).order_by(*sort)
        )
    return _page(filters, orders, counts, total, page, num_pages, page_size)


def _searched_page(base: QuerySet[Order], *, filters: BoardFilters, page_size: int) -> BoardPage:
    """Free text cannot use an index: read the matches once (id, status, sort key), newest
    first, count them here, then load the page by id. One scan instead of two, and no walk down the
    created_at index fetching every row when fewer than a page match (a phone number)."""
    sort = sort_fields(filters.sort)
    sort_field = sort[0].lstrip("-")
    if connection.vendor == "postgresql" and is_text_search_only(filters):
        return _searched_rows_page(filters, sort=sort, page_size=page_size)
    hits: list[tuple[int, str, Any]] = order_search_hits(base, sort_field)
    counts: dict[str, int] = {}
    for _, status, _ in hits:
        counts[status] = counts.get(status, 0) + 1
    if filters.statuses:
        wanted = set(filters.statuses)
        hits = [h for h in hits if h[1] in wanted]
    total = len(hits)
    num_pages = max(1, math.ceil(total / page_size))
    page = min(max(filters.page, 1), num_pages)
    start = (page - 1) * page_size
    ids = [h[0] for h in hits[start : start + page_size]]
    return _page(filters, _orders_by_id(ids, sort), counts, total, page, num_pages, page_size)


def _searched_rows_page(
    filters: BoardFilters, *, sort: tuple[str, ...], page_size: int
) -> BoardPage:
    """A search alone on PostgreSQL: the counts and the page from the narrow search rows
    (migration 0010), counted and cut by the database. A page past the last is asked again as
    the last page (the counts are only known from the answer)."""
    terms = [term for term in search_terms(filters.q) if term]
    sort_field = sort[0].lstrip("-")
    requested = max(filters.page, 1)

    def read(page: int) -> tuple[dict[str, int], list[int]]:
        return order_search_rows_page(
            terms,
            sort_field,
            statuses=filters.statuses,
            start=(page - 1) * page_size,
            limit=page_size,
        )

    counts, ids = read(requested)
    total = _total(counts, filters)
    num_pages = max(1, math.ceil(total / page_size))
    page = min(requested, num_pages)
    if page != requested:
        counts, ids = read(page)
        total = _total(counts, filters)
        num_pages = max(1, math.ceil(total / page_size))
    return _page(filters, _orders_by_id(ids, sort), counts, total, page, num_pages, page_size)


def _orders_by_id(ids: list[int], sort: tuple[str, ...]) -> list[Order]:
    """A search's page: its orders by id, with their names, in the board's order."""
    if not ids:
        return []
    return list(with_names(Order.objects.filter(id__in=ids).only(*LIST_FIELDS)).order_by(*sort))


def _status_counts(base: QuerySet[Order], filters: BoardFilters) -> dict[str, int]:
    """Orders per status for every filter but status.

    Without a venue or channel filter, a GROUP BY that SQLite answers from the (status,
    created_at) index alone; COUNT(*), not COUNT(id), or it reads every row. With one, SQLite
    would still walk the whole status index and read each row to test the venue; reading just
    the statuses lets it seek the venue or channel index first and read only those rows, and
    the counting is done here."""
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
    stop = stop_list()
    flags = orders_out_names(orders, stop)
    for order in orders:
        # The names of its items that are 86'd ("86: Plov"), () when it is not flagged.
        order.out_names = flags.get(order.id, ())  # type: ignore[attr-defined]
    status_counts = [
        StatusCount(s, counts.get(s, 0), s in filters.statuses) for s in ORDER_STATUSES
    ]
    status_counts += [
        StatusCount(s, n, s in filters.statuses)
        for s, n in sorted(counts.items())
        if not is_known_status(s)
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
        stop=stop,
    )


def board_stop_strip() -> StopStrip:
    """The header's 86 strip alone (one query), for a board whose filter could not be used."""
    return stop_list().strip(STOP_STRIP_MAX)


# --- Choices for the filter form ---------------------------------------------------------------


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
