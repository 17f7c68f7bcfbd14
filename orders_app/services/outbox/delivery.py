"""Delivery: the pending entries written to Clopos, in order per receipt, confirmed by reading."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
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
from orders_app.services.insight_rollups import local_day, mark_dirty, mark_dirty_for_receipts
from orders_app.services.outbox.common import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    CHANGED_IN_POS,
    CLAIM_SECONDS,
    DELIVER_LIMIT,
    IGNORE,
    SCAN_LIMIT,
    Kind,
    State,
    logger,
)
from orders_app.services.sync.stages import stages_apply
from orders_app.services.sync.version import data_version_bump
from orders_app.vocabulary import RECEIPT_CLOSED


class OutboxClient(Protocol):
    """What delivery needs of the Clopos client (clopos/client.py and kitchen.py)."""

    def get_receipt(self, receipt_id: int, *, with_: Any = ...) -> dict: ...
    def set_receipt_order_status(self, receipt_id: int, order_status: str) -> dict: ...
    def get_order(self, order_id: int, *, with_receipt: bool = ...) -> dict: ...
    def ignore_order(self, order_id: int) -> dict: ...


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
    kinds = kinds_on()
    if not kinds:  # the default: Pass writes nothing to Clopos, and reads no outbox
        return result
    queues = _due_queues(clock(), kinds)
    if not queues:
        return result
    # A kitchen's taps come first: the client lets them past the reads' budget (client.py).
    first = getattr(client, "writes_first", None)
    with first() if first is not None else nullcontext():
        for queue in queues:
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


def kinds_on() -> tuple[str, ...]:
    """The kinds of write the settings allow: bumps with WALL_BUMP, ignores with
    BOARD_CAN_IGNORE. An entry of a kind turned off since its tap waits, undelivered."""
    kinds = []
    if settings.WALL_BUMP:
        kinds.append(Kind.RECEIPT_STATUS)
    if settings.BOARD_CAN_IGNORE:
        kinds.append(Kind.ORDER_IGNORE)
    return tuple(kinds)


def outbox_due(now: datetime | None = None) -> bool:
    """Is an entry waiting whose attempt is due? One small query (outbox_pending_idx); the
    sync loop asks it between passes so a tap reaches Clopos within a second. False without
    a query when writes are off."""
    kinds = kinds_on()
    if not kinds:
        return False
    return OutboxEntry.objects.filter(
        state=State.PENDING, kind__in=kinds, next_attempt_at__lte=now or timezone.now()
    ).exists()


def _due_queues(now: datetime, kinds: tuple[str, ...]) -> list[list[OutboxEntry]]:
    """The pending entries of ``kinds`` by target (a receipt, or an ignored order), each
    queue oldest first, for the targets whose first pending entry is due; queues in the
    order of their first entry. Uses outbox_pending_idx."""
    queues: dict[tuple[str, int | None], list[OutboxEntry]] = {}
    pending = OutboxEntry.objects.filter(state=State.PENDING, kind__in=kinds).order_by("id")
    for entry in pending[:SCAN_LIMIT]:
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
