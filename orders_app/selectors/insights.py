"""Speed of service and demand, for /insights/: every figure from aggregate queries.

What is measured, and how (the page says the same next to each figure):

- **Orders**: orders created (Clopos's ``created_at``) on the range's days in TIME_ZONE, with
  the board's ``venue`` and ``channel`` filters: exactly the orders the board lists for them.
- **Time to accept**: from the order's ``created_at`` to the moment Pass first saw it RECEIVED
  (the timeline's status event). Pass sees a change on its next pass, so the figure is late by
  up to one SYNC_INTERVAL: "observed by Pass, ±N s". Covered: orders Pass saw both PENDING and
  then RECEIVED; an order already accepted when Pass first saw it has no such figure, and one
  still PENDING is "never accepted". Medians and percentiles, never means alone.
- **Late**: covered orders accepted later than the wall's PENDING red threshold
  (WALL_AGE_THRESHOLDS).
- **Accepted → ready**, **ready → done** (with receipts): from acceptance (else the receipt's
  opening) to the first READY Pass observed on the receipt, and from there to PICKED_UP,
  COMPLETED or the receipt's closing, as observed.
- **Items sold**, **top items and modifiers**: the order lines of orders not ignored; a
  modifier counts once per unit of its item.
- **Average receipt**: Clopos's receipt ``total`` (divided by MONEY_DIVISOR when shown) over the
  orders that have a receipt.

Durations are grouped by the database into buckets (orders_app/insight_sql.py: 5 s under 10
minutes, then 60 s), and percentiles are read from those counts: no order is loaded into
Python. A figure is the middle of its bucket.

The page's figures are read from the daily rollups (models/insights.py), which the view has
filled for the days it reads (services/insight_rollups.ensure_days); the wall's stats strip
(selectors/day_summary.py, today only) reads the orders directly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils.translation import gettext, pgettext

from orders_app.insight_sql import late_seconds
from orders_app.models import InsightRow, SaleType, Venue
from orders_app.selectors.insight_figures import (
    DEFAULT_DAYS,
    AcceptHour,
    ChannelRow,
    Distribution,
    HeatCell,
    HourRow,
    InsightFilters,
    Insights,
    ItemRow,
    MixRow,
    VenueRow,
    _count,
    default_filters,
)
from orders_app.vocabulary import sale_kind, wall_channel_label

BASELINE_WEEKS = 4
TOP_ITEMS = 15
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


def _scoped(
    kind: str,
    filters: InsightFilters,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
):
    """The rollup rows of ``kind`` for the range (or ``date_from`` … ``date_to``) and filters:
    the board's meaning, a channel being an order type or an integration."""
    qs = InsightRow.objects.filter(
        kind=kind,
        day__gte=date_from or filters.date_from,
        day__lte=date_to or filters.date_to,
    )
    if filters.venue is not None:
        qs = qs.filter(venue_id=filters.venue)
    if filters.channel:
        qs = qs.filter(Q(type=filters.channel) | Q(integration=filters.channel))
    return qs.order_by()


def _acceptance_rows(filters: InsightFilters) -> list[tuple]:
    """(channel, venue, status, bucket or None, late, count), from the rollups."""
    rows = (
        _scoped("accept", filters)
        .values_list("type", "integration", "venue_id", "status", "bucket", "late")
        .annotate(n=Sum("orders"))
    )
    return [
        (integration or type_, venue, status, bucket, late, n)
        for type_, integration, venue, status, bucket, late, n in rows
    ]


def _accept_by_hour(filters: InsightFilters) -> tuple[AcceptHour, ...]:
    """Per hour of the day: the range's acceptance buckets, and those of the same weekdays
    of the 4 weeks before. Two aggregate queries."""
    now_rows = (
        _scoped("accept", filters)
        .filter(bucket__isnull=False)
        .values_list("hour", "bucket")
        .annotate(n=Sum("orders"))
    )
    current: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for hour, bucket, n in now_rows:
        current[hour][bucket] += n
    weekdays = {
        (filters.date_from + timedelta(days=k)).isoweekday() for k in range(min(filters.days, 7))
    }
    first = filters.date_from - timedelta(weeks=BASELINE_WEEKS)
    same_weekdays = [
        first + timedelta(days=k)
        for k in range(BASELINE_WEEKS * 7)
        if (first + timedelta(days=k)).isoweekday() in weekdays
    ]
    base_rows = (
        _scoped("accept", filters, date_from=first, date_to=filters.date_from - timedelta(days=1))
        .filter(bucket__isnull=False, day__in=same_weekdays)
        .values_list("hour", "bucket")
        .annotate(n=Sum("orders"))
    )
    before: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for hour, bucket, n in base_rows:
        before[hour][bucket] += n
    return tuple(
        AcceptHour(
            hour=hour,
            accept=Distribution.of(current.get(hour, {})),
            baseline=Distribution.of(before.get(hour, {})),
        )
        for hour in range(24)
    )


def _kitchen(filters: InsightFilters) -> list[tuple]:
    """(prep bucket or None, handover bucket or None, receipts, totals counted, totals sum)."""
    return list(
        _scoped("kitchen", filters)
        .values_list("bucket", "bucket2")
        .annotate(n=Sum("orders"), counted=Sum("amount_count"), summed=Sum("amount"))
    )


def _by_date_and_hour(filters: InsightFilters) -> list[tuple[date, int, int]]:
    """(local date, local hour, orders) over the range and the 4 weeks before it."""
    base_from = filters.date_from - timedelta(weeks=BASELINE_WEEKS)
    rows = (
        _scoped("hour", filters, date_from=base_from)
        .values_list("day", "hour")
        .annotate(n=Sum("orders"))
    )
    return [(day, int(hour), n) for day, hour, n in rows]


def _mix(filters: InsightFilters) -> list[tuple]:
    return list(_scoped("sale", filters).values_list("sale_type_id").annotate(n=Sum("orders")))


def _top(kind: str, filters: InsightFilters) -> list[tuple]:
    rows = (
        _scoped(kind, filters)
        .values_list("name")
        .annotate(total=Sum("count"), n=Sum("orders"))
        .order_by("-total", "name")[:TOP_ITEMS]
    )
    return [(name, _count(total), n) for name, total, n in rows]


def _items(filters: InsightFilters) -> tuple[list[tuple], Decimal]:
    total = _scoped("item", filters).aggregate(total=Sum("count"))["total"]
    return _top("item", filters), _count(total)


def _modifiers(filters: InsightFilters) -> list[tuple]:
    return _top("mod", filters)


def rollup_days(filters: InsightFilters) -> list[date]:
    """The local days the page for ``filters`` reads: the range and the 4 weeks before it
    (services/insight_rollups.ensure_days fills them first)."""
    first = filters.date_from - timedelta(weeks=BASELINE_WEEKS)
    return [first + timedelta(days=n) for n in range((filters.date_to - first).days + 1)]


def _hourly(
    filters: InsightFilters, rows: list[tuple[date, int, int]], today: date
) -> tuple[tuple[HourRow, ...], tuple[tuple[HeatCell, ...], ...], int]:
    in_range = defaultdict(int)  # hour -> orders
    heat = defaultdict(int)  # (weekday, hour) -> orders
    base = defaultdict(int)  # (weekday, hour) -> orders over the 4 weeks before
    base_days: dict[int, set[date]] = defaultdict(set)  # weekday -> days that had orders
    for day, hour, count in rows:
        if filters.date_from <= day <= filters.date_to:
            in_range[hour] += count
            heat[(day.isoweekday(), hour)] += count
        elif day < filters.date_from:
            base[(day.isoweekday(), hour)] += count
            base_days[day.isoweekday()].add(day)
    last = min(filters.date_to, today) if today >= filters.date_from else filters.date_to
    range_days = [
        filters.date_from + timedelta(days=n) for n in range((last - filters.date_from).days + 1)
    ]
    n_days = max(len(range_days), 1)
    hourly = []
    for hour in range(24):
        per_weekday = [
            base[(d.isoweekday(), hour)] / len(base_days[d.isoweekday()])
            for d in range_days
            if base_days[d.isoweekday()]
        ]
        baseline = sum(per_weekday) / len(per_weekday) if per_weekday else None
        hourly.append(
            HourRow(
                hour=hour,
                count=in_range[hour],
                per_day=in_range[hour] / n_days,
                baseline=baseline,
            )
        )
    top = max(heat.values(), default=0)
    heatmap = tuple(
        tuple(
            HeatCell(
                weekday=wd,
                hour=hour,
                count=heat[(wd, hour)],
                level=math.ceil(heat[(wd, hour)] / top * 5) if top and heat[(wd, hour)] else 0,
            )
            for hour in range(24)
        )
        for wd in WEEKDAYS
    )
    return tuple(hourly), heatmap, sum(len(days) for days in base_days.values())


def insights(filters: InsightFilters, *, today: date) -> Insights:
    """Every figure of the page for ``filters`` (``today``: the local date, for per-day
    averages of a range that reaches into the future)."""
    late_limit = late_seconds()
    channels: dict[str, dict] = {}
    venues: dict[int | None, dict] = {}
    totals = {"orders": 0, "ignored": 0, "pending": 0, "accepted": 0, "late": 0}
    accept: dict[int, int] = defaultdict(int)
    for channel, venue_id, status, bucket, late, count in _acceptance_rows(filters):
        for key, table in ((channel or "", channels), (venue_id, venues)):
            row = table.setdefault(key, {"orders": 0, "ignored": 0, "late": 0, "accept": {}})
            row["orders"] += count
            row["ignored"] += count if status == "IGNORE" else 0
            if bucket is not None:
                row["accept"][int(bucket)] = row["accept"].get(int(bucket), 0) + count
                row["late"] += count if late else 0
        totals["orders"] += count
        totals["ignored"] += count if status == "IGNORE" else 0
        totals["pending"] += count if status == "PENDING" else 0
        totals["accepted"] += count if status in ("RECEIVED", "DELIVERED") else 0
        if bucket is not None:
            accept[int(bucket)] += count
            totals["late"] += count if late else 0
    prep: dict[int, int] = defaultdict(int)
    handover: dict[int, int] = defaultdict(int)
    with_receipt = total_count = 0
    total_sum: Decimal | None = None
    for prep_bucket, handover_bucket, n, counted, summed in _kitchen(filters):
        with_receipt += n
        if prep_bucket is not None:
            prep[int(prep_bucket)] += n
        if handover_bucket is not None:
            handover[int(handover_bucket)] += n
        total_count += counted
        if summed is not None:
            total_sum = (total_sum or Decimal(0)) + Decimal(str(summed))
    hourly, heatmap, baseline_days = _hourly(filters, _by_date_and_hour(filters), today)
    items, items_sold = _items(filters)
    orders = totals["orders"]
    sale_names = {st.id: st for st in SaleType.objects.only("id", "name", "system_type")}
    venue_names = {v.id: str(v) for v in Venue.objects.filter(id__in=[k for k in venues if k])}
    return Insights(
        filters=filters,
        orders=orders,
        ignored=totals["ignored"],
        pending=totals["pending"],
        accepted=totals["accepted"],
        accept=Distribution.of(accept),
        late=totals["late"],
        late_minutes=late_limit / 60,
        prep=Distribution.of(prep),
        handover=Distribution.of(handover),
        with_receipt=with_receipt,
        receipt_total_count=total_count,
        receipt_total_sum=total_sum,
        items_sold=items_sold,
        hourly=hourly,
        heatmap=heatmap,
        channels=tuple(
            sorted(
                (
                    ChannelRow(
                        channel=key,
                        label=_channel_label(key),
                        orders=row["orders"],
                        ignored=row["ignored"],
                        accept=Distribution.of(row["accept"]),
                        late=row["late"],
                    )
                    for key, row in channels.items()
                ),
                key=lambda r: (-r.orders, r.label.casefold()),
            )
        ),
        sale_types=tuple(
            sorted(
                (
                    MixRow(
                        key="" if sale_id is None else str(sale_id),
                        label=_sale_label(sale_id, sale_names),
                        orders=count,
                        share=count / orders if orders else 0.0,
                    )
                    for sale_id, count in _mix(filters)
                ),
                key=lambda r: (-r.orders, r.label.casefold()),
            )
        ),
        items=tuple(ItemRow(name or gettext("Item"), c, n) for name, c, n in items),
        modifiers=tuple(ItemRow(name, c, n) for name, c, n in _modifiers(filters)),
        venues=tuple(
            sorted(
                (
                    VenueRow(
                        venue_id=key,
                        name=venue_names.get(key)
                        or (
                            gettext("Venue %(id)s") % {"id": key}
                            if key is not None
                            else pgettext("no venue", "None")
                        ),
                        orders=row["orders"],
                        ignored=row["ignored"],
                        accept=Distribution.of(row["accept"]),
                        late=row["late"],
                    )
                    for key, row in venues.items()
                ),
                key=lambda r: (-r.orders, r.name.casefold()),
            )
        ),
        accept_hours=_accept_by_hour(filters),
        precision_seconds=settings.SYNC_INTERVAL,
        baseline_days=baseline_days,
    )


def _channel_label(channel: str) -> str:
    if not channel:
        return pgettext("no channel", "None")
    # An integration (wolt) or an order type (CALL_CENTER_ORDER): the wall's short names.
    if channel.isupper():
        return wall_channel_label(integration="", order_type=channel) or channel
    return wall_channel_label(integration=channel, order_type="") or channel


def _sale_label(sale_id: int | None, names: dict) -> str:
    if sale_id is None:
        return pgettext("no sale type", "None")
    found = names.get(sale_id)
    if found is None:
        return gettext("Sale type %(id)s") % {"id": sale_id}
    return found.name or sale_kind(found.system_type) or str(sale_id)


# Re-exported: the figures' types, for the page's callers and tests.
__all__ = [
    "DEFAULT_DAYS",
    "AcceptHour",
    "ChannelRow",
    "Distribution",
    "HeatCell",
    "HourRow",
    "InsightFilters",
    "Insights",
    "ItemRow",
    "MixRow",
    "VenueRow",
    "default_filters",
    "insights",
    "rollup_days",
]
