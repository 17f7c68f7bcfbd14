"""Kitchen progress on a receipt: which ``order_status`` it shows when, and when it closes.

Receipt ``order_status`` values are [D]: NEW, SCHEDULED, IN_PROGRESS, READY, PICKED_UP,
COMPLETED, CANCELLED. Whether the POS itself writes them is not documented (docs/clopos.md §9
unknown 4, [I]). The simulated POS does by default (``pos_writes_order_status=True``); with it
off, ``order_status`` stays NEW (or whatever an integrator PATCHed) and only the close happens.

The plan for one receipt, drawn from a seeded source (every duration is a guess, [I]):

- NEW when the receipt opens;
- IN_PROGRESS 1–2 minutes later (the kitchen takes the ticket);
- READY after the slowest item's cooking time (``catalog.cooking_minutes``: 3 minutes for
  items without one), plus up to 90 s;
- PICKED_UP (delivery, takeaway) or COMPLETED (in the venue) 2–8 minutes after READY;
- the close (status 2, payment) ``linger`` after that: 2–10 minutes for an API order, 15–45 for
  a table whose guests are still eating.

An API order fixes the ends: its DELIVERED moment is the close (steps that would come later are
squeezed into the time before it, so the final status comes a minute ahead of the close), and
an order IGNOREd after acceptance is CANCELLED and closed at that moment. Dine-in tables have
no order; ``cancel_rate`` of them (3 in 100) are CANCELLED 2–10 minutes after opening.

A step is ``(epoch, order_status, pos)``: ``pos`` says the POS wrote it (and so it is dropped
while ``pos_writes_order_status`` is off); steps set through PATCH or a control have
``pos=False`` and always count.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from orders_app.clopos.simulator.restaurant import SALE_TYPE_IN

ORDER_STATUSES = (
    "NEW",
    "SCHEDULED",
    "IN_PROGRESS",
    "READY",
    "PICKED_UP",
    "COMPLETED",
    "CANCELLED",
)
ORDER_LINGER = (120, 600)  # seconds between PICKED_UP/COMPLETED and the close, API orders
TABLE_LINGER = (15 * 60, 45 * 60)  # the same for a table: the guests eat first
TABLE_CANCEL_RATE = 0.03

Step = tuple[int, str, bool]


@dataclass
class Plan:
    steps: list[Step]
    close_at: int | None  # None: open until a control closes it
    cancelled: bool = False


def final_status(sale_type_id: object) -> str:
    """COMPLETED for a guest served in the venue, PICKED_UP for delivery and takeaway."""
    return "COMPLETED" if sale_type_id == SALE_TYPE_IN else "PICKED_UP"


def plan(
    rng: random.Random,
    *,
    opened: int,
    cook_minutes: int,
    final: str,
    linger: tuple[int, int],
    end: tuple[int, str] | None = None,
    cancel_rate: float = 0.0,
) -> Plan:
    """The receipt's steps and close. ``end`` is the order's DELIVERED or IGNORE step."""
    taken = opened + rng.randint(60, 120)
    ready = taken + cook_minutes * 60 + rng.randint(0, 90)
    done = ready + rng.randint(120, 480)
    close = done + rng.randint(*linger)
    cancel_roll, cancel_at = rng.random(), opened + rng.randint(120, 600)
    steps: list[Step] = [
        (opened, "NEW", True),
        (taken, "IN_PROGRESS", True),
        (ready, "READY", True),
        (done, final, True),
    ]
    if end is None:
        if cancel_roll < cancel_rate:
            return cancel(steps, cancel_at)
        return Plan(steps, close)
    at = max(end[0], opened)
    if end[1] == "IGNORE":
        return cancel(steps, at)
    return Plan(squeeze(steps, opened, at - 60), at)


def cancel(steps: list[Step], at: int) -> Plan:
    """Cut the plan at ``at`` and end it CANCELLED and closed there."""
    kept = [s for s in steps if s[0] < at] or steps[:1]
    return Plan([*kept, (at, "CANCELLED", True)], at, cancelled=True)


def squeeze(steps: list[Step], opened: int, deadline: int) -> list[Step]:
    """Scale the steps after ``opened`` so the last one lands by ``deadline``."""
    last = steps[-1][0]
    if last <= deadline:
        return steps
    factor = max(0, deadline - opened) / (last - opened)
    return [(opened + int((t - opened) * factor), s, pos) for t, s, pos in steps]


def override(steps: list[Step], at: int, status: str) -> list[Step]:
    """An explicit ``order_status`` at ``at``: later automatic steps are dropped."""
    if status not in ORDER_STATUSES:
        raise ValueError(f"order_status must be one of {', '.join(ORDER_STATUSES)}")
    return [*(s for s in steps if s[0] <= at), (at, status, False)]


def status_at(
    steps: list[Step], now: float, writes: Callable[[float], bool]
) -> tuple[str, int, float]:
    """``(order_status, time of that step, time of the next step or inf)`` at ``now``; POS
    steps count only where ``writes(step time)``."""
    status, at, ahead = "NEW", steps[0][0] if steps else 0, math.inf
    for t, s, pos in steps:
        if pos and not writes(t):
            continue
        if t <= now:
            status, at = s, t
        else:
            ahead = t
            break
    return status, at, ahead


def writes_over_time(toggles: list[tuple[float, bool]]) -> Callable[[float], bool]:
    """Whether the POS writes ``order_status`` at a moment, from ``[(since, on), ...]`` sorted
    by time (the first entry from -inf)."""
    if len(toggles) == 1:
        always = toggles[0][1]
        return lambda _t: always

    def writes(t: float) -> bool:
        value = toggles[0][1]
        for at, on in toggles:
            if at > t:
                break
            value = on
        return value

    return writes
