"""Formatting shared by the board and the wall: money, counts, status labels, timestamps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings

from orders_app import vocabulary
from orders_app.timestamps import iso_exact, iso_utc

register = template.Library()


@register.filter
def money(value) -> str:
    """A figure as given by Clopos, divided by MONEY_DIVISOR, with the currency sign."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)) / Decimal(settings.MONEY_DIVISOR)
    except (InvalidOperation, ValueError):
        return str(value)
    places = settings.MONEY_DECIMALS
    return f"{settings.CURRENCY}{amount:,.{places}f}"


@register.filter
def qty(value) -> str:
    """A count without trailing zeros: 2, 0.5, 1.25."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


@register.filter
def status_label(status: str) -> str:
    return vocabulary.status_label(status)


@register.filter
def iso(value: datetime | None, form: str = "") -> str:
    """A timestamp for the browser: ISO 8601 in UTC to the second ("2026-02-02T13:45:53Z"), or
    with ``iso:"exact"`` the value's own isoformat, microseconds and offset kept (the board
    compares those as text)."""
    return iso_exact(value) if form == "exact" else iso_utc(value)
