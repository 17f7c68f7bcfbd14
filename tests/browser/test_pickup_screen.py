"""The pickup screen in a real Chromium against the live server with real htmx polling: a
number moves to Ready within one poll and chimes, the screen fits 1920x1080 and 1080x1920
without scrolling (screenshots to look at), the kiosk key opens it and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.models import Order, Receipt, SyncState
from orders_app.services.sync.stages import stages_refresh
from orders_app.services.wall_keys import wall_key_create, wall_key_revoke
from tests.fixtures.browser import SCREENSHOTS
from tests.fixtures.orders import make_order, mark_failing, mark_synced

POLL = 1  # seconds, so "within one poll" is quick to wait for
SIZES = {"1920x1080": (1920, 1080), "1080x1920": (1080, 1920)}


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()  # rendered fragments are cached per token; tokens repeat across tests


@pytest.fixture
def pickup(settings, manager_user, browser_context_factory):
    settings.WALL_POLL_SECONDS = POLL
    mark_synced()

    def open_pickup(query: str = "", *, width: int = 1920, height: int = 1080, user=manager_user):
        context = browser_context_factory(width=width, height=height, user=user)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.errors = errors  # type: ignore[attr-defined]
        page.goto(f"/pickup/{query}")
        page.wait_for_selector("#pickup-live")
        return page

    return open_pickup


def number(page, order_id: int, column: str = ""):
    scope = page.locator(f".pcol-{column}") if column else page
    return scope.locator(f'.number[data-order="{order_id}"]')


def kitchen_receipt(receipt_id: int, daily_number: str, order_status: str = "IN_PROGRESS"):
    now = timezone.now()
    return Receipt.objects.create(
        id=receipt_id,
        status=1,
        order_status=order_status,
        daily_number=daily_number,
        created_at=now,
        updated_at=now,
    )


def test_a_receipt_made_ready_moves_its_number_to_ready_within_one_poll_and_chimes(pickup):
    kitchen_receipt(81, "17")
    make_order(id=60017, status="RECEIVED", stage="preparing", receipt_id=81)
    make_order(
        id=60018,
        status="RECEIVED",
        stage="ready",
        stage_at=timezone.now() - timedelta(minutes=10),
    )
    mark_synced()
    page = pickup()
    expect(number(page, 60017, "preparing")).to_have_text("17")
    expect(number(page, 60018, "ready")).to_have_text("0018")
    # What is ready when the screen opens is not news: no chime.
    page.wait_for_timeout(POLL * 1500)
    assert page.locator("body").get_attribute("data-chimes") == "0"
    # The POS marks the receipt ready; the sync derives the stage and moves the data version.
    Receipt.objects.filter(id=81).update(order_status="READY", updated_at=timezone.now())
    stages_refresh(now=timezone.now(), receipt_ids=[81])
    mark_synced()
    expect(number(page, 60017, "ready")).to_be_visible(timeout=(POLL + 1.5) * 1000)
    expect(number(page, 60017, "preparing")).to_have_count(0)
    expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    # The most recently ready first, highlighted as just ready; the older one is not.
    expect(page.locator(".pcol-ready .number").first).to_have_text("17")
    expect(number(page, 60017)).to_have_class(re.compile(r"\bis-fresh\b"))
    expect(number(page, 60018)).not_to_have_class(re.compile(r"\bis-fresh\b"))
    # Collected: it leaves the screen, and nothing chimes.
    Order.objects.filter(id=60017).update(stage="done", stage_at=timezone.now())
    mark_synced()
    expect(number(page, 60017)).to_have_count(0, timeout=(POLL + 1.5) * 1000)
    assert page.locator("body").get_attribute("data-chimes") == "1"
    assert page.errors == []


def test_the_chime_sounds_only_once_per_number_and_not_after_a_reload(pickup):
    make_order(id=60031, status="RECEIVED", stage="preparing")
    mark_synced()
    page = pickup()
    Order.objects.filter(id=60031).update(stage="ready", stage_at=timezone.now())
    mark_synced()
    expect(page.locator("body")).to_have_attribute("data-chimes", "1", timeout=3000)
    mark_synced()  # another change elsewhere: the same number is not news again
    page.wait_for_timeout(POLL * 2500)
    assert page.locator("body").get_attribute("data-chimes") == "1"
    page.reload()
    page.wait_for_selector("#pickup-live")
    page.wait_for_timeout(POLL * 1500)
    assert page.locator("body").get_attribute("data-chimes") == "0"


def busy_counter(*, preparing: int = 24, ready: int = 9) -> None:
    """A busy lunch: numbers of either kind (daily numbers, id endings), some just ready."""
    now = timezone.now()
    for n in range(preparing):
        receipt_id = None
        if n % 3:
            receipt_id = 90_000 + n
            kitchen_receipt(receipt_id, str(100 + n))
        make_order(
            # The first one ends like a Ready one (0011): both are shown with five digits.
            id=7_350_011 if n == 0 else 7_341_000 + n * 7,
            status="RECEIVED",
            stage=("accepted", "preparing", "scheduled")[n % 3],
            receipt_id=receipt_id,
            created_at=now - timedelta(minutes=40 - n),
            items=[],
        )
    for n in range(ready):
        make_order(
            id=7_340_000 + n * 11,
            status="RECEIVED",
            stage="ready",
            created_at=now - timedelta(minutes=50 - n),
            # Two just ready (highlighted for a minute), the rest for a while.
            stage_at=now - timedelta(seconds=(5, 25)[n] if n < 2 else 100 + n * 60),
            items=[],
        )


def screen_metrics(page) -> dict:
    return page.evaluate(
        """() => ({
            scrollW: document.documentElement.scrollWidth, clientW: document.documentElement.clientWidth,
            scrollH: document.documentElement.scrollHeight, clientH: document.documentElement.clientHeight,
            columns: [...document.querySelectorAll('#pickup-live .numbers')].map(list => {
                const numbers = [...list.querySelectorAll('.number')];
                const marker = list.querySelector('.more');
                const shown = numbers.filter(x => !x.hidden);
                return {
                    overflowing: list.scrollHeight > list.clientHeight + 1,
                    shown: shown.length,
                    total: parseInt(list.dataset.total),
                    more: marker.hidden ? 0 : parseInt(marker.textContent.replace(/[^0-9]/g, '')),
                    digitPx: Math.min(...shown.filter(x => !x.classList.contains('is-long'))
                        .map(x => parseFloat(getComputedStyle(x).fontSize))),
                    clipped: shown.filter(x => x.scrollWidth > x.clientWidth + 1 || x.scrollHeight > x.clientHeight + 1).length,
                };
            }),
        })"""
    )


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_busy_screen_fits_without_scrolling_in_both_orientations(
    pickup, screenshot, size, theme
):
    busy_counter()
    mark_synced()
    width, height = SIZES[size]
    page = pickup("" if theme == "dark" else "?theme=light", width=width, height=height)
    page.wait_for_timeout(400)  # the web font, then the fit
    metrics = screen_metrics(page)
    screenshot(page, f"pickup-{theme}-{size}")
    assert metrics["scrollW"] <= metrics["clientW"]
    assert metrics["scrollH"] <= metrics["clientH"]
    preparing, ready = metrics["columns"]
    assert (preparing["total"], ready["total"]) == (24, 9)
    for column in metrics["columns"]:
        assert not column["overflowing"], column
        assert column["clipped"] == 0, column
        assert column["shown"] + column["more"] == column["total"], column
        # Digits a customer reads from 5 m: at least an 80 px font on a 1080 px screen (digits
        # about 58 px tall: 37 mm on a 55" screen); five digits and more at 0.8 of it.
        assert column["digitPx"] >= 80, column
    assert ready["shown"] == ready["total"]  # a busy lunch's Ready all fits
    assert ready["digitPx"] > preparing["digitPx"]
    expect(page.locator(".pcol-ready .number.is-fresh")).to_have_count(2)  # ready < 60 s ago
    expect(page.locator(".number.is-long")).to_have_text(["50011", "40011"])
    assert page.errors == []


def test_a_flood_of_orders_goes_into_more_never_off_the_screen(pickup, screenshot):
    busy_counter(preparing=70, ready=30)
    mark_synced()
    page = pickup(width=1080, height=1920)
    page.wait_for_timeout(400)
    metrics = screen_metrics(page)
    screenshot(page, "pickup-dark-1080x1920-flood")
    assert metrics["scrollH"] <= metrics["clientH"]
    for column in metrics["columns"]:
        assert not column["overflowing"], column
        assert column["more"] > 0, column
        assert column["shown"] + column["more"] == column["total"], column
    expect(page.locator(".pcol-preparing .more")).to_have_text(re.compile(r"^\+\d+ more$"))
    # Ready shows its most recent numbers; the ones ready longest are in "+N more".
    first = page.locator(".pcol-ready .number").first
    expect(first).to_have_attribute("data-order", "7340000")


def test_a_stale_sync_shows_the_banner_and_greys_the_numbers(pickup, settings, screenshot):
    settings.SYNC_STALE_AFTER = 60
    make_order(id=60041, status="RECEIVED", stage="ready")
    mark_synced()
    page = pickup()
    expect(page.locator(".sync-banner")).to_have_count(0)
    state = SyncState.get()
    state.last_success_at = timezone.now() - timedelta(seconds=180)
    state.save()
    expect(page.locator(".sync-banner")).to_contain_text("Orders may be out of date", timeout=6000)
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#pickup-live .pickup-board'))"
        ".filter.includes('grayscale')",
        timeout=3000,
    )
    mark_failing()
    expect(page.locator(".sync-banner")).to_contain_text("Clopos sync failing", timeout=6000)
    expect(page.locator("#sync-age")).to_contain_text("sync failing")
    screenshot(page, "pickup-dark-1920x1080-failing")
    mark_synced()
    expect(page.locator(".sync-banner")).to_have_count(0, timeout=6000)


def test_losing_the_server_shows_the_banner_and_polling_recovers_by_itself(pickup):
    page = pickup()
    expect(page.locator("#conn-banner")).to_be_hidden()
    page.route("**/pickup/poll/**", lambda route: route.abort())
    expect(page.locator("#conn-banner")).to_be_visible(timeout=(POLL * 3 + 2) * 1000)
    expect(page.locator("#conn-banner")).to_contain_text("not live")
    expect(page.locator("body")).to_have_class(re.compile(r"\bis-offline\b"))
    page.unroute("**/pickup/poll/**")
    make_order(id=60051, status="RECEIVED", stage="ready")
    mark_synced()
    expect(number(page, 60051, "ready")).to_be_visible(timeout=(POLL + 3) * 1000)
    expect(page.locator("#conn-banner")).to_be_hidden()


def test_a_kiosk_key_opens_the_screen_and_nothing_else_and_revoking_closes_it(pickup, live_server):
    created = wall_key_create(name="waiting-area")
    make_order(id=60061, status="RECEIVED")
    mark_synced()
    page = pickup(f"?key={created.key}&lang=ru", user=None)
    assert created.key not in page.url
    assert page.url.endswith("/pickup/?lang=ru")
    expect(number(page, 60061, "preparing")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    for url in ("/", "/orders/60061/"):
        response = page.request.get(live_server.url + url, max_redirects=0)
        assert response.status == 302, url
        assert "login" in response.headers["location"], url
    wall_key_revoke(name="waiting-area")
    expect(page.locator("#denied-overlay")).to_be_visible(timeout=6000)
    response = page.goto("/pickup/")
    assert response.status == 403


def test_mute_is_remembered_and_the_test_button_plays(pickup):
    page = pickup()
    expect(page.locator("body")).to_have_attribute("data-sound", "on")
    page.click("#sound-test")
    expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    page.click("#sound-mute")
    expect(page.locator("#sound-mute")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-sound", "muted")
    make_order(id=60071, status="RECEIVED", stage="ready")
    mark_synced()
    expect(number(page, 60071)).to_be_visible(timeout=6000)
    page.wait_for_timeout(500)
    assert page.locator("body").get_attribute("data-chimes") == "0"


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_finds_nothing_serious_in_either_phase_of_the_just_ready_pulse(pickup, theme):
    busy_counter(preparing=8, ready=4)
    mark_synced()
    page = pickup(f"?theme={theme}")
    expect(page.locator(".number.is-fresh")).to_have_count(2)
    blocking = []
    for fraction in (0.0, 0.999):
        page.evaluate(
            """(fraction) => document.getAnimations().forEach((a) => {
                a.pause();
                a.currentTime = a.effect.getComputedTiming().duration * fraction;
            })""",
            fraction,
        )
        results = Axe().run(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = f"axe-pickup-{theme}-{int(fraction * 100)}.txt"
        (SCREENSHOTS / name).write_text(results.generate_report(), encoding="utf-8")
        blocking += [
            f"{fraction} {v['id']} {node['target']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
            for node in v["nodes"]
        ]
    assert blocking == []
