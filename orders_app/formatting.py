"""Text and small markup the pages show: money, counts, ages, durations, status badges.

Plain functions, so the template filters (orders_app/templatetags) and the board's fast row
renderer (orders_app/fastpaths/board_rows.py) format the same way, in the active language:
numbers with its decimal and thousand separators (dashboard/formats), words through gettext.
The relative times use the same msgids as static/orders_app/board.js and wall.js, which keep
them ticking in the browser. The words and separators come from ``localized`` (read once per
language: these run fifty times a board page).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

from orders_app.localized import localized
from orders_app.vocabulary import STAGES, is_known_status, stage_label, status_label


def money(value) -> str:
    """A figure as given by Clopos, divided by MONEY_DIVISOR, with the currency sign placed and
    the number written as the active language writes money (₼12.50, 12,50 ₼)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)) / Decimal(settings.MONEY_DIVISOR)
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    words = localized()
    number = words.number(f"{amount:,.{settings.MONEY_DECIMALS}f}")
    return words.money_pattern % {"currency": settings.CURRENCY, "amount": number}


def qty(value) -> str:
    """A count without trailing zeros: 2, 0.5, 1.25 (0,5 in az and ru)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        return str(int(number))
    return localized().number(format(number.normalize(), "f"))


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


def status_icon(status: str) -> SafeString:
    shape = _ICONS.get(status, _UNKNOWN_ICON)
    return mark_safe(  # noqa: S308 - constant markup chosen by key, no user text
        f'<svg class="status-icon" viewBox="0 0 16 16" width="14" height="14" '
        f'aria-hidden="true" focusable="false">{shape}</svg>'
    )


def status_badge(status: str) -> SafeString:
    """Colour, shape and text: a status is never told by colour alone."""
    css = f"status--{status.lower()}" if is_known_status(status) else "status--other"
    return format_html(
        '<span class="status {}" data-status="{}">{}<span class="status-text">{}</span></span>',
        css,
        status,
        status_icon(status),
        status_label(status),
    )


def stage_badge(stage: str) -> SafeString:
    """An order's kitchen stage, as a small badge beside its status (text, not colour alone)."""
    css = f"stage--{stage}" if stage in STAGES else "stage--other"
    return format_html(
        '<span class="stage {}" data-stage="{}">{}</span>', css, stage, stage_label(stage)
    )


def shows_stage(status: str, stage: str) -> bool:
    """Whether a row shows its stage: only where it says more than the status does (an
    accepted order in the kitchen's hands; PENDING, IGNORE and DELIVERED say it already)."""
    return bool(stage) and status == "RECEIVED"


def _units(seconds: int) -> list[tuple[str, int]]:
    """Seconds as the two largest whole units: [("m", 12)], [("h", 2), ("m", 5)], ..."""
    if seconds < 60:
        return [("s", seconds)]
    minutes = seconds // 60
    if minutes < 60:
        return [("m", minutes)]
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return [("h", hours), ("m", minutes)] if minutes else [("h", hours)]
    days, hours = divmod(hours, 24)
    return [("d", days), ("h", hours)] if hours else [("d", days)]


def age(value: datetime | None, now: datetime | None = None) -> str:
    """Compact age: 45s, 12m, 2h 5m, 3d 4h. (board.js keeps it ticking.)"""
    if not value:
        return ""
    seconds = max(int(((now or timezone.now()) - value).total_seconds()), 0)
    units = localized().compact
    return " ".join(units[unit] % {"count": n} for unit, n in _units(seconds))


def ago_text(seconds: int) -> str:
    """ "just now", "8 s ago", "5 min ago", "3 h ago", "2 days ago", with the plural forms of
    the active language (board.js agoText says the same)."""
    words = localized()
    if seconds < 0:
        return words.in_future
    if seconds < 5:
        return words.just_now
    if seconds < 60:
        return words.ago("s", seconds)
    if seconds < 3600:
        return words.ago("m", seconds // 60)
    if seconds < 86400:
        return words.ago("h", seconds // 3600)
    return words.ago("d", seconds // 86400)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """Relative to now: see ``ago_text``."""
    if not value:
        return ""
    return ago_text(int(((now or timezone.now()) - value).total_seconds()))


def span(seconds: float | None) -> str:
    """A measured duration: "45 s", "6 min 40 s" (under ten minutes the seconds matter),
    "25 min", "2 h 5 min"; "" for none."""
    if seconds is None:
        return ""
    whole = max(round(seconds), 0)
    units = localized().span
    if 60 <= whole < 600:
        minutes, rest = divmod(whole, 60)
        parts = [("m", minutes)] + ([("s", rest)] if rest else [])
    else:
        parts = _units(whole)
    return " ".join(units[unit] % {"count": n} for unit, n in parts)


def percent(share: float | None) -> str:
    """A share as a whole percentage ("12%"; under 1% but not nothing, "<1%"); "" for none."""
    if share is None:
        return ""
    value = share * 100
    text = "<1" if 0 < value < 1 else str(round(value))
    return pgettext("a share: 12%", "%(value)s%%") % {"value": text}


def duration(value: timedelta | None) -> str:
    """Time between two timeline entries: "+45 s", "+12 min", "+2 h 5 min"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    sign = "−" if seconds < 0 else "+"
    units = localized().span
    return sign + " ".join(units[unit] % {"count": n} for unit, n in _units(abs(seconds)))
