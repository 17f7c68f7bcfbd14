"""Which station makes each item, whether it holds its order back, and how long it takes.

An item's station is the one its receipt routes it to (``receipt_products[].product.station``,
kept on ReceiptItem), else its product's (``/products``, kept on Product), else none. A station
is a kitchen unless Clopos says otherwise (``/stations`` type 0, e.g. the bar). An item *holds*
its order (counts for the card's target time, and for the kitchen's idea of "what is left to
make") only when it is made at a kitchen station and its product is not GOODS (bottled drinks,
sauces from the shelf): a bar's lemonade or a can of cola never makes a kitchen ticket late.

At most three queries for a whole screen, whatever its size: stations, the products of the
items shown, and the receipt lines of the linked receipts (none when nothing asks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext

from orders_app.models import Product, ReceiptItem, Station

# Product types that are sold as they are, never cooked (docs/clopos.md §6).
NOT_COOKED_TYPES = frozenset({"GOODS"})


@dataclass(frozen=True)
class StationInfo:
    id: int
    name: str
    kitchen: bool


@dataclass(frozen=True)
class ProductInfo:
    station_id: int | None
    type: str
    cooking_time: int | None  # minutes


@dataclass(frozen=True)
class Route:
    """Where one item goes: its station (or none), whether it holds the order, its time."""

    station: StationInfo | None
    holds: bool
    cooking_minutes: int | None


@dataclass(frozen=True)
class Routing:
    stations: dict[int, StationInfo]
    products: dict[int, ProductInfo]
    # (receipt id, product id) -> station id, from the receipt's own lines
    receipt_routes: dict[tuple[int, int], int]

    def station(self, station_id: int | None) -> StationInfo | None:
        if station_id is None:
            return None
        found = self.stations.get(station_id)
        if found is None:
            # Not (yet) in /stations: named by its id, treated as a kitchen until Clopos says.
            return StationInfo(station_id, gettext("Station %(id)s") % {"id": station_id}, True)
        return found

    def route(
        self,
        *,
        product_id: int | None,
        receipt_id: int | None = None,
        station_id: int | None = None,
    ) -> Route:
        """The route of one item: ``station_id`` when the caller knows it (a receipt line),
        else the linked receipt's routing for the product, else the product's station."""
        product = self.products.get(product_id) if product_id is not None else None
        if station_id is None and receipt_id is not None and product_id is not None:
            station_id = self.receipt_routes.get((receipt_id, product_id))
        if station_id is None and product is not None:
            station_id = product.station_id
        station = self.station(station_id)
        cooked = product is None or product.type.upper() not in NOT_COOKED_TYPES
        holds = cooked and (station is None or station.kitchen)
        minutes = product.cooking_time if product is not None and product.cooking_time else None
        return Route(station=station, holds=holds, cooking_minutes=minutes if holds else None)


def routing_for(*, product_ids: Iterable[int], receipt_ids: Iterable[int] = ()) -> Routing:
    """The routing of a screen's items (stations, products, linked receipts' lines)."""
    product_ids = {p for p in product_ids if p is not None}
    receipt_ids = {r for r in receipt_ids if r is not None}
    stations = {
        s.id: StationInfo(s.id, s.name.strip() or str(s), s.kitchen)
        for s in Station.objects.only("id", "name", "kitchen")
    }
    products = (
        {
            pid: ProductInfo(station_id=station, type=kind or "", cooking_time=minutes)
            for pid, station, kind, minutes in Product.objects.filter(
                id__in=product_ids
            ).values_list("id", "station_id", "type", "cooking_time")
        }
        if product_ids
        else {}
    )
    routes: dict[tuple[int, int], int] = {}
    if receipt_ids:
        for receipt_id, product_id, station_id, station_name in ReceiptItem.objects.filter(
            receipt_id__in=receipt_ids, product_id__isnull=False, station_id__isnull=False
        ).values_list("receipt_id", "product_id", "station_id", "station_name"):
            routes.setdefault((receipt_id, product_id), station_id)
            if station_id not in stations and station_name.strip():
                # Named on the receipt but not (yet) in /stations.
                stations[station_id] = StationInfo(station_id, station_name.strip(), True)
    return Routing(stations=stations, products=products, receipt_routes=routes)
