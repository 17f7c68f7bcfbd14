"""Receipts, stations, products and the stop list parsed at the boundary, liberally."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders_app.clopos.payloads.readers import PayloadError
from orders_app.clopos.payloads.receipt import parse_local_timestamp, parse_receipt
from orders_app.clopos.payloads.reference import parse_product, parse_station, parse_stop_entry
from orders_app.services.sync.kitchen import receipt_id_from

BAKU = ZoneInfo("Asia/Baku")

DOCUMENTED = {
    "id": 10950,
    "cid": "8f1c2f0e-1111-2222-3333-444455556666",
    "venue_id": 1,
    "customer_id": None,
    "sale_type_id": 2,
    "source": "web",
    "guests": 1,
    "status": 1,
    "order_status": "IN_PROGRESS",
    "order_number": None,
    "lock": False,
    "total": 30000,
    "subtotal": "28000",
    "total_discount": 0,
    "service_charge_value": 0,
    "delivery_fee": 2000,
    "total_tax": 0,
    "payment_methods": [],
    "properties": {"daily_id": 17, "monthly_id": 412},
    "created_at": "2025-08-18 13:45:16",
    "updated_at": "2025-08-18 13:50:00",
    "closed_at": None,
    "receipt_products": [
        {
            "id": 1,
            "product_id": 140,
            "count": 2,
            "price": 8.5,
            "total": 17,
            "meta": {"product": {"name": "Lula kebab", "station": {"id": 1, "name": "Grill"}}},
            "modificators": [{"modificator_id": 9, "name": "Spicy", "count": 1, "price": 0}],
        },
        {"id": 2, "product_id": 141, "count": "1", "price": "3,50", "meta": {}},
    ],
}


def test_a_documented_receipt_reads_whole():
    receipt = parse_receipt(DOCUMENTED, zone=BAKU)
    assert receipt.id == 10950
    assert receipt.status == 1 and receipt.order_status == "IN_PROGRESS"
    assert receipt.daily_number == "17"
    assert receipt.total == Decimal("30000") and receipt.subtotal == Decimal("28000")
    # No zone in the text: the restaurant's wall clock, 13:45 in Baku is 09:45 UTC.
    assert receipt.created_at == datetime(2025, 8, 18, 9, 45, 16, tzinfo=UTC)
    assert receipt.closed_at is None
    first, second = receipt.items
    assert (first.name, first.count, first.station_id, first.station_name) == (
        "Lula kebab",
        Decimal(2),
        1,
        "Grill",
    )
    assert first.modifiers == [{"id": 9, "name": "Spicy", "count": "1", "price": "0"}]
    assert second.price == Decimal("3.50") and second.station_id is None
    assert receipt.raw == DOCUMENTED and receipt.warnings == []


def test_times_with_a_zone_are_read_as_they_say():
    assert parse_local_timestamp("2026-02-02T10:30:00Z", BAKU) == datetime(
        2026, 2, 2, 10, 30, tzinfo=UTC
    )
    assert parse_local_timestamp("2026-02-02 14:30:00", BAKU) == datetime(
        2026, 2, 2, 10, 30, tzinfo=UTC
    )
    assert parse_local_timestamp(1761202010781, BAKU) is not None  # ms


def test_odd_values_become_warnings_not_failures():
    receipt = parse_receipt(
        {
            "id": "77",
            "status": "2",
            "order_status": "ready",
            "total": "a lot",
            "closed_at": "yesterday",
            "receipt_products": {"not": "a list"},
            "payment_methods": [{"id": 2, "name": "Cash", "amount": "8140"}],
        },
        zone=BAKU,
    )
    assert receipt.id == 77 and receipt.status == 2 and receipt.order_status == "READY"
    assert receipt.total is None and receipt.items == []
    assert receipt.payment_methods == [{"id": 2, "name": "Cash", "amount": "8140"}]
    assert any("total" in w for w in receipt.warnings)
    assert any("closed_at" in w for w in receipt.warnings)
    assert any("receipt_products" in w for w in receipt.warnings)


@pytest.mark.parametrize("raw", [None, [], "receipt", {"id": None}, {"id": "x"}])
def test_a_receipt_without_an_id_is_refused(raw):
    with pytest.raises(PayloadError):
        parse_receipt(raw, zone=BAKU)


def test_the_same_receipt_hashes_the_same_and_a_change_does_not():
    a = parse_receipt(DOCUMENTED, zone=BAKU)
    b = parse_receipt({**DOCUMENTED}, zone=BAKU)
    c = parse_receipt({**DOCUMENTED, "order_status": "READY"}, zone=BAKU)
    assert a.content_hash == b.content_hash != c.content_hash


def test_stations_products_and_stop_list_entries():
    bar = parse_station({"id": 3, "name": "Bar", "status": 1, "type": 0, "printable": True})
    assert (bar.id, bar.name, bar.kitchen, bar.active) == (3, "Bar", False, True)
    assert parse_station({"id": "1", "name": "Grill"}).kitchen is True
    dish = parse_product(
        {"id": 140, "name": "Lula kebab", "type": "dish", "station_id": 1, "cooking_time": 12}
    )
    assert (dish.type, dish.station_id, dish.cooking_time) == ("DISH", 1, 12)
    assert parse_product({"id": 5, "station": {"id": 3}, "cooking_time": -4}).station_id == 3
    assert parse_product({"id": 5, "cooking_time": -4}).cooking_time is None
    out = parse_stop_entry({"id": 54, "limit": 0, "timestamp": 1761202010781})
    assert (out.product_id, out.limit) == (54, 0) and out.at.year == 2025
    assert parse_stop_entry({"id": 55, "limit": "3"}).limit == 3
    with pytest.raises(PayloadError):
        parse_stop_entry({"limit": 0})


@pytest.mark.parametrize(
    ("relation", "expected"),
    [({"id": 5, "status": 1}, 5), (5, 5), ("5", 5), (None, None), ({}, None), ([], None)],
)
def test_an_orders_receipt_relation_in_either_shape(relation, expected):
    assert receipt_id_from(relation) == expected
