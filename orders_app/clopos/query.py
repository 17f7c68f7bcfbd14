"""Query strings for Clopos, built by hand in PHP/Laravel bracket style (docs/clopos.md §3).

Built here, not by requests, so the bracket keys come out in a fixed order: ``with[0]``,
``date[0]``/``date[1]``, ``sort[0]``/``sort[1]``, ``filters[N][0]``, ``filters[N][1]`` and
``filters[N][1][M]`` for list values. Brackets are percent-encoded (``with%5B0%5D=receipt``),
exactly as PHP's own ``http_build_query`` writes them, so any PHP or Laravel server (and the
bundled simulator, which decodes with ``urllib.parse``) reads them the same way as the literal
brackets in the docs' ``curl --globoff`` examples; no proxy on the way can mangle a bare ``[``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from urllib.parse import quote


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def php_pairs(key: str, value: object) -> list[tuple[str, str]]:
    """Flatten ``value`` under ``key`` the way PHP reads ``key[0][1]=...`` back into arrays.

    Lists and tuples get indices, mappings get their keys, scalars are written as text
    (booleans as 1/0, dates as YYYY-MM-DD, None as an empty string).
    """
    if isinstance(value, Mapping):
        pairs: list[tuple[str, str]] = []
        for sub_key, sub_value in value.items():
            pairs.extend(php_pairs(f"{key}[{sub_key}]", sub_value))
        return pairs
    if isinstance(value, list | tuple):
        pairs = []
        for index, item in enumerate(value):
            pairs.extend(php_pairs(f"{key}[{index}]", item))
        return pairs
    return [(key, _scalar(value))]


def encode_query(pairs: Sequence[tuple[str, str]]) -> str:
    """``k=v&k=v`` with everything but unreserved characters percent-encoded, order kept."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def orders_query(
    *,
    page: int = 1,
    limit: int = 100,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str | None = "updated_at",
    direction: int = -1,
    with_: Sequence[str] = (),
    filters: Sequence[tuple[str, object]] = (),
    today: date | None = None,
) -> list[tuple[str, str]]:
    """The ordered (key, value) pairs of a ``GET /orders`` query.

    ``date[0]``/``date[1]`` always go together: a missing end is tomorrow (relative to
    ``today``), a missing start is 2000-01-01, so an open-ended range is still a valid pair.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 (ascending) or -1 (descending), not {direction!r}")
    if page < 1:
        raise ValueError(f"page is 1-based, not {page!r}")
    pairs: list[tuple[str, str]] = [("page", str(page)), ("limit", str(limit))]
    if status:
        pairs.append(("status", status))
    for index, relation in enumerate(with_):
        pairs.append((f"with[{index}]", relation))
    if date_from is not None or date_to is not None:
        start = _as_date(date_from) if date_from is not None else date(2000, 1, 1)
        if date_to is not None:
            end = _as_date(date_to)
        else:
            end = (today or date.today()) + timedelta(days=1)
        pairs.append(("date[0]", start.isoformat()))
        pairs.append(("date[1]", end.isoformat()))
    if sort:
        pairs.append(("sort[0]", sort))
        pairs.append(("sort[1]", str(direction)))
    for index, filter_ in enumerate(filters):
        pairs.extend(php_pairs(f"filters[{index}]", tuple(filter_)))
    return pairs
