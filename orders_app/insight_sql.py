"""SQL pieces the insights share (a leaf anyone may import): how a duration is bucketed, when
an order was accepted, and what counts as late.

Durations are grouped into buckets 5 s wide under ten minutes, then 60 s; percentiles are read
from the bucket counts and reported as the middle of their bucket. An order's acceptance is the
first time Pass saw it RECEIVED (its timeline's status event). Late is the wall's PENDING red
threshold (WALL_AGE_THRESHOLDS).
"""

from __future__ import annotations

from django.db import connection

FINE_BUCKET, FINE_LIMIT, COARSE_BUCKET = 5, 600, 60


def width(start: int) -> int:
    """The width of the bucket that starts at ``start`` seconds."""
    return FINE_BUCKET if start < FINE_LIMIT else COARSE_BUCKET


def bucket_sql(seconds: str) -> str:
    """SQL: the bucket start of a duration in seconds (negative ones, from clock skew, are 0)."""
    return (
        f"CASE WHEN {seconds} < 0 THEN 0 "
        f"WHEN {seconds} < {FINE_LIMIT} THEN ({seconds} / {FINE_BUCKET}) * {FINE_BUCKET} "
        f"ELSE ({seconds} / {COARSE_BUCKET}) * {COARSE_BUCKET} END"
    )


def accepted_at_sql(alias: str = "o") -> str:
    """SQL: when Pass first saw the order ``alias`` RECEIVED (NULL when it never did)."""
    from orders_app.models import OrderEvent

    events = connection.ops.quote_name(OrderEvent._meta.db_table)
    return (
        f"(SELECT MIN(e.observed_at) FROM {events} e WHERE e.order_id = {alias}.id "
        f"AND e.kind = 'status' AND e.to_status = 'RECEIVED')"
    )


def late_seconds() -> float:
    """An acceptance later than this is late: the wall's PENDING red threshold."""
    from orders_app.selectors.thresholds import age_thresholds

    pending = age_thresholds().get("PENDING")
    return (pending.red_minutes if pending else 5.0) * 60
