"""What a wall card shows of bumping (WALL_BUMP on): where the kitchen has moved it, whether
that is still on its way to Clopos, what the next tap does, and whether the POS overruled it.

A tap is in the outbox before Clopos knows of it (services/outbox). Until delivery confirms it,
the card stands where the tap put it, marked "sending", on every screen: the cached receipt
still shows Clopos's status, the pending entry what the kitchen did. When the POS had another
status (superseded) or Clopos refused the write (failed), the card is back where Clopos has it
and says so for NOTE_MINUTES.

Two queries for any number of cards: the receipts' states, the outbox entries that matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils.translation import gettext, pgettext

from orders_app.models import OutboxEntry, Receipt
from orders_app.services.outbox import recent_bumps, step_after, step_before
from orders_app.vocabulary import (
    RECEIPT_CLOSED,
    bump_action_label,
    order_stage,
    order_status_label,
)

# How long a card says "changed in POS" (or why a write failed) after the entry ended.
NOTE_MINUTES = 2
CHANGED_IN_POS, FAILED = "changed-pos", "failed"


@dataclass(frozen=True)
class CardBump:
    """One receipt's bump state as a card shows it."""

    status: str  # the order_status Pass believes: the last pending tap's, else Clopos's
    closed: bool  # closed in the POS: no more bumps
    sending: bool  # a tap not yet confirmed by Clopos
    note: str = ""  # CHANGED_IN_POS or FAILED, for NOTE_MINUTES after that entry ended
    reason: str = ""  # a failed entry's reason (Clopos's words)

    @property
    def to(self) -> str | None:
        """The order_status a tap moves it to; None at the end of WALL_BUMP_FLOW or closed."""
        return None if self.closed else step_after(self.status)

    @property
    def back(self) -> str | None:
        """The order_status an undo or a recall puts it back to."""
        return None if self.closed else step_before(self.status)

    @property
    def action(self) -> str:
        """The bump button's words: what the next tap does ("Start", "Ready", ...)."""
        return bump_action_label(self.to) if self.to else ""

    def stage(self, order_status: str) -> str:
        """The kitchen stage the card stands at, for an order in Clopos ``order_status`` (""
        for a table's receipt)."""
        return order_stage(
            status=order_status,
            receipt_status=RECEIPT_CLOSED if self.closed else 1,
            receipt_order_status=self.status,
        )


@dataclass(frozen=True)
class Waiting:
    """Taps not yet delivered to Clopos: the wall's "N changes waiting" banner (the browser
    shows it once the oldest has waited OUTBOX_BANNER_SECONDS)."""

    pending: int
    oldest_at: datetime | None


def outbox_waiting() -> Waiting:
    """One query (outbox_pending_idx)."""
    row = OutboxEntry.objects.filter(state=OutboxEntry.State.PENDING).aggregate(
        pending=Count("id"), oldest=Min("tapped_at")
    )
    return Waiting(pending=row["pending"], oldest_at=row["oldest"])


def card_bumps(receipt_ids: Iterable[int], *, now: datetime) -> dict[int, CardBump]:
    """Each cached receipt's CardBump, by receipt id (receipts not cached are left out)."""
    ids = sorted(set(receipt_ids))
    if not ids:
        return {}
    receipts = {
        rid: (status, order_status or "")
        for rid, status, order_status in Receipt.objects.filter(id__in=ids).values_list(
            "id", "status", "order_status"
        )
    }
    entries = (
        OutboxEntry.objects.filter(kind=OutboxEntry.Kind.RECEIPT_STATUS, receipt_id__in=ids)
        .filter(
            Q(state=OutboxEntry.State.PENDING)
            | Q(ended_at__gte=now - timedelta(minutes=NOTE_MINUTES))
        )
        .order_by("id")
        .values_list("receipt_id", "state", "to_status", "reason")
    )
    pending: dict[int, str] = {}
    notes: dict[int, tuple[str, str]] = {}
    for rid, state, to_status, reason in entries:
        if state == OutboxEntry.State.PENDING:
            pending[rid] = to_status
            notes.pop(rid, None)
        elif state == OutboxEntry.State.SUPERSEDED:
            notes[rid] = (CHANGED_IN_POS, "")
        elif state == OutboxEntry.State.FAILED:
            notes[rid] = (FAILED, reason)
        else:  # confirmed: a later success clears an earlier note
            notes.pop(rid, None)
    bumps = {}
    for rid, (status, order_status) in receipts.items():
        note, reason = notes.get(rid, ("", ""))
        bumps[rid] = CardBump(
            status=pending.get(rid, order_status),
            closed=status == RECEIPT_CLOSED,
            sending=rid in pending,
            note=note,
            reason=reason,
        )
    return bumps


@dataclass(frozen=True)
class RecallRow:
    """One of a screen's last bumps, in the Recall drawer."""

    entry: OutboxEntry
    label: str  # "#123" (the order) or "Receipt 4471"
    from_label: str
    to_label: str
    # The order_status a recall puts the receipt back to: only on the receipt's latest bump,
    # while Pass still believes it stands where that bump put it.
    recall_to: str | None
    recall_label: str


def recall_rows(actor: str, *, actor_kind: str, now: datetime, limit: int = 10) -> list[RecallRow]:
    """The last ``limit`` bumps of one screen (or manager), newest first; three queries."""
    entries = recent_bumps(actor, actor_kind=actor_kind, limit=limit)
    bumps = card_bumps([e.receipt_id for e in entries if e.receipt_id is not None], now=now)
    rows, seen = [], set()
    for entry in entries:
        bump = bumps.get(entry.receipt_id)
        recall_to = None
        if entry.receipt_id not in seen and bump is not None and bump.status == entry.to_status:
            recall_to = bump.back
        seen.add(entry.receipt_id)
        if entry.order_remote_id:
            label = f"#{entry.order_remote_id}"
        else:
            label = gettext("Receipt %(id)s") % {"id": entry.receipt_id}
        rows.append(
            RecallRow(
                entry=entry,
                label=label,
                from_label=order_status_label(entry.from_status),
                to_label=order_status_label(entry.to_status),
                recall_to=recall_to,
                recall_label=(
                    pgettext("recall: put the ticket back to a status", "Back to %(status)s")
                    % {"status": order_status_label(recall_to)}
                    if recall_to
                    else ""
                ),
            )
        )
    return rows
