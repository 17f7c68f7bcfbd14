"""Filling the order cache from Clopos: one pass at a time, idempotent, never half-written.

A pass is one of three kinds, chosen from ``SyncState`` (``plan``):

- **backfill** (first run, ``--since`` or ``--full``): every order created in the last
  ``SYNC_BACKFILL_DAYS`` (or since a date, or ever), read ``created_at`` ascending so new orders
  arriving meanwhile only append to the end and never shift the pages still to read.
- **incremental** (every later run): ``updated_at`` descending from page 1, stopping once a
  page reaches back past the watermark minus ``SYNC_OVERLAP_MINUTES``. Changes during the pass
  move rows towards page 1, so later pages can only repeat a row, never skip one. An idle
  restaurant costs one request and no writes to the cache.
- **reconcile** (every ``SYNC_RECONCILE_MINUTES``, after the incremental part): re-reads today's
  orders, and refreshes venues and sale types (``reference``).

Every ``date[]`` window sent to Clopos is padded by a day on each side (the API does not say
which time zone it reads dates in, docs/clopos.md §3) and everything that comes back is kept.

Each page (``walk``) is parsed (``parsing``) and written in one transaction with bulk writes
(``store``, through ``bulk_writer.BulkWriter``: multi-row INSERT/UPDATE through Django's
connection with the backend's own value adapters): new orders are inserted, orders whose
``content_hash`` changed are updated and their items and modifiers replaced, the rest cost one
read of their hashes. ``SyncState.data_version`` moves only when a page changed something, and
only in ``version.data_version_bump``. An idle pass writes nothing but one UPDATE of the
sync-state row (so /healthz knows the pass happened). An order Clopos sends that cannot be
parsed, or that the database refuses, is parked in ``SkippedOrder`` with its reason
(``skipped``); it never stops the pass. A failed pass is recorded by ``failures``.

The watermark moves only at the end of a complete pass (``run``) and never past what the pass
has read: a change made after the first page was served carries an ``updated_at`` at or after
Clopos's clock at that moment (the envelope's ``unix``, docs/clopos.md §1; ours if Clopos does
not send it), and the next pass reads back to the watermark minus the overlap. A pass killed
midway leaves whole pages behind, and the next pass converges to the same cache. Backfills
fetch the next page while the current one is written (their order never shifts, so nothing is
lost by reading ahead).
"""

from __future__ import annotations

from orders_app.clopos.jsontext import EncodedJSON
from orders_app.services.sync.bulk_writer import BulkWriter
from orders_app.services.sync.failures import (
    SyncFailed,
    failure_kind,
    failure_message,
    failure_record,
    failure_result,
)
from orders_app.services.sync.parsing import Skip, parse_rows
from orders_app.services.sync.plan import (
    BACKFILL,
    FULL,
    INCREMENTAL,
    RECONCILE,
    PassPlan,
    plan_pass,
)
from orders_app.services.sync.reference import sync_reference_data
from orders_app.services.sync.results import PassResult, Progress, StoreResult, quote
from orders_app.services.sync.run import sync_pass
from orders_app.services.sync.store import store_orders, store_page
from orders_app.services.sync.version import data_version_bump
from orders_app.services.sync.walk import MAX_PAGES

__all__ = [
    "BACKFILL",
    "FULL",
    "INCREMENTAL",
    "MAX_PAGES",
    "RECONCILE",
    "BulkWriter",
    "EncodedJSON",
    "PassPlan",
    "PassResult",
    "Progress",
    "Skip",
    "StoreResult",
    "SyncFailed",
    "data_version_bump",
    "failure_kind",
    "failure_message",
    "failure_record",
    "failure_result",
    "parse_rows",
    "plan_pass",
    "quote",
    "store_orders",
    "store_page",
    "sync_pass",
    "sync_reference_data",
]
