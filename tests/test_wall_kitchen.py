"""The wall as a kitchen display: station screens and the expo's chips, cooking-time targets,
dine-in tickets, the 86 strip and flags, and cancelled cards' sound ids."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders_app.forms.wall import wall_options
from orders_app.models import Product, Receipt, ReceiptItem, Station, StopListEntry
from orders_app.selectors.routing import routing_for
from orders_app.selectors.stop_list import out_names, stop_list
from orders_app.selectors.wall import wall_board
from orders_app.vocabulary import wall_stage_columns
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db

GRILL, COLD, BAR = 1, 2, 3
KEBAB, SALAD, LEMONADE, COLA, PLOV = 201, 202, 203, 204, 205


@pytest.fixture
def manager_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("chef", password="a-long-pw-12345"))
    return client


@pytest.fixture
def kitchen():
    Station.objects.create(id=GRILL, name="Grill")
    Station.objects.create(id=COLD, name="Cold kitchen")
    Station.objects.create(id=BAR, name="Bar", kitchen=False)
    Product.objects.create(id=KEBAB, name="Kebab", type="DISH", station_id=GRILL, cooking_time=18)
    Product.objects.create(id=SALAD, name="Salad", type="DISH", station_id=COLD, cooking_time=6)
    # The bar is not a kitchen, and GOODS are not cooked: neither sets a target.
    Product.objects.create(
        id=LEMONADE, name="Lemonade", type="DISH", station_id=BAR, cooking_time=40
    )
    Product.objects.create(id=COLA, name="Cola", type="GOODS", station_id=GRILL, cooking_time=30)
    Product.objects.create(id=PLOV, name="Plov", type="DISH", station_id=GRILL, cooking_time=25)
    mark_synced()


def items(*specs):
    return [{"name": name, "count": count, "product_id": pid} for name, count, pid in specs]


def board(query: str = "", **kwargs):
    from django.http import QueryDict

    options = wall_options(QueryDict(query))
    return wall_board(
        stage_columns=wall_stage_columns(options.stages),
        stages=options.stages,
        stations=options.stations,
        tickets=options.tickets,
        channels=options.channels,
        venue=options.venue,
        **kwargs,
    )


def cards(result):
    return {c.key: c for column in result.columns for c in column.cards}


def test_a_station_screen_shows_only_its_items_and_only_orders_with_one(kitchen):
    both = make_order(status="RECEIVED", items=items(("Kebab", 2, KEBAB), ("Salad", 1, SALAD)))
    cold_only = make_order(status="RECEIVED", items=items(("Salad", 3, SALAD)))
    grill = cards(board("station=1"))
    assert set(grill) == {str(both.id)}
    assert [i.name for i in grill[str(both.id)].items] == ["Kebab"]
    result = board("station=1")
    assert [(line.name, line.count) for line in result.all_day] == [("Kebab", 2)]
    assert result.station_names == ("Grill",)
    # Two stations on one screen: the union of their items.
    both_screens = cards(board("station=1&station=2"))
    assert set(both_screens) == {str(both.id), str(cold_only.id)}
    assert [i.name for i in both_screens[str(both.id)].items] == ["Kebab", "Salad"]


def test_the_receipts_routing_wins_over_the_products_station(kitchen):
    # /products says the Salad is cold kitchen's, the receipt sends it to the grill.
    order = make_order(status="RECEIVED", items=items(("Salad", 1, SALAD)), receipt_id=8001)
    receipt = Receipt.objects.create(id=8001, status=1, order_status="NEW")
    ReceiptItem.objects.create(receipt=receipt, position=0, product_id=SALAD, station_id=GRILL)
    assert set(cards(board("station=1"))) == {str(order.id)}
    assert cards(board("station=2")) == {}


def test_the_expo_shows_whole_orders_with_one_chip_per_station(kitchen):
    order = make_order(
        status="RECEIVED",
        items=items(("Kebab", 2, KEBAB), ("Lemonade", 1, LEMONADE), ("Plov", 1, PLOV)),
    )
    card = cards(board())[str(order.id)]
    assert [i.name for i in card.items] == ["Kebab", "Lemonade", "Plov"]
    chips = [(c.name, c.count, c.kitchen) for c in card.stations]
    assert chips == [("Grill", Decimal(3), True), ("Bar", Decimal(1), False)]


def test_the_target_is_the_slowest_kitchen_items_cooking_time(kitchen, manager_client):
    order = make_order(
        status="RECEIVED",
        items=items(("Kebab", 1, KEBAB), ("Lemonade", 1, LEMONADE), ("Cola", 1, COLA)),
    )
    card = cards(board())[str(order.id)]
    assert card.target_minutes == 18  # not the bar's 40, not the GOODS' 30
    html = manager_client.get("/wall/").content.decode()
    tag = html.split(f'data-order="{order.id}"', 1)[1].split(">", 1)[0]
    assert 'data-target="18"' in tag and 'data-red="1080"' in tag and 'data-amber="810"' in tag
    assert "Target 18 min" in html


def test_without_a_cooking_time_the_configured_thresholds_apply(kitchen, manager_client):
    order = make_order(status="RECEIVED", items=items(("Lemonade", 1, LEMONADE)))
    assert cards(board())[str(order.id)].target_minutes is None
    html = manager_client.get("/wall/").content.decode()
    tag = html.split(f'data-order="{order.id}"', 1)[1].split(">", 1)[0]
    assert "data-target" not in tag and "data-red=" in tag  # WALL_AGE_THRESHOLDS' RECEIVED


def test_an_unknown_station_is_named_by_its_id_and_treated_as_a_kitchen(db):
    routing = routing_for(product_ids=[], receipt_ids=[])
    route = routing.route(product_id=None, station_id=77)
    assert route.station.name == "Station 77" and route.holds


def test_dine_in_tickets_appear_only_when_the_screen_asks(kitchen, manager_client):
    now = timezone.now()
    linked = make_order(status="RECEIVED", items=items(("Kebab", 1, KEBAB)), receipt_id=9001)
    Receipt.objects.create(id=9001, status=1, order_status="NEW", created_at=now)
    table = Receipt.objects.create(
        id=9002, status=1, order_status="IN_PROGRESS", table_id=12, guests=3, created_at=now
    )
    ReceiptItem.objects.create(
        receipt=table, position=0, product_id=PLOV, name="Plov", count=2, station_id=GRILL
    )
    assert set(cards(board())) == {str(linked.id)}
    shown = cards(board("tickets=all"))
    assert set(shown) == {str(linked.id), "r9002"}  # the linked receipt is not a second card
    ticket = shown["r9002"]
    assert ticket.ticket == "Table 12 · 3 guests" and ticket.stage == "preparing"
    assert ticket.target_minutes == 25
    html = manager_client.get("/wall/?tickets=all").content.decode()
    assert 'data-id="r9002"' in html and "Table 12 · 3 guests" in html
    tag = html.split('data-id="r9002"', 1)[1].split(">", 1)[0]
    assert "data-order" not in tag and 'data-receipt="9002"' in tag
    # The station screen routes the ticket's lines as the receipt says.
    assert "r9002" in cards(board("tickets=all&station=1"))
    assert "r9002" not in cards(board("tickets=all&station=2"))


def test_a_closed_table_shows_in_done_for_done_minutes_then_leaves(kitchen, settings):
    now = timezone.now()
    Receipt.objects.create(
        id=9100,
        status=2,
        order_status="",
        table_id=4,
        created_at=now - timedelta(hours=1),
        closed_at=now - timedelta(minutes=3),
    )
    Receipt.objects.create(
        id=9101,
        status=2,
        table_id=5,
        created_at=now - timedelta(hours=2),
        closed_at=now - timedelta(minutes=settings.WALL_DONE_MINUTES + 1),
    )
    result = board("tickets=all")
    done = next(c for c in result.columns if c.stage == "done")
    assert [c.key for c in done.cards] == ["r9100"]
    assert done.cards[0].expires_at == now - timedelta(minutes=3) + timedelta(
        minutes=settings.WALL_DONE_MINUTES
    )


def test_tickets_have_no_channel_so_a_channel_screen_leaves_them_off(kitchen):
    Receipt.objects.create(id=9200, status=1, table_id=2, created_at=timezone.now())
    assert "r9200" not in cards(board("tickets=all&channel=wolt"))


def test_the_stop_list_names_products_and_flags_orders_not_yet_cooked(kitchen):
    StopListEntry.objects.create(product_id=PLOV, limit=0)
    StopListEntry.objects.create(product_id=SALAD, limit=3)
    StopListEntry.objects.create(product_id=999, limit=0)  # not in /products
    stop = stop_list()
    assert [(i.name, i.limit, i.out) for i in stop.items] == [
        ("Plov", 0, True),
        ("Product 999", 0, True),
        ("Salad", 3, False),
    ]
    new = make_order(status="PENDING", items=items(("Plov", 1, PLOV), ("Salad", 1, SALAD)))
    cooking = make_order(status="RECEIVED", stage="preparing", items=items(("Plov kazan", 1, PLOV)))
    shown = cards(board())
    assert shown[str(new.id)].out == ("Plov",)  # Salad has 3 left: not flagged
    assert shown[str(cooking.id)].out == ()  # already being cooked
    assert out_names([(PLOV, ""), (PLOV, "Plov"), (None, "Tea")], stop) == ("Plov",)


def test_the_86_strip_and_the_flag_on_the_wall(kitchen, manager_client):
    StopListEntry.objects.create(product_id=PLOV, limit=0)
    StopListEntry.objects.create(product_id=SALAD, limit=1)
    order = make_order(status="PENDING", items=items(("Plov", 1, PLOV)))
    html = manager_client.get("/wall/").content.decode()
    strip = html.split('class="stop-strip"', 1)[1].split("</section>", 1)[0]
    assert 'class="stop-item is-out" data-product="205">Plov<' in strip
    assert "Salad: 1 left" in strip
    card = html.split(f'data-order="{order.id}"', 1)[1].split("</article>", 1)[0]
    assert "86: Plov" in card
    assert 'class="stop-strip"' not in manager_client.get("/wall/?stoplist=0").content.decode()
    # The poll carries the choice.
    assert "stoplist=0" in manager_client.get("/wall/?stoplist=0").context["poll_url"]


def test_hostile_product_names_are_escaped_in_the_strip_and_flags(kitchen, manager_client):
    Product.objects.filter(id=PLOV).update(name="<script>alert(1)</script>")
    StopListEntry.objects.create(product_id=PLOV, limit=0)
    make_order(status="PENDING", items=items(("<img src=x>", 1, PLOV)))
    html = manager_client.get("/wall/").content.decode()
    assert "<script>alert(1)" not in html and "<img src=x>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "86: &lt;img src=x&gt;" in html


def test_no_strip_when_nothing_is_stop_listed(kitchen, manager_client):
    assert 'class="stop-strip"' not in manager_client.get("/wall/").content.decode()


def test_cancelled_cards_are_listed_for_their_sound(kitchen, manager_client):
    now = timezone.now()
    gone = make_order(status="RECEIVED", stage="cancelled", stage_at=now, receipt_id=9300)
    make_order(status="RECEIVED")
    result = board()
    assert result.cancelled_ids == (str(gone.id),)
    html = manager_client.get("/wall/").content.decode()
    assert f'data-cancelled-ids="{gone.id}"' in html
    assert "sounds/cancel" in html


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("station=grill", "is not a station id"),
        ("station=" + "&station=".join(str(i) for i in range(25)), "at most 20 stations"),
        ("tickets=tables", "tickets=tables"),
        ("stoplist=yes", "stoplist=yes"),
    ],
)
def test_a_bad_kitchen_parameter_is_a_notice_not_an_error(manager_client, query, notice):
    mark_synced()
    response = manager_client.get(f"/wall/?{query}")
    assert response.status_code == 200
    assert notice in " ".join(response.context["options"].notices)


def test_the_kitchen_options_survive_the_round_trip(db):
    from django.http import QueryDict

    options = wall_options(QueryDict("station=3&station=1&station=3&tickets=all&stoplist=0"))
    assert options.stations == (1, 3) and options.tickets == "all" and not options.stop_list
    again = wall_options(QueryDict("&".join(f"{k}={v}" for k, v in options.query_items())))
    assert again == options


def test_the_kitchen_wall_costs_a_fixed_number_of_queries(
    kitchen, manager_client, django_assert_max_num_queries
):
    now = timezone.now()
    StopListEntry.objects.create(product_id=PLOV, limit=0)
    for n in range(12):
        make_order(
            status="RECEIVED", items=items(("Kebab", 1, KEBAB), ("Plov", 1, PLOV)), receipt_id=n + 1
        )
        receipt = Receipt.objects.create(id=n + 1, status=1, order_status="NEW", created_at=now)
        ReceiptItem.objects.create(receipt=receipt, position=0, product_id=KEBAB, station_id=1)
    for n in range(5):
        table = Receipt.objects.create(id=500 + n, status=1, table_id=n, created_at=now)
        ReceiptItem.objects.create(receipt=table, position=0, product_id=PLOV, station_id=1)
    # session, user, poll token, sync health, orders, items, modifiers, tickets, their lines,
    # sale types, stations, products, receipt lines, stop list, older open orders.
    with django_assert_max_num_queries(15):
        response = manager_client.get("/wall/poll/?tickets=all&station=1")
    assert response.status_code == 200
    assert response.content.count(b'class="card') >= 17


def test_the_stats_strip_shows_todays_orders_and_median_time_to_accept(manager_client):
    from orders_app.models import OrderEvent

    mark_synced()
    now = timezone.now()
    for seconds in (30, 90, 600):
        order = make_order(status="RECEIVED", created_at=now - timedelta(minutes=20))
        OrderEvent.objects.filter(order=order).update(to_status="PENDING")
        OrderEvent.objects.create(
            order=order,
            kind="status",
            from_status="PENDING",
            to_status="RECEIVED",
            observed_at=order.created_at + timedelta(seconds=seconds),
        )
    make_order(status="PENDING", created_at=now - timedelta(days=1, hours=1))  # yesterday
    assert 'class="stats-strip"' not in manager_client.get("/wall/").content.decode()
    response = manager_client.get("/wall/?stats=1")
    strip = response.content.decode().split('class="stats-strip"', 1)[1].split("</section>")[0]
    assert 'data-stat="orders">3<' in strip
    assert 'data-stat="accept">1 min 32 s<' in strip  # 90 s: the bucket 90-95
    assert "stats=1" in response.context["poll_url"]
