"""The wall in a real Chromium against the live server with real htmx polling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.models import Order, SyncState
from orders_app.services.sync.stages import stages_apply
from orders_app.services.wall_keys import wall_key_create, wall_key_revoke
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, chromium_env
from tests.fixtures.orders import make_order, mark_failing, mark_synced

POLL = 1  # seconds, so "within one poll" is quick to wait for


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()  # rendered fragments are cached per token; tokens repeat across tests


@pytest.fixture
def wall(settings, manager_user, browser_context_factory):
    settings.WALL_POLL_SECONDS = POLL
    mark_synced()

    def open_wall(query: str = "", *, clock: bool = False, user=manager_user):
        context = browser_context_factory(width=1920, height=1080, user=user)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors  # type: ignore[attr-defined]
        if clock:
            page.clock.install()
        page.goto(f"/wall/{query}")
        page.wait_for_selector("#wall-live")
        return page

    return open_wall


def card(page, order_id: int):
    return page.locator(f'.card[data-id="{order_id}"]')


def test_a_new_order_appears_within_one_poll_and_chimes(wall):
    page = wall()
    expect(page.locator("#wall-live .card")).to_have_count(0)
    assert page.locator("body").get_attribute("data-chimes") == "0"
    make_order(id=7001, status="PENDING", customer_name="Aysel")
    mark_synced()
    expect(card(page, 7001)).to_be_visible(timeout=(POLL + 1.5) * 1000)
    expect(page.locator(".col-new")).to_contain_text("#7001")
    expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    expect(card(page, 7001)).to_have_class(re.compile(r"\bis-new\b"))
    assert page.errors == []


def synced_status(order_ids: list[int], status: str) -> None:
    """What a pass does when Clopos says an order's status changed: the row, its stage, and
    the data version."""
    Order.objects.filter(id__in=order_ids).update(status=status, updated_at=timezone.now())
    stages_apply(order_ids=order_ids, now=timezone.now())
    mark_synced()


def test_a_status_change_moves_the_card(wall):
    make_order(id=7002, status="PENDING")
    mark_synced()
    page = wall()
    expect(page.locator(".col-new").locator(card(page, 7002))).to_be_visible()
    synced_status([7002], "RECEIVED")
    preparing = page.locator(".col-preparing").locator(card(page, 7002))
    expect(preparing).to_be_visible(timeout=6000)
    expect(preparing).to_contain_text("Not started")
    expect(page.locator(".col-new").locator(card(page, 7002))).to_have_count(0)
    synced_status([7002], "DELIVERED")
    expect(page.locator(".col-done").locator(card(page, 7002))).to_be_visible(timeout=6000)


def test_timer_colour_and_text_change_with_age_and_the_watchdog_escalates(wall, settings):
    """The page's clock is faked; timers tick locally, so no poll is needed (and none runs:
    a poll answer would re-sync the page to the server's real clock)."""
    settings.WALL_WATCHDOG_MINUTES = 4
    make_order(id=7003, status="PENDING", created_at=timezone.now() - timedelta(seconds=5))
    mark_synced()
    settings.WALL_POLL_SECONDS = 3600
    page = wall(clock=True)
    the_card = card(page, 7003)
    expect(the_card.locator(".age-time")).to_have_text(re.compile(r"^0:0\d$"))
    expect(the_card).not_to_have_class(re.compile("age-amber|age-red"))
    ok_colour = the_card.locator(".card-age").evaluate("e => getComputedStyle(e).backgroundColor")

    page.clock.fast_forward("02:10")  # past amber (2 min)
    expect(the_card).to_have_class(re.compile(r"\bage-amber\b"))
    # What the screen shows: the flag is written "Slow" and capitalised by the stylesheet.
    expect(the_card.locator(".card-age")).to_contain_text("▲ SLOW", use_inner_text=True)
    expect(the_card.locator(".age-time")).to_have_text(re.compile(r"^2:1\d$"))
    amber_colour = the_card.locator(".card-age").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert amber_colour != ok_colour
    assert the_card.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    expect(page.locator("#watchdog-banner")).to_be_hidden()

    page.clock.fast_forward("02:00")  # 4:15: watchdog (4 min), not yet red (5 min)
    expect(the_card).to_have_class(re.compile(r"\bis-watchdog\b"))
    expect(page.locator("#watchdog-banner")).to_have_text("1 order waiting for acceptance")
    alerts = int(page.locator("body").get_attribute("data-alerts"))
    assert alerts >= 1

    page.clock.fast_forward("02:00")  # 6:15: red
    expect(the_card).to_have_class(re.compile(r"\bage-red\b"))
    expect(the_card.locator(".card-age")).to_have_text(
        re.compile(r"■ LATE\s*6m"), use_inner_text=True
    )
    assert the_card.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    page.clock.fast_forward("00:20")  # the alert repeats while it waits
    assert int(page.locator("body").get_attribute("data-alerts")) > alerts
    assert page.errors == []


def test_accepting_a_waiting_order_stops_the_escalation(wall, settings):
    settings.WALL_WATCHDOG_MINUTES = 1
    make_order(id=7009, status="PENDING", created_at=timezone.now() - timedelta(minutes=2))
    make_order(id=7010, status="PENDING", created_at=timezone.now() - timedelta(minutes=3))
    mark_synced()
    page = wall()
    expect(page.locator("#watchdog-banner")).to_have_text("2 orders waiting for acceptance")
    expect(card(page, 7009)).to_have_class(re.compile(r"\bis-watchdog\b"))
    synced_status([7009, 7010], "RECEIVED")
    expect(page.locator(".col-preparing").locator(card(page, 7009))).to_be_visible(timeout=6000)
    expect(page.locator("#watchdog-banner")).to_be_hidden()
    expect(card(page, 7009)).not_to_have_class(re.compile(r"\bis-watchdog\b"))


def test_stale_sync_state_shows_the_banner_greys_the_board_and_recovers(wall, settings):
    settings.SYNC_STALE_AFTER = 60
    make_order(id=7004)
    mark_synced()
    page = wall()
    expect(page.locator(".sync-banner")).to_have_count(0)
    expect(page.locator("#sync-age")).to_have_text(
        re.compile(r"Clopos synced (just now|\d+ s ago)")
    )
    # The sync stops: its last success ages past SYNC_STALE_AFTER.
    state = SyncState.get()
    state.last_success_at = timezone.now() - timedelta(seconds=180)
    state.save()
    expect(page.locator(".sync-banner")).to_contain_text("Orders may be out of date", timeout=6000)
    # The grey-out eases in (a CSS transition on filter): wait for it rather than race it.
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#wall-live .board'))"
        ".filter.includes('grayscale')",
        timeout=3000,
    )
    mark_failing()
    expect(page.locator(".sync-banner")).to_contain_text("Clopos sync failing", timeout=6000)
    expect(page.locator("#sync-age")).to_contain_text("sync failing")
    mark_synced()
    expect(page.locator(".sync-banner")).to_have_count(0, timeout=6000)
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#wall-live .board')).filter === 'none'",
        timeout=5000,
    )


def test_losing_the_server_shows_the_banner_and_polling_recovers_by_itself(wall):
    page = wall()
    expect(page.locator("#conn-banner")).to_be_hidden()
    page.route("**/wall/poll/**", lambda route: route.abort())
    expect(page.locator("#conn-banner")).to_be_visible(timeout=(POLL * 3 + 2) * 1000)
    expect(page.locator("#conn-banner")).to_contain_text("not live")
    expect(page.locator("body")).to_have_class(re.compile(r"\bis-offline\b"))
    # Then a server error for a while (a restart): still not live.
    page.unroute("**/wall/poll/**")
    page.route("**/wall/poll/**", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.wait_for_timeout(POLL * 2000)
    expect(page.locator("#conn-banner")).to_be_visible()
    # The server is back, with a new order: no reload needed.
    page.unroute("**/wall/poll/**")
    make_order(id=7005)
    mark_synced()
    expect(card(page, 7005)).to_be_visible(timeout=(POLL + 3) * 1000)
    expect(page.locator("#conn-banner")).to_be_hidden()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-offline\b"))


def test_a_hanging_server_counts_as_lost_and_polling_resumes_after_it(wall, settings):
    page = wall()
    page.route("**/wall/poll/**", lambda route: None)  # accepted, never answered
    expect(page.locator("#conn-banner")).to_be_visible(timeout=12000)
    page.unroute("**/wall/poll/**")
    # The hung request times out (hx-request timeout), so polling goes on.
    make_order(id=7012)
    mark_synced()
    expect(card(page, 7012)).to_be_visible(timeout=10000)
    expect(page.locator("#conn-banner")).to_be_hidden()


def test_the_layout_drifts_a_few_pixels_against_burn_in(wall, settings):
    settings.WALL_POLL_SECONDS = 3600
    page = wall(clock=True)
    shifts = set()
    for _ in range(3):
        page.clock.fast_forward("01:31")
        shifts.add(
            page.locator("#wall-root").evaluate(
                "e => e.style.getPropertyValue('--shift-x') + ',' + e.style.getPropertyValue('--shift-y')"
            )
        )
    assert len(shifts) == 3
    for shift in shifts:
        x, y = (abs(int(v.strip().removesuffix("px"))) for v in shift.split(","))
        assert x <= 6 and y <= 6


def test_kiosk_url_opens_the_wall_and_a_revoked_key_is_refused(wall, live_server):
    created = wall_key_create(name="kitchen")
    make_order(id=7006)
    mark_synced()
    page = wall(f"?key={created.key}&status=PENDING", user=None)
    assert created.key not in page.url
    assert page.url.endswith("/wall/?status=PENDING")
    expect(card(page, 7006)).to_be_visible()
    expect(page.locator(".column")).to_have_count(2)  # New + All day
    # The same browser cannot open the board.
    board = page.request.get(live_server.url + "/", max_redirects=0)
    assert board.status != 200
    wall_key_revoke(name="kitchen")
    expect(page.locator("#denied-overlay")).to_be_visible(timeout=6000)
    expect(page.locator("#denied-overlay")).to_contain_text("This screen's key was revoked")
    response = page.goto("/wall/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("This screen's key was revoked")
    # And the old link is refused too.
    response = page.goto(f"/wall/?key={created.key}")
    assert response.status == 403


def test_mute_is_remembered_and_the_test_button_plays(wall):
    page = wall()
    expect(page.locator("body")).to_have_attribute("data-sound", "on")
    page.click("#sound-test")
    expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    page.click("#sound-mute")
    expect(page.locator("#sound-mute")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-sound", "muted")
    expect(page.locator("#sound-mute")).to_contain_text("Sound muted")
    make_order(id=7007)
    mark_synced()
    expect(card(page, 7007)).to_be_visible(timeout=6000)
    assert page.locator("body").get_attribute("data-chimes") == "0"


def test_done_cards_leave_when_their_time_is_up(wall, settings):
    settings.WALL_DONE_MINUTES = 1
    make_order(id=7008, status="DELIVERED", updated_at=timezone.now() - timedelta(seconds=57))
    mark_synced()
    page = wall()
    expect(card(page, 7008)).to_be_visible()
    expect(card(page, 7008)).to_be_hidden(timeout=6000)


def _baku_window(start_offset_hours: int, length_hours: int) -> str:
    now = timezone.localtime()
    start = (now + timedelta(hours=start_offset_hours)).strftime("%H:00")
    end = (now + timedelta(hours=start_offset_hours + length_hours)).strftime("%H:00")
    return f"{start}-{end}"


def test_the_screen_dims_outside_opening_hours_but_never_while_an_order_waits(wall, settings):
    settings.WALL_OPENING_HOURS = _baku_window(2, 3)  # opens in two hours: closed now
    page = wall()
    expect(page.locator("body")).to_have_class(re.compile(r"\bis-dimmed\b"))
    make_order(id=7011, status="PENDING")
    mark_synced()
    expect(card(page, 7011)).to_be_visible(timeout=6000)
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-dimmed\b"))
    page2 = wall("?dim=off")
    Order.objects.filter(id=7011).update(status="DELIVERED")
    mark_synced()
    page2.wait_for_timeout(1500)
    expect(page2.locator("body")).not_to_have_class(re.compile(r"\bis-dimmed\b"))


def test_open_hours_do_not_dim(wall, settings):
    settings.WALL_OPENING_HOURS = _baku_window(-1, 3)
    page = wall()
    page.wait_for_timeout(1200)
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bis-dimmed\b"))


def test_the_safety_reload_happens_only_when_the_server_answers(wall, settings):
    settings.WALL_RELOAD_HOURS = 0.0006  # about 2 s
    page = wall()
    page.route("**/wall/poll/**", lambda route: route.abort())
    page.evaluate("window.__before_reload = true")
    page.wait_for_timeout(3500)
    assert page.evaluate("window.__before_reload === true")  # server down: no reload
    page.unroute("**/wall/poll/**")
    page.wait_for_function("() => window.__before_reload !== true", timeout=15_000)
    expect(page.locator("#wall-live")).to_be_visible()


def test_blocked_audio_shows_sound_is_off_until_tapped(
    browser, live_server, manager_user, client, settings
):
    """A browser with the default autoplay policy (no flag): the screen says so, a tap fixes it."""
    settings.WALL_POLL_SECONDS = POLL
    mark_synced()
    strict = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[a for a in CHROMIUM_ARGS if "autoplay" not in a],
        env=chromium_env(),
    )
    try:
        context = strict.new_context(
            viewport={"width": 1920, "height": 1080}, base_url=live_server.url
        )
        client.force_login(manager_user)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto("/wall/")
        expect(page.locator("#sound-enable")).to_be_visible()
        expect(page.locator("#sound-enable")).to_have_text("Sound is off, tap to enable")
        expect(page.locator("body")).to_have_attribute("data-sound", "blocked")
        page.click("#sound-enable")
        expect(page.locator("#sound-enable")).to_be_hidden()
        expect(page.locator("body")).to_have_attribute("data-sound", "on")
    finally:
        strict.close()


def test_synced_ago_follows_each_sync_pass_even_when_nothing_changed(wall, settings):
    settings.SYNC_STALE_AFTER = 120
    mark_synced(ago=40)
    page = wall()
    expect(page.locator("#sync-age")).to_have_text(re.compile(r"Clopos synced 4\d s ago"))
    token = page.locator("#wall-live").get_attribute("data-token")
    mark_synced(version_bump=False)  # a pass that found nothing new: same token, 204s
    expect(page.locator("#sync-age")).to_have_text(
        re.compile(r"Clopos synced (just now|[0-5] s ago)"), timeout=6000
    )
    assert page.locator("#wall-live").get_attribute("data-token") == token
