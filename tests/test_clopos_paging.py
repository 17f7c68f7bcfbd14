"""The one page walker: its stop rule, early stops and prefetch, against canned pages."""

from __future__ import annotations

import threading
from contextlib import closing

import pytest

from orders_app.clopos.errors import CloposUnavailable
from orders_app.clopos.paging import OrdersPage, page_from_body, walk_pages


def page(number: int, ids: list[int], *, total: int | None = None, limit: int = 2) -> OrdersPage:
    return OrdersPage(
        rows=[{"id": i} for i in ids], total=total, page=number, limit=limit, raw_meta={}
    )


class Pages:
    """fetch(number) from a list of pages; records which numbers were asked for."""

    def __init__(self, *pages: OrdersPage) -> None:
        self.pages = pages
        self.asked: list[int] = []
        self.threads: set[str] = set()

    def __call__(self, number: int) -> OrdersPage:
        self.asked.append(number)
        self.threads.add(threading.current_thread().name)
        return self.pages[min(number, len(self.pages)) - 1]


def test_the_walk_stops_once_total_distinct_ids_have_been_seen() -> None:
    # Page 2 shifted: id 2 comes again, so three pages of rows hold only four distinct ids.
    fetch = Pages(page(1, [1, 2], total=5), page(2, [2, 3], total=5), page(3, [4, 5], total=5))
    assert [p.page for p in walk_pages(fetch)] == [1, 2, 3]
    assert fetch.asked == [1, 2, 3]


def test_without_total_a_short_page_is_the_last() -> None:
    fetch = Pages(page(1, [1, 2]), page(2, [3]))
    assert len(list(walk_pages(fetch))) == 2


def test_a_repeated_page_is_reported_and_not_yielded() -> None:
    reports: list[tuple[str, int]] = []
    fetch = Pages(page(1, [1, 2], total=50))
    pages = list(walk_pages(fetch, report=lambda event, n: reports.append((event, n))))
    assert len(pages) == 1
    assert reports == [("repeated", 2)]


def test_the_cap_is_reported() -> None:
    reports: list[tuple[str, int]] = []
    fetch = Pages(*(page(n, [2 * n, 2 * n + 1]) for n in range(1, 10)))
    pages = list(walk_pages(fetch, max_pages=3, report=lambda e, n: reports.append((e, n))))
    assert len(pages) == 3
    assert reports == [("cap", 3)]
    assert fetch.asked == [1, 2, 3]


def test_items_that_are_not_objects_count_as_rows() -> None:
    odd = page_from_body({"data": [{"id": 1}, "garbage"], "total": 2}, page=1, limit=2)
    assert len(list(walk_pages(Pages(odd)))) == 1


@pytest.mark.parametrize("prefetch", [False, True])
def test_prefetch_yields_the_same_pages_and_fetches_in_a_helper_thread(prefetch) -> None:
    fetch = Pages(page(1, [1, 2], total=5), page(2, [3, 4], total=5), page(3, [5], total=5))
    assert [p.page for p in walk_pages(fetch, prefetch=prefetch)] == [1, 2, 3]
    assert fetch.asked == [1, 2, 3]
    assert any(name.startswith("clopos-prefetch") for name in fetch.threads) is prefetch


def test_stopping_early_with_prefetch_waits_for_the_page_in_flight() -> None:
    fetch = Pages(*(page(n, [2 * n, 2 * n + 1], total=100) for n in range(1, 10)))
    with closing(walk_pages(fetch, prefetch=True)) as pages:
        for current in pages:
            if current.page == 2:
                break
    assert fetch.asked == [1, 2, 3]  # page 3 was already asked for, and nothing after it


def test_a_prefetched_fetch_that_fails_raises_where_its_page_would_come() -> None:
    def fetch(number: int) -> OrdersPage:
        if number == 2:
            raise CloposUnavailable("down")
        return page(1, [1, 2], total=10)

    pages = walk_pages(fetch, prefetch=True)
    assert next(pages).page == 1
    with pytest.raises(CloposUnavailable):
        next(pages)
