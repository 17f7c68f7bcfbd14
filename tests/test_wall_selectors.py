"""Wall selectors and options: thresholds, all-day counts, URL parameters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from orders_app.forms.wall import wall_options
from orders_app.models import Order
from orders_app.selectors.wall import (
    Thresholds,
    WallCard,
    WallItem,
    WallModifier,
    age_thresholds,
    all_day_counts,
)
from orders_app.vocabulary import WALL_DEFAULT_COLUMNS as DEFAULT_COLUMNS
from orders_app.vocabulary import wall_channel_label
from orders_app.vocabulary import wall_column_label as column_label


def channel_label(order: Order) -> str:
    return wall_channel_label(integration=order.integration, order_type=order.type)


def test_age_thresholds_parse_and_skip_malformed_entries():
    parsed = age_thresholds(
        ["PENDING=2:5", "received=15:25", "DELIVERED=oops", "IGNORE=5:1", "junk"]
    )
    assert parsed == {"PENDING": Thresholds(2, 5), "RECEIVED": Thresholds(15, 25)}


def _card(items) -> WallCard:
    return WallCard(
        id=1, status="PENDING", created_at=None, updated_at=None, channel="", sale_kind="",
        sale_type_name="", customer_name="", comment="", items=tuple(items), expires_at=None,
    )  # fmt: skip


def test_all_day_counts_sum_items_and_modifiers_per_unit_and_cap_the_list():
    pizza = WallItem("Pizza", Decimal(2), (WallModifier("Extra cheese", Decimal(1)),), "")
    plov = WallItem("Plov", Decimal(1), (), "")
    lines, omitted = all_day_counts([_card([pizza, plov]), _card([pizza])])
    assert [(line.name, line.count) for line in lines] == [("Pizza", 4), ("Plov", 1)]
    assert dict(lines[0].modifiers) == {"Extra cheese": 4}
    assert omitted == 0
    many = [_card([WallItem(f"Dish {n}", Decimal(1), (), "")]) for n in range(5)]
    lines, omitted = all_day_counts(many, limit=3)
    assert len(lines) == 3 and omitted == 2


def test_channel_and_column_labels_read_well():
    assert channel_label(Order(integration="call_center_new")) == "Call centre"
    assert channel_label(Order(integration="bolt_food")) == "Bolt Food"
    assert channel_label(Order(integration="", type="CALL_CENTER_ORDER")) == "Call centre"
    assert column_label("DELIVERED") == "Done"
    assert column_label("PENDING") == "New"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"venue": None, "channels": (), "columns": DEFAULT_COLUMNS, "theme": "dark"}),
        ("venue=2&channel=wolt&channel=web", {"venue": 2, "channels": ("wolt", "web")}),
        ("status=received&status=PENDING", {"columns": ("PENDING", "RECEIVED")}),
        ("status=IGNORE", {"columns": ("IGNORE",)}),
        ("theme=LIGHT&dim=off&allday=0", {"theme": "light", "dim": "off", "all_day": False}),
    ],
)
def test_wall_options_from_the_url(query, expected):
    options = wall_options(QueryDict(query))
    for name, value in expected.items():
        assert getattr(options, name) == value
    assert options.notices == ()


def test_options_survive_the_round_trip_into_the_poll_url():
    options = wall_options(QueryDict("venue=2&channel=wolt&status=RECEIVED&theme=light&allday=0"))
    again = wall_options(QueryDict("&".join(f"{k}={v}" for k, v in options.query_items())))
    assert again == options


def test_a_bad_value_falls_back_to_the_default_with_a_notice():
    options = wall_options(QueryDict("status=PENDING&status=LUNCH&venue=2"))
    assert options.columns == DEFAULT_COLUMNS
    assert options.venue == 2
    assert len(options.notices) == 1 and "status=PENDING, LUNCH" in options.notices[0]
