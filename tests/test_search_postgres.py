"""PostgreSQL's search rows (migration 0010): kept current by every kind of write, and a board
search read from them gives the same page, counts and order as the plain read of the orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from orders_app.fastpaths import order_search_hits_plain
from orders_app.fastpaths.sql import (
    SEARCH_ROWS_TABLE,
    order_search_rows_hits,
    order_search_rows_page,
)
from orders_app.models import Order
from orders_app.selectors.board import board_page
from orders_app.selectors.order_filters import (
    BoardFilters,
    is_text_search_only,
    search_terms,
    text_search_q,
)
from orders_app.text import search_text_for
from tests.fixtures.orders import make_order
from tests.test_search_index import _parsed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's search rows"),
]


def search_rows() -> set[tuple]:
    """The search rows as they are, against what they must be: each order's own columns."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, status, created_us, updated_us, search_text FROM {SEARCH_ROWS_TABLE}"  # noqa: S608
        )
        return set(cursor.fetchall())


def expected_rows() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint, "
            "(EXTRACT(EPOCH FROM updated_at) * 1000000)::bigint, search_text FROM orders_app_order"
        )
        return set(cursor.fetchall())


def rows_hits(query: str, sort_field: str = "created_at") -> list[tuple]:
    return order_search_rows_hits([t for t in search_terms(query) if t], sort_field)


def test_the_search_rows_follow_inserts_updates_bulk_writes_and_deletes():
    kept = make_order(customer_name="Günay Əlizadə", customer_phone="+994 55 765 43 21")
    gone = make_order(customer_name="Пётр Сидоров")
    assert search_rows() == expected_rows() and len(search_rows()) == 2

    kept.search_text = search_text_for(order_id=kept.id, customer_name="Nigar Quliyeva")
    kept.save(update_fields=["search_text"])
    Order.objects.filter(id=gone.id).update(status="DELIVERED", updated_at=timezone.now())
    assert search_rows() == expected_rows()
    assert [h[0] for h in rows_hits("quliyeva")] == [kept.id]
    assert rows_hits("əlizadə") == []

    gone.delete()
    assert search_rows() == expected_rows() and len(search_rows()) == 1


def test_the_sync_s_bulk_writes_keep_the_search_rows():
    from orders_app.services.sync import store_orders

    store_orders([_parsed(501, "Rəşad Hüseynov"), _parsed(502, "Лейла Алиева")])
    store_orders([_parsed(501, "Rəşad Hüseynov", status="ACCEPTED", updated="2030-01-01 10:00:00")])
    store_orders([_parsed(502, "Leyla Əliyeva", updated="2030-01-01 10:00:00")])
    assert search_rows() == expected_rows()
    assert {h[0] for h in rows_hits("əliyeva")} == {502}
    assert rows_hits("алиева") == []
    assert [(h[0], h[1]) for h in rows_hits("hüseynov")] == [(501, "ACCEPTED")]


@pytest.mark.django_db(transaction=True)
def test_a_truncate_of_the_orders_empties_the_search_rows():
    """As a test database's flush truncates the tables (outside a transaction: no pending
    foreign-key checks)."""
    make_order(customer_name="Tural Nəsirov")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE orders_app_order CASCADE")
    assert search_rows() == set()


@pytest.mark.parametrize("sort_field", ["created_at", "updated_at"])
@pytest.mark.parametrize("query", ["quliyeva", "+994 70 540", "50%_off\\", "ai", "!!!"])
def test_search_rows_hits_are_the_plain_hits(sort_field, query):
    now = timezone.now()
    for n in range(12):
        at = now - timedelta(minutes=n // 3, microseconds=n * 7)
        make_order(
            id=9000 + n,
            status=["PENDING", "RECEIVED", "DELIVERED", "WEIRD"][n % 4],
            created_at=at,
            updated_at=at + timedelta(seconds=n % 2),
            customer_name="Leyla Quliyeva" if n % 3 else "Rahid Akhundzada",
            comment="50%_off\\ today" if n == 5 else "",
        )
    make_order(
        id=9100,
        customer_name="Ai Li",
        customer_phone="+994 12 000",
        created_at=now - timedelta(hours=1),
    )
    fast = rows_hits(query, sort_field)
    plain = order_search_hits_plain(Order.objects.filter(text_search_q(query)), sort_field)
    # Keys are microseconds against datetimes: the same rows in the same order.
    assert [(i, s) for i, s, _ in fast] == [(i, s) for i, s, _ in plain]
    assert [k for _, _, k in fast] == [round(k.timestamp() * 1_000_000) for _, _, k in plain]
    if query != "!!!":
        assert len(fast) < Order.objects.count()


def test_a_board_search_alone_gives_the_page_the_order_rows_give(django_assert_num_queries):
    now = timezone.now()
    for n in range(70):
        make_order(
            status=["PENDING", "RECEIVED", "DELIVERED"][n % 3],
            created_at=now - timedelta(minutes=n),
            customer_name="Aysel Məmmədova" if n % 2 else "Orxan Kazımov",
        )
    for filters in (
        BoardFilters(q="məmmədova"),
        BoardFilters(q="MƏMMƏDOVA", statuses=("RECEIVED",), page=2),
        BoardFilters(q="məmmədova", sort="updated", page=9),
    ):
        assert is_text_search_only(filters)
        fast = board_page(filters=filters, page_size=10)
        # The same filters plus one that matches everything: the plain read of the orders.
        plain = board_page(
            filters=replace(filters, date_from=(now - timedelta(days=9)).date()), page_size=10
        )
        assert not is_text_search_only(replace(filters, date_from=now.date()))
        assert fast.order_ids == plain.order_ids and fast.order_ids
        assert fast.status_counts == plain.status_counts
        assert (fast.total, fast.page, fast.num_pages) == (plain.total, plain.page, plain.num_pages)


@pytest.mark.parametrize("sort_field", ["created_at", "updated_at"])
def test_a_search_page_is_the_hits_counted_and_cut(sort_field):
    """The database's counts and page (order_search_rows_page) are the hits' own, for every
    status filter and start, a page past the end and a search that matches nothing."""
    now = timezone.now()
    for n in range(23):
        at = now - timedelta(minutes=n // 2)  # pairs of equal keys: the id breaks the tie
        make_order(
            status=["PENDING", "RECEIVED", "DELIVERED", "WEIRD"][n % 4],
            created_at=at,
            updated_at=at + timedelta(minutes=2 * (n % 5)),
            customer_name="Günay Həsənova" if n % 3 else "Orxan Kazımov",
        )
    for query in ("həsənova", "+994", "nobody at all"):
        terms = [t for t in search_terms(query) if t]
        hits = order_search_rows_hits(terms, sort_field)
        expected_counts: dict[str, int] = {}
        for _, status, _ in hits:
            expected_counts[status] = expected_counts.get(status, 0) + 1
        for statuses in ((), ("RECEIVED",), ("DELIVERED", "WEIRD"), ("CANCELLED",)):
            wanted = [i for i, status, _ in hits if not statuses or status in statuses]
            for start in (0, 5, 15, 40):
                counts, ids = order_search_rows_page(
                    terms, sort_field, statuses=statuses, start=start, limit=5
                )
                assert counts == expected_counts
                assert ids == wanted[start : start + 5]
    assert order_search_rows_page(["nobody at all"], sort_field, statuses=(), start=0, limit=5) == (
        {},
        [],
    )
