"""The insights' daily rollups: filled from the cache a local day at a time, when a page needs
a day whose rows are missing or no longer current; marked dirty by the sync.

A day's rows (models/insights.py) are computed by four aggregate queries over its orders (the
orders by hour, status, sale type and acceptance bucket; their items; their modifiers; their
receipts' kitchen timings), never by loading orders into Python. Days are filled in chunks of
up to CHUNK_DAYS consecutive days, each in its own transaction that first takes the fill lock
(a write to a sentinel row: concurrent fills queue, and on SQLite the sync is never kept waiting
for more than a chunk).

Consistency: the sync bumps ``InsightDay.dirty`` for the local day of every order it writes,
in the same transaction (``mark_dirty``). A fill reads each day's ``dirty`` before it reads the
orders and stores it as ``filled``; a change committed after that read has bumped ``dirty``
past it, so the day is filled again on the next visit. A day is never shown stale.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from orders_app.insight_sql import (
    COARSE_BUCKET,
    FINE_BUCKET,
    FINE_LIMIT,
    accepted_at_sql,
    bucket_sql,
    late_seconds,
)
from orders_app.models import (
    InsightDay,
    InsightRow,
    Order,
    OrderItem,
    OrderItemModifier,
    Receipt,
    ReceiptEvent,
)
from orders_app.selectors.local_time import local_hour_sql, seconds_between_sql, sqlite_shifted
from orders_app.selectors.order_filters import local_midnight

logger = logging.getLogger("orders_app.sync")

FORMAT = 2  # bump when what a row means changes: every day is filled again (2: accept by hour)
CHUNK_DAYS = 7
SENTINEL = date(1970, 1, 1)  # the fill lock's row, never a real day


def fingerprint() -> str:
    """What a day's rows depend on besides the orders: when any of it changes, every day is
    filled again."""
    text = (
        f"{FORMAT}|{settings.TIME_ZONE}|{late_seconds()}|{FINE_BUCKET}|{FINE_LIMIT}|{COARSE_BUCKET}"
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- the sync's side ----------------------------------------------------------------------------


def mark_dirty(days: Iterable[date]) -> None:
    """The rows of these local days are out of date (call inside the transaction that changed
    their orders). One statement."""
    days = sorted({d for d in days if d is not None})
    if not days:
        return
    table = connection.ops.quote_name(InsightDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (day, dirty, filled, fingerprint) VALUES (%s, 1, NULL, '') "
            f"ON CONFLICT (day) DO UPDATE SET dirty = {table}.dirty + 1",
            [(d,) for d in days],
        )


def local_day(value) -> date | None:
    """The local date (TIME_ZONE) of an aware datetime."""
    if value is None:
        return None
    from django.utils import timezone

    return timezone.localtime(value).date()


def mark_dirty_for_receipts(receipt_ids: Iterable[int]) -> None:
    """The days of the orders linked to these receipts (their kitchen timings changed)."""
    ids = list({r for r in receipt_ids if r is not None})
    if not ids:
        return
    created = Order.objects.filter(receipt_id__in=ids).values_list("created_at", flat=True)
    mark_dirty(local_day(c) for c in created)


# --- the page's side ----------------------------------------------------------------------------


def stale_days(days: Iterable[date]) -> list[date]:
    days = sorted(set(days))
    print_ = fingerprint()
    current = {
        d
        for d, dirty, filled, fp in InsightDay.objects.filter(day__in=days).values_list(
            "day", "dirty", "filled", "fingerprint"
        )
        if filled == dirty and fp == print_
    }
    return [d for d in days if d not in current]


def ensure_days(days: Iterable[date]) -> int:
    """Fill the days among ``days`` whose rows are missing or out of date; how many it
    filled."""
    stale = stale_days(days)
    filled = 0
    chunk: list[date] = []
    for day in stale:
        if chunk and (day - chunk[-1] != timedelta(days=1) or len(chunk) >= CHUNK_DAYS):
            filled += _fill(chunk)
            chunk = []
        chunk.append(day)
    if chunk:
        filled += _fill(chunk)
    return filled


WARM_DAYS = 118  # what a 90-day page reads: the range and the 4 weeks before it


def warm(*, today: date | None = None) -> int:
    """Between sync passes (``sync_orders --loop``): fill one chunk of the past days a page
    reads whose rows are missing or dirty, newest first, so managers rarely wait for a cold
    fill. Today is left to the page (it changes with every pass). One query when all is
    current; a failure is logged and left for the next pass."""
    from django.db import DatabaseError
    from django.utils import timezone

    today = today or timezone.localdate()
    days = [today - timedelta(days=n) for n in range(1, WARM_DAYS + 1)]
    try:
        stale = stale_days(days)
        if not stale:
            return 0
        newest = stale[-CHUNK_DAYS:]
        return _fill([d for d in newest if newest[-1] - d < timedelta(days=CHUNK_DAYS)])
    except DatabaseError as exc:
        logger.warning("insights_warm_failed error=%s", type(exc).__name__)
        return 0


def _fill(days: list[date]) -> int:
    InsightDay.objects.get_or_create(day=SENTINEL)
    with transaction.atomic():
        # The fill lock (and, on SQLite, the write lock taken now, before anything is read).
        InsightDay.objects.filter(day=SENTINEL).update(dirty=0)
        print_ = fingerprint()
        current = {
            d: (dirty, filled, fp)
            for d, dirty, filled, fp in InsightDay.objects.filter(day__in=days).values_list(
                "day", "dirty", "filled", "fingerprint"
            )
        }
        todo = [
            d
            for d in days
            if d not in current or current[d][1] != current[d][0] or current[d][2] != print_
        ]
        if not todo:
            return 0
        start = {d: current.get(d, (0, None, ""))[0] for d in todo}
        InsightRow.objects.filter(day__in=todo).delete()
        rows = _compute(todo)
        InsightRow.objects.bulk_create(rows, batch_size=2000)
        InsightDay.objects.bulk_create(
            [InsightDay(day=d, dirty=start[d], filled=start[d], fingerprint=print_) for d in todo],
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["filled", "fingerprint"],
        )
    return len(todo)


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _compute(days: list[date]) -> list[InsightRow]:
    """Every row of these (consecutive) days: four aggregate queries."""
    wanted = set(days)
    start, end = local_midnight(days[0]), local_midnight(days[-1] + timedelta(days=1))
    orders_t = _table(Order)
    column = "o.created_at"
    if connection.vendor == "postgresql":
        day_sql, day_params = f"CAST(({column} AT TIME ZONE %s) AS DATE)", [settings.TIME_ZONE]
    else:
        shifted, day_params = sqlite_shifted(column, start, end)
        day_sql = f"date({shifted})"
    hour_sql, hour_params = local_hour_sql(column, start=start, end=end)
    accepted = accepted_at_sql("o")
    seconds = seconds_between_sql("a.accepted_at", "a.created_at")
    in_range = "o.created_at >= %s AND o.created_at < %s"
    # The bounds as the database stores timestamps (SQLite: naive UTC text), not as the
    # driver would write an aware datetime (with its offset, which compares wrongly as text).
    bounds = [
        connection.ops.adapt_datetimefield_value(start),
        connection.ops.adapt_datetimefield_value(end),
    ]
    result: list[InsightRow] = []

    # 1. Orders: by hour, status, sale type and acceptance bucket.
    sql = (
        f"SELECT a.day, a.type, a.integration, a.venue_id, a.status, a.hour, a.sale_type_id, "
        f"CASE WHEN a.accepted_at IS NULL THEN NULL ELSE {bucket_sql(seconds)} END, "
        f"CASE WHEN a.accepted_at IS NOT NULL AND {seconds} > %s THEN 1 ELSE 0 END, COUNT(*) "
        f"FROM (SELECT {day_sql} AS day, {hour_sql} AS hour, o.type, o.integration, o.venue_id, "
        f"o.status, o.sale_type_id, o.created_at, {accepted} AS accepted_at "
        f"FROM {orders_t} o WHERE {in_range}) a GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )
    hours: dict[tuple, int] = defaultdict(int)
    sales: dict[tuple, int] = defaultdict(int)
    accepts: dict[tuple, int] = defaultdict(int)
    for day, type_, integration, venue, status, hour, sale, bucket, late, n in _rows(
        sql, [late_seconds(), *day_params, *hour_params, *bounds]
    ):
        day = _as_date(day)
        if day not in wanted:
            continue
        key = (day, type_ or "", integration or "", venue)
        hours[(*key, int(hour))] += n
        sales[(*key, sale)] += n
        accepts[(*key, status, None if bucket is None else int(bucket), bool(late), int(hour))] += n
    result += [
        InsightRow(day=d, kind="hour", type=t, integration=i, venue_id=v, hour=h, count=n, orders=n)
        for (d, t, i, v, h), n in hours.items()
    ]
    result += [
        InsightRow(
            day=d, kind="sale", type=t, integration=i, venue_id=v, sale_type_id=s, count=n, orders=n
        )
        for (d, t, i, v, s), n in sales.items()
    ]
    result += [
        InsightRow(
            day=d,
            kind="accept",
            type=t,
            integration=i,
            venue_id=v,
            status=st,
            bucket=b,
            late=late,
            hour=h,
            count=n,
            orders=n,
        )
        for (d, t, i, v, st, b, late, h), n in accepts.items()
    ]

    # 2. Items and 3. modifiers of orders not ignored.
    items_t, mods_t = _table(OrderItem), _table(OrderItemModifier)
    for kind, sql in (
        (
            "item",
            f"SELECT {day_sql}, o.type, o.integration, o.venue_id, i.name, SUM(i.count), "
            f"COUNT(DISTINCT i.order_id) FROM {items_t} i JOIN {orders_t} o ON o.id = i.order_id "
            f"WHERE {in_range} AND o.status <> 'IGNORE' GROUP BY 1, 2, 3, 4, 5",
        ),
        (
            "mod",
            f"SELECT {day_sql}, o.type, o.integration, o.venue_id, m.name, "
            f"SUM(COALESCE(m.count, 1) * i.count), COUNT(DISTINCT i.order_id) "
            f"FROM {mods_t} m JOIN {items_t} i ON i.id = m.item_id "
            f"JOIN {orders_t} o ON o.id = i.order_id "
            f"WHERE {in_range} AND o.status <> 'IGNORE' AND m.name <> '' GROUP BY 1, 2, 3, 4, 5",
        ),
    ):
        for day, type_, integration, venue, name, count, n in _rows(sql, [*day_params, *bounds]):
            day = _as_date(day)
            if day in wanted:
                result.append(
                    InsightRow(
                        day=day,
                        kind=kind,
                        type=type_ or "",
                        integration=integration or "",
                        venue_id=venue,
                        name=(name or "")[:255],
                        count=Decimal(str(count or 0)),
                        orders=n,
                    )
                )

    # 4. Kitchen timings of the orders with a receipt.
    revents, receipts = _table(ReceiptEvent), _table(Receipt)
    ready = (
        f"(SELECT MIN(x.observed_at) FROM {revents} x WHERE x.receipt_id = o.receipt_id "
        f"AND x.kind = 'order_status' AND x.to_value = 'READY')"
    )
    done = (
        f"(SELECT MIN(x.observed_at) FROM {revents} x WHERE x.receipt_id = o.receipt_id "
        f"AND (x.kind = 'closed' OR (x.kind = 'order_status' "
        f"AND x.to_value IN ('PICKED_UP', 'COMPLETED'))))"
    )
    prep = seconds_between_sql("k.ready_at", "k.started_at")
    handover = seconds_between_sql("k.done_at", "k.ready_at")
    sql = (
        f"SELECT k.day, k.type, k.integration, k.venue_id, "
        f"CASE WHEN k.ready_at IS NULL OR k.started_at IS NULL THEN NULL ELSE {bucket_sql(prep)} END, "
        f"CASE WHEN k.ready_at IS NULL OR k.done_at IS NULL OR k.done_at < k.ready_at THEN NULL "
        f"ELSE {bucket_sql(handover)} END, COUNT(*), COUNT(k.total), SUM(k.total) "
        f"FROM (SELECT {day_sql} AS day, o.type, o.integration, o.venue_id, r.total, "
        f"COALESCE({accepted}, r.created_at) AS started_at, {ready} AS ready_at, {done} AS done_at "
        f"FROM {orders_t} o JOIN {receipts} r ON r.id = o.receipt_id "
        f"WHERE {in_range} AND o.status <> 'IGNORE') k GROUP BY 1, 2, 3, 4, 5, 6"
    )
    for day, type_, integration, venue, b1, b2, n, counted, summed in _rows(
        sql, [*day_params, *bounds]
    ):
        day = _as_date(day)
        if day in wanted:
            result.append(
                InsightRow(
                    day=day,
                    kind="kitchen",
                    type=type_ or "",
                    integration=integration or "",
                    venue_id=venue,
                    bucket=None if b1 is None else int(b1),
                    bucket2=None if b2 is None else int(b2),
                    count=n,
                    orders=n,
                    amount_count=counted,
                    amount=None if summed is None else Decimal(str(summed)),
                )
            )
    return result
