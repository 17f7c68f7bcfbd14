"""Insights in a real Chromium: desktop and phone, no CSP violation, links that land on the
board with the right filters; screenshots to look at."""

from __future__ import annotations

import random
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from orders_app.models import OrderEvent
from tests.fixtures.browser import DISHES
from tests.fixtures.orders import make_order, mark_synced

CHANNELS = ["wolt", "bolt_food", "call_center_new", "web"]


def busy_month() -> None:
    """Five weeks of a restaurant: lunch and dinner rushes, Wolt slow to accept on Fridays."""
    rng = random.Random(7)
    today = timezone.localdate()
    for day_back in range(34, -1, -1):
        day = today - timedelta(days=day_back)
        for _ in range(rng.randint(4, 9) + (6 if day.isoweekday() == 5 else 0)):
            hour = rng.choice([11, 12, 12, 13, 13, 14, 18, 19, 19, 20, 21, 9, 16])
            created = timezone.make_aware(
                timezone.datetime(day.year, day.month, day.day, hour, rng.randint(0, 59))
            )
            if created > timezone.now():
                continue
            channel = rng.choice(CHANNELS)
            status = rng.choices(["DELIVERED", "IGNORE", "PENDING"], [90, 6, 4])[0]
            dish, mods, _ = DISHES[rng.randrange(len(DISHES))]
            order = make_order(
                status=status,
                created_at=created,
                integration=channel,
                venue_id=rng.choice([1, 1, 2]),
                sale_type_id=rng.choice([1, 2, 2, 3]),
                items=[{"name": dish, "count": rng.randint(1, 3), "modifiers": mods}],
            )
            OrderEvent.objects.filter(order=order).update(to_status="PENDING")
            if status == "DELIVERED":
                slow = 4 if (channel == "wolt" and day.isoweekday() == 5) else 1
                OrderEvent.objects.create(
                    order=order,
                    kind=OrderEvent.Kind.STATUS,
                    from_status="PENDING",
                    to_status="RECEIVED",
                    observed_at=created + timedelta(seconds=rng.randint(15, 150) * slow),
                )
    mark_synced()


@pytest.fixture
def insights_page(reference_data, manager_user, browser_context_factory):
    busy_month()

    def open_page(query: str = "", *, width: int = 1440, height: int = 900):
        context = browser_context_factory(width=width, height=height, user=manager_user)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
        page.problems = problems  # type: ignore[attr-defined]
        page.goto(f"/insights/{query}")
        page.wait_for_selector(".kpis")
        return page

    return open_page


def test_insights_on_a_desktop_and_a_phone(insights_page, screenshot):
    page = insights_page()
    assert page.locator(".kpi[data-kpi=orders] .kpi-value").inner_text() != "0"
    for chart in ("hourly-svg-title", "heat-svg-title", "accept-svg-title"):
        assert page.locator(f"svg title#{chart}").count() == 1
    hourly = page.locator("section[aria-labelledby=hourly-title] svg.chart-columns")
    assert hourly.locator("rect.bar").count() == 24
    by_hour = page.locator("section[aria-labelledby=accept-hours-title] svg.chart-columns")
    assert by_hour.locator("rect.bar").count() == 24
    assert page.locator("svg.chart-heat rect.heat").count() == 7 * 24
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1440
    screenshot(page, "insights-1440x900", full_page=True)
    phone = insights_page(width=390, height=844)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone, "insights-390x844", full_page=True)
    phone.locator("#hourly-title").scroll_into_view_if_needed()
    screenshot(phone, "insights-390x844-charts")
    # The chart scrolls inside its card, at a readable size.
    assert phone.locator("svg.chart-columns").first.bounding_box()["width"] >= 600
    # No CSP violation, no script error (the console reports refused styles and scripts).
    assert page.problems == [] and phone.problems == []


def test_a_bar_lands_on_the_board_with_its_filters(insights_page):
    page = insights_page()
    page.locator("section[aria-labelledby=hourly-title] svg a.mark").nth(19).click()
    page.wait_for_selector("#board-results")
    query = parse_qs(urlparse(page.url).query)
    assert query["hour"] == ["19"] and "from" in query and "to" in query
    assert page.locator("#board-results .form-errors").count() == 0


def test_a_heatmap_cell_and_a_channel_land_on_their_orders(insights_page):
    page = insights_page()
    page.locator("svg.chart-heat a.mark").nth(4 * 24 + 19).click()  # Friday 19:00
    page.wait_for_selector("#board-results")
    query = parse_qs(urlparse(page.url).query)
    assert query["weekday"] == ["5"] and query["hour"] == ["19"]
    page.go_back()
    page.locator("svg.chart-box a.mark").first.click()
    page.wait_for_selector("#board-results")
    assert "channel" in parse_qs(urlparse(page.url).query)
