"""Keeping the SQLite search index (migrations 0003, 0004) current on bulk writes.

PostgreSQL keeps its search by itself: the trigram index is an ordinary index, and the narrow
search rows a board search reads (migration 0010, ``fastpaths.order_search_rows_hits``) follow
every write through statement-level triggers, one statement per bulk write. There everything
here is a no-op.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

FTS_TABLE = "orders_app_order_fts"
BATCH_TABLE = "orders_app_order_fts_batch"


@contextmanager
def indexed_in_one_go(order_ids: Sequence[int]) -> Iterator[None]:
    """Around an insert of many orders (inside a transaction): the per-row index trigger stands
    aside, and the new orders are indexed afterwards in one statement (much cheaper than the
    trigger's row-by-row writes). The marker row exists only inside this transaction."""
    if connection.vendor != "sqlite" or not order_ids:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexed_in_one_go needs a transaction: the marker must not commit")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BATCH_TABLE} (id) VALUES (1)")  # noqa: S608
        yield
        # Table names are constants; the ids go in as one JSON parameter.
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, search_text) "  # noqa: S608
            "SELECT id, search_text FROM orders_app_order "
            "WHERE id IN (SELECT value FROM json_each(%s))",
            [json.dumps(list(order_ids))],
        )
        cursor.execute(f"DELETE FROM {BATCH_TABLE}")  # noqa: S608
