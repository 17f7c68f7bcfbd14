"""The board's views over HTTP: filters, fragments, polling, detail, export, login."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from orders_app.models import Order, OrderEvent
from orders_app.selectors.sync import sync_health
from tests.fixtures.orders import make_order, mark_failing, mark_synced

BAKU = ZoneInfo("Asia/Baku")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Channel choices are cached per data version; each test starts without them."""
    cache.clear()
    yield
    cache.clear()


HX = {"HX-Request": "true"}


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user(username="boss", password="a-long-password-1")
    client.force_login(user)
    return user


def listed_ids(response) -> list[int]:
    return [
        int(i)
        for i in re.findall(
            r'<tbody class="order" data-order-id="(\d+)"', response.content.decode()
        )
    ]


def board(client, query: str = "", **headers):
    return client.get(f"/?{query}", headers=headers)


# --- Login --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/orders/rows/", "/orders/export.csv", "/orders/1/", "/orders/1/panel/"]
)
def test_every_board_page_requires_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_an_htmx_request_without_a_session_sends_the_page_to_the_login(client):
    response = client.get(
        "/orders/rows/?v=1-ok",
        headers={**HX, "HX-Current-URL": "http://testserver/?status=PENDING"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F%3Fstatus%3DPENDING"


@pytest.mark.django_db
def test_the_login_page_is_styled_like_the_app_and_keeps_django_field_names(client):
    response = client.get("/accounts/login/?next=/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in body and 'name="password"' in body and 'name="next"' in body
    assert "orders_app/app.css" in body


# --- Full page, fragment, history restore -----------------------------------------------------


@pytest.mark.django_db
def test_the_board_renders_a_full_page_with_filters_and_rows(client, manager, reference_data):
    order = make_order(customer_name="Leyla Məmmədova", customer_phone="+994 50 123 45 67")
    mark_synced()
    response = board(client)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and 'id="board-filters"' in body
    assert listed_ids(response) == [order.id]
    assert f'href="/orders/{order.id}/"' in body
    assert "Leyla Məmmədova" in body and "+994 50 123 45 67" in body
    assert "Nizami (Main)" in body and "Catdirilma" in body  # venue and sale type names
    assert 'class="status status--pending"' in body and ">New<" in body  # label, not colour alone
    assert "Items subtotal" in body
    assert 'hx-push-url="true"' in body


@pytest.mark.django_db
def test_an_htmx_request_gets_only_the_list_with_counts_and_sync_state_out_of_band(client, manager):
    make_order(status="PENDING")
    mark_synced()
    response = board(client, "status=PENDING", **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="board-filters"' not in body
    assert body.lstrip().startswith('<section id="board-results"')
    assert '<span class="chip-count" id="count-PENDING" hx-swap-oob="true">1</span>' in body
    assert 'id="sync-status"' in body and 'id="sync-banner"' in body


@pytest.mark.django_db
def test_an_htmx_history_restore_gets_the_full_page(client, manager):
    make_order()
    response = board(client, "status=PENDING", **HX, **{"HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


@pytest.mark.django_db
def test_the_full_page_shows_the_filter_values_it_was_given(client, manager, reference_data):
    make_order(type="WEB_ORDER", integration="website")
    response = board(
        client,
        "status=RECEIVED&from=2026-01-02&to=2026-01-03&venue=2&channel=website&q=plov&sort=updated",
    )
    body = response.content.decode()
    assert 'value="RECEIVED" checked' in body
    assert 'name="from" id="id_from" value="2026-01-02"' in body
    assert 'name="to" id="id_to" value="2026-01-03"' in body
    assert '<option value="2" selected>Port Baku</option>' in body
    assert '<option value="website" selected>website</option>' in body
    assert 'value="plov"' in body
    assert '<option value="updated" selected>' in body


# --- Filters -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_filter_takes_one_or_several_statuses(client, manager):
    pending = make_order(status="PENDING")
    received = make_order(status="RECEIVED")
    delivered = make_order(status="DELIVERED")
    assert listed_ids(board(client, "status=PENDING")) == [pending.id]
    assert set(listed_ids(board(client, "status=RECEIVED&status=DELIVERED"))) == {
        received.id,
        delivered.id,
    }


@pytest.mark.django_db
def test_status_chips_count_the_current_filter_whatever_status_is_picked(client, manager):
    make_order(status="PENDING", venue_id=1)
    make_order(status="PENDING", venue_id=1)
    make_order(status="DELIVERED", venue_id=1)
    make_order(status="DELIVERED", venue_id=2)
    body = board(client, "venue=1&status=DELIVERED").content.decode()
    assert re.search(r'id="count-PENDING">2<', body)
    assert re.search(r'id="count-DELIVERED">1<', body)
    assert re.search(r'id="count-IGNORE">0<', body)


@pytest.mark.django_db
def test_dates_are_whole_days_in_the_configured_time_zone_inclusive(client, manager):
    late = make_order(created_at=datetime(2026, 3, 1, 23, 30, tzinfo=BAKU))  # 19:30 UTC
    early = make_order(
        created_at=datetime(2026, 3, 1, 0, 5, tzinfo=BAKU)
    )  # 20:05 UTC the day before
    next_day = make_order(
        created_at=datetime(2026, 3, 2, 0, 10, tzinfo=BAKU)
    )  # 20:10 UTC on 1 March
    before = make_order(created_at=datetime(2026, 2, 28, 23, 59, tzinfo=BAKU))
    assert listed_ids(board(client, "from=2026-03-01&to=2026-03-01")) == [late.id, early.id]
    assert listed_ids(board(client, "from=2026-03-02")) == [next_day.id]
    assert listed_ids(board(client, "to=2026-02-28")) == [before.id]


@pytest.mark.django_db
def test_channel_matches_the_order_type_or_the_integration(client, manager):
    call = make_order(type="CALL_CENTER_ORDER", integration="call_center_new")
    web = make_order(type="WEB_ORDER", integration="website")
    assert listed_ids(board(client, "channel=CALL_CENTER_ORDER")) == [call.id]
    assert listed_ids(board(client, "channel=website")) == [web.id]
    assert listed_ids(board(client, "channel=nothing-like-it")) == []


@pytest.mark.django_db
def test_venue_filter(client, manager):
    make_order(venue_id=1)
    port = make_order(venue_id=2)
    assert listed_ids(board(client, "venue=2")) == [port.id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "+994 50 123 45 67",
        "050 123 45 67",
        "(050) 123-45-67",
        "501234567",
        "45 67",
    ],
)
def test_search_finds_a_phone_whatever_the_spacing_and_prefix(client, manager, query):
    wanted = make_order(customer_phone="+994501234567")
    make_order(customer_phone="+994709998877")
    assert listed_ids(board(client, urlencode({"q": query}))) == [wanted.id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("Иван Петров", "иван"),
        ("иван петров", "ИВАН ПЕТРОВ"),
        ("Алёна", "АЛЕНА"),
        ("Leyla Məmmədova", "MƏMMƏDOVA"),
        ("İsmayıl Şükürov", "ismayil sukurov"),
        ("ISMAYIL", "ısmayıl"),
        ("Rahid Akhundzada", "AKHUND"),
    ],
)
def test_search_is_case_insensitive_in_russian_azerbaijani_and_latin(
    client, manager, stored, query
):
    wanted = make_order(customer_name=stored)
    make_order(customer_name="Somebody Else")
    assert listed_ids(board(client, urlencode({"q": query}))) == [wanted.id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("extra CHEESE", "modifier"),
        ("margherita", "product"),
        ("28 may küçəsi", "address"),
        ("no onions", "item note"),
        ("leave at the door", "comment"),
    ],
)
def test_search_looks_in_products_modifiers_notes_address_and_comment(
    client, manager, query, field
):
    wanted = make_order(comment="Leave at the DOOR")
    make_order(
        items=[{"name": "Lahmacun", "count": 1, "price": "4"}],
        customer_address="Nizami 10",
    )
    assert listed_ids(board(client, urlencode({"q": query}))) == [wanted.id], field


@pytest.mark.django_db
def test_search_finds_an_order_by_its_id(client, manager):
    wanted = make_order(id=4242424)
    make_order(id=1111111)
    assert listed_ids(board(client, "q=4242424")) == [wanted.id]


@pytest.mark.django_db
def test_filters_combine(client, manager):
    day = datetime(2026, 3, 1, 12, 0, tzinfo=BAKU)
    wanted = make_order(
        status="DELIVERED",
        venue_id=1,
        type="CALL_CENTER_ORDER",
        created_at=day,
        customer_name="Nigar",
    )
    make_order(
        status="PENDING",
        venue_id=1,
        type="CALL_CENTER_ORDER",
        created_at=day,
        customer_name="Nigar",
    )
    make_order(
        status="DELIVERED",
        venue_id=2,
        type="CALL_CENTER_ORDER",
        created_at=day,
        customer_name="Nigar",
    )
    make_order(
        status="DELIVERED",
        venue_id=1,
        type="WEB_ORDER",
        integration="web",
        created_at=day,
        customer_name="Nigar",
    )
    make_order(
        status="DELIVERED",
        venue_id=1,
        type="CALL_CENTER_ORDER",
        created_at=day + timedelta(days=1),
        customer_name="Nigar",
    )
    make_order(
        status="DELIVERED",
        venue_id=1,
        type="CALL_CENTER_ORDER",
        created_at=day,
        customer_name="Kamran",
    )
    query = (
        "status=DELIVERED&venue=1&channel=CALL_CENTER_ORDER&from=2026-03-01&to=2026-03-01&q=nigar"
    )
    assert listed_ids(board(client, query)) == [wanted.id]


@pytest.mark.django_db
def test_sort_by_created_or_updated(client, manager):
    now = timezone.now()
    old_but_touched = make_order(
        created_at=now - timedelta(hours=5), updated_at=now - timedelta(minutes=1)
    )
    new_untouched = make_order(
        created_at=now - timedelta(hours=1), updated_at=now - timedelta(hours=1)
    )
    assert listed_ids(board(client)) == [new_untouched.id, old_but_touched.id]
    assert listed_ids(board(client, "sort=updated")) == [old_but_touched.id, new_untouched.id]


@pytest.mark.django_db
def test_pages_split_the_list_and_a_page_past_the_end_shows_the_last(client, manager, settings):
    settings.BOARD_PAGE_SIZE = 5
    now = timezone.now()
    orders = [make_order(created_at=now - timedelta(minutes=i), items=[]) for i in range(12)]
    newest_first = [o.id for o in orders]
    assert listed_ids(board(client)) == newest_first[:5]
    page2 = board(client, "page=2")
    assert listed_ids(page2) == newest_first[5:10]
    assert "Page 2 of 3" in page2.content.decode()
    assert listed_ids(board(client, "page=3")) == newest_first[10:]
    assert listed_ids(board(client, "page=99")) == newest_first[10:]


@pytest.mark.django_db
def test_empty_states_say_why_the_list_is_empty(client, manager):
    assert "Waiting for the first sync" in board(client).content.decode()
    mark_synced()
    assert "No orders yet" in board(client).content.decode()
    make_order(status="PENDING")
    assert "No orders match these filters" in board(client, "status=IGNORE").content.decode()


# --- Invalid filters ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "From: Use a date like"),
        ("to=yesterday", "To: Use a date like"),
        ("from=2026-03-02&to=2026-03-01", "The end date is before the start date"),
        ("from=1900-01-01", "Pick a date between"),
        ("status=COOKING", "Status: Select a valid choice"),
        ("venue=abc", "Venue: Pick a venue from the list"),
        ("page=0", "Page: Ensure this value is greater than or equal to 1"),
        ("sort=price", "Sort: Select a valid choice"),
        ("q=" + "x" * 201, "Search"),
    ],
)
def test_an_invalid_filter_is_a_form_error_with_400(client, manager, query, message):
    full = board(client, query)
    assert full.status_code == 400
    assert message in full.content.decode()
    assert "<html" in full.content.decode()
    fragment = board(client, query, **HX)
    assert fragment.status_code == 400
    assert message in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


QUERY_KEYS = ["status", "from", "to", "channel", "venue", "q", "sort", "page", "v", "x"]


@pytest.mark.django_db
@hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(QUERY_KEYS), st.text(max_size=40)),
        max_size=8,
    ),
    # A raw query string as bytes on the wire (WSGI hands it over latin-1 decoded).
    raw=st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
)
def test_no_query_string_makes_the_board_fail(client, manager, pairs, raw):
    if not Order.objects.filter(id=777).exists():  # the database outlives each example
        make_order(id=777)
    for query in (urlencode(pairs), raw):
        for path in ("/", "/orders/rows/", "/orders/export.csv"):
            response = client.get(path, QUERY_STRING=query)
            assert response.status_code in (200, 204, 400), (path, query, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)


# --- Polling -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_polling_with_the_current_token_gets_204_and_a_changed_token_the_list(client, manager):
    make_order()
    mark_synced()
    token = sync_health().poll_token
    unchanged = client.get(f"/orders/rows/?v={token}", headers=HX)
    assert unchanged.status_code == 204
    assert unchanged.content == b""

    make_order(id=31337)
    mark_synced()
    changed = client.get(f"/orders/rows/?v={token}", headers=HX)
    assert changed.status_code == 200
    assert 31337 in listed_ids(changed)
    new_token = sync_health().poll_token
    assert f"v={new_token}" in changed.content.decode()


@pytest.mark.django_db
def test_the_poll_url_carries_the_filters_the_page_and_the_token(client, manager, settings):
    settings.BOARD_PAGE_SIZE = 5
    for _ in range(7):
        make_order(status="PENDING", items=[])
    mark_synced()
    body = board(client, "status=PENDING&page=2&q=rahid").content.decode()
    token = sync_health().poll_token
    assert (
        f'data-poll-url="/orders/rows/?status=PENDING&amp;q=rahid&amp;page=2&amp;v={token}'
        '&amp;wait=5"' in body
    )
    assert 'data-poll-seconds="5"' in body
    assert 'data-poll-hold="5"' in body
    # The plain transport: no hold asked for, the page polls on its interval.
    settings.SCREEN_UPDATES = "poll"
    body = board(client, "status=PENDING&page=2&q=rahid").content.decode()
    assert f'page=2&amp;v={token}"' in body
    assert 'data-poll-hold="0"' in body


@pytest.mark.django_db
def test_a_sync_health_change_moves_the_poll_token(client, manager):
    mark_synced()
    token = sync_health().poll_token
    mark_failing(error="Clopos answered 503")
    response = client.get(f"/orders/rows/?v={token}", headers=HX)
    assert response.status_code == 200
    assert "Clopos answered 503" in response.content.decode()


@pytest.mark.django_db
def test_the_unchanged_poll_costs_the_session_and_one_sync_state_query(
    client, manager, django_assert_num_queries
):
    mark_synced()
    token = sync_health().poll_token
    with django_assert_num_queries(3):  # session, user, sync state
        assert client.get(f"/orders/rows/?v={token}", headers=HX).status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize("orders_on_page", [1, 40])
def test_the_list_costs_the_same_queries_whatever_the_page_size(
    client, manager, reference_data, django_assert_num_queries, orders_on_page
):
    for _ in range(orders_on_page):
        make_order()
    mark_synced()
    # session, user, sync state, status counts, the page of orders (names and receipt total
    # joined in), the stop list (empty: no flag query; tests/test_board_stop_list.py)
    with django_assert_num_queries(6):
        response = client.get("/orders/rows/?q=rahid&status=PENDING", headers=HX)
    assert len(listed_ids(response)) == orders_on_page


# --- One order -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_order_is_404(client, manager):
    assert client.get("/orders/123456789/").status_code == 404
    assert client.get("/orders/123456789/panel/").status_code == 404


@pytest.mark.django_db
def test_the_order_page_shows_items_modifiers_customer_details_and_timeline(
    client, manager, reference_data
):
    created = timezone.now() - timedelta(minutes=30)
    order = make_order(
        created_at=created,
        first_seen_at=created + timedelta(seconds=20),
        customer_phone="+994 50 123 45 67",
        comment="Call before arriving",
        delivery_fee="2.50",
        customer_remote_id="C-77",
        customer_ref_id="REF-9",
        integration_id="ext-55",
        discount_type="1",
        discount_value="10",
        service_charge_enabled=True,
        service_charge_value="5",
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status="PENDING",
        to_status="RECEIVED",
        observed_at=created + timedelta(minutes=4, seconds=20),
    )
    response = client.get(f"/orders/{order.id}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and "Print" in body
    assert "Pizza Margherita" in body and "Extra cheese" in body and "No onions" in body
    assert body.index("Pizza Margherita") < body.index("Extra cheese") < body.index("Plov")
    assert '<a href="tel:+994501234567">+994 50 123 45 67</a>' in body
    assert "28 May küçəsi 5, Bakı" in body and "C-77" in body and "REF-9" in body
    assert "Call before arriving" in body and "ext-55" in body
    assert "type 1 · value 10" in body and "as given" in body
    assert "on · value 5" in body
    assert "₼2.50" in body  # delivery fee
    assert "Items subtotal (computed)" in body and "₼29.00" in body
    assert "Created in Clopos" in body and "First seen by Pass" in body and "Status changed" in body
    assert "+20 s" in body and "+4 min" in body


@pytest.mark.django_db
def test_the_panel_is_a_fragment_of_the_same_detail(client, manager):
    order = make_order()
    response = client.get(f"/orders/{order.id}/panel/", headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Extra cheese" in body and "Timeline" in body


@pytest.mark.django_db
def test_money_uses_the_configured_currency_and_scale(client, manager, settings):
    settings.CURRENCY = "AZN "
    settings.MONEY_DIVISOR = 100
    order = make_order(items=[{"name": "Dolma", "count": 2, "price": "450"}])
    assert "AZN 9.00" in board(client).content.decode()
    assert "AZN 4.50" in client.get(f"/orders/{order.id}/").content.decode()


@pytest.mark.django_db
def test_hostile_text_is_escaped_everywhere(client, manager):
    evil = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    order = make_order(
        customer_name=evil,
        comment=evil,
        items=[{"name": evil, "count": 1, "price": "1", "modifiers": [{"name": evil}]}],
    )
    for response in (
        board(client),
        client.get(f"/orders/{order.id}/"),
        client.get(f"/orders/{order.id}/panel/"),
    ):
        body = response.content.decode()
        assert "<script>alert(2)" not in body
        assert "<img src=x" not in body
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in body


# --- Header -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_header_says_when_data_was_synced_with_a_demo_badge(client, manager):
    state = mark_synced(ago=8, source="demo")
    body = board(client).content.decode()
    assert "8 s ago" in body
    assert f'datetime="{state.last_success_at.isoformat()}" data-ago' in body
    assert ">Demo</span>" in body
    mark_synced(source="live")
    assert ">Demo</span>" not in board(client).content.decode()


@pytest.mark.django_db
def test_stale_data_shows_an_amber_banner_and_failing_sync_a_red_one_with_the_error(
    client, manager
):
    mark_synced(ago=600, source="live")
    stale = board(client).content.decode()
    assert "banner--stale" in stale and "Data may be out of date" in stale
    mark_failing(error="Clopos did not answer (timeout after 10 s)")
    failing = board(client).content.decode()
    assert "banner--failing" in failing
    assert "Sync with Clopos is failing" in failing
    assert "Clopos did not answer (timeout after 10 s)" in failing


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_csv_export_streams_every_order_of_the_current_filter(
    client, manager, reference_data, settings
):
    settings.BOARD_PAGE_SIZE = 5
    for _ in range(7):
        make_order(status="DELIVERED", items=[])
    make_order(status="PENDING")
    response = client.get("/orders/export.csv?status=DELIVERED&page=2")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="pass-orders-')
    rows = read_csv(response)
    assert rows[0][:4] == ["order_id", "created_at", "updated_at", "status"]
    assert "items_subtotal_computed" in rows[0]
    assert len(rows) == 1 + 7  # every page, not just the current one
    assert {r[3] for r in rows[1:]} == {"DELIVERED"}


@pytest.mark.django_db
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(client, manager):
    make_order(
        customer_name='=HYPERLINK("http://evil","x")',
        comment="@SUM(A1)",
        customer_address="-2+3",
        customer_phone="+994501234567",
    )
    rows = read_csv(client.get("/orders/export.csv"))
    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    assert record["customer_name"] == '\'=HYPERLINK("http://evil","x")'
    assert record["comment"] == "'@SUM(A1)"
    assert record["customer_address"] == "'-2+3"
    assert record["customer_phone"] == "'+994501234567"
    assert record["venue"] == ""


@pytest.mark.django_db
def test_csv_export_of_an_invalid_filter_is_400(client, manager):
    response = client.get("/orders/export.csv?from=nope")
    assert response.status_code == 400
    assert "from" in response.content.decode()


@pytest.mark.django_db
def test_an_invalid_filter_stops_polling_so_the_error_stays(client, manager):
    body = board(client, "from=nope", **HX).content.decode()
    assert 'data-poll-url=""' in body


@pytest.mark.django_db
def test_board_responses_are_not_cached_and_vary_on_htmx(client, manager):
    response = board(client)
    assert "no-store" in response["Cache-Control"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_search_results_are_counted_sorted_and_paged_like_the_list(client, manager, settings):
    settings.BOARD_PAGE_SIZE = 5
    now = timezone.now()
    hits = [
        make_order(
            status="DELIVERED" if i % 2 else "PENDING",
            created_at=now - timedelta(minutes=i),
            updated_at=now - timedelta(minutes=30 - i),
            items=[],
        )
        for i in range(7)
    ]
    make_order(customer_name="Somebody Else", items=[])
    by_created = [o.id for o in hits]
    assert listed_ids(board(client, "q=rahid")) == by_created[:5]
    assert listed_ids(board(client, "q=rahid&page=2")) == by_created[5:]
    assert listed_ids(board(client, "q=rahid&sort=updated")) == by_created[::-1][:5]
    body = board(client, "q=rahid&status=DELIVERED").content.decode()
    assert listed_ids(board(client, "q=rahid&status=DELIVERED")) == by_created[1::2]
    assert re.search(r'id="count-PENDING">4<', body) and re.search(r'id="count-DELIVERED">3<', body)


@pytest.mark.django_db
def test_an_invalid_filter_keeps_the_valid_ones_in_the_form(client, manager, reference_data):
    body = board(client, "from=nope&venue=2&q=plov").content.decode()
    assert '<option value="2" selected>Port Baku</option>' in body
    assert 'value="plov"' in body
    assert "From: Use a date like" in body
