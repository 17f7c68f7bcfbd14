"""The board's 86 strip, a flagged row and Clopos's totals in a real Chromium, on a desktop and
a phone: screenshots (tests/screenshots/board-86-*.png), nothing overlapping, no sideways
scroll, axe clean, hostile product names shown as text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.models import Product, Receipt, StopListEntry
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = '<img src=x onerror=alert("86")>Qutab'
SIZES = [("desktop", 1440, 900), ("phone", 390, 844)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def kitchen(reference_data):
    """Plov and Lahmacun are out, a hostile Qutab too, and four more; Ayran, Dolma and Kompot
    run low, so the strip (eight shown) overflows by two. Three orders: a new one holding Plov and Lahmacun, an
    accepted one with a receipt (Clopos's total), one being cooked with Plov (not flagged)."""
    names = {11: "Plov", 12: "Lahmacun", 13: "Dolma", 14: "Ayran", 15: HOSTILE, 16: "Kompot"}
    for pid, name in names.items():
        Product.objects.create(id=pid, name=name)
    for pid, limit in ((11, 0), (12, 0), (13, 3), (14, 1), (15, 0), (16, 5)):
        StopListEntry.objects.create(product_id=pid, limit=limit)
    for pid in range(20, 24):
        Product.objects.create(id=pid, name=f"Şəkərbura {pid}")
        StopListEntry.objects.create(product_id=pid, limit=0)
    now = timezone.now()
    make_order(
        id=6101,
        status="PENDING",
        created_at=now - timedelta(minutes=2),
        customer_name="Aysel Məmmədova",
        items=[
            {"name": "Plov", "product_id": 11, "count": 1, "price": "12.00"},
            {"name": "Lahmacun", "product_id": 12, "count": 2, "price": "5.00"},
            {"name": "Ayran", "product_id": 14, "count": 1, "price": "2.00"},
        ],
    )
    Receipt.objects.create(id=7101, status=1, order_status="NEW", total=Decimal("27.40"))
    make_order(
        id=6102,
        status="RECEIVED",
        stage="accepted",
        receipt_id=7101,
        created_at=now - timedelta(minutes=6),
        customer_name="Иван Петров",
        items=[{"name": HOSTILE, "product_id": 15, "count": 1, "price": "6.00"}],
    )
    make_order(
        id=6103,
        status="RECEIVED",
        stage="preparing",
        created_at=now - timedelta(minutes=14),
        customer_name="Rahid Akhundzada",
        items=[{"name": "Plov", "product_id": 11, "count": 3, "price": "12.00"}],
    )
    mark_synced(ago=2)


def _boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize(("name", "width", "height"), SIZES)
def test_the_86_strip_and_a_flagged_row_fit_the_screen(
    browser_context_factory, manager_user, kitchen, screenshot, name, width, height
):
    page = browser_context_factory(width=width, height=height, user=manager_user).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    strip = page.locator("#stop-strip")
    expect(strip).to_be_visible()
    # Out first (by name: the hostile one sorts first, shown as text), then fewest left.
    expect(strip.locator(".stop-item--out").first).to_have_text(f"86: {HOSTILE}")
    expect(strip.get_by_text("86: Lahmacun", exact=True)).to_be_visible()
    expect(strip.locator(":scope > .stop-items > .stop-item--low")).to_have_text(["Ayran: 1 left"])
    expect(strip.locator(".stop-more summary")).to_have_text("+2 more")
    flagged = page.locator('tbody.order[data-order-id="6101"] .flag86')
    expect(flagged).to_have_text("86: Plov, Lahmacun")
    expect(page.locator('tbody.order[data-order-id="6102"] .flag86')).to_have_text(f"86: {HOSTILE}")
    expect(page.locator('tbody.order[data-order-id="6103"] .flag86')).to_have_count(0)
    expect(page.locator('tbody.order[data-order-id="6102"] .c-total')).to_contain_text("₼27.40")
    screenshot(page, f"board-86-{name}")

    # No sideways scroll; the strip's chips and each row's cells do not overlap each other.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    chips = [b for b in (c.bounding_box() for c in strip.locator(".stop-item").all()) if b]
    assert all(not _boxes_overlap(a, b) for i, a in enumerate(chips) for b in chips[i + 1 :]), chips
    row = page.locator('tbody.order[data-order-id="6101"] .order-row')
    cells = [b for b in (c.bounding_box() for c in row.locator("td").all()) if b and b["width"]]
    assert all(not _boxes_overlap(a, b) for i, a in enumerate(cells) for b in cells[i + 1 :])
    for box in chips + cells:
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box

    # "+5 more" opens in place, pushing the list down rather than covering it.
    table_top = page.locator("#board-filters").bounding_box()["y"]
    strip.locator(".stop-more summary").click()
    expect(strip.locator(".stop-more .stop-item")).to_have_count(2)
    expect(strip.locator(".stop-more .stop-item--low").last).to_have_text("Kompot: 5 left")
    assert page.locator("#board-filters").bounding_box()["y"] > table_top
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"board-86-{name}-more", full_page=True)

    # The order page flags the out items beside the items and shows Clopos's total.
    page.goto("/orders/6101/")
    expect(page.locator(".flag86--detail")).to_contain_text("86: Plov, Lahmacun")
    expect(page.locator(".items .flag86--item")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"order-86-{name}", full_page=True)
    page.goto("/orders/6102/")
    expect(page.locator(".items .total-clopos")).to_contain_text("₼27.40")
    screenshot(page, f"order-total-{name}", full_page=True)
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == [] and errors == [], (dialogs, errors)


def test_the_strip_follows_the_stop_list_without_a_reload(
    manager_page, kitchen, settings, screenshot
):
    settings.BOARD_POLL_SECONDS = 1
    page = manager_page
    page.goto("/")
    expect(page.locator("#stop-strip").get_by_text("86: Lahmacun", exact=True)).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    # "+2 more" stays open when the strip is replaced by a poll.
    page.locator("#stop-strip .stop-more summary").click()
    StopListEntry.objects.filter(product_id=11).delete()  # Plov is back
    mark_synced()
    expect(page.locator("#stop-strip").get_by_text("86: Plov", exact=True)).to_have_count(
        0, timeout=10_000
    )
    expect(page.locator("#stop-strip .stop-more details")).to_have_attribute("open", "")
    expect(page.locator('tbody.order[data-order-id="6101"] .flag86')).to_have_text("86: Lahmacun")
    StopListEntry.objects.all().delete()  # back in stock, as the sync would write it
    mark_synced()
    expect(page.locator("#stop-strip")).to_be_hidden(timeout=10_000)
    expect(page.locator(".flag86")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True


def test_the_board_with_the_86_strip_has_no_serious_accessibility_violation(manager_page, kitchen):
    page = manager_page
    page.goto("/")
    expect(page.locator("#stop-strip")).to_be_visible()
    results = Axe().run(page)
    blocking = [
        f"{v['id']}: {', '.join(map(str, n['target']))}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
        for n in v["nodes"]
    ]
    assert blocking == []
    structure = Axe().run(page, options={"runOnly": ["region", "heading-order"]})
    assert [v["id"] for v in structure.response["violations"]] == []
