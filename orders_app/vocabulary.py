"""The words Pass uses for orders: statuses, their labels, the wall's columns, channel names.

Every page, the CSV export and the settings read them from here, so a status list or a label
fallback exists once. Labels are translated here and nowhere else (gettext, the glossary in
docs/i18n.md); an operator's STATUS_LABELS wins over the translation in every language.
Clopos may send statuses Pass does not know: they are kept and shown as given, never dropped.

Nothing here reads settings at import time: ``dashboard/settings.py`` imports this module to
build STATUS_LABELS, and the label functions read it when called (so tests can override it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy

# The statuses Clopos documents, in the board's chip order.
ORDER_STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
# Still being prepared: the wall shows every one of these, however old.
OPEN_STATUSES = ("PENDING", "RECEIVED")
# The statuses a wall screen can show as columns, in the wall's order (New, Accepted, Done,
# then Ignored), and the columns a screen shows unless its link asks for others.
WALL_STATUSES = ("PENDING", "RECEIVED", "DELIVERED", "IGNORE")
WALL_DEFAULT_COLUMNS = ("PENDING", "RECEIVED", "DELIVERED")

# The labels people read unless STATUS_LABELS says otherwise (translated when shown).
DEFAULT_LABELS = {
    "PENDING": pgettext_lazy("order status", "New"),
    "RECEIVED": pgettext_lazy("order status", "Accepted"),
    "IGNORE": pgettext_lazy("order status", "Ignored"),
    "DELIVERED": pgettext_lazy("order status", "Delivered"),
}
# The default labels in the form the environment variable takes (English, for the README).
DEFAULT_STATUS_LABELS = (
    "PENDING=New",
    "RECEIVED=Accepted",
    "IGNORE=Ignored",
    "DELIVERED=Delivered",
)


def status_labels_from(entries: Iterable[str]) -> dict[str, str]:
    """An operator's STATUS_LABELS ("PENDING=New,...") as a dict of the entries given.

    Raises ImproperlyConfigured on an entry without "=" or without a label."""
    labels: dict[str, str] = {}
    for pair in entries:
        key, sep, label = pair.partition("=")
        if not sep or not label.strip():
            raise ImproperlyConfigured(f"STATUS_LABELS entries look like PENDING=New; got {pair!r}")
        labels[key.strip().upper()] = label.strip()
    return labels


def is_known_status(status: str) -> bool:
    return status in ORDER_STATUSES


def status_label(status: str, *, missing: str | None = None) -> str:
    """What people read for a status: the operator's STATUS_LABELS entry, else the translated
    default, else the status as Clopos sent it, else ``missing`` (default "Unknown"; the CSV
    export passes "" for an order that came without one)."""
    if status in settings.STATUS_LABELS:
        return settings.STATUS_LABELS[status]
    if status in DEFAULT_LABELS:
        return str(DEFAULT_LABELS[status])
    if status:
        return status
    return pgettext("order status", "Unknown") if missing is None else missing


def status_choices() -> list[tuple[str, str]]:
    """(status, label) for the known statuses, in chip order: the board's status filter."""
    return [(status, status_label(status)) for status in ORDER_STATUSES]


def wall_column_label(status: str) -> str:
    """A wall column's heading: the status label, except that without an operator's label
    DELIVERED reads "Done" (a kitchen finishes, a courier delivers)."""
    if status == "DELIVERED" and status not in settings.STATUS_LABELS:
        return pgettext("wall column", "Done")
    return status_label(status)


# --- Kitchen stages -----------------------------------------------------------------------------

# The order_status values a Clopos receipt carries (docs/clopos.md §5), and its two states.
RECEIPT_ORDER_STATUSES = (
    "NEW",
    "SCHEDULED",
    "IN_PROGRESS",
    "READY",
    "PICKED_UP",
    "COMPLETED",
    "CANCELLED",
)
RECEIPT_OPEN, RECEIPT_CLOSED = 1, 2

# One kitchen stage per order: a Pass concept, derived from the order and its receipt here and
# nowhere else. Pass never invents a stage: Clopos does not document whether the POS writes
# order_status, so an order whose receipt never moves stays "accepted" until the receipt closes.
STAGES = ("new", "accepted", "scheduled", "preparing", "ready", "done", "cancelled", "ignored")
# Still in the kitchen's hands: a wall shows these, however old (up to WALL_MAX_OPEN_HOURS).
OPEN_STAGES = ("new", "accepted", "scheduled", "preparing", "ready")
_STAGE_BY_ORDER_STATUS = {
    "NEW": "accepted",
    "SCHEDULED": "scheduled",
    "IN_PROGRESS": "preparing",
    "READY": "ready",
    "PICKED_UP": "done",
    "COMPLETED": "done",
    "CANCELLED": "cancelled",
}
STAGE_LABELS = {
    "new": pgettext_lazy("kitchen stage", "New"),
    "accepted": pgettext_lazy("kitchen stage", "Accepted"),
    "scheduled": pgettext_lazy("kitchen stage", "Scheduled"),
    "preparing": pgettext_lazy("kitchen stage", "Preparing"),
    "ready": pgettext_lazy("kitchen stage", "Ready"),
    "done": pgettext_lazy("kitchen stage", "Done"),
    "cancelled": pgettext_lazy("kitchen stage", "Cancelled"),
    "ignored": pgettext_lazy("kitchen stage", "Ignored"),
}


def order_stage(
    *,
    status: str,
    receipt_status: int | None = None,
    receipt_order_status: str | None = None,
) -> str:
    """The kitchen stage of an order (``status``: the order's Clopos status) and, when linked,
    its receipt (``receipt_status``: 1 open, 2 closed; ``receipt_order_status``). A receipt
    without an order (a table at the POS) passes ``status=""``.

    - IGNORE → ignored; DELIVERED → done; PENDING → new (a receipt cannot exist yet);
    - a closed receipt → done, unless its order_status says CANCELLED;
    - an open receipt → its order_status (NEW → accepted, IN_PROGRESS → preparing, ...);
    - RECEIVED with no receipt yet, or an order_status Pass does not know → accepted;
    - a status Clopos has not documented, with no receipt → "" (no stage).
    """
    if status == "IGNORE":
        return "ignored"
    if status == "DELIVERED":
        return "done"
    if status == "PENDING":
        return "new"
    by_receipt = _STAGE_BY_ORDER_STATUS.get((receipt_order_status or "").upper())
    if by_receipt == "cancelled":
        return "cancelled"
    if receipt_status == RECEIPT_CLOSED:
        return "done"
    if by_receipt is not None:
        return by_receipt
    if status == "RECEIVED" or receipt_status == RECEIPT_OPEN:
        return "accepted"
    return ""  # a status Clopos has not documented, no receipt: no stage (shown as given)


# An order is flagged for its 86'd items (stop list, limit 0) while it is not yet being cooked:
# the kitchen learns before it starts. Once preparing, the kitchen has already seen it.
STOP_FLAG_STAGES = ("new", "accepted", "scheduled")

# The wall by stage: its columns in order, the stages each one holds, and the default set.
# Preparing holds accepted orders too (marked "not started"): to a cook both are "to make".
WALL_STAGE_COLUMNS = {
    "new": ("new",),
    "preparing": ("accepted", "scheduled", "preparing"),
    "ready": ("ready",),
    "done": ("done", "cancelled"),
    "ignored": ("ignored",),
}
WALL_DEFAULT_STAGE_COLUMNS = ("new", "preparing", "ready", "done")
# Columns whose cards have finished: they show for WALL_DONE_MINUTES after their stage moved.
WALL_FINISHED_COLUMNS = ("done", "ignored")
# The age thresholds (WALL_AGE_THRESHOLDS, keyed by status) a stage column's cards turn by.
WALL_STAGE_THRESHOLDS = {"new": "PENDING", "preparing": "RECEIVED", "ready": "READY"}


def wall_stage_columns(stages: tuple[str, ...]) -> tuple[str, ...]:
    """The columns a screen asking for ``stages`` shows, in the wall's order (the default
    columns when it asks for none)."""
    if not stages:
        return WALL_DEFAULT_STAGE_COLUMNS
    return tuple(
        column
        for column, held in WALL_STAGE_COLUMNS.items()
        if any(stage in held for stage in stages)
    )


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS[stage]) if stage in STAGE_LABELS else stage


# What a bump to each order_status does, as its button says it (WALL_BUMP on).
BUMP_ACTION_LABELS = {
    "NEW": pgettext_lazy("bump button: move the ticket to", "Accept"),
    "SCHEDULED": pgettext_lazy("bump button: move the ticket to", "Schedule"),
    "IN_PROGRESS": pgettext_lazy("bump button: move the ticket to", "Start"),
    "READY": pgettext_lazy("bump button: move the ticket to", "Ready"),
    "PICKED_UP": pgettext_lazy("bump button: move the ticket to", "Picked up"),
    "COMPLETED": pgettext_lazy("bump button: move the ticket to", "Complete"),
    "CANCELLED": pgettext_lazy("bump button: move the ticket to", "Cancel"),
}
# A receipt's order_status in words (the Recall drawer, the timeline).
ORDER_STATUS_LABELS = {
    "NEW": pgettext_lazy("receipt order_status", "New"),
    "SCHEDULED": pgettext_lazy("receipt order_status", "Scheduled"),
    "IN_PROGRESS": pgettext_lazy("receipt order_status", "Preparing"),
    "READY": pgettext_lazy("receipt order_status", "Ready"),
    "PICKED_UP": pgettext_lazy("receipt order_status", "Picked up"),
    "COMPLETED": pgettext_lazy("receipt order_status", "Completed"),
    "CANCELLED": pgettext_lazy("receipt order_status", "Cancelled"),
}


def bump_action_label(order_status: str) -> str:
    return str(BUMP_ACTION_LABELS.get(order_status, order_status))


def order_status_label(order_status: str) -> str:
    """A receipt's order_status in words; "—" for none."""
    if not order_status:
        return "—"
    return str(ORDER_STATUS_LABELS.get(order_status, order_status))


def stage_choices() -> list[tuple[str, str]]:
    """(stage, label) in the kitchen's order: the board's stage filter."""
    return [(stage, stage_label(stage)) for stage in STAGES]


# --- Why a sync failed ------------------------------------------------------------------------

# What a failed pass's kind (services/sync/failures.py: failure_kind) means, in plain words for
# every screen. The error's own text stays English: a detail for whoever fixes it.
SYNC_ERROR_SUMMARIES = {
    "unavailable": gettext_lazy("Clopos does not answer."),
    "rate_limited": gettext_lazy("Clopos asked Pass to slow down."),
    "auth": gettext_lazy("Clopos refused Pass's credentials."),
    "config": gettext_lazy("The Clopos settings are incomplete or wrong."),
    "bad_response": gettext_lazy("Clopos sent an answer Pass cannot read."),
    "rejected": gettext_lazy("Clopos refused a request."),
    "lease": gettext_lazy("Another sync process took over."),
    "internal": gettext_lazy("Pass hit an internal error; the cache keeps what it had."),
}


def sync_error_summary(kind: str) -> str:
    """A failed pass's kind in the active language ("" for a kind Pass does not know)."""
    return str(SYNC_ERROR_SUMMARIES[kind]) if kind in SYNC_ERROR_SUMMARIES else ""


# --- Channels and sale kinds -------------------------------------------------------------------

# Sale types by Clopos' system_type, as the wall's card colours name them.
SALE_KINDS = {"DELIVERY": "delivery", "TAKEAWAY": "takeaway", "IN": "in"}
SALE_KIND_LABELS = {
    "delivery": pgettext_lazy("sale kind", "Delivery"),
    "takeaway": pgettext_lazy("sale kind", "Takeaway"),
    "in": pgettext_lazy("sale kind", "In venue"),
}
# Integrations and order types a wall card names in plain words; others are tidied up.
_WALL_CHANNEL_LABELS = {
    "call_center_new": gettext_lazy("Call centre"),
    "call_center": gettext_lazy("Call centre"),
    "CALL_CENTER_ORDER": gettext_lazy("Call centre"),
}
# Order types the board names in words; another XYZ_ORDER reads "Xyz order".
_ORDER_TYPE_LABELS = {
    "CALL_CENTER_ORDER": gettext_lazy("Call centre order"),
    "WEB_ORDER": gettext_lazy("Web order"),
}
# A wall card has room for this many characters of an unknown channel's name.
_WALL_CHANNEL_MAX = 24


def sale_kind_label(kind: str) -> str:
    return str(SALE_KIND_LABELS[kind]) if kind in SALE_KIND_LABELS else ""


def sale_kind(system_type: str | None) -> str:
    """delivery, takeaway, in, or "" for a system type Clopos has not published."""
    return SALE_KINDS.get((system_type or "").upper(), "")


def wall_channel_label(*, integration: str, order_type: str) -> str:
    """Where an order came from, short, for a wall card: the integration, else the order type."""
    raw = integration or order_type
    if not raw:
        return ""
    if raw in _WALL_CHANNEL_LABELS:
        return str(_WALL_CHANNEL_LABELS[raw])
    return raw.replace("_", " ").strip().title()[:_WALL_CHANNEL_MAX]


def order_type_label(value: str) -> str:
    """An order type for the board: CALL_CENTER_ORDER -> Call centre order, WOLT_ORDER -> Wolt
    order (the name as Clopos gives it, the word "order" translated); an integration name
    (call_center_new, lower case) stays as given."""
    if not value:
        return ""
    if value in _ORDER_TYPE_LABELS:
        return str(_ORDER_TYPE_LABELS[value])
    if not value.isupper():
        return value
    name, suffix = value, ""
    if value.endswith("_ORDER") and len(value) > len("_ORDER"):
        name, suffix = value[: -len("_ORDER")], "order"
    name = name.replace("_", " ").strip().capitalize()
    return gettext("%(name)s order") % {"name": name} if suffix else name
