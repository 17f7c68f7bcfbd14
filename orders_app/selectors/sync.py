"""How fresh the cache is: read by /healthz, the board header and the wall banner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from orders_app.models import Order, SkippedOrder, SyncState


@dataclass(frozen=True)
class SyncHealth:
    status: str  # "ok", "stale" or "failing"
    last_success_at: datetime | None
    age_seconds: float | None
    consecutive_failures: int
    last_error: str
    last_error_at: datetime | None
    failing_since: datetime | None
    data_version: int
    source: str  # "demo", "live" or "" before the first pass
    stale_after: int

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"

    @property
    def is_stale(self) -> bool:
        """Data older than SYNC_STALE_AFTER (or none yet): /healthz answers 503."""
        return self.age_seconds is None or self.age_seconds > self.stale_after

    @property
    def poll_token(self) -> str:
        """What pages poll with: changes when the data or the health state changes."""
        return f"{self.data_version}-{self.status}"


def sync_health(*, now: datetime | None = None, stale_after: int | None = None) -> SyncHealth:
    """One query: the sync state row, judged against SYNC_STALE_AFTER."""
    now = now or timezone.now()
    stale_after = stale_after if stale_after is not None else settings.SYNC_STALE_AFTER
    state = SyncState.objects.filter(id=SyncState.SINGLETON_ID).first()
    if state is None:
        state = SyncState(id=SyncState.SINGLETON_ID)
    age = (now - state.last_success_at).total_seconds() if state.last_success_at else None
    is_stale = age is None or age > stale_after
    # Failing: errors while the data is old, or three failed passes in a row even if the last
    # success is still recent (the pages warn before the data goes stale).
    if state.consecutive_failures and (is_stale or state.consecutive_failures >= 3):
        status = "failing"
    elif is_stale:
        status = "stale"
    else:
        status = "ok"
    return SyncHealth(
        status=status,
        last_success_at=state.last_success_at,
        age_seconds=None if age is None else max(age, 0.0),
        consecutive_failures=state.consecutive_failures,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        failing_since=state.failing_since,
        data_version=state.data_version,
        source=state.source or ("demo" if settings.CLOPOS_DEMO else ""),
        stale_after=stale_after,
    )


def cached_order_count() -> int:
    return Order.objects.count()


def skipped_order_count() -> int:
    return SkippedOrder.objects.count()
