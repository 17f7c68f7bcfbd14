"""The order page and panel show the order's Clopos receipt, its stage, its items' stations,
and the receipt's changes on the timeline."""

from __future__ import annotations

import csv
import io
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


# --- The order's total is its receipt's (issue 9) ---------------------------------------------


def _row(body: str, order_id: int) -> str:
    return body.split(f'data-order-id="{order_id}"', 1)[1].split("</tbody>", 1)[0]


def _total_cell(body: str, order_id: int) -> str:
    return _row(body, order_id).split('class="c-total', 1)[1].split("</td>", 1)[0]


def test_a_board_row_shows_clopos_total_where_there_is_a_receipt(
    client, manager, cooked_order, settings
):
    settings.MONEY_DIVISOR = 100
    plain = make_order(status="PENDING", items=[{"name": "Dolma", "count": 2, "price": "450"}])
    body = client.get("/").content.decode()
    cooked = _total_cell(body, cooked_order.id)
    assert 'data-total="clopos"' in cooked and "Total (Clopos)" in cooked
    assert '₼34.50<span class="total-mark"></span>' in cooked  # 3450 / MONEY_DIVISOR
    own = _total_cell(body, plain.id)
    assert 'data-total="computed"' in own and "Subtotal" in own
    assert '₼9.00<span class="total-mark">*</span>' in own  # Pass's sum, marked *
    header = body.split('<th scope="col" class="c-total num">', 1)[1].split("</th>", 1)[0]
    assert ">Total</abbr>" in header and "receipt" in header
    assert "Total: Clopos's own total for the order, from its receipt." in body


def test_a_receipt_not_cached_yet_or_without_a_total_leaves_the_computed_subtotal(client, manager):
    Receipt.objects.create(id=8002, status=1, total=None)
    waiting = make_order(status="RECEIVED", receipt_id=8001)  # receipt not synced yet
    blank = make_order(status="RECEIVED", receipt_id=8002)
    body = client.get("/").content.decode()
    for order in (waiting, blank):
        assert 'data-total="computed"' in _total_cell(body, order.id)
    assert 'data-total="clopos"' not in body
    assert 'class="total-clopos"' not in client.get(f"/orders/{blank.id}/").content.decode()


def test_the_order_page_and_panel_show_clopos_total_under_the_computed_subtotal(
    client, manager, cooked_order, settings
):
    settings.MONEY_DIVISOR = 100
    for url in (f"/orders/{cooked_order.id}/", f"/orders/{cooked_order.id}/panel/"):
        body = client.get(url).content.decode()
        foot = body.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
        assert foot.index("Items subtotal (computed)") < foot.index("Total (Clopos)")
        assert "₼0.29" in foot  # the items' 29.00 as Pass adds them, divided by 100 too
        assert '<td class="num" data-total="clopos">₼34.50</td>' in foot


def test_the_export_gives_clopos_total_beside_the_computed_subtotal(
    client, manager, cooked_order, settings
):
    settings.MONEY_DIVISOR = 100
    plain = make_order(status="PENDING")
    text = b"".join(client.get("/orders/export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_id = {row["order_id"]: row for row in rows}
    cooked = by_id[str(cooked_order.id)]
    assert cooked["total_clopos"] == "34.50" and cooked["receipt_id"] == "7001"
    assert cooked["items_subtotal_computed"] == "0.29"
    assert by_id[str(plain.id)]["total_clopos"] == "" == by_id[str(plain.id)]["receipt_id"]


def test_receipt_totals_cost_no_query_of_their_own(client, manager, django_assert_num_queries):
    for n in range(30):
        Receipt.objects.create(id=9000 + n, status=2, total=Decimal(100 + n))
        make_order(status="DELIVERED", receipt_id=9000 + n)
    mark_synced()
    # session, user, sync state, status counts, the page (totals joined in), the stop list
    with django_assert_num_queries(6):
        body = client.get("/orders/rows/", headers={"HX-Request": "true"}).content.decode()
    assert body.count('data-total="clopos"') == 30
