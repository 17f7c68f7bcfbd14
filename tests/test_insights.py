"""Insights' figures against a fixture restaurant computed by hand (equal on SQLite and
PostgreSQL: the suite runs on both), the board filters they link to, the CSV, the page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orders_app.models import OrderEvent, Receipt, ReceiptEvent
from orders_app.selectors.insights import Distribution, InsightFilters, insights
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db

BAKU = ZoneInfo("Asia/Baku")
MONDAY = date(2026, 2, 2)  # the fixed clock's day (tests/fixtures/clock.py)


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
