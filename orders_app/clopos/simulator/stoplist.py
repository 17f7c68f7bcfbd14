"""The brand's stop list as GET /products/stop-list serves it (docs/clopos.md §6):
``[{"id": <product id>, "limit": <int>, "timestamp": <epoch ms>}]``.

[D]: ``limit`` 0 means out of stock; a product that is not listed is unrestricted; an empty
list is normal. [I]: ``timestamp`` is when the entry last changed (put on the list, or counted
down).

The list changes through the simulated day, drawn per local day (Asia/Baku) from the seed:

- 0–2 products run out (limit 0) for 30–150 minutes, each starting between 11:00 and 21:00;
- on most days (4 in 5) one popular item gets a small limit (3–8) at some time between 11:00
  and 19:00, for 3–6 hours; it counts down as receipts take it (every receipt opened since then
  that holds it, by its count) and stays at 0 once there.

Outside those windows the list is empty. Controls put a product on the list (with a limit,
counting down or fixed) or take it off from a moment on, which overrides the day's own entries
for that product. [I]: the generated orders and tables do not look at the stop list, so a
stopped product can still be ordered.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from orders_app.clopos.simulator.restaurant import MENU, POPULAR

Taken = Callable[[int, float, float], list[tuple[int, float]]]


@dataclass(frozen=True)
class Entry:
    """A product's place on the stop list from ``start`` until ``end``."""

    product_id: int
    start: float
    end: float
    limit: int
    count_down: bool


class StopList:
    """The stop list at any moment. ``taken(product_id, since, now)`` lists ``(epoch, count)``
    of the receipts that took a product (``ReceiptStore.taken``)."""

    def __init__(self, *, seed: int, tz: tzinfo, taken: Taken, auto: bool = True):
        self.seed = seed
        self.tz = tz
        self.taken = taken
        self.auto = auto
        self._days: dict[date, list[Entry]] = {}
        self._manual: dict[int, list[tuple[float, Entry | None]]] = {}

    def day(self, day: date) -> list[Entry]:
        """The day's own entries (drawn once per day, the same for a seed)."""
        cached = self._days.get(day)
        if cached is None:
            rng = random.Random(f"{self.seed}:stoplist:{day.isoformat()}")
            midnight = datetime.combine(day, time(), self.tz).timestamp()
            cached = []
            for _ in range(rng.choice((0, 1, 1, 2))):
                product = rng.choice(MENU).id
                start = midnight + 11 * 3600 + rng.randrange(10 * 3600)
                cached.append(Entry(product, start, start + rng.randint(30, 150) * 60, 0, False))
            if rng.random() < 0.8:
                product = rng.choice(POPULAR)
                start = midnight + 11 * 3600 + rng.randrange(8 * 3600)
                end = start + rng.randint(3, 6) * 3600
                cached.append(Entry(product, start, end, rng.randint(3, 8), True))
            self._days[day] = cached
        return cached

    def put(self, product_id: int, limit: int | None, now: float, count_down: bool = False) -> None:
        """From ``now`` on, ``product_id`` is on the list with ``limit`` (None: off the list)."""
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise ValueError("limit must be an integer >= 0, or None to take it off the list")
        entry = None if limit is None else Entry(product_id, now, math.inf, limit, count_down)
        changes = self._manual.setdefault(product_id, [])
        changes.append((now, entry))
        changes.sort(key=lambda change: change[0])

    def entries(self, now: float, ids: frozenset[int] | None = None) -> list[dict[str, Any]]:
        """The list at ``now``, by product id; ``ids`` narrows it to those products."""
        active: dict[int, Entry] = {}
        if self.auto:
            today = datetime.fromtimestamp(now, self.tz).date()
            for day in (today - timedelta(days=1), today):
                for entry in self.day(day):
                    if entry.start <= now < entry.end:
                        active[entry.product_id] = entry
        for product_id, changes in self._manual.items():
            past = [entry for at, entry in changes if at <= now]
            if past:
                if past[-1] is None:
                    active.pop(product_id, None)
                else:
                    active[product_id] = past[-1]
        rows = [self._row(e, now) for pid, e in sorted(active.items()) if ids is None or pid in ids]
        return rows

    def _row(self, entry: Entry, now: float) -> dict[str, Any]:
        limit, changed = float(entry.limit), entry.start
        if entry.count_down:
            for at, count in self.taken(entry.product_id, entry.start, now):
                if limit <= 0:
                    break
                limit, changed = max(0.0, limit - count), at
        return {"id": entry.product_id, "limit": int(limit), "timestamp": int(changed * 1000)}
