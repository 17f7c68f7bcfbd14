"""The board in a real Chromium against a live server with real htmx (CSP on, no CDN)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.models import Order
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_COMMENT = '"><img src=x onerror=alert("comment")>'
HOSTILE_PRODUCT = '<img src=x onerror=alert("product")>Burger'


@pytest.fixture
def fast_poll(settings):
    settings.BOARD_POLL_SECONDS = 1
    return settings


@pytest.fixture
def orders(reference_data):
    now = timezone.now()
    pending = make_order(
        id=5001,
        status="PENDING",
        created_at=now - timedelta(minutes=3),
        customer_name="Leyla Məmmədova",
        customer_phone="+994 50 123 45 67",
        venue_id=1,
        sale_type_id=2,
    )
    delivered = make_order(
        id=5002,
        status="DELIVERED",
        created_at=now - timedelta(minutes=40),
        customer_name="Иван Петров",
        customer_phone="+994551112233",
        venue_id=2,
        sale_type_id=1,
        type="WEB_ORDER",
        integration="website",
    )
    received = make_order(
        id=5003,
        status="RECEIVED",
        created_at=now - timedelta(minutes=12),
        customer_name="Rahid Akhundzada",
        venue_id=1,
        sale_type_id=3,
        comment="Ring the bell twice",
    )
    mark_synced(ago=2)
    return pending, delivered, received


def _row(page, order_id: int):
    return page.locator(f'tbody.order[data-order-id="{order_id}"]')


def test_changing_a_filter_updates_the_list_and_the_url(manager_page, orders, live_server):
    page = manager_page
    page.goto("/")
    expect(_row(page, 5001)).to_be_visible()
    expect(_row(page, 5002)).to_be_visible()

    page.locator("label.chip--delivered").click()

    expect(page).to_have_url(re.compile(r"\?status=DELIVERED$"))
    expect(_row(page, 5001)).to_have_count(0)
    expect(_row(page, 5002)).to_be_visible()
    expect(page.locator("#count-DELIVERED")).to_have_text("1")

    page.locator("#id_q").fill("leyla")
    expect(page).to_have_url(re.compile(r"\?q=leyla&status=DELIVERED$"))
    expect(page.locator(".empty")).to_contain_text("No orders match these filters")


def test_search_finds_a_phone_typed_with_spaces(manager_page, orders):
    page = manager_page
    page.goto("/")
    page.locator("#id_q").fill("050 123 45 67")
    expect(page).to_have_url(re.compile(r"q=050"))
    expect(_row(page, 5001)).to_be_visible()
    expect(page.locator("tbody.order")).to_have_count(1)


def test_opening_a_row_shows_its_modifiers_and_customer(manager_page, orders):
    page = manager_page
    page.goto("/")
    _row(page, 5001).locator(".c-customer").click()

    panel = page.locator("#panel-5001")
    expect(panel).to_be_visible()
    expect(panel.locator(".modifier")).to_contain_text("Extra cheese")
    expect(panel.locator(".note")).to_contain_text("No onions")
    expect(panel.locator('a[href="tel:+994501234567"]')).to_have_text("+994 50 123 45 67")
    expect(panel).to_contain_text("28 May küçəsi 5, Bakı")
    expect(panel).to_contain_text("Items subtotal (computed)")
    expect(_row(page, 5001).locator(".order-row")).to_have_attribute("aria-expanded", "true")

    # Keyboard: focus another row and open it with Enter, close it with Space.
    row = _row(page, 5003).locator(".order-row")
    row.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-5003")).to_be_visible()
    expect(page.locator("#panel-5003")).to_contain_text("Ring the bell twice")
    page.keyboard.press(" ")
    expect(page.locator("#panel-5003")).to_be_hidden()


def test_the_rows_are_a_treegrid_the_arrow_keys_walk_open_and_close(manager_page, orders):
    page = manager_page
    page.goto("/")
    expect(page.locator("table.orders")).to_have_attribute("role", "treegrid")
    first = _row(page, 5001).locator(".order-row")
    first.focus()
    page.keyboard.press("ArrowDown")
    expect(_row(page, 5003).locator(".order-row")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#panel-5003")).to_be_visible()
    expect(_row(page, 5003).locator(".order-row")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#panel-5003")).to_be_hidden()
    page.keyboard.press("End")
    expect(_row(page, 5002).locator(".order-row")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the last row stays the last
    expect(_row(page, 5002).locator(".order-row")).to_be_focused()
    page.keyboard.press("Home")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()


def test_a_new_order_appears_without_a_reload_and_open_rows_stay_open(
    manager_page, orders, fast_poll
):
    page = manager_page
    page.goto("/")
    _row(page, 5003).locator(".c-customer").click()
    expect(page.locator("#panel-5003 .modifier")).to_contain_text("Extra cheese")
    page.evaluate("window.__sameDocument = true")

    make_order(id=5099, status="PENDING", customer_name="Nigar Quliyeva")
    mark_synced()

    expect(_row(page, 5099)).to_be_visible(timeout=10_000)
    expect(_row(page, 5099)).to_have_class(re.compile(r"\bis-new\b"))
    expect(page.locator("#board-announce")).to_have_text("1 new order in the list.")
    expect(page.locator("#count-PENDING")).to_have_text("2")
    # Still the same document (no reload), and the open row is still open.
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#panel-5003")).to_be_visible()
    expect(page.locator("#panel-5003 .modifier")).to_contain_text("Extra cheese")


def test_the_back_button_restores_the_previous_filter(manager_page, orders):
    page = manager_page
    page.goto("/")
    page.locator("label.chip--pending").click()
    expect(page).to_have_url(re.compile(r"\?status=PENDING$"))
    page.locator("#id_venue").select_option("2")
    expect(page).to_have_url(re.compile(r"\?venue=2&status=PENDING$"))
    expect(page.locator(".empty")).to_be_visible()

    page.go_back()

    expect(page).to_have_url(re.compile(r"\?status=PENDING$"))
    expect(_row(page, 5001)).to_be_visible()
    expect(page.locator("tbody.order")).to_have_count(1)
    expect(page.locator('input[name="status"][value="PENDING"]')).to_be_checked()
    expect(page.locator("#id_venue")).to_have_value("")


def test_hostile_text_shows_as_text_and_no_dialog_fires(manager_page, reference_data):
    make_order(
        id=6660,
        customer_name=HOSTILE_NAME,
        comment=HOSTILE_COMMENT,
        customer_address=HOSTILE_COMMENT,
        items=[
            {
                "name": HOSTILE_PRODUCT,
                "count": 1,
                "price": "5",
                "modifiers": [{"name": HOSTILE_NAME, "count": 1, "price": "0"}],
                "note": HOSTILE_COMMENT,
            }
        ],
    )
    mark_synced()
    dialogs: list[str] = []
    page = manager_page
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/")
    row = _row(page, 6660)
    expect(row.locator(".c-customer .name")).to_have_text(HOSTILE_NAME)
    row.locator(".c-customer").click()
    panel = page.locator("#panel-6660")
    expect(panel.locator(".item-name")).to_contain_text(HOSTILE_PRODUCT)
    expect(panel.locator(".modifier")).to_contain_text(HOSTILE_NAME)
    expect(panel).to_contain_text(HOSTILE_COMMENT)
    page.goto("/orders/6660/")
    expect(page.locator(".detail")).to_contain_text(HOSTILE_COMMENT)
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0


def test_screenshots_desktop_and_phone(browser_context_factory, manager_user, orders, screenshot):
    for name, width, height in [("desktop", 1440, 900), ("phone", 390, 844)]:
        context = browser_context_factory(width=width, height=height, user=manager_user)
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None
        )
        page.goto("/")
        expect(_row(page, 5001)).to_be_visible()
        screenshot(page, f"board-{name}")
        _row(page, 5001).locator(".c-customer").click()
        expect(page.locator("#panel-5001 .modifier")).to_be_visible()
        screenshot(page, f"board-{name}-open", full_page=True)
        page.goto("/orders/5001/")
        screenshot(page, f"order-{name}", full_page=True)
        if name == "desktop":
            page.emulate_media(media="print")
            expect(page.locator(".app-header")).to_be_hidden()
            expect(page.get_by_role("button", name="Print")).to_be_hidden()
            screenshot(page, "order-print", full_page=True)
            page.emulate_media(media="screen")
        assert errors == [], errors
        page.goto("/?from=2026-13-40")
        expect(page.locator(".form-errors")).to_contain_text("From: Use a date like")
        screenshot(page, f"board-{name}-invalid")
    anonymous = browser_context_factory(width=390, height=844).new_page()
    anonymous.goto("/")
    expect(anonymous.locator("#id_username")).to_be_visible()
    screenshot(anonymous, "login-phone")


def test_the_filter_form_works_with_javascript_off(browser_context_factory, manager_user, orders):
    page = browser_context_factory(user=manager_user, java_script_enabled=False).new_page()
    page.goto("/")
    page.locator("label.chip--delivered").click()
    page.locator("#id_venue").select_option("2")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=DELIVERED"))
    expect(page).to_have_url(re.compile(r"venue=2"))
    expect(page.locator("tbody.order")).to_have_count(1)
    expect(_row(page, 5002)).to_be_visible()
    # Rows link to the full order page.
    _row(page, 5002).get_by_role("link", name="#5002").click()
    expect(page).to_have_url(re.compile(r"/orders/5002/$"))
    expect(page.locator(".detail")).to_contain_text("Extra cheese")


def test_polling_pauses_in_a_hidden_tab_and_catches_up_when_shown(manager_page, orders, fast_poll):
    page = manager_page
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/orders/rows/" in r.url else None)
    page.goto("/")
    page.wait_for_timeout(2500)
    assert polls, "the list should poll every second while visible"
    assert all("v=" in url for url in polls)
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    polls.clear()
    page.wait_for_timeout(2500)
    assert polls == []
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    page.wait_for_timeout(300)
    assert len(polls) == 1


def test_an_invalid_filter_shows_its_error_in_place_of_the_list(manager_page, orders, fast_poll):
    page = manager_page
    page.goto("/")
    page.locator("#id_to").fill("2026-03-01")
    page.locator("#id_from").fill("2026-03-05")
    errors = page.locator("#board-results .form-errors")
    expect(errors).to_contain_text("The end date is before the start date")
    expect(page).to_have_url(re.compile(r"from=2026-03-05"))
    page.wait_for_timeout(2200)  # polling is off while the filter is invalid
    expect(errors).to_be_visible()
    expect(page.locator("tbody.order")).to_have_count(0)


def test_a_row_whose_order_left_the_cache_says_so(manager_page, orders):
    page = manager_page
    page.goto("/")
    expect(_row(page, 5002)).to_be_visible()
    Order.objects.filter(id=5002).delete()
    _row(page, 5002).locator(".c-customer").click()
    expect(page.locator("#panel-5002 .panel-error")).to_have_text(
        "This order is no longer in the cache."
    )


def test_updating_shows_while_a_filter_loads_and_never_while_a_held_poll_waits(
    manager_page, orders, live_server
):
    page = manager_page
    page.goto("/")
    expect(page.locator("#board-results")).to_have_attribute(
        "data-poll-hold", re.compile(r"^[1-9]")
    )
    indicator = page.locator("#board-loading")
    opacity = "(el) => getComputedStyle(el).opacity"
    # A held poll is out from the start and waits on the server: the board is not "Updating…".
    page.wait_for_function(
        "() => document.querySelector('#board-results').classList.contains('htmx-request')"
    )
    page.wait_for_timeout(600)  # past the indicator's delay and fade
    assert indicator.evaluate(opacity) == "0"
    # A filter's request shows it: htmx marks the indicator itself while the list loads.
    page.evaluate(
        """() => {
            window.__indicatorShown = false;
            const el = document.querySelector('#board-loading');
            new MutationObserver(() => {
                if (el.classList.contains('htmx-request')) window.__indicatorShown = true;
            }).observe(el, {attributes: true, attributeFilter: ['class']});
        }"""
    )
    page.locator("label.chip--delivered").click()
    expect(page).to_have_url(re.compile(r"status=DELIVERED"))
    assert page.evaluate("window.__indicatorShown") is True
