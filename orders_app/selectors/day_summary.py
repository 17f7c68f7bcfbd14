"""A wall's stats strip (``stats=1``): today's orders and their median time to accept, for the
screen's venue and channels, in one aggregate query over today's orders (today changes with
every sync pass: the insights' rollups are for the days behind it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Q

from orders_app.insight_sql import accepted_at_sql, bucket_sql
from orders_app.models import Order
from orders_app.selectors.insights import Distribution
from orders_app.selectors.local_time import seconds_between_sql
from orders_app.selectors.order_filters import local_midnight


@dataclass(frozen=True)
class DaySummary:
    orders: int
    accept: Distribution


def day_summary(*, day: date, venue: int | None, channels: tuple[str, ...]) -> DaySummary:
    """Today's figures for a wall screen (its venue, and its channels: types or integrations)."""
    qs = Order.objects.filter(
        created_at__gte=local_midnight(day), created_at__lt=local_midnight(day + timedelta(days=1))
    )
    if venue is not None:
        qs = qs.filter(venue_id=venue)
    if channels:
        qs = qs.filter(Q(type__in=channels) | Q(integration__in=channels))
    orders_sql, params = qs.order_by().values("id", "created_at").query.sql_with_params()
    seconds = seconds_between_sql("a.accepted_at", "a.created_at")
    sql = (
        f"SELECT CASE WHEN a.accepted_at IS NULL THEN NULL ELSE {bucket_sql(seconds)} END, "
        f"COUNT(*) FROM (SELECT o.created_at, {accepted_at_sql()} AS accepted_at "
        f"FROM ({orders_sql}) o) a GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    accept: dict[int, int] = defaultdict(int)
    for bucket, count in rows:
        if bucket is not None:
            accept[int(bucket)] += count
    return DaySummary(orders=sum(n for _, n in rows), accept=Distribution.of(accept))
