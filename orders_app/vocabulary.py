"""The words Pass uses for orders: statuses, their labels, the wall's columns, channel names.

Every page, the CSV export and the settings read them from here, so a status list or a label
fallback exists once (the languages issue translates labels in ``status_label`` alone).
Clopos may send statuses Pass does not know: they are kept and shown as given, never dropped.

Nothing here reads settings at import time: ``dashboard/settings.py`` imports this module to
build STATUS_LABELS, and the label functions read it when called (so tests can override it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The statuses Clopos documents, in the board's chip order.
ORDER_STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
# Still being prepared: the wall shows every one of these, however old.
OPEN_STATUSES = ("PENDING", "RECEIVED")
# The statuses a wall screen can show as columns, in the wall's order (New, Accepted, Done,
# then Ignored), and the columns a screen shows unless its link asks for others.
WALL_STATUSES = ("PENDING", "RECEIVED", "DELIVERED", "IGNORE")
WALL_DEFAULT_COLUMNS = ("PENDING", "RECEIVED", "DELIVERED")

# STATUS_LABELS' default, in the form the environment variable takes.
DEFAULT_STATUS_LABELS = (
    "PENDING=New",
    "RECEIVED=Accepted",
    "IGNORE=Ignored",
    "DELIVERED=Delivered",
)
# The wall calls the default "Delivered" label "Done": a kitchen finishes, a courier delivers.
_WALL_DELIVERED_LABEL = ("Delivered", "Done")


def status_labels_from(entries: Iterable[str]) -> dict[str, str]:
    """STATUS_LABELS ("PENDING=New,...") as a dict; known statuses left out read as Title case.

    Raises ImproperlyConfigured on an entry without "=" or without a label."""
    labels: dict[str, str] = {}
    for pair in entries:
        key, sep, label = pair.partition("=")
        if not sep or not label.strip():
            raise ImproperlyConfigured(f"STATUS_LABELS entries look like PENDING=New; got {pair!r}")
        labels[key.strip().upper()] = label.strip()
    for status in ORDER_STATUSES:
        labels.setdefault(status, status.title())
    return labels


def is_known_status(status: str) -> bool:
    return status in ORDER_STATUSES


def status_label(status: str, *, missing: str = "Unknown") -> str:
    """What people read for a status: its STATUS_LABELS entry, else the status as Clopos sent
    it, else ``missing`` (an order that came without one: the CSV export leaves it empty)."""
    return settings.STATUS_LABELS.get(status, status or missing)


def status_choices() -> list[tuple[str, str]]:
    """(status, label) for the known statuses, in chip order: the board's status filter."""
    return [(status, status_label(status)) for status in ORDER_STATUSES]


def wall_column_label(status: str) -> str:
    """A wall column's heading: the status label, except the default "Delivered" reads "Done"."""
    label = status_label(status)
    if status == "DELIVERED" and label == _WALL_DELIVERED_LABEL[0]:
        return _WALL_DELIVERED_LABEL[1]
    return label


# --- Channels and sale kinds -------------------------------------------------------------------

# Sale types by Clopos' system_type, as the wall's card colours name them.
SALE_KINDS = {"DELIVERY": "delivery", "TAKEAWAY": "takeaway", "IN": "in"}
SALE_KIND_LABELS = {"delivery": "Delivery", "takeaway": "Takeaway", "in": "In venue"}
# Integrations and order types a wall card names in plain words; others are tidied up.
_WALL_CHANNEL_LABELS = {
    "call_center_new": "Call centre",
    "call_center": "Call centre",
    "CALL_CENTER_ORDER": "Call centre",
}
# A wall card has room for this many characters of an unknown channel's name.
_WALL_CHANNEL_MAX = 24


def sale_kind(system_type: str | None) -> str:
    """delivery, takeaway, in, or "" for a system type Clopos has not published."""
    return SALE_KINDS.get((system_type or "").upper(), "")


def wall_channel_label(*, integration: str, order_type: str) -> str:
    """Where an order came from, short, for a wall card: the integration, else the order type."""
    raw = integration or order_type
    if not raw:
        return ""
    if raw in _WALL_CHANNEL_LABELS:
        return _WALL_CHANNEL_LABELS[raw]
    return raw.replace("_", " ").strip().title()[:_WALL_CHANNEL_MAX]


def order_type_label(value: str) -> str:
    """An order type for the board: CALL_CENTER_ORDER -> Call center order; an integration
    name (call_center_new, lower case) stays as given."""
    if value and value.isupper():
        return value.replace("_", " ").capitalize()
    return value or ""
