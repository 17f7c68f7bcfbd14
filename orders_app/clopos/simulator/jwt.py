"""HS256 JSON Web Tokens with the standard library (hmac, hashlib, base64), for the simulator.

The real gateway issues HS256 JWTs (docs/clopos.md §2) whose claims look like
``{"token": "oauth_…", "brand", "stage", "venue_id", "integrator_id", "iat", "exp"}``.
Clients must treat the token as opaque; only the simulator reads it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


class InvalidToken(ValueError):
    """The token is malformed or its signature does not match."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padding = "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(text + padding)
    except (ValueError, TypeError) as exc:
        raise InvalidToken("bad base64") from exc


def encode(claims: dict[str, Any], secret: str) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = (
        _b64encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64encode(signature)


def decode(token: str, secret: str) -> dict[str, Any]:
    """Verify the signature and return the claims; raise InvalidToken otherwise.

    Expiry is not checked here: the caller decides what "expired" means."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("a JWT has three parts")
    head, body, signature = parts
    try:
        header = json.loads(_b64decode(head))
    except ValueError as exc:
        raise InvalidToken("bad header") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("only HS256 is accepted")
    expected = hmac.new(secret.encode(), f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _b64decode(signature)):
        raise InvalidToken("bad signature")
    try:
        claims = json.loads(_b64decode(body))
    except ValueError as exc:
        raise InvalidToken("bad claims") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("claims must be an object")
    return claims
