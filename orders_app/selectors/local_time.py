"""An order's hour of day and weekday in TIME_ZONE, computed by the database.

The insights group orders by local hour and weekday, and the board filters by them (``hour``,
``weekday``); both must agree and neither may load orders into Python. PostgreSQL converts
with ``AT TIME ZONE``. SQLite has no time zones: a timestamp is shifted by the zone's UTC
offset, written as a CASE over the zone's offset changes between the bounds asked for (one
branch for a zone without daylight saving, such as Asia/Baku since 2016), so summer time is
right without a Python function per row.

Weekdays are ISO: 1 Monday … 7 Sunday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

# Without bounds (a board filter with no dates), offset changes are looked for in this span.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST_YEARS = 2


def _offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(from this UTC instant, offset in minutes) for the zone between start and end: the
    first entry starts at ``start``. Found by stepping a day at a time, then narrowed to the
    minute (offset changes are rare; a span of years costs a few thousand cheap calls)."""

    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds() // 60)

    changes = [(start, offset(start))]
    at = start
    step = timedelta(days=1)
    while at < end:
        nxt = min(at + step, end)
        if offset(nxt) != changes[-1][1]:
            low, high = at, nxt
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if offset(mid) == changes[-1][1]:
                    low = mid
                else:
                    high = mid
            changes.append((high.replace(second=0, microsecond=0), offset(high)))
        at = nxt
    return changes


def _bounds(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return (
        (start or _EARLIEST).astimezone(UTC),
        (end or now.replace(year=now.year + _LATEST_YEARS)).astimezone(UTC),
    )


@lru_cache(maxsize=256)
def _changes(zone: str, low: datetime, high: datetime) -> tuple[tuple[datetime, int], ...]:
    return tuple(_offsets(ZoneInfo(zone), low, high))


def sqlite_shifted(column: str, start: datetime | None, end: datetime | None) -> tuple[str, list]:
    """SQLite: ``column`` shifted to local time, as a datetime modifier expression."""
    low, high = _bounds(start, end)
    # Whole days, so that the cache above is shared by every request of a day.
    low = low.replace(hour=0, minute=0, second=0, microsecond=0)
    high = high.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    changes = _changes(settings.TIME_ZONE, low, high)
    if len(changes) == 1:
        return f"datetime({column}, %s)", [f"{changes[0][1]:+d} minutes"]
    whens = []
    params: list = []
    for at, minutes in reversed(changes[1:]):
        whens.append(f"WHEN {column} >= %s THEN %s")
        params += [at.strftime("%Y-%m-%d %H:%M:%S"), f"{minutes:+d} minutes"]
    sql = f"datetime({column}, CASE {' '.join(whens)} ELSE %s END)"
    return sql, [*params, f"{changes[0][1]:+d} minutes"]


def local_hour_sql(
    column: str, *, start: datetime | None = None, end: datetime | None = None
) -> tuple[str, list]:
    """SQL (with params) for the local hour, 0–23, of a timestamp column."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(HOUR FROM {column} AT TIME ZONE %s) AS INTEGER)", [settings.TIME_ZONE]
    shifted, params = sqlite_shifted(column, start, end)
    return f"CAST(strftime('%%H', {shifted}) AS INTEGER)", params


def local_weekday_sql(
    column: str, *, start: datetime | None = None, end: datetime | None = None
) -> tuple[str, list]:
    """SQL (with params) for the local ISO weekday, 1 (Monday) – 7 (Sunday)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(ISODOW FROM {column} AT TIME ZONE %s) AS INTEGER)", [
            settings.TIME_ZONE
        ]
    shifted, params = sqlite_shifted(column, start, end)
    return f"((CAST(strftime('%%w', {shifted}) AS INTEGER) + 6) %% 7 + 1)", params


def seconds_between_sql(later: str, earlier: str) -> str:
    """SQL for whole seconds from ``earlier`` to ``later`` (two timestamp expressions)."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS INTEGER)"
    return f"CAST((julianday({later}) - julianday({earlier})) * 86400.0 + 0.5 AS INTEGER)"
