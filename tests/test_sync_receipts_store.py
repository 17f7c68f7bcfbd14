"""Writing pages of receipts: one transaction, hash-unchanged receipts cost nothing, every
change Pass sees is a timeline event, the data version moves only when something changed."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders_app.clopos.payloads.receipt import parse_receipt
from orders_app.models import Product, Receipt, ReceiptEvent, ReceiptItem, SyncState
from orders_app.services.sync.receipts import receipts_parse, receipts_store

pytestmark = pytest.mark.django_db
BAKU = ZoneInfo("Asia/Baku")


def receipt(**fields) -> dict:
    base = {
        "id": 501,
        "status": 1,
        "order_status": "NEW",
        "total": 2550,
        "properties": {"daily_id": 4},
        "created_at": "2026-02-02 14:20:00",
        "updated_at": "2026-02-02 14:20:00",
        "receipt_products": [
            {
                "id": 1,
                "product_id": 140,
                "count": 1,
                "price": 12,
                "meta": {"product": {"name": "Plov", "station": {"id": 1, "name": "Grill"}}},
            },
            {
                "id": 2,
                "product_id": 141,
                "count": 2,
                "price": 1.5,
                "meta": {"product": {"name": "Ayran"}},
            },
        ],
    }
    return {**base, **fields}


def store(*raws, now=None):
    parsed = [parse_receipt(raw, zone=BAKU) for raw in raws]
    return receipts_store(parsed, now=now or timezone.now())


def version() -> int:
    return SyncState.get().data_version


def test_a_new_receipt_is_stored_with_its_items_and_an_opened_event():
    Product.objects.create(id=141, name="Ayran", station_id=3)
    before = version()
    stored = store(receipt())
    assert (stored.created, stored.updated, stored.unchanged) == (1, 0, 0)
    row = Receipt.objects.get(id=501)
    assert row.daily_number == "4" and row.order_status == "NEW"
    items = list(ReceiptItem.objects.filter(receipt=row).order_by("position"))
    assert [(i.name, i.station_id) for i in items] == [("Plov", 1), ("Ayran", 3)]  # 3: /products
    assert list(ReceiptEvent.objects.values_list("kind", "to_value")) == [("opened", "NEW")]
    assert version() == before + 1
    assert stored.unknown_products == {140}


def test_an_unchanged_receipt_costs_no_write_and_no_version():
    store(receipt())
    before = version()
    stored = store(receipt())
    assert (stored.created, stored.updated, stored.unchanged) == (0, 0, 1)
    assert version() == before
    assert ReceiptEvent.objects.count() == 1


def test_each_order_status_seen_and_the_close_are_timeline_events():
    now = timezone.now()
    store(receipt(), now=now)
    store(
        receipt(order_status="IN_PROGRESS", updated_at="2026-02-02 14:22:00"),
        now=now + timedelta(minutes=2),
    )
    store(
        receipt(order_status="READY", updated_at="2026-02-02 14:30:00"),
        now=now + timedelta(minutes=10),
    )
    store(
        receipt(
            order_status="READY",
            status=2,
            closed_at="2026-02-02 14:41:00",
            updated_at="2026-02-02 14:41:00",
        ),
        now=now + timedelta(minutes=21),
    )
    events = list(
        ReceiptEvent.objects.order_by("observed_at", "id").values_list(
            "kind", "from_value", "to_value"
        )
    )
    assert events == [
        ("opened", "", "NEW"),
        ("order_status", "NEW", "IN_PROGRESS"),
        ("order_status", "IN_PROGRESS", "READY"),
        ("closed", "", "READY"),
    ]
    closed = ReceiptEvent.objects.get(kind="closed")
    assert closed.remote_at.isoformat() == "2026-02-02T10:41:00+00:00"  # 14:41 in Baku


def test_a_changed_receipt_has_its_items_replaced():
    store(receipt())
    store(
        receipt(
            receipt_products=[
                {"id": 9, "product_id": 150, "count": 3, "meta": {"product": {"name": "Dolma"}}}
            ]
        )
    )
    assert list(ReceiptItem.objects.values_list("name", "count")) == [("Dolma", 3)]


def test_a_receipt_seen_closed_first_is_opened_and_closed_at_once():
    store(receipt(status=2, order_status="COMPLETED", closed_at="2026-02-02 15:00:00"))
    assert list(ReceiptEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "opened",
        "closed",
    ]


def test_a_page_repeating_a_receipt_stores_it_once():
    stored = store(receipt(), receipt(order_status="READY"))
    assert stored.created == 1 and Receipt.objects.get().order_status == "READY"


def test_unusable_rows_are_counted_and_the_rest_stored():
    parsed, refused = receipts_parse([receipt(), {"id": None}, "junk"], zone=BAKU)
    assert refused == 2 and [p.id for p in parsed] == [501]


def many(count: int, *, first: int = 600, **fields) -> list[dict]:
    return [receipt(id=first + n, **fields) for n in range(count)]


def test_a_stored_receipt_reads_back_as_parsed_and_keeps_when_pass_first_saw_it():
    raw = receipt(
        payment_methods=[{"id": 1, "name": "Cash", "amount": 2550}],
        receipt_products=[
            {
                "id": 1,
                "product_id": 140,
                "count": 1.5,
                "price": 12,
                "total": 18,
                "modificators": [{"id": 4, "name": "Spicy", "count": 1, "price": 0}],
                "meta": {"product": {"name": "Plov", "station": {"id": 1, "name": "Grill"}}},
            }
        ],
    )
    first = timezone.now()
    store(raw, now=first)
    parsed = parse_receipt(raw, zone=BAKU)
    row = Receipt.objects.get(id=501)
    for name in parsed.COLUMNS:
        assert getattr(row, name) == getattr(parsed, name), name
    assert (row.raw, row.content_hash, row.first_seen_at) == (
        parsed.raw,
        parsed.content_hash,
        first,
    )
    item = ReceiptItem.objects.get(receipt=row)
    expected = parsed.items[0]
    assert (item.count, item.price, item.total, item.station_id, item.station_name) == (
        expected.count,
        expected.price,
        expected.total,
        1,
        "Grill",
    )
    assert item.modifiers == expected.modifiers and item.raw == expected.raw

    later = first + timedelta(minutes=3)
    store(receipt(order_status="READY"), now=later)
    row.refresh_from_db()
    assert (row.order_status, row.first_seen_at, row.synced_at) == ("READY", first, later)


def test_a_page_of_receipts_costs_the_same_few_queries_however_many_it_holds(
    django_assert_num_queries,
):
    """Bulk writes: reading the hashes, the products, the writes of receipts, items and events,
    the version and the insights' days of the linked orders do not grow with the page
    (savepoints included: one transaction)."""
    version()  # the sync-state row exists, as it does after the first pass
    queries = {}
    for count in (1, 30):
        with CaptureQueriesContext(connection) as captured:
            store(*many(count, first=1000 * count))
        queries[count] = len(captured.captured_queries)
    assert queries[1] == queries[30] == 10, captured.captured_queries
    # ...and a page that changed every receipt costs the same again, with the items' DELETE.
    with django_assert_num_queries(queries[30] + 1):
        stored = store(*many(30, first=30_000, order_status="READY"))
    assert stored.updated == 30 and ReceiptEvent.objects.filter(kind="order_status").count() == 30


def test_an_unchanged_page_costs_one_read_of_its_hashes(django_assert_num_queries):
    store(*many(20))
    with django_assert_num_queries(1):
        stored = store(*many(20))
    assert stored.unchanged == 20 and stored.changed_ids == set()
