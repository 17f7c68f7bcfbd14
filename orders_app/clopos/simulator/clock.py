"""Simulator time, and the two ways Clopos writes it.

Data time (``created_at``, statuses, the envelope's ``unix``) follows this clock, so a test can
move an order along by advancing it; token expiry and rate limits follow real time instead.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any


class Clock:
    """Simulator time: real time from a start point, plus explicit advances.

    ``frozen=True`` stops real time from moving it (tests move it with ``advance``)."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False):
        self._start = (start or datetime.now(UTC)).timestamp()
        self._start = float(math.floor(self._start)) if start is None else self._start
        self._mono = time.monotonic()
        self._offset = 0.0
        self.frozen = frozen

    def time(self) -> float:
        elapsed = 0.0 if self.frozen else time.monotonic() - self._mono
        return self._start + self._offset + elapsed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> datetime:
        self._offset += seconds
        return self.now()

    def set(self, when: datetime) -> datetime:
        self._offset += when.timestamp() - self.time()
        return self.now()


def iso(epoch: float) -> str:
    """2026-02-02T13:45:53.000000Z, the way Clopos prints order times."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(int(epoch)))


def parse_time(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
