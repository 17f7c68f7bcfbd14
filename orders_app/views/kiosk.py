"""Who may open a screen (the wall, the pickup screen): a logged-in user, or a kiosk.

A kiosk opens ``/wall/?key=...`` or ``/pickup/?key=...`` once: the key is hashed and looked
up, its id goes into the session (a screens-only grant, not a login: the board, the orders and
the admin stay closed), and the browser is redirected to the same URL without it. The key
itself is never logged, stored or echoed. Every later request of the screen re-checks the
grant, so revoking a key closes its screens on their next poll.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy

from orders_app.models import OutboxEntry
from orders_app.selectors.sync import PollState, kiosk_poll_state, sync_poll_state
from orders_app.services.wall_keys import (
    SESSION_KEY,
    KeyCheck,
    wall_key_bumper,
    wall_key_check,
    wall_key_check_grant,
    wall_key_check_id,
)
from orders_app.timestamps import iso_utc
from orders_app.views.http import no_store
from orders_app.views.live import held, hold_seconds

# A kiosk grant outlives the default session age; revocation is the control, and each
# screen's periodic full reload renews it.
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
    """A screen refused: a page saying why (403), and the reason in X-Wall-Denied for a polling
    screen's script to show."""
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


def _memo_key_id(request: HttpRequest) -> tuple[str, int | None]:
    """(the memo's key for this session cookie, the kiosk key id it remembers, if current)."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    memo_key = hashlib.sha256(cookie.encode()).hexdigest() if cookie else ""
    memo = _kiosk_memo.get(memo_key) if memo_key else None
    if memo is not None and memo[0] > time.monotonic():
        return memo_key, memo[1]
    return memo_key, None


def _access(request: HttpRequest) -> KeyCheck:
    """Logged-in users pass; otherwise the session's kiosk grant, re-checked every request."""
    memo_key, key_id = _memo_key_id(request)
    if key_id is not None:
        return wall_key_check_id(key_id=key_id)
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


def _key_redirect(request: HttpRequest) -> HttpResponse:
    """``?key=...``: a valid key grants this browser the screens and sends it to the same URL
    without the key; a bad or revoked one is refused. A logged-in user keeps their login."""
    check = wall_key_check(key=request.GET.get("key", ""))
    if not check.ok:
        return _denied(request, check.state)
    if not request.user.is_authenticated:
        request.session.cycle_key()
        request.session[SESSION_KEY] = check.key_id
    return HttpResponseRedirect(_without_key(request))


def _screen_refusal(request: HttpRequest) -> HttpResponse | None:
    """For a screen's full page: None when it may be shown; else the answer instead of it (the
    key redirect, the login page, or the refusal). A kiosk's session is renewed each time."""
    if "key" in request.GET:
        return _key_redirect(request)
    access = _access(request)
    if access.state == "signed-out":
        return redirect_to_login(request.get_full_path())
    if not access.ok:
        return _denied(request, access.state)
    if not request.user.is_authenticated:
        request.session.set_expiry(KIOSK_SESSION_SECONDS)
    return None


Actor = tuple[str, str]  # (a kiosk key's name or a username, OutboxEntry.ActorKind)


def bump_actor(request: HttpRequest) -> Actor | None:
    """Who is bumping, when this request may: WALL_BUMP on, and a logged-in manager or a
    kiosk grant whose key may bump (one query). None otherwise."""
    if not settings.WALL_BUMP:
        return None
    if request.user.is_authenticated:
        return request.user.get_username(), OutboxEntry.ActorKind.MANAGER
    name = wall_key_bumper(key_id=request.session.get(SESSION_KEY))
    return (name, OutboxEntry.ActorKind.SCREEN) if name else None


def bump_screen(request: HttpRequest, options: Any) -> bool:
    """Does this wall page show bump controls? Only a stage wall (a ``status=`` wall shows
    Clopos's statuses, which a bump does not move)."""
    return not options.by_status and bump_actor(request) is not None


# A rendered fragment is shared by every screen with the same token and choices (per worker):
# when the data changes, 200 screens cost one render per worker, not 200.
FRAGMENT_CACHE_SECONDS = 60


def stamped(response: HttpResponse, poll: PollState) -> HttpResponse:
    """Every answer of a screen carries the server's clock and the last sync, so its timers and
    "synced 8 s ago" stay true between renders (204s included); and is never cached."""
    now = time.time()
    response["X-Wall-Now"] = iso_utc(datetime.fromtimestamp(now, UTC))
    response["X-Wall-Synced"] = iso_utc(poll.last_success_at)
    return no_store(response, now=now)


# Per process: one render per fragment key at a time. Held polls wake together when the data
# changes; without this, the screens of one process would all miss the cache at once and each
# render the same fragment.
_render_locks: dict[str, threading.Lock] = {}
_render_locks_guard = threading.Lock()


def _fragment(key: str, render: Callable[[], str]) -> str:
    html = cache.get(key)
    if html is not None:
        return html
    with _render_locks_guard:
        lock = _render_locks.setdefault(key, threading.Lock())
    try:
        with lock:
            html = cache.get(key)
            if html is None:
                html = render()
                cache.set(key, html, FRAGMENT_CACHE_SECONDS)
    finally:
        with _render_locks_guard:
            _render_locks.pop(key, None)
    return html


def screen_poll(
    request: HttpRequest, *, name: str, options: Callable[[], Any], render: Callable[..., str]
) -> HttpResponse:
    """A screen's poll: refused without access, 204 while the token is current (held up to
    ``WALL_POLL_SECONDS`` first when the screen asks, see ``held``), else its live fragment,
    rendered once per (token, choices, language) and shared through the cache.

    ``options()``: the screen's validated choices (their repr is part of the cache key);
    ``render(options, poll)``: the fragment's HTML."""
    _, key_id = _memo_key_id(request)
    if key_id is not None:  # a kiosk we know: its grant and the sync state in one query
        grant, poll = kiosk_poll_state(key_id)
        access = wall_key_check_grant(key_id=key_id, row=grant)
    else:
        access, poll = _access(request), None
    if not access.ok:
        return _denied(request, access.state)
    token = request.GET.get("token", "")
    poll = held(
        token,
        poll or sync_poll_state(),
        seconds=hold_seconds(request, most=settings.WALL_POLL_SECONDS),
    )
    if token == poll.token:
        return stamped(HttpResponse(status=204), poll)
    chosen = options()
    key = (
        f"pass:{name}:fragment:"
        + hashlib.sha256(f"{poll.token}|{chosen!r}|{get_language()}".encode()).hexdigest()
    )
    return stamped(HttpResponse(_fragment(key, lambda: render(chosen, poll))), poll)
