"""Insights' figures against a fixture restaurant computed by hand (equal on SQLite and
PostgreSQL: the suite runs on both), the board filters they link to, the CSV, the page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders_app.models import OrderEvent, Receipt, ReceiptEvent
from orders_app.selectors.insights import Distribution, InsightFilters, rollup_days
from orders_app.selectors.insights import insights as read_insights
from orders_app.services.insight_rollups import ensure_days
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db

BAKU = ZoneInfo("Asia/Baku")
MONDAY = date(2026, 2, 2)  # the fixed clock's day (tests/fixtures/clock.py)


def insights(filters: InsightFilters, *, today: date):
    """What the page does: fill the days' rollups where out of date, then read them."""
    ensure_days(rollup_days(filters))
    return read_insights(filters, today=today)


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=BAKU)


def accepted(order, after_seconds: float, *, to: str = "RECEIVED"):
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status="PENDING",
        to_status=to,
        observed_at=order.created_at + timedelta(seconds=after_seconds),
    )


def pending_then(status: str, day: date, hh: int, mm: int, after: float | None, **fields):
    """An order Pass first saw PENDING; then (``after`` s later) saw it RECEIVED."""
    order = make_order(status=status, created_at=at(day, hh, mm), **fields)
    OrderEvent.objects.filter(order=order).update(to_status="PENDING")
    if after is not None:
        accepted(order, after)
    return order


@pytest.fixture
def restaurant(reference_data, settings):
    """Seven orders over a weekend and a Monday (Asia/Baku):

    | order | local time      | channel         | venue | sale type | status    | accepted after |
    |-------|-----------------|-----------------|-------|-----------|-----------|----------------|
    | a     | Mon 12:00       | wolt            | 1     | 2         | DELIVERED | 60 s           |
    | b     | Mon 12:10       | wolt            | 1     | 2         | RECEIVED  | 400 s (late)   |
    | c     | Sun 19:00       | call_center_new | 2     | 1         | DELIVERED | 30 s           |
    | d     | Sun 19:20       | call_center_new | 2     | 1         | PENDING   | never          |
    | e     | Sat 23:59:30    | bolt_food       | 1     | 3         | IGNORE    | -              |
    | f     | Mon 00:00:10    | wolt            | 1     | 2         | RECEIVED  | not observed   |
    | g     | Tue (after)     | wolt            | 1     | 2         | PENDING   | outside range  |
    """
    settings.TIME_ZONE = "Asia/Baku"
    settings.WALL_AGE_THRESHOLDS = ["PENDING=2:5"]
    sunday, saturday = MONDAY - timedelta(days=1), MONDAY - timedelta(days=2)
    wolt = {"integration": "wolt", "venue_id": 1, "sale_type_id": 2}
    call = {"integration": "call_center_new", "venue_id": 2, "sale_type_id": 1}
    pizza = [
        {"name": "Pizza", "count": 2, "price": "8", "modifiers": [{"name": "Cheese", "count": 1}]}
    ]
    plov = [{"name": "Plov", "count": 1, "price": "12"}]
    orders = {
        "a": pending_then("DELIVERED", MONDAY, 12, 0, 60, items=pizza, receipt_id=1, **wolt),
        "b": pending_then("RECEIVED", MONDAY, 12, 10, 400, items=plov, receipt_id=2, **wolt),
        "c": pending_then("DELIVERED", sunday, 19, 0, 30, items=pizza + plov, **call),
        "d": pending_then("PENDING", sunday, 19, 20, None, items=plov, **call),
        "e": make_order(
            status="IGNORE",
            created_at=at(saturday, 23, 59, 30),
            integration="bolt_food",
            venue_id=1,
            sale_type_id=3,
            items=plov,
        ),
        "f": make_order(status="RECEIVED", created_at=at(MONDAY, 0, 0, 10), items=plov, **wolt),
        "g": pending_then("PENDING", MONDAY + timedelta(days=1), 9, 0, None, **wolt),
    }
    # Receipts: a went READY 20 min after acceptance and was closed 5 min later; b is READY.
    a, b = orders["a"], orders["b"]
    for receipt_id, total in ((1, "2500"), (2, "1500")):
        Receipt.objects.create(id=receipt_id, status=1, total=Decimal(total))
    ReceiptEvent.objects.create(
        receipt_id=1,
        kind="order_status",
        to_value="READY",
        observed_at=a.created_at + timedelta(seconds=60 + 1200),
    )
    ReceiptEvent.objects.create(
        receipt_id=1, kind="closed", observed_at=a.created_at + timedelta(seconds=60 + 1500)
    )
    ReceiptEvent.objects.create(
        receipt_id=2,
        kind="order_status",
        to_value="READY",
        observed_at=b.created_at + timedelta(seconds=400 + 600),
    )
    mark_synced()
    return orders


WEEKEND = InsightFilters(date_from=MONDAY - timedelta(days=2), date_to=MONDAY)


def test_the_headline_figures(restaurant):
    result = insights(WEEKEND, today=MONDAY)
    assert result.orders == 6  # g is the day after
    assert result.ignored == 1 and result.ignored_share == pytest.approx(1 / 6)
    assert result.pending == 1  # d, never accepted
    assert result.accepted == 4  # a, b, c, f
    assert result.accept.count == 3  # f was accepted before Pass saw it: no figure
    # 30, 60, 400 s: the median is 60 s (bucket 60-65), the 90th percentile 400 s (400-405).
    assert result.accept.median == 62.5 and result.accept.p90 == 402.5
    assert (
        result.late == 1 and result.late_share == pytest.approx(1 / 3) and result.late_minutes == 5
    )
    assert result.prep.count == 2  # a: 1200 s; b: 600 s (bucket 600-660)
    assert result.prep.median == 630 and result.prep.p90 == 1230
    assert result.handover.count == 1 and result.handover.median == 302.5  # 300 s
    assert result.with_receipt == 2 and result.receipt_average == Decimal("2000")
    # Items of orders not ignored: Pizza 2 (a) + 2 (c); Plov 1 (b) + 1 (c) + 1 (d) + 1 (f).
    assert [(i.name, i.count, i.orders) for i in result.items] == [
        ("Pizza", 4, 2),  # a tie on count: by name
        ("Plov", 4, 4),
    ]
    assert result.items_sold == 8
    assert [(m.name, m.count) for m in result.modifiers] == [("Cheese", 4)]


def test_channels_venues_and_sale_types(restaurant):
    result = insights(WEEKEND, today=MONDAY)
    channels = {c.channel: c for c in result.channels}
    assert [c.channel for c in result.channels] == ["wolt", "call_center_new", "bolt_food"]
    assert channels["wolt"].orders == 3 and channels["wolt"].accept.count == 2
    assert channels["wolt"].accept.median == 62.5 and channels["wolt"].late == 1
    assert channels["call_center_new"].accept.median == 32.5
    assert channels["bolt_food"].ignored == 1 and channels["bolt_food"].accept.count == 0
    venues = {v.venue_id: v for v in result.venues}
    assert venues[1].name == "Nizami (Main)" and venues[1].orders == 4
    assert venues[2].orders == 2 and venues[2].accept.median == 32.5
    mix = {m.key: (m.orders, m.share) for m in result.sale_types}
    assert mix == {"2": (3, 0.5), "1": (2, pytest.approx(1 / 3)), "3": (1, pytest.approx(1 / 6))}
    assert {m.key: m.label for m in result.sale_types}["2"] == "Catdirilma"


def test_hours_and_weekdays_are_local_and_midnight_falls_on_the_right_day(restaurant):
    result = insights(WEEKEND, today=MONDAY)
    hours = {h.hour: h.count for h in result.hourly if h.count}
    # e at 23:59:30 Saturday and f at 00:00:10 Monday (20:00 UTC on Sunday) stay on their
    # local days and hours.
    assert hours == {0: 1, 12: 2, 19: 2, 23: 1}
    cells = {(c.weekday, c.hour): c.count for row in result.heatmap for c in row if c.count}
    assert cells == {(1, 0): 1, (1, 12): 2, (7, 19): 2, (6, 23): 1}
    busiest = max(c.level for row in result.heatmap for c in row)
    assert busiest == 5
    assert result.hourly[12].per_day == pytest.approx(2 / 3)


def test_the_baseline_is_the_same_weekdays_of_the_four_weeks_before(restaurant):
    # Two Mondays before, at noon: 1 order, then 3 orders.
    for weeks, count in ((1, 1), (2, 3)):
        for n in range(count):
            make_order(status="DELIVERED", created_at=at(MONDAY - timedelta(weeks=weeks), 12, n))
    # A Tuesday before does not count towards a Monday's baseline.
    make_order(status="DELIVERED", created_at=at(MONDAY - timedelta(days=6), 12, 0))
    monday = InsightFilters(date_from=MONDAY, date_to=MONDAY)
    result = insights(monday, today=MONDAY)
    assert result.hourly[12].count == 2 and result.hourly[12].baseline == 2.0  # (1 + 3) / 2
    assert result.hourly[13].baseline == 0.0
    # Days of the four weeks before that had orders: two Mondays, a Tuesday, and the fixture's
    # Saturday and Sunday.
    assert result.baseline_days == 5


def test_an_empty_range_and_a_single_order(restaurant):
    empty = insights(
        InsightFilters(date_from=date(2025, 1, 1), date_to=date(2025, 1, 7)), today=MONDAY
    )
    assert empty.orders == 0 and empty.accept.median is None and empty.ignored_share is None
    assert empty.receipt_average is None and empty.items == () and empty.channels == ()
    assert all(h.count == 0 and h.baseline is None for h in empty.hourly)
    one = insights(
        InsightFilters(date_from=MONDAY - timedelta(days=1), date_to=MONDAY, venue=2, channel=""),
        today=MONDAY,
    )
    assert one.orders == 2 and one.accept.count == 1 and one.accept.median == one.accept.p90


def test_the_board_filters_apply(restaurant):
    wolt = insights(
        InsightFilters(date_from=WEEKEND.date_from, date_to=MONDAY, channel="wolt"), today=MONDAY
    )
    assert wolt.orders == 3 and [c.channel for c in wolt.channels] == ["wolt"]


def test_percentiles_read_from_buckets():
    dist = Distribution.of({0: 1, 5: 1, 600: 2})
    assert dist.count == 4
    assert dist.percentile(0.25) == 2.5 and dist.median == 7.5 and dist.p90 == 630
    assert dist.box == (2.5, 2.5, 7.5, 630, 630)
    assert Distribution.of({}).box is None


# --- the page, its links, the board filters they use, the CSV ---------------------------------


@pytest.fixture
def manager(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mgr", password="pw-long-123456"))
    return client


def board_total(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.context["page"].total


def test_every_hour_bar_links_to_exactly_the_orders_it_counts(restaurant, manager):
    from orders_app.views.insights import board_link

    result = insights(WEEKEND, today=MONDAY)
    for row in result.hourly:
        url = board_link(WEEKEND, hour=row.hour)
        assert f"hour={row.hour}" in url and "from=2026-01-31" in url and "to=2026-02-02" in url
        assert board_total(manager, url) == row.count, row.hour


def test_heatmap_cells_link_to_their_weekday_and_hour(restaurant, manager):
    from orders_app.views.insights import board_link

    result = insights(WEEKEND, today=MONDAY)
    for row in result.heatmap:
        for cell in row:
            if cell.count:
                url = board_link(WEEKEND, weekday=cell.weekday, hour=cell.hour)
                assert board_total(manager, url) == cell.count


def test_channel_and_sale_type_links_select_their_orders(restaurant, manager):
    from orders_app.views.insights import board_link

    result = insights(WEEKEND, today=MONDAY)
    for channel in result.channels:
        assert board_total(manager, board_link(WEEKEND, channel=channel.channel)) == channel.orders
    for mix in result.sale_types:
        assert board_total(manager, board_link(WEEKEND, sale_type=mix.key)) == mix.orders


def test_the_board_shows_the_insights_filters_and_can_clear_them(restaurant, manager):
    body = manager.get("/?weekday=5&hour=19&sale_type=2").content.decode()
    assert "Friday" in body and "19:00–19:59" in body and "Catdirilma" in body
    assert 'name="hour" value="19"' in body  # kept when another filter changes


@pytest.mark.parametrize(
    "query", ["hour=24", "hour=x", "weekday=0", "weekday=8", "sale_type=-1", "hour=1.5"]
)
def test_a_bad_board_time_filter_is_a_form_error(restaurant, manager, query):
    response = manager.get(f"/?{query}")
    assert response.status_code == 400
    assert response.context["form"].errors


def test_hours_follow_summer_time(manager, settings):
    # Berlin moves from +1 to +2 at 01:00 UTC on 29 March 2026.
    settings.TIME_ZONE = "Europe/Berlin"
    before = make_order(created_at=datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("UTC")))
    after = make_order(created_at=datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("UTC")))
    mark_synced()
    ids = lambda q: {o.id for o in manager.get(f"/?{q}").context["page"].orders}  # noqa: E731
    assert ids("hour=1") == {before.id} and ids("hour=3") == {after.id}
    assert ids("hour=3&from=2026-03-29&to=2026-03-29") == {after.id}
    assert ids("weekday=7") == {before.id, after.id}
    result = insights(InsightFilters(date(2026, 3, 29), date(2026, 3, 29)), today=MONDAY)
    assert {h.hour for h in result.hourly if h.count} == {1, 3}


def test_the_page_renders_its_figures_with_links(restaurant, manager):
    response = manager.get("/insights/?from=2026-01-31&to=2026-02-02")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-kpi="orders"' in body and ">6<" in body
    assert "1 min 2 s" in body  # the median time to accept, 62.5 s
    assert "3 of 4 accepted orders measured" in body and "1 never accepted" in body
    assert "/?from=2026-01-31&amp;to=2026-02-02&amp;hour=12" in body
    assert "/?from=2026-01-31&amp;to=2026-02-02&amp;weekday=7&amp;hour=19" in body
    assert body.count("<svg") >= 7 and body.count("<title") >= 8
    assert "Nizami (Main)" in body


def test_the_default_range_is_the_last_seven_days(restaurant, manager):
    filters = manager.get("/insights/").context["filters"]
    assert (filters.date_from, filters.date_to) == (MONDAY - timedelta(days=6), MONDAY)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "Use a date like"),
        ("from=2026-02-05&to=2026-02-01", "The end date is before the start date."),
        ("from=2024-01-01&to=2026-02-01", "Pick at most 366 days."),
        ("venue=abc", "Pick a venue from the list."),
        ("from=1999-01-01", "Pick a date between"),
    ],
)
def test_bad_parameters_are_a_form_error_never_a_500(restaurant, manager, query, message):
    response = manager.get(f"/insights/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["data"] is not None  # the page still shows the default range


def test_insights_need_a_login(client, db):
    for url in ("/insights/", "/insights/export.csv?table=hourly"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def read_csv(response) -> list[list[str]]:
    import csv
    import io

    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_equals_the_tables(restaurant, manager):
    query = "from=2026-01-31&to=2026-02-02"
    result = insights(WEEKEND, today=MONDAY)
    channels = read_csv(manager.get(f"/insights/export.csv?{query}&table=channels"))
    assert channels[0][:3] == ["channel", "name", "orders"]
    assert [(r[0], int(r[2]), r[5]) for r in channels[1:]] == [
        (c.channel, c.orders, f"{c.accept.median:g}" if c.accept.median else "")
        for c in result.channels
    ]
    hourly = read_csv(manager.get(f"/insights/export.csv?{query}&table=hourly"))
    assert [int(r[1]) for r in hourly[1:]] == [h.count for h in result.hourly]
    items = read_csv(manager.get(f"/insights/export.csv?{query}&table=items"))
    assert ["item", "Pizza", "4", "2"] in items and ["modifier", "Cheese", "4", "2"] in items
    venues = read_csv(manager.get(f"/insights/export.csv?{query}&table=venues"))
    assert [r[1] for r in venues[1:]] == [v.name for v in result.venues]
    bad = manager.get(f"/insights/export.csv?{query}&table=everything")
    assert bad.status_code == 400 and "table" in bad.content.decode()


def test_the_page_costs_a_fixed_number_of_queries_once_its_days_are_filled(
    restaurant, manager, django_assert_max_num_queries
):
    assert manager.get("/insights/").status_code == 200  # fills the days it reads
    # session, user, the days' state, the figures (acceptance, kitchen, hours, sale types,
    # items and their total, modifiers, sale type and venue names), sync health, channels and
    # venues for the form.
    with django_assert_max_num_queries(17):
        assert manager.get("/insights/").status_code == 200


def test_a_cold_fill_costs_a_few_queries_a_week(restaurant, django_assert_max_num_queries):
    from orders_app.services.insight_rollups import CHUNK_DAYS

    filters = InsightFilters(date_from=MONDAY - timedelta(days=89), date_to=MONDAY)
    days = rollup_days(filters)
    chunks = -(-len(days) // CHUNK_DAYS)
    # per chunk: the lock (2), the days' state, delete, 4 aggregates, insert, state upsert
    with django_assert_max_num_queries(1 + chunks * 12):
        assert ensure_days(days) == len(days)
    with django_assert_max_num_queries(1):
        assert ensure_days(days) == 0  # all current: one read


def test_the_sync_marks_the_days_it_changes_so_no_figure_is_stale(simulator, settings, db):
    from orders_app.clopos.client import CloposClient
    from orders_app.clopos.config import ClientSettings
    from orders_app.models import InsightDay, Order
    from orders_app.services.sync import sync_pass

    sim = simulator.simulator
    client = CloposClient(
        ClientSettings(
            base_url=simulator.base_url,
            **settings.CLOPOS_DEMO_CREDENTIALS,
            requests_per_minute=300,
            page_size=50,
            max_retries=0,
            timeout=5,
            backoff_base=0.0,
        ),
        sleep=lambda _seconds: None,
    )
    try:
        sync_pass(client=client)
        filters = InsightFilters(date_from=MONDAY - timedelta(days=6), date_to=MONDAY)
        first = insights(filters, today=MONDAY)
        assert first.orders == Order.objects.filter(created_at__date__gte=filters.date_from).count()
        before = InsightDay.objects.get(day=MONDAY)
        assert before.filled == before.dirty
        created = sim.add_order()
        sim.clock.advance(2)
        sync_pass(client=client)
        after = InsightDay.objects.get(day=MONDAY)
        assert after.dirty > after.filled  # the sync marked the day
        again = insights(filters, today=MONDAY)
        assert again.orders == first.orders + 1
        assert Order.objects.filter(id=created["id"]).exists()
        # Accepting it moves the figures too.
        sim.set_status(created["id"], "RECEIVED")
        sim.clock.advance(2)
        sync_pass(client=client)
        accepted = insights(filters, today=MONDAY)
        assert accepted.accepted == again.accepted + 1
    finally:
        client.close()


def test_a_changed_time_zone_fills_every_day_again(restaurant, settings):
    from orders_app.services.insight_rollups import stale_days

    days = rollup_days(WEEKEND)
    ensure_days(days)
    assert stale_days(days) == []
    settings.TIME_ZONE = "Europe/Moscow"
    assert stale_days(days) == days


def test_the_sync_loop_warms_past_days_a_week_at_a_time_and_leaves_today(
    restaurant, django_assert_max_num_queries
):
    from orders_app.models import InsightDay
    from orders_app.services.insight_rollups import CHUNK_DAYS, WARM_DAYS, stale_days, warm

    assert warm(today=MONDAY) == CHUNK_DAYS
    filled = set(InsightDay.objects.filter(filled__isnull=False).values_list("day", flat=True))
    assert filled - {date(1970, 1, 1)} == {
        MONDAY - timedelta(days=n) for n in range(1, CHUNK_DAYS + 1)
    }
    while warm(today=MONDAY):
        pass
    past = [MONDAY - timedelta(days=n) for n in range(1, WARM_DAYS + 1)]
    assert stale_days(past) == [] and stale_days([MONDAY]) == [MONDAY]
    with django_assert_max_num_queries(1):
        assert warm(today=MONDAY) == 0


def test_a_day_filled_alone_keeps_its_first_and_last_minutes(db, settings):
    # 00:30 in Baku is 20:30 UTC the day before: the fill's bounds must compare as stored.
    settings.TIME_ZONE = "Asia/Baku"
    early = make_order(status="DELIVERED", created_at=at(MONDAY, 0, 30))
    late = make_order(status="DELIVERED", created_at=at(MONDAY, 23, 59, 50))
    make_order(status="DELIVERED", created_at=at(MONDAY - timedelta(days=1), 23, 59, 50))
    make_order(status="DELIVERED", created_at=at(MONDAY + timedelta(days=1), 0, 0, 5))
    ensure_days([MONDAY])
    result = read_insights(InsightFilters(date_from=MONDAY, date_to=MONDAY), today=MONDAY)
    assert result.orders == 2 and {h.hour for h in result.hourly if h.count} == {0, 23}
    assert early.id != late.id


def test_time_to_accept_by_hour_against_the_same_weekdays_before(restaurant):
    # A Monday a week before: two orders at noon, accepted after 20 s and 40 s.
    for seconds in (20, 40):
        order = pending_then("DELIVERED", MONDAY - timedelta(weeks=1), 12, 5, seconds)
        assert order.status == "DELIVERED"
    # A Sunday before: not a weekday of a Monday-only range.
    pending_then("DELIVERED", MONDAY - timedelta(days=8), 12, 5, 500)
    monday = InsightFilters(date_from=MONDAY, date_to=MONDAY)
    hours = {h.hour: h for h in insights(monday, today=MONDAY).accept_hours}
    noon = hours[12]
    assert noon.accept.count == 2 and noon.accept.median == 62.5  # 60 s and 400 s
    assert noon.baseline.count == 2 and noon.baseline.median == 22.5  # 20 s and 40 s
    assert hours[19].accept.count == 0  # Sunday's orders are not in a Monday range
    weekend = {h.hour: h for h in insights(WEEKEND, today=MONDAY).accept_hours}
    assert weekend[19].accept.median == 32.5
