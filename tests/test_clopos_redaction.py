"""The one secret redaction (orders_app/clopos/redaction.py), for client errors and access logs."""

from __future__ import annotations

from orders_app.clopos.redaction import redact


def test_known_secret_values_become_stars():
    text = "bad secret s3cr3t-value for token tok-123456"
    assert redact(text, secrets=["s3cr3t-value", "tok-123456", None, ""]) == (
        "bad secret *** for token ***"
    )


def test_values_too_short_to_be_secrets_are_left_alone():
    assert redact("a abc b", secrets=["abc"]) == "a abc b"


def test_named_query_parameters_lose_their_values():
    line = '"GET /wall/?venue=1&key=abc_DEF-123&x=2 HTTP/1.1" 302'
    assert redact(line, query_params=("key",)) == (
        '"GET /wall/?venue=1&key=[redacted]&x=2 HTTP/1.1" 302'
    )
    assert redact("/wall/?monkey=1", query_params=("key",)) == "/wall/?monkey=1"
