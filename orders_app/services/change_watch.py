"""Held polls: a screen's poll waits on the server until the cache changes, then answers at once.

A screen (the wall, the pickup screen, the board's list) polls with its poll token; when the
token is current the poll is held for up to its screen's poll interval instead of answering
204 straight away. One watcher thread per web process reads the sync state row (the data
version, the failures, the staleness: ``selectors.sync.sync_poll_state``) every
``TICK_SECONDS`` while anyone waits, and wakes every held poll of that process the moment the
token moves. So the news of a change travels through the database, never through one
process's memory: a sync on another host, a second web process, a restart all look the same.

Why not LISTEN/NOTIFY or server-sent events (measured and argued in docs/deploy.md, "How
screens learn of a change"): reading one indexed row five times a second per process costs
well under 1% of a core, works on SQLite and PostgreSQL alike and through PgBouncer's
transaction pooling (where LISTEN does not), and adds at most one tick to the latency; a held
poll is an ordinary request that nginx, restarts and network blips treat like any other.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import connections

logger = logging.getLogger("orders_app.screens")

TICK_SECONDS = 0.2  # how often the watcher reads the token while polls are held
IDLE_STOP_SECONDS = 30.0  # the watcher thread ends after this long with nobody waiting


def _read_token() -> str:
    from orders_app.selectors.sync import sync_poll_state

    return sync_poll_state().token


class ChangeWatch:
    """One per process: held polls wait here for the poll token to move.

    ``read`` returns the current token (one small query); it runs only on the watcher thread,
    which starts with the first waiter and stops after ``idle_stop`` seconds without one (so an
    idle process runs no thread and no query)."""

    def __init__(
        self,
        read: Callable[[], str] = _read_token,
        *,
        tick: float = TICK_SECONDS,
        idle_stop: float = IDLE_STOP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._tick = tick
        self._idle_stop = idle_stop
        self._clock = clock
        self._cond = threading.Condition()
        self._token: str | None = None  # the last token read; None: not read since start
        self._read_at = float("-inf")  # ``clock`` time of that read
        self._waiters = 0
        self._last_waiter_at = 0.0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._recheck = False  # a waiter came in whose token the watcher's last read is not
        self.reads = 0  # tokens read (for tests and benchmarks)
        self.wakeups = 0  # times a held poll woke to look

    @property
    def waiting(self) -> int:
        return self._waiters

    def wait(self, token: str, seconds: float) -> str | None:
        """Block until the token differs from ``token`` (the new token) or ``seconds`` pass
        (None). Only a token read after the wait began counts, so a watcher one tick behind
        the caller's own fresh read never wakes it for nothing."""
        entered = self._clock()
        deadline = entered + max(seconds, 0.0)
        with self._cond:
            self._waiters += 1
            self._start_locked()
            try:
                while True:
                    if self._read_at >= entered and self._token not in (None, token):
                        return self._token
                    left = deadline - self._clock()
                    if left <= 0:
                        return None
                    if self._token != token:
                        # The watcher's last token is not the caller's (older or newer: not
                        # known): its next read wakes the waiters to look, moved or not.
                        self._recheck = True
                    # Otherwise woken only by a read that moves the token: no periodic wake.
                    self._cond.wait(left)
                    self.wakeups += 1
            finally:
                self._waiters -= 1
                self._last_waiter_at = self._clock()

    def _start_locked(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._token, self._read_at = None, float("-inf")
        self._thread = threading.Thread(target=self._run, name="pass-change-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                started = self._clock()  # a read counts from when it began (see ``wait``)
                try:
                    token = self._read()
                except Exception as exc:  # the database away for a moment: keep trying
                    logger.warning("change_watch_read_failed error=%s", type(exc).__name__)
                    connections.close_all()
                    token = None
                with self._cond:
                    self.reads += 1
                    if token is not None:
                        moved = token != self._token
                        self._token, self._read_at = token, started
                        if moved or self._recheck:
                            self._recheck = False
                            self._cond.notify_all()
                    idle = self._waiters == 0 and (
                        self._stopping or self._clock() - self._last_waiter_at >= self._idle_stop
                    )
                    if idle:
                        self._thread = None
                        return
                time.sleep(self._tick)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        """End the watcher thread now if nobody waits (tests: before the database goes)."""
        with self._cond:
            thread, self._stopping = self._thread, True
        if thread is not None:
            thread.join(timeout=5)
        with self._cond:
            self._stopping = False


class ActiveSlots:
    """At most ``limit`` requests of a web process run at once; a held poll gives its slot up
    while it waits.

    gunicorn's threads (GUNICORN_THREADS, 64) are there so that held polls can wait; were all
    of them to run at once under load, they would only fight over the interpreter (measured: an
    unchanged poll's p99 went from 9 ms to 580 ms at 1,000 polls/s with 64 threads running).
    So the threads that work are bounded as 4 threads bounded them before held polls."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._held = threading.local()

    def acquire(self) -> None:
        self._slots.acquire()
        self._held.on = True

    def release(self) -> None:
        if getattr(self._held, "on", False):
            self._held.on = False
            self._slots.release()

    def paused(self) -> _Paused:
        """While a held poll waits: its slot free for others (a no-op without one)."""
        return _Paused(self)


class _Paused:
    def __init__(self, slots: ActiveSlots) -> None:
        self._slots = slots
        self._had = False

    def __enter__(self) -> None:
        self._had = getattr(self._slots._held, "on", False)
        if self._had:
            self._slots.release()

    def __exit__(self, *exc: object) -> None:
        if self._had:
            self._slots.acquire()


_watch = ChangeWatch()
_slots: ActiveSlots | None = None


def active_slots() -> ActiveSlots:
    """This process's slots (``WEB_ACTIVE_REQUESTS``), made on first use."""
    global _slots
    if _slots is None:
        from django.conf import settings

        _slots = ActiveSlots(settings.WEB_ACTIVE_REQUESTS)
    return _slots


def wait_for_change(token: str, seconds: float) -> str | None:
    """Hold the caller until the poll token moves from ``token`` (the new one) or ``seconds``
    pass (None), its request's active slot given up meanwhile. The caller has just read
    ``token`` itself; see ``ChangeWatch.wait``."""
    with active_slots().paused():
        return _watch.wait(token, seconds)


def release_connection() -> None:
    """Before a held poll waits: hand this thread's database connection back when connections
    are pooled (PostgreSQL with ``DB_POOL_SIZE``), so held polls never hold connections; a
    persistent SQLite connection is kept (it costs a file handle)."""
    connection = connections["default"]
    if connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("pool"):
        connection.close()
