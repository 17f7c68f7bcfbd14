"""Pages of a Clopos list endpoint, and the one walker over them (see docs/clopos.md §3).

Clopos pages ``GET /orders``, ``/venues`` and ``/sale-types`` with ``page`` and ``limit``; the
envelope may carry ``total`` (at the top, inside a Laravel paginator under ``data``, or under
``pagination``) or none at all. Servers seen in the wild cap ``limit`` below what was asked,
shift rows between pages while orders change, or ignore ``page`` altogether, so the walk has one
stop rule that holds for all of them (``walk_pages``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from orders_app.clopos.errors import CloposBadResponse

logger = logging.getLogger("orders_app.clopos")

DEFAULT_MAX_PAGES = 5000

# report(event, number): "repeated" with the page number that repeated the one before it,
# "cap" with the safety cap the walk reached.
Report = Callable[[str, int], None]


@dataclass(frozen=True)
class OrdersPage:
    """One page of a list endpoint: the raw row dicts plus the envelope around them."""

    rows: list[dict]
    total: int | None
    page: int
    limit: int
    raw_meta: dict
    # Items of ``data`` that were not JSON objects: kept so the caller can record them.
    invalid_rows: list[object] = field(default_factory=list)


def int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def page_from_body(body: dict, *, page: int, limit: int) -> OrdersPage:
    """A decoded list answer as an ``OrdersPage``: rows, ``total`` wherever the envelope puts
    it, and the rest of the envelope kept as ``raw_meta``."""
    data = body.get("data")
    total = int_or_none(body.get("total"))
    meta = {k: v for k, v in body.items() if k != "data"}
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        # A Laravel paginator inside ``data``: {data: [...], total, per_page, ...}
        meta.update({k: v for k, v in data.items() if k != "data"})
        total = total if total is not None else int_or_none(data.get("total"))
        data = data["data"]
    if total is None and isinstance(body.get("pagination"), dict):
        total = int_or_none(body["pagination"].get("total"))
    if data is None:
        data = []
    if not isinstance(data, list):
        raise CloposBadResponse(
            f"Clopos sent a list page whose data is a {type(data).__name__}, not a list",
            status=200,
        )
    rows = [row for row in data if isinstance(row, dict)]
    invalid = [row for row in data if not isinstance(row, dict)]
    if invalid:
        logger.warning("clopos_invalid_rows page=%s count=%s", page, len(invalid))
    return OrdersPage(
        rows=rows, total=total, page=page, limit=limit, raw_meta=meta, invalid_rows=invalid
    )


def row_ids(page: OrdersPage) -> list[Any]:
    """The ids of every item on the page, in order: a row's ``id``, an item that is not an
    object stands for itself (its repr)."""
    ids: list[Any] = [row.get("id") for row in page.rows]
    ids.extend(repr(item) for item in getattr(page, "invalid_rows", ()))
    return ids


def _log_clopos(event: str, number: int) -> None:
    if event == "repeated":
        logger.warning("clopos_page_repeated page=%s: the server ignores page=", number)
    else:
        logger.warning("clopos_page_cap pages=%s: stopped walking at the safety cap", number)


def walk_pages(
    fetch: Callable[[int], OrdersPage],
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    prefetch: bool = False,
    report: Report = _log_clopos,
) -> Iterator[OrdersPage]:
    """Pages 1, 2, … from ``fetch(number)``, each yielded as it comes.

    The one stop rule: stop after an empty page; after a short page (fewer items than its
    ``limit``) when the server gives no ``total``; once ``total`` distinct row ids have been
    seen (a short page with a known ``total`` does not stop the walk: the server may cap
    ``limit`` below what was asked, and rows shifting between pages may repeat some); before
    yielding a page whose ids repeat the previous page's (a server ignoring ``page``:
    ``report("repeated", number)``); and at ``max_pages`` (``report("cap", max_pages)``).

    To stop early, stop iterating (``break``, or raise out of the loop). With ``prefetch`` the
    next page is fetched in a helper thread while the caller works on the current one, so use
    the walk inside ``contextlib.closing(...)`` when stopping early: closing waits for a fetch in
    flight, and the fetch's client is never used by two threads at once. Prefetch suits orders
    sorted so that pages do not shift (``created_at`` ascending). An error in a prefetched
    fetch is raised where that page would have been yielded.
    """
    seen: set[Any] = set()
    previous_ids: list[Any] | None = None
    pool = (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="clopos-prefetch")
        if prefetch
        else None
    )
    # On the way out (last page, early stop, error) the pool waits for a fetch in flight.
    with pool or nullcontext():
        upcoming: Future[OrdersPage] | None = None
        for number in range(1, max_pages + 1):
            page = upcoming.result() if upcoming is not None else fetch(number)
            upcoming = None
            ids = row_ids(page)
            if previous_ids is not None and ids and ids == previous_ids:
                report("repeated", number)
                return
            seen.update(ids)
            if not ids:
                more = False
            elif page.total is None:
                more = len(ids) >= (page.limit or 1)
            else:
                more = len(seen) < page.total
            if more and pool is not None and number < max_pages:
                upcoming = pool.submit(fetch, number + 1)
            yield page
            if not more:
                return
            previous_ids = ids
    report("cap", max_pages)
