"""Held polls in the views: how long a poll may wait, the wait itself, and what a screen's
live region polls with (see services/change_watch.py and static/orders_app/live.js)."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest

from orders_app.selectors.sync import PollState, sync_poll_state
from orders_app.services.change_watch import release_connection, wait_for_change


def hold_seconds(request: HttpRequest, *, most: float) -> float:
    """How long a poll may be held (``wait=`` seconds, asked by the screen's script, at most
    ``most``): 0 with ``SCREEN_UPDATES=poll`` or a value that is not a number."""
    if settings.SCREEN_UPDATES != "longpoll":
        return 0.0
    try:
        asked = float(request.GET.get("wait", "0"))
    except ValueError:
        return 0.0
    return max(0.0, min(asked, most)) if math.isfinite(asked) else 0.0


def held(token: str, poll: PollState, *, seconds: float) -> PollState:
    """A poll whose token is current waits up to ``seconds`` for the cache to change
    (services/change_watch.py) and returns the state to answer with: still ``poll`` when
    nothing changed, else the new one, read again."""
    if seconds <= 0 or token != poll.token:
        return poll
    release_connection()
    if wait_for_change(token, seconds) is None:
        return poll
    return sync_poll_state()


def live_context(path: str, pairs: list[tuple[str, str]], token: str, *, seconds: int) -> dict:
    """What a screen's live region polls with: the URL (its choices, its token, and ``wait``
    when polls are held), how often, and when an unanswered poll counts as lost.

    ``SCREEN_UPDATES=longpoll`` (the default): the region asks again as soon as an answer
    comes (htmx ``load`` and our ``pass-poll`` event, static/orders_app/live.js), and the
    server holds each poll up to ``seconds`` while nothing changes. ``poll``: every
    ``seconds``, answered at once (the transport before held polls)."""
    hold = seconds if settings.SCREEN_UPDATES == "longpoll" else 0
    pairs = [*pairs, ("token", token)]
    if hold:
        pairs.append(("wait", str(hold)))
    timeout_ms = max(2000, min(seconds * 1000, 8000))
    return {
        "poll_url": f"{path}?{urlencode(pairs)}",
        "poll_seconds": seconds,
        # A poll that has not answered within this long after it was due counts as lost.
        "poll_timeout_ms": timeout_ms,
        "poll_hold_seconds": hold,
        "poll_request_timeout_ms": hold * 1000 + timeout_ms,
        "poll_trigger": "load, pass-poll" if hold else f"every {seconds}s",
    }
