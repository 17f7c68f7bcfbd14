"""The demo restaurant as data: two Baku venues, sale types, sales channels, the menu with its
modifier groups, and the people, addresses and notes its orders are made of.

Pure tables, no logic: ``factory.py`` draws customers and orders from them. The text mixes
Azerbaijani, Russian and English on purpose, so a client meets ə, ş, ğ and Cyrillic as a Baku
restaurant's data has them; ``HOSTILE`` is the text of the one order that tries to break a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VENUES: list[dict[str, Any]] = [
    {"id": 1, "name": "Nizami (Main)", "is_main": 1, "media": []},
    {"id": 2, "name": "Port Baku", "is_main": 0, "media": []},
]

SALE_TYPE_IN, SALE_TYPE_DELIVERY, SALE_TYPE_TAKEAWAY = 1, 2, 3
SALE_TYPES: list[dict[str, Any]] = [
    {
        "id": SALE_TYPE_IN,
        "name": "Yerinde",
        "system_type": "IN",
        "channel": "pos",
        "status": {"1": 1, "2": 1},
        "service_charge_rate": 10,
        "position": 1,
        "media": [],
        "created_at": "2025-03-01T09:00:00.000000Z",
        "updated_at": "2025-11-12T08:30:00.000000Z",
    },
    {
        "id": SALE_TYPE_DELIVERY,
        "name": "Catdirilma",
        "system_type": "DELIVERY",
        "channel": "delivery",
        "status": {"1": 1, "2": 1},
        "service_charge_rate": None,
        "position": 2,
        "media": [
            {
                "urls": {
                    "original": "https://cdn.example.invalid/sale-types/delivery.png",
                    "large": "https://cdn.example.invalid/sale-types/delivery-large.png",
                }
            }
        ],
        "created_at": "2025-03-01T09:00:00.000000Z",
        "updated_at": "2025-11-12T08:30:00.000000Z",
    },
    {
        "id": SALE_TYPE_TAKEAWAY,
        "name": "Takeaway",
        "system_type": "TAKEAWAY",
        "channel": "takeaway",
        "status": {"1": 1, "2": 0},
        "service_charge_rate": None,
        "position": 3,
        "media": [],
        "created_at": "2025-03-01T09:00:00.000000Z",
        "updated_at": "2025-11-12T08:30:00.000000Z",
    },
]


@dataclass(frozen=True)
class Channel:
    type: str
    integration: str
    weight: float
    sale_types: tuple[int, ...]
    external_prefix: str | None = None


CHANNELS: tuple[Channel, ...] = (
    Channel("CALL_CENTER_ORDER", "call_center_new", 0.35, (2, 2, 2, 3, 1)),
    Channel("WOLT_ORDER", "wolt", 0.25, (2, 2, 2, 3), "WLT"),
    Channel("BOLT_FOOD_ORDER", "bolt_food", 0.2, (2, 2, 3), "BF"),
    Channel("WEB_ORDER", "web_shop", 0.2, (2, 3, 3, 1)),
)


@dataclass(frozen=True)
class ModifierGroup:
    key: str
    shape: str
    options: tuple[tuple[int, str, float], ...]  # (id, name, price)


MODIFIER_GROUPS: dict[str, ModifierGroup] = {
    g.key: g
    for g in (
        ModifierGroup(
            "pizza",
            "modifier",
            (
                (9001, "Extra cheese", 1.5),
                (9002, "Jalapeño", 1.0),
                (9003, "Nazik xəmir (thin crust)", 0.0),
                (9004, "Дополнительный соус", 0.8),
            ),
        ),
        ModifierGroup(
            "kebab",
            "modificator",
            (
                (9101, "Lavaş", 0.5),
                (9102, "Sumaqlı soğan", 0.5),
                (9103, "Qril tərəvəz", 2.5),
                (9104, "Картофель фри", 2.5),
            ),
        ),
        ModifierGroup(
            "plov",
            "id",
            ((9201, "Şabalıd", 1.5), (9202, "Qazmaq", 2.0), (9203, "Qaysı və kişmiş", 1.0)),
        ),
        ModifierGroup(
            "burger",
            "nested",
            (
                (9301, "Bacon", 1.5),
                (9302, "Extra patty", 3.5),
                (9303, "No onion", 0.0),
                (9304, "Без соуса", 0.0),
            ),
        ),
        ModifierGroup(
            "dolma", "modificator", ((9401, "Sarımsaqlı qatıq", 1.0), (9402, "Сметана", 1.0))
        ),
        ModifierGroup(
            "drink", "modifier", ((9501, "Buzsuz", 0.0), (9502, "Limon", 0.3), (9503, "Nanə", 0.3))
        ),
        ModifierGroup(
            "dessert", "nested", ((9601, "Dondurma topu", 1.5), (9602, "Шоколадный соус", 0.7))
        ),
    )
}

UNKNOWN_MODIFIERS: tuple[Any, ...] = (
    "Az duzlu",
    {"title": "Sous ayrıca"},
    "Острее, пожалуйста",
    {"title": "Gift wrap", "qty": 1},
)


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    price: float
    group: str | None = None
    max_count: int = 2


MENU: tuple[Product, ...] = (
    # Soups
    Product(101, "Dovğa", 4.5),
    Product(102, "Mərci şorbası", 4.0),
    Product(103, "Борщ", 5.5),
    Product(104, "Göbələk şorbası", 4.0),
    Product(105, "Piti", 9.0),
    # Mains
    Product(201, "Şah plov", 18.0, "plov"),
    Product(202, "Toyuq plov", 12.0, "plov"),
    Product(203, "Yarpaq dolması", 9.5, "dolma"),
    Product(204, "Kələm dolması", 9.0, "dolma"),
    Product(205, "Badımcan dolması", 10.0, "dolma"),
    Product(206, "Göyərti qutabı", 1.5, None, 6),
    Product(207, "Ətli qutab", 2.0, None, 6),
    Product(208, "Lülə kabab", 11.0, "kebab"),
    Product(209, "Tikə kabab", 13.0, "kebab"),
    Product(210, "Toyuq kababı", 10.0, "kebab"),
    Product(211, "Saj içi", 16.0),
    Product(212, "Шашлык из баранины", 14.0, "kebab"),
    Product(213, "Пельмени", 8.0),
    Product(214, "Chicken Caesar Salad", 9.0, "burger"),
    Product(215, "Çoban salatı", 5.0),
    # Pizza and burgers
    Product(301, "Pizza Margherita", 11.0, "pizza"),
    Product(302, "Pizza Pepperoni", 13.5, "pizza"),
    Product(303, "Pizza Quattro Formaggi", 15.0, "pizza"),
    Product(304, "Пицца с грибами", 12.0, "pizza"),
    Product(311, "Classic Burger", 10.5, "burger"),
    Product(312, "Cheeseburger", 11.5, "burger"),
    # Drinks
    Product(401, "Ayran", 1.5, "drink", 4),
    Product(402, "Armudu stəkanda çay", 1.0, None, 4),
    Product(403, "Tərxun limonadı", 3.5, "drink", 3),
    Product(404, "Coca-Cola 0.33", 2.0, "drink", 4),
    Product(405, "Sirab 0.5", 1.2, None, 4),
    Product(406, "Компот", 2.5, None, 3),
    Product(407, "Americano", 3.0, None, 3),
    # Desserts
    Product(501, "Paxlava", 2.5, "dessert", 4),
    Product(502, "Şəkərbura", 2.0, None, 4),
    Product(503, "Медовик", 5.0, "dessert"),
    Product(504, "Cheesecake", 6.0, "dessert"),
    Product(505, "Şəkər çörəyi", 1.5, None, 6),
)

# What sells most: a third of what tables order, and what runs short on the stop list.
POPULAR: tuple[int, ...] = (201, 203, 206, 207, 208, 209, 301, 501)

PEOPLE: tuple[str, ...] = (
    "Rəşad Məmmədov",
    "Günay Əliyeva",
    "Elçin Hüseynov",
    "Aynur Quliyeva",
    "Tural İsmayılov",
    "Nigar Həsənova",
    "Orxan Babayev",
    "Səbinə Cəfərova",
    "Kamran Əhmədov",
    "Leyla Nəsirova",
    "İlkin Rzayev",
    "Ülviyyə Abbasova",
    "Fərid Səfərov",
    "Gülnar Şükürova",
    "Çingiz Mustafayev",
    "Şəbnəm Novruzova",
    "Ağa Bağırov",
    "Ömər Qasımov",
    "Zəhra Ələkbərova",
    "Vüsal Kərimov",
    "Rahid Akhundzada",
    "Алексей Смирнов",
    "Ирина Петрова",
    "Дмитрий Кузнецов",
    "Наталья Иванова",
    "Сергей Волков",
    "Екатерина Морозова",
    "Олег Соколов",
    "John Carter",
    "Emily Clarke",
    "Michael O'Brien",
    "Sarah Jenkins",
    "David Müller",
    "Anna Rossi",
)

ADDRESSES: tuple[str, ...] = (
    "Nizami küçəsi 45, mənzil 12, Bakı",
    "28 May küçəsi 5",
    "Azadlıq prospekti 112, 9-cu mərtəbə",
    "Neftçilər prospekti 153, Port Baku Residence",
    "Füzuli küçəsi 67, Bakı",
    "Bülbül prospekti 20",
    "Zərifə Əliyeva küçəsi 8, giriş 2",
    "Xətai prospekti 31, blok B",
    "Həsən bəy Zərdabi küçəsi 78",
    "Atatürk prospekti 44, Nərimanov",
    "ул. Низами 84, кв. 7",
    "проспект Гейдара Алиева 115, Баку",
    "Tbilisi Avenue 1033, Ganjlik Mall (food court)",
    "Badamdar qəsəbəsi, 2-ci küçə 14",
    "Şərifzadə küçəsi 195, Yasamal",
    "Təbriz küçəsi 77, Nərimanov r.",
    "Səməd Vurğun küçəsi 34",
    "İstiqlaliyyət küçəsi 19, İçərişəhər",
)

COMMENTS: tuple[str, ...] = (
    "Qapıya çatanda zəng edin",
    "Домофон не работает, позвоните",
    "Leave at the door",
    "Çox acı olmasın",
    "Please bring change for 50 AZN",
    "Nəğd ödəniş",
    "Без лука, пожалуйста",
    "Call on arrival",
    "3-cü mərtəbə, lift işləmir",
    "Uşaq yatır, zəng çalmayın",
)

ITEM_NOTES: tuple[str, ...] = (
    "Soğansız",
    "No onions",
    "Az duzlu",
    "Без майонеза",
    "Well done",
    "Sousu ayrıca verin",
    "Extra spicy",
    "Kəsilmiş (dilimlənmiş)",
)

HOSTILE = {
    "name": '<script>alert("pass")</script> Ölməz',
    "comment": '"><img src=x onerror=alert(1)> Qapıda',
    "note": "</textarea><b>bold</b>{{ 7*7 }}",
    "address": "Nizami 1' OR '1'='1; <svg onload=alert(2)>",
    "modifier": '<img src=x onerror="alert(3)">',
}

# The +994 mobile operator codes the customers' phone numbers are drawn from.
PHONE_OPERATORS = ("50", "51", "55", "70", "77", "99", "10")

# --- the POS side: who and where receipts are opened (docs/clopos.md §5) ---------------------

# Staff users a receipt names as its user ("meta.user.name"), by venue.
STAFF: dict[int, tuple[tuple[int, str], ...]] = {
    1: ((11, "Aysel Məmmədova"), (12, "Rauf Həsənov"), (13, "Ольга Ким")),
    2: ((21, "Nurlan Qasımov"), (22, "Sevinc Əliyeva")),
}

# POS terminals, by venue.
TERMINALS: dict[int, tuple[int, ...]] = {1: (1, 2), 2: (3,)}


@dataclass(frozen=True)
class Hall:
    id: int
    venue_id: int
    name: str
    tables: tuple[int, ...]


HALLS: tuple[Hall, ...] = (
    Hall(1, 1, "Əsas zal", tuple(range(101, 113))),
    Hall(2, 1, "Terras", tuple(range(201, 207))),
    Hall(3, 2, "Dəniz zalı", tuple(range(301, 311))),
)

# How receipts are paid (the /payment-methods ids a closed receipt names).
PAYMENT_CASH, PAYMENT_CARD, PAYMENT_ONLINE = 1, 2, 3
PAYMENT_METHODS: dict[int, str] = {
    PAYMENT_CASH: "Cash",
    PAYMENT_CARD: "Card",
    PAYMENT_ONLINE: "Online",
}
