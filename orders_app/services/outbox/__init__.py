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

The parts: ``taps.py`` (the flow, recording a tap), ``delivery.py`` (``deliver``, and
``outbox_due`` for the sync loop), ``reads.py`` (health, the Recall drawer, timelines),
``common.py`` (names and timings).
"""

from orders_app.services.outbox.common import CHANGED_IN_POS, CLAIM_SECONDS, DELIVER_LIMIT
from orders_app.services.outbox.delivery import (
    DeliveryResult,
    OutboxClient,
    backoff_seconds,
    deliver,
    entry_claim,
    kinds_on,
    outbox_due,
)
from orders_app.services.outbox.reads import (
    entries_for_order,
    entries_for_receipt,
    outbox_health,
    recent_bumps,
)
from orders_app.services.outbox.taps import (
    BumpingOff,
    MalformedRequest,
    OutboxError,
    TransitionRefused,
    UnknownTarget,
    allowed,
    believed_status,
    bump_flow,
    enqueue_bump,
    enqueue_ignore,
    step_after,
    step_before,
)

__all__ = [
    "CHANGED_IN_POS",
    "CLAIM_SECONDS",
    "DELIVER_LIMIT",
    "BumpingOff",
    "DeliveryResult",
    "MalformedRequest",
    "OutboxClient",
    "OutboxError",
    "TransitionRefused",
    "UnknownTarget",
    "allowed",
    "backoff_seconds",
    "believed_status",
    "bump_flow",
    "deliver",
    "enqueue_bump",
    "enqueue_ignore",
    "entries_for_order",
    "entries_for_receipt",
    "entry_claim",
    "kinds_on",
    "outbox_due",
    "outbox_health",
    "recent_bumps",
    "step_after",
    "step_before",
]
