"""The free-text search index (migration 0003) follows every write to an order."""

from __future__ import annotations

import pytest
from django.db import connection

from orders_app.models import Order
from orders_app.selectors.order_filters import text_search_q
from orders_app.text import search_text_for
from tests.fixtures.orders import make_order


def found(query: str) -> set[int]:
    return set(Order.objects.filter(text_search_q(query)).values_list("id", flat=True))


@pytest.mark.django_db
def test_search_finds_new_orders_follows_updates_and_forgets_deleted_ones():
    kept = make_order(customer_name="Günay Əlizadə", customer_phone="+994 55 765 43 21")
    gone = make_order(customer_name="Пётр Сидоров", items=[{"name": "Qutab", "price": "2"}])
    assert found("əlizadə") == {kept.id}
    assert found("ƏLİZADƏ") == {kept.id}
    assert found("ELIZADE") == {kept.id}
    assert found("055 765 43 21") == {kept.id}
    assert found("петр") == {gone.id}

    kept.search_text = search_text_for(order_id=kept.id, customer_name="Nigar Quliyeva")
    kept.save(update_fields=["search_text"])
    assert found("əlizadə") == set()
    assert found("quliyeva") == {kept.id}

    gone.delete()
    assert found("петр") == set()
    assert found("qutab") == set()


@pytest.mark.django_db
def test_short_terms_still_match_by_substring():
    order = make_order(customer_name="Ai Li")
    assert order.id in found("ai")


@pytest.mark.django_db
def test_the_index_and_its_triggers_exist():
    """A future migration that rebuilds orders_app_order on SQLite drops the triggers: this
    test then fails, and that migration must recreate them (see migration 0003)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE name LIKE 'orders_app_order_fts%%'"
            )
            names = {row[0] for row in cursor.fetchall()}
            assert {
                "orders_app_order_fts",
                "orders_app_order_fts_ai",
                "orders_app_order_fts_ad",
                "orders_app_order_fts_au",
            } <= names
        else:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname = 'orders_app_order_search_trgm'"
            )
            assert cursor.fetchone() is not None


# --- The sync's bulk writes (migration 0004) ----------------------------------------------------


def _fts_rowids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM orders_app_order_fts")
        return {row[0] for row in cursor.fetchall()}


def _index_is_consistent() -> bool:
    """FTS5's own check of an external-content index against orders_app_order."""
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO orders_app_order_fts(orders_app_order_fts, rank) "
                "VALUES ('integrity-check', 1)"
            )
    except DatabaseError:
        return False
    return True


def _parsed(order_id: int, name: str, *, status: str = "PENDING", updated: str = ""):
    from orders_app.clopos.payloads import parse_order
    from tests.test_payloads import raw_order

    raw = raw_order(order_id, status=status)
    raw["payload"]["customer"] = {**(raw["payload"].get("customer") or {}), "name": name}
    if updated:
        raw["updated_at"] = updated
    return parse_order(raw)


@pytest.mark.django_db
def test_orders_the_sync_stores_are_found_and_the_index_stays_consistent():
    from orders_app.services.sync import store_orders

    store_orders([_parsed(501, "Rəşad Hüseynov"), _parsed(502, "Лейла Алиева")])
    assert found("hüseynov") == {501}
    assert found("алиева") == {502}

    # A status change alone, then a changed name: the index follows both.
    store_orders([_parsed(501, "Rəşad Hüseynov", status="ACCEPTED", updated="2030-01-01 10:00:00")])
    store_orders([_parsed(502, "Leyla Əliyeva", updated="2030-01-01 10:00:00")])
    assert found("hüseynov") == {501}
    assert found("алиева") == set()
    assert found("əliyeva") == {502}
    if connection.vendor == "sqlite":
        assert _fts_rowids() == {501, 502}
        assert _index_is_consistent()


@pytest.mark.django_db
def test_the_bulk_marker_never_outlives_its_transaction():
    from django.db import IntegrityError, transaction

    from orders_app.services.search_index import BATCH_TABLE, indexed_in_one_go
    from orders_app.services.sync import store_orders

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's index only")
    store_orders([_parsed(601, "Aysel Məmmədli")])
    # An insert the database refuses: the page's transaction rolls back, the marker with it.
    with pytest.raises(IntegrityError), transaction.atomic(), indexed_in_one_go([601]):
        Order.objects.create(**Order.objects.filter(id=601).values()[0])

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BATCH_TABLE}")  # noqa: S608
        assert cursor.fetchone()[0] == 0
    # With the marker gone the per-row trigger indexes an ordinary insert again.
    other = make_order(customer_name="Tural Nəsirov")
    assert found("nəsirov") == {other.id}
    assert _index_is_consistent()
