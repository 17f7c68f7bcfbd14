"""The wall screen: /wall/ (full page) and /wall/poll/ (the live fragment, 204 when unchanged).

Open to logged-in users and to kiosk screens holding a screens-only grant in their session
(from ``/wall/?key=...``): see views/kiosk.py, shared with the pickup screen.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from orders_app.forms.wall import WallOptions, wall_options
from orders_app.selectors.sync import PollState, sync_poll_state
from orders_app.selectors.wall import WallBoard, wall_board
from orders_app.timestamps import iso_utc
from orders_app.views.http import no_store, no_store_view
from orders_app.views.kiosk import _access, _denied, _screen_refusal
from orders_app.vocabulary import OPEN_STAGES, wall_stage_columns

# A rendered fragment is shared by every screen with the same token and choices (per worker):
# when the data changes, 200 screens cost one render per worker, not 200.
FRAGMENT_CACHE_SECONDS = 60


@no_store_view
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    refusal = _screen_refusal(request)
    if refusal is not None:
        return refusal
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
            stats=options.stats,
        )
    return wall_board(
        stage_columns=wall_stage_columns(options.stages),
        stages=options.stages,
        venue=options.venue,
        channels=options.channels,
        stations=options.stations,
        tickets=options.tickets,
        stats=options.stats,
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
