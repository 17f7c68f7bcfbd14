"""Template helpers for the board and the order page: times, durations, status badges.

No helper here reads the database: the views hand every template the sync health it shows."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.safestring import SafeString

from orders_app import formatting
from orders_app.fastpaths import order_rows_html
from orders_app.forms.board import board_querystring
from orders_app.vocabulary import order_type_label

register = template.Library()

register.simple_tag(formatting.status_icon, name="status_icon")
register.simple_tag(formatting.status_badge, name="status_badge")
register.simple_tag(formatting.stage_badge, name="stage_badge")
register.filter("shows_stage", formatting.shows_stage)
register.filter("age", formatting.age)
register.filter("ago", formatting.ago)
register.filter("duration", formatting.duration)


@register.filter
def tel_href(phone: str) -> str:
    """A phone as a tel: URI: the digits, with a leading + kept."""
    phone = (phone or "").strip()
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return ""
    return f"tel:+{digits}" if phone.startswith("+") else f"tel:{digits}"


@register.filter
def humanize_channel(value: str) -> str:
    """CALL_CENTER_ORDER -> Call centre order; call_center_new stays as given."""
    return order_type_label(value)


@register.filter
def weekday_name(weekday: int | None) -> str:
    """An ISO weekday (1 Monday … 7 Sunday) in the active language."""
    if weekday is None or not 1 <= int(weekday) <= 7:
        return ""
    return str(WEEKDAYS[int(weekday) - 1])


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


def _sync_context(context: template.Context, oob: bool) -> dict[str, Any]:
    # ``sync``: from the view, else the lazy one orders_app.context_processors adds.
    return {"sync": context.get("sync"), "oob": oob, "now": timezone.now()}


@register.inclusion_tag("orders_app/board_sync_status.html", takes_context=True)
def sync_status(context: template.Context, oob: bool = False) -> dict[str, Any]:
    """The header's "synced 8 s ago" (ticking in board.js) and the DEMO badge."""
    return _sync_context(context, oob)


@register.inclusion_tag("orders_app/board_sync_banner.html", takes_context=True)
def sync_banner(context: template.Context, oob: bool = False) -> dict[str, Any]:
    """An amber (stale) or red (failing) banner with the last error in plain words."""
    return _sync_context(context, oob)


@register.simple_tag
def board_query(filters: Any, **overrides: Any) -> str:
    """The board's query string for ``filters`` with some values replaced (page=2, ...)."""
    return board_querystring(filters, **overrides)


@register.simple_tag(takes_context=True)
def order_rows(context: template.Context, orders: list) -> SafeString:
    """The page's rows through the fast renderer (orders_app/fastpaths/board_rows.py); the
    partial board.html#order-rows is its plain twin."""
    return order_rows_html(orders, now=context.get("now"))
