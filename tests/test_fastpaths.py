"""Each fast path (orders_app/fastpaths) gives what its plain ORM twin gives on the same data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from orders_app.fastpaths import (
    kiosk_poll_row,
    kiosk_poll_row_plain,
    order_rows_html,
    order_search_hits,
    order_search_hits_plain,
    sync_state_poll_row,
    sync_state_poll_row_plain,
    wall_key_grant_row,
    wall_key_grant_row_plain,
)
from orders_app.models import Order, Receipt, StopListEntry, SyncState, WallKey
from orders_app.selectors.board import board_page
from orders_app.selectors.order_filters import BoardFilters, text_search_q
from orders_app.selectors.sync import sync_health, sync_poll_state
from orders_app.services.wall_keys import wall_key_create, wall_key_revoke
from tests.fixtures.orders import make_order, mark_failing, mark_synced

pytestmark = pytest.mark.django_db

HOSTILE_ITEM = {"name": '<i>Plov</i> & "co"', "product_id": 66, "count": 1, "price": "12"}


def test_the_sync_state_row_reads_the_same_before_the_first_pass_and_after_some():
    assert sync_state_poll_row() == sync_state_poll_row_plain() == (0, None, 0)
    mark_synced(ago=12.345678)
    assert sync_state_poll_row() == sync_state_poll_row_plain()
    mark_failing(failures=2)
    assert sync_state_poll_row() == sync_state_poll_row_plain()
    assert sync_state_poll_row()[2] == 2


@pytest.mark.parametrize("state", ["none", "fresh", "stale", "one-failure", "failing", "recovered"])
def test_the_fast_poll_token_is_always_the_sync_healths(state):
    now = timezone.now()
    if state != "none":
        mark_synced(ago=120 if state == "stale" else 1)
    if state == "one-failure":
        mark_failing(failures=1)
    elif state in ("failing", "recovered"):
        mark_failing(failures=3)
    if state == "recovered":
        mark_synced()
    for later in (0, 61, 3600):
        at = now + timedelta(seconds=later)
        fast, plain = sync_poll_state(now=at, stale_after=60), sync_health(now=at, stale_after=60)
        assert fast.token == plain.poll_token
        assert fast.last_success_at == plain.last_success_at


def test_a_kiosk_key_reads_the_same_whatever_its_state():
    assert wall_key_grant_row(123) is None and wall_key_grant_row_plain(123) is None
    created = wall_key_create(name="pass")
    key_id = created.wall_key.id
    assert wall_key_grant_row(key_id) == wall_key_grant_row_plain(key_id) == (False, None)
    WallKey.objects.filter(id=key_id).update(
        last_used_at=timezone.now() - timedelta(minutes=7, microseconds=3)
    )
    assert wall_key_grant_row(key_id) == wall_key_grant_row_plain(key_id)
    wall_key_revoke(name="pass")
    assert wall_key_grant_row(key_id) == wall_key_grant_row_plain(key_id)
    assert wall_key_grant_row(key_id)[0] is True


def test_a_kiosks_poll_row_reads_what_its_two_plain_reads_read():
    """Before the first sync, for a key that is gone, live, touched, revoked, and failing."""
    assert kiosk_poll_row(123) == kiosk_poll_row_plain(123) == ((0, None, 0), None)
    key_id = wall_key_create(name="grill").wall_key.id
    assert kiosk_poll_row(key_id) == kiosk_poll_row_plain(key_id) == ((0, None, 0), (False, None))
    mark_synced(ago=3.25)
    WallKey.objects.filter(id=key_id).update(
        last_used_at=timezone.now() - timedelta(minutes=7, microseconds=3)
    )
    assert kiosk_poll_row(key_id) == kiosk_poll_row_plain(key_id)
    assert kiosk_poll_row(key_id)[1][1] is not None
    wall_key_revoke(name="grill")
    mark_failing(failures=2)
    assert kiosk_poll_row(key_id) == kiosk_poll_row_plain(key_id)
    assert kiosk_poll_row(key_id)[1][0] is True and kiosk_poll_row(key_id)[0][2] == 2
    assert kiosk_poll_row(key_id + 1) == kiosk_poll_row_plain(key_id + 1)


@pytest.mark.parametrize("sort_field", ["created_at", "updated_at"])
def test_search_hits_match_the_orm_and_sort_the_same(sort_field):
    now = timezone.now()
    for n in range(12):
        # Equal sort keys for some orders, microseconds on others: the order must still agree.
        at = now - timedelta(minutes=n // 3, microseconds=n * 7)
        make_order(
            id=9000 + n,
            status=["PENDING", "RECEIVED", "DELIVERED", "WEIRD"][n % 4],
            created_at=at,
            updated_at=at + timedelta(seconds=n % 2),
            customer_name="Leyla Quliyeva" if n % 3 else "Rahid Akhundzada",
        )
    for orders in (
        Order.objects.filter(text_search_q("quliyeva")),
        Order.objects.filter(text_search_q("+994 70 540")),
        Order.objects.all(),
    ):
        fast = order_search_hits(orders, sort_field)
        plain = order_search_hits_plain(orders, sort_field)
        assert sorted((i, s) for i, s, _ in fast) == sorted((i, s) for i, s, _ in plain)
        newest_first = [i for i, _, _ in sorted(fast, key=lambda h: (h[2], h[0]), reverse=True)]
        assert newest_first == [
            i for i, _, _ in sorted(plain, key=lambda h: (h[2], h[0]), reverse=True)
        ]
        assert fast  # every query above matches something


def test_the_sync_state_row_ignores_other_rows():
    SyncState.objects.create(id=2, data_version=99)
    mark_synced()
    assert sync_state_poll_row() == sync_state_poll_row_plain()
    assert sync_state_poll_row()[0] != 99


@pytest.mark.parametrize("language", ["en", "az", "ru"])
def test_the_fast_board_rows_are_the_partials_byte_for_byte(settings, language):
    now = timezone.now()
    make_order(
        id=1,
        status="PENDING",
        customer_name="<b>Leyla</b> & 'Rahid' \"x\"",
        customer_phone="+994 50 <123>",
        created_at=now - timedelta(hours=3, minutes=5, seconds=7),
    )
    make_order(
        id=2,
        status="LUNCH",
        customer_name="",
        customer_phone="",
        type="",
        integration="wolt<script>",
        created_at=now - timedelta(days=3, hours=2),
    )
    make_order(id=3, status="", venue_id=None, sale_type_id=None, items=[])
    make_order(id=4, status="DELIVERED", created_at=now - timedelta(seconds=3), stage="done")
    # Clopos's total where a receipt is cached; a link to a receipt not cached yet, or one
    # without a total, keeps the computed subtotal.
    Receipt.objects.create(id=71, total=Decimal("3450.5"))
    Receipt.objects.create(id=72, total=None)
    make_order(id=5, status="RECEIVED", stage="preparing", receipt_id=71, items=[HOSTILE_ITEM])
    make_order(id=6, status="RECEIVED", stage="accepted", receipt_id=999, items=[HOSTILE_ITEM])
    make_order(id=7, status="RECEIVED", stage="accepted", receipt_id=72)
    StopListEntry.objects.create(product_id=66, limit=0)
    orders = board_page(filters=BoardFilters()).orders
    assert len(orders) == 7
    with timezone.override("Asia/Baku"), translation.override(language):
        fast = order_rows_html(orders, now=now)
        plain = render_to_string("orders_app/board.html#order-rows", {"orders": orders, "now": now})
    assert fast == plain
    assert "&lt;b&gt;Leyla&lt;/b&gt;" in fast and "<script>" not in fast
    assert fast.count('data-total="clopos"') == 1 and fast.count('data-total="computed"') == 6
    # Flagged: the accepted order holding the 86'd product, not the one being prepared.
    assert fast.count('class="flag86"') == 1
    assert "86: &lt;i&gt;Plov&lt;/i&gt; &amp; &quot;co&quot;" in fast and "<i>" not in fast


@pytest.mark.parametrize("language", ["en", "az", "ru"])
def test_the_cached_words_and_formats_are_djangos_in_every_language(language):
    from datetime import datetime as dt
    from decimal import Decimal

    from django.utils.formats import date_format, number_format
    from django.utils.translation import ngettext, pgettext

    from orders_app.localized import localized

    with translation.override(language):
        words = localized()
        for month in range(1, 13):
            value = dt(2026, month, 7, 9, 5, 3)
            assert words.datetime_short(value) == date_format(value, "SHORT_DATETIME_FORMAT")
        for count in (1, 2, 5, 11, 21, 22, 25, 101):
            assert words.ago("m", count) == ngettext(
                "%(count)s min ago", "%(count)s min ago", count
            ) % {"count": count}
            assert words.ago("d", count) == ngettext(
                "%(count)s day ago", "%(count)s days ago", count
            ) % {"count": count}
        assert words.compact["m"] == pgettext("compact age", "%(count)sm")
        assert words.money_pattern == pgettext("money", "%(currency)s%(amount)s")
        for amount in ("1250.5", "-0.25", "1234567.891", "0"):
            assert words.number(f"{Decimal(amount):,.2f}") == number_format(
                Decimal(amount).quantize(Decimal("0.01")), 2, force_grouping=True
            )
