"""The free-text search index (migration 0003) follows every write to an order."""

from __future__ import annotations

import pytest
from django.db import connection

from orders_app.models import Order
from orders_app.selectors.orders import text_search_q
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
