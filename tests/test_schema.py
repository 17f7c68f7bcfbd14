"""The cache's tables keep the indexes its reads need, and no more (each costs the backfill)."""

from __future__ import annotations

import pytest
from django.db import connection

from orders_app.models import OrderEvent, OrderItem, OrderItemModifier


@pytest.mark.django_db
@pytest.mark.parametrize(
    "queryset",
    [
        lambda: OrderItem.objects.filter(order_id__in=[1, 2]),
        lambda: OrderItemModifier.objects.filter(item_id__in=[1, 2]),
        lambda: OrderItemModifier.objects.filter(item__order_id__in=[1, 2]),
        lambda: OrderEvent.objects.filter(order_id=1).order_by("observed_at"),
    ],
    ids=["items-of-orders", "modifiers-of-items", "modifiers-of-orders", "events-of-an-order"],
)
def test_child_rows_are_found_by_an_index_not_a_scan(queryset):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner scans tables this small whatever the indexes")
    plan = queryset().explain()
    assert "USING" in plan and "INDEX" in plan, plan
    assert "SCAN orders_app_orderitem " not in plan + " ", plan
    assert "SCAN orders_app_orderitemmodifier " not in plan + " ", plan
    assert "SCAN orders_app_orderevent " not in plan + " ", plan


@pytest.mark.django_db
def test_no_child_table_keeps_an_index_its_unique_constraint_already_gives():
    with connection.cursor() as cursor:
        for model in (OrderItem, OrderItemModifier, OrderEvent):
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            leading = [
                tuple(c["columns"])
                for c in constraints.values()
                if c["index"] or c["unique"]
                if not c["primary_key"]
            ]
            singles = [cols for cols in leading if len(cols) == 1]
            for (column,) in singles:
                covered = [c for c in leading if len(c) > 1 and c[0] == column]
                assert not covered, f"{model.__name__}.{column} is indexed twice: {leading}"
