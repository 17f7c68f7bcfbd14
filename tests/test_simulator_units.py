"""The simulator's small parts on their own: bracket parsing, HS256 tokens, the rate limiter."""

from __future__ import annotations

import pytest

from orders_app.clopos.simulator import jwt
from orders_app.clopos.simulator.query import as_list, parse_brackets
from orders_app.clopos.simulator.ratelimit import SlidingWindowLimiter


def test_brackets_nest_and_empty_brackets_append():
    parsed = parse_brackets(
        "with[]=customer&with[]=receipt&filters[0][0]=type&filters[0][1][0]=WOLT_ORDER"
        "&filters[0][1][1]=BOLT_FOOD_ORDER&sort[0]=id&page=2"
    )

    assert parsed == {
        "with": {"0": "customer", "1": "receipt"},
        "filters": {"0": {"0": "type", "1": {"0": "WOLT_ORDER", "1": "BOLT_FOOD_ORDER"}}},
        "sort": {"0": "id"},
        "page": "2",
    }


def test_bracket_lists_come_back_in_numeric_order():
    parsed = parse_brackets("with[10]=b&with[2]=a&with[0]=z")

    assert as_list(parsed["with"]) == ["z", "a", "b"]


def test_percent_encoded_brackets_parse_like_literal_ones():
    assert parse_brackets("date%5B0%5D=2026-02-01") == parse_brackets("date[0]=2026-02-01")


def test_a_token_round_trips_and_a_changed_one_does_not():
    token = jwt.encode({"brand": "pass-demo", "exp": 1}, "key")
    head, body, signature = token.split(".")

    assert jwt.decode(token, "key") == {"brand": "pass-demo", "exp": 1}
    with pytest.raises(jwt.InvalidToken):
        jwt.decode(token, "another key")
    with pytest.raises(jwt.InvalidToken):
        jwt.decode(f"{head}.{body}x.{signature}", "key")


def test_the_window_slides_rather_than_resetting_on_the_minute():
    limiter = SlidingWindowLimiter(2, 60.0)

    first = limiter.hit("k", now=0.0)
    second = limiter.hit("k", now=30.0)
    refused = limiter.hit("k", now=59.0)
    freed = limiter.hit("k", now=60.5)

    assert (first.remaining, second.remaining) == (1, 0)
    assert not refused.allowed
    assert refused.reset == 1
    assert freed.allowed
    assert freed.reset == 30
