"""A sliding one-minute window per key, as the Clopos gateway documents its limits
(docs/clopos.md §3)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until a slot frees up

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: float = 60.0):
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, now: float | None = None) -> Decision:
        """Count one request for ``key`` (unless over the limit) and say whether it may pass."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            allowed = len(hits) < self.limit
            if allowed:
                hits.append(now)
            reset = max(1, math.ceil(hits[0] + self.window - now)) if hits else 0
            return Decision(allowed, self.limit, max(0, self.limit - len(hits)), reset)

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = limit

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
