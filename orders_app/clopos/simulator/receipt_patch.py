"""What PATCH /receipts/{id} may change (docs/clopos.md §5): only ``order_status``,
``order_number``, ``fiscal_id`` and ``lock`` [D] ("other receipt fields are read-only" [S]).

[I] where the docs give no rule: ``order_number`` and ``fiscal_id`` are text or null
(``order_number`` at most 20 characters, as on create-order; ``fiscal_id`` at most 100);
``lock`` is a JSON bool (0 and 1 are read as false and true); an empty object changes nothing.
"""

from __future__ import annotations

from typing import Any

from orders_app.clopos.simulator.kitchen import ORDER_STATUSES

PATCHABLE = ("order_status", "order_number", "fiscal_id", "lock")


class InvalidPatch(ValueError):
    """A PATCH /receipts/{id} body the API answers with 400 ``validation_failed``."""


def validate_patch(data: Any) -> dict[str, Any]:
    """The changes a PATCH body asks for: only the four writable fields [D], each checked."""
    if not isinstance(data, dict):
        raise InvalidPatch("Body must be a JSON object")
    for name in data:
        if name not in PATCHABLE:
            raise InvalidPatch(
                f"{name} is read-only: only order_status, order_number, fiscal_id and lock "
                "can be changed"
            )
    changes = dict(data)
    if "order_status" in changes and changes["order_status"] not in ORDER_STATUSES:
        raise InvalidPatch(f"order_status must be one of {', '.join(ORDER_STATUSES)}")
    number = changes.get("order_number")
    if number is not None and (not isinstance(number, str) or len(number) > 20):
        raise InvalidPatch("order_number must be a string of at most 20 characters")
    fiscal = changes.get("fiscal_id")
    if fiscal is not None and (not isinstance(fiscal, str) or len(fiscal) > 100):
        raise InvalidPatch("fiscal_id must be a string of at most 100 characters")
    if "lock" in changes:
        lock = changes["lock"]
        if lock not in (True, False, 0, 1) or not isinstance(lock, bool | int):
            raise InvalidPatch("lock must be true or false")
        changes["lock"] = bool(lock)
    return changes
