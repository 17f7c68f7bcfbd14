"""A page's rows parsed into orders, and the rows that cannot be: each becomes a Skip with its
id and the reason, so the page goes on without it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from orders_app.clopos.payloads import ParsedOrder, PayloadError, compact, parse_order


@dataclass(frozen=True)
class Skip:
    remote_id: str
    reason: str
    raw: Any


def parse_rows(rows: Iterable[Any]) -> tuple[list[ParsedOrder], list[Skip]]:
    """Parse every row; an unusable one becomes a Skip with its id and reason."""
    parsed: list[ParsedOrder] = []
    skipped: list[Skip] = []
    for raw in rows:
        try:
            parsed.append(parse_order(raw))
        except PayloadError as exc:
            skipped.append(
                Skip(remote_id=exc.remote_id or _anonymous_id(raw), reason=exc.reason, raw=raw)
            )
    return parsed, skipped


def _anonymous_id(raw: Any) -> str:
    """A row without a usable id is parked under a name made from its content: the same
    payload gets the same name on every pass, so it stays one SkippedOrder row."""
    digest = hashlib.sha256(compact(raw, 100_000).encode()).hexdigest()[:12]
    return f"(no id) {digest}"
