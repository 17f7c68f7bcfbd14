"""Kiosk keys for the wall screen: created, listed and revoked here; stored only as a hash.

A key is ``secrets.token_urlsafe(32)`` (256 bits). Only its sha256 is stored, so neither the
database nor the admin can show it again: the kiosk URL is printed once, when it is created.
Opening ``/wall/?key=...`` puts the key's id in the session (a wall-only grant, not a login),
and every wall request re-checks that the key has not been revoked since.

A key may also allow its screen to bump tickets (``can_bump``, off unless asked for); that is
read only when a screen bumps (``wall_key_can_bump``), so the poll's grant check stays one
small query.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders_app.clopos.redaction import redact
from orders_app.fastpaths import wall_key_grant_row
from orders_app.models import WallKey

# Where the grant lives in the session.
SESSION_KEY = "wall_key_id"
# last_used_at is written at most this often per key, so polling screens cost no writes.
TOUCH_EVERY = timedelta(minutes=5)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
NAME_MAX = 100


class WallKeyError(ValueError):
    """A key operation that cannot be done (duplicate name, unknown name, bad name)."""


@dataclass(frozen=True)
class CreatedKey:
    wall_key: WallKey
    key: str  # the only time the plain key exists

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return kiosk_url(base_url=base_url, key=self.key)


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of looking a key (or a session's key id) up."""

    state: str  # "ok", "revoked" or "unknown"
    key_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def kiosk_url(*, base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/wall/?{urlencode({'key': key})}"


def wall_key_create(
    *, name: str, can_bump: bool = False, now: datetime | None = None
) -> CreatedKey:
    name = (name or "").strip()
    if not name:
        raise WallKeyError("A kiosk key needs a name, e.g. --name kitchen-pass")
    if len(name) > NAME_MAX:
        raise WallKeyError(f"A kiosk key name is at most {NAME_MAX} characters")
    key = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            wall_key = WallKey.objects.create(
                name=name,
                key_hash=hash_key(key),
                created_at=now or timezone.now(),
                can_bump=can_bump,
            )
    except IntegrityError:
        raise WallKeyError(
            f"A kiosk key named {name!r} already exists (revoke it or pick another name)"
        ) from None
    return CreatedKey(wall_key=wall_key, key=key)


def wall_key_revoke(*, name: str, now: datetime | None = None) -> WallKey:
    wall_key = WallKey.objects.filter(name=name).first()
    if wall_key is None:
        raise WallKeyError(f"No kiosk key named {name!r}")
    if wall_key.revoked_at is None:
        wall_key.revoked_at = now or timezone.now()
        wall_key.save(update_fields=["revoked_at"])
    return wall_key


def wall_key_set_bump(*, name: str, can_bump: bool) -> WallKey:
    """Allow (or stop) bumping from the screens of the key named ``name``; takes effect on
    their next tap, as a revoke does on their next poll."""
    wall_key = WallKey.objects.filter(name=name).first()
    if wall_key is None:
        raise WallKeyError(f"No kiosk key named {name!r}")
    if wall_key.can_bump != can_bump:
        wall_key.can_bump = can_bump
        wall_key.save(update_fields=["can_bump"])
    return wall_key


def wall_keys_set_bump(*, ids: list[int], can_bump: bool) -> int:
    """Allow or stop bumping on several keys at once (the admin's actions); how many changed."""
    return WallKey.objects.filter(id__in=ids).exclude(can_bump=can_bump).update(can_bump=can_bump)


def wall_key_bumper(*, key_id: object) -> str | None:
    """The key's name (the outbox's ``actor``) when the screen holding this grant may bump:
    an active key with ``can_bump``; else None. One query, run on a bump, never on a poll."""
    if not isinstance(key_id, int) or isinstance(key_id, bool):
        return None
    return (
        WallKey.objects.filter(id=key_id, revoked_at__isnull=True, can_bump=True)
        .values_list("name", flat=True)
        .first()
    )


def wall_key_can_bump(*, key_id: object) -> bool:
    """May the screen holding this grant bump? (``wall_key_bumper`` is not None.)"""
    return wall_key_bumper(key_id=key_id) is not None


def wall_keys_revoke(*, ids: list[int], now: datetime | None = None) -> int:
    """Revoke several keys at once (the admin action); returns how many were still active."""
    return WallKey.objects.filter(id__in=ids, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


def wall_key_list() -> list[WallKey]:
    return list(WallKey.objects.order_by("name"))


def wall_key_check(*, key: str) -> KeyCheck:
    """Look a plain key up by its hash (unique index)."""
    if not key or len(key) > 200:
        return KeyCheck("unknown")
    row = WallKey.objects.filter(key_hash=hash_key(key)).values_list("id", "revoked_at").first()
    if row is None:
        return KeyCheck("unknown")
    key_id, revoked_at = row
    return KeyCheck("revoked" if revoked_at else "ok", key_id)


def wall_key_check_id(*, key_id: object, now: datetime | None = None) -> KeyCheck:
    """Re-check a session's grant: one primary-key query (a fast path: every request of every
    kiosk screen runs it, see orders_app/fastpaths.py); last_used_at written rarely."""
    if not isinstance(key_id, int) or isinstance(key_id, bool):
        return KeyCheck("unknown")
    return wall_key_check_grant(key_id=key_id, row=wall_key_grant_row(key_id), now=now)


def wall_key_check_grant(
    *, key_id: int, row: tuple[bool, datetime | None] | None, now: datetime | None = None
) -> KeyCheck:
    """A grant judged from its key's row ((revoked, last_used_at), None for no such key), read
    by the caller (``wall_key_check_id``, or a kiosk's poll with the sync state beside it)."""
    if row is None:
        return KeyCheck("unknown")
    revoked, last_used_at = row
    if revoked:
        return KeyCheck("revoked", key_id)
    now = now or timezone.now()
    if last_used_at is None or now - last_used_at > TOUCH_EVERY:
        WallKey.objects.filter(id=key_id).update(last_used_at=now)
    return KeyCheck("ok", key_id)


def redact_keys(text: str) -> str:
    """``/wall/?key=abc&venue=1`` -> ``/wall/?key=[redacted]&venue=1``."""
    return redact(text, query_params=("key",))


class RedactWallKeyFilter(logging.Filter):
    """A logging filter for access logs that include query strings (runserver's django.server):
    replaces any ``key=...`` value in the message with ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        if "key=" in message:
            record.msg = redact_keys(message)
            record.args = ()
        return True
