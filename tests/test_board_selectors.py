"""The board's selectors and helpers, called directly."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.http import QueryDict

from orders_app.formatting import age, ago, duration
from orders_app.forms.board import BoardFilterForm, board_querystring, quick_ranges
from orders_app.models import Order, OrderEvent
from orders_app.selectors.board import board_page, channel_choices
from orders_app.selectors.order_detail import order_detail_get as order_detail
from orders_app.selectors.order_export import csv_safe
from orders_app.selectors.order_filters import BoardFilters, ChannelChoices, channel_q
from orders_app.templatetags.board_tags import tel_href
from tests.fixtures.orders import make_order

BAKU = ZoneInfo("Asia/Baku")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Channel choices are cached per data version; each test starts without them."""
    cache.clear()
    yield
    cache.clear()


def filters_from(query: str) -> BoardFilters:
    form = BoardFilterForm(QueryDict(query))
    assert form.is_valid(), form.errors
    return form.filters()


def test_filters_round_trip_through_the_query_string_without_defaults():
    query = "status=PENDING&status=RECEIVED&from=2026-03-01&to=2026-03-02&channel=wolt&venue=2&q=plov&sort=updated&page=3"
    filters = filters_from(query)
    assert board_querystring(filters, page=3) == query
    assert board_querystring(filters) == query.replace(
        "&page=3", ""
    )  # a changed filter starts at page 1
    assert board_querystring(filters_from("sort=created&q=")) == ""
    assert filters_from("status=PENDING&status=PENDING").statuses == ("PENDING",)


def test_quick_ranges_are_inclusive_days():
    today = date(2026, 3, 10)
    assert quick_ranges(today=today) == {
        "Today": (today, today),
        "Yesterday": (date(2026, 3, 9), date(2026, 3, 9)),
        "Last 7 days": (date(2026, 3, 4), today),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+994501234567", "'+994501234567"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("Plov", "Plov"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_csv_safe_quotes_what_a_spreadsheet_would_evaluate(value, expected):
    assert csv_safe(value) == expected


@pytest.mark.django_db
def test_the_page_counts_every_status_and_keeps_unknown_ones():
    make_order(status="PENDING")
    make_order(status="DELIVERED")
    make_order(status="ON_THE_WAY")  # a status Clopos may add: kept as given
    page = board_page(filters=BoardFilters())
    assert page.counts_by_status == {
        "PENDING": 1,
        "RECEIVED": 0,
        "IGNORE": 0,
        "DELIVERED": 1,
        "ON_THE_WAY": 1,
    }
    assert page.total == 3 and len(page.orders) == 3
    assert [c.status for c in page.other_statuses] == ["ON_THE_WAY"]
    only_pending = board_page(filters=BoardFilters(statuses=("PENDING",)))
    assert only_pending.total == 1 and only_pending.all_count == 3


@pytest.mark.django_db
def test_the_page_never_loads_raw_payloads_or_search_text():
    make_order()
    order = board_page(filters=BoardFilters()).orders[0]
    assert {"raw", "search_text"} <= order.get_deferred_fields()


@pytest.mark.django_db
def test_channel_choices_list_types_and_integrations_once():
    make_order(type="CALL_CENTER_ORDER", integration="call_center_new")
    make_order(type="CALL_CENTER_ORDER", integration="call_center_new")
    make_order(type="WOLT_ORDER", integration="wolt")
    choices = channel_choices(data_version=None)
    assert choices.types == ["CALL_CENTER_ORDER", "WOLT_ORDER"]
    assert choices.integrations == ["call_center_new", "wolt"]


@pytest.mark.django_db
def test_the_timeline_orders_entries_and_measures_the_time_between_them():
    created = datetime(2026, 3, 1, 12, 0, tzinfo=BAKU)
    order = make_order(created_at=created, first_seen_at=created + timedelta(seconds=30))
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status="PENDING",
        to_status="RECEIVED",
        observed_at=created + timedelta(minutes=5),
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status="RECEIVED",
        to_status="DELIVERED",
        observed_at=created + timedelta(minutes=47),
    )
    detail = order_detail(order_id=order.id)
    assert [(e.kind, e.to_status) for e in detail.timeline] == [
        ("created", ""),
        ("seen", "PENDING"),
        ("status", "RECEIVED"),
        ("status", "DELIVERED"),
    ]
    assert [e.since_previous for e in detail.timeline] == [
        None,
        timedelta(seconds=30),
        timedelta(minutes=4, seconds=30),
        timedelta(minutes=42),
    ]
    assert [m.name for m in detail.items[0].modifiers.all()] == ["Extra cheese"]


@pytest.mark.django_db
def test_an_order_detail_costs_six_queries(django_assert_num_queries):
    order = make_order(status="DELIVERED")
    # order (names and receipt total joined), items, modifiers, events, the writes asked of
    # Clopos for it (the outbox), and its products' stations (no receipt: no receipt queries;
    # no known station: no station names query; a finished order: no stop list,
    # tests/test_board_stop_list.py)
    with django_assert_num_queries(6):
        detail = order_detail(order_id=order.id)
        assert [len(i.modifiers.all()) for i in detail.items] == [1, 0]
    assert order_detail(order_id=123) is None


def test_time_helpers_read_like_a_dashboard():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=BAKU)
    assert ago(now - timedelta(seconds=8), now) == "8 s ago"
    assert ago(now - timedelta(minutes=5), now) == "5 min ago"
    assert ago(now - timedelta(days=1, hours=2), now) == "1 day ago"
    assert age(now - timedelta(hours=2, minutes=5), now) == "2h 5m"
    assert duration(timedelta(minutes=4, seconds=20)) == "+4 min"
    assert duration(timedelta(hours=1, minutes=2)) == "+1 h 2 min"
    assert tel_href("+994 (50) 123-45-67") == "tel:+994501234567"
    assert tel_href("050 123 45 67") == "tel:0501234567"
    assert tel_href("call me") == ""


@pytest.mark.django_db
def test_a_known_channel_filters_on_one_column_so_one_index_serves_it():
    channels = ChannelChoices(types=["WOLT_ORDER"], integrations=["wolt"])
    as_type = str(Order.objects.filter(channel_q("WOLT_ORDER", channels=channels)).query)
    as_integration = str(Order.objects.filter(channel_q("wolt", channels=channels)).query)
    unknown = str(Order.objects.filter(channel_q("new_app", channels=channels)).query)
    assert '"type" = WOLT_ORDER' in as_type and '"integration"' not in as_type.split("WHERE")[1]
    assert (
        '"integration" = wolt' in as_integration
        and '"type"' not in as_integration.split("WHERE")[1]
    )
    assert '"type" = new_app' in unknown and '"integration" = new_app' in unknown


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["created", "updated"])
def test_search_results_sort_by_time_to_the_microsecond_with_or_without_a_fraction(sort):
    """The searched page sorts by the stored value (text on SQLite); a whole second, written
    without a fraction, must still sort before the same second plus half."""
    base = datetime(2026, 3, 1, 12, 0, 40, tzinfo=ZoneInfo("UTC"))
    times = [base, base + timedelta(microseconds=500_000), base + timedelta(seconds=1)]
    ids = [
        make_order(customer_name="Səbinə Quliyeva", created_at=t, updated_at=t).id for t in times
    ]
    make_order(customer_name="Someone Else", created_at=base, updated_at=base)

    page = board_page(filters=filters_from(f"q=quliyeva&sort={sort}"))

    assert [o.id for o in page.orders] == ids[::-1]
    assert page.total == 3
