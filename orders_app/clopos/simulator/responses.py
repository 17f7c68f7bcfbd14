"""What the simulator answers, before any transport: a status, a body and headers, plus the
Clopos error envelope (``{"success": false, "error": ..., "message": ...}``, docs/clopos.md §3)
and the few error bodies more than one route sends."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    delay: float = 0.0  # seconds the transport waits before answering (the "slow" fault)
    fault: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, dict(headers or {}))


def error(status: int, error_id: str | None, message: str, **extra: Any) -> Response:
    body: dict[str, Any] = {"success": False}
    if error_id is not None:
        body["error"] = error_id
    body["message"] = message
    body.update(extra)
    return json_response(status, body)


def rate_limited(headers: dict[str, str]) -> Response:
    """429 with the RateLimit-* headers that say when to come back."""
    response = error(429, "rate_limited", "Too many requests. Retry later.")
    response.headers.update(headers)
    return response


def token_expired(claims: dict[str, Any]) -> Response:
    """401 "Token expired", naming when the token ran out as the gateway does."""
    expires_at = datetime.fromtimestamp(float(claims.get("exp", 0)), UTC)
    return error(
        401,
        "Token expired",
        "Token expired",
        expires_at=expires_at.isoformat().replace("+00:00", "Z"),
    )
