"""The board, an order and the wall in Azerbaijani and Russian, in a real Chromium.

Screenshots (tests/screenshots/i18n-*.png) are there to be looked at: longer words than the
English must not be cut, wrapped into each other or overlap.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_wall_screens import page_metrics
from tests.fixtures.browser import busy_kitchen
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db(transaction=True)

BROWSER_LOCALES = {"az": "az-AZ", "ru": "ru-RU"}
# Boxes in the board's header that must never overlap, whatever the language.
HEADER_PARTS = [".brand", ".app-nav", "#sync-status", ".lang-menu", ".app-user"]


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()


@pytest.fixture
def orders(reference_data):
    now = timezone.now()
    make_order(
        id=6001,
        status="PENDING",
        created_at=now - timedelta(minutes=7),
        customer_name="Leyla Məmmədova",
        venue_id=1,
        sale_type_id=2,
        comment="Qapının zəngini çalın",
    )
    make_order(
        id=6002,
        status="RECEIVED",
        created_at=now - timedelta(minutes=12),
        customer_name="Иван Петров",
        venue_id=2,
        sale_type_id=3,
        type="WOLT_ORDER",
        integration="wolt",
    )
    make_order(
        id=6003,
        status="DELIVERED",
        created_at=now - timedelta(minutes=50),
        updated_at=now - timedelta(minutes=4),
        customer_name="Rahid Akhundzada",
    )
    mark_synced(ago=2)


def overlapping(page, selectors: list[str]) -> list[tuple[str, str]]:
    """Pairs of visible elements whose boxes intersect."""
    boxes = {}
    for selector in selectors:
        locator = page.locator(selector).first
        if locator.count() and locator.is_visible():
            boxes[selector] = locator.bounding_box()
    found = []
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = boxes[a], boxes[b]
            if (
                x["x"] < y["x"] + y["width"] - 1
                and y["x"] < x["x"] + x["width"] - 1
                and x["y"] < y["y"] + y["height"] - 1
                and y["y"] < x["y"] + x["height"] - 1
            ):
                found.append((a, b))
    return found


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def cut_texts(page, selector: str) -> list[str]:
    """Elements whose text is wider than their box (cut, not wrapped)."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
            .map(e => e.textContent.trim())""",
        selector,
    )


@pytest.mark.parametrize("language", ["az", "ru"])
def test_the_board_and_an_order_in_the_browsers_language(
    browser_context_factory, manager_user, orders, screenshot, language
):
    for name, width, height in [("desktop", 1440, 900), ("phone", 390, 844)]:
        context = browser_context_factory(
            width=width, height=height, user=manager_user, locale=BROWSER_LOCALES[language]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator('tbody.order[data-order-id="6001"]')).to_be_visible()
        # The scripts' words come from the JavaScript catalogue: the ages tick in the language.
        ago = page.locator("#sync-status time[data-ago]")
        expect(ago).to_have_text(
            re.compile("назад|только что" if language == "ru" else "əvvəl|indicə")
        )
        assert no_horizontal_scroll(page), f"the {language} board scrolls sideways at {width}px"
        assert overlapping(page, HEADER_PARTS) == [], f"header parts overlap at {width}px"
        screenshot(page, f"i18n-board-{language}-{name}")
        page.locator('tbody.order[data-order-id="6001"] .c-customer').click()
        expect(page.locator("#panel-6001 .modifier")).to_be_visible()
        screenshot(page, f"i18n-board-{language}-{name}-open", full_page=True)
        page.goto("/orders/6001/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert no_horizontal_scroll(page)
        screenshot(page, f"i18n-order-{language}-{name}", full_page=True)
        assert errors == []


def test_the_language_menu_switches_the_board_and_keeps_the_filters(
    browser_context_factory, manager_user, orders
):
    page = browser_context_factory(user=manager_user, locale="en-GB").new_page()
    page.goto("/?status=PENDING")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-lang-apply]")).to_be_hidden()  # the select applies by itself
    page.locator("#lang-select").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert page.url.endswith("/?status=PENDING")
    expect(page.locator("#results-heading")).to_have_text("Заказы")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")  # remembered in a cookie


@pytest.mark.parametrize("language", ["az", "ru"])
def test_the_wall_at_1920x1080_in_its_links_language(
    settings, reference_data, browser_context_factory, manager_user, screenshot, language
):
    settings.WALL_POLL_SECONDS = 1
    busy_kitchen()
    make_order(status="PENDING", created_at=timezone.now() - timedelta(minutes=9))  # red: late
    mark_synced()
    page = browser_context_factory(width=1920, height=1080, user=manager_user).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/wall/?lang={language}")
    page.wait_for_selector("#wall-live")
    page.wait_for_timeout(1500)
    expect(page.locator("html")).to_have_attribute("lang", language)
    metrics = page_metrics(page)
    assert metrics["scrollW"] <= metrics["clientW"] and metrics["scrollH"] <= metrics["clientH"]
    for column in metrics["columns"]:
        assert not column["overflowing"], column
    assert cut_texts(page, ".column-head .col-label") == []
    assert cut_texts(page, ".sound-controls .btn") == []
    late = page.locator(".card.age-red .age-flag").first
    expect(late).to_be_visible()
    shown = late.inner_text()  # as the screen shows it: capitalised by the stylesheet
    if language == "az":
        assert "GECİKİR" in shown, shown  # dotted capital İ, not I
    else:
        assert "ОПАЗДЫВАЕТ" in shown, shown
    screenshot(page, f"i18n-wall-{language}-1920x1080")
    assert errors == []
