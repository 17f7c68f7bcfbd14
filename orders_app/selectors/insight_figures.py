"""What the insights page shows, as plain values (selectors/insights.py reads them from the
daily rollups): the range and filters, duration distributions read from bucket counts, and the
rows of each chart and table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from orders_app.insight_sql import width
from orders_app.selectors.order_filters import BoardFilters

DEFAULT_DAYS = 7  # the range when none is given


@dataclass(frozen=True)
class InsightFilters:
    date_from: date
    date_to: date
    venue: int | None = None
    channel: str = ""

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def board(self, **more) -> BoardFilters:
        return BoardFilters(
            date_from=self.date_from,
            date_to=self.date_to,
            venue=self.venue,
            channel=self.channel,
            **more,
        )


def default_filters(today: date) -> InsightFilters:
    return InsightFilters(date_from=today - timedelta(days=DEFAULT_DAYS - 1), date_to=today)


# --- distributions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Durations in seconds, from bucket counts: {bucket start: count}."""

    buckets: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, counts: dict[int, int]) -> Distribution:
        return cls(tuple(sorted((b, n) for b, n in counts.items() if n)))

    @property
    def count(self) -> int:
        return sum(n for _, n in self.buckets)

    def percentile(self, share: float) -> float | None:
        """Nearest rank: the middle of the bucket that holds the ``share`` × count-th value."""
        total = self.count
        if not total:
            return None
        rank = max(1, math.ceil(share * total))
        seen = 0
        for start, n in self.buckets:
            seen += n
            if seen >= rank:
                return start + width(start) / 2
        return None  # pragma: no cover - the loop always reaches the rank

    @property
    def median(self) -> float | None:
        return self.percentile(0.5)

    @property
    def p90(self) -> float | None:
        return self.percentile(0.9)

    @property
    def box(self) -> tuple[float, float, float, float, float] | None:
        """p10, p25, median, p75, p90 (a box plot's five marks), or None when empty."""
        if not self.count:
            return None
        return tuple(self.percentile(p) for p in (0.1, 0.25, 0.5, 0.75, 0.9))  # type: ignore[return-value]


def _count(value) -> Decimal:
    """A summed count as the same Decimal on every database (PostgreSQL keeps the column's
    scale: 4.0000): whole numbers without decimals, others without trailing zeros."""
    number = Decimal(str(value if value is not None else 0))
    return (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )


# --- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRow:
    channel: str  # the board's channel value
    label: str
    orders: int
    ignored: int
    accept: Distribution
    late: int

    @property
    def late_share(self) -> float | None:
        return self.late / self.accept.count if self.accept.count else None


@dataclass(frozen=True)
class VenueRow:
    venue_id: int | None
    name: str
    orders: int
    ignored: int
    accept: Distribution
    late: int

    @property
    def late_share(self) -> float | None:
        return self.late / self.accept.count if self.accept.count else None


@dataclass(frozen=True)
class MixRow:
    key: str
    label: str
    orders: int
    share: float


@dataclass(frozen=True)
class ItemRow:
    name: str
    count: Decimal
    orders: int


@dataclass(frozen=True)
class HourRow:
    hour: int
    count: int  # orders in this hour of day over the range
    per_day: float  # ... per day of the range
    baseline: float | None  # the same weekdays' average per day over the 4 weeks before


@dataclass(frozen=True)
class AcceptHour:
    """Time to accept for orders created in one hour of the day: the range's, and the same
    weekdays' of the 4 weeks before (the comparison that shows a rush slowing acceptance)."""

    hour: int
    accept: Distribution
    baseline: Distribution


@dataclass(frozen=True)
class HeatCell:
    weekday: int
    hour: int
    count: int
    level: int  # 0 (none) … 5 (the busiest cell)


@dataclass(frozen=True)
class Insights:
    filters: InsightFilters
    orders: int
    ignored: int
    pending: int  # never accepted (still PENDING)
    accepted: int  # orders that were accepted (RECEIVED or DELIVERED)
    accept: Distribution
    late: int
    late_minutes: float
    prep: Distribution  # accepted → ready
    handover: Distribution  # ready → done
    with_receipt: int
    receipt_total_count: int
    receipt_total_sum: Decimal | None
    items_sold: Decimal
    hourly: tuple[HourRow, ...]
    heatmap: tuple[tuple[HeatCell, ...], ...]  # 7 rows (Mon … Sun) × 24 hours
    channels: tuple[ChannelRow, ...]
    sale_types: tuple[MixRow, ...]
    items: tuple[ItemRow, ...]
    modifiers: tuple[ItemRow, ...]
    venues: tuple[VenueRow, ...]
    accept_hours: tuple[AcceptHour, ...] = ()
    precision_seconds: float = field(default=0.0)
    baseline_days: int = 0  # days of the 4 weeks before that had orders

    @property
    def ignored_share(self) -> float | None:
        return self.ignored / self.orders if self.orders else None

    @property
    def late_share(self) -> float | None:
        return self.late / self.accept.count if self.accept.count else None

    @property
    def receipt_average(self) -> Decimal | None:
        if not self.receipt_total_count or self.receipt_total_sum is None:
            return None
        return self.receipt_total_sum / self.receipt_total_count

    @property
    def per_day(self) -> float:
        return self.orders / self.filters.days if self.filters.days else 0.0
