"""The outbox: bumps (and ignores) written to Pass's database first, delivered to Clopos after.

Why an outbox. A tap must never wait on Clopos, nor be lost or applied twice when Clopos is
down, slow or answers twice. So ``enqueue_bump`` (and ``enqueue_ignore``) only records the
wish, in one transaction, keyed on the client's idempotency key; the request answers once that
has committed. ``deliver``, called by the process holding the sync lease (at the start of every
pass, and often in ``--loop``), then writes each entry to Clopos:

- **In order per receipt.** A receipt's (or an ignored order's) entries go one after another,
  oldest first; a later tap never overtakes an earlier one that is still pending.
- **Read, write, read.** Delivery first re-reads the receipt: Clopos already shows ``to`` →
  confirmed with no write (so a crash between the write and our commit costs nothing twice);
  it shows something other than ``from``, or the receipt is closed in the POS → superseded,
  "changed in POS" (Clopos wins, never retried); else ``PATCH``, then re-read to confirm.
- **Faults.** Whatever may pass (5xx, timeouts, 429, an expired or refused token, a body we
  cannot read) leaves the entry pending with a capped exponential backoff (the client's
  ``backoff_base`` and ``backoff_cap``; at least a 429's reset) and ends this delivery: Clopos
  is not answering, the next pass tries again. A 4xx that cannot succeed (404, 400, a 200 with
  ``success: false``) ends the entry as failed, with Clopos's words as its reason.
- **Never twice.** An entry is claimed by a conditional UPDATE on its ``attempts`` before any
  request (``entry_claim``): of two deliverers only one wins; the claim also holds the entry
  for ``CLAIM_SECONDS``, after which a crashed deliverer's entry is due again (and its re-read
  finds the write done). Each state change is its own small transaction; an end moves the
  data version (``sync/version.py``) so every screen re-renders, and a confirmed bump updates
  the cached receipt's ``order_status``, its timeline and its orders' kitchen stage at once.

``from_status`` is what Pass believes the receipt shows when the tap is made: the ``to`` of its
last pending entry, else the cached ``Receipt.order_status`` (a confirmed entry has already
written its ``to`` there, and a later change in the POS reaches the cache through the sync, so
the cache is newer than any ended entry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from orders_app.clopos.errors import (
    CloposError,
    CloposNotFound,
    CloposRateLimited,
    CloposRequestRejected,
    CloposUnavailable,
)
from orders_app.clopos.payloads.readers import to_int, to_text
from orders_app.clopos.payloads.receipt import parse_local_timestamp
from orders_app.models import Order, OrderEvent, OutboxEntry, Receipt, ReceiptEvent
from orders_app.models.outbox import KEY_MAX
from orders_app.services.insight_rollups import local_day, mark_dirty, mark_dirty_for_receipts
from orders_app.services.sync.stages import stages_apply
from orders_app.services.sync.version import data_version_bump
from orders_app.vocabulary import RECEIPT_CLOSED, RECEIPT_ORDER_STATUSES

logger = logging.getLogger("orders_app.outbox")

State, Kind, ActorKind = OutboxEntry.State, OutboxEntry.Kind, OutboxEntry.ActorKind
IGNORE, PENDING_ORDER = "IGNORE", "PENDING"
# An entry being delivered is not due for anyone else this long; a crashed deliverer's entry is
# due again after it, and its re-read finds any write it made. A delivery slower than this (a
# Clopos timing out through all the client's retries) can at worst meet a second deliverer,
# which only the sync lease lets run: both would send the same value, and only one can end it.
CLAIM_SECONDS = 60
DELIVER_LIMIT = 50  # entries one deliver() call attempts at most
SCAN_LIMIT = 2000  # pending entries one deliver() call reads
CHANGED_IN_POS = "changed in POS"
# When the client gives none (a fake): the defaults of clopos/config.py.
BACKOFF_BASE, BACKOFF_CAP = 0.5, 30.0


class OutboxClient(Protocol):
    """What delivery needs of the Clopos client (clopos/client.py and kitchen.py)."""

    def get_receipt(self, receipt_id: int, *, with_: Any = ...) -> dict: ...
    def set_receipt_order_status(self, receipt_id: int, order_status: str) -> dict: ...
    def get_order(self, order_id: int, *, with_receipt: bool = ...) -> dict: ...
    def ignore_order(self, order_id: int) -> dict: ...


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


# --- Delivery ---------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    """What one ``deliver`` call did, for the pass's summary line."""

    delivered: int = 0  # confirmed (written now, or found already done)
    superseded: int = 0  # Clopos showed something else: the POS won
    failed: int = 0  # a 4xx that cannot succeed
    retrying: int = 0  # a fault that may pass: still pending, tried again later

    @property
    def attempted(self) -> int:
        return self.delivered + self.superseded + self.failed + self.retrying

    def summary(self) -> str:
        return (
            f"outbox delivered={self.delivered} superseded={self.superseded} "
            f"failed={self.failed} retrying={self.retrying}"
        )


@dataclass(frozen=True)
class Shown:
    """What Clopos showed for the entry's target: an order_status (or an order's status)."""

    status: str
    closed: bool = False
    updated_at: datetime | None = None


def deliver(
    client: OutboxClient, *, now: datetime | None = None, limit: int = DELIVER_LIMIT
) -> DeliveryResult:
    """Deliver the pending entries that are due, oldest first and in order per receipt (and
    per ignored order), at most ``limit`` of them; stops at the first fault that may pass.

    ``now`` fixes the time of every step (tests); without it each entry reads the clock when
    its turn comes, so a long call (a slow Clopos) never claims with a time already past."""

    def clock() -> datetime:
        return now if now is not None else timezone.now()

    result = DeliveryResult()
    for queue in _due_queues(clock()):
        for entry in queue:
            if result.attempted >= limit:
                return result
            outcome = _deliver_one(client, entry, now=clock())
            if outcome is None:  # another deliverer holds it: leave this receipt to them
                break
            setattr(result, outcome, getattr(result, outcome) + 1)
            if outcome == "retrying":
                return result
    return result


def _due_queues(now: datetime) -> list[list[OutboxEntry]]:
    """The pending entries by target (a receipt, or an ignored order), each queue oldest
    first, for the targets whose first pending entry is due; queues in the order of their
    first entry. Uses outbox_pending_idx."""
    queues: dict[tuple[str, int | None], list[OutboxEntry]] = {}
    for entry in OutboxEntry.objects.filter(state=State.PENDING).order_by("id")[:SCAN_LIMIT]:
        queues.setdefault(_target(entry), []).append(entry)
    return [queue for queue in queues.values() if queue[0].next_attempt_at <= now]


def _target(entry: OutboxEntry) -> tuple[str, int | None]:
    if entry.kind == Kind.ORDER_IGNORE:
        return ("order", entry.order_remote_id)
    return ("receipt", entry.receipt_id)


def entry_claim(entry: OutboxEntry, *, now: datetime) -> bool:
    """Take ``entry`` for delivery: one conditional UPDATE that succeeds only if nobody has
    claimed or ended it since it was read (its ``attempts`` unchanged, still pending and due).
    On success ``entry`` carries its new attempts and claim."""
    held_until = now + timedelta(seconds=CLAIM_SECONDS)
    won = OutboxEntry.objects.filter(
        id=entry.id, state=State.PENDING, attempts=entry.attempts, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=held_until)
    if won != 1:
        return False
    entry.attempts += 1
    entry.next_attempt_at = held_until
    return True


def _deliver_one(client: OutboxClient, entry: OutboxEntry, *, now: datetime) -> str | None:
    """Claim, read, maybe write, read again, and end or reschedule the entry: the
    DeliveryResult field to count, or None when another deliverer has it."""
    if not entry_claim(entry, now=now):
        return None
    receipt = entry.kind == Kind.RECEIPT_STATUS
    try:
        shown = _read(client, entry)
        if not _settled(entry, shown):
            if receipt:
                client.set_receipt_order_status(entry.receipt_id, entry.to_status)
            else:
                client.ignore_order(entry.order_remote_id)
            shown = _read(client, entry)
            if shown.status == (entry.from_status or "") and not shown.closed:
                raise CloposUnavailable(
                    f"Clopos accepted the write but still shows {shown.status or 'no status'}"
                )
    except CloposError as exc:
        if isinstance(exc, CloposNotFound | CloposRequestRejected) and not exc.retryable:
            _end(entry, State.FAILED, now=now, reason=exc.message, error=str(exc))
            return "failed"
        _reschedule(client, entry, exc, now=now)
        return "retrying"
    if shown.status == entry.to_status:
        _end(entry, State.CONFIRMED, now=now, shown=shown)
        return "delivered"
    if shown.closed and receipt:
        reason = f"{CHANGED_IN_POS}: the receipt was closed at {shown.status or 'no status'}"
    else:
        expected = entry.from_status or "no status"
        reason = f"{CHANGED_IN_POS}: Clopos showed {shown.status or 'no status'}, not {expected}"
    _end(entry, State.SUPERSEDED, now=now, shown=shown, reason=reason)
    return "superseded"


def _read(client: OutboxClient, entry: OutboxEntry) -> Shown:
    """What Clopos shows now for the entry's receipt (or order)."""
    if entry.kind == Kind.ORDER_IGNORE:
        order = client.get_order(entry.order_remote_id)
        return Shown(to_text(order.get("status"), 32).upper())
    raw = client.get_receipt(entry.receipt_id, with_=())
    return Shown(
        to_text(raw.get("order_status"), 32).upper(),
        closed=to_int(raw.get("status")) == RECEIPT_CLOSED,
        updated_at=parse_local_timestamp(raw.get("updated_at"), ZoneInfo(settings.TIME_ZONE)),
    )


def _settled(entry: OutboxEntry, shown: Shown) -> bool:
    """No write wanted: Clopos already shows ``to``, or not the ``from`` the tap was made on
    (someone changed it in the POS), or the receipt is closed."""
    if shown.status == entry.to_status:
        return True
    return shown.status != (entry.from_status or "") or shown.closed


def backoff_seconds(
    attempts: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP
) -> float:
    """How long after its ``attempts``-th failed attempt an entry is tried again: doubling
    from ``base``, at most ``cap``."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def _reschedule(
    client: OutboxClient, entry: OutboxEntry, exc: CloposError, *, now: datetime
) -> None:
    wait = backoff_seconds(
        entry.attempts,
        base=getattr(client, "backoff_base", BACKOFF_BASE),
        cap=getattr(client, "backoff_cap", BACKOFF_CAP),
    )
    if isinstance(exc, CloposRateLimited):
        wait = max(wait, exc.reset_seconds)
    OutboxEntry.objects.filter(id=entry.id, state=State.PENDING, attempts=entry.attempts).update(
        next_attempt_at=now + timedelta(seconds=wait), last_error=str(exc)[:2000]
    )
    logger.warning(
        'outbox_retry id=%s attempt=%s wait_s=%.1f error=%s reason="%s"',
        entry.id,
        entry.attempts,
        wait,
        type(exc).__name__,
        exc.message.replace('"', "'"),
    )


def _end(
    entry: OutboxEntry,
    state: str,
    *,
    now: datetime,
    shown: Shown | None = None,
    reason: str = "",
    error: str = "",
) -> None:
    """End the entry (one transaction, only if it is still ours), move the data version, and
    for a confirmed write bring the cache level with Clopos."""
    changes: dict[str, Any] = {"state": state, "ended_at": now, "reason": reason[:2000]}
    if shown is not None:
        changes["clopos_status"] = shown.status
    if error:
        changes["last_error"] = error[:2000]
    if state == State.CONFIRMED:
        changes["confirmed_at"] = now
    with transaction.atomic():
        ours = OutboxEntry.objects.filter(
            id=entry.id, state=State.PENDING, attempts=entry.attempts
        ).update(**changes)
        if ours != 1:
            return
        if state == State.CONFIRMED and shown is not None:
            if entry.kind == Kind.RECEIPT_STATUS:
                _cache_receipt_status(entry, shown, now=now)
            else:
                _cache_order_ignored(entry, now=now)
        data_version_bump()
    for name, value in changes.items():
        setattr(entry, name, value)
    logger.info(
        'outbox_%s id=%s kind=%s receipt=%s order=%s to=%s clopos=%s reason="%s"',
        state,
        entry.id,
        entry.kind,
        entry.receipt_id or "-",
        entry.order_remote_id or "-",
        entry.to_status,
        shown.status if shown else "-",
        reason.replace('"', "'"),
    )


def _cache_receipt_status(entry: OutboxEntry, shown: Shown, *, now: datetime) -> None:
    """The confirmed order_status in the cached receipt, on its timeline (the sync will find
    the cache already level and record nothing twice) and in its orders' kitchen stage."""
    receipt_id = entry.receipt_id
    cached = Receipt.objects.filter(id=receipt_id).values_list("order_status", flat=True).first()
    if cached is None or cached == entry.to_status:
        return
    Receipt.objects.filter(id=receipt_id).update(order_status=entry.to_status)
    ReceiptEvent.objects.create(
        receipt_id=receipt_id,
        kind=ReceiptEvent.Kind.ORDER_STATUS,
        from_value=cached,
        to_value=entry.to_status,
        observed_at=now,
        remote_at=shown.updated_at,
    )
    mark_dirty_for_receipts([receipt_id])
    orders = list(Order.objects.filter(receipt_id=receipt_id).values_list("id", flat=True))
    stages_apply(order_ids=orders, now=now)


def _cache_order_ignored(entry: OutboxEntry, *, now: datetime) -> None:
    """The ignored order as IGNORE in the cache, on its timeline and in its kitchen stage."""
    order = (
        Order.objects.filter(id=entry.order_remote_id).only("id", "status", "created_at").first()
    )
    if order is None or order.status == IGNORE:
        return
    Order.objects.filter(id=order.id).update(status=IGNORE)
    OrderEvent.objects.create(
        order_id=order.id,
        kind=OrderEvent.Kind.STATUS,
        from_status=order.status,
        to_status=IGNORE,
        observed_at=now,
    )
    mark_dirty([local_day(order.created_at)])
    stages_apply(order_ids=[order.id], now=now)


# --- Reads: health, the Recall drawer, the timeline ------------------------------------------


def outbox_health(now: datetime | None = None) -> dict[str, int | float | None]:
    """``{"pending": N, "oldest_age_seconds": S}`` (None when nothing waits), for /healthz
    and the wall's "changes waiting to reach Clopos" banner; one query."""
    now = now or timezone.now()
    row = OutboxEntry.objects.filter(state=State.PENDING).aggregate(
        pending=Count("id"), oldest=Min("tapped_at")
    )
    oldest = row["oldest"]
    age = None if oldest is None else max(0.0, round((now - oldest).total_seconds(), 1))
    return {"pending": row["pending"], "oldest_age_seconds": age}


def recent_bumps(
    actor: str, *, actor_kind: str = ActorKind.SCREEN, limit: int = 10
) -> list[OutboxEntry]:
    """The last ``limit`` bumps of one screen (a kiosk key's name) or manager, newest first:
    the Recall drawer's rows. Uses outbox_actor_idx."""
    return list(
        OutboxEntry.objects.filter(
            actor_kind=actor_kind, actor=actor, kind=Kind.RECEIPT_STATUS
        ).order_by("-id")[:limit]
    )


def entries_for_receipt(receipt_id: int) -> list[OutboxEntry]:
    """Every write asked of one receipt, oldest first: who, from and to, when tapped, how it
    ended and when. Uses outbox_receipt_idx."""
    return list(OutboxEntry.objects.filter(receipt_id=receipt_id).order_by("id"))


def entries_for_order(order: Order) -> list[OutboxEntry]:
    """Every write asked of one order: its ignore and its receipt's bumps, oldest first (the
    order detail's timeline)."""
    match = Q(order_remote_id=order.id)
    if order.receipt_id is not None:
        match |= Q(receipt_id=order.receipt_id)
    return list(OutboxEntry.objects.filter(match).order_by("id"))
