"""Taps: the flow a bump walks and recording a tap (idempotent on the client's key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders_app.models import Order, OutboxEntry, Receipt
from orders_app.models.outbox import KEY_MAX
from orders_app.services.outbox.common import (
    IGNORE,
    PENDING_ORDER,
    ActorKind,
    Kind,
    State,
    logger,
)
from orders_app.services.sync.version import data_version_bump
from orders_app.vocabulary import RECEIPT_CLOSED, RECEIPT_ORDER_STATUSES

# --- Errors -----------------------------------------------------------------------------------


class OutboxError(ValueError):
    """A tap the outbox cannot take; ``str()`` says why, in plain English."""


class MalformedRequest(OutboxError):
    """No usable key, receipt or status (the view answers 400)."""


class BumpingOff(OutboxError):
    """WALL_BUMP (or BOARD_CAN_IGNORE) is off: Pass writes nothing to Clopos."""


class UnknownTarget(OutboxError):
    """No such receipt (or order) in the cache."""


class TransitionRefused(OutboxError):
    """Not one step along WALL_BUMP_FLOW, a closed receipt, an order no longer PENDING (409)."""

    def __init__(self, message: str, *, from_status: str, to_status: str) -> None:
        super().__init__(message)
        self.from_status = from_status
        self.to_status = to_status


# --- The flow ---------------------------------------------------------------------------------


def bump_flow() -> tuple[str, ...]:
    """WALL_BUMP_FLOW: the order_status steps a ticket moves through (checked at start by
    ``dashboard.settings.bump_flow_from``)."""
    return tuple(settings.WALL_BUMP_FLOW)


def allowed(from_status: str, to_status: str) -> bool:
    """One step forward along the flow (a bump) or one back (undo, recall). A receipt whose
    order_status Clopos left empty may enter the flow at its first step; nothing else is."""
    steps = bump_flow()
    if to_status not in steps:
        return False
    if from_status not in steps:
        return not from_status and to_status == steps[0]
    return abs(steps.index(to_status) - steps.index(from_status)) == 1


def step_after(status: str) -> str | None:
    """The status a bump moves ``status`` to, or None at the end of the flow (or outside it)."""
    steps = bump_flow()
    if not status:
        return steps[0]
    if status not in steps or status == steps[-1]:
        return None
    return steps[steps.index(status) + 1]


def step_before(status: str) -> str | None:
    """The status an undo or a recall puts ``status`` back to, or None."""
    steps = bump_flow()
    if status not in steps or status == steps[0]:
        return None
    return steps[steps.index(status) - 1]


# --- Taps -------------------------------------------------------------------------------------


def believed_status(receipt_id: int) -> str | None:
    """What Pass believes the receipt shows: its last pending entry's ``to``, else the cached
    order_status; None for a receipt not in the cache."""
    pending = (
        OutboxEntry.objects.filter(receipt_id=receipt_id, state=State.PENDING)
        .order_by("-id")
        .values_list("to_status", flat=True)
        .first()
    )
    if pending is not None:
        return pending
    return Receipt.objects.filter(id=receipt_id).values_list("order_status", flat=True).first()


def enqueue_bump(
    *,
    receipt_id: int,
    to_status: str,
    key: str,
    actor: str,
    actor_kind: str,
    now: datetime | None = None,
) -> tuple[OutboxEntry, bool]:
    """Record a tap that moves a receipt to ``to_status``: (the entry, True when it is new).

    The same ``key`` again returns the first entry and changes nothing, also when two requests
    race (the unique key decides). Raises MalformedRequest, BumpingOff, UnknownTarget (no such
    receipt cached) or TransitionRefused."""
    if not settings.WALL_BUMP:
        raise BumpingOff("Bumping is off (WALL_BUMP=0): Pass writes nothing to Clopos")
    key, actor_kind = _checked_key(key), _checked_actor_kind(actor_kind)
    to_status = (to_status or "").strip().upper()
    if to_status not in RECEIPT_ORDER_STATUSES:
        raise MalformedRequest(f"{to_status or 'An empty status'} is not a Clopos order_status")
    if not isinstance(receipt_id, int) or isinstance(receipt_id, bool):
        raise MalformedRequest("A bump needs a receipt id")
    now = now or timezone.now()

    def build() -> OutboxEntry:
        # Locks the receipt's row on PostgreSQL so two taps on it read from_status in turn
        # (SQLite's IMMEDIATE transactions already run one at a time).
        receipt = Receipt.objects.select_for_update().filter(id=receipt_id)
        row = receipt.values_list("status", "order_status").first()
        if row is None:
            raise UnknownTarget(f"Pass has no receipt {receipt_id}")
        from_status = believed_status(receipt_id) or ""
        if row[0] == RECEIPT_CLOSED:
            raise TransitionRefused(
                f"Receipt {receipt_id} is closed in the POS",
                from_status=from_status,
                to_status=to_status,
            )
        if not allowed(from_status, to_status):
            raise TransitionRefused(
                f"{from_status or 'No status'} → {to_status} is not one step along "
                f"WALL_BUMP_FLOW ({','.join(bump_flow())})",
                from_status=from_status,
                to_status=to_status,
            )
        order = Order.objects.filter(receipt_id=receipt_id).order_by("id").first()
        return OutboxEntry(
            kind=Kind.RECEIPT_STATUS,
            receipt_id=receipt_id,
            order=order,
            order_remote_id=order.id if order else None,
            from_status=from_status,
            to_status=to_status,
        )

    return _enqueue(build, key=key, actor=actor, actor_kind=actor_kind, now=now)


def enqueue_ignore(
    *,
    order_id: int,
    key: str,
    actor: str,
    actor_kind: str = ActorKind.MANAGER,
    now: datetime | None = None,
) -> tuple[OutboxEntry, bool]:
    """Record a manager's wish to ignore a PENDING order (Clopos order id): (entry, created).
    Idempotent on ``key`` as ``enqueue_bump``; refused unless BOARD_CAN_IGNORE is on, the
    order is cached as PENDING and no ignore of it is already pending."""
    if not settings.BOARD_CAN_IGNORE:
        raise BumpingOff("Ignoring orders is off (BOARD_CAN_IGNORE=0)")
    key, actor_kind = _checked_key(key), _checked_actor_kind(actor_kind)
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise MalformedRequest("An ignore needs an order id")
    now = now or timezone.now()

    def build() -> OutboxEntry:
        order = Order.objects.select_for_update().filter(id=order_id).first()
        if order is None:
            raise UnknownTarget(f"Pass has no order {order_id}")
        waiting = OutboxEntry.objects.filter(
            kind=Kind.ORDER_IGNORE, order_remote_id=order_id, state=State.PENDING
        ).exists()
        if order.status != PENDING_ORDER or waiting:
            shown = IGNORE if waiting else order.status
            raise TransitionRefused(
                f"Order {order_id} is {shown}: only a PENDING order can be ignored",
                from_status=shown,
                to_status=IGNORE,
            )
        return OutboxEntry(
            kind=Kind.ORDER_IGNORE,
            order=order,
            order_remote_id=order_id,
            receipt_id=order.receipt_id,
            from_status=PENDING_ORDER,
            to_status=IGNORE,
        )

    return _enqueue(build, key=key, actor=actor, actor_kind=actor_kind, now=now)


def _enqueue(
    build: Callable[[], OutboxEntry], *, key: str, actor: str, actor_kind: str, now: datetime
) -> tuple[OutboxEntry, bool]:
    """The entry ``build()`` makes, saved with the tap's who and when; or, when ``key`` is
    taken, the key's first entry. One path for a repeated key and for two requests racing
    with it: the insert or ``build``'s checks fail (the first tap already moved the receipt),
    then the key is looked up."""
    try:
        with transaction.atomic():
            entry = build()
            entry.key, entry.actor, entry.actor_kind = key, (actor or "")[:150], actor_kind
            entry.tapped_at = entry.next_attempt_at = now
            entry.save()
            # Screens show the tap at once ("sending"): every wall's next poll re-renders.
            data_version_bump()
    except (IntegrityError, OutboxError):
        first = OutboxEntry.objects.filter(key=key).first()
        if first is None:
            raise
        return first, False
    logger.info(
        "outbox_enqueued id=%s kind=%s receipt=%s order=%s from=%s to=%s actor=%s",
        entry.id,
        entry.kind,
        entry.receipt_id or "-",
        entry.order_remote_id or "-",
        entry.from_status or "-",
        entry.to_status,
        entry.actor,
    )
    return entry, True


def _checked_key(key: object) -> str:
    text = key.strip() if isinstance(key, str) else ""
    if not text or len(text) > KEY_MAX or not text.isprintable():
        raise MalformedRequest(f"The idempotency key must be 1 to {KEY_MAX} printable characters")
    return text


def _checked_actor_kind(actor_kind: str) -> str:
    if actor_kind not in ActorKind.values:
        raise MalformedRequest(f"actor_kind must be one of {', '.join(ActorKind.values)}")
    return actor_kind
