"""Bumping from the wall in a real Chromium against the live server (WALL_BUMP on): a tap
moves the card at once and every other wall within one poll, undo, recall, the keyboard alone
(a bump bar), read-only screens, and the "waiting to reach Clopos" banner. Nothing delivers
the taps here (no sync runs): they stay in the outbox, pending, as during a Clopos outage."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from orders_app.models import Order, OutboxEntry, Receipt
from orders_app.services.sync.version import data_version_bump
from orders_app.services.wall_keys import wall_key_create
from orders_app.vocabulary import RECEIPT_OPEN, order_stage
from tests.browser.test_accessibility import blocking_violations, settle_animations
from tests.fixtures.orders import make_order, mark_synced

POLL = 1  # seconds, so "within one poll" is quick to wait for
ONE_POLL_MS = (POLL + 1.5) * 1000
AT_ONCE_MS = 3000  # the tap's own answer (no poll needed), with room for one retry
SENDING = re.compile(r"\bis-sending\b")
SELECTED = re.compile(r"\bis-selected\b")


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()  # rendered fragments are cached per token; tokens repeat across tests


@pytest.fixture
def screen(settings, browser_context_factory):
    """open_screen(can_bump=True, query="", ...) -> a page on the wall through a kiosk key;
    ``page.bumps`` lists the POSTs it sends to /wall/bump/."""
    settings.WALL_BUMP = True
    settings.WALL_POLL_SECONDS = POLL
    mark_synced()
    names = count(1)

    def open_screen(
        *,
        can_bump: bool = True,
        query: str = "",
        width: int = 1920,
        height: int = 1080,
        stall_polls: bool = False,
    ):
        created = wall_key_create(name=f"screen-{next(names)}", can_bump=can_bump)
        context = browser_context_factory(width=width, height=height)
        page = context.new_page()
        errors: list[str] = []
        bumps: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "requestfailed",
            lambda req: "/wall/bump/" in req.url and errors.append(f"failed {req.failure}"),
        )
        page.on("console", lambda msg: console(msg, errors, stalled=stall_polls))
        page.on(
            "request",
            lambda req: "/wall/bump/" in req.url and bumps.append(req.post_data or ""),
        )
        page.errors = errors  # type: ignore[attr-defined]
        page.bumps = bumps  # type: ignore[attr-defined]
        page.key_name = created.wall_key.name  # type: ignore[attr-defined]
        if stall_polls:
            # Polls never answer (htmx logs each one timing out): whatever moves, moved by
            # the tap's own answer.
            page.route("**/wall/poll/**", lambda route: None)
        # dim=off: the screenshots look the same at any hour.
        page.goto(f"/wall/?key={created.key}&dim=off{query}")
        page.wait_for_selector("#wall-live")
        return page

    return open_screen


def console(msg, errors: list[str], *, stalled: bool) -> None:
    # A stalled screen's polls time out, and htmx logs each one: that is the point there.
    if msg.type == "error" and not (stalled and msg.text.startswith("htmx:")):
        errors.append(msg.text)


def ticket(order_id: int, receipt_id: int, order_status: str, *, minutes_ago: float = 4, **kw):
    """An accepted order with its open receipt at ``order_status``, as the sync leaves it."""
    created = timezone.now() - timedelta(minutes=minutes_ago)
    Receipt.objects.create(
        id=receipt_id, status=RECEIPT_OPEN, order_status=order_status, created_at=created
    )
    items = kw.pop("items", None) or [
        {"name": "Lula kebab", "count": 2, "modifiers": [{"name": "Sumac", "count": 1}]},
        {"name": "Shepherd salad", "count": 1},
    ]
    return make_order(
        id=order_id,
        status="RECEIVED",
        receipt_id=receipt_id,
        created_at=created,
        stage=order_stage(
            status="RECEIVED", receipt_status=RECEIPT_OPEN, receipt_order_status=order_status
        ),
        items=items,
        **kw,
    )


def card(page, order_id: int):
    return page.locator(f'#wall-live .card[data-order="{order_id}"]')


def in_column(page, column: str, order_id: int):
    return page.locator(f'#wall-live .col-{column} .card[data-order="{order_id}"]')


def test_a_tap_moves_the_card_at_once_and_another_wall_sees_it_within_one_poll(screen, screenshot):
    ticket(8101, 9101, "IN_PROGRESS", customer_name="Aysel")
    ticket(8102, 9102, "IN_PROGRESS", minutes_ago=2)
    mark_synced()
    grill = screen(stall_polls=True)
    expo = screen(can_bump=False)
    expect(in_column(grill, "preparing", 8101)).to_be_visible()
    expect(card(grill, 8101).locator(".bump-btn")).to_have_text("Ready ▸")
    expect(in_column(expo, "preparing", 8101)).to_be_visible()

    card(grill, 8101).locator(".items").click()  # anywhere on the card, not only its button
    moved = in_column(grill, "ready", 8101)
    expect(moved).to_be_visible(timeout=AT_ONCE_MS)
    expect(moved).to_have_class(SENDING)
    expect(moved.locator(".sending")).to_have_text("Sending…")
    expect(in_column(grill, "preparing", 8101)).to_have_count(0)
    expect(grill.locator("#bump-toast")).to_contain_text("#8101 → Ready")
    expect(grill.locator("#bump-toast .bump-undo")).to_be_visible()
    # The other wall: within one poll, marked sending too (Clopos has not confirmed it).
    expect(in_column(expo, "ready", 8101)).to_be_visible(timeout=ONE_POLL_MS)
    expect(in_column(expo, "ready", 8101)).to_have_class(SENDING)
    expect(in_column(expo, "preparing", 8102)).to_be_visible()

    entry = OutboxEntry.objects.get(receipt_id=9101)
    assert (entry.from_status, entry.to_status, entry.state) == ("IN_PROGRESS", "READY", "pending")
    assert entry.actor == grill.key_name
    assert len(set(_keys_sent(grill))) == 1  # one tap (resent with its key if a request failed)
    assert grill.errors == [] and expo.errors == []


def test_a_double_tap_is_one_bump(screen):
    ticket(8111, 9111, "IN_PROGRESS")
    ticket(8112, 9112, "IN_PROGRESS", minutes_ago=2)  # takes the first card's place
    mark_synced()
    page = screen()
    card(page, 8111).dblclick()
    expect(in_column(page, "ready", 8111)).to_be_visible(timeout=AT_ONCE_MS)
    page.wait_for_timeout(700)
    assert len(page.bumps) == 1
    assert OutboxEntry.objects.count() == 1
    expect(in_column(page, "preparing", 8112)).to_be_visible()
    assert page.evaluate("() => document.fullscreenElement === null")
    assert page.errors == []


def test_undo_puts_the_card_back_in_one_touch(screen, screenshot):
    ticket(8121, 9121, "IN_PROGRESS")
    ticket(8122, 9122, "IN_PROGRESS", minutes_ago=3, customer_name="Leyla")
    ticket(8123, 9123, "NEW", minutes_ago=1)
    mark_synced()
    page = screen()
    other = screen(can_bump=False)
    card(page, 8121).click()
    expect(in_column(page, "ready", 8121)).to_be_visible(timeout=AT_ONCE_MS)
    expect(in_column(other, "ready", 8121)).to_be_visible(timeout=ONE_POLL_MS)
    screenshot(page, "wall-bump-tapped-1920x1080")
    page.locator("#bump-toast .bump-undo").click()
    expect(in_column(page, "preparing", 8121)).to_be_visible(timeout=AT_ONCE_MS)
    expect(page.locator("#bump-toast")).to_contain_text("#8121: undone")
    expect(page.locator("#bump-toast .bump-undo")).to_have_count(0)
    expect(in_column(other, "preparing", 8121)).to_be_visible(timeout=ONE_POLL_MS)
    bump, undo = OutboxEntry.objects.filter(receipt_id=9121).order_by("id")
    assert (bump.from_status, bump.to_status) == ("IN_PROGRESS", "READY")
    assert (undo.from_status, undo.to_status) == ("READY", "IN_PROGRESS")
    assert bump.key != undo.key
    # The toast goes by itself.
    expect(page.locator("#bump-toast")).to_be_hidden(timeout=6000)
    assert page.errors == [] and other.errors == []


def test_the_undo_offer_ends_after_its_seconds(screen):
    ticket(8131, 9131, "IN_PROGRESS")
    mark_synced()
    page = screen()
    seconds = float(page.locator("body").get_attribute("data-undo-seconds"))
    card(page, 8131).click()
    expect(page.locator("#bump-toast .bump-undo")).to_be_visible()
    expect(page.locator("#bump-toast")).to_be_hidden(timeout=(seconds + 1.5) * 1000)
    page.keyboard.press("Backspace")  # too late: nothing happens
    page.wait_for_timeout(500)
    # One tap, no undo: every POST is the tap itself (the page may resend it with its key if
    # a request failed), and the outbox holds that one entry.
    assert len(set(_keys_sent(page))) == 1 and all("to=READY" in b for b in page.bumps)
    assert OutboxEntry.objects.filter(receipt_id=9131).count() == 1
    expect(in_column(page, "ready", 8131)).to_be_visible()


def test_recall_from_the_drawer_puts_one_back_a_step(screen, screenshot):
    ticket(8141, 9141, "READY")
    ticket(8142, 9142, "IN_PROGRESS", minutes_ago=6, customer_name="Rahid")
    mark_synced()
    page = screen()
    expect(card(page, 8141).locator(".bump-btn")).to_have_text("Picked up ▸")
    card(page, 8141).click()
    expect(in_column(page, "done", 8141)).to_be_visible(timeout=AT_ONCE_MS)
    card(page, 8142).click()
    expect(in_column(page, "ready", 8142)).to_be_visible(timeout=AT_ONCE_MS)

    opener = page.locator("#recall-open")
    opener.click()
    drawer = page.locator("#recall-drawer")
    expect(drawer).to_be_visible()
    expect(opener).to_have_attribute("aria-expanded", "true")
    rows = drawer.locator(".recall-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("#8142")  # newest first
    expect(drawer.locator(".recall-btn").first).to_be_focused()
    page.wait_for_timeout(300)  # the slide-in
    screenshot(page, "wall-bump-recall-1920x1080")
    drawer.locator('.recall-row[data-receipt="9141"] .recall-btn').click()
    expect(in_column(page, "ready", 8141)).to_be_visible(timeout=AT_ONCE_MS)
    recall = OutboxEntry.objects.filter(receipt_id=9141).order_by("-id").first()
    assert (recall.from_status, recall.to_status) == ("PICKED_UP", "READY")
    # The drawer shows the recall as the newest row once it is in.
    expect(rows).to_have_count(3, timeout=AT_ONCE_MS)
    expect(rows.first).to_contain_text("#8141")
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(opener).to_have_attribute("aria-expanded", "false")
    expect(opener).to_be_focused()
    assert page.errors == []


def test_the_keyboard_alone_selects_bumps_undoes_and_recalls(screen, screenshot):
    ticket(8151, 9151, "NEW", minutes_ago=9)  # accepted, not started: in Preparing
    ticket(8152, 9152, "IN_PROGRESS", minutes_ago=7)
    ticket(8153, 9153, "READY", minutes_ago=5)
    mark_synced()
    page = screen(width=1280, height=800)
    keys = page.keyboard
    expect(page.locator("#wall-live .card.is-selected")).to_have_count(0)
    # Reading order: Preparing (oldest first), then Ready.
    keys.press("2")
    expect(card(page, 8152)).to_have_class(SELECTED)
    expect(page.locator("body")).to_have_class(re.compile(r"\bis-keys\b"))
    expect(card(page, 8153)).to_have_attribute("data-kbd", "3")
    keys.press("ArrowRight")
    expect(card(page, 8153)).to_have_class(SELECTED)
    expect(card(page, 8152)).not_to_have_class(SELECTED)
    keys.press("ArrowLeft")
    expect(card(page, 8151)).to_have_class(SELECTED)  # the card at that height
    keys.press("ArrowDown")
    expect(card(page, 8152)).to_have_class(SELECTED)
    ring = card(page, 8152).evaluate("e => getComputedStyle(e, '::after').borderTopWidth")
    assert float(ring.removesuffix("px")) >= 6  # thick enough to read from across a kitchen
    screenshot(page, "wall-bump-keys-1280x800")

    # The selection survives the live region's swap.
    token = page.locator("#wall-live").get_attribute("data-token")
    mark_synced()
    page.wait_for_function(
        "t => document.querySelector('#wall-live').dataset.token !== t",
        arg=token,
        timeout=ONE_POLL_MS,
    )
    expect(card(page, 8152)).to_have_class(SELECTED)

    keys.press("Enter")
    expect(in_column(page, "ready", 8152)).to_be_visible(timeout=AT_ONCE_MS)
    # The card that took its place in Preparing is selected now.
    expect(card(page, 8151)).to_have_class(SELECTED)
    expect(page.locator("#bump-toast")).to_contain_text("#8152 → Ready")
    keys.press("Backspace")
    expect(in_column(page, "preparing", 8152)).to_be_visible(timeout=AT_ONCE_MS)
    expect(card(page, 8152)).to_have_class(SELECTED)
    keys.press("1")
    expect(card(page, 8151)).to_have_class(SELECTED)
    keys.press(" ")  # Space bumps too: not started -> preparing, in the same column
    expect(card(page, 8151).locator(".bump-btn")).to_have_text("Ready ▸", timeout=AT_ONCE_MS)
    expect(card(page, 8151)).to_have_class(SELECTED)
    moves = [(e.receipt_id, e.from_status, e.to_status) for e in OutboxEntry.objects.order_by("id")]
    assert moves == [
        (9152, "IN_PROGRESS", "READY"),
        (9152, "READY", "IN_PROGRESS"),
        (9151, "NEW", "IN_PROGRESS"),
    ]

    keys.press("r")
    drawer = page.locator("#recall-drawer")
    expect(drawer).to_be_visible()
    expect(drawer.locator(".recall-btn").first).to_be_focused()
    keys.press("Escape")
    expect(drawer).to_be_hidden()
    keys.press("r")
    expect(drawer).to_be_visible()
    keys.press("r")
    expect(drawer).to_be_hidden()
    assert page.errors == []


def test_a_read_only_key_shows_no_bump_controls(screen):
    ticket(8161, 9161, "IN_PROGRESS")
    mark_synced()
    bumper = screen()
    expect(card(bumper, 8161).locator(".bump-btn")).to_have_count(1)
    page = screen(can_bump=False)
    expect(card(page, 8161)).to_be_visible()
    assert page.locator("body").get_attribute("data-bump") is None
    expect(page.locator(".bump-btn")).to_have_count(0)
    expect(page.locator("#recall-open")).to_have_count(0)
    assert card(page, 8161).get_attribute("data-bump-to") is None
    card(page, 8161).click()
    for key in ("1", "ArrowRight", "Enter", "r"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)
    assert page.bumps == []
    expect(page.locator("#wall-live .card.is-selected")).to_have_count(0)
    expect(in_column(page, "preparing", 8161)).to_be_visible()
    assert OutboxEntry.objects.count() == 0
    assert page.errors == []


def _waiting_tap(receipt_id: int, *, seconds_ago: float) -> OutboxEntry:
    """A tap still in the outbox (Clopos not answering), made ``seconds_ago``."""
    tapped = timezone.now() - timedelta(seconds=seconds_ago)
    entry = OutboxEntry.objects.create(
        kind=OutboxEntry.Kind.RECEIPT_STATUS,
        receipt_id=receipt_id,
        from_status="IN_PROGRESS",
        to_status="READY",
        key=f"seeded-{receipt_id}",
        actor="grill",
        actor_kind=OutboxEntry.ActorKind.SCREEN,
        tapped_at=tapped,
        next_attempt_at=tapped,
    )
    data_version_bump()
    return entry


def test_the_waiting_banner_shows_once_a_tap_has_waited_30_s_and_goes_when_delivered(
    screen, screenshot
):
    ticket(8171, 9171, "IN_PROGRESS")
    ticket(8172, 9172, "IN_PROGRESS", minutes_ago=3)
    entry = _waiting_tap(9171, seconds_ago=10)
    mark_synced()
    page = screen(can_bump=False)  # on every wall, bump screen or not
    banner = page.locator("#outbox-banner")
    expect(banner).to_have_count(1)
    expect(banner).to_have_attribute("data-after-seconds", "30")
    page.wait_for_timeout(1200)
    expect(banner).to_be_hidden()  # ten seconds is not yet an outage
    expect(in_column(page, "ready", 8171)).to_have_class(SENDING)

    # The same tap, forty seconds old: the screen says so.
    OutboxEntry.objects.filter(id=entry.id).update(tapped_at=timezone.now() - timedelta(seconds=40))
    data_version_bump()
    expect(banner).to_be_visible(timeout=ONE_POLL_MS)
    expect(banner).to_contain_text("1 change waiting to reach Clopos")
    # Each new fragment comes hidden: it must not blink with every poll.
    mark_synced()
    for _ in range(4):
        page.wait_for_timeout(250)
        expect(banner).to_be_visible()
    screenshot(page, "wall-bump-waiting-1920x1080")
    small = screen(width=1280, height=800)
    expect(small.locator("#outbox-banner")).to_be_visible()
    screenshot(small, "wall-bump-waiting-1280x800")

    # Clopos is back and the tap is delivered: the banner and the mark go.
    now = timezone.now()
    OutboxEntry.objects.filter(id=entry.id).update(
        state=OutboxEntry.State.CONFIRMED, confirmed_at=now, ended_at=now, clopos_status="READY"
    )
    Receipt.objects.filter(id=9171).update(order_status="READY")
    Order.objects.filter(id=8171).update(stage="ready", stage_at=now)
    data_version_bump()
    expect(page.locator("#outbox-banner")).to_have_count(0, timeout=ONE_POLL_MS)
    expect(in_column(page, "ready", 8171)).not_to_have_class(SENDING)
    assert page.errors == [] and small.errors == []


def test_the_light_theme_shows_the_same_controls(screen, screenshot):
    ticket(8181, 9181, "NEW", minutes_ago=8)
    ticket(8182, 9182, "IN_PROGRESS", minutes_ago=6)
    ticket(8183, 9183, "READY", minutes_ago=3)
    _waiting_tap(9182, seconds_ago=5)
    mark_synced()
    page = screen(query="&theme=light")
    page.keyboard.press("3")
    expect(card(page, 8183)).to_have_class(SELECTED)
    card(page, 8181).locator(".bump-btn").click()
    expect(page.locator("#bump-toast")).to_be_visible()
    # Every bump button is a touch target for a greasy finger.
    page.wait_for_function(
        "() => { const b = [...document.querySelectorAll('#wall-live .bump-btn')];"
        " return b.length === 3 && b.every(e => e.getBoundingClientRect().height >= 48); }"
    )
    page.keyboard.press("2")  # the keys again: the ring shows
    page.wait_for_timeout(200)
    screenshot(page, "wall-bump-light-1920x1080")
    assert page.errors == []


def _keys_sent(page) -> list[str]:
    return [parse_qs(body).get("key", [""])[0] for body in page.bumps]


def test_a_tap_survives_a_lost_connection_and_a_reload_and_is_made_once(screen):
    ticket(8191, 9191, "IN_PROGRESS")
    mark_synced()
    page = screen()
    page.route("**/wall/bump/**", lambda route: route.abort())  # Pass unreachable for taps
    card(page, 8191).click()
    expect(card(page, 8191)).to_have_class(SENDING)
    expect(card(page, 8191).locator(".sending")).to_have_text("Sending…")
    page.wait_for_timeout(1600)  # the first retry goes after about a second
    assert len(page.bumps) >= 2
    assert OutboxEntry.objects.count() == 0
    # A reload (a kiosk's safety reload, a power cut of the screen) keeps the tap.
    page.reload()
    page.wait_for_selector("#wall-live")
    expect(card(page, 8191)).to_have_class(SENDING)
    page.unroute("**/wall/bump/**")
    expect(in_column(page, "ready", 8191)).to_be_visible(timeout=6000)
    keys = set(_keys_sent(page))
    assert len(keys) == 1 and "" not in keys  # every attempt, before and after the reload
    entry = OutboxEntry.objects.get()
    assert (entry.key, entry.to_status) == (keys.pop(), "READY")
    page.wait_for_timeout(1200)  # nothing more goes
    assert OutboxEntry.objects.count() == 1


def test_a_card_another_screen_moved_meanwhile_says_so_and_changes_nothing(screen):
    ticket(8195, 9195, "IN_PROGRESS")
    mark_synced()
    late = screen(stall_polls=True)  # still shows the card where it was
    first = screen()
    card(first, 8195).click()
    expect(in_column(first, "ready", 8195)).to_be_visible(timeout=AT_ONCE_MS)
    card(late, 8195).click()  # READY again: not a step of the flow any more
    expect(late.locator("#bump-toast")).to_contain_text("moved on meanwhile")
    expect(card(late, 8195)).not_to_have_class(SENDING)
    assert OutboxEntry.objects.count() == 1


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_finds_nothing_serious_on_a_bump_screen_with_its_toast_and_drawer(
    screen, screenshot, theme
):
    ticket(8201, 9201, "NEW", minutes_ago=8)
    ticket(8202, 9202, "IN_PROGRESS", minutes_ago=6)
    ticket(8203, 9203, "READY", minutes_ago=2)
    _waiting_tap(9202, seconds_ago=45)
    mark_synced()
    page = screen(query=f"&theme={theme}")
    card(page, 8203).click()
    expect(page.locator("#bump-toast .bump-undo")).to_be_visible()
    page.keyboard.press("1")
    expect(card(page, 8201)).to_have_class(SELECTED)
    expect(page.locator("#outbox-banner")).to_be_visible()
    for phase in (0.0, 0.5):  # the pulsing dot's both ends
        settle_animations(page, phase)
        assert blocking_violations(page, f"wall-bump-{theme}-{phase}") == []
    page.keyboard.press("r")
    expect(page.locator("#recall-drawer .recall-row")).to_have_count(1)
    settle_animations(page, 1.0)
    assert blocking_violations(page, f"wall-bump-recall-{theme}") == []
    screenshot(page, f"a11y-wall-bump-{theme}-1920x1080")
