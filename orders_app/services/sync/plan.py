"""What a sync pass reads: its mode and date window, chosen from the sync state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from orders_app.models import SyncState

BACKFILL = "backfill"
FULL = "full"
INCREMENTAL = "incremental"
RECONCILE = "reconcile"


@dataclass(frozen=True)
class PassPlan:
    mode: str  # BACKFILL, FULL or INCREMENTAL
    reconcile: bool
    refresh_reference: bool
    date_from: date | None = None
    date_to: date | None = None


def plan_pass(
    state: SyncState,
    *,
    now: datetime,
    full: bool = False,
    since: date | None = None,
) -> PassPlan:
    """What this pass will read, from the sync state and the command's options.

    Every ``date[]`` window is padded by a day on each side: the API does not say which time
    zone it reads dates in (docs/clopos.md §3), and everything that comes back is kept.
    """
    today = timezone.localdate(now)
    pad = timedelta(days=1)
    if full:
        return PassPlan(mode=FULL, reconcile=False, refresh_reference=True)
    if since is not None or state.backfill_completed_at is None or state.watermark is None:
        start = since or today - timedelta(days=settings.SYNC_BACKFILL_DAYS)
        return PassPlan(
            mode=BACKFILL,
            reconcile=False,
            refresh_reference=True,
            date_from=start - pad,
            date_to=today + pad,
        )
    every = timedelta(minutes=settings.SYNC_RECONCILE_MINUTES)
    due = state.last_reconcile_at is None or now - state.last_reconcile_at >= every
    return PassPlan(
        mode=INCREMENTAL,
        reconcile=due,
        refresh_reference=due,
        date_from=today - pad if due else None,
        date_to=today + pad if due else None,
    )
