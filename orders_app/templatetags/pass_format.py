"""Formatting shared by the board and the wall: money, counts, status labels, timestamps."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from orders_app import formatting, vocabulary
from orders_app.timestamps import iso_exact, iso_utc

register = template.Library()


register.filter("money", formatting.money)
register.filter("qty", formatting.qty)
register.filter("span", formatting.span)
register.filter("percent", formatting.percent)


@register.filter
def status_label(status: str) -> str:
    return vocabulary.status_label(status)


@register.filter
def in_english(text: str) -> SafeString:
    """Text Pass keeps in English (a sync error's own words, for whoever fixes it), marked as
    such for screen readers and translators' checks: <span lang="en">…</span>."""
    return format_html('<span lang="en">{}</span>', text)


@register.filter
def iso(value: datetime | None, form: str = "") -> str:
    """A timestamp for the browser: ISO 8601 in UTC to the second ("2026-02-02T13:45:53Z"), or
    with ``iso:"exact"`` the value's own isoformat, microseconds and offset kept (the board
    compares those as text)."""
    return iso_exact(value) if form == "exact" else iso_utc(value)
