"""Fault injection: which authenticated request gets which failure.

Kinds (``FAULT_KINDS``):
- ``500``: gateway error, JSON body ``{"success":false,"error":"internal_error",...}``;
- ``504``: upstream timeout, JSON body, as the gateway answers after its 8 s upstream budget
  (docs/clopos.md §3);
- ``slow``: the real answer, but only after ``slow_seconds`` (longer than the client timeout);
- ``429``: rate limited, with ``RateLimit-Remaining: 0`` and ``RateLimit-Reset``;
- ``html``: a 502 HTML gateway page (not JSON);
- ``truncated``: HTTP 200, JSON content type, the real body cut in half;
- ``success_false``: HTTP 200 with ``{"success":false,...}``;
- ``token_expired``: 401 ``Token expired`` as if the token had run out.

Three sources, checked in this order for every authenticated request: the queue filled by
``inject(kind, count)``; ``every`` (every Nth request, kinds in turn); ``rate`` (a seeded draw).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from orders_app.clopos.simulator.responses import Response, error, rate_limited, token_expired

FAULT_KINDS = ("500", "504", "slow", "429", "html", "truncated", "success_false", "token_expired")

# What an nginx in front of the API sends when the upstream is gone: HTML, not JSON.
HTML_GATEWAY_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
"""


class FaultPlan:
    def __init__(
        self, *, kinds: tuple[str, ...] = (), rate: float = 0.0, every: int = 0, seed: int = 1
    ):
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._rng = random.Random(f"{seed}:faults")
        self._count = 0
        self._turn = 0
        self.configure(kinds=kinds, rate=rate, every=every)

    def configure(
        self,
        *,
        kinds: tuple[str, ...] | list[str] | None = None,
        rate: float | None = None,
        every: int | None = None,
    ) -> None:
        with self._lock:
            if kinds is not None:
                for kind in kinds:
                    check_kind(kind)
                self.kinds = tuple(kinds)
            if rate is not None:
                if not 0.0 <= rate <= 1.0:
                    raise ValueError("fault rate is a probability between 0 and 1")
                self.rate = rate
            if every is not None:
                if every < 0:
                    raise ValueError("fault every must be >= 0")
                self.every = every

    def inject(self, kind: str, count: int = 1) -> None:
        check_kind(kind)
        with self._lock:
            self._queue.extend([kind] * count)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.kinds, self.rate, self.every = (), 0.0, 0

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def next(self) -> str | None:
        """The fault for the next authenticated request, or None. Call once per request."""
        with self._lock:
            self._count += 1
            if self._queue:
                return self._queue.popleft()
            if self.kinds and self.every and self._count % self.every == 0:
                kind = self.kinds[self._turn % len(self.kinds)]
                self._turn += 1
                return kind
            if self.kinds and self.rate and self._rng.random() < self.rate:
                return self._rng.choice(self.kinds)
            return None


def check_kind(kind: str) -> str:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
    return kind


def fault_response(
    fault: str,
    *,
    claims: dict[str, Any],
    limit: int,
    reset_after: int,
    real: Callable[[], Response],
) -> Response:
    """The answer for ``fault`` in place of the real one (every kind but ``slow``, which the
    API serves late instead). ``real`` builds the real answer, which ``truncated`` cuts."""
    if fault == "500":
        return error(500, "internal_error", "Internal server error")
    if fault == "504":
        return error(504, "gateway_timeout", "Upstream Clopos API did not respond in time")
    if fault == "429":
        return rate_limited(
            {
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset_after),
            }
        )
    if fault == "html":
        return Response(502, HTML_GATEWAY_PAGE, content_type="text/html; charset=utf-8")
    if fault == "success_false":
        return error(200, "upstream_error", "Upstream Clopos API returned an error")
    if fault == "token_expired":
        return token_expired(claims)
    if fault == "truncated":
        full = real()
        cut = max(1, len(full.body) // 2)
        return Response(200, full.body[:cut], dict(full.headers))
    raise AssertionError(f"unhandled fault {fault}")
