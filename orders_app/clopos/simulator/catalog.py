"""The brand's catalogue as GET /products, /products/{id} and /stations serve it
(docs/clopos.md §6): the demo menu (``restaurant.MENU``) with each item's station, category,
unit, type and cooking time, and the four kitchen stations.

- Stations [D]: ``{id:int, name, status, type (1 kitchen, 0 other), printable}``. Grill, Cold
  kitchen and Bakery are kitchens (type 1); the Bar is not (type 0). ``printable`` is a bool and
  the Bakery has no printer [I: the value's type is not shown anywhere].
- Products [D field list]: ``id, parent_id, station_id, category_id, unit_id, type, name,
  full_name, status, hidden, price, cost_price, barcode, gov_code, sold_by_weight,
  cooking_time, venues[], media[], created_at``. Cooked food is ``DISH``; drinks and bottles are
  ``GOODS`` with ``cooking_time`` null. [I]: ``venues`` is a list of ``{id, name}`` (its item
  shape is not published); ``hidden`` and ``sold_by_weight`` are bools; ``giftable`` and
  ``discountable`` (seen on receipt lines' ``meta.product``) are on the product too;
  ``created_at`` is ``YYYY-MM-DD HH:MM:SS`` in the brand's local time, like receipts.
- ``with[]`` [D names]: ``station`` (the station object or null), ``category`` (``{id, name,
  parent_id, type}``), ``unit`` (``{id, name}``), ``modificator_groups`` (DISH only:
  ``[{id, name, min, max, modificators[{id, name, price}]}]``), ``taxes``; ``modifications``,
  ``codes``, ``recipe``, ``packages``, ``tags`` are empty lists and ``setting`` null [I].
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from orders_app.clopos.simulator.factory import money
from orders_app.clopos.simulator.restaurant import MENU, MODIFIER_GROUPS, VENUES, Product

GRILL, COLD, BAR, BAKERY = 1, 2, 3, 4
STATIONS: tuple[dict[str, Any], ...] = (
    {"id": GRILL, "name": "Grill", "status": 1, "type": 1, "printable": True},
    {"id": COLD, "name": "Cold kitchen", "status": 1, "type": 1, "printable": True},
    {"id": BAR, "name": "Bar", "status": 1, "type": 0, "printable": True},
    {"id": BAKERY, "name": "Bakery", "status": 1, "type": 1, "printable": False},
)
STATION_BY_ID = {s["id"]: s for s in STATIONS}

SOUPS, MAINS, SALADS, PIZZA, DRINKS, DESSERTS, BAKES = 1, 2, 3, 4, 5, 6, 7
CATEGORIES: dict[int, str] = {
    SOUPS: "Şorbalar",
    MAINS: "Əsas yeməklər",
    SALADS: "Salatlar",
    PIZZA: "Pizza və burgerlər",
    DRINKS: "İçkilər",
    DESSERTS: "Desertlər",
    BAKES: "Xəmir işləri",
}
UNIT = {"id": 1, "name": "ədəd"}
VAT = {"id": 1, "name": "ƏDV 18%", "rate": 18, "type": "INCLUDED"}  # Azerbaijan's VAT, in price
DEFAULT_COOKING_MINUTES = 3  # how long an item without a cooking_time takes (GOODS) [I]

# product id → (station, category, cooking minutes; None = GOODS). Kebabs, plov, soups, dolma
# and burgers cook on the Grill, salads and cold desserts in the Cold kitchen, drinks at the Bar,
# qutab, pizza and pastry in the Bakery's oven.
_KITCHEN: dict[int, tuple[int, int, int | None]] = {
    101: (GRILL, SOUPS, 6),
    102: (GRILL, SOUPS, 5),
    103: (GRILL, SOUPS, 6),
    104: (GRILL, SOUPS, 5),
    105: (GRILL, SOUPS, 8),
    201: (GRILL, MAINS, 12),
    202: (GRILL, MAINS, 10),
    203: (GRILL, MAINS, 9),
    204: (GRILL, MAINS, 9),
    205: (GRILL, MAINS, 10),
    206: (BAKERY, BAKES, 6),
    207: (BAKERY, BAKES, 7),
    208: (GRILL, MAINS, 12),
    209: (GRILL, MAINS, 14),
    210: (GRILL, MAINS, 12),
    211: (GRILL, MAINS, 15),
    212: (GRILL, MAINS, 14),
    213: (GRILL, MAINS, 10),
    214: (COLD, SALADS, 6),
    215: (COLD, SALADS, 4),
    301: (BAKERY, PIZZA, 12),
    302: (BAKERY, PIZZA, 13),
    303: (BAKERY, PIZZA, 14),
    304: (BAKERY, PIZZA, 12),
    311: (GRILL, PIZZA, 9),
    312: (GRILL, PIZZA, 10),
    401: (BAR, DRINKS, None),
    402: (BAR, DRINKS, None),
    403: (BAR, DRINKS, None),
    404: (BAR, DRINKS, None),
    405: (BAR, DRINKS, None),
    406: (BAR, DRINKS, None),
    407: (BAR, DRINKS, None),
    501: (BAKERY, DESSERTS, 3),
    502: (BAKERY, DESSERTS, 3),
    503: (COLD, DESSERTS, 3),
    504: (COLD, DESSERTS, 3),
    505: (BAKERY, BAKES, 2),
}
_ONLY_AT_MAIN = {105, 211}  # Piti and saj are served at Nizami only
_BARCODES = {404: "5449000000996", 405: "4760062100016"}  # bottles carry an EAN-13
MODIFICATOR_GROUP_IDS = {key: index for index, key in enumerate(MODIFIER_GROUPS, start=1)}
_GROUP_OF_MODIFICATOR = {
    option[0]: (MODIFICATOR_GROUP_IDS[g.key], g.key)
    for g in MODIFIER_GROUPS.values()
    for option in g.options
}
_GROUP_NAMES = {
    "pizza": "Pizza əlavələri",
    "kebab": "Qarnir",
    "plov": "Plov əlavələri",
    "burger": "Burger əlavələri",
    "dolma": "Sous",
    "drink": "İçki əlavələri",
    "dessert": "Desert əlavələri",
}

PRODUCT_RELATIONS = (
    "station",
    "category",
    "unit",
    "modificator_groups",
    "taxes",
    "modifications",
    "codes",
    "recipe",
    "packages",
    "tags",
    "media",
    "setting",
)
PRODUCT_FILTER_FIELDS = (
    "id",
    "parent_id",
    "type",
    "category_id",
    "station_id",
    "unit_id",
    "status",
    "hidden",
    "sold_by_weight",
    "giftable",
    "discountable",
)


@dataclass(frozen=True)
class Item:
    """One menu item as the kitchen sees it."""

    product: Product
    station_id: int
    category_id: int
    cooking_time: int | None

    @property
    def type(self) -> str:
        return "GOODS" if self.cooking_time is None else "DISH"


ITEMS: dict[int, Item] = {
    p.id: Item(p, *_KITCHEN.get(p.id, (GRILL, MAINS, DEFAULT_COOKING_MINUTES))) for p in MENU
}


def item_of(product_id: Any) -> Item | None:
    """The menu item with that id; None for anything else (an order line may hold any JSON)."""
    return ITEMS.get(product_id) if isinstance(product_id, int) else None


def cooking_minutes(product_id: Any) -> int:
    """How long one item takes to be ready; unknown products and GOODS take the default."""
    item = item_of(product_id)
    if item is None or item.cooking_time is None:
        return DEFAULT_COOKING_MINUTES
    return item.cooking_time


def station_of(product_id: Any) -> dict[str, Any] | None:
    """``{id, name}`` of the station that makes a product, or None for an unknown product."""
    item = item_of(product_id)
    if item is None:
        return None
    station = STATION_BY_ID[item.station_id]
    return {"id": station["id"], "name": station["name"]}


def modificator_group(modificator_id: Any) -> dict[str, Any] | None:
    found = _GROUP_OF_MODIFICATOR.get(modificator_id) if isinstance(modificator_id, int) else None
    if found is None:
        return None
    return {"id": found[0], "name": _GROUP_NAMES[found[1]]}


def stations() -> list[dict[str, Any]]:
    return copy.deepcopy(list(STATIONS))


def _created_at(product_id: int) -> str:
    """When the item was added to the menu: a fixed day in March 2025, one per product."""
    return f"2025-03-{1 + product_id % 28:02d} 09:{product_id % 60:02d}:00"


def product_json(item: Item, relations: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One product as GET /products serves it, with the ``with[]`` relations asked for."""
    p = item.product
    venues = [v for v in VENUES if p.id not in _ONLY_AT_MAIN or v["id"] == 1]
    data: dict[str, Any] = {
        "id": p.id,
        "parent_id": None,
        "station_id": item.station_id,
        "category_id": item.category_id,
        "unit_id": UNIT["id"],
        "type": item.type,
        "name": p.name,
        "full_name": f"{CATEGORIES[item.category_id]} / {p.name}",
        "status": 1,
        "hidden": False,
        "price": money(p.price),
        "cost_price": money(p.price * 0.35),
        "barcode": _BARCODES.get(p.id),
        "gov_code": None,
        "sold_by_weight": False,
        "giftable": True,
        "discountable": item.type == "DISH",
        "cooking_time": item.cooking_time,
        "venues": [{"id": v["id"], "name": v["name"]} for v in venues],
        "media": [],
        "created_at": _created_at(p.id),
    }
    if "station" in relations:
        data["station"] = dict(STATION_BY_ID[item.station_id])
    if "category" in relations:
        data["category"] = {
            "id": item.category_id,
            "name": CATEGORIES[item.category_id],
            "parent_id": None,
            "type": "PRODUCT",
        }
    if "unit" in relations:
        data["unit"] = dict(UNIT)
    if "modificator_groups" in relations:
        data["modificator_groups"] = _modificator_groups(item)
    if "taxes" in relations:
        data["taxes"] = [dict(VAT)]
    for name in ("modifications", "codes", "recipe", "packages", "tags"):
        if name in relations:
            data[name] = []
    if "setting" in relations:
        data["setting"] = None
    return data


def _modificator_groups(item: Item) -> list[dict[str, Any]]:
    """Modifier groups apply to DISH only [D]; a drink's options are left out."""
    if item.type != "DISH" or not item.product.group:
        return []
    group = MODIFIER_GROUPS[item.product.group]
    return [
        {
            "id": MODIFICATOR_GROUP_IDS[group.key],
            "name": _GROUP_NAMES[group.key],
            "min": 0,
            "max": len(group.options),
            "modificators": [
                {"id": mod_id, "name": name, "price": money(price)}
                for mod_id, name, price in group.options
            ],
        }
    ]
