"""The kitchen's data for the benchmarks: items, timeline events and receipts for orders loaded
by ``bench_views.load_orders``, and the stations, products and stop list beside them, so the
board, the wall and the insights are measured with the data of the kitchen issues in the
database (issue 13: "with the receipts and stop-list data of the kitchen issues")."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal


def add_kitchen_data(seed: int = 11) -> dict:
    """Items, modifiers, timeline events and receipts for every order, in bulk."""
    from django.db import connection, transaction

    from bench.bench_views import DISHES, MODIFIERS
    from orders_app.models import (
        Order,
        OrderEvent,
        OrderItem,
        OrderItemModifier,
        Receipt,
        ReceiptEvent,
    )

    rng = random.Random(seed)
    started = time.perf_counter()
    items, mods, events, receipts, receipt_events = [], [], [], [], []
    links: list[tuple[int, int]] = []
    item_id = 1
    rows = Order.objects.order_by().values_list("id", "status", "created_at")
    for order_id, status, created in rows.iterator(chunk_size=5000):
        for position in range(rng.randint(1, 3)):
            count = Decimal(rng.randint(1, 3))
            items.append(
                OrderItem(
                    id=item_id,
                    order_id=order_id,
                    position=position,
                    product_id=rng.randrange(1, 60),
                    name=rng.choice(DISHES),
                    count=count,
                    portion_size=Decimal(1),
                    raw={},
                )
            )
            if rng.random() < 0.3:
                mods.append(
                    OrderItemModifier(
                        item_id=item_id,
                        position=0,
                        modifier_id=9,
                        name=rng.choice(MODIFIERS),
                        count=Decimal(1),
                        raw={},
                    )
                )
            item_id += 1
        events.append(
            OrderEvent(
                order_id=order_id,
                kind="seen",
                to_status="PENDING",
                observed_at=created + timedelta(seconds=rng.uniform(1, 10)),
            )
        )
        if status in ("RECEIVED", "DELIVERED"):
            accepted = created + timedelta(seconds=rng.lognormvariate(4, 0.8))
            events.append(
                OrderEvent(
                    order_id=order_id,
                    kind="status",
                    from_status="PENDING",
                    to_status="RECEIVED",
                    observed_at=accepted,
                )
            )
            if rng.random() < 0.5:
                receipt_id = 5_000_000 + order_id
                ready = accepted + timedelta(minutes=rng.uniform(8, 35))
                closed = ready + timedelta(minutes=rng.uniform(1, 20))
                receipts.append(
                    Receipt(
                        id=receipt_id,
                        status=2,
                        order_status="COMPLETED",
                        total=Decimal(rng.randrange(500, 6000)),
                        created_at=accepted,
                        updated_at=closed,
                        closed_at=closed,
                        raw={},
                    )
                )
                receipt_events += [
                    ReceiptEvent(
                        receipt_id=receipt_id,
                        kind="order_status",
                        from_value="NEW",
                        to_value="READY",
                        observed_at=ready,
                    ),
                    ReceiptEvent(receipt_id=receipt_id, kind="closed", observed_at=closed),
                ]
                links.append((receipt_id, order_id))
    with transaction.atomic():
        for model, batch in (
            (OrderItem, items),
            (OrderItemModifier, mods),
            (OrderEvent, events),
            (Receipt, receipts),
            (ReceiptEvent, receipt_events),
        ):
            model.objects.bulk_create(batch, batch_size=5000)
        table = connection.ops.quote_name(Order._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET receipt_id = %s WHERE id = %s", links)  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The receipt links above rewrote half the orders' rows: vacuum as autovacuum would
            # a minute later, so counts are index-only scans again (as in bench_views' load).
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
    return {
        "seconds": time.perf_counter() - started,
        "items": len(items),
        "events": len(events),
        "receipts": len(receipts),
    }


STATIONS = [(1, "Grill", True), (2, "Cold kitchen", True), (3, "Bar", False)]


def add_reference_data(*, products: int = 60, out: int = 6) -> dict:
    """Stations, products (each with a station and a cooking time) and a stop list: ``out``
    products 86'd and as many with a few left, as /products and /products/stop-list give."""
    from django.utils import timezone

    from orders_app.models import Product, Station, StopListEntry

    now = timezone.now()
    Station.objects.bulk_create(
        [Station(id=i, name=name, kitchen=kitchen) for i, name, kitchen in STATIONS]
    )
    Product.objects.bulk_create(
        [
            Product(
                id=i,
                name=f"Dish {i}",
                type="DISH" if i % 7 else "GOODS",
                station_id=1 + i % 3,
                cooking_time=5 + i % 20,
            )
            for i in range(1, products + 1)
        ]
    )
    StopListEntry.objects.bulk_create(
        [
            StopListEntry(product_id=i, limit=0 if n < out else 3, clopos_at=now)
            for n, i in enumerate(range(1, products + 1, products // (2 * out) or 1))
            if n < 2 * out
        ]
    )
    return {"stations": len(STATIONS), "products": products, "stop_list": 2 * out}
