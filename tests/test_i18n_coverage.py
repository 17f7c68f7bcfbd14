"""No English UI word is left on any page shown in Azerbaijani or Russian.

Every page (and fragment) is rendered in en, az and ru against English-only orders. The
words a person reads (text, titles, aria labels, placeholders) are collected; words that come
from the data are set aside. In Russian, any Latin word left is English Pass wrote without
gettext. In Azerbaijani (also Latin script), any word that the English page shows too is.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from orders_app.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderItemModifier,
    Product,
    Receipt,
    ReceiptItem,
    SaleType,
    Station,
    StopListEntry,
    Venue,
    WallKey,
)
from orders_app.services.wall_keys import wall_key_create, wall_key_revoke
from tests.fixtures.orders import make_order, mark_failing, mark_synced

# Names that are the same in every language: the product, the POS, the file format; and the
# URL parameters a notice quotes as typed (the tests' wall links ask for channel=bad! and
# station=bad).
NAMES = {
    "pass", "clopos", "csv", "uuid", "id", "p", "javascript", "channel", "station", "bad", "mgr",
}  # fmt: skip
# Words Azerbaijani shares with English, checked by hand: "kiosk" (kiosk açarı), "median"
# (the statistic's name in Azerbaijani too), "stop" and "list" (the glossary's "stop-list"),
# "sat" (what the Latin-letter split leaves of "satış", sale, beside "Sat" for Saturday).
SHARED_WITH_AZERBAIJANI = {"kiosk", "median", "stop", "list", "sat"}
# Attributes whose values people read (or hear, from a screen reader).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label", "aria-description"}
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

ENGLISH_ITEMS = [
    {
        "name": "Cheeseburger Deluxe",
        "count": 2,
        "price": "8.50",
        "modifiers": [{"name": "Extra bacon", "count": 2, "price": "1.00"}],
        "note": "Well done please",
    },
    {"name": "Sweet potato fries", "count": 1, "price": "4.00"},
    {"name": "", "count": 1, "price": "1.00", "product_id": 777},
]


class _Reader(HTMLParser):
    """The text a person reads on a page in its language: text nodes and read attributes; not
    scripts, not <code> (a command to type, the same in every language), and not an element
    that declares another language (lang="en" on a sync error's own words, each language's
    name in the language menu)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.page_language = ""
        self._skipping: list[str] = []  # open elements whose content is skipped

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.page_language = attributes.get("lang") or ""
        if tag in VOID and self._skipping:
            return
        if self._skipping:
            self._skipping.append(tag)
            return
        declared = attributes.get("lang")
        other_language = tag != "html" and declared not in {None, "", self.page_language}
        if tag not in VOID and (tag in {"script", "style", "code"} or other_language):
            self._skipping.append(tag)
            return
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if self._skipping and tag not in VOID:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def read_words(html: str) -> set[str]:
    reader = _Reader()
    reader.feed(html)
    return {w.lower().strip("'") for w in WORD.findall(" ".join(reader.parts))}


def data_words() -> set[str]:
    """Every word the cached data holds (names, notes, channels, ...): shown as given."""
    texts: list[str] = []
    for model in (Order, OrderItem, OrderItemModifier, Venue, SaleType, Station, Product):
        for row in model.objects.values():
            texts += [str(v) for v in row.values() if isinstance(v, str)]
    return {w.lower().strip("'") for w in WORD.findall(" ".join(texts))}


@pytest.fixture
def english_restaurant(db):
    Venue.objects.create(id=1, name="Downtown Grill")
    SaleType.objects.create(id=2, name="Home delivery", system_type="DELIVERY")
    SaleType.objects.create(id=3, name="Pick up", system_type="TAKEAWAY")
    now = timezone.now()
    make_order(
        id=101,
        status="PENDING",
        customer_name="John Smith",
        customer_address="12 High Street",
        comment="Ring the bell twice",
        items=ENGLISH_ITEMS,
        created_at=now - timedelta(minutes=7),
        delivery_fee="2.00",
        discount_type="1",
        discount_value=10,
        service_charge_enabled=True,
        service_charge_value=5,
    )
    make_order(
        id=102,
        status="RECEIVED",
        customer_name="Mary Jones",
        customer_address="1 Park Lane",
        items=ENGLISH_ITEMS[:2],
        created_at=now - timedelta(minutes=31),
        sale_type_id=3,
        type="WOLT_ORDER",
        integration="wolt",
    )
    make_order(
        id=103,
        status="DELIVERED",
        customer_name="Peter Brown",
        customer_address="9 Mill Road",
        items=ENGLISH_ITEMS[1:2],
        created_at=now - timedelta(hours=2, minutes=5),
        updated_at=now - timedelta(minutes=3),
        venue_id=None,
        sale_type_id=None,
    )
    make_order(
        id=104,
        status="IGNORE",
        customer_name="Anne White",
        customer_address="4 Station Road",
        items=[],
        created_at=now - timedelta(days=2),
        updated_at=now - timedelta(minutes=2),
        type="WEB_ORDER",
        integration="web_shop",
    )
    # The kitchen: stations, products with cooking times, the stop list, a dine-in table, and
    # an acceptance on the timeline (the insights' figures).
    Station.objects.create(id=1, name="Grill")
    Station.objects.create(id=2, name="Bar", kitchen=False)
    Product.objects.create(id=100, name="Cheeseburger Deluxe", station_id=1, cooking_time=15)
    Product.objects.create(id=101, name="Sweet potato fries", station_id=2)
    StopListEntry.objects.create(product_id=100, limit=0)
    StopListEntry.objects.create(product_id=101, limit=3)
    table = Receipt.objects.create(
        id=5001, status=1, order_status="IN_PROGRESS", table_id=7, guests=2, created_at=now
    )
    ReceiptItem.objects.create(
        receipt=table, position=0, product_id=100, name="Cheeseburger Deluxe", station_id=1
    )
    OrderEvent.objects.create(
        order_id=102,
        kind="status",
        from_status="PENDING",
        to_status="RECEIVED",
        observed_at=now - timedelta(minutes=29),
    )
    mark_synced(ago=3)


def _pages(client, django_user_model) -> dict[str, str]:
    """Every page and fragment a person can see, rendered in the active client's language."""
    pages: dict[str, str] = {}
    client.get("/accounts/logout/")
    pages["login"] = client.get("/accounts/login/?next=/").content.decode()
    pages["login error"] = client.post(
        "/accounts/login/", {"username": "nobody", "password": "wrong"}
    ).content.decode()
    user = django_user_model.objects.create_user("mgr", password="pw-long-enough-123")
    client.force_login(user)
    pages["board"] = client.get("/").content.decode()
    pages["board filtered"] = client.get("/?status=PENDING&q=zzzz&page=1").content.decode()
    pages["board bad filters"] = client.get(
        "/?from=yesterday&to=2026-13-01&venue=x&page=0&sort=up"
    ).content.decode()
    pages["board dates reversed"] = client.get("/?from=2026-03-02&to=2026-03-01").content.decode()
    pages["board fragment"] = client.get(
        "/?status=RECEIVED", HTTP_HX_REQUEST="true"
    ).content.decode()
    pages["order"] = client.get("/orders/101/").content.decode()
    pages["order no venue"] = client.get("/orders/103/").content.decode()
    pages["panel"] = client.get("/orders/101/panel/").content.decode()
    pages["wall"] = client.get(
        "/wall/?status=PENDING&status=RECEIVED&status=DELIVERED&status=IGNORE&channel=bad%21"
    ).content.decode()
    pages["wall venue"] = client.get("/wall/?venue=9").content.decode()
    pages["wall kitchen"] = client.get("/wall/?tickets=all&stats=1").content.decode()
    pages["wall station"] = client.get("/wall/?station=1&station=bad").content.decode()
    pages["pickup"] = client.get("/pickup/?channel=bad%21").content.decode()
    pages["insights"] = client.get("/insights/").content.decode()
    pages["insights bad"] = client.get(
        "/insights/?from=yesterday&to=2026-13-01&venue=x"
    ).content.decode()
    pages["insights empty"] = client.get(
        "/insights/?from=2020-01-01&to=2020-01-07"
    ).content.decode()
    pages["board from insights"] = client.get("/?hour=12&weekday=1&sale_type=3").content.decode()
    mark_failing()
    pages["board failing"] = client.get("/").content.decode()
    pages["wall failing"] = client.get("/wall/").content.decode()
    pages["pickup failing"] = client.get("/pickup/").content.decode()
    client.logout()
    WallKey.objects.filter(name="kitchen").delete()  # the page set is rendered once per language
    created = wall_key_create(name="kitchen")
    wall_key_revoke(name="kitchen")
    pages["wall revoked"] = client.get(f"/wall/?key={created.key}").content.decode()
    pages["logged out"] = client.post("/accounts/logout/").content.decode()
    return pages


def _with_language(client, language: str) -> None:
    client.cookies["django_language"] = language
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language


@pytest.mark.parametrize("language", ["ru", "az"])
def test_no_english_ui_word_is_left_in_another_language(
    client, django_user_model, english_restaurant, language, settings
):
    settings.LANGUAGE_CODE = language  # the wall's fallback: no lang= in these URLs
    _with_language(client, language)
    shown = _pages(client, django_user_model)
    allowed = data_words() | NAMES
    if language == "az":
        settings.LANGUAGE_CODE = "en"
        _with_language(client, "en")
        django_user_model.objects.filter(username="mgr").delete()
        english = _pages(client, django_user_model)
    left = {}
    for name, html in shown.items():
        words = read_words(html) - allowed
        if language == "az":
            words &= read_words(english[name])
            words -= SHARED_WITH_AZERBAIJANI
        if words:
            left[name] = sorted(words)
    assert not left, f"English words on {language} pages: {left}"


def test_the_check_finds_an_english_word_that_skips_gettext():
    english = read_words(
        '<html lang="ru"><p>Orders</p><button title="Sign out">Выйти</button>'
        '<script>x="Hi"</script><code>make run</code><option lang="en">English</option>'
        '<input placeholder="Search"><span lang="ru">Done</span>'
    )
    assert english == {"orders", "sign", "out", "search", "done"}
