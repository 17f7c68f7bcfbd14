"""The wall screen: /wall/ (full page) and /wall/poll/ (the live fragment, 204 when unchanged).

Open to logged-in users and to kiosk screens holding a wall-only grant in their session
(from ``/wall/?key=...``). The key itself is never logged, stored or echoed: it is hashed,
its id goes into the session, and the browser is redirected to the same URL without it.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_GET

from orders_app.forms.wall import WallOptions, wall_options
from orders_app.selectors.sync import PollState, sync_poll_state
from orders_app.selectors.wall import WallBoard, wall_board
from orders_app.services.wall_keys import (
    SESSION_KEY,
    KeyCheck,
    wall_key_check,
    wall_key_check_id,
)
from orders_app.timestamps import iso_utc
from orders_app.views.http import no_store, no_store_view
from orders_app.vocabulary import OPEN_STAGES, wall_stage_columns

# A rendered fragment is shared by every screen with the same token and choices (per worker):
# when the data changes, 200 screens cost one render per worker, not 200.
FRAGMENT_CACHE_SECONDS = 60
# A kiosk grant outlives the default session age; revocation is the control, and the wall's
# periodic full reload renews it.
KIOSK_SESSION_SECONDS = 60 * 60 * 24 * 30
DENIED = {
    "revoked": (
        gettext_lazy("This screen's key was revoked"),
        gettext_lazy("Ask a manager for a new kiosk link."),
    ),
    "unknown": (
        gettext_lazy("This kiosk link is not valid"),
        gettext_lazy("Ask a manager for a new kiosk link."),
    ),
    "signed-out": (
        gettext_lazy("This screen is signed out"),
        gettext_lazy("Open the wall again with a kiosk link or log in."),
    ),
}


def _denied(request: HttpRequest, state: str) -> HttpResponse:
    title, hint = DENIED[state]
    response = render(
        request, "orders_app/wall_denied.html", {"title": title, "hint": hint}, status=403
    )
    response["X-Wall-Denied"] = state
    return no_store(response)


# Session cookie (hashed) -> (until, key id) for kiosk sessions this process has read: a polling
# kiosk skips loading its session row (the costliest query of a poll) for KIOSK_MEMO_SECONDS;
# its key is still re-checked against the database on every request, so revocation is
# immediate. Login cycles the session cookie, so a memo never stands for a user's session.
KIOSK_MEMO_SECONDS = 30
KIOSK_MEMO_MAX = 10_000
_kiosk_memo: dict[str, tuple[float, int]] = {}


def _access(request: HttpRequest) -> KeyCheck:
    """Logged-in users pass; otherwise the session's kiosk grant, re-checked every request."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    memo_key = hashlib.sha256(cookie.encode()).hexdigest() if cookie else ""
    memo = _kiosk_memo.get(memo_key) if memo_key else None
    if memo is not None and memo[0] > time.monotonic():
        return wall_key_check_id(key_id=memo[1])
    if request.user.is_authenticated:
        return KeyCheck("ok")
    if SESSION_KEY not in request.session:
        return KeyCheck("signed-out")
    check = wall_key_check_id(key_id=request.session[SESSION_KEY])
    if check.ok and memo_key:
        if len(_kiosk_memo) >= KIOSK_MEMO_MAX:
            _kiosk_memo.clear()
        _kiosk_memo[memo_key] = (
            time.monotonic() + KIOSK_MEMO_SECONDS,
            request.session[SESSION_KEY],
        )
    return check


def _without_key(request: HttpRequest) -> str:
    pairs = [(k, v) for k, values in request.GET.lists() if k != "key" for v in values]
    return request.path + (f"?{urlencode(pairs)}" if pairs else "")


@no_store_view
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    if "key" in request.GET:
        check = wall_key_check(key=request.GET.get("key", ""))
        if not check.ok:
            return _denied(request, check.state)
        if not request.user.is_authenticated:
            request.session.cycle_key()
            request.session[SESSION_KEY] = check.key_id
        return HttpResponseRedirect(_without_key(request))
    access = _access(request)
    if access.state == "signed-out":
        return redirect_to_login(request.get_full_path())
    if not access.ok:
        return _denied(request, access.state)
    if not request.user.is_authenticated:
        request.session.set_expiry(KIOSK_SESSION_SECONDS)
    options = wall_options(request.GET)
    poll = sync_poll_state()  # before the board: a change in between shows on the next poll
    board = _board(options)
    return _stamped(render(request, "orders_app/wall.html", _context(options, board, poll)), poll)


@require_GET
def wall_poll(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    if not access.ok:
        return _denied(request, access.state)
    poll = sync_poll_state()
    if request.GET.get("token", "") == poll.token:
        return _stamped(HttpResponse(status=204), poll)
    options = wall_options(request.GET)
    key = (
        "pass:wall:fragment:"
        + hashlib.sha256(
            f"{poll.token}|{options!r}|{settings.WALL_DONE_MINUTES}|{get_language()}".encode()
        ).hexdigest()
    )
    html = cache.get(key)
    if html is None:
        board = _board(options)
        html = render_to_string(
            "orders_app/wall.html#wall-live", _context(options, board, poll), request=request
        )
        cache.set(key, html, FRAGMENT_CACHE_SECONDS)
    return _stamped(HttpResponse(html), poll)


def _stamped(response: HttpResponse, poll: PollState) -> HttpResponse:
    """Every answer carries the server's clock and the last sync, so the screen's timers and
    "synced 8 s ago" stay true between renders (204s included); and is never cached."""
    now = time.time()
    response["X-Wall-Now"] = iso_utc(datetime.fromtimestamp(now, UTC))
    response["X-Wall-Synced"] = iso_utc(poll.last_success_at)
    return no_store(response, now=now)


def _board(options: WallOptions) -> WallBoard:
    if options.by_status:
        return wall_board(
            columns=options.columns,
            venue=options.venue,
            channels=options.channels,
            stations=options.stations,
        )
    return wall_board(
        stage_columns=wall_stage_columns(options.stages),
        stages=options.stages,
        venue=options.venue,
        channels=options.channels,
        stations=options.stations,
        tickets=options.tickets,
    )


def _context(options: WallOptions, board: WallBoard, poll: PollState) -> dict:
    poll_query = urlencode([*options.query_items(), ("token", poll.token)])
    return {
        "options": options,
        "board": board,
        "poll": poll,
        "poll_url": f"{reverse('wall-poll')}?{poll_query}",
        "poll_seconds": settings.WALL_POLL_SECONDS,
        # A poll that has not answered within this long counts as lost.
        "poll_timeout_ms": max(2000, min(settings.WALL_POLL_SECONDS * 1000, 8000)),
        "watchdog_minutes": settings.WALL_WATCHDOG_MINUTES,
        "reload_hours": settings.WALL_RELOAD_HOURS,
        "opening_hours": settings.WALL_OPENING_HOURS,
        "stale_after": settings.SYNC_STALE_AFTER,
        "done_minutes": settings.WALL_DONE_MINUTES,
        # The board, showing the open orders the wall leaves off (older than WALL_MAX_OPEN_HOURS).
        "older_open_url": reverse("board")
        + "?"
        + urlencode([("stage", stage) for stage in OPEN_STAGES]),
    }
