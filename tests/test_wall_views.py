"""The wall's views: access (login or kiosk key), the full page, the poll fragment, 204s."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders_app.models import SyncState, WallKey
from orders_app.selectors.sync import sync_health
from orders_app.selectors.sync import sync_poll_state as wall_poll_state
from orders_app.services.wall_keys import SESSION_KEY, hash_key, wall_key_create, wall_key_revoke
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
    created = wall_key_create(name="kitchen")
    response = client.get(f"/wall/?key={created.key}")
    assert response.status_code == 302
    client.wall_key = created  # type: ignore[attr-defined]
    return client


def poll_token(client, **params) -> str:
    """The token the wall page hands to its poller."""
    response = client.get(reverse("wall"), params)
    token = response.context["poll"].token
    assert f'data-token="{token}"' in response.content.decode()
    return token


# --- Access ------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/wall/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/wall/")


def test_anonymous_poll_is_refused_with_a_reason_the_screen_can_show(client):
    response = client.get("/wall/poll/")
    assert response.status_code == 403
    assert response["X-Wall-Denied"] == "signed-out"


def test_logged_in_manager_opens_the_wall_without_a_key(manager_client):
    mark_synced()
    response = manager_client.get("/wall/")
    assert response.status_code == 200
    assert b'id="wall-live"' in response.content


def test_kiosk_link_grants_the_wall_and_redirects_without_the_key(client):
    created = wall_key_create(name="front-desk")
    response = client.get(f"/wall/?key={created.key}&venue=1&status=PENDING")
    assert response.status_code == 302
    assert response["Location"] == "/wall/?venue=1&status=PENDING"
    assert created.key not in response["Location"]
    assert client.session[SESSION_KEY] == created.wall_key.id
    assert client.get(response["Location"]).status_code == 200


def test_kiosk_session_is_not_a_login_and_cannot_open_the_board_or_admin(kiosk_client):
    assert "_auth_user_id" not in kiosk_client.session
    assert kiosk_client.get("/").status_code != 200
    admin = kiosk_client.get("/admin/")
    assert admin.status_code == 302
    assert "/login/" in admin["Location"]


def test_unknown_key_is_refused_without_echoing_it(client):
    response = client.get("/wall/?key=not-a-real-key-123")
    assert response.status_code == 403
    assert b"not valid" in response.content
    assert b"not-a-real-key-123" not in response.content
    assert SESSION_KEY not in client.session


def test_revoked_key_link_is_refused(client):
    created = wall_key_create(name="bar")
    wall_key_revoke(name="bar")
    response = client.get(f"/wall/?key={created.key}")
    assert response.status_code == 403
    assert "This screen&#x27;s key was revoked" in response.content.decode()


def test_revoking_stops_an_open_kiosk_screen_on_its_next_request(kiosk_client):
    assert kiosk_client.get("/wall/poll/").status_code == 200
    wall_key_revoke(name="kitchen")
    poll = kiosk_client.get("/wall/poll/")
    assert poll.status_code == 403
    assert poll["X-Wall-Denied"] == "revoked"
    page = kiosk_client.get("/wall/")
    assert page.status_code == 403
    assert "key was revoked" in page.content.decode()


def test_deleted_key_also_closes_the_screen(kiosk_client):
    WallKey.objects.all().delete()
    assert kiosk_client.get("/wall/poll/").status_code == 403


def test_kiosk_grant_recheck_is_one_indexed_query(kiosk_client, django_assert_num_queries):
    mark_synced()
    token = poll_token(kiosk_client)
    # The key re-check and the sync state row in one round trip; the kiosk's session row was
    # read once already.
    with django_assert_num_queries(1) as queries:
        response = kiosk_client.get("/wall/poll/", {"token": token})
    assert response.status_code == 204
    sql = queries.captured_queries[0]["sql"]
    assert "orders_app_wallkey" in sql and "orders_app_syncstate" in sql


def test_key_is_stored_only_as_its_sha256(db):
    created = wall_key_create(name="pass")
    row = WallKey.objects.get(name="pass")
    assert row.key_hash == hash_key(created.key)
    assert created.key not in row.key_hash
    assert len(created.key) >= 43


def test_the_key_never_reaches_django_logs(client, caplog):
    created = wall_key_create(name="logs")
    wall_key_revoke(name="logs")
    with caplog.at_level(logging.DEBUG):
        client.get(f"/wall/?key={created.key}")
        client.get("/wall/?key=wrong-key-value")
    assert created.key not in caplog.text
    assert "wrong-key-value" not in caplog.text


def test_last_used_is_recorded_without_a_write_on_every_poll(kiosk_client):
    key = WallKey.objects.get(name="kitchen")
    kiosk_client.get("/wall/poll/")
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    kiosk_client.get("/wall/poll/")
    key.refresh_from_db()
    assert key.last_used_at == first


# --- Page and fragments ------------------------------------------------------------------------


def test_columns_show_new_accepted_and_recent_done_but_not_ignored(manager_client):
    """The older wall, by Clopos status, for a link that asks for status columns."""
    mark_synced()
    now = timezone.now()
    make_order(id=101, status="PENDING")
    make_order(id=102, status="RECEIVED")
    make_order(id=103, status="DELIVERED", updated_at=now - timedelta(minutes=2))
    make_order(
        id=104,
        status="DELIVERED",
        created_at=now - timedelta(hours=2),
        updated_at=now - timedelta(hours=1),
    )
    make_order(id=105, status="IGNORE")
    board = manager_client.get("/wall/?status=PENDING&status=RECEIVED&status=DELIVERED").context[
        "board"
    ]
    ids = {c.status: [card.id for card in c.cards] for c in board.columns}
    assert ids == {"PENDING": [101], "RECEIVED": [102], "DELIVERED": [103]}
    assert [c.label for c in board.columns] == ["New", "Accepted", "Done"]


def test_the_default_wall_follows_the_kitchen_new_preparing_ready_done(manager_client):
    mark_synced()
    now = timezone.now()
    make_order(id=111, status="PENDING")
    make_order(id=112, status="RECEIVED")  # no receipt yet: accepted, not started
    make_order(id=113, status="RECEIVED", stage="preparing", receipt_id=9113)
    make_order(id=114, status="RECEIVED", stage="ready", receipt_id=9114)
    make_order(id=115, status="RECEIVED", stage="done", stage_at=now - timedelta(minutes=2))
    make_order(id=116, status="RECEIVED", stage="done", stage_at=now - timedelta(hours=1))
    make_order(id=117, status="RECEIVED", stage="cancelled", stage_at=now - timedelta(minutes=1))
    make_order(id=118, status="IGNORE")
    response = manager_client.get("/wall/")
    board = response.context["board"]
    ids = {c.stage: [card.id for card in c.cards] for c in board.columns}
    assert ids == {"new": [111], "preparing": [112, 113], "ready": [114], "done": [117, 115]}
    assert [c.label for c in board.columns] == ["New", "Preparing", "Ready", "Done"]
    body = response.content.decode()
    assert 'data-order="113" data-receipt="9113" data-stage="preparing"' in body
    assert 'data-stage="ready" aria-label="Ready"' in body
    card_112 = body.split('data-order="112"', 1)[1].split("</article>", 1)[0]
    assert "Not started" in card_112
    card_117 = body.split('data-order="117"', 1)[1].split("</article>", 1)[0]
    assert "Cancelled" in card_117
    assert 'class="card  is-cancelled"' in body or "is-cancelled" in body


def test_a_screen_can_ask_for_some_stages_only(manager_client):
    mark_synced()
    make_order(id=121, status="RECEIVED", stage="ready")
    make_order(id=122, status="RECEIVED", stage="preparing")
    make_order(id=123, status="RECEIVED")  # accepted
    board = manager_client.get("/wall/?stage=ready&stage=accepted").context["board"]
    assert [(c.stage, [card.id for card in c.cards]) for c in board.columns] == [
        ("preparing", [123]),
        ("ready", [121]),
    ]
    poll = manager_client.get("/wall/").content.decode()
    assert "stage=" not in poll.split('hx-get="', 1)[1].split('"', 1)[0]


def test_open_orders_older_than_the_limit_leave_the_wall_and_are_counted(manager_client, settings):
    settings.WALL_MAX_OPEN_HOURS = 12
    mark_synced()
    now = timezone.now()
    make_order(id=131, status="RECEIVED", created_at=now - timedelta(hours=13))
    make_order(id=132, status="RECEIVED", created_at=now - timedelta(hours=11))
    make_order(id=133, status="PENDING", created_at=now - timedelta(days=3))
    response = manager_client.get("/wall/")
    board = response.context["board"]
    assert [card.id for c in board.columns for card in c.cards] == [132]
    assert board.older_open == 2
    body = response.content.decode()
    assert "2 older open orders, not shown: see the board" in body
    assert 'href="/?stage=new&amp;stage=accepted&amp;stage=scheduled' in body


def test_status_parameter_chooses_the_columns(manager_client):
    mark_synced()
    make_order(id=201, status="PENDING")
    make_order(id=202, status="RECEIVED")
    response = manager_client.get("/wall/", {"status": ["RECEIVED"]})
    html = response.content.decode()
    assert [c.status for c in response.context["board"].columns] == ["RECEIVED"]
    assert 'data-id="202"' in html
    assert 'data-id="201"' not in html


def test_venue_and_channel_parameters_filter_the_orders(manager_client):
    mark_synced()
    make_order(id=301, venue_id=1, integration="wolt")
    make_order(id=302, venue_id=2, integration="wolt")
    make_order(id=303, venue_id=1, integration="call_center_new")
    response = manager_client.get("/wall/", {"venue": "1", "channel": ["wolt"]})
    cards = [c.id for col in response.context["board"].columns for c in col.cards]
    assert cards == [301]
    # the poll URL keeps the screen's choices
    assert "venue=1" in response.context["poll_url"]
    assert "channel=wolt" in response.context["poll_url"]


@pytest.mark.parametrize(
    "query",
    [
        "status=BOGUS",
        "venue=abc",
        "venue=-4",
        "theme=pink",
        "channel=%3Cscript%3E",
        "status=PENDING&status=nope",
        "dim=sometimes&allday=maybe",
        "venue=99999999999999999999999",
    ],
)
def test_bad_parameters_are_ignored_with_a_visible_notice_never_a_500(manager_client, query):
    mark_synced()
    response = manager_client.get(f"/wall/?{query}")
    assert response.status_code == 200
    assert b'class="notice"' in response.content
    assert b"<script>" not in response.content.split(b"</head>")[1]


def test_card_shows_items_modifiers_notes_comment_and_timestamps(manager_client, reference_data):
    mark_synced()
    make_order(
        id=401,
        sale_type_id=2,
        comment="Ring the bell twice",
        customer_name="Aysel Məmmədova",
        items=[
            {
                "name": "Pizza Margherita",
                "count": 2,
                "price": "8.50",
                "modifiers": [{"name": "Extra cheese", "count": 1}],
            },
            {"name": "Plov", "count": 1, "note": "No onions"},
        ],
    )
    html = manager_client.get("/wall/").content.decode()
    assert "#401" in html
    assert "Delivery" in html
    assert "Aysel Məmmədova" in html
    assert '2×</span> <span class="item-name">Pizza Margherita' in html
    assert "+ Extra cheese" in html
    assert "⚠ No onions" in html
    assert "Ring the bell twice" in html
    assert 'data-amber="120" data-red="300"' in html  # PENDING=2:5 minutes


def test_hostile_text_renders_inert(manager_client):
    mark_synced()
    make_order(
        id=402,
        customer_name='"><img src=x onerror=alert(1)>',
        comment="<script>alert(1)</script>",
        items=[{"name": "<b>Pizza</b>", "count": 1, "note": '"><svg onload=alert(2)>'}],
    )
    html = manager_client.get("/wall/").content.decode()
    assert "<img src=x" not in html
    assert "<script>alert(1)" not in html
    assert "<svg onload" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_all_day_panel_counts_items_and_sums_modifiers_across_open_orders(manager_client):
    mark_synced()
    pizza = {"name": "Pizza", "count": 2, "modifiers": [{"name": "Extra cheese", "count": 1}]}
    make_order(status="PENDING", items=[pizza, {"name": "Plov", "count": 1}])
    make_order(status="RECEIVED", items=[pizza, {"name": "Plov", "count": 2}])
    make_order(status="DELIVERED", items=[{"name": "Plov", "count": 9}])
    board = manager_client.get("/wall/").context["board"]
    lines = {line.name: (line.count, dict(line.modifiers)) for line in board.all_day}
    assert lines == {"Pizza": (4, {"Extra cheese": 4}), "Plov": (3, {})}


def test_page_is_csp_clean_no_inline_script_style_or_handlers(manager_client):
    mark_synced()
    make_order()
    html = manager_client.get("/wall/").content.decode()
    assert "<script>" not in html
    assert " style=" not in html
    assert " onclick=" not in html and "hx-on" not in html
    assert "Content-Security-Policy" in manager_client.get("/wall/").headers


def test_poll_returns_204_while_the_token_stands(manager_client):
    mark_synced()
    token = poll_token(manager_client)
    response = manager_client.get("/wall/poll/", {"token": token})
    assert response.status_code == 204
    assert response.content == b""


def test_poll_returns_the_fragment_when_data_changed(manager_client):
    mark_synced()
    token = poll_token(manager_client)
    make_order(id=501)
    mark_synced()  # sync bumps the data version
    response = manager_client.get("/wall/poll/", {"token": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<main id="wall-live"')
    assert "<html" not in html
    assert 'data-id="501"' in html
    assert f"token={wall_poll_state().token}" in html
    assert f"token={token}" not in html


def test_poll_fragment_shows_the_failing_banner_and_token_changes(manager_client):
    mark_synced()
    token = poll_token(manager_client)
    mark_failing(error="Clopos did not answer (timeout after 10 s)")
    response = manager_client.get("/wall/poll/", {"token": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Clopos sync failing" in html
    assert "timeout after 10 s" in html
    assert "sync-failing" in html


def test_stale_data_shows_the_out_of_date_banner(manager_client, settings):
    settings.SYNC_STALE_AFTER = 60
    mark_synced(ago=300)
    html = manager_client.get("/wall/").content.decode()
    assert "Orders may be out of date" in html
    assert 'data-sync-status="stale"' in html


def test_no_sync_yet_says_so(manager_client):
    html = manager_client.get("/wall/").content.decode()
    assert "Waiting for the first Clopos sync" in html


def test_wall_query_count_is_fixed_whatever_the_number_of_orders(
    manager_client, django_assert_max_num_queries
):
    mark_synced()
    for _ in range(25):
        make_order(status="PENDING")
    for _ in range(5):
        make_order(status="DELIVERED")
    # session, user, poll token, sync health, orders, items, modifiers, sale types, stations,
    # the items' products, the stop list, and the count of open orders older than
    # WALL_MAX_OPEN_HOURS.
    with django_assert_max_num_queries(12):
        response = manager_client.get("/wall/poll/")
    assert response.status_code == 200


def test_over_forty_cards_in_a_column_are_counted_in_the_more_marker(manager_client):
    mark_synced()
    for _ in range(45):
        make_order(status="PENDING", items=[{"name": "Tea", "count": 1}])
    response = manager_client.get("/wall/")
    column = response.context["board"].columns[0]
    assert column.total == 45
    assert column.omitted == 5
    assert b"+5 more" in response.content


def test_theme_light_is_applied(manager_client):
    mark_synced()
    assert b'class="theme-light"' in manager_client.get("/wall/?theme=light").content


# --- The poll token and its headers ------------------------------------------------------------


def test_every_poll_answer_carries_the_server_clock_and_last_sync(manager_client):
    mark_synced()
    token = poll_token(manager_client)
    response = manager_client.get("/wall/poll/", {"token": token})
    assert response.status_code == 204
    assert response["X-Wall-Now"].endswith("Z")
    synced = SyncState.get().last_success_at
    assert response["X-Wall-Synced"] == synced.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_no_poll_answer_may_be_cached_whatever_it_is(manager_client):
    mark_synced()
    token = poll_token(manager_client)
    answers = {
        "unchanged": manager_client.get("/wall/poll/", {"token": token}),
        "changed": manager_client.get("/wall/poll/", {"token": "stale"}),
        "refused": Client().get("/wall/poll/", {"token": token}),
    }
    assert [a.status_code for a in answers.values()] == [204, 200, 403]
    for name, answer in answers.items():
        cache_control = {part.strip() for part in answer["Cache-Control"].split(",")}
        assert {"no-store", "no-cache", "max-age=0", "private"} <= cache_control, name
        assert parsedate_to_datetime(answer["Expires"]) <= datetime.now(UTC), name


def test_a_sync_pass_without_changes_keeps_the_token_but_updates_the_sync_time(manager_client):
    mark_synced(ago=20)
    token = poll_token(manager_client)
    mark_synced(version_bump=False)
    response = manager_client.get("/wall/poll/", {"token": token})
    assert response.status_code == 204
    synced = SyncState.get().last_success_at
    assert response["X-Wall-Synced"] == synced.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_token_changes_when_the_data_turns_stale_with_time_alone(db):
    mark_synced()
    now = timezone.now()
    fresh = wall_poll_state(now=now, stale_after=60)
    later = wall_poll_state(now=now + timedelta(seconds=61), stale_after=60)
    assert fresh.token != later.token


@pytest.mark.parametrize(
    "change",
    ["version", "failure", "third-failure", "recovered"],
)
def test_token_changes_whenever_the_sync_health_status_or_version_changes(db, change):
    mark_synced()
    before = (wall_poll_state().token, sync_health().poll_token)
    state = SyncState.get()
    if change == "version":
        state.data_version += 1
    elif change == "failure":
        state.consecutive_failures = 1
    elif change == "third-failure":
        state.consecutive_failures = 3
    else:
        state.consecutive_failures = 3
        state.save()
        before = (wall_poll_state().token, sync_health().poll_token)
        state.consecutive_failures = 0
    state.save()
    after = (wall_poll_state().token, sync_health().poll_token)
    if before[1] != after[1]:
        assert before[0] != after[0]
    assert before[0] != after[0]


def test_screens_with_the_same_token_share_one_render(
    manager_client, django_assert_max_num_queries
):
    mark_synced()
    for _ in range(10):
        make_order()
    first = manager_client.get("/wall/poll/", {"token": "old"})
    assert first.status_code == 200
    # session, user, poll token: the fragment comes from the cache.
    with django_assert_max_num_queries(3):
        second = manager_client.get("/wall/poll/", {"token": "older"})
    assert second.content == first.content


def test_open_ids_cover_orders_beyond_the_card_cap_so_they_still_chime(manager_client):
    mark_synced()
    orders = [make_order(status="PENDING", items=[{"name": "Tea", "count": 1}]) for _ in range(45)]
    make_order(id=990_001, status="DELIVERED")
    board = manager_client.get("/wall/").context["board"]
    assert len(board.columns[0].cards) == 40
    assert set(board.open_ids) == {str(o.id) for o in orders}  # the cards' data-id


def test_open_ids_follow_the_screens_columns(manager_client):
    mark_synced()
    make_order(id=990_010, status="PENDING")
    make_order(id=990_011, status="RECEIVED")
    board = manager_client.get("/wall/", {"status": "RECEIVED"}).context["board"]
    assert board.open_ids == ("990011",)


def test_a_bad_parameters_notice_is_in_each_screens_language_for_the_same_link(
    manager_client, settings
):
    """The wall's options are remembered per link (forms/wall.py); the notices are translated,
    so the same link read in another language (here LANGUAGE_CODE's) gets its own."""
    mark_synced()
    settings.LANGUAGE_CODE = "en"
    english = manager_client.get("/wall/?theme=pink").content.decode()
    settings.LANGUAGE_CODE = "ru"
    russian = manager_client.get("/wall/?theme=pink").content.decode()
    settings.LANGUAGE_CODE = "en"
    english_again = manager_client.get("/wall/?theme=pink").content.decode()
    assert "Ignored theme=pink" in english
    assert "Ignored theme=pink" not in russian
    assert "theme=pink" in russian
    assert "Ignored theme=pink" in english_again
