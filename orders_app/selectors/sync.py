"""How fresh the cache is: read by /healthz, the board header and the wall banner; and the one
poll token both pages poll with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from orders_app.fastpaths import kiosk_poll_row, sync_state_poll_row
from orders_app.models import Order, SkippedOrder, SyncState
from orders_app.vocabulary import sync_error_summary


def sync_is_stale(*, last_success_at: datetime | None, now: datetime, stale_after: int) -> bool:
    """The one staleness rule: no success yet, or the last one more than ``stale_after`` s ago."""
    return last_success_at is None or (now - last_success_at).total_seconds() > stale_after


def poll_token(*, data_version: int, consecutive_failures: int, stale: bool) -> str:
    """What the board and the wall poll with: it moves with the data, with each failed pass and
    when the data turns stale, so an unchanged token means nothing on the page would change."""
    return f"{data_version}-{consecutive_failures}-{'stale' if stale else 'fresh'}"


@dataclass(frozen=True)
class SyncHealth:
    status: str  # "ok", "stale" or "failing"
    last_success_at: datetime | None
    age_seconds: float | None
    consecutive_failures: int
    last_error: str  # the failure's own words (English: a detail for whoever fixes it)
    last_error_kind: str  # vocabulary.SYNC_ERROR_SUMMARIES: what the pages say about it
    last_error_at: datetime | None
    failing_since: datetime | None
    data_version: int
    source: str  # "demo", "live" or "" before the first pass
    stale_after: int
    # Data older than SYNC_STALE_AFTER (or none yet): /healthz answers 503.
    is_stale: bool

    @property
    def error_summary(self) -> str:
        """The last failure in plain words, in the active language."""
        return sync_error_summary(self.last_error_kind)

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"

    @property
    def poll_token(self) -> str:
        return poll_token(
            data_version=self.data_version,
            consecutive_failures=self.consecutive_failures,
            stale=self.is_stale,
        )


def sync_health(*, now: datetime | None = None, stale_after: int | None = None) -> SyncHealth:
    """One query: the sync state row, judged against SYNC_STALE_AFTER."""
    now = now or timezone.now()
    stale_after = stale_after if stale_after is not None else settings.SYNC_STALE_AFTER
    state = SyncState.objects.filter(id=SyncState.SINGLETON_ID).first()
    if state is None:
        state = SyncState(id=SyncState.SINGLETON_ID)
    age = (now - state.last_success_at).total_seconds() if state.last_success_at else None
    is_stale = sync_is_stale(
        last_success_at=state.last_success_at, now=now, stale_after=stale_after
    )
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
        last_error_kind=str((state.last_pass or {}).get("error_kind") or "")
        if state.last_error
        else "",
        last_error_at=state.last_error_at,
        failing_since=state.failing_since,
        data_version=state.data_version,
        source=state.source or ("demo" if settings.CLOPOS_DEMO else ""),
        stale_after=stale_after,
        is_stale=is_stale,
    )


@dataclass(frozen=True)
class PollState:
    """What an unchanged poll needs: the token, and the sync time to show beside it."""

    token: str
    last_success_at: datetime | None


def sync_poll_state(*, now: datetime | None = None, stale_after: int | None = None) -> PollState:
    """The poll token without the rest of ``sync_health``: one raw indexed query (a fast path,
    see orders_app/fastpaths.py), for the wall's every poll. Always ``sync_health().poll_token``."""
    return _poll_state(sync_state_poll_row(), now=now, stale_after=stale_after)


def kiosk_poll_state(key_id: int) -> tuple[tuple[bool, datetime | None] | None, PollState]:
    """A polling kiosk's key grant ((revoked, last_used_at), None for no such key) and the poll
    state, in one query (``fastpaths.kiosk_poll_row``)."""
    state, grant = kiosk_poll_row(key_id)
    return grant, _poll_state(state)


def _poll_state(
    row: tuple[int, datetime | None, int],
    *,
    now: datetime | None = None,
    stale_after: int | None = None,
) -> PollState:
    version, last_success, failures = row
    now = now or timezone.now()
    stale_after = settings.SYNC_STALE_AFTER if stale_after is None else stale_after
    stale = sync_is_stale(last_success_at=last_success, now=now, stale_after=stale_after)
    return PollState(
        token=poll_token(data_version=version, consecutive_failures=failures, stale=stale),
        last_success_at=last_success,
    )


def cached_order_count() -> int:
    return Order.objects.count()


def skipped_order_count() -> int:
    return SkippedOrder.objects.count()
