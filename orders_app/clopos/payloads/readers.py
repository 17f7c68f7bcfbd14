"""Liberal readers for Clopos values: whatever spelling a field comes in, a typed value or
None, and a warning on the order when something could not be read (docs/clopos.md §4 and §9).

Only what cannot be stored at all raises ``PayloadError``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# DecimalField(max_digits=14, decimal_places=4) holds values below 10**10.
MAX_AMOUNT = Decimal(10) ** 10
MAX_TOTAL = Decimal(10) ** 12
QUANTUM = Decimal("0.0001")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


class PayloadError(ValueError):
    """The payload cannot be stored at all; ``reason`` says why in plain words."""

    def __init__(self, reason: str, *, remote_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.remote_id = remote_id


@dataclass
class Notes:
    """Warnings collected while parsing one order."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def first_set(*values: Any) -> Any:
    """The first value that is not None (and not an empty string)."""
    for value in values:
        if value is not None and value != "":
            return value
    return None


def compact(value: Any, limit: int = 255) -> str:
    """A short one-line text rendering of any JSON value (for things we cannot read)."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_text(value: Any, limit: int | None = None) -> str:
    """Any value as text: None is empty, objects are rendered compactly, kept verbatim
    otherwise (escaping is the template's job), cut to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        text = str(value)
    else:
        text = compact(value, limit or 10_000)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def to_optional_text(value: Any, limit: int) -> str | None:
    return None if value is None else to_text(value, limit)


_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # BigIntegerField


def to_int(value: Any) -> int | None:
    """An integer id from int, integral float or digit text, within a 64-bit column; anything
    else is None."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d{1,19}", text):
            number = int(text)
        elif re.fullmatch(r"[+-]?\d{1,19}\.0*", text):
            number = int(text.split(".")[0])
    if number is None or not _INT_MIN <= number <= _INT_MAX:
        return None
    return number


def warning_label(what: str | tuple[str, ...]) -> str:
    """Warning labels are built only when a warning is written (parsing stays cheap)."""
    return what if isinstance(what, str) else " ".join(what)


def to_decimal(
    value: Any, *, what: str | tuple[str, ...], notes: Notes, limit: Decimal = MAX_AMOUNT
) -> Decimal | None:
    """A Decimal (4 places) from int, float or text ("8.5", "8,50"); None when absent.
    A value we cannot read becomes None and a warning naming ``what``."""
    if value is None or value == "":
        return None
    kind = type(value)
    if kind is int and abs(value) < limit:
        return Decimal(value).quantize(QUANTUM)
    if kind is float and abs(value) < limit and value == value:
        return Decimal(repr(value)).quantize(QUANTUM)
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if _NUMBER.match(text):
            if "," in text and "." not in text:
                text = text.replace(",", ".")
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                number = None
    if number is None or not number.is_finite():
        notes.add(f"{warning_label(what)}: {compact(value, 40)!s} is not a number")
        return None
    if abs(number) >= limit:
        notes.add(f"{warning_label(what)}: {compact(value, 40)!s} is out of range")
        return None
    return number.quantize(QUANTUM)


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
    return None


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from the spellings Clopos uses, or None.

    ``2026-02-02T13:45:53.000000Z``, ISO 8601 with an offset, ``2026-02-02 13:45:53`` (the
    envelope's UTC format), and epoch seconds or milliseconds as numbers.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:  # the common spellings, in one C call
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_unusual_timestamp(value)
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_unusual_timestamp(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return parse_timestamp(int(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if _FRACTION.search(text):
        text = _FRACTION.sub(r"\1", text)  # nanoseconds: keep microseconds
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
