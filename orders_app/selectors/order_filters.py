"""Which orders a board filter means: the filter object, and the query it becomes.

Shared by the board's list and its CSV export, so both always select the same orders. The
filter object knows nothing of URLs: the query string is the form's business
(orders_app/forms/board.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from orders_app.models import Order, Receipt, SaleType, Venue
from orders_app.selectors.local_time import local_hour_sql, local_weekday_sql
from orders_app.text import fold, phone_query_digits

SORTS = {
    "created": ("-created_at", "-id"),
    "updated": ("-updated_at", "-id"),
}
DEFAULT_SORT = "created"


def sort_fields(sort: str) -> tuple[str, ...]:
    """ORDER BY for a sort name; an unknown name sorts as the default."""
    return SORTS.get(sort, SORTS[DEFAULT_SORT])


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
    "stage",
    "receipt_id",
)


@dataclass(frozen=True)
class BoardFilters:
    """The board's filters, as validated by BoardFilterForm (see ``BoardFilterForm.filters``)."""

    statuses: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()  # kitchen stages (vocabulary.STAGES)
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    venue: int | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    # What an insights chart links to: an hour of the day (0-23) and an ISO weekday (1 Monday
    # - 7 Sunday), both in TIME_ZONE; a sale type.
    hour: int | None = None
    weekday: int | None = None
    sale_type: int | None = None

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.statuses
            or self.stages
            or self.date_from
            or self.date_to
            or self.channel
            or self.venue is not None
            or self.q
            or self.hour is not None
            or self.weekday is not None
            or self.sale_type is not None
        )


def local_midnight(day: date) -> datetime:
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
    if filters.stages:
        q &= Q(stage__in=filters.stages)
    if filters.date_from:
        q &= Q(created_at__gte=local_midnight(filters.date_from))
    if filters.date_to:
        q &= Q(created_at__lt=local_midnight(filters.date_to + timedelta(days=1)))
    if filters.channel:
        q &= channel_q(filters.channel, channels=channels)
    if filters.venue is not None:
        q &= Q(venue_id=filters.venue)
    if filters.q:
        q &= text_search_q(filters.q)
    if filters.sale_type is not None:
        q &= Q(sale_type_id=filters.sale_type)
    if filters.hour is not None or filters.weekday is not None:
        q &= local_time_q(filters)
    return q


def local_time_q(filters: BoardFilters) -> Q:
    """The hour of day and weekday filters, computed by the database in TIME_ZONE
    (selectors/local_time.py), within the filter's dates when it has some."""
    quote = connection.ops.quote_name
    column = f"{quote(Order._meta.db_table)}.{quote('created_at')}"
    start = local_midnight(filters.date_from) if filters.date_from else None
    end = local_midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None
    q = Q()
    for value, expression in (
        (filters.hour, local_hour_sql),
        (filters.weekday, local_weekday_sql),
    ):
        if value is None:
            continue
        sql, params = expression(column, start=start, end=end)
        # The SQL is built from constants and quoted names; the values are parameters.
        q &= Q(RawSQL(f"{sql} = %s", [*params, value], output_field=BooleanField()))  # noqa: S611
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


def search_terms(query: str) -> tuple[str, str]:
    """(folded text, phone digits) of a search: an order matches when its search_text holds
    either ("" for none). The one reading of a query, for text_search_q and the search rows."""
    return fold(query), phone_query_digits(query)


def is_text_search_only(filters: BoardFilters) -> bool:
    """Only a text search (with any status, sort and page): PostgreSQL then reads the matches
    from the narrow search rows (fastpaths.order_search_rows_hits)."""
    return bool(filters.q) and not replace(filters, q="", statuses=()).is_filtered


def text_search_q(query: str) -> Q:
    """Free text against Order.search_text (pre-folded), plus phone digits in any spacing.

    On SQLite, terms of three or more characters are looked up in the FTS5 trigram index
    (migration 0003): the same substring match, without reading every order. PostgreSQL's
    trigram index serves the LIKE by itself (and a search alone reads the narrow search rows
    instead: selectors/board.py)."""
    folded, phone = search_terms(query)
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


def receipt_total_subquery() -> Subquery:
    """The linked receipt's ``total`` (Clopos's figure, as given), NULL without a receipt in
    the cache: the order's total wherever one is shown (issue 9)."""
    return Subquery(Receipt.objects.filter(id=OuterRef("receipt_id")).values("total")[:1])


def with_names(qs: QuerySet[Order]) -> QuerySet[Order]:
    """The venue's and sale type's names, and the receipt's total (``receipt_total``), joined
    in as subqueries: no query per order."""
    return qs.annotate(
        venue_name=Subquery(Venue.objects.filter(id=OuterRef("venue_id")).values("name")[:1]),
        sale_type_name=Subquery(
            SaleType.objects.filter(id=OuterRef("sale_type_id")).values("name")[:1]
        ),
        receipt_total=receipt_total_subquery(),
    )


@dataclass(frozen=True)
class ChannelChoices:
    types: list[str]
    integrations: list[str]
