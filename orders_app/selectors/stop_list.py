"""The 86 list as screens show it: which products Clopos's stop list holds, and which orders
contain one that is out.

``StopListEntry`` (kept by services/sync/kitchen.py every SYNC_STOPLIST_SECONDS) says a
product's ``limit``: 0 (or less) is out, "86"; more is how many are left. A product not listed
is unrestricted. Names come from ``Product`` (the reference data), else the item's own name,
else "Product 12".

One query for the list (the entries with their product names joined in), whatever its length;
flagging orders costs no query when you have their items (``out_names``), or one for a whole
page of orders (``orders_out_names``: only the items that are out are read).

Which orders are flagged: those the kitchen has not started (``FLAGGED_STAGES``). Once an
order is being prepared the kitchen already knows what it can make; a finished one is history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext

from orders_app.models import OrderItem, Product, StopListEntry
from orders_app.vocabulary import STOP_FLAG_STAGES

# The strip shows at most this many products; the rest are counted ("+3 more").
STRIP_MAX = 30
# Kitchen stages whose orders are flagged when an item is out: not yet being cooked
# (vocabulary.STOP_FLAG_STAGES, which the wall follows too). Preparing, ready and finished
# orders are not.
FLAGGED_STAGES = STOP_FLAG_STAGES


@dataclass(frozen=True)
class StopItem:
    product_id: int
    name: str
    limit: int

    @property
    def out(self) -> bool:
        """86'd: none left."""
        return self.limit <= 0


@dataclass(frozen=True)
class StopList:
    items: tuple[StopItem, ...]  # out first, then fewest left; by name within each

    @property
    def out(self) -> tuple[StopItem, ...]:
        return tuple(i for i in self.items if i.out)

    @property
    def low(self) -> tuple[StopItem, ...]:
        return tuple(i for i in self.items if not i.out)

    @property
    def by_product(self) -> dict[int, StopItem]:
        return {i.product_id: i for i in self.items}

    def shown(self, limit: int = STRIP_MAX) -> tuple[StopItem, ...]:
        return self.items[:limit]

    def omitted(self, limit: int = STRIP_MAX) -> int:
        return max(len(self.items) - limit, 0)

    @property
    def out_ids(self) -> frozenset[int]:
        return frozenset(i.product_id for i in self.items if i.out)

    def strip(self, limit: int = STRIP_MAX) -> StopStrip:
        """The list cut for a strip: ``limit`` items shown, the rest behind "+N more"."""
        return StopStrip(shown=self.items[:limit], rest=self.items[limit:])

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class StopStrip:
    shown: tuple[StopItem, ...]
    rest: tuple[StopItem, ...]

    @property
    def omitted(self) -> int:
        return len(self.rest)

    def __bool__(self) -> bool:
        return bool(self.shown)


def _product_name(product_id: int, name: str) -> str:
    return name.strip() or gettext("Product %(id)s") % {"id": product_id}


def stop_list() -> StopList:
    """The stop list now (one query)."""
    names = Product.objects.filter(id=OuterRef("product_id")).values("name")[:1]
    rows = StopListEntry.objects.annotate(product_name=Subquery(names)).values_list(
        "product_id", "limit", "product_name"
    )
    items = [
        StopItem(product_id=pid, name=_product_name(pid, name or ""), limit=limit)
        for pid, limit, name in rows
    ]
    items.sort(key=lambda i: (not i.out, max(i.limit, 0), i.name.casefold(), i.product_id))
    return StopList(items=tuple(items))


def out_names(items: Iterable[tuple[int | None, str]], stop: StopList | dict) -> tuple[str, ...]:
    """The names of an order's items that are 86'd, in the order's order, each once.

    ``items``: (product id, the item's own name) pairs; ``stop``: a StopList or its
    ``by_product`` mapping (pass the mapping when flagging many orders)."""
    by_product = stop.by_product if isinstance(stop, StopList) else stop
    if not by_product:
        return ()
    names: dict[str, None] = {}
    for product_id, name in items:
        entry = by_product.get(product_id) if product_id is not None else None
        if entry is not None and entry.out:
            names[name.strip() or entry.name] = None
    return tuple(names)


def is_flagged_stage(stage: str) -> bool:
    """Whether an order in this kitchen stage is flagged for its 86'd items."""
    return stage in FLAGGED_STAGES


def orders_out_names(orders: Iterable[Any], stop: StopList) -> dict[int, tuple[str, ...]]:
    """Order id -> the names of its 86'd items (``out_names``), for the orders (anything with
    ``id`` and ``stage``) in a flagged stage that hold one; orders without are left out.

    One query for any number of orders, reading only the items whose product is out; none
    when nothing is out or no order is in a flagged stage."""
    out_ids = stop.out_ids
    order_ids = [o.id for o in orders if is_flagged_stage(o.stage)]
    if not out_ids or not order_ids:
        return {}
    rows = (
        OrderItem.objects.filter(order_id__in=order_ids, product_id__in=out_ids)
        .order_by("order_id", "position")
        .values_list("order_id", "product_id", "name")
    )
    items: dict[int, list[tuple[int | None, str]]] = {}
    for order_id, product_id, name in rows:
        items.setdefault(order_id, []).append((product_id, name))
    by_product = stop.by_product
    found = {order_id: out_names(pairs, by_product) for order_id, pairs in items.items()}
    return {order_id: names for order_id, names in found.items() if names}
