"""GET list parameters, checked the way the gateway checks them (docs/clopos.md §3 and §4).

Each function takes the parsed bracket query (``query.parse_brackets``) and returns a plain
value or raises ``BadParameter``, which the API answers with 400 ``invalid_parameter``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from orders_app.clopos.simulator.order import STATUSES
from orders_app.clopos.simulator.query import as_list
from orders_app.clopos.simulator.store import FILTER_FIELDS, SORT_FIELDS

MAX_LIMIT = 1000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadParameter(ValueError):
    pass


def positive_int(value: Any, name: str, default: int, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not value.isdigit() or int(value) < 1:
        raise BadParameter(f"{name} must be a positive integer")
    number = int(value)
    if maximum is not None and number > maximum:
        raise BadParameter(f"{name} must be between 1 and {maximum}")
    return number


def paging(params: dict[str, Any], maximum: int = MAX_LIMIT) -> tuple[int, int]:
    return (
        positive_int(params.get("page"), "page", 1),
        positive_int(params.get("limit"), "limit", 50, maximum),
    )


def status_param(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in STATUSES:
        raise BadParameter(f"status must be one of {', '.join(STATUSES)}")
    return value


def date_param(params: dict[str, Any], index: str) -> str | None:
    node = params.get("date")
    if not isinstance(node, dict):
        if node is None:
            return None
        raise BadParameter("date must be given as date[0] and date[1] (YYYY-MM-DD)")
    value = node.get(index)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise BadParameter(f"date[{index}] must be a date in YYYY-MM-DD format")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"date[{index}] must be a date in YYYY-MM-DD format") from None
    return value


def sort_node(params: dict[str, Any]) -> dict[str, Any]:
    node = params.get("sort")
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise BadParameter("sort must be given as sort[0] (field) and sort[1] (1 or -1)")
    return node


def sort_field(params: dict[str, Any], fields: tuple[str, ...] = SORT_FIELDS) -> str:
    value = sort_node(params).get("0") or "created_at"
    if value not in fields:
        raise BadParameter(f"sort[0] must be one of {', '.join(fields)}")
    return value


def sort_direction(params: dict[str, Any]) -> int:
    value = sort_node(params).get("1") or "-1"
    if value not in ("1", "-1", "asc", "desc"):
        raise BadParameter("sort[1] must be 1 (ascending) or -1 (descending)")
    return 1 if value in ("1", "asc") else -1


def filters_param(
    node: Any, fields: tuple[str, ...] = FILTER_FIELDS
) -> tuple[tuple[str, frozenset[str]], ...]:
    if node is None:
        return ()
    if not isinstance(node, dict):
        raise BadParameter("Invalid filter parameters")
    result = []
    for entry in as_list(node):
        if not isinstance(entry, dict) or "0" not in entry or "1" not in entry:
            raise BadParameter("Invalid filter parameters")
        name, value = entry["0"], entry["1"]
        if name not in fields:
            raise BadParameter("Invalid filter parameters")
        values = as_list(value) if isinstance(value, dict) else [value]
        if not values or not all(isinstance(v, str) for v in values):
            raise BadParameter("Invalid filter parameters")
        result.append((name, frozenset(values)))
    return tuple(result)


def relations_param(node: Any) -> tuple[str, ...]:
    names = []
    for value in as_list(node):
        if not isinstance(value, str):
            continue
        name = value.split(":", 1)[0].strip()
        if name in ("customer", "receipt") and name not in names:
            names.append(name)
    return tuple(sorted(names))


def nested_relations(node: Any, known: tuple[str, ...]) -> frozenset[str]:
    """``with[]`` names among ``known``, each bringing the relations it sits under, as Laravel
    loads ``a.b.c`` with ``a`` and ``a.b`` (``receipt_products.modificators.modificator_group``
    brings ``receipt_products.modificators`` and ``receipt_products``). Unknown names and column
    lists (``name:id,status``) are ignored [I]."""
    names: set[str] = set()
    for value in as_list(node):
        if not isinstance(value, str):
            continue
        parts = value.split(":", 1)[0].strip().split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name in known:
                names.add(name)
    return frozenset(names)


def selects_param(value: Any, known: tuple[str, ...]) -> tuple[str, ...] | None:
    """``selects=id,name``: the fields to keep, in the order given; None keeps them all. A list
    naming no known field is 400; unknown names beside known ones are ignored [I]."""
    if value is None or value == "":
        return None
    raw = ",".join(as_list(value)) if isinstance(value, dict) else value
    if not isinstance(raw, str):
        raise BadParameter("selects must be a comma-separated list of fields")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    chosen = tuple(dict.fromkeys(n for n in names if n in known))
    if not chosen:
        raise BadParameter(f"selects must name some of: {', '.join(known)}")
    return chosen


def flag_param(value: Any, name: str) -> bool | None:
    """A 0/1 (or true/false) query flag; absent or empty is None."""
    if value is None or value == "":
        return None
    if value in ("1", "true"):
        return True
    if value in ("0", "false"):
        return False
    raise BadParameter(f"{name} must be 1 or 0")
