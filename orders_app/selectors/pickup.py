"""What the customer pickup screen shows: order numbers in two columns, Preparing and Ready.

Preparing holds the orders the kitchen has accepted and not finished (the wall's Preparing
column: accepted, scheduled, preparing; not ``new``, which nobody has accepted yet), oldest
first. Ready holds the ``ready`` ones, the most recently ready first: the number a chime just
announced is the first one a customer reads, and when the column overflows it is the numbers
ready longest (most likely collected already) that go into "+N more". Both only for orders
younger than WALL_MAX_OPEN_HOURS, as on the wall. Only orders: a table's receipt opened at the
POS has no order and is never on this screen.

A number is what the customer was told: the receipt's daily number when Clopos gave one, else
the last digits of the Clopos order id (more digits where two numbers on the screen would read
alike). Nothing else about an order leaves this module: no names, phones, items or amounts.

Two queries whatever the number of orders (the orders with their receipts' daily numbers, the
sync state row), three with a venue (its name). What depends on the passing of time (which
Ready numbers are highlighted as just ready) is computed in the browser from ISO timestamps,
so an unchanged poll token is enough for a 204.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from orders_app.models import Order, Receipt
from orders_app.selectors.sync import SyncHealth, sync_health
from orders_app.selectors.wall import venue_name, wall_scope
from orders_app.vocabulary import WALL_STAGE_COLUMNS, stage_label

# Numbers rendered per column at most; the rest are counted into "+N more". The browser hides
# further numbers that do not fit the screen and adds them to the same marker.
MAX_NUMBERS = 60
# Digits of the order id shown when the order has no daily number (at least; more on a clash).
ID_DIGITS = 4
PICKUP_COLUMNS = ("preparing", "ready")


@dataclass(frozen=True)
class PickupTicket:
    order_id: int  # for the screen's script (chime, highlight), never shown
    number: str
    since: datetime  # Preparing: when the order came in; Ready: when it became ready


@dataclass(frozen=True)
class PickupColumn:
    stage: str  # "preparing" or "ready"
    label: str
    tickets: tuple[PickupTicket, ...]
    total: int

    @property
    def omitted(self) -> int:
        return self.total - len(self.tickets)


@dataclass(frozen=True)
class PickupBoard:
    preparing: PickupColumn
    ready: PickupColumn
    # Every Ready order, shown or not: the browser chimes for ids it has not seen in Ready, so
    # a number beyond the cap still chimes.
    ready_ids: tuple[int, ...]
    health: SyncHealth
    now: datetime
    venue_name: str

    @property
    def columns(self) -> tuple[PickupColumn, PickupColumn]:
        return (self.preparing, self.ready)


def _folded(number: str) -> str:
    """How a number reads aloud: "0017" and "17" are the same number to a customer."""
    return number.lstrip("0") or "0"


def pickup_numbers(orders: list[tuple[int, str]], *, digits: int = ID_DIGITS) -> dict[int, str]:
    """Order id -> the number shown, for (order id, daily number or "") pairs on one screen.

    The daily number as Clopos gave it; else the id's last ``digits`` digits, extended one
    digit at a time while it would read like another number on the screen (daily numbers and
    other ids' endings alike), up to the whole id.
    """
    numbers = {order_id: daily.strip() for order_id, daily in orders if daily and daily.strip()}
    daily_read = Counter(_folded(n) for n in numbers.values())
    pending = [order_id for order_id, _ in orders if order_id not in numbers]
    while pending:
        endings = {order_id: str(order_id)[-digits:] for order_id in pending}
        clashes = Counter(_folded(e) for e in endings.values())
        unresolved = []
        for order_id, ending in endings.items():
            clear = clashes[_folded(ending)] == 1 and not daily_read[_folded(ending)]
            if clear or len(ending) == len(str(order_id)):
                numbers[order_id] = ending
            else:
                unresolved.append(order_id)
        pending = unresolved
        digits += 1
    return numbers


def _column(stage: str, tickets: list[PickupTicket]) -> PickupColumn:
    return PickupColumn(
        stage=stage,
        label=stage_label(stage),
        tickets=tuple(tickets[:MAX_NUMBERS]),
        total=len(tickets),
    )


def pickup_board(
    *,
    venue: int | None = None,
    channels: tuple[str, ...] = (),
    now: datetime | None = None,
) -> PickupBoard:
    """The pickup screen for one venue (or all) and some channels (order types or
    integrations; all when none)."""
    now = now or timezone.now()
    health = sync_health(now=now)
    preparing_stages = WALL_STAGE_COLUMNS["preparing"]
    ready_stages = WALL_STAGE_COLUMNS["ready"]
    daily_number = Receipt.objects.filter(id=OuterRef("receipt_id")).values("daily_number")[:1]
    rows = list(
        wall_scope(
            Order.objects.filter(
                stage__in=(*preparing_stages, *ready_stages),
                created_at__gte=now - timedelta(hours=settings.WALL_MAX_OPEN_HOURS),
            ),
            venue=venue,
            channels=channels,
        )
        .annotate(daily_number=Subquery(daily_number))
        .order_by("created_at", "id")
        .values_list("id", "stage", "created_at", "stage_at", "updated_at", "daily_number")
    )
    numbers = pickup_numbers([(row[0], row[5] or "") for row in rows])
    preparing: list[PickupTicket] = []
    ready: list[PickupTicket] = []
    for order_id, stage, created_at, stage_at, updated_at, _ in rows:
        if stage in ready_stages:
            ready.append(PickupTicket(order_id, numbers[order_id], stage_at or updated_at))
        else:
            preparing.append(PickupTicket(order_id, numbers[order_id], created_at))
    ready.sort(key=lambda t: (t.since, t.order_id), reverse=True)
    return PickupBoard(
        preparing=_column("preparing", preparing),
        ready=_column("ready", ready),
        ready_ids=tuple(t.order_id for t in ready),
        health=health,
        now=now,
        venue_name=venue_name(venue),
    )
