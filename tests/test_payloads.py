"""Parsing Clopos order payloads at the boundary (orders_app/clopos/payloads/)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_app.clopos.payloads import (
    PayloadError,
    canonical_json,
    content_hash,
    parse_modifier,
    parse_order,
    parse_sale_type,
    parse_timestamp,
    parse_venue,
    to_decimal,
)
from orders_app.clopos.payloads.readers import Notes
from tests.strategies import json_values

DOCUMENTED_ORDER: dict[str, Any] = {
    "id": 1,
    "venue_id": 1,
    "type": "CALL_CENTER_ORDER",
    "integration": "call_center_new",
    "integration_uuid": None,
    "integration_id": None,
    "customer_ref_id": None,
    "integration_status": "CREATED",
    "status": "RECEIVED",
    "payload": {
        "auto_order_accept": False,
        "auto_order_sent_to_station": False,
        "delivery_fee": 2.5,
        "service": {"sale_type_id": 2, "venue_id": 1},
        "customer": {
            "id": 1,
            "phone": "+994705401040",
            "address": "123 Main St",
            "customer_discount_type": 1,
            "name": "Rahid Akhundzada",
        },
        "products": [
            {
                "product_id": 51,
                "count": 2,
                "product_modificators": [],
                "portion_size": 1,
                "meta": {
                    "price": 8.5,
                    "order_product": {
                        "count": 2,
                        "status": "new",
                        "product_modificators": [],
                        "product_hash": "abc123",
                        "product": {"id": 51, "name": "Pizza", "price": 8.5},
                    },
                },
            }
        ],
        "meta": {
            "comment": "Leave at the door",
            "discount": {"discount_type": 1, "discount_value": 10},
            "apply_service_charge": True,
            "customer_discount_type": 1,
            "service_charge_value": 5,
        },
        "customer_id": 1,
        "sale_type_id": 2,
    },
    "created_at": "2026-02-02T13:45:53.000000Z",
    "updated_at": "2026-02-02T17:46:02.000000Z",
    "integration_response": None,
}


def raw_order(order_id: int = 1, **changes: Any) -> dict[str, Any]:
    """The documented example order (orders-endpoint.md) with top-level ``changes``."""
    order = copy.deepcopy(DOCUMENTED_ORDER)
    order["id"] = order_id
    order.update(changes)
    return order


def raw_product(name: str = "Plov", *, price: Any = 12, count: Any = 1, **extra: Any) -> dict:
    return {
        "product_id": 77,
        "count": count,
        "product_modificators": extra.pop("product_modificators", []),
        "meta": {
            "price": price,
            "order_product": {
                "count": count,
                "status": extra.pop("status", "new"),
                "product_modificators": extra.pop("nested_modificators", []),
                "product": {"id": 77, "name": name, "price": price},
            },
        },
        **extra,
    }


def with_products(*products: dict, order_id: int = 1) -> dict:
    order = raw_order(order_id)
    order["payload"]["products"] = list(products)
    return order


# --- The documented order -------------------------------------------------------------------


def test_documented_example_order_parses_into_every_column():
    order = parse_order(raw_order())

    assert order.id == 1
    assert order.venue_id == 1
    assert order.sale_type_id == 2
    assert order.type == "CALL_CENTER_ORDER"
    assert order.integration == "call_center_new"
    assert order.integration_uuid is None
    assert order.integration_status == "CREATED"
    assert order.status == "RECEIVED"
    assert order.customer_remote_id == "1"
    assert order.customer_name == "Rahid Akhundzada"
    assert order.customer_phone == "+994705401040"
    assert order.customer_address == "123 Main St"
    assert order.comment == "Leave at the door"
    assert order.discount_type == "1"
    assert order.discount_value == Decimal("10")
    assert order.service_charge_enabled is True
    assert order.service_charge_value == Decimal("5")
    assert order.delivery_fee == Decimal("2.5")
    assert order.created_at == datetime(2026, 2, 2, 13, 45, 53, tzinfo=UTC)
    assert order.updated_at == datetime(2026, 2, 2, 17, 46, 2, tzinfo=UTC)
    assert order.warnings == ()


def test_documented_example_item_takes_name_price_and_status_from_meta():
    (item,) = parse_order(raw_order()).items

    assert item.name == "Pizza"
    assert item.product_id == 51
    assert item.count == Decimal(2)
    assert item.price == Decimal("8.5")
    assert item.line_total == Decimal("17")
    assert item.status == "new"
    assert item.portion_size == Decimal(1)
    assert item.modifiers == ()


def test_order_totals_sum_counts_and_priced_lines():
    order = parse_order(
        with_products(
            raw_product("Plov", price=12, count=1), raw_product("Ayran", price=2, count=3)
        )
    )

    assert order.item_count == Decimal(4)
    assert order.items_total == Decimal(18)


def test_items_total_is_none_when_no_item_has_a_price():
    order = parse_order(with_products({"product_id": 5, "product_name": "Secret", "count": 1}))

    assert order.items[0].price is None
    assert order.items[0].line_total is None
    assert order.items_total is None


def test_raw_payload_is_kept_whole_including_unknown_fields():
    raw = raw_order(brand_new_field={"nested": [1, 2]})

    order = parse_order(raw)

    assert order.raw == raw
    assert order.raw["brand_new_field"] == {"nested": [1, 2]}


def test_content_hash_changes_with_the_content_and_not_with_key_order():
    raw = raw_order()
    reordered = dict(reversed(list(raw.items())))

    assert parse_order(raw).content_hash == parse_order(reordered).content_hash
    assert parse_order(raw).content_hash != parse_order(raw_order(status="DELIVERED")).content_hash
    assert len(content_hash(raw)) == 64


def test_search_text_covers_customer_products_and_phone_digits():
    order = parse_order(raw_order())

    assert "#1" in order.search_text
    assert "rahid akhundzada" in order.search_text
    assert "pizza" in order.search_text
    assert "leave at the door" in order.search_text
    assert "705401040" in order.search_text


# --- Item fallbacks -----------------------------------------------------------------------------


def test_item_name_falls_back_to_product_name_then_name():
    order = parse_order(
        with_products(
            {"product_id": 1, "product_name": "Dolma", "count": 1, "price": 9},
            {"product_id": 2, "name": "Qutab", "count": 2, "price": "3.5"},
        )
    )

    assert [i.name for i in order.items] == ["Dolma", "Qutab"]
    assert [i.price for i in order.items] == [Decimal(9), Decimal("3.5")]
    assert order.items_total == Decimal(16)


def test_item_without_any_name_is_named_after_its_product_with_a_warning():
    order = parse_order(with_products({"product_id": 44, "count": 1}))

    assert order.items[0].name == "Product #44"
    assert "item 1 has no product name" in order.warnings


def test_item_note_comes_from_note_or_comment_and_status_from_the_item():
    order = parse_order(
        with_products(
            {"product_name": "Plov", "count": 1, "note": "No onions", "status": "cooking"},
            {"product_name": "Tea", "count": 1, "comment": "Lemon on the side"},
        )
    )

    assert [i.note for i in order.items] == ["No onions", "Lemon on the side"]
    assert order.items[0].status == "cooking"
    assert "no onions" in order.search_text


def test_item_without_count_counts_as_one_with_a_warning():
    order = parse_order(with_products({"product_name": "Plov", "price": 12}))

    assert order.items[0].count == Decimal(1)
    assert order.items_total == Decimal(12)
    assert "item 1 has no count; shown as 1" in order.warnings


def test_item_that_is_not_an_object_is_kept_as_text():
    order = parse_order(with_products("2x Plov"))

    assert order.items[0].name == "2x Plov"
    assert any("not an object" in w for w in order.warnings)


# --- Every modifier shape -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shape", "modifier_id", "name", "count", "price"),
    [
        (
            {"modifier_id": 7, "modifier_name": "Extra cheese", "count": 2, "price": 1.5},
            "modifier",
            7,
            "Extra cheese",
            Decimal(2),
            Decimal("1.5"),
        ),
        (
            {"modificator_id": 8, "name": "Spicy", "count": 1, "price": 0},
            "modificator",
            8,
            "Spicy",
            Decimal(1),
            Decimal(0),
        ),
        (
            {"id": 9, "name": "Large", "count": "1", "price": "2.00"},
            "id_name",
            9,
            "Large",
            Decimal(1),
            Decimal(2),
        ),
        (
            {"modificator": {"id": 10, "name": "Garlic sauce", "price": 0.5}, "count": 3},
            "nested",
            10,
            "Garlic sauce",
            Decimal(3),
            Decimal("0.5"),
        ),
        (
            {"modificator": {"id": 11, "name": "Lemon", "price": 0.5}, "count": 1, "price": 0.7},
            "nested",
            11,
            "Lemon",
            Decimal(1),
            Decimal("0.7"),
        ),
    ],
)
def test_every_published_modifier_shape_is_read(raw, shape, modifier_id, name, count, price):
    order = parse_order(with_products(raw_product(product_modificators=[raw])))

    (modifier,) = order.items[0].modifiers
    assert modifier.shape == shape
    assert modifier.modifier_id == modifier_id
    assert modifier.name == name
    assert modifier.count == count
    assert modifier.price == price
    assert modifier.raw == raw
    assert order.warnings == ()


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ({"option": "no ice", "qty": 1}, '{"option":"no ice","qty":1}'),
        ("Extra lemon", "Extra lemon"),
        (42, "42"),
        (["a", "b"], '["a","b"]'),
    ],
)
def test_unknown_modifier_shape_is_kept_as_raw_text_never_dropped(raw, text):
    order = parse_order(with_products(raw_product(product_modificators=[raw])))

    (modifier,) = order.items[0].modifiers
    assert modifier.shape == "unknown"
    assert modifier.name == text
    assert modifier.raw == raw
    assert any("unknown shape" in w for w in order.warnings)
    assert text.lower()[:6] in order.search_text


def test_modifiers_fall_back_to_the_nested_order_product_list():
    nested = [{"modifier_id": 3, "modifier_name": "Sesame"}]
    order = parse_order(with_products(raw_product(nested_modificators=nested)))

    assert [m.name for m in order.items[0].modifiers] == ["Sesame"]


def test_modifiers_from_the_create_body_key_are_read_too():
    product = {"product_name": "Burger", "count": 1, "price": 9}
    product["modifiers"] = [{"modifier_id": 1, "modifier_name": "Bacon", "price": 2}]

    order = parse_order(with_products(product))

    assert [m.name for m in order.items[0].modifiers] == ["Bacon"]


def test_known_shape_without_a_name_shows_its_raw_text():
    modifier = parse_modifier({"modifier_id": 5}, position=0, notes=Notes(), where="item 1")

    assert modifier.shape == "modifier"
    assert modifier.name == '{"modifier_id":5}'


def test_modifier_names_are_searchable():
    mods = [{"modifier_id": 1, "modifier_name": "Əlavə pendir"}]
    order = parse_order(with_products(raw_product(product_modificators=mods)))

    assert "elave pendir" in order.search_text


# --- Missing blocks -----------------------------------------------------------------------------


def test_null_customer_leaves_the_customer_columns_empty():
    raw = raw_order()
    raw["payload"]["customer"] = None

    order = parse_order(raw)

    assert (order.customer_name, order.customer_phone, order.customer_address) == ("", "", "")
    assert order.customer_remote_id == ""
    assert order.warnings == ()


def test_missing_payload_is_an_order_without_items():
    raw = raw_order()
    del raw["payload"]

    order = parse_order(raw)

    assert order.items == ()
    assert order.item_count == 0
    assert order.items_total is None
    assert order.sale_type_id is None
    assert order.delivery_fee is None
    assert order.venue_id == 1


@pytest.mark.parametrize("block", ["meta", "service", "customer", "products"])
def test_each_missing_payload_block_is_tolerated(block):
    raw = raw_order()
    del raw["payload"][block]

    order = parse_order(raw)

    assert order.id == 1
    assert order.raw == raw


def test_sale_type_falls_back_to_the_payload_level_field():
    raw = raw_order()
    del raw["payload"]["service"]
    raw["payload"]["sale_type_id"] = 3

    assert parse_order(raw).sale_type_id == 3


def test_service_charge_and_discount_from_the_create_body_shape():
    raw = raw_order()
    raw["payload"]["meta"] = {"comment": None}
    raw["payload"]["service_charge"] = {"enabled": False, "value": 0}
    raw["payload"]["discount"] = {"discount_type": 0, "discount_value": 0}
    raw["payload"]["comment"] = "Ring twice"

    order = parse_order(raw)

    assert order.service_charge_enabled is False
    assert order.service_charge_value == 0
    assert order.discount_type == "0"
    assert order.comment == "Ring twice"


def test_unknown_status_is_kept_as_given():
    assert parse_order(raw_order(status="COOKING")).status == "COOKING"


def test_missing_updated_at_falls_back_to_created_at_with_a_warning():
    raw = raw_order()
    del raw["updated_at"]

    order = parse_order(raw)

    assert order.updated_at == order.created_at
    assert any("updated_at" in w for w in order.warnings)


# --- Numbers and timestamps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4, Decimal(4)),
        (8.5, Decimal("8.5")),
        (0.1, Decimal("0.1")),
        ("8.50", Decimal("8.5")),
        ("8,50", Decimal("8.5")),
        ("30000", Decimal(30000)),
        (" 2.5 ", Decimal("2.5")),
        ("1e2", Decimal(100)),
    ],
)
def test_numbers_as_int_float_or_text_become_decimals(value, expected):
    assert to_decimal(value, what="price", notes=Notes()) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", True, {"a": 1}, [1], "1.2.3", 1e12])
def test_bad_numbers_become_none_and_a_warning(value):
    notes = Notes()

    assert to_decimal(value, what="item 1 price", notes=notes) is None
    assert notes.items and notes.items[0].startswith("item 1 price")


def test_bad_price_does_not_stop_the_order_from_parsing():
    order = parse_order(with_products(raw_product(price="free"), raw_product("Tea", price=2)))

    assert order.items[0].price is None
    assert order.items_total == Decimal(2)
    assert any("item 1 price" in w for w in order.warnings)


def test_bad_delivery_fee_becomes_none_with_a_warning():
    raw = raw_order()
    raw["payload"]["delivery_fee"] = "two manat"

    order = parse_order(raw)

    assert order.delivery_fee is None
    assert any("delivery fee" in w for w in order.warnings)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-02T13:45:53.000000Z", datetime(2026, 2, 2, 13, 45, 53, tzinfo=UTC)),
        ("2026-02-02T13:45:53Z", datetime(2026, 2, 2, 13, 45, 53, tzinfo=UTC)),
        ("2026-02-02T17:45:53+04:00", datetime(2026, 2, 2, 13, 45, 53, tzinfo=UTC)),
        ("2026-02-02 13:45:53", datetime(2026, 2, 2, 13, 45, 53, tzinfo=UTC)),
        ("2026-02-02T13:45:53.123456789Z", datetime(2026, 2, 2, 13, 45, 53, 123456, tzinfo=UTC)),
        (1767852332, datetime.fromtimestamp(1767852332, tz=UTC)),
        (1767852332000, datetime.fromtimestamp(1767852332, tz=UTC)),
    ],
)
def test_timestamps_in_every_spelling_become_aware_utc(value, expected):
    parsed = parse_timestamp(value)

    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)


def test_offset_timestamps_keep_the_instant():
    parsed = parse_timestamp("2026-02-02T10:00:00-03:00")

    assert parsed == datetime(2026, 2, 2, 10, 0, tzinfo=timezone(timedelta(hours=-3)))


@pytest.mark.parametrize("value", [None, "", "yesterday", "2026-13-45", True, {"at": 1}])
def test_unreadable_timestamps_are_none(value):
    assert parse_timestamp(value) is None


# --- Unusable orders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not an order", "order is not a JSON object (str)"),
        ([1, 2], "order is not a JSON object (list)"),
        ({"status": "PENDING"}, "order has no id"),
        (
            {"id": "ORD-12345", "created_at": "2026-02-02 13:45:53"},
            "order id 'ORD-12345' is not a number",
        ),
        ({"id": 5}, "order has no created_at"),
        ({"id": 5, "created_at": "soon"}, "created_at 'soon' is not a date and time"),
    ],
)
def test_unusable_orders_raise_payload_error_with_a_reason(raw, reason):
    with pytest.raises(PayloadError) as caught:
        parse_order(raw)

    assert caught.value.reason == reason


def test_payload_error_carries_the_remote_id_when_there_is_one():
    with pytest.raises(PayloadError) as caught:
        parse_order({"id": 77, "created_at": None})

    assert caught.value.remote_id == "77"


@pytest.mark.parametrize("bad_id", [2**63, "9999999999999999999", 1e30, float("inf")])
def test_ids_too_large_for_the_database_are_refused(bad_id):
    with pytest.raises(PayloadError):
        parse_order(raw_order(order_id=bad_id))


def test_reference_ids_too_large_for_the_database_become_none():
    order = parse_order(raw_order(venue_id=9.223372036854776e18))

    assert order.venue_id is None


def test_numeric_text_id_is_accepted():
    assert parse_order(raw_order(order_id="1234")).id == 1234  # type: ignore[arg-type]


# --- Hostile text -------------------------------------------------------------------------------


def test_hostile_text_is_kept_verbatim_as_text():
    script = "<script>alert(1)</script>"
    img = '"><img src=x onerror=alert(1)>'
    raw = raw_order()
    raw["payload"]["customer"]["name"] = script
    raw["payload"]["meta"]["comment"] = img
    raw["payload"]["products"][0]["meta"]["order_product"]["product"]["name"] = img
    raw["payload"]["products"][0]["product_modificators"] = [
        {"modifier_id": 1, "modifier_name": script}
    ]

    order = parse_order(raw)

    assert order.customer_name == script
    assert order.comment == img
    assert order.items[0].name == img
    assert order.items[0].modifiers[0].name == script


def test_overlong_text_is_cut_to_fit_its_column():
    raw = raw_order()
    raw["payload"]["customer"]["name"] = "A" * 1000
    raw["payload"]["customer"]["phone"] = "9" * 200

    order = parse_order(raw)

    assert len(order.customer_name) == 255
    assert len(order.customer_phone) == 64


def test_nan_infinity_nul_and_lone_surrogates_are_cleaned_so_any_database_can_store_them():
    raw = raw_order()
    raw["payload"]["delivery_fee"] = float("nan")
    raw["payload"]["meta"]["service_charge_value"] = float("inf")
    raw["payload"]["customer"]["name"] = "Ali\x00 Veli\ud800"
    raw["payload"]["customer"]["address"] = "Baku 🍕"  # a real pair stays as it is

    order = parse_order(raw)

    assert order.delivery_fee is None and order.service_charge_value is None
    assert order.customer_name == "Ali Veli\ufffd"
    assert order.customer_address == "Baku 🍕"
    assert order.raw["payload"]["delivery_fee"] == "NaN"
    assert order.raw["payload"]["meta"]["service_charge_value"] == "Infinity"
    assert any("stored cleaned" in w for w in order.warnings)
    assert json.loads(order.raw_json) == order.raw


# --- Canonical JSON (orjson, checked against the standard library) ------------------------------


def _stdlib(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_means_what_the_standard_library_means(value):
    try:
        expected = json.loads(_stdlib(value))
    except ValueError:
        with pytest.raises(ValueError):
            canonical_json(value)
        return
    text = canonical_json(value)
    assert json.loads(text) == expected
    if isinstance(value, dict):  # the same content in another key order: the same text
        assert canonical_json(dict(reversed(list(value.items())))) == text


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), -float("nan")])
def test_canonical_json_refuses_nan_and_infinity_wherever_they_hide(bad):
    with pytest.raises(ValueError):
        canonical_json({"payload": {"products": [{"meta": {"price": bad}}]}})


@pytest.mark.parametrize(
    "value",
    [
        15_761_223,  # pickles as 47 7f f0 00: the same bytes as a non-finite float's start
        "G\x7f\U0001f355",  # and inside a string
        1e308,
        -0.0,
        5e-324,
    ],
)
def test_canonical_json_is_not_fooled_by_bytes_that_look_like_infinity(value):
    raw = raw_order(customer_ref_id=value)
    assert json.loads(canonical_json(raw))["customer_ref_id"] == value
    assert not any("stored cleaned" in w for w in parse_order(raw).warnings)


def test_clean_payloads_are_kept_as_the_very_same_object():
    raw = raw_order()

    assert parse_order(raw).raw is raw


# --- Reference data -----------------------------------------------------------------------------


def test_venues_and_sale_types_parse_with_their_names():
    venue = parse_venue({"id": 1, "name": "Main", "is_main": 1, "media": []})
    sale_type = parse_sale_type(
        {"id": "2", "name": "Catdirilma", "system_type": "DELIVERY", "channel": "web"}
    )

    assert (venue.id, venue.name) == (1, "Main")
    assert (sale_type.id, sale_type.name, sale_type.system_type) == (2, "Catdirilma", "DELIVERY")
    assert sale_type.channel == "web"


def test_venue_without_an_id_is_refused():
    with pytest.raises(PayloadError):
        parse_venue({"name": "Nowhere"})


# --- Anything at all ----------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
order_keys = st.sampled_from(
    [
        "payload",
        "status",
        "venue_id",
        "type",
        "integration",
        "integration_uuid",
        "customer_ref_id",
        "updated_at",
    ]
)
payload_keys = st.sampled_from(
    ["products", "customer", "meta", "service", "delivery_fee", "discount", "service_charge"]
)
product_keys = st.sampled_from(
    ["product_id", "count", "price", "meta", "product_modificators", "modifiers", "name", "note"]
)


@st.composite
def messy_orders(draw):
    """Orders with a usable id and created_at and anything at all in every other place."""
    order = {"id": draw(st.integers(1, 10**12)), "created_at": "2026-02-02T13:45:53Z"}
    order.update(draw(st.dictionaries(order_keys, json_values, max_size=6)))
    if draw(st.booleans()):
        payload = draw(st.dictionaries(payload_keys, json_values, max_size=6))
        payload["products"] = draw(
            st.lists(st.dictionaries(product_keys, json_values, max_size=6), max_size=3)
        )
        order["payload"] = payload
    return order


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_either_parses_or_raises_payload_error(value):
    try:
        parse_order(value)
    except PayloadError as exc:
        assert exc.reason


@settings(max_examples=150, deadline=None)
@given(messy_orders())
def test_an_order_with_an_id_and_created_at_always_parses_into_columns_that_fit(raw):
    order = parse_order(raw)

    assert order.id == raw["id"]
    assert order.created_at.tzinfo is not None
    for text, limit in (
        (order.status, 32),
        (order.type, 64),
        (order.customer_name, 255),
        (order.customer_phone, 64),
    ):
        assert isinstance(text, str) and len(text) <= limit
    amounts = [order.discount_value, order.delivery_fee, order.service_charge_value]
    amounts += [i.price for i in order.items] + [i.count for i in order.items]
    assert all(a is None or (a.is_finite() and abs(a) < 10**10) for a in amounts)
    assert order.items_total is None or abs(order.items_total) < 10**12
    assert all(len(m.name) <= 255 for i in order.items for m in i.modifiers)
