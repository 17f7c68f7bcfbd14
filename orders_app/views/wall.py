"""The wall screen: /wall/ (full page) and /wall/poll/ (the live fragment, 204 when unchanged).

Open to logged-in users and to kiosk screens holding a screens-only grant in their session
(from ``/wall/?key=...``): see views/kiosk.py, shared with the pickup screen.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from orders_app.forms.wall import WallOptions, wall_options
from orders_app.selectors.bump import outbox_waiting
from orders_app.selectors.sync import PollState, sync_poll_state
from orders_app.selectors.wall import WallBoard, wall_board
from orders_app.views.http import no_store_view
from orders_app.views.kiosk import _screen_refusal, bump_screen, screen_poll, stamped
from orders_app.views.live import live_context
from orders_app.vocabulary import OPEN_STAGES, wall_stage_columns

# A bump can be undone in one touch this long; changes waiting this long get the banner.
UNDO_SECONDS = 5
OUTBOX_BANNER_SECONDS = 30


@no_store_view
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    refusal = _screen_refusal(request)
    if refusal is not None:
        return refusal
    options = wall_options(request.GET)
    poll = sync_poll_state()  # before the board: a change in between shows on the next poll
    board = board_for(options)
    context = _context(options, board, poll, bump_screen=bump_screen(request, options))
    return stamped(render(request, "orders_app/wall.html", context), poll)


@require_GET
def wall_poll(request: HttpRequest) -> HttpResponse:
    def render_live(options: WallOptions, bumps: bool, poll: PollState) -> str:
        return render_to_string(
            "orders_app/wall.html#wall-live",
            _context(options, board_for(options), poll, bump_screen=bumps),
            request=request,
        )

    def chosen() -> tuple:
        options = wall_options(request.GET)
        # ``bump=1``: the page found this screen may bump (each tap is checked again); its
        # cards carry the controls. No query on a poll.
        bumps = settings.WALL_BUMP and not options.by_status and request.GET.get("bump") == "1"
        # WALL_DONE_MINUTES is part of the choices: a Done card's expiry is in the fragment.
        return (options, settings.WALL_DONE_MINUTES, bumps)

    return screen_poll(
        request,
        name="wall",
        options=chosen,
        render=lambda chosen, poll: render_live(chosen[0], chosen[2], poll),
    )


def board_for(options: WallOptions) -> WallBoard:
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


def _context(
    options: WallOptions, board: WallBoard, poll: PollState, *, bump_screen: bool = False
) -> dict:
    pairs = options.query_items()
    query = f"?{urlencode(pairs)}" if pairs else ""
    return {
        "options": options,
        "board": board,
        "poll": poll,
        **live_context(
            reverse("wall-poll"),
            [*pairs, ("bump", "1")] if bump_screen else pairs,
            poll.token,
            seconds=settings.WALL_POLL_SECONDS,
        ),
        # Bumping (WALL_BUMP): every wall shows taps on their way and the waiting banner;
        # a screen that may bump also gets the controls and the Recall drawer.
        "bumping": settings.WALL_BUMP,
        "bump_screen": bump_screen,
        "bump_url": reverse("wall-bump") + query,
        "recall_url": reverse("wall-recall") + query,
        "undo_seconds": UNDO_SECONDS,
        "waiting": outbox_waiting() if settings.WALL_BUMP else None,
        "outbox_banner_seconds": OUTBOX_BANNER_SECONDS,
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
