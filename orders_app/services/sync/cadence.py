"""When ``sync_orders --loop`` runs what: the budget spent where it matters.

New orders are what a kitchen waits for, so the orders pass runs every ``SYNC_INTERVAL``
(2 s: one request while nothing changed); the kitchen (receipts, their links to orders,
stations and products, the stop list on its own ``SYNC_STOPLIST_SECONDS``) every
``SYNC_RECEIPTS_SECONDS`` (10 s). At the defaults that is about 38 requests a minute, 13% of
the 300 Clopos allows a brand (measured: bench/bench_latency.py).

Clopos counts every integration of the brand against the same limit, so the loop also listens
to ``RateLimit-Remaining``: with less than half of the window left it waits twice as long
between passes, with less than a quarter four times as long and leaves the kitchen for later
(the orders come first). The client itself slows down further near zero
(``CloposClient._wait_for_slot``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

SLOW = 0.5  # RateLimit-Remaining / RateLimit-Limit below this: passes twice as far apart
SLOWER = 0.25  # below this: four times, and no kitchen pass


def slowdown(headroom: float | None) -> float:
    """How much further apart passes go for the server's remaining rate headroom (0..1)."""
    if headroom is None or headroom >= SLOW:
        return 1.0
    return 2.0 if headroom >= SLOWER else 4.0


@dataclass
class Cadence:
    interval: float  # seconds between orders passes
    kitchen_every: float  # seconds between kitchen passes
    clock: Callable[[], float] = time.monotonic
    kitchen_at: float | None = field(default=None)  # when the last kitchen pass ran

    def kitchen_due(self, headroom: float | None = None) -> bool:
        if self.kitchen_at is None:
            return True  # the first pass does everything
        if slowdown(headroom) >= 4.0:
            return False
        return self.clock() - self.kitchen_at >= self.kitchen_every * slowdown(headroom)

    def ran(self, *, kitchen: bool, started: float) -> None:
        if kitchen:
            self.kitchen_at = started

    def delay(self, *, started: float, headroom: float | None = None) -> float:
        """Seconds to sleep before the next pass (the pass's own time counts)."""
        return max(self.interval * slowdown(headroom) - (self.clock() - started), 0.0)
