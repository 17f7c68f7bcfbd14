"""The wall as a kitchen display in a real Chromium with real htmx polling: a receipt moved in
the simulator moves its card, station screens, the 86 strip, dine-in tickets; screenshots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import ClientSettings
from orders_app.models import Order, Product, Receipt, ReceiptItem, Station, StopListEntry
from orders_app.services.sync import sync_pass
from tests.fixtures.browser import busy_kitchen
from tests.fixtures.orders import make_order, mark_synced

POLL = 1


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()


@pytest.fixture
def wall(settings, manager_user, browser_context_factory):
    settings.WALL_POLL_SECONDS = POLL
    mark_synced()

    def open_wall(query: str = "", *, width: int = 1920, height: int = 1080):
        context = browser_context_factory(width=width, height=height, user=manager_user)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.errors = errors  # type: ignore[attr-defined]
        page.goto(f"/wall/{query}")
        page.wait_for_selector("#wall-live")
        return page

    return open_wall


def no_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollHeight <= document.documentElement.clientHeight"
        " && document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


GRILL, COLD, BAR = 1, 2, 3


@pytest.fixture
def kitchen(reference_data):
    Station.objects.create(id=GRILL, name="Grill")
    Station.objects.create(id=COLD, name="Cold kitchen")
    Station.objects.create(id=BAR, name="Bar", kitchen=False)
    for pid, name, station, minutes in [
        (201, "Lula kebab", GRILL, 18),
        (202, "Shepherd salad", COLD, 6),
        (203, "Ayran", BAR, None),
        (204, "Plov", GRILL, 25),
        (205, "Dolma", COLD, 12),
    ]:
        Product.objects.create(
            id=pid, name=name, type="DISH", station_id=station, cooking_time=minutes
        )


def line(name, count, pid, **extra):
    return {"name": name, "count": count, "product_id": pid, **extra}


@pytest.mark.real_clock
def test_a_receipt_made_ready_in_the_simulator_moves_its_card_to_ready_within_one_poll(
    wall, simulator_factory, settings
):
    server = simulator_factory(orders=30, days=1)
    sim = server.simulator
    client = CloposClient(
        ClientSettings(
            base_url=server.base_url,
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
        created = sim.add_order()
        sim.set_status(created["id"], "RECEIVED")  # accepted in Clopos: a receipt opens
        receipt = sim.receipt_for_order(created["id"])
        assert receipt is not None
        sim.set_receipt_status(receipt["id"], "IN_PROGRESS")  # the kitchen took it
        sim.clock.advance(2)
        for _ in range(4):
            sync_pass(client=client)
        order = Order.objects.get(id=created["id"])
        assert order.receipt_id == receipt["id"] and order.stage == "preparing"
        page = wall()
        card = page.locator(f'.card[data-order="{order.id}"]')
        expect(page.locator(".col-preparing").locator(card)).to_be_visible()
        expect(card).to_have_attribute("data-receipt", str(order.receipt_id))
        sim.set_receipt_status(order.receipt_id, "READY")
        sim.clock.advance(5)
        sync_pass(client=client)
        expect(page.locator(".col-ready").locator(card)).to_be_visible(timeout=(POLL + 1.5) * 1000)
        expect(card).to_have_attribute("data-stage", "ready")
        sim.close_receipt(order.receipt_id)
        sim.clock.advance(5)
        sync_pass(client=client)
        expect(page.locator(".col-done").locator(card)).to_be_visible(timeout=(POLL + 1.5) * 1000)
        assert page.errors == []
    finally:
        client.close()


def test_a_station_screen_shows_only_what_that_station_makes(wall, kitchen, screenshot):
    now = timezone.now()
    for n in range(8):
        make_order(
            status="RECEIVED" if n % 3 else "PENDING",
            created_at=now - timedelta(minutes=2 + n * 3),
            items=[
                line("Lula kebab", 1 + n % 2, 201, modifiers=[{"name": "Sumac", "count": 1}]),
                line("Shepherd salad", 1, 202),
                line("Ayran", 2, 203),
            ],
        )
    cold_only = make_order(status="RECEIVED", items=[line("Dolma", 2, 205)])
    mark_synced()
    page = wall("?station=1")
    expect(page.locator(".brand-station")).to_have_text("Grill")
    expect(page.locator(f'.card[data-order="{cold_only.id}"]')).to_have_count(0)
    names = page.locator("#wall-live .column:not(.allday) .item-name").all_inner_texts()
    assert names and set(names) == {"Lula kebab"}
    allday = page.locator(".allday-name").all_inner_texts()
    assert allday == ["Lula kebab"]
    assert no_scroll(page)
    screenshot(page, "wall-station-grill-1920x1080")
    # The expo: whole orders, a chip per station; the bar's is hollow.
    expo = wall()
    chips = expo.locator(f'.card[data-order="{cold_only.id}"] .chip').all_inner_texts()
    assert chips == ["Cold kitchen 2"]
    expect(expo.locator(".chip-other").first).to_contain_text("Bar")
    assert expo.errors == [] and page.errors == []


def test_the_86_strip_appears_within_one_poll_and_the_new_order_is_flagged(
    wall, kitchen, screenshot
):
    busy_kitchen(open_orders=7, done=2)
    order = make_order(status="PENDING", items=[line("Plov", 1, 204), line("Ayran", 1, 203)])
    now = timezone.now()
    table = Receipt.objects.create(
        id=7712, status=1, order_status="IN_PROGRESS", table_id=12, guests=3, created_at=now
    )
    ReceiptItem.objects.create(
        receipt=table, position=0, product_id=201, name="Lula kebab", count=3, station_id=GRILL
    )
    mark_synced()
    page = wall("?tickets=all")
    expect(page.locator(".stop-strip")).to_have_count(0)
    expect(page.locator('.card[data-id="r7712"]')).to_contain_text("Table 12 · 3 guests")
    StopListEntry.objects.create(product_id=204, limit=0)
    StopListEntry.objects.create(product_id=205, limit=2)
    mark_synced()
    strip = page.locator(".stop-strip")
    expect(strip).to_be_visible(timeout=(POLL + 1.5) * 1000)
    expect(strip.locator(".is-out")).to_have_text("Plov")
    expect(strip).to_contain_text("Dolma: 2 left")
    flag = page.locator(f'.card[data-order="{order.id}"] .flag-86')
    expect(flag).to_have_text("86: Plov")
    page.wait_for_timeout(300)
    assert no_scroll(page)
    screenshot(page, "wall-expo-86-tickets-1920x1080")
    portrait = wall("?tickets=all", width=1080, height=1920)
    expect(portrait.locator(".stop-strip")).to_be_visible()
    portrait.wait_for_timeout(300)
    assert no_scroll(portrait)
    screenshot(portrait, "wall-expo-86-portrait-1080x1920")
    assert page.errors == [] and portrait.errors == []


def test_a_cancelled_order_sounds_once_with_its_own_sound(wall, kitchen):
    order = make_order(status="RECEIVED", items=[line("Plov", 1, 204)], receipt_id=7801)
    mark_synced()
    page = wall()
    expect(page.locator("body")).to_have_attribute("data-cancels", "0")
    Order.objects.filter(id=order.id).update(stage="cancelled", stage_at=timezone.now())
    mark_synced()
    card = page.locator(".col-done").locator(f'.card[data-order="{order.id}"]')
    expect(card).to_be_visible(timeout=(POLL + 1.5) * 1000)
    expect(card).to_contain_text("Cancelled")
    expect(page.locator("body")).to_have_attribute("data-cancels", "1")
    mark_synced()  # another version: the same cancelled card does not sound again
    page.wait_for_timeout((POLL + 1) * 1000)
    expect(page.locator("body")).to_have_attribute("data-cancels", "1")
    assert page.errors == []
