"""The simulator's x-tokens: HS256 JWTs with the claims the real gateway puts in them.

Expiry follows real time (``time.time()``), not the simulator clock, so a test that advances
the clock by hours never finds its token expired by surprise. ``expire_all`` is the control
that makes every token issued so far answer 401 "Token expired" (docs/clopos.md §2).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

from orders_app.clopos.simulator import jwt
from orders_app.clopos.simulator.config import SimClient


class TokenIssuer:
    def __init__(self, *, seed: int, ttl: int, secret: str):
        self.seed = seed
        self.ttl = ttl
        self.secret = secret
        self._lock = threading.Lock()
        # A serial number in every token: expire_all marks every number below the next one.
        self._sid = itertools.count(1)
        self._expired_below = 0

    def issue(self, client: SimClient) -> tuple[str, int]:
        """A signed token for ``client`` and its expiry (epoch seconds)."""
        with self._lock:
            issued = int(time.time())
            expires = issued + self.ttl
            opaque = random.Random(f"{self.seed}:{issued}:{client.client_id}").getrandbits(96)
            claims = {
                "token": f"oauth_{opaque:024x}",
                "brand": client.brand,
                "stage": "beta" if client.brand_is_test else "production",
                "venue_id": client.venue_id,
                "integrator_id": client.integrator_id,
                "sid": next(self._sid),
                "iat": issued,
                "exp": expires,
            }
            return jwt.encode(claims, self.secret), expires

    def decode(self, token: str) -> dict[str, Any]:
        """The claims of a token this simulator signed; raise jwt.InvalidToken otherwise."""
        return jwt.decode(token, self.secret)

    def expired(self, claims: dict[str, Any]) -> bool:
        return (
            int(claims.get("sid", 0)) < self._expired_below
            or float(claims.get("exp", 0)) <= time.time()
        )

    def expire_all(self) -> None:
        """Every token issued so far answers 401 "Token expired" from now on."""
        with self._lock:
            self._expired_below = next(self._sid)
