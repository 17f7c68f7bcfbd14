"""The kitchen's side of a pass, over real HTTP against the simulator: receipts (backfill,
incremental, idle cost), order-receipt links, stages, stations and products, the stop list,
SYNC_RECEIPTS=0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import ClientSettings
from orders_app.models import (
    Order,
    Product,
    Receipt,
    ReceiptEvent,
    Station,
    StopListEntry,
    SyncState,
)
from orders_app.services.sync import sync_pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen_client(settings):
    """kitchen_client(server) -> a CloposClient on the simulator: 10 rows a page, no retries,
    no sleeping."""
    clients = []

    def make(server):
        client = CloposClient(
            ClientSettings(
                base_url=server.base_url,
                **settings.CLOPOS_DEMO_CREDENTIALS,
                requests_per_minute=300,
                page_size=10,
                max_retries=0,
                timeout=5,
                backoff_base=0.0,
            ),
            sleep=lambda _seconds: None,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def receipts_requests(sim) -> list:
    return sim.requests_to("/receipts")


def test_the_first_pass_backfills_receipts_with_items_stations_and_links(simulator, kitchen_client):
    sim = simulator.simulator
    sync_pass(client=kitchen_client(simulator))
    expected = set(sim.receipt_ids())
    assert expected and set(Receipt.objects.values_list("id", flat=True)) == expected
    first = receipts_requests(sim)[0].query
    assert (first["sort[0]"], first["sort[1]"]) == ("created_at", "1")
    assert "receipt_products.product.station" in first.values()
    with_items = Receipt.objects.filter(items__isnull=False).distinct()
    assert with_items.count() == Receipt.objects.count()
    assert Station.objects.filter(kitchen=False).exists()  # the bar
    assert Product.objects.filter(station_id__isnull=False).exists()
    state = SyncState.get()
    assert state.receipts_watermark is not None and state.receipts_backfill_completed_at
    assert state.receipts_off_reason == ""


def test_received_orders_are_linked_to_their_receipts_a_few_per_pass(simulator, kitchen_client):
    sim = simulator.simulator
    client = kitchen_client(simulator)
    for _ in range(6):
        sync_pass(client=client)
    linked = Order.objects.filter(receipt_id__isnull=False)
    assert linked.exists()
    for order in linked:
        assert sim.receipt_for_order(order.id)["id"] == order.receipt_id
    for order in Order.objects.filter(status="PENDING"):
        assert order.receipt_id is None


def test_orders_whose_receipt_never_comes_cannot_eat_the_rate_budget(simulator, kitchen_client):
    from orders_app.services.sync.kitchen import RECEIPT_LINKS_PER_PASS

    sim = simulator.simulator
    client = kitchen_client(simulator)
    sync_pass(client=client)
    now = timezone.now()
    ids = sim.order_ids()[:20]
    # Only these twenty may be due: every other order was just asked about.
    Order.objects.exclude(id__in=ids).update(receipt_checked_at=now)

    def unlinked(*, young_checked: float, old_checked: float) -> list[int]:
        """Twenty accepted orders without a receipt, half 10 minutes old, half 2 hours; the
        order ids the next pass asks Clopos about."""
        for n, order_id in enumerate(ids):
            young = n % 2 == 1
            Order.objects.filter(id=order_id).update(
                status="RECEIVED",
                receipt_id=None,
                receipt_checked_at=now - timedelta(minutes=young_checked if young else old_checked),
                created_at=now - timedelta(minutes=10 if young else 120),
            )
        sim.reset_log()
        sync_pass(client=client, now=now)
        return [
            int(e.path.rsplit("/", 1)[1])
            for e in list(sim.request_log)
            if e.path.startswith("/orders/")
        ]

    # All due: only RECEIPT_LINKS_PER_PASS requests, the newest orders first.
    asked = unlinked(young_checked=60, old_checked=60)
    assert len(asked) == RECEIPT_LINKS_PER_PASS == 1
    assert all(Order.objects.get(id=i).created_at > now - timedelta(minutes=30) for i in asked)
    # Young ones asked a minute ago are not due; old ones asked 3 minutes ago wait 15.
    assert unlinked(young_checked=1, old_checked=3) == []
    assert len(unlinked(young_checked=1, old_checked=16)) == RECEIPT_LINKS_PER_PASS


def test_an_idle_pass_costs_one_receipts_request(simulator, kitchen_client):
    sim = simulator.simulator
    client = kitchen_client(simulator)
    for _ in range(6):  # backfill, then links until every RECEIVED order was asked once
        sync_pass(client=client)
    sim.reset_log()
    sync_pass(client=client)
    assert len(receipts_requests(sim)) == 1
    assert receipts_requests(sim)[0].query["sort[0]"] == "updated_at"


def test_an_idle_pass_costs_two_requests_and_six_queries(
    simulator, kitchen_client, django_assert_num_queries
):
    """Idle with receipts on: the orders walk's four queries (sync state, skipped ids, the
    page's hashes, the one write of the sync state), the receipts page's hashes, and the check
    for orders due a receipt link. The stop list and stations/products are not due: no
    request, no query (their times come from the state read at the pass's start)."""
    sim = simulator.simulator
    client = kitchen_client(simulator)
    for _ in range(6):
        sync_pass(client=client)
    version = SyncState.get().data_version
    sim.reset_log()
    with django_assert_num_queries(6) as captured:
        result = sync_pass(client=client)
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert len(writes) == 1 and "orders_app_syncstate" in writes[0]
    assert [entry.path.rsplit("/", 1)[-1] for entry in sim.request_log] == ["orders", "receipts"]
    assert result.requests == 2 and SyncState.get().data_version == version


def test_a_receipt_moved_in_clopos_moves_its_orders_stage_and_the_timeline(
    simulator, kitchen_client
):
    sim = simulator.simulator
    client = kitchen_client(simulator)
    for _ in range(6):
        sync_pass(client=client)
    order = Order.objects.filter(
        receipt_id__isnull=False, stage__in=["accepted", "preparing", "ready"]
    ).first()
    assert order is not None, "the simulator should have an open receipt"
    target, stage = ("IN_PROGRESS", "preparing") if order.stage == "ready" else ("READY", "ready")
    version = SyncState.get().data_version
    sim.set_receipt_status(order.receipt_id, target)
    sim.clock.advance(5)
    sync_pass(client=client)
    order.refresh_from_db()
    assert order.stage == stage
    assert SyncState.get().data_version > version
    assert ReceiptEvent.objects.filter(
        receipt_id=order.receipt_id, kind="order_status", to_value=target
    ).exists()
    sim.close_receipt(order.receipt_id)
    sim.clock.advance(5)
    sync_pass(client=client)
    order.refresh_from_db()
    assert order.stage == "done"
    assert ReceiptEvent.objects.filter(receipt_id=order.receipt_id, kind="closed").exists()


def test_the_stop_list_is_read_on_its_own_cadence(simulator, kitchen_client, settings):
    settings.SYNC_STOPLIST_SECONDS = 60
    sim = simulator.simulator
    client = kitchen_client(simulator)
    product = Product.objects.none()
    sync_pass(client=client)
    product = Product.objects.filter(type="DISH").first()
    sim.stop_product(product.id, limit=0)
    sim.reset_log()
    sync_pass(client=client, now=timezone.now() + timedelta(seconds=10))
    assert sim.requests_to("/products/stop-list") == []  # not due yet
    sync_pass(client=client, now=timezone.now() + timedelta(seconds=61))
    assert len(sim.requests_to("/products/stop-list")) == 1
    assert StopListEntry.objects.get(product_id=product.id).limit == 0


def test_without_receipts_the_board_and_wall_behave_as_before_and_say_so_once(
    simulator, kitchen_client, settings
):
    settings.SYNC_RECEIPTS = False
    sim = simulator.simulator
    client = kitchen_client(simulator)
    sync_pass(client=client)
    sync_pass(client=client)
    assert receipts_requests(sim) == [] and sim.requests_to("/products/stop-list") == []
    assert Receipt.objects.count() == 0
    assert SyncState.get().receipts_off_reason.startswith("SYNC_RECEIPTS=0")
    assert set(Order.objects.values_list("stage", flat=True)) <= {
        "new",
        "accepted",
        "done",
        "ignored",
    }


def test_receipts_refused_lately_are_left_alone_then_tried_again_and_the_reason_cleared(
    simulator, kitchen_client
):
    sim = simulator.simulator
    client = kitchen_client(simulator)
    sync_pass(client=client)
    now = timezone.now()
    SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
        receipts_off_reason="Clopos refused receipts: 403", receipts_refused_at=now
    )
    sim.reset_log()
    sync_pass(client=client, now=now + timedelta(minutes=10))
    assert receipts_requests(sim) == []
    assert SyncState.get().receipts_off_reason == "Clopos refused receipts: 403"

    sync_pass(client=client, now=now + timedelta(hours=2))
    assert len(receipts_requests(sim)) == 1
    state = SyncState.get()
    assert (state.receipts_off_reason, state.receipts_refused_at) == ("", None)


def test_the_summary_line_counts_receipts_links_and_stop_list_changes(
    simulator, kitchen_client, settings
):
    settings.SYNC_STOPLIST_SECONDS = 60
    sim = simulator.simulator
    client = kitchen_client(simulator)
    first = sync_pass(client=client)
    receipts = len(sim.receipt_ids())
    line = first.summary_line()
    assert line.startswith(f"sync ok created={first.created} updated=0 unchanged=0 skipped=0 ")
    assert (
        f" receipts_created={receipts} receipts_updated=0 receipts_unchanged=0"
        f" receipts_skipped=0 receipts_linked={first.receipts_linked}"
        f" stop_list_changes={StopListEntry.objects.count()}"
    ) in line
    assert first.receipts_linked > 0

    order = Order.objects.filter(receipt_id__isnull=False).first()
    sim.set_receipt_status(order.receipt_id, "READY")
    sim.stop_product(
        Product.objects.filter(type="DISH")
        .exclude(id__in=StopListEntry.objects.values("product_id"))
        .first()
        .id,
        limit=0,
    )
    sim.clock.advance(5)
    later = sync_pass(client=client, now=timezone.now() + timedelta(seconds=61))
    assert later.receipts_created == 0 and later.receipts_updated == 1
    assert later.receipts_unchanged == later.receipts_read - 1 > 0
    assert f" receipts_updated=1 receipts_unchanged={later.receipts_unchanged} " in (
        later.summary_line()
    )
    assert later.summary_line().endswith(" stop_list_changes=1")


def test_without_receipts_the_summary_line_has_no_receipt_counts(
    simulator, kitchen_client, settings
):
    settings.SYNC_RECEIPTS = False
    line = sync_pass(client=kitchen_client(simulator)).summary_line()
    assert "receipts_" not in line and "stop_list" not in line
