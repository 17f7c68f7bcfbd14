"""Bumping from the wall (WALL_BUMP on): ``POST /wall/bump/`` records a tap in the outbox and
answers the card as this screen now shows it; ``GET /wall/recall/`` is the Recall drawer.

Who may bump: a logged-in manager on any wall, a kiosk screen whose key has ``can_bump``
(services/wall_keys.py), checked on every tap. A tap never calls Clopos: it commits an outbox
entry (services/outbox) that the sync delivers. The client's ``key`` makes a repeated tap (a
retry after a lost answer, a double tap) one change.

Answers: 200 with the card (an empty body when the card no longer belongs on this screen),
400 malformed, 403 not allowed (``X-Wall-Denied`` when the screen's key is revoked or it is
signed out), 404 a receipt Pass does not know, 409 a step WALL_BUMP_FLOW does not allow, 429
more than WALL_BUMP_PER_MINUTE taps of this screen in a minute, 503 the database busy (the
screen sends the same key again after ``Retry-After``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from orders_app.forms.wall import WallOptions, wall_options
from orders_app.models import OutboxEntry
from orders_app.models.outbox import KEY_MAX
from orders_app.selectors.bump import recall_rows
from orders_app.selectors.sync import sync_poll_state
from orders_app.selectors.wall import WallCard, WallColumn
from orders_app.services.outbox import (
    BumpingOff,
    MalformedRequest,
    TransitionRefused,
    UnknownTarget,
    enqueue_bump,
)
from orders_app.views.http import no_store
from orders_app.views.kiosk import Actor, _access, _denied, bump_actor, stamped
from orders_app.views.wall import board_for

logger = logging.getLogger("orders_app.outbox")


def _said(status: int, text: str, **headers: str) -> HttpResponse:
    """A refusal in a short sentence the screen shows as it is."""
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return no_store(response)


def _refusal(request: HttpRequest) -> tuple[HttpResponse | None, Actor | None]:
    access = _access(request)
    if not access.ok:
        return _denied(request, access.state), None
    if not settings.WALL_BUMP:
        return _said(403, gettext("Bumping is off: this Pass writes nothing to Clopos.")), None
    actor = bump_actor(request)
    if actor is None:
        return _said(
            403,
            gettext("This screen may not bump tickets. Ask a manager for a kiosk link that can."),
        ), None
    return None, actor


def _receipt_id(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _too_many(actor: Actor, *, now) -> bool:
    """More than WALL_BUMP_PER_MINUTE taps of this screen in the last minute (one query on
    outbox_actor_idx)."""
    recent = OutboxEntry.objects.filter(
        actor_kind=actor[1], actor=actor[0], tapped_at__gte=now - timedelta(minutes=1)
    )
    return recent.count() >= settings.WALL_BUMP_PER_MINUTE


def _card_on_screen(options: WallOptions, receipt_id: int) -> tuple[WallCard, WallColumn] | None:
    """The receipt's card as this screen shows it now, with its column; None when the screen
    no longer shows it (a column it does not have, another station's)."""
    for column in board_for(options).columns:
        for card in column.cards:
            if card.receipt_id == receipt_id:
                return card, column
    return None


@require_POST
def wall_bump(request: HttpRequest) -> HttpResponse:
    refusal, actor = _refusal(request)
    if refusal is not None:
        return refusal
    receipt_id = _receipt_id(request.POST.get("receipt"))
    key = request.POST.get("key", "")
    if receipt_id is None:
        return _said(400, gettext("This tap names no ticket; nothing was changed."))
    now = timezone.now()
    try:
        # A retried key is the same change: it neither counts again nor is refused for rate.
        # (Only a key the outbox could hold is looked up: PostgreSQL refuses NUL bytes.)
        clean = key.strip()
        usable = 0 < len(clean) <= KEY_MAX and clean.isprintable()
        repeat = usable and OutboxEntry.objects.filter(key=clean).exists()
        if not repeat and _too_many(actor, now=now):
            return _said(
                429,
                gettext("Too many taps from this screen; wait a moment."),
                Retry_After="10",
            )
        entry, created = enqueue_bump(
            receipt_id=receipt_id,
            to_status=request.POST.get("to", ""),
            key=key,
            actor=actor[0],
            actor_kind=actor[1],
            now=now,
        )
    except MalformedRequest as exc:
        return _said(
            400, gettext("This tap could not be read; nothing was changed."), X_Bump_Error=str(exc)
        )
    except BumpingOff:
        return _said(403, gettext("Bumping is off: this Pass writes nothing to Clopos."))
    except UnknownTarget:
        return _said(
            404, gettext("Pass does not know this ticket's receipt yet; nothing was changed.")
        )
    except TransitionRefused as exc:
        return _said(
            409,
            gettext("This ticket has moved on meanwhile; nothing was changed."),
            X_Bump_From=exc.from_status,
            X_Bump_Error=str(exc),
        )
    except OperationalError:  # SQLite busy past its timeout, or the database away
        logger.warning("outbox_tap_database_busy receipt=%s", receipt_id, exc_info=True)
        return _said(
            503,
            gettext("The database is busy; this screen sends the tap again."),
            Retry_After="1",
        )
    options = wall_options(request.GET)
    shown = _card_on_screen(options, entry.receipt_id) if entry.receipt_id else None
    html = ""
    if shown is not None:
        html = render_to_string(
            "orders_app/wall.html#wall-card",
            {"card": shown[0], "column": shown[1], "bump_screen": True, "options": options},
            request=request,
        )
    response = HttpResponse(html)
    response["X-Bump-Entry"] = str(entry.id)
    response["X-Bump-From"] = entry.from_status
    response["X-Bump-To"] = entry.to_status
    response["X-Bump-State"] = str(entry.state)  # a TextChoices member on a new entry
    if not created:
        response["X-Bump-Repeat"] = "1"
    return stamped(response, sync_poll_state())


@require_GET
def wall_recall(request: HttpRequest) -> HttpResponse:
    """The Recall drawer: this screen's last ten bumps, each latest one with its way back."""
    refusal, actor = _refusal(request)
    if refusal is not None:
        return refusal
    rows = recall_rows(actor[0], actor_kind=actor[1], now=timezone.now())
    return no_store(render(request, "orders_app/wall_recall.html", {"rows": rows}))
