"""Template helpers for the board and the order page: times, durations, status badges."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from orders_app.selectors.sync import SyncHealth, sync_health

register = template.Library()

# Small inline SVG shapes so a status reads without colour: ring, half disc, tick, cross.
_ICONS = {
    "PENDING": '<circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<circle cx="8" cy="8" r="2" fill="currentColor"/>',
    "RECEIVED": '<circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path d="M8 2.5a5.5 5.5 0 0 1 0 11z" fill="currentColor"/>',
    "DELIVERED": '<path d="M3 8.5l3.2 3.2L13 4.8" fill="none" stroke="currentColor" '
    'stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>',
    "IGNORE": '<path d="M4.2 4.2l7.6 7.6M11.8 4.2l-7.6 7.6" fill="none" stroke="currentColor" '
    'stroke-width="2.2" stroke-linecap="round"/>',
}
_UNKNOWN_ICON = '<path d="M8 2l6 6-6 6-6-6z" fill="none" stroke="currentColor" stroke-width="2"/>'


def _icon_svg(status: str) -> SafeString:
    shape = _ICONS.get(status, _UNKNOWN_ICON)
    return mark_safe(  # noqa: S308 - constant markup chosen by key, no user text
        f'<svg class="status-icon" viewBox="0 0 16 16" width="14" height="14" '
        f'aria-hidden="true" focusable="false">{shape}</svg>'
    )


@register.simple_tag
def status_icon(status: str) -> SafeString:
    return _icon_svg(status)


@register.simple_tag
def status_badge(status: str) -> SafeString:
    """Colour, shape and text: a status is never told by colour alone."""
    known = status in settings.ORDER_STATUSES
    css = f"status--{status.lower()}" if known else "status--other"
    label = settings.STATUS_LABELS.get(status, status or "Unknown")
    return format_html(
        '<span class="status {}" data-status="{}">{}<span class="status-text">{}</span></span>',
        css,
        status,
        _icon_svg(status),
        label,
    )


@register.filter
def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _span(seconds: int, units: tuple[str, str, str, str], gap: str) -> str:
    """Seconds as the two largest units: 45s / 12m / 2h 5m / 3d 4h (with the given unit names
    and the gap between number and unit)."""
    sec, minute, hour, day = units
    if seconds < 60:
        return f"{seconds}{gap}{sec}"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}{gap}{minute}"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}{gap}{hour} {minutes}{gap}{minute}" if minutes else f"{hours}{gap}{hour}"
    days, hours = divmod(hours, 24)
    return f"{days}{gap}{day} {hours}{gap}{hour}" if hours else f"{days}{gap}{day}"


def _compact(seconds: float) -> str:
    return _span(max(int(seconds), 0), ("s", "m", "h", "d"), "")


@register.filter
def age(value: datetime | None, now: datetime | None = None) -> str:
    """Compact age: 45s, 12m, 2h 5m, 3d 4h. (board.js keeps it ticking.)"""
    if not value:
        return ""
    return _compact(((now or timezone.now()) - value).total_seconds())


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    """Relative: "just now", "8 s ago", "5 min ago", "3 h ago", "2 days ago"."""
    if not value:
        return ""
    seconds = int(((now or timezone.now()) - value).total_seconds())
    if seconds < 0:
        return "in the future"
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return "1 day ago" if days == 1 else f"{days} days ago"


@register.filter
def duration(value: timedelta | None) -> str:
    """Time between two timeline entries: "+45 s", "+12 min", "+2 h 5 min"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    sign = "−" if seconds < 0 else "+"
    return sign + _span(abs(seconds), ("s", "min", "h", "d"), " ")


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
    """CALL_CENTER_ORDER -> Call center order; call_center_new stays as given."""
    if value and value.isupper():
        return value.replace("_", " ").capitalize()
    return value or ""


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


def _sync_context(context: template.Context, oob: bool) -> dict[str, Any]:
    health: SyncHealth | None = context.get("sync")
    if health is None:
        health = sync_health()
    return {"sync": health, "oob": oob, "now": timezone.now()}


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
    return filters.querystring(**overrides)


# --- The list's rows, rendered in Python ---------------------------------------------------------
# Fifty rows of a dozen cells each are most of the list fragment's cost in the template engine
# (about 1,200 variable nodes); built here with escape() they take a fraction of it. The markup
# is the same the template would produce; tests/test_board_views.py reads it.

_ROW = (
    '<tbody class="order" data-order-id="{id}" data-updated="{updated_iso}">'
    '<tr class="order-row" tabindex="0" aria-expanded="false" aria-controls="panel-{id}" '
    'data-panel-url="{panel_url}">'
    '<td class="c-toggle"><span class="chev" aria-hidden="true"></span></td>'
    '<td class="c-id"><a href="{detail_url}">#{id}</a></td>'
    '<td class="c-created"><time datetime="{created_iso}" title="{created_title}">{created_text}'
    '</time><span class="sub"><time datetime="{created_iso}" data-ago>{ago}</time></span></td>'
    '<td class="c-status">{badge}</td>'
    '<td class="c-channel"><span class="cell-label">Channel </span>{channel}{integration}</td>'
    '<td class="c-venue"><span class="cell-label">Venue </span>{venue}</td>'
    '<td class="c-sale"><span class="cell-label">Sale type </span>{sale}</td>'
    '<td class="c-customer"><span class="name">{name}</span>{phone}</td>'
    '<td class="c-items num"><span class="cell-label">Items </span>{items}</td>'
    '<td class="c-total num"><span class="cell-label">Subtotal* </span>{total}</td>'
    '<td class="c-age num"><span class="cell-label">Age </span>'
    '<time datetime="{created_iso}" data-age>{age}</time></td>'
    "</tr>"
    '<tr class="order-panel" id="panel-{id}" hidden>'
    '<td colspan="11"><div class="panel-slot" data-panel-slot></div></td></tr>'
    "</tbody>\n"
)


def _named(name: str | None, fallback_id: int | None, what: str) -> str:
    if name:
        return escape(name)
    if fallback_id is not None:
        return f"{what} {int(fallback_id)}"
    return "—"


@register.simple_tag
def order_rows(orders: list) -> SafeString:
    """The <tbody> of each order on the page: one row plus its (closed) detail panel row."""
    from django.urls import reverse

    from orders_app.templatetags.pass_format import money, qty

    now = timezone.now()
    local = timezone.get_current_timezone()
    detail_prefix = reverse("order-detail", args=[0])[: -len("0/")]
    badges: dict[str, str] = {}
    parts = []
    for order in orders:
        status = order.status
        if status not in badges:
            badges[status] = str(status_badge(status))
        created_local = timezone.localtime(order.created_at, local)
        created_iso = order.created_at.isoformat()
        phone = order.customer_phone
        parts.append(
            _ROW.format(
                id=int(order.id),
                updated_iso=order.updated_at.isoformat(),
                panel_url=f"{detail_prefix}{int(order.id)}/panel/",
                detail_url=f"{detail_prefix}{int(order.id)}/",
                created_iso=created_iso,
                created_title=created_local.strftime("%Y-%m-%d %H:%M:%S %Z"),
                created_text=created_local.strftime("%d %b, %H:%M"),
                ago=ago(order.created_at, now),
                badge=badges[status],
                channel=escape(humanize_channel(order.type)) or "—",
                integration=f'<span class="sub">{escape(order.integration)}</span>'
                if order.integration
                else "",
                venue=_named(getattr(order, "venue_name", None), order.venue_id, "Venue"),
                sale=_named(
                    getattr(order, "sale_type_name", None), order.sale_type_id, "Sale type"
                ),
                name=escape(order.customer_name) or "—",
                phone=f'<span class="sub phone">{escape(phone)}</span>' if phone else "",
                items=escape(qty(order.item_count)),
                total=escape(money(order.items_total)),
                age=age(order.created_at, now),
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or our own markup
