"""Template helpers for the wall screen (its timestamps: ``iso`` in pass_format)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def tz_offset_minutes() -> int:
    """The venue time zone's current UTC offset: the wall clock and opening hours use it."""
    offset = timezone.localtime().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@register.simple_tag
def local_time(value: datetime | None, fmt: str = "%H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


@register.filter
def short_error(text: str, limit: int = 140) -> str:
    """The last sync error as one short line for a banner."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@register.filter
def seconds(minutes: float | None) -> int:
    return round(float(minutes) * 60) if minutes is not None else 0
