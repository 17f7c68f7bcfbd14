"""Login throttling: failed attempts counted per (username, client address) and per address.

Over ``LOGIN_THROTTLE_ATTEMPTS`` failures inside a sliding ``LOGIN_THROTTLE_WINDOW`` (seconds),
for the username *from that address*, or for the address whatever the username, the next
attempt from there is refused before the password is checked. Never per username alone: then
anyone could lock the owner out by failing as ``manager`` from anywhere (django-axes' combined
lockout parameters, ``[["username", "ip_address"], "ip_address"]``, make the same choice). A
successful login clears its (username, address) count, not the address's: one valid account
must not reset an address that is guessing other accounts' passwords.

Why not django-axes itself: it would do the same counting with three tables, a middleware, an
authentication backend and django-ipware, and a database write per failed attempt; this module
is exact across every worker on a host without touching the database, and ``CacheStore`` covers
several hosts.

Where the counts live. Django's default cache is per process (LocMem): with four gunicorn
workers an attacker would get up to four times the allowance, and the count would vanish on
every worker restart. So the default store is a directory of small files under ``VAR_DIR``
(``FileStore``): one file per key, named by a keyed hash (no username or address readable on
disk), and each read-modify-write is done under ``flock``, so the count is exact across every
worker on the host and survives restarts. Several web *hosts* need a shared store: set
``LOGIN_THROTTLE_CACHE`` to the alias of a shared cache (Redis or Memcached in ``CACHES``) and
``CacheStore`` is used instead. ``MemoryStore`` is for tests.

The client address is ``REMOTE_ADDR``. ``X-Forwarded-For`` is believed only when the request
comes from a trusted proxy (``TRUSTED_PROXIES``, loopback by default: nginx on the same host),
and then only its right-most address that is not itself a trusted proxy, so a client cannot
choose its own address by sending the header.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

try:
    import fcntl
except ImportError:  # pragma: no cover - not on the Linux servers Pass runs on
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("orders_app.login")

DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")
# Never keep more timestamps than this per key, whatever the attempts setting.
MAX_KEPT = 100


class FailureStore(Protocol):
    def failures(self, key: str, *, since: float) -> list[float]:
        """Timestamps of the failures recorded for ``key`` after ``since``, oldest first."""

    def add(self, key: str, at: float, *, since: float) -> list[float]:
        """Record a failure at ``at``; return the failures after ``since`` including it."""

    def clear(self, key: str) -> None: ...


def _prune(stamps: Iterable[float], since: float) -> list[float]:
    return sorted(s for s in stamps if s > since)[-MAX_KEPT:]


class MemoryStore:
    """In-process store: for tests, or a single-process server."""

    def __init__(self) -> None:
        self._data: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def failures(self, key: str, *, since: float) -> list[float]:
        with self._lock:
            return _prune(self._data.get(key, []), since)

    def add(self, key: str, at: float, *, since: float) -> list[float]:
        with self._lock:
            stamps = _prune([*self._data.get(key, []), at], since)
            self._data[key] = stamps
            return list(stamps)

    def clear(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class FileStore:
    """One small file of timestamps per key in ``directory``, locked with ``flock``.

    Exact across the worker processes of one host and kept across restarts. Files of keys that
    have seen no failure for ``ttl`` seconds are swept now and then, so a spray of made-up
    usernames cannot fill the disk.
    """

    def __init__(self, directory: Path, *, ttl: float, sweep_probability: float = 0.01) -> None:
        self.directory = Path(directory)
        self.ttl = ttl
        self.sweep_probability = sweep_probability

    def _path(self, key: str) -> Path:
        digest = salted_hmac("pass.login-throttle", key, algorithm="sha256").hexdigest()
        return self.directory / f"{digest[:40]}.t"

    @contextlib.contextmanager
    def _locked(self, key: str, *, create: bool) -> Iterator[IO[str] | None]:
        path = self._path(key)
        if create:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = open(path, "a+", encoding="ascii")  # noqa: SIM115 - closed below
        else:
            try:
                handle = open(path, encoding="ascii")  # noqa: SIM115 - closed below
            except FileNotFoundError:
                yield None
                return
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX if create else fcntl.LOCK_SH)
            handle.seek(0)
            yield handle
        finally:
            handle.close()  # closing releases the lock

    @staticmethod
    def _read(handle: IO[str]) -> list[float]:
        stamps = []
        for line in handle.read().split():
            with contextlib.suppress(ValueError):
                stamps.append(float(line))
        return stamps

    def failures(self, key: str, *, since: float) -> list[float]:
        with self._locked(key, create=False) as handle:
            return [] if handle is None else _prune(self._read(handle), since)

    def add(self, key: str, at: float, *, since: float) -> list[float]:
        with self._locked(key, create=True) as handle:
            assert handle is not None
            stamps = _prune([*self._read(handle), at], since)
            handle.seek(0)
            handle.truncate()
            handle.write("".join(f"{s!r}\n" for s in stamps))
            handle.flush()
        if random.random() < self.sweep_probability:
            self.sweep()
        return stamps

    def clear(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def sweep(self, *, now: float | None = None) -> int:
        """Delete files untouched for ``ttl`` seconds (wall-clock mtime); return how many."""
        cutoff = (time.time() if now is None else now) - self.ttl
        removed = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.directory):
                if not entry.name.endswith(".t"):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
        return removed


class CacheStore:
    """Failures kept in a Django cache: use a shared one (Redis, Memcached) for several hosts.

    The read-modify-write is not atomic, so simultaneous failures for one key may each count
    once less; fine for throttling, where the window still closes within a few attempts.
    """

    def __init__(self, cache: BaseCache, *, ttl: float) -> None:
        self.cache = cache
        self.ttl = ttl

    @staticmethod
    def _key(key: str) -> str:
        return "pass-login-throttle:" + salted_hmac("pass.login-throttle", key).hexdigest()

    def failures(self, key: str, *, since: float) -> list[float]:
        return _prune(self.cache.get(self._key(key), []), since)

    def add(self, key: str, at: float, *, since: float) -> list[float]:
        stamps = _prune([*self.cache.get(self._key(key), []), at], since)
        self.cache.set(self._key(key), stamps, timeout=math.ceil(self.ttl) + 1)
        return stamps

    def clear(self, key: str) -> None:
        self.cache.delete(self._key(key))


@dataclass(frozen=True)
class ThrottleDecision:
    blocked: bool
    retry_after: int = 0  # seconds until an attempt is allowed again
    scope: str = ""  # "username@address", "address" or both, comma-separated

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def message(self) -> str:
        minutes = self.retry_minutes
        return ngettext(
            "Too many failed attempts. Try again in %(count)s minute.",
            "Too many failed attempts. Try again in %(count)s minutes.",
            minutes,
        ) % {"count": minutes}


class LoginThrottle:
    """Decides whether a login attempt may be checked, and records its outcome."""

    def __init__(
        self,
        *,
        store: FailureStore,
        attempts: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.attempts = attempts
        self.window = window
        self.clock = clock

    @classmethod
    def from_settings(cls) -> LoginThrottle:
        window = settings.LOGIN_THROTTLE_WINDOW
        alias = getattr(settings, "LOGIN_THROTTLE_CACHE", "")
        store: FailureStore
        if alias:
            store = CacheStore(caches[alias], ttl=window)
        else:
            directory = getattr(
                settings, "LOGIN_THROTTLE_DIR", Path(settings.VAR_DIR) / "login-throttle"
            )
            store = FileStore(Path(directory), ttl=window)
        return cls(store=store, attempts=settings.LOGIN_THROTTLE_ATTEMPTS, window=window)

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, str]:
        """The counters an attempt is checked against. An empty username (a form error, never
        counted) shares no bucket, and an unknown address leaves the username's alone."""
        keys = {}
        name = normalize_username(username)
        if name:
            keys["username@address"] = f"ua:{name}\n{address}"
        if address:
            keys["address"] = "a:" + address
        return keys

    def _retry_after(self, stamps: list[float], now: float) -> float:
        # Allowed again once the failure that filled the allowance leaves the window.
        return stamps[-self.attempts] + self.window - now

    def check(self, *, username: str, address: str) -> ThrottleDecision:
        now = self.clock()
        since = now - self.window
        blocked: dict[str, float] = {}
        for scope, key in self._keys(username, address).items():
            stamps = self.store.failures(key, since=since)
            if len(stamps) >= self.attempts:
                blocked[scope] = self._retry_after(stamps, now)
        if not blocked:
            return ThrottleDecision(blocked=False)
        return ThrottleDecision(
            blocked=True,
            retry_after=max(1, math.ceil(max(blocked.values()))),
            scope=",".join(blocked),
        )

    def record_failure(self, *, username: str, address: str) -> None:
        now = self.clock()
        for key in self._keys(username, address).values():
            self.store.add(key, now, since=now - self.window)

    def record_success(self, *, username: str, address: str) -> None:
        key = self._keys(username, address).get("username@address")
        if key is not None:
            self.store.clear(key)


def normalize_username(username: str) -> str:
    """Case and surrounding space do not make a new username to guess against."""
    return username.strip().casefold()[:150]


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [::1]:1234
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 1.2.3.4:1234
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in entries:
        with contextlib.suppress(ValueError):
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
    return networks


def client_address(request: HttpRequest, *, trusted_proxies: Iterable[str] | None = None) -> str:
    """The address to throttle: REMOTE_ADDR, or the proxy's word for it when the proxy is ours."""
    if trusted_proxies is None:
        trusted_proxies = getattr(settings, "TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)
    networks = _networks(trusted_proxies)

    def trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip in net for net in networks if ip.version == net.version)

    remote = _parse_ip(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return ""
    if not trusted(remote):
        return str(remote)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _parse_ip(hop)
        if ip is None:
            break  # garbage in the chain: stop believing it and use the last good address
        if not trusted(ip):
            return str(ip)
        remote = ip
    return str(remote)


def log_safe(value: str, limit: int = 64) -> str:
    """A user-typed value fit for one logfmt line: no newlines or quotes, bounded length."""
    cleaned = "".join(ch if ch.isprintable() and ch not in '"\\' else "?" for ch in value)
    return cleaned[:limit] + ("..." if len(cleaned) > limit else "")
