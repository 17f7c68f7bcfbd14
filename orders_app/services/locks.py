"""One sync runner at a time per database: a lease row claimed with a conditional UPDATE.

The lease is a row in ``SyncLease``. A runner claims it with one UPDATE that only matches when
the lease is free, expired, or already its own, so exactly one of two racing runners sees
"1 row updated" on SQLite and PostgreSQL alike, from any process or host. The holder renews the
lease from a background thread (``LeaseKeeper``) for as long as it lives, checks it before every
write, and clears it when done; a runner that dies simply lets it expire
(``SYNC_LEASE_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from orders_app.models import SyncLease

SYNC_LEASE = "sync_orders"

logger = logging.getLogger("orders_app.sync")


def default_holder() -> str:
    """``host:pid``: who holds the lease, in words an operator can act on."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaseHeld(Exception):
    """Another runner holds the lease."""

    def __init__(self, *, name: str, holder: str, expires_at: datetime | None) -> None:
        self.name = name
        self.holder = holder
        self.expires_at = expires_at
        until = (
            timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            if expires_at
            else "unknown"
        )
        command = "sync_orders" if name == SYNC_LEASE else name
        super().__init__(
            f"another {command} is running (holder {holder or 'unknown'}, lease until {until})"
        )


class LeaseLost(Exception):
    """The lease expired and someone else took it: stop writing."""


@dataclass
class Lease:
    name: str
    holder: str
    seconds: int
    expires_at: datetime
    renewed_at: datetime


def _ensure_row(name: str) -> None:
    if SyncLease.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            SyncLease.objects.create(name=name)
    except IntegrityError:
        pass  # another runner created it first


def lease_acquire(
    *,
    name: str = SYNC_LEASE,
    holder: str | None = None,
    seconds: int | None = None,
    now: datetime | None = None,
) -> Lease:
    """Claim the lease or raise LeaseHeld naming who has it and until when."""
    holder = holder or default_holder()
    seconds = seconds if seconds is not None else settings.SYNC_LEASE_SECONDS
    now = now or timezone.now()
    _ensure_row(name)
    expires_at = now + timedelta(seconds=seconds)
    claimed = (
        SyncLease.objects.filter(name=name)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now) | Q(holder=holder))
        .update(holder=holder, acquired_at=now, expires_at=expires_at)
    )
    if claimed != 1:
        current = SyncLease.objects.filter(name=name).values("holder", "expires_at").first() or {}
        raise LeaseHeld(
            name=name, holder=current.get("holder", ""), expires_at=current.get("expires_at")
        )
    return Lease(name=name, holder=holder, seconds=seconds, expires_at=expires_at, renewed_at=now)


def lease_wait(
    *,
    name: str = SYNC_LEASE,
    holder: str | None = None,
    seconds: int | None = None,
    timeout: float | None = None,
    poll: float = 1.0,
    should_stop: Callable[[], bool] | None = None,
    on_wait: Callable[[LeaseHeld], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Lease | None:
    """Claim the lease, waiting for the holder to finish (or its lease to expire).

    Returns None when ``should_stop`` says so first; raises the last LeaseHeld after
    ``timeout`` seconds (None waits for ever). ``on_wait`` is told once who is in the way.
    """
    started = clock()
    told = False
    while True:
        try:
            return lease_acquire(name=name, holder=holder, seconds=seconds)
        except LeaseHeld as held:
            if on_wait is not None and not told:
                on_wait(held)
                told = True
            if timeout is not None and clock() - started >= timeout:
                raise
        if should_stop is not None and should_stop():
            return None
        sleep(poll)


def lease_renew(lease: Lease, *, now: datetime | None = None, force: bool = False) -> None:
    """Extend the lease. Cheap to call often: it writes only once a quarter of the lease has
    passed since the last renewal (or when ``force``). Raises LeaseLost if it is not ours."""
    now = now or timezone.now()
    if not force and now - lease.renewed_at < timedelta(seconds=lease.seconds / 4):
        return
    expires_at = now + timedelta(seconds=lease.seconds)
    renewed = SyncLease.objects.filter(name=lease.name, holder=lease.holder).update(
        expires_at=expires_at
    )
    if renewed != 1:
        raise LeaseLost(
            f"the {lease.name} lease was taken over by another runner; stopping this one"
        )
    lease.expires_at = expires_at
    lease.renewed_at = now


def lease_release(lease: Lease) -> None:
    """Give the lease up (only if it is still ours)."""
    SyncLease.objects.filter(name=lease.name, holder=lease.holder).update(
        holder="", expires_at=None
    )


class LeaseKeeper:
    """Renews a lease from a background thread every third of its length, so a runner that is
    alive keeps its lease however long one request takes (a RateLimit-Reset wait, client
    retries). ``check()``, called before every write, raises LeaseLost if the lease was taken
    over (the process was frozen past its lease, or the database says it is someone else's).
    """

    def __init__(self, lease: Lease, *, every: float | None = None) -> None:
        self.lease = lease
        self.every = every if every is not None else max(lease.seconds / 3, 0.5)
        self.lost: str = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sync-lease", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(self.every):
                try:
                    lease_renew(self.lease, force=True)
                except LeaseLost as exc:
                    self.lost = str(exc)
                    return
                except Exception:
                    logger.exception("sync_lease_renew_failed holder=%s", self.lease.holder)
        finally:
            connection.close()  # this thread's own connection

    def check(self, *, now: datetime | None = None) -> None:
        """Raise LeaseLost unless the lease is still ours; renews it first if it is about to
        run out (the keeper thread could not, e.g. the process was paused)."""
        if self.lost:
            raise LeaseLost(self.lost)
        now = now or timezone.now()
        if now >= self.lease.expires_at - timedelta(seconds=self.lease.seconds / 3):
            lease_renew(self.lease, now=now, force=True)
