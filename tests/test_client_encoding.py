"""PHP/Laravel bracket encoding of Clopos query strings (pure functions, no HTTP)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qsl, unquote

import pytest

from orders_app.clopos.query import encode_query, orders_query, php_pairs


def decoded(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What a server sees after decoding the query string we send."""
    return parse_qsl(encode_query(pairs), keep_blank_values=True)


def test_relations_are_indexed_with_brackets() -> None:
    pairs = orders_query(with_=["customer", "receipt"], sort=None)
    assert pairs[-2:] == [("with[0]", "customer"), ("with[1]", "receipt")]


def test_date_range_is_sent_as_date_0_and_date_1() -> None:
    pairs = dict(orders_query(date_from=date(2026, 2, 1), date_to=date(2026, 2, 3)))
    assert pairs["date[0]"] == "2026-02-01"
    assert pairs["date[1]"] == "2026-02-03"


def test_datetimes_in_a_date_range_are_sent_as_plain_dates() -> None:
    pairs = dict(orders_query(date_from=datetime(2026, 2, 1, 23, 30), date_to=date(2026, 2, 2)))
    assert pairs["date[0]"] == "2026-02-01"


def test_an_open_ended_date_range_still_sends_both_ends() -> None:
    pairs = dict(orders_query(date_from=date(2026, 2, 1), today=date(2026, 2, 10)))
    assert pairs["date[0]"] == "2026-02-01"
    assert pairs["date[1]"] == "2026-02-11"


def test_no_dates_means_no_date_keys() -> None:
    keys = [key for key, _ in orders_query()]
    assert not [key for key in keys if key.startswith("date")]


def test_sort_field_and_direction_go_in_sort_0_and_sort_1() -> None:
    pairs = dict(orders_query(sort="created_at", direction=1))
    assert pairs["sort[0]"] == "created_at"
    assert pairs["sort[1]"] == "1"


def test_default_sort_is_updated_at_descending() -> None:
    pairs = dict(orders_query())
    assert (pairs["sort[0]"], pairs["sort[1]"]) == ("updated_at", "-1")


def test_a_direction_other_than_1_or_minus_1_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        orders_query(direction=0)


def test_scalar_filters_become_filters_n_0_and_n_1() -> None:
    pairs = orders_query(filters=[("venue_id", 2), ("status", "PENDING")], sort=None)
    assert pairs[2:] == [
        ("filters[0][0]", "venue_id"),
        ("filters[0][1]", "2"),
        ("filters[1][0]", "status"),
        ("filters[1][1]", "PENDING"),
    ]


def test_list_filter_values_become_filters_n_1_m() -> None:
    pairs = orders_query(filters=[("id", [1, 332])], sort=None)
    assert pairs[2:] == [
        ("filters[0][0]", "id"),
        ("filters[0][1][0]", "1"),
        ("filters[0][1][1]", "332"),
    ]


def test_php_pairs_writes_booleans_as_1_and_0_and_none_as_empty() -> None:
    assert php_pairs("f", [True, False, None]) == [("f[0]", "1"), ("f[1]", "0"), ("f[2]", "")]


def test_php_pairs_nests_mappings_by_key() -> None:
    assert php_pairs("a", {"b": [1]}) == [("a[b][0]", "1")]


def test_query_order_is_fixed_page_limit_status_with_date_sort_filters() -> None:
    pairs = orders_query(
        page=3,
        limit=50,
        status="PENDING",
        with_=["receipt"],
        date_from=date(2026, 1, 1),
        date_to=date(2026, 1, 2),
        filters=[("venue_id", 1)],
    )
    assert [key for key, _ in pairs] == [
        "page",
        "limit",
        "status",
        "with[0]",
        "date[0]",
        "date[1]",
        "sort[0]",
        "sort[1]",
        "filters[0][0]",
        "filters[0][1]",
    ]


def test_brackets_are_percent_encoded_like_phps_http_build_query() -> None:
    text = encode_query([("filters[0][1][0]", "1")])
    assert text == "filters%5B0%5D%5B1%5D%5B0%5D=1"


def test_the_receipt_relation_is_encoded_as_the_docs_show() -> None:
    text = encode_query([("with[0]", "receipt:id,service_notification_id,status")])
    assert text.endswith("=receipt%3Aid%2Cservice_notification_id%2Cstatus")


def test_a_server_decoding_the_query_sees_the_literal_bracket_keys() -> None:
    pairs = orders_query(filters=[("name", ["Ağ & Qara", "Борщ=1"])], sort=None)
    assert decoded(pairs) == pairs
    assert "[" not in encode_query(pairs)
    assert unquote(encode_query(pairs)).count("filters[0][1][1]") == 1


def test_values_with_ampersands_equals_and_unicode_survive_the_round_trip() -> None:
    pairs = [("status", "A&B=C"), ("filters[0][1]", "Şəki küçəsi 5 / #2")]
    assert decoded(pairs) == pairs
