"""Orders Clopos sent that Pass cannot store, parked in ``SkippedOrder`` with the reason."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from orders_app.clopos.jsontext import storable_copy
from orders_app.models import SkippedOrder
from orders_app.services.sync.parsing import Skip
from orders_app.services.sync.results import quote

logger = logging.getLogger("orders_app.sync")

# A known skipped order that comes back unchanged is noted again only this often, so an idle
# pass over a page holding one writes nothing.
SKIPPED_REFRESH = timedelta(minutes=10)


def _skip_raw(raw: Any) -> dict:
    """An unusable payload as storable JSON (an object, cleaned of what databases refuse)."""
    return storable_copy(raw if isinstance(raw, dict) else {"value": raw})


def skipped_order_writes(skipped: Sequence[Skip], *, now: datetime) -> list[Callable[[], None]]:
    """The writes that record unusable orders: new ones inserted, known ones refreshed when
    their payload changed or they were last noted a while ago (so idle passes write nothing).
    They are returned, not run, so the caller runs them inside the page's transaction."""
    if not skipped:
        return []
    by_id = {s.remote_id: s for s in skipped}
    current = {row.remote_id: row for row in SkippedOrder.objects.filter(remote_id__in=list(by_id))}
    writes: list[Callable[[], None]] = []
    fresh = [
        SkippedOrder(
            remote_id=s.remote_id[:64],
            reason=s.reason,
            raw=_skip_raw(s.raw),
            first_seen_at=now,
            last_seen_at=now,
        )
        for remote_id, s in by_id.items()
        if remote_id not in current
    ]
    if fresh:
        writes.append(lambda: SkippedOrder.objects.bulk_create(fresh, ignore_conflicts=True))
    for remote_id, row in current.items():
        s = by_id[remote_id]
        raw = _skip_raw(s.raw)
        if row.raw != raw or row.reason != s.reason or now - row.last_seen_at >= SKIPPED_REFRESH:
            writes.append(
                lambda remote_id=remote_id, raw=raw, reason=s.reason: SkippedOrder.objects.filter(
                    remote_id=remote_id
                ).update(raw=raw, reason=reason, last_seen_at=now, times_seen=F("times_seen") + 1)
            )
    for s in skipped:
        logger.warning("sync_skipped_order id=%s reason=%s", quote(s.remote_id), quote(s.reason))
    return writes
