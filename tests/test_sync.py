"""Sync against the Clopos simulator over real HTTP (orders_app/services/sync/)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import given, settings

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import ClientSettings
from orders_app.clopos.payloads import content_hash, parse_order
from orders_app.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderItemModifier,
    SaleType,
    SkippedOrder,
    SyncState,
    Venue,
)
from orders_app.services.sync import (
    SyncFailed,
    parse_rows,
    store_orders,
    sync_pass,
)
from tests.test_payloads import messy_orders, raw_order, raw_product, with_products

pytestmark = pytest.mark.django_db

SETTINGS_FIELDS = {f.name for f in dataclasses.fields(ClientSettings)}


@pytest.fixture(autouse=True)
def _orders_walk_alone(settings):
    """These tests are about the orders walk; the kitchen's part of a pass (receipts, links,
    stations and products, the stop list) has its own, tests/test_sync_kitchen.py."""
    settings.SYNC_RECEIPTS = False


@pytest.fixture
def make_client(settings):
    """make_client(server, **options) -> a CloposClient on the simulator (demo credentials),
    10 orders a page, no retries and no real sleeping unless asked."""
    clients = []

    def make(server, **options):
        defaults = {
            "requests_per_minute": 300,
            "page_size": 10,
            "max_retries": 0,
            "timeout": 5,
            "backoff_base": 0.0,
        }
        options = {"sleep": lambda _seconds: None, **defaults, **options}
        configured = {k: options.pop(k) for k in list(options) if k in SETTINGS_FIELDS}
        client = CloposClient(
            ClientSettings(
                base_url=server.base_url, **settings.CLOPOS_DEMO_CREDENTIALS, **configured
            ),
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def cache_snapshot() -> tuple:
    orders = sorted(Order.objects.values_list("id", "status", "content_hash", "updated_at"))
    items = sorted(
        OrderItem.objects.values_list("order_id", "position", "name", "count", "price", "note")
    )
    modifiers = sorted(
        OrderItemModifier.objects.values_list(
            "item__order_id", "item__position", "position", "name", "shape"
        )
    )
    return orders, items, modifiers


def assert_cache_matches(sim) -> None:
    """Every visible simulator order is cached, with exactly the content the API serves."""
    expected = {i: content_hash(sim.order(i, relations=())) for i in sim.order_ids()}
    actual = dict(Order.objects.values_list("id", "content_hash"))
    assert actual == expected


def orders_requests(sim) -> list:
    return sim.requests_to("/orders")


# --- Backfill -----------------------------------------------------------------------------------


def test_first_pass_backfills_every_order_with_items_modifiers_and_seen_events(
    simulator, make_client
):
    sim = simulator.simulator

    result = sync_pass(client=make_client(simulator))

    assert result.ok and result.mode == "backfill"
    assert result.created == len(sim.order_ids()) == Order.objects.count()
    assert_cache_matches(sim)
    assert OrderItem.objects.count() > Order.objects.count()
    assert OrderItemModifier.objects.exists()
    assert OrderEvent.objects.filter(kind="seen").count() == Order.objects.count()
    shapes = set(OrderItemModifier.objects.values_list("shape", flat=True))
    assert {"modifier", "modificator", "id_name", "nested"} <= shapes


def test_backfill_reads_created_at_ascending_with_a_padded_window(simulator, make_client, settings):
    settings.SYNC_BACKFILL_DAYS = 7
    today = timezone.localdate()

    sync_pass(client=make_client(simulator))

    first = orders_requests(simulator.simulator)[0].query
    assert first["sort[0]"] == "created_at"
    assert first["sort[1]"] == "1"
    assert first["date[0]"] == (today - timedelta(days=8)).isoformat()
    assert first["date[1]"] == (today + timedelta(days=1)).isoformat()


def test_backfill_keeps_what_the_padded_window_returns(simulator_factory, make_client, settings):
    settings.SYNC_BACKFILL_DAYS = 0
    server = simulator_factory(orders=60, days=5)
    sim = server.simulator
    today = timezone.localdate()
    in_window = {
        i
        for i in sim.order_ids()
        if parse_order(sim.order(i)).created_at.astimezone(timezone.get_current_timezone()).date()
        >= today - timedelta(days=1)
    }

    sync_pass(client=make_client(server))

    assert set(Order.objects.values_list("id", flat=True)) == in_window
    assert len(in_window) < len(sim.order_ids())


def test_since_backfills_from_that_date_padded_by_a_day(simulator, make_client):
    since = timezone.localdate() - timedelta(days=2)

    result = sync_pass(client=make_client(simulator), since=since)

    assert result.mode == "backfill"
    first = orders_requests(simulator.simulator)[0].query
    assert first["date[0]"] == (since - timedelta(days=1)).isoformat()


def test_full_backfill_sends_no_date_window(simulator, make_client):
    result = sync_pass(client=make_client(simulator), full=True)

    assert result.mode == "full"
    first = orders_requests(simulator.simulator)[0].query
    assert "date[0]" not in first
    assert_cache_matches(simulator.simulator)


def test_first_pass_stores_venues_and_sale_types(simulator, make_client):
    sim = simulator.simulator

    sync_pass(client=make_client(simulator))

    assert {(v["id"], v["name"]) for v in sim.venues()} == set(
        Venue.objects.values_list("id", "name")
    )
    assert {s["id"] for s in sim.sale_types()} == set(SaleType.objects.values_list("id", flat=True))


def test_backfill_records_success_on_sync_state(simulator, make_client):
    result = sync_pass(client=make_client(simulator))

    state = SyncState.get()
    assert state.source == "demo"
    assert state.backfill_completed_at is not None
    assert state.last_success_at is not None
    assert state.watermark is not None
    assert state.consecutive_failures == 0
    assert state.data_version == result.data_version > 0
    assert state.last_pass["created"] == result.created
    assert state.last_pass["requests"] == result.requests


# --- Incremental --------------------------------------------------------------------------------


def test_incremental_pass_picks_up_new_orders_and_status_changes(simulator, make_client):
    sim = simulator.simulator
    client = make_client(simulator)
    sync_pass(client=client)
    changed_id = sim.order_ids()[-1]
    before = Order.objects.get(id=changed_id).status
    new = sim.add_order()
    sim.set_status(changed_id, "IGNORE" if before != "IGNORE" else "DELIVERED")
    sim.reset_log()

    result = sync_pass(client=client)

    assert result.mode == "incremental"
    assert (result.created, result.updated) == (1, 1)
    assert Order.objects.filter(id=new["id"]).exists()
    event = OrderEvent.objects.get(order_id=changed_id, kind="status")
    assert event.from_status == before
    assert event.to_status == Order.objects.get(id=changed_id).status
    assert event.remote_updated_at == Order.objects.get(id=changed_id).updated_at
    query = orders_requests(sim)[0].query
    assert (query["sort[0]"], query["sort[1]"]) == ("updated_at", "-1")
    assert "date[0]" not in query
    assert_cache_matches(sim)


def test_changed_order_gets_its_items_replaced(simulator, make_client):
    sim = simulator.simulator
    client = make_client(simulator)
    sync_pass(client=client)
    order_id = sim.order_ids()[0]
    sim.clock.advance(60)
    sim.update_order(
        order_id,
        products=[{"product_id": 9, "product_name": "Dushbara", "count": 2, "price": 6}],
    )

    sync_pass(client=client)

    items = list(OrderItem.objects.filter(order_id=order_id).values_list("name", "count"))
    assert items == [("Dushbara", Decimal(2))]
    assert Order.objects.get(id=order_id).items_total == Decimal(12)


def test_idle_pass_makes_one_request_and_writes_nothing_but_the_sync_state(
    simulator, make_client, django_assert_num_queries
):
    sim = simulator.simulator
    client = make_client(simulator, page_size=50)
    sync_pass(client=client)
    version = SyncState.get().data_version
    cached = cache_snapshot()
    sim.reset_log()

    # Reads: sync state, skipped ids, the page's stored hashes; one write: the sync state.
    with django_assert_num_queries(4) as captured:
        result = sync_pass(client=client)

    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert len(writes) == 1 and "orders_app_syncstate" in writes[0]
    assert len(orders_requests(sim)) == 1
    assert len(sim.request_log) == 1
    assert result.requests == 1
    assert (result.created, result.updated, result.skipped) == (0, 0, 0)
    assert SyncState.get().data_version == version
    assert cache_snapshot() == cached


def test_data_version_moves_only_when_something_changed(simulator, make_client):
    sim = simulator.simulator
    client = make_client(simulator)
    sync_pass(client=client)
    version = SyncState.get().data_version

    sync_pass(client=client)
    assert SyncState.get().data_version == version

    sim.clock.advance(30)
    sim.add_order()
    sync_pass(client=client)
    assert SyncState.get().data_version == version + 1


def test_incremental_stops_once_past_the_watermark_minus_overlap(simulator_factory, make_client):
    server = simulator_factory(orders=80, days=3)
    sim = server.simulator
    client = make_client(server, page_size=10)
    sync_pass(client=client)
    sim.clock.advance(3600)  # statuses move on by themselves too
    for order_id in sim.order_ids()[:15]:
        sim.set_status(order_id, "IGNORE")
    cached = dict(Order.objects.values_list("id", "content_hash"))
    changed = sum(content_hash(sim.order(i, relations=())) != cached[i] for i in sim.order_ids())
    sim.reset_log()

    result = sync_pass(client=client)

    assert result.updated == changed >= 15
    # Pages of changed rows, then one page that reaches back past the watermark.
    assert len(orders_requests(sim)) == changed // 10 + 1
    assert len(orders_requests(sim)) < 8  # not the whole history (80 orders)
    assert_cache_matches(sim)


# --- Reconcile ----------------------------------------------------------------------------------


def test_reconcile_catches_an_order_the_incremental_pass_missed(
    simulator_factory, make_client, settings
):
    server = simulator_factory(orders=200, days=1)
    sim = server.simulator
    client = make_client(server)
    sync_pass(client=client)
    # An order whose updated_at is hours older than the watermark: incremental stops long
    # before its page (it only ever reads back to the watermark minus the overlap).
    watermark = SyncState.get().watermark
    late = sim.add_order(created_at=watermark - timedelta(hours=3), status="RECEIVED")

    quick = sync_pass(client=client)
    assert not quick.reconciled
    assert not Order.objects.filter(id=late["id"]).exists()

    later = timezone.now() + timedelta(minutes=settings.SYNC_RECONCILE_MINUTES + 1)
    sim.reset_log()
    result = sync_pass(client=client, now=later)

    assert result.reconciled
    assert Order.objects.filter(id=late["id"]).exists()
    reconcile_query = orders_requests(sim)[-1].query
    today = timezone.localdate(later)
    assert reconcile_query["date[0]"] == (today - timedelta(days=1)).isoformat()
    assert reconcile_query["date[1]"] == (today + timedelta(days=1)).isoformat()
    assert sim.requests_to("/venues") and sim.requests_to("/sale-types")
    assert SyncState.get().last_reconcile_at == later


# --- Drift: pages shifting while a pass runs ----------------------------------------------------


def test_backfill_loses_nothing_when_orders_arrive_and_change_between_pages(simulator, make_client):
    sim = simulator.simulator
    ids = sim.order_ids()
    seen_pages = []

    def on_request(method, path, status, elapsed):
        if path != "/orders":
            return
        seen_pages.append(status)
        if len(seen_pages) == 2:
            sim.clock.advance(45)
            sim.add_order()  # appends after everything (created_at ascending)
            sim.set_status(ids[0], "IGNORE")  # on page 1, already read
            sim.set_status(ids[-1], "IGNORE")  # on the last page, not read yet

    client = make_client(simulator, on_request=on_request)
    first = sync_pass(client=client)

    assert len(seen_pages) >= 3
    assert set(ids) <= set(Order.objects.values_list("id", flat=True))
    assert Order.objects.get(id=ids[-1]).status == "IGNORE"
    second = sync_pass(client=client)
    assert first.ok and second.ok
    assert_cache_matches(sim)
    assert Order.objects.get(id=ids[0]).status == "IGNORE"


def test_incremental_loses_nothing_when_pages_shift_and_repeats_are_harmless(
    simulator_factory, make_client
):
    server = simulator_factory(orders=60, days=3)
    sim = server.simulator
    ids = sim.order_ids()
    calls = []

    def on_request(method, path, status, elapsed):
        if path == "/orders" and tracking:
            calls.append(path)
            if len(calls) == 1:
                sim.clock.advance(20)
                sim.add_order()
                sim.set_status(ids[40], "DELIVERED")  # was further down: moves to the top
                sim.set_status(ids[41], "DELIVERED")

    tracking = False
    client = make_client(server, on_request=on_request)
    sync_pass(client=client)
    sim.clock.advance(600)
    for order_id in ids[:25]:
        sim.set_status(order_id, "IGNORE")
    tracking = True

    first = sync_pass(client=client)

    # Everything changed before the pass started is in; rows pushed down were read twice.
    statuses = dict(Order.objects.filter(id__in=ids[:25]).values_list("id", "status"))
    assert set(statuses.values()) == {"IGNORE"}
    assert first.unchanged >= 1
    assert first.created + first.updated + first.unchanged + first.skipped == first.orders_read
    tracking = False
    sync_pass(client=client)
    assert_cache_matches(sim)


def test_watermark_follows_clopos_clock_so_a_slow_server_clock_loses_nothing(
    simulator_factory, make_client
):
    # Clopos's clock is 30 minutes behind ours (more than the 5-minute overlap).
    server = simulator_factory(orders=30, now=timezone.now() - timedelta(minutes=30))
    sim = server.simulator
    ids = sim.order_ids()
    target = next(i for i in ids[:10] if sim.order(i)["status"] != "IGNORE")
    orders_fetched = []

    def on_request(method, path, status, elapsed):
        if path != "/orders" or orders_fetched:
            return
        orders_fetched.append(path)  # after the first page of the backfill:
        sim.clock.advance(60)
        sim.set_status(target, "IGNORE")  # a page-1 order changes after it was read
        sim.clock.advance(60)
        for order_id in ids[10:25]:  # more changes, a little later
            sim.set_status(order_id, "IGNORE")
        sim.clock.advance(20 * 60)
        for _ in range(15):  # and new orders well after that
            sim.add_order()

    client = make_client(server, on_request=on_request)
    sync_pass(client=client)
    assert Order.objects.get(id=target).status != "IGNORE"  # read before it changed

    sync_pass(client=client)

    assert Order.objects.get(id=target).status == "IGNORE"
    assert_cache_matches(sim)


def test_an_order_seen_twice_in_one_batch_is_stored_once():
    parsed, _ = parse_rows([raw_order(5), raw_order(5, status="DELIVERED"), raw_order(6)])

    result = store_orders(parsed)

    assert (result.created, result.unchanged) == (2, 1)
    assert Order.objects.count() == 2
    assert Order.objects.get(id=6).parse_warnings == []
    assert OrderEvent.objects.filter(order_id=5).count() == 1


def test_storing_the_same_page_twice_changes_nothing():
    parsed, _ = parse_rows([raw_order(5), raw_order(6)])
    store_orders(parsed)
    before = cache_snapshot()
    version = SyncState.get().data_version

    result = store_orders(parsed)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert not result.changed
    assert cache_snapshot() == before
    assert SyncState.get().data_version == version


def test_an_older_copy_of_an_order_never_overwrites_a_newer_one():
    newer = raw_order(5, status="DELIVERED", updated_at="2026-02-02T18:00:00Z")
    older = raw_order(5, status="RECEIVED", updated_at="2026-02-02T17:00:00Z")
    store_orders(parse_rows([newer])[0])

    result = store_orders(parse_rows([older])[0])

    assert result.unchanged == 1
    assert Order.objects.get(id=5).status == "DELIVERED"


# --- Unusable orders ----------------------------------------------------------------------------


BASE = "http://clopos.test/open-api/v2"


def page_body(rows, total=None):
    return {"success": True, "data": rows, "total": len(rows) if total is None else total}


@responses.activate
def test_a_bad_order_is_skipped_and_recorded_and_the_pass_goes_on():
    rows = [
        raw_order(1),
        {"id": 2, "status": "PENDING", "created_at": "not a date"},
        "garbage",
        raw_order(3),
    ]
    responses.get(f"{BASE}/orders", json=page_body(rows))
    register_reference_data()
    client = CloposClient(
        ClientSettings(base_url=BASE, token="t0ken-for-tests"), sleep=lambda _s: None
    )

    result = sync_pass(client=client)

    assert result.ok
    assert (result.created, result.skipped) == (2, 2)
    assert set(Order.objects.values_list("id", flat=True)) == {1, 3}
    skipped = dict(SkippedOrder.objects.values_list("remote_id", "reason"))
    assert skipped["2"] == "created_at 'not a date' is not a date and time"
    assert any(r.startswith("(no id)") for r in skipped)
    assert SkippedOrder.objects.get(remote_id="2").raw["created_at"] == "not a date"


def register_reference_data() -> None:
    responses.get(f"{BASE}/venues", json=page_body([]))
    responses.get(f"{BASE}/sale-types", json=page_body([]))


@responses.activate
def test_a_server_that_caps_the_page_size_is_read_to_its_total():
    rows = [raw_order(i) for i in range(1, 6)]
    for start in (0, 2, 4):  # we ask for 10 a page; the server gives 2
        responses.get(f"{BASE}/orders", json=page_body(rows[start : start + 2], total=5))
    register_reference_data()
    client = CloposClient(
        ClientSettings(base_url=BASE, token="t0ken-for-tests"), sleep=lambda _s: None
    )

    result = sync_pass(client=client, page_size=10)

    assert result.created == 5
    assert len([c for c in responses.calls if "/orders" in c.request.url]) == 3


@responses.activate
def test_a_server_that_ignores_the_page_number_does_not_loop_for_ever():
    same = page_body([raw_order(1), raw_order(2)], total=50)
    for _ in range(5):
        responses.get(f"{BASE}/orders", json=same)
    register_reference_data()
    client = CloposClient(
        ClientSettings(base_url=BASE, token="t0ken-for-tests"), sleep=lambda _s: None
    )

    result = sync_pass(client=client, page_size=2)

    assert result.created == 2
    assert len([c for c in responses.calls if "/orders" in c.request.url]) == 2


def test_a_skipped_order_leaves_the_list_once_it_parses():
    bad = {"id": 7, "created_at": None}
    parsed, skipped = parse_rows([bad])
    store_orders(parsed, skipped)
    assert SkippedOrder.objects.filter(remote_id="7").exists()

    parsed, skipped = parse_rows([raw_order(7)])
    store_orders(parsed, skipped)

    assert not SkippedOrder.objects.filter(remote_id="7").exists()
    assert Order.objects.filter(id=7).exists()


def test_a_skipped_order_seen_again_unchanged_costs_no_write(django_assert_num_queries):
    parsed, skipped = parse_rows([{"id": 7, "created_at": None}])
    store_orders(parsed, skipped)

    with django_assert_num_queries(2):  # known skipped ids, and the skipped rows themselves
        store_orders(parsed, skipped)

    assert SkippedOrder.objects.get(remote_id="7").times_seen == 1


# --- Failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "504", "html", "truncated", "success_false", "429"])
def test_failure_keeps_the_cache_and_counts_failures(simulator, make_client, kind):
    sim = simulator.simulator
    client = make_client(simulator)
    sync_pass(client=client)
    before = cache_snapshot()
    success = SyncState.get().last_success_at
    sim.clock.advance(30)
    sim.add_order()
    sim.inject(kind, count=2)

    with pytest.raises(SyncFailed) as caught:
        sync_pass(client=client)

    state = SyncState.get()
    assert cache_snapshot() == before
    assert state.consecutive_failures == 1
    assert state.last_error == str(caught.value)
    assert "Clopos" in state.last_error
    assert state.failing_since is not None
    assert state.last_success_at == success
    assert not caught.value.internal

    with pytest.raises(SyncFailed):
        sync_pass(client=client)
    assert SyncState.get().consecutive_failures == 2
    assert SyncState.get().failing_since == state.failing_since


def test_a_slow_answer_past_the_client_timeout_is_a_failure(simulator_factory, make_client):
    server = simulator_factory(slow_seconds=1.5)
    server.simulator.inject("slow")

    with pytest.raises(SyncFailed, match="did not answer"):
        sync_pass(client=make_client(server, timeout=0.3))

    assert SyncState.get().consecutive_failures == 1
    assert Order.objects.count() == 0


@pytest.mark.parametrize("kind", ["500", "504", "html", "truncated", "429", "slow"])
def test_transient_faults_are_retried_and_the_pass_succeeds(simulator_factory, make_client, kind):
    server = simulator_factory(slow_seconds=1.0)
    sim = server.simulator
    sim.inject(kind, count=2)

    result = sync_pass(client=make_client(server, max_retries=3, timeout=0.4))

    assert result.ok
    assert_cache_matches(sim)


def test_an_expired_token_is_renewed_and_the_pass_succeeds(simulator, make_client):
    client = make_client(simulator)
    sync_pass(client=client)
    simulator.simulator.expire_tokens()

    result = sync_pass(client=client)

    assert result.ok
    assert simulator.simulator.requests_to("/auth")


def test_success_after_failures_clears_the_failure_count(simulator, make_client):
    client = make_client(simulator)
    sync_pass(client=client)
    simulator.simulator.inject("500")
    with pytest.raises(SyncFailed):
        sync_pass(client=client)

    sync_pass(client=client)

    state = SyncState.get()
    assert state.consecutive_failures == 0
    assert state.failing_since is None
    assert state.last_error  # kept as history; /healthz judges by the count


def test_wrong_credentials_fail_in_plain_words_without_the_secret(simulator, settings):
    client = CloposClient(
        ClientSettings(
            base_url=simulator.base_url,
            client_id="pass-demo",
            client_secret="wrong-secret-value",
            brand="pass-demo",
            integrator_id="pass-demo-integrator",
            max_retries=0,
        ),
        sleep=lambda _s: None,
    )

    with pytest.raises(SyncFailed):
        sync_pass(client=client)

    state = SyncState.get()
    assert "CLOPOS_CLIENT_SECRET" in state.last_error
    assert "wrong-secret-value" not in state.last_error


# --- A pass killed midway -----------------------------------------------------------------------


class Killed(Exception):
    pass


def test_a_pass_killed_midway_leaves_whole_pages_and_the_next_pass_converges(
    simulator, make_client
):
    sim = simulator.simulator
    pages = []

    def die_before_the_third_page_is_written():
        pages.append(1)
        if len(pages) == 3:
            raise Killed

    with pytest.raises(SyncFailed) as caught:
        sync_pass(client=make_client(simulator), check_lease=die_before_the_third_page_is_written)

    assert isinstance(caught.value.__cause__, Killed)
    assert caught.value.internal
    assert Order.objects.count() == 20  # two whole pages of 10
    for order in Order.objects.all():
        assert order.items.count() == len(order.raw["payload"].get("products") or [])
    assert SyncState.get().backfill_completed_at is None
    assert "internal error (Killed)" in SyncState.get().last_error

    sync_pass(client=make_client(simulator))
    converged = cache_snapshot()
    assert_cache_matches(sim)

    Order.objects.all().delete()
    SyncState.objects.all().delete()
    sync_pass(client=make_client(simulator))
    assert cache_snapshot()[1:] == converged[1:]
    assert [o[:3] for o in cache_snapshot()[0]] == [o[:3] for o in converged[0]]


def add_failing_trigger() -> None:
    """Make the database refuse a modifier named BOOM (rolled back with the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION pass_boom() RETURNS trigger AS $$ BEGIN "
                "IF NEW.name = 'BOOM' THEN RAISE EXCEPTION 'boom' USING ERRCODE = '23514'; "
                "END IF; RETURN NEW; "
                "END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON orders_app_orderitemmodifier "
                "FOR EACH ROW EXECUTE FUNCTION pass_boom()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON orders_app_orderitemmodifier "
                "WHEN NEW.name = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )


@pytest.mark.skipif(connection.vendor not in {"sqlite", "postgresql"}, reason="needs a trigger")
def test_an_order_the_database_refuses_is_parked_whole_and_the_pass_goes_on(simulator, make_client):
    sim = simulator.simulator
    victim = sim.order_ids()[15]  # on page 2
    sim.update_order(
        victim,
        products=[
            {
                "product_name": "Plov",
                "count": 1,
                "price": 9,
                "product_modificators": [{"modifier_id": 1, "modifier_name": "BOOM"}],
            }
        ],
    )
    add_failing_trigger()

    result = sync_pass(client=make_client(simulator))

    assert result.ok
    assert result.skipped == 1
    assert result.created == len(sim.order_ids()) - 1
    # The refused order left nothing half-written behind: no order row, no items.
    assert not Order.objects.filter(id=victim).exists()
    assert not OrderItem.objects.filter(order_id=victim).exists()
    parked = SkippedOrder.objects.get(remote_id=str(victim))
    assert parked.reason.startswith("the database refused this order (IntegrityError")
    assert parked.raw["id"] == victim
    for order in Order.objects.all():
        assert order.items.count() == len(order.raw["payload"].get("products") or [])


# --- Stopping between pages ---------------------------------------------------------------------


def test_should_stop_finishes_the_current_page_and_keeps_the_backfill_open(simulator, make_client):
    result = sync_pass(client=make_client(simulator), should_stop=lambda: True)

    assert result.stopped and result.ok
    assert Order.objects.count() == 10
    assert SyncState.get().backfill_completed_at is None
    assert result.summary_line().startswith("sync stopped created=10 ")


def test_a_stop_during_a_backfill_reads_at_most_one_page_ahead(simulator, make_client):
    sim = simulator.simulator

    sync_pass(client=make_client(simulator), should_stop=lambda: True)

    assert [e.query.get("page") for e in sim.request_log if e.path == "/orders"] == ["1", "2"]


def test_a_stop_asked_after_the_last_page_leaves_a_complete_pass(simulator, make_client):
    pages = []

    result = sync_pass(
        client=make_client(simulator),
        progress=pages.append,
        should_stop=lambda: len(pages) >= 4,  # 40 orders, 10 a page: after the last one
    )

    assert result.ok and not result.stopped
    assert result.summary_line().startswith("sync ok created=40 ")
    assert SyncState.get().backfill_completed_at is not None


def test_summary_line_reads_as_documented(simulator, make_client):
    result = sync_pass(client=make_client(simulator))

    line = result.summary_line()
    assert line.startswith(f"sync ok created={result.created} updated=0 unchanged=0 skipped=0 ")
    assert f" requests={result.requests} " in line
    assert f" version={result.data_version} " in line


def test_stored_rows_read_back_exactly_as_parsed():
    raw = raw_order(11)
    raw["payload"]["products"][0]["product_modificators"] = [
        {"modificator": {"id": 3, "name": "Sumaq", "price": 0.25}, "count": 2}
    ]
    raw["payload"]["delivery_fee"] = "bad"
    (parsed,), _ = parse_rows([raw])

    store_orders([parsed])

    order = Order.objects.get(id=11)
    # Stored exactly as the ORM stores them: its own lookups find the row.
    assert Order.objects.filter(created_at=parsed.created_at, updated_at=parsed.updated_at).exists()
    assert Order.objects.filter(created_at__gte=parsed.created_at - timedelta(seconds=1)).exists()
    assert Order.objects.filter(items_total=parsed.items_total, raw__id=11).exists()
    for column in ("created_at", "updated_at", "discount_value", "delivery_fee", "items_total"):
        assert getattr(order, column) == getattr(parsed, column), column
    assert order.raw == raw
    assert order.service_charge_enabled is True
    assert order.parse_warnings == list(parsed.warnings) != []
    assert order.search_text == parsed.search_text
    (item,) = order.items.all()
    assert (item.name, item.count, item.price, item.line_total) == ("Pizza", 2, Decimal("8.5"), 17)
    assert item.raw == raw["payload"]["products"][0]
    (modifier,) = item.modifiers.all()
    assert (modifier.name, modifier.shape, modifier.count, modifier.price) == (
        "Sumaq",
        "nested",
        2,
        Decimal("0.25"),
    )
    event = order.events.get()
    assert (event.kind, event.to_status, event.remote_updated_at) == (
        "seen",
        "RECEIVED",
        parsed.updated_at,
    )


def test_null_items_and_modifiers_are_stored_as_json_null():
    raw = with_products(None, raw_product(product_modificators=[None]), order_id=13)

    store_orders(parse_rows([raw])[0])

    first, second = OrderItem.objects.filter(order_id=13).order_by("position")
    assert first.raw is None and first.name == "null"
    assert second.modifiers.get().raw is None


def test_payloads_with_nan_nul_and_broken_characters_are_stored_not_fatal():
    raw = raw_order(12)
    raw["payload"]["delivery_fee"] = float("-inf")
    raw["payload"]["customer"]["name"] = "\x00Nigar\udc00"
    bad = {"id": "x\x00y\ud800", "created_at": float("nan")}
    parsed, skipped = parse_rows([raw, bad])

    result = store_orders(parsed, skipped)

    assert (result.created, result.skipped) == (1, 1)
    order = Order.objects.get(id=12)
    assert order.customer_name == "Nigar\ufffd"
    assert order.raw["payload"]["delivery_fee"] == "-Infinity"
    skipped_row = SkippedOrder.objects.get()
    assert skipped_row.remote_id == "xy\ufffd"
    assert skipped_row.raw["created_at"] == "NaN"


@settings(max_examples=60, deadline=None)
@given(messy_orders())
def test_any_order_that_parses_can_be_stored_and_stored_again(raw):
    with transaction.atomic():
        parsed, _ = parse_rows([raw])
        assert store_orders(parsed).created == 1
        changed = {**raw, "updated_at": "2030-01-01T00:00:00Z", "status": "DELIVERED"}
        assert store_orders(parse_rows([changed])[0]).updated == 1
        assert Order.objects.get(id=raw["id"]).status == "DELIVERED"
        transaction.set_rollback(True)


def test_summary_line_adds_the_kitchens_counts_after_the_orders_when_receipts_were_walked():
    from orders_app.services.sync import PassResult

    result = PassResult(created=2, requests=3, seconds=0.5, data_version=7)
    plain = "sync ok created=2 updated=0 unchanged=0 skipped=0 requests=3 seconds=0.50 version=7"
    assert result.summary_line() == plain + " mode=incremental"
    result.receipts = True
    result.receipts_created, result.receipts_updated, result.receipts_unchanged = 4, 1, 9
    result.receipts_skipped, result.receipts_linked, result.stop_list_changes = 2, 3, 1
    result.reconciled = True
    assert result.summary_line() == (
        plain + " mode=incremental receipts_created=4 receipts_updated=1 receipts_unchanged=9"
        " receipts_skipped=2 receipts_linked=3 stop_list_changes=1 reconciled=1"
    )
