"""The customer pickup screen: which numbers it shows and where, what it never shows, who may
open it (a manager, or a kiosk key that opens nothing else), and its polling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from orders_app.models import Order, Receipt
from orders_app.selectors.pickup import MAX_NUMBERS, pickup_board, pickup_numbers
from orders_app.services.wall_keys import SESSION_KEY, wall_key_create, wall_key_revoke
from tests.fixtures.orders import make_order, mark_failing, mark_synced

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()  # rendered fragments are cached per token; tokens repeat across tests


@pytest.fixture
def manager_client(client, django_user_model):
    user = django_user_model.objects.create_user(username="boss", password="a-long-password-1")
    client.force_login(user)
    return client


@pytest.fixture
def kiosk_client(client):
    created = wall_key_create(name="counter")
    response = client.get(f"/pickup/?key={created.key}")
    assert response.status_code == 302
    client.wall_key = created  # type: ignore[attr-defined]
    return client


def receipt(receipt_id: int, daily_number: str = "", order_status: str = "READY") -> Receipt:
    now = timezone.now()
    return Receipt.objects.create(
        id=receipt_id,
        status=1,
        order_status=order_status,
        daily_number=daily_number,
        created_at=now,
        updated_at=now,
    )


def numbers(column) -> list[str]:
    return [ticket.number for ticket in column.tickets]


# --- What is shown, and where ------------------------------------------------------------------


def test_preparing_holds_accepted_scheduled_and_preparing_oldest_first_and_ready_holds_ready():
    now = timezone.now()
    make_order(id=1000101, status="PENDING", created_at=now - timedelta(minutes=1))
    make_order(id=1000102, status="RECEIVED", created_at=now - timedelta(minutes=9))
    make_order(
        id=1000103, status="RECEIVED", stage="scheduled", created_at=now - timedelta(minutes=20)
    )
    make_order(
        id=1000104, status="RECEIVED", stage="preparing", created_at=now - timedelta(minutes=5)
    )
    make_order(id=1000105, status="RECEIVED", stage="ready", created_at=now - timedelta(minutes=30))
    make_order(id=1000106, status="RECEIVED", stage="done")
    make_order(id=1000107, status="RECEIVED", stage="cancelled")
    make_order(id=1000108, status="IGNORE")
    make_order(id=1000109, status="DELIVERED")
    board = pickup_board()
    assert numbers(board.preparing) == ["0103", "0102", "0104"]
    assert numbers(board.ready) == ["0105"]
    assert [c.label for c in board.columns] == ["Preparing", "Ready"]


def test_ready_shows_the_most_recently_ready_first():
    now = timezone.now()
    make_order(
        id=2001,
        status="RECEIVED",
        stage="ready",
        created_at=now - timedelta(minutes=40),
        stage_at=now - timedelta(minutes=1),
    )
    make_order(
        id=2002,
        status="RECEIVED",
        stage="ready",
        created_at=now - timedelta(minutes=20),
        stage_at=now - timedelta(minutes=8),
    )
    make_order(
        id=2003,
        status="RECEIVED",
        stage="ready",
        created_at=now - timedelta(minutes=30),
        stage_at=now - timedelta(seconds=10),
    )
    board = pickup_board()
    assert numbers(board.ready) == ["2003", "2001", "2002"]
    assert board.ready_ids == (2003, 2001, 2002)
    assert board.ready.tickets[0].since == now - timedelta(seconds=10)


def test_the_number_is_the_receipts_daily_number_else_the_ids_last_digits():
    receipt(8801, daily_number=" 17 ")
    receipt(8802, daily_number="")
    make_order(id=33335501, status="RECEIVED", stage="ready", receipt_id=8801)
    make_order(id=33335502, status="RECEIVED", stage="ready", receipt_id=8802)
    make_order(id=33335503, status="RECEIVED", stage="preparing", receipt_id=None)
    make_order(id=33335504, status="RECEIVED", stage="preparing", receipt_id=9999)  # not synced
    board = pickup_board()
    assert sorted(numbers(board.ready)) == ["17", "5502"]
    assert numbers(board.preparing) == ["5503", "5504"]


def test_two_numbers_that_would_read_alike_get_more_digits():
    assert pickup_numbers([(11110017, ""), (22220017, "")]) == {
        11110017: "10017",
        22220017: "20017",
    }
    # "0017" reads as 17, a daily number on the same screen.
    assert pickup_numbers([(11110017, ""), (5, "17")]) == {11110017: "10017", 5: "17"}
    assert pickup_numbers([(11114321, ""), (22220017, "")]) == {
        11114321: "4321",
        22220017: "0017",
    }
    # An id no longer than the digits is shown whole, clash or not.
    assert pickup_numbers([(17, ""), (8, "17")]) == {17: "17", 8: "17"}


def test_open_orders_older_than_wall_max_open_hours_are_not_shown(settings):
    settings.WALL_MAX_OPEN_HOURS = 3
    now = timezone.now()
    make_order(id=3001, status="RECEIVED", created_at=now - timedelta(hours=2, minutes=59))
    make_order(id=3002, status="RECEIVED", created_at=now - timedelta(hours=3, minutes=1))
    make_order(
        id=3003, status="RECEIVED", stage="ready", created_at=now - timedelta(hours=3, minutes=1)
    )
    board = pickup_board()
    assert numbers(board.preparing) == ["3001"]
    assert numbers(board.ready) == []


def test_a_table_receipt_with_no_order_is_not_on_the_screen():
    receipt(7701, daily_number="42", order_status="READY")
    make_order(id=7702, status="RECEIVED", stage="ready")
    board = pickup_board()
    assert numbers(board.ready) == ["7702"]
    assert board.preparing.total == 0


def test_venue_and_channels_choose_the_orders(reference_data):
    make_order(id=4001, status="RECEIVED", venue_id=1, integration="wolt")
    make_order(id=4002, status="RECEIVED", venue_id=2, integration="wolt")
    make_order(id=4003, status="RECEIVED", venue_id=1, type="WEB", integration="web")
    assert numbers(pickup_board(venue=1).preparing) == ["4001", "4003"]
    assert numbers(pickup_board(channels=("wolt",)).preparing) == ["4001", "4002"]
    assert numbers(pickup_board(venue=1, channels=("WEB",)).preparing) == ["4003"]
    assert pickup_board(venue=2).venue_name == "Port Baku"


def test_a_full_column_renders_its_cap_and_counts_the_rest():
    now = timezone.now()
    for n in range(MAX_NUMBERS + 3):
        make_order(
            id=50_000 + n, status="RECEIVED", created_at=now - timedelta(minutes=n), items=[]
        )
    column = pickup_board().preparing
    assert len(column.tickets) == MAX_NUMBERS
    assert column.total == MAX_NUMBERS + 3
    assert column.omitted == 3
    assert column.tickets[0].number == str(50_000 + MAX_NUMBERS + 2)[-4:]  # the oldest first


@pytest.mark.parametrize("orders", [1, 12])
def test_the_board_costs_two_queries_whatever_the_number_of_orders(
    orders, django_assert_num_queries
):
    for n in range(orders):
        receipt(60_000 + n, daily_number=str(n + 1))
        make_order(
            id=61_000 + n,
            status="RECEIVED",
            stage="ready" if n % 2 else "preparing",
            receipt_id=60_000 + n,
        )
    mark_synced()
    with django_assert_num_queries(2):
        board = pickup_board()
    assert board.preparing.total + board.ready.total == orders
    with django_assert_num_queries(3):  # and the venue's name
        pickup_board(venue=1)


# --- The page -----------------------------------------------------------------------------------


def test_the_page_shows_numbers_and_nothing_about_the_customer(manager_client):
    mark_synced()
    receipt(8901, daily_number="305")
    make_order(
        id=77712345,
        status="RECEIVED",
        stage="ready",
        receipt_id=8901,
        customer_name="Leyla Hüseynova",
        customer_phone="+994501234567",
        customer_address="Neftçilər prospekti 12",
        comment="Ring twice",
        items=[{"name": "Lula kebab", "count": 2, "note": "Extra spicy"}],
    )
    make_order(id=77712346, status="RECEIVED", customer_name="Aysel", customer_phone="+99455")
    page = manager_client.get("/pickup/")
    token = page.context["poll"].token
    mark_synced()  # a new token: the poll renders the fragment
    fragment = manager_client.get("/pickup/poll/", {"token": token})
    assert fragment.status_code == 200
    for html in (page.content.decode(), fragment.content.decode()):
        assert ">305<" in html
        assert ">2346<" in html
        for private in ("Leyla", "Hüseynova", "99450", "Neftçilər", "Ring twice", "Lula", "spicy"):
            assert private not in html
        assert "Aysel" not in html
        assert "+99455" not in html


def test_the_page_marks_its_columns_and_numbers_for_the_screen(manager_client):
    mark_synced()
    make_order(id=9001, status="RECEIVED", stage="ready")
    make_order(id=9002, status="RECEIVED")
    html = manager_client.get("/pickup/").content.decode()
    ready = html.split('data-stage="ready"', 1)[1]
    preparing = html.split('data-stage="preparing"', 1)[1].split('data-stage="ready"', 1)[0]
    assert 'data-order="9001"' in ready
    assert 'data-order="9002"' in preparing
    assert 'data-ready-ids="9001"' in html
    assert 'id="pickup-live"' in html
    assert "pickup.js" in html


def test_theme_venue_channel_and_lang_are_kept_in_the_poll_url(manager_client, reference_data):
    mark_synced()
    response = manager_client.get("/pickup/?venue=1&channel=wolt&theme=light&lang=az")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="az" class="theme-light">' in html
    poll_url = response.context["poll_url"]
    for part in ("venue=1", "channel=wolt", "theme=light", "lang=az"):
        assert part in poll_url
    assert "Nizami (Main)" in html


def test_the_screen_speaks_the_language_of_its_link_not_the_browsers(manager_client, settings):
    settings.LANGUAGE_CODE = "az"
    mark_synced()
    response = manager_client.get("/pickup/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "az"
    ru = manager_client.get("/pickup/?lang=ru", HTTP_ACCEPT_LANGUAGE="en")
    assert ru["Content-Language"] == "ru"
    assert '<html lang="ru"' in ru.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "venue=abc",
        "venue=-4",
        "theme=pink",
        "channel=%3Cscript%3E",
        "lang=xx",
        "venue=99999999999999999999999",
    ],
)
def test_bad_parameters_are_ignored_with_a_visible_notice_never_a_500(manager_client, query):
    mark_synced()
    response = manager_client.get(f"/pickup/?{query}")
    assert response.status_code == 200
    assert b'class="notice"' in response.content
    assert b"<script>" not in response.content.split(b"</head>")[1]
    assert response.context["options"].notices


def test_the_walls_own_parameters_mean_nothing_here_and_raise_no_notice(manager_client):
    mark_synced()
    response = manager_client.get("/pickup/?stage=new&status=PENDING&dim=off&allday=0")
    assert response.status_code == 200
    assert b'class="notice"' not in response.content


def test_a_stale_sync_shows_the_banner(manager_client, settings):
    settings.SYNC_STALE_AFTER = 60
    mark_synced(ago=300)
    html = manager_client.get("/pickup/").content.decode()
    assert "sync-stale" in html
    assert "Orders may be out of date" in html
    assert "Last Clopos sync at" in html


def test_a_failing_sync_shows_the_red_banner(manager_client):
    mark_synced(ago=600)
    mark_failing()
    html = manager_client.get("/pickup/").content.decode()
    assert "banner-red" in html.split('id="pickup-live"', 1)[1]
    assert "Clopos sync failing since" in html
    assert "Please ask at the counter." in html


def test_a_fresh_sync_shows_no_banner(manager_client):
    mark_synced()
    html = manager_client.get("/pickup/").content.decode()
    assert "sync-banner" not in html


# --- Polling ------------------------------------------------------------------------------------


def test_an_unchanged_poll_is_a_204_with_the_servers_clock(manager_client):
    mark_synced()
    token = manager_client.get("/pickup/").context["poll"].token
    response = manager_client.get("/pickup/poll/", {"token": token})
    assert response.status_code == 204
    assert response["X-Wall-Now"]
    assert response["X-Wall-Synced"]
    assert "no-store" in response["Cache-Control"]


def test_a_poll_after_a_change_moves_the_number_to_ready(manager_client):
    mark_synced()
    make_order(id=9101, status="RECEIVED")
    token = manager_client.get("/pickup/").context["poll"].token
    Order.objects.filter(id=9101).update(stage="ready", stage_at=timezone.now())
    mark_synced()
    response = manager_client.get("/pickup/poll/", {"token": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<main id="pickup-live"')
    assert 'data-ready-ids="9101"' in html
    assert 'data-order="9101"' in html.split('data-stage="ready"', 1)[1]
    assert "<html" not in html


def test_a_kiosks_unchanged_poll_costs_one_query(kiosk_client, django_assert_num_queries):
    mark_synced()
    token = kiosk_client.get("/pickup/").context["poll"].token
    kiosk_client.get("/pickup/poll/", {"token": token})  # the session row, read once
    with django_assert_num_queries(1) as queries:
        response = kiosk_client.get("/pickup/poll/", {"token": token})
    assert response.status_code == 204
    sql = queries.captured_queries[0]["sql"]
    assert "orders_app_wallkey" in sql and "orders_app_syncstate" in sql


# --- Access -------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/pickup/?venue=1")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/pickup/")


def test_anonymous_poll_is_refused_with_a_reason_the_screen_can_show(client):
    response = client.get("/pickup/poll/")
    assert response.status_code == 403
    assert response["X-Wall-Denied"] == "signed-out"


def test_a_kiosk_link_grants_the_screen_and_redirects_without_the_key(client):
    created = wall_key_create(name="waiting-area")
    response = client.get(f"/pickup/?key={created.key}&venue=1&theme=light")
    assert response.status_code == 302
    assert response["Location"] == "/pickup/?venue=1&theme=light"
    assert created.key not in response["Location"]
    assert client.session[SESSION_KEY] == created.wall_key.id
    mark_synced()
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/pickup/poll/").status_code == 200


def test_one_key_opens_both_screens(client):
    created = wall_key_create(name="both")
    assert client.get(f"/wall/?key={created.key}").status_code == 302
    mark_synced()
    assert client.get("/pickup/").status_code == 200
    assert client.get("/wall/").status_code == 200


def test_a_kiosk_grant_opens_nothing_but_the_screens(kiosk_client):
    make_order(id=9201, status="RECEIVED")
    assert "_auth_user_id" not in kiosk_client.session
    for url in ("/", reverse("board-rows"), "/orders/9201/", reverse("board-export"), "/admin/"):
        response = kiosk_client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url


def test_an_unknown_key_is_refused_without_echoing_it(client):
    response = client.get("/pickup/?key=not-a-real-key-123")
    assert response.status_code == 403
    assert response["X-Wall-Denied"] == "unknown"
    assert b"not-a-real-key-123" not in response.content
    assert SESSION_KEY not in client.session


def test_a_revoked_key_closes_the_open_screen_on_its_next_request(kiosk_client):
    mark_synced()
    assert kiosk_client.get("/pickup/poll/").status_code == 200
    wall_key_revoke(name="counter")
    poll = kiosk_client.get("/pickup/poll/")
    assert poll.status_code == 403
    assert poll["X-Wall-Denied"] == "revoked"
    page = kiosk_client.get("/pickup/")
    assert page.status_code == 403
    assert "key was revoked" in page.content.decode()
    assert kiosk_client.get(f"/pickup/?key={kiosk_client.wall_key.key}").status_code == 403
