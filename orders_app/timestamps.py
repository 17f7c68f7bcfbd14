"""Datetimes in and out: aware datetimes from raw SQL rows, ISO 8601 text for the browser."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime


def aware(value: datetime | str | None) -> datetime | None:
    """A datetime column read through the bare cursor, as an aware datetime (UTC if naive).

    SQLite hands such columns back as text when the ORM's converters are not in the way."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
        if value is None:
            return None
    return timezone.make_aware(value, UTC) if timezone.is_naive(value) else value


def iso_utc(value: datetime | None) -> str:
    """ISO 8601 in UTC to the second ("2026-02-02T13:45:53Z"): what the wall's timers parse."""
    if not value:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    # isoformat, not strftime: the wall's poll runs this twice per request, and strftime is
    # far slower.
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso_exact(value: datetime | None) -> str:
    """The datetime's own isoformat(), microseconds and offset kept: the board compares these
    stamps as text to tell whether an order changed, so they must not round."""
    return value.isoformat() if value else ""
