"""axe-core on every page: no serious or critical violation, wall themes and states included.

axe-core comes bundled with axe-playwright-python (no network at run time). Each check also
writes axe's full report (every impact, the minor ones too) next to the screenshots, as
tests/screenshots/axe-<name>.txt, so people can read what is left.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.services.wall_keys import wall_key_create, wall_key_revoke
from tests.fixtures.browser import SCREENSHOTS, busy_kitchen
from tests.fixtures.orders import make_order, mark_failing, mark_synced

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
BLOCKING = ("serious", "critical")
THEMES = ("dark", "light")
DESKTOP = {"width": 1280, "height": 800}
WALL = {"width": 1920, "height": 1080}


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()  # rendered fragments are cached per token; tokens repeat across tests


def blocking_violations(page, name: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line a node."""
    results = AXE.run(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"axe-{name}.txt").write_text(results.generate_report(), encoding="utf-8")
    return [
        f"{v['id']} ({v['impact']}) {', '.join(map(str, node['target']))}: "
        + node.get("failureSummary", "").replace("\n", " ")
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def structure_violations(page) -> list[str]:
    """The moderate rules the review named: an <h1>, headings in order, content in landmarks."""
    rules = ["page-has-heading-one", "region", "landmark-one-main", "heading-order"]
    results = AXE.run(page, options={"runOnly": rules})
    return [v["id"] for v in results.response["violations"]]


def settle_animations(page, fraction: float) -> None:
    """Stop every running CSS animation at ``fraction`` of its cycle, so axe sees one phase."""
    page.evaluate(
        """(fraction) => document.getAnimations().forEach((a) => {
            a.pause();
            a.currentTime = a.effect.getComputedTiming().duration * fraction;
        })""",
        fraction,
    )


# ---------- The board, the order page, sign-in ----------


@pytest.fixture
def orders(reference_data):
    now = timezone.now()
    make_order(
        id=5101,
        status="PENDING",
        created_at=now - timedelta(minutes=3),
        customer_name="Leyla Məmmədova",
        customer_phone="+994 50 123 45 67",
        comment="Ring the bell twice",
    )
    make_order(
        id=5102,
        status="DELIVERED",
        created_at=now - timedelta(minutes=40),
        customer_name="Иван Петров",
        venue_id=2,
        sale_type_id=1,
        type="WEB_ORDER",
        integration="website",
    )
    make_order(id=5103, status="RECEIVED", created_at=now - timedelta(minutes=12), sale_type_id=3)
    make_order(id=5104, status="IGNORE", created_at=now - timedelta(hours=2))
    make_order(id=5105, status="CANCELLED_BY_POS", created_at=now - timedelta(hours=3))
    mark_synced(ago=2)


@pytest.fixture
def desktop(browser_context_factory, manager_user):
    return browser_context_factory(**DESKTOP, user=manager_user).new_page()


def open_row(page, order_id: int) -> None:
    page.locator(f'tbody.order[data-order-id="{order_id}"] .c-customer').click()
    expect(page.locator(f"#panel-{order_id} .modifier")).to_contain_text("Extra cheese")


def test_the_board_with_rows(desktop, orders, screenshot):
    desktop.goto("/")
    expect(desktop.locator('tbody.order[data-order-id="5101"]')).to_be_visible()
    screenshot(desktop, "a11y-board-1280x800")
    assert blocking_violations(desktop, "board") == []


def test_the_board_with_a_row_expanded(desktop, orders, screenshot):
    desktop.goto("/")
    open_row(desktop, 5101)
    screenshot(desktop, "a11y-board-expanded-1280x800")
    assert blocking_violations(desktop, "board-expanded") == []


def test_the_panel_and_the_order_page_headings_go_in_order(desktop, orders):
    desktop.goto("/")
    open_row(desktop, 5101)
    board = structure_violations(desktop)
    desktop.goto("/orders/5101/")
    assert (board, structure_violations(desktop)) == ([], [])


def test_the_board_with_an_invalid_filter_and_a_failing_sync(desktop, orders, screenshot):
    mark_failing()
    desktop.goto("/?from=2026-13-40")
    expect(desktop.locator(".form-errors")).to_be_visible()
    screenshot(desktop, "a11y-board-invalid-1280x800")
    assert blocking_violations(desktop, "board-invalid") == []


def test_the_board_with_nothing_to_show(desktop, reference_data, screenshot):
    mark_synced()
    desktop.goto("/")
    expect(desktop.locator(".empty h2")).to_be_visible()
    assert blocking_violations(desktop, "board-empty") == []


def test_the_order_page(desktop, orders, screenshot):
    desktop.goto("/orders/5101/")
    expect(desktop.locator(".modifier")).to_contain_text("Extra cheese")
    screenshot(desktop, "a11y-order-1280x800", full_page=True)
    assert blocking_violations(desktop, "order") == []


def test_the_sign_in_page_empty_and_with_an_error(browser_context_factory, db, screenshot):
    page = browser_context_factory(**DESKTOP).new_page()
    page.goto("/accounts/login/")
    assert blocking_violations(page, "login") == []
    page.fill("#id_username", "manager")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator(".form-errors")).to_be_visible()
    screenshot(page, "a11y-login-error-1280x800")
    assert blocking_violations(page, "login-error") == []


# ---------- The wall, in each theme and state ----------


@pytest.fixture
def wall(settings, reference_data, manager_user, browser_context_factory):
    settings.WALL_POLL_SECONDS = 1
    mark_synced()

    def open_wall(query: str = "", *, user=manager_user, reduced_motion: str = "no-preference"):
        context = browser_context_factory(**WALL, user=user, reduced_motion=reduced_motion)
        page = context.new_page()
        page.goto(f"/wall/{query}")
        page.wait_for_selector("#wall-live")
        page.wait_for_timeout(400)  # fit, fonts
        return page

    return open_wall


@pytest.mark.parametrize("theme", THEMES)
def test_the_busy_wall_with_waiting_orders(wall, screenshot, theme):
    busy_kitchen()  # the oldest new orders are past the watchdog: banner and flashing cards
    page = wall(f"?theme={theme}")
    expect(page.locator("#watchdog-banner")).to_be_visible()
    expect(page.locator(".card.is-watchdog").first).to_be_visible()
    screenshot(page, f"a11y-wall-{theme}-1920x1080")
    problems = []
    for fraction in (0.25, 0.75):  # both halves of the pulse and the flash
        settle_animations(page, fraction)
        problems += blocking_violations(page, f"wall-{theme}-{int(fraction * 100)}")
    screenshot(page, f"a11y-wall-{theme}-flash-1920x1080")
    assert problems == []


@pytest.mark.parametrize("theme", THEMES)
def test_the_quiet_wall_with_a_stale_sync(wall, screenshot, theme):
    make_order(status="PENDING", comment="Allergic to nuts")
    make_order(status="DELIVERED", updated_at=timezone.now() - timedelta(minutes=1))
    mark_synced(ago=3600)
    page = wall(f"?theme={theme}&status=PENDING&status=RECEIVED&status=DELIVERED&status=IGNORE")
    expect(page.locator(".sync-banner")).to_be_visible()
    screenshot(page, f"a11y-wall-{theme}-stale-1920x1080")
    assert blocking_violations(page, f"wall-{theme}-stale") == []


@pytest.mark.parametrize("theme", THEMES)
def test_the_wall_offline_with_a_bad_parameter(wall, screenshot, theme):
    make_order(status="RECEIVED")
    mark_synced()
    page = wall(f"?theme={theme}&venue=x")
    page.route("**/wall/poll/**", lambda route: route.abort())
    expect(page.locator("#conn-banner")).to_be_visible(timeout=8000)
    screenshot(page, f"a11y-wall-{theme}-offline-1920x1080")
    assert blocking_violations(page, f"wall-{theme}-offline") == []


@pytest.mark.parametrize("theme", THEMES)
def test_the_dimmed_wall(wall, settings, screenshot, theme):
    now = timezone.localtime()
    start, end = now + timedelta(hours=2), now + timedelta(hours=5)
    settings.WALL_OPENING_HOURS = f"{start:%H:00}-{end:%H:00}"  # closed now
    page = wall(f"?theme={theme}")
    expect(page.locator("body")).to_have_class(re.compile(r"\bis-dimmed\b"))
    page.wait_for_timeout(2200)  # the dimming transition
    screenshot(page, f"a11y-wall-{theme}-dimmed-1920x1080")
    assert blocking_violations(page, f"wall-{theme}-dimmed") == []


@pytest.mark.parametrize("theme", THEMES)
def test_the_kiosk_wall_when_its_key_is_revoked(wall, screenshot, theme):
    created = wall_key_create(name=f"kitchen-{theme}")
    make_order(status="PENDING")
    mark_synced()
    page = wall(f"?key={created.key}&theme={theme}", user=None)
    wall_key_revoke(name=f"kitchen-{theme}")
    expect(page.locator("#denied-overlay")).to_be_visible(timeout=6000)
    screenshot(page, f"a11y-wall-{theme}-revoked-overlay-1920x1080")
    assert blocking_violations(page, f"wall-{theme}-revoked-overlay") == []
    response = page.goto("/wall/")
    assert response.status == 403
    screenshot(page, f"a11y-wall-{theme}-revoked-page-1920x1080")
    assert blocking_violations(page, "wall-revoked-page") == []


def test_the_wall_has_a_level_one_heading_and_everything_in_landmarks(wall):
    make_order(status="PENDING")
    mark_synced()
    page = wall("?venue=1")
    expect(page.locator("h1")).to_have_text("Pass Nizami (Main)")
    assert structure_violations(page) == []


def test_the_revoked_overlay_and_page_sit_in_landmarks(wall):
    created = wall_key_create(name="kitchen")
    page = wall(f"?key={created.key}", user=None)
    wall_key_revoke(name="kitchen")
    expect(page.locator("#denied-overlay")).to_be_visible(timeout=6000)
    assert structure_violations(page) == []
    page.goto("/wall/")
    expect(page.locator("main h1")).to_have_text("This screen's key was revoked")
    assert structure_violations(page) == []


# ---------- Motion ----------


def _animations(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all(
        "(els) => els.map((e) => getComputedStyle(e).animationName)"
    )


@pytest.mark.parametrize("theme", THEMES)
def test_reduced_motion_stops_the_pulse_and_flash_but_keeps_the_emphasis(wall, screenshot, theme):
    busy_kitchen(open_orders=8, done=0)
    moving = wall(f"?theme={theme}")
    expect(moving.locator("#watchdog-banner")).to_be_visible()
    assert _animations(moving, "#watchdog-banner") == ["pulse"]
    assert set(_animations(moving, ".card.is-watchdog")) == {"flash"}

    still = wall(f"?theme={theme}", reduced_motion="reduce")
    expect(still.locator("#watchdog-banner")).to_be_visible()
    expect(still.locator(".card.is-watchdog").first).to_be_visible()
    assert _animations(still, "#watchdog-banner") == ["none"]
    assert set(_animations(still, ".card.is-watchdog")) == {"none"}
    assert still.evaluate("document.getAnimations().length") == 0
    # A static emphasis instead: the waiting card keeps a solid red outline.
    outline = still.locator(".card.is-watchdog").first.evaluate(
        "(e) => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]"
    )
    assert outline[0] == "solid" and float(outline[1].removesuffix("px")) >= 4
    screenshot(still, f"a11y-wall-{theme}-reduced-motion-1920x1080")
    assert blocking_violations(still, f"wall-{theme}-reduced-motion") == []
