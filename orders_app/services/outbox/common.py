"""What the outbox's parts share: its logger, names and timings."""

from __future__ import annotations

import logging

from orders_app.models import OutboxEntry

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
