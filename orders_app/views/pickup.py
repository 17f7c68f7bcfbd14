"""The customer pickup screen: /pickup/ (full page) and /pickup/poll/ (the live fragment, 204
when unchanged). Opened like the wall (views/kiosk.py): a logged-in user, or a kiosk key."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from orders_app.forms.pickup import PickupOptions, pickup_options
from orders_app.selectors.pickup import PickupBoard, pickup_board
from orders_app.selectors.sync import PollState, sync_poll_state
from orders_app.views.http import no_store_view
from orders_app.views.kiosk import _screen_refusal, screen_poll, stamped
from orders_app.views.live import live_context

# A Ready number is highlighted (and marked "just ready") this long after it became ready.
READY_HIGHLIGHT_SECONDS = 60


@no_store_view
@require_GET
def pickup(request: HttpRequest) -> HttpResponse:
    refusal = _screen_refusal(request)
    if refusal is not None:
        return refusal
    options = pickup_options(request.GET)
    poll = sync_poll_state()  # before the board: a change in between shows on the next poll
    board = pickup_board(venue=options.venue, channels=options.channels)
    return stamped(render(request, "orders_app/pickup.html", _context(options, board, poll)), poll)


@require_GET
def pickup_poll(request: HttpRequest) -> HttpResponse:
    def render_live(options: PickupOptions, poll: PollState) -> str:
        board = pickup_board(venue=options.venue, channels=options.channels)
        return render_to_string(
            "orders_app/pickup.html#pickup-live", _context(options, board, poll), request=request
        )

    return screen_poll(
        request, name="pickup", options=lambda: pickup_options(request.GET), render=render_live
    )


def _context(options: PickupOptions, board: PickupBoard, poll: PollState) -> dict:
    return {
        "options": options,
        "board": board,
        "poll": poll,
        **live_context(
            reverse("pickup-poll"),
            options.query_items(),
            poll.token,
            seconds=settings.WALL_POLL_SECONDS,
        ),
        "reload_hours": settings.WALL_RELOAD_HOURS,
        "highlight_seconds": READY_HIGHLIGHT_SECONDS,
    }
