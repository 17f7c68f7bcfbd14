"""The order page and panel show the order's Clopos receipt, its stage, its items' stations,
and the receipt's changes on the timeline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from orders_app.models import Product, Receipt, ReceiptEvent, ReceiptItem, Station
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mgr", password="pw-long-123456"))


@pytest.fixture
def cooked_order():
    now = timezone.now()
    Station.objects.create(id=1, name="Grill")
    Station.objects.create(id=3, name="Bar", kitchen=False)
    Product.objects.create(id=101, name="Plov", station_id=3)  # the receipt routes it elsewhere
    order = make_order(status="RECEIVED", stage="ready", receipt_id=7001)
    receipt = Receipt.objects.create(
        id=7001,
        status=1,
        order_status="READY",
        daily_number="17",
        total=Decimal("3450"),
        subtotal=Decimal("2900"),
        delivery_fee=Decimal("550"),
        payment_methods=[{"id": 2, "name": "Cash", "amount": "3450"}],
        created_at=now,
        updated_at=now,
    )
    ReceiptItem.objects.create(
        receipt=receipt, position=0, product_id=100, name="Pizza", station_id=1
    )
    ReceiptItem.objects.create(
        receipt=receipt, position=1, product_id=101, name="Plov", station_id=1, station_name="Grill"
    )
    ReceiptEvent.objects.create(receipt=receipt, kind="opened", to_value="NEW", observed_at=now)
    ReceiptEvent.objects.create(
        receipt=receipt, kind="order_status", from_value="NEW", to_value="READY", observed_at=now
    )
    mark_synced()
    return order


def test_the_order_page_shows_its_receipt_with_clopos_totals(
    client, manager, cooked_order, settings
):
    settings.MONEY_DIVISOR = 100
    body = client.get(f"/orders/{cooked_order.id}/").content.decode()
    receipt = body.split('data-receipt="7001"', 1)[1].split("</section>", 1)[0]
    assert "#7001" in receipt and ">17<" in receipt
    assert "₼34.50" in receipt  # Clopos's total, divided by MONEY_DIVISOR
    assert "Cash" in receipt and "still open" in receipt
    assert 'class="stage stage--ready"' in body


def test_every_item_says_its_station(client, manager, cooked_order):
    body = client.get(f"/orders/{cooked_order.id}/panel/").content.decode()
    assert body.count("Station: Grill") == 2  # the receipt's routing wins over /products


def test_the_receipts_changes_are_on_the_timeline(client, manager, cooked_order):
    body = client.get(f"/orders/{cooked_order.id}/").content.decode()
    timeline = body.split('class="timeline"', 1)[1]
    assert "Receipt opened" in timeline and "Kitchen status changed" in timeline
    assert "Ready" in timeline


def test_an_order_without_a_receipt_shows_none(client, manager):
    order = make_order(status="PENDING")
    mark_synced()
    assert "data-receipt=" not in client.get(f"/orders/{order.id}/").content.decode()
