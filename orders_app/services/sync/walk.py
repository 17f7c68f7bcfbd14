"""Walking the pages of one pass: fetch, parse, check the lease, store, report progress."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime, timedelta
from typing import Any

from orders_app.clopos.paging import DEFAULT_MAX_PAGES, walk_pages
from orders_app.clopos.payloads import parse_timestamp
from orders_app.models import SkippedOrder
from orders_app.services.sync.parsing import parse_rows
from orders_app.services.sync.results import PassResult, Progress
from orders_app.services.sync.store import store_page

logger = logging.getLogger("orders_app.sync")

# The API publishes no cap on pages; a runaway walk stops here (200 x 5000 = a million rows).
MAX_PAGES = DEFAULT_MAX_PAGES


class StopRequested(Exception):
    """should_stop said so between two pages."""


class PassRun:
    """The state of one pass while it walks pages."""

    def __init__(
        self,
        *,
        client: Any,
        now: datetime,
        result: PassResult,
        progress: Callable[[Progress], None] | None,
        should_stop: Callable[[], bool] | None,
        check_lease: Callable[[], None] | None,
        page_size: int | None,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.now = now
        self.result = result
        self.progress = progress
        self.should_stop = should_stop
        self.check_lease = check_lease
        self.page_size = page_size
        self.clock = clock
        self.started = clock()
        self.known_skipped = set(SkippedOrder.objects.values_list("remote_id", flat=True))
        self.max_updated: datetime | None = None
        # Clopos's clock when the first page was served (the envelope's ``unix``), if given.
        self.server_started: datetime | None = None

    def walk(
        self,
        *,
        mode: str,
        sort: str,
        direction: int,
        date_from: date | None = None,
        date_to: date | None = None,
        stop_before: datetime | None = None,
        prefetch: bool = False,
    ) -> None:
        """Read pages 1, 2, ... and store each, for as long as ``clopos.paging.walk_pages``
        (the one stop rule: empty page, short page without a total, ``total`` distinct rows,
        a repeated page, the safety cap) gives pages; also stop once a page reaches back past
        ``stop_before``, and raise StopRequested between pages when ``should_stop`` says so.

        With ``prefetch`` (orders sorted so that pages never shift: created_at ascending) the
        next page is fetched in a helper thread while this one is parsed and written; the
        client is still used by one thread at a time."""
        stop_asked = False

        def fetch(number: int) -> Any:
            if stop_asked:
                # should_stop said so after the page before: the walk had more pages, so this
                # is a stop, not the end; raised before a request, so none is wasted.
                raise StopRequested
            return self.client.orders_page(
                page=number,
                limit=self.page_size,
                sort=sort,
                direction=direction,
                date_from=date_from,
                date_to=date_to,
            )

        def report(event: str, number: int) -> None:
            if event == "repeated":
                logger.warning("sync_page_repeated page=%s mode=%s: stopping", number, mode)
            else:
                logger.warning("sync_page_cap pages=%s mode=%s", number, mode)

        walk = walk_pages(fetch, max_pages=MAX_PAGES, prefetch=prefetch, report=report)
        # Closing the walk on the way out (stop, error) waits for a fetch in flight, so the
        # client is never used by two threads at once.
        with closing(walk) as pages:
            try:
                fetch_started = self.clock()
                for page in pages:
                    if stop_asked:
                        raise StopRequested  # a page fetched ahead, after the stop: not written
                    oldest = self._store(page, mode=mode, fetch_started=fetch_started)
                    if stop_before is not None and oldest is not None and oldest < stop_before:
                        return
                    # Not raised here: when this was the last page the walk ends by itself and
                    # the pass is complete, not stopped (fetch raises if there was more).
                    if self.should_stop is not None and self.should_stop():
                        stop_asked = True
                    fetch_started = self.clock()
            except Exception:
                if stop_asked:
                    # The page fetched ahead failed after the stop: the stop stands, as it
                    # would have without reading ahead.
                    raise StopRequested from None
                raise

    def _store(self, page: Any, *, mode: str, fetch_started: float) -> datetime | None:
        """Parse and write one page, count it, tell ``progress``; the oldest ``updated_at`` on
        the page (None for a page without a usable order)."""
        t1 = self.clock()
        if self.server_started is None:
            self.server_started = server_time(page, near=self.now)
        rows = [*page.rows, *getattr(page, "invalid_rows", [])]
        parsed, skipped = parse_rows(rows)
        if self.check_lease is not None:
            self.check_lease()  # raising here writes nothing of this page
        t2 = self.clock()
        stored = store_page(parsed, skipped, now=self.now, known_skipped=self.known_skipped)
        t3 = self.clock()
        self.result.fetch_seconds += t1 - fetch_started
        self.result.parse_seconds += t2 - t1
        self.result.write_seconds += t3 - t2
        self.result.count(stored)
        self.result.pages += 1
        self.result.orders_read += len(rows)
        oldest: datetime | None = None
        for order in parsed:
            if self.max_updated is None or order.updated_at > self.max_updated:
                self.max_updated = order.updated_at
            if oldest is None or order.updated_at < oldest:
                oldest = order.updated_at
        if self.progress is not None:
            self.progress(
                Progress(
                    mode=mode,
                    pages=self.result.pages,
                    orders=self.result.orders_read,
                    total=page.total,
                    elapsed=self.clock() - self.started,
                )
            )
        return oldest


def server_time(page: Any, *, near: datetime) -> datetime | None:
    """Clopos's clock from a page's envelope (``unix``, else ``timestamp``; docs/clopos.md §1),
    trusted only within a day of ours."""
    meta = getattr(page, "raw_meta", None) or {}
    value = parse_timestamp(meta.get("unix")) or parse_timestamp(meta.get("timestamp"))
    if value is None or abs(value - near) > timedelta(days=1):
        return None
    return value
