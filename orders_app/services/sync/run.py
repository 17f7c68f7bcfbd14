"""One sync pass from start to end: plan it, walk its pages, move the watermark and record the
outcome on SyncState (see the package docstring for the rules)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from orders_app.models import SyncState
from orders_app.services.sync.failures import (
    SyncFailed,
    failure_kind,
    failure_message,
    failure_record,
)
from orders_app.services.sync.kitchen import (
    kitchen_reference_sync,
    receipts_link,
    stop_list_sync,
)
from orders_app.services.sync.plan import BACKFILL, FULL, INCREMENTAL, RECONCILE, plan_pass
from orders_app.services.sync.receipts import receipts_sync
from orders_app.services.sync.reference import reference_refresh
from orders_app.services.sync.results import PassResult, Progress, quote
from orders_app.services.sync.stages import stages_refresh
from orders_app.services.sync.walk import PassRun, StopRequested

logger = logging.getLogger("orders_app.sync")


def sync_pass(
    *,
    client: Any = None,
    now: datetime | None = None,
    full: bool = False,
    since: date | None = None,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    check_lease: Callable[[], None] | None = None,
    page_size: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    kitchen: bool = True,
    stop_list_now: bool = False,
) -> PassResult:
    """One sync pass (backfill, incremental, and a reconcile when due); see the package doc.

    ``kitchen``: also the receipts, their links to orders, stations and products (when due)
    and the stop list (every SYNC_STOPLIST_SECONDS, or now with ``stop_list_now``).
    ``sync_orders --loop`` runs the kitchen every SYNC_RECEIPTS_SECONDS and the orders every
    SYNC_INTERVAL (services/sync/cadence.py); a one-shot pass does everything.

    ``check_lease`` is called before each page is written (the command checks its lease
    there); if it raises, that page is not written and the pass fails.

    Records the outcome on SyncState. On failure the cache keeps what it had (pages already
    written stay, whole), the failure is counted, and SyncFailed is raised from the cause.
    """
    if client is None:
        from orders_app.clopos.client import CloposClient

        client = CloposClient.from_settings()
    # The outbox builds on the sync's stages and data version: imported here, not above.
    from orders_app.services.outbox import deliver

    given_now = now is not None
    now = now or timezone.now()
    state = SyncState.get()
    plan = plan_pass(state, now=now, full=full, since=since)
    result = PassResult(mode=plan.mode, data_version=state.data_version)
    requests_before = getattr(client, "requests_made", 0)
    run = None
    fixed_now = now if given_now else None
    try:
        # First the taps waiting in the outbox (none, and no query, with writes off): the
        # receipts walked below then read what the kitchen did.
        result.count_delivery(deliver(client, now=fixed_now))
        run = PassRun(
            client=client,
            now=now,
            result=result,
            progress=progress,
            should_stop=should_stop,
            check_lease=check_lease,
            page_size=page_size,
            clock=clock,
        )
        if plan.mode in (BACKFILL, FULL):
            run.walk(
                mode=plan.mode,
                sort="created_at",
                direction=1,
                date_from=plan.date_from,
                date_to=plan.date_to,
                prefetch=True,
            )
        else:
            overlap = timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
            run.walk(
                mode=INCREMENTAL,
                sort="updated_at",
                direction=-1,
                stop_before=state.watermark - overlap,
            )
            if plan.reconcile:
                if should_stop is not None and should_stop():
                    raise StopRequested
                run.walk(
                    mode=RECONCILE,
                    sort="created_at",
                    direction=1,
                    date_from=plan.date_from,
                    date_to=plan.date_to,
                )
                result.reconciled = True
        if plan.refresh_reference:
            result.reference_refreshed = reference_refresh(client, now=now, result=result)
        if kitchen:
            # The kitchen: receipts, their links to orders, stations and products, the stop
            # list. The state read at the pass's start says when each was last done (only
            # this pass, the lease holder, writes those times), so deciding costs no query.
            changed_receipts = receipts_sync(client=client, now=now, result=result, state=state)
            linked = receipts_link(client=client, now=now, result=result)
            kitchen_reference_sync(client=client, now=now, result=result, state=state)
            stop_list_sync(client=client, now=now, result=result, state=state, force=stop_list_now)
            if stages_refresh(now=now, receipt_ids=changed_receipts, order_ids=linked):
                result.data_version_moved()
    except StopRequested:
        result.stopped = True
    except Exception as exc:
        result.ok = False
        result.error = failure_message(exc)
        result.error_kind = failure_kind(exc)
        result.requests = getattr(client, "requests_made", 0) - requests_before
        result.seconds = clock() - (run.started if run else clock())
        failure_record(result, now=now)
        logger.warning("sync_failed mode=%s error=%s", plan.mode, quote(result.error))
        raise SyncFailed(result) from exc
    result.requests = getattr(client, "requests_made", 0) - requests_before
    result.seconds = clock() - run.started
    finished = now + timedelta(seconds=result.seconds)
    if result.stopped:
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
            last_attempt_at=now, last_pass=result.as_state()
        )
        return result

    # The watermark: never past what this pass read, never behind where it was.
    watermark = state.watermark
    # Anything changed after the first page was served carries an updated_at at or after
    # Clopos's clock at that moment (our clock when Clopos does not say).
    if run.max_updated is not None or plan.mode in (BACKFILL, FULL):
        started = run.server_started or now
        candidate = min(run.max_updated or started, started)
        watermark = candidate if watermark is None else max(watermark, candidate)
    result.watermark = watermark
    updates: dict[str, Any] = {
        "source": "demo" if settings.CLOPOS_DEMO else "live",
        "last_attempt_at": now,
        "last_success_at": finished,
        "consecutive_failures": 0,
        "failing_since": None,
        "watermark": watermark,
        "last_pass": result.as_state(),
    }
    if plan.mode in (BACKFILL, FULL):
        updates["backfill_completed_at"] = finished
        updates["last_reconcile_at"] = now
    elif result.reconciled:
        updates["last_reconcile_at"] = now
    SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(**updates)
    return result
