"""The 86 list on the board: the stop-list selector, the header's strip, the rows' flags, the
order page's flag near the items, and what each costs in queries."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from orders_app.models import Product, StopListEntry
from orders_app.selectors.board import STOP_STRIP_MAX, board_page
from orders_app.selectors.order_detail import order_detail_get
from orders_app.selectors.order_filters import BoardFilters
from orders_app.selectors.stop_list import (
    FLAGGED_STAGES,
    StopItem,
    StopList,
    orders_out_names,
    out_names,
    stop_list,
)
from orders_app.selectors.sync import sync_health
from orders_app.vocabulary import STAGES
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
HOSTILE = '<img src=x onerror=alert("86")>Plov & "co"'

PLOV = {"name": "Plov", "product_id": 11, "count": 1, "price": "12.00"}
LAHMACUN = {"name": "Lahmacun", "product_id": 12, "count": 2, "price": "5.00"}
DOLMA = {"name": "Dolma", "product_id": 13, "count": 1, "price": "7.00"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def manager(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mgr", password="pw-long-123456"))


@pytest.fixture
def eighty_sixed():
    """Plov and Lahmacun are out, Dolma has 3 left (names from /products)."""
    for pid, name in ((11, "Plov"), (12, "Lahmacun"), (13, "Dolma")):
        Product.objects.create(id=pid, name=name)
    StopListEntry.objects.create(product_id=11, limit=0)
    StopListEntry.objects.create(product_id=12, limit=0)
    StopListEntry.objects.create(product_id=13, limit=3)


def strip_of(body: str) -> str:
    return body.split('id="stop-strip"', 1)[1].split("</section>", 1)[0]


def row_of(body: str, order_id: int) -> str:
    return body.split(f'data-order-id="{order_id}"', 1)[1].split("</tbody>", 1)[0]


# --- The selector ------------------------------------------------------------------------------


def test_the_stop_list_is_one_query_out_first_then_fewest_left(django_assert_num_queries):
    Product.objects.create(id=1, name="Zeytun")
    Product.objects.create(id=2, name="ayran")
    Product.objects.create(id=3, name="Borsch")
    Product.objects.create(id=4, name="   ")
    for pid, limit in ((1, 0), (2, 5), (3, 2), (4, -1), (5, 2)):
        StopListEntry.objects.create(product_id=pid, limit=limit)
    with django_assert_num_queries(1):
        stop = stop_list()
    assert [(i.name, i.limit) for i in stop.items] == [
        ("Product 4", -1),  # a blank name falls back, and a negative limit is out
        ("Zeytun", 0),
        ("Borsch", 2),
        ("Product 5", 2),  # not in /products
        ("ayran", 5),
    ]
    assert [i.name for i in stop.out] == ["Product 4", "Zeytun"]
    assert stop.out_ids == frozenset({1, 4})
    assert [i.name for i in stop.low] == ["Borsch", "Product 5", "ayran"]


def test_an_empty_stop_list_is_falsy_and_strips_to_nothing():
    stop = stop_list()
    assert not stop and not stop.strip() and stop.strip().omitted == 0
    assert orders_out_names([make_order(status="PENDING", items=[PLOV])], stop) == {}


def test_the_strip_shows_the_first_items_and_keeps_the_rest_behind_more():
    stop = StopList(items=tuple(StopItem(product_id=n, name=f"P{n}", limit=0) for n in range(5)))
    strip = stop.strip(3)
    assert [i.name for i in strip.shown] == ["P0", "P1", "P2"]
    assert [i.name for i in strip.rest] == ["P3", "P4"] and strip.omitted == 2
    assert stop.strip(5).omitted == 0 == stop.omitted(5)


def test_out_names_are_the_items_own_names_in_order_each_once(eighty_sixed):
    stop = stop_list()
    items = [(12, "Lahmacun (big)"), (13, "Dolma"), (None, "Bread"), (11, " "), (12, "x")]
    # Lahmacun under the order's own name; Dolma is low, not out; a blank name uses /products.
    assert out_names(items, stop) == ("Lahmacun (big)", "Plov", "x")
    assert out_names(items, stop.by_product) == out_names(items, stop)
    assert out_names([(13, "Dolma")], stop) == ()


def test_the_flagged_stages_are_kitchen_stages_before_cooking():
    assert set(FLAGGED_STAGES) <= set(STAGES)
    assert "preparing" not in FLAGGED_STAGES and "done" not in FLAGGED_STAGES


def test_orders_out_names_reads_only_the_out_items_of_unstarted_orders_in_one_query(
    eighty_sixed, django_assert_num_queries
):
    new = make_order(status="PENDING", items=[DOLMA, PLOV, LAHMACUN])
    accepted = make_order(status="RECEIVED", stage="accepted", items=[LAHMACUN])
    scheduled = make_order(status="RECEIVED", stage="scheduled", items=[PLOV])
    preparing = make_order(status="RECEIVED", stage="preparing", items=[PLOV])
    done = make_order(status="DELIVERED", items=[PLOV])
    fine = make_order(status="PENDING", items=[DOLMA])
    stop = stop_list()
    orders = [new, accepted, scheduled, preparing, done, fine]
    with django_assert_num_queries(1):
        flags = orders_out_names(orders, stop)
    assert flags == {
        new.id: ("Plov", "Lahmacun"),
        accepted.id: ("Lahmacun",),
        scheduled.id: ("Plov",),
    }
    with django_assert_num_queries(0):  # no order in a flagged stage: no query
        assert orders_out_names([preparing, done], stop) == {}


def test_nothing_out_costs_no_flag_query(django_assert_num_queries):
    StopListEntry.objects.create(product_id=13, limit=3)  # low, not out
    order = make_order(status="PENDING", items=[DOLMA])
    stop = stop_list()
    with django_assert_num_queries(0):
        assert orders_out_names([order], stop) == {}


# --- The board ---------------------------------------------------------------------------------


def test_the_board_header_shows_out_products_and_the_ones_running_low(
    client, manager, eighty_sixed
):
    body = client.get("/").content.decode()
    strip = strip_of(body)
    assert body.index('id="stop-strip"') < body.index('id="board-filters"')
    assert "Stop list" in strip
    assert re.findall(r'stop-item--(\w+)" data-product-id="\d+">([^<]*)<', strip) == [
        ("out", "86: Lahmacun"),
        ("out", "86: Plov"),
        ("low", "Dolma: 3 left"),
    ]
    assert "more" not in strip


def test_the_strip_is_hidden_while_nothing_is_on_the_stop_list(client, manager):
    make_order()
    body = client.get("/").content.decode()
    assert '<section id="stop-strip" class="stop-strip" hidden></section>' in body
    assert "86:" not in body


def test_a_long_stop_list_shows_the_first_few_and_more_behind_a_disclosure(client, manager):
    for pid in range(1, STOP_STRIP_MAX + 4):
        StopListEntry.objects.create(product_id=pid, limit=0)
    strip = strip_of(client.get("/").content.decode())
    shown, rest = strip.split('class="stop-more"', 1)
    assert shown.count('class="stop-item ') == STOP_STRIP_MAX
    assert "<summary>+3 more</summary>" in rest and rest.count('class="stop-item ') == 3


def test_a_new_order_with_an_out_product_is_flagged_and_one_being_cooked_is_not(
    client, manager, eighty_sixed
):
    new = make_order(status="PENDING", items=[PLOV, DOLMA, LAHMACUN])
    preparing = make_order(status="RECEIVED", stage="preparing", items=[PLOV])
    fine = make_order(status="PENDING", items=[DOLMA])
    body = client.get("/").content.decode()
    assert '<span class="flag86"' in row_of(body, new.id)
    assert ">86: Plov, Lahmacun</span>" in row_of(body, new.id)
    assert "flag86" not in row_of(body, preparing.id)
    assert "flag86" not in row_of(body, fine.id)


def test_hostile_product_names_are_escaped_in_the_strip_and_the_flags(client, manager):
    Product.objects.create(id=11, name=HOSTILE)
    StopListEntry.objects.create(product_id=11, limit=0)
    Product.objects.create(id=13, name="<b>Dolma</b>")
    StopListEntry.objects.create(product_id=13, limit=1)
    order = make_order(status="PENDING", items=[{**PLOV, "name": HOSTILE}])
    for body in (
        client.get("/").content.decode(),
        client.get("/", headers=HX).content.decode(),
        client.get(f"/orders/{order.id}/").content.decode(),
    ):
        assert "<img" not in body and "<b>Dolma" not in body
        assert (
            "86: &lt;img src=x onerror=alert(&quot;86&quot;)&gt;Plov &amp; &quot;co&quot;" in body
        )
    assert "&lt;b&gt;Dolma&lt;/b&gt;: 1 left" in client.get("/").content.decode()


def test_the_polled_list_carries_the_strip_out_of_band_and_follows_the_stop_list(
    client, manager, eighty_sixed
):
    make_order(status="PENDING", items=[PLOV])
    mark_synced()
    token = sync_health().poll_token
    body = client.get("/orders/rows/?v=stale", headers=HX).content.decode()
    assert (
        '<section id="stop-strip" class="stop-strip" aria-labelledby="stop-strip-title" '
        'hx-swap-oob="true">' in body
    )
    assert "86: Plov" in strip_of(body)
    # The sync takes Plov off the list and moves the data version: the next poll says so.
    StopListEntry.objects.filter(product_id=11).delete()
    mark_synced()
    assert sync_health().poll_token != token
    body = client.get(f"/orders/rows/?v={token}", headers=HX).content.decode()
    assert "86: Plov" not in body and "86: Lahmacun" in strip_of(body)
    # Emptied: the out-of-band strip hides itself.
    StopListEntry.objects.all().delete()
    body = client.get("/orders/rows/", headers=HX).content.decode()
    assert (
        '<section id="stop-strip" class="stop-strip" hidden hx-swap-oob="true"></section>' in body
    )


def test_an_invalid_filter_keeps_the_strip(client, manager, eighty_sixed):
    response = client.get("/?from=nope")
    assert response.status_code == 400
    assert "86: Plov" in strip_of(response.content.decode())


def test_the_board_page_gives_its_stop_list_and_flags_to_the_rows(eighty_sixed):
    order = make_order(status="PENDING", items=[LAHMACUN])
    searched = board_page(filters=BoardFilters(q=str(order.id)))
    for page in (board_page(filters=BoardFilters()), searched):
        assert [o.out_names for o in page.orders] == [("Lahmacun",)]
        assert [i.name for i in page.stop_strip.shown] == ["Lahmacun", "Plov", "Dolma"]


# --- What it costs -----------------------------------------------------------------------------


@pytest.mark.parametrize("orders_on_page", [1, 40])
@pytest.mark.parametrize("out", [False, True])
def test_the_flags_cost_one_query_for_the_page_whatever_its_size(
    client, manager, django_assert_num_queries, orders_on_page, out
):
    if out:
        StopListEntry.objects.create(product_id=11, limit=0)
    for n in range(orders_on_page):
        make_order(status="PENDING" if n % 2 else "RECEIVED", items=[PLOV, DOLMA])
    mark_synced()
    # session, user, sync state, status counts, the page of orders (names and receipt total
    # joined in), the stop list; and only when something is out, the page's 86'd items
    with django_assert_num_queries(7 if out else 6):
        body = client.get("/orders/rows/", headers=HX).content.decode()
    assert body.count('class="flag86"') == (orders_on_page if out else 0)


def test_a_page_of_finished_orders_costs_no_flag_query(client, manager, django_assert_num_queries):
    StopListEntry.objects.create(product_id=11, limit=0)
    for _ in range(3):
        make_order(status="DELIVERED", items=[PLOV])
    mark_synced()
    with django_assert_num_queries(6):
        body = client.get("/orders/rows/", headers=HX).content.decode()
    assert "flag86" not in body and "86: Product 11" in strip_of(body)


# --- The order page and panel ------------------------------------------------------------------


def test_the_order_page_and_panel_flag_the_out_items_near_the_items(client, manager, eighty_sixed):
    order = make_order(status="RECEIVED", stage="accepted", items=[PLOV, DOLMA])
    for url in (f"/orders/{order.id}/", f"/orders/{order.id}/panel/"):
        body = client.get(url).content.decode()
        items = body.split('class="detail-items"', 1)[1].split("</section>", 1)[0]
        assert items.index("<strong>86: Plov</strong>") < items.index('<table class="items">')
        plov, dolma = items.split('<tr class="item">')[1:3]
        assert 'class="flag86 flag86--item"' in plov and "flag86" not in dolma


def test_an_order_being_cooked_is_not_flagged_and_costs_no_stop_list_query(
    eighty_sixed, django_assert_num_queries
):
    preparing = make_order(status="RECEIVED", stage="preparing", items=[PLOV])
    new = make_order(status="PENDING", items=[PLOV])
    # order, items, modifiers, events, the outbox's writes for it, stations
    with django_assert_num_queries(6):
        assert order_detail_get(order_id=preparing.id).out_names == ()
    # ... and the stop list
    with django_assert_num_queries(7):
        assert order_detail_get(order_id=new.id).out_names == ("Plov",)
