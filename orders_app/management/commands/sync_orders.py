"""python manage.py sync_orders: fill the order cache from Clopos (see orders_app/services/sync/).

One pass by default (orders, receipts, the stop list, and reference data when due): exit 0 when
it worked, 1 with the reason when it did not, 75 when another runner holds the lease (unless
``--wait``). ``--loop`` runs the orders every ``--interval`` seconds (SYNC_INTERVAL) and the
kitchen every SYNC_RECEIPTS_SECONDS (services/sync/cadence.py), and survives any fault: the
error is recorded on the sync state, the cache keeps what it had, and the next pass comes after one interval while Clopos is unreachable (the client backs off inside
the pass) or after a capped exponential backoff for anything else (see ``failure_delay``).
SIGTERM and SIGINT finish the current page and exit 0. With writes to Clopos on (WALL_BUMP,
BOARD_CAN_IGNORE), every pass first delivers the outbox's taps, and ``--loop`` delivers them
between passes too, within OUTBOX_CHECK_SECONDS (0.25 s) of the tap (services/outbox).

Output: one summary line per pass on stdout (``sync ok created=3 updated=5 ...``); warnings and
errors as logfmt lines through logging; on a terminal, a progress bar for backfills on stderr.
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from orders_app.clopos.errors import CloposError, CloposUnavailable
from orders_app.services.insight_rollups import warm as warm_insights
from orders_app.services.locks import (
    Lease,
    LeaseHeld,
    LeaseKeeper,
    LeaseLost,
    lease_acquire,
    lease_release,
    lease_wait,
)
from orders_app.services.outbox import deliver, kinds_on, outbox_due
from orders_app.services.sync import (
    PassResult,
    Progress,
    SyncFailed,
    failure_message,
    failure_record,
    failure_result,
    quote,
    sync_pass,
)
from orders_app.services.sync.cadence import Cadence

logger = logging.getLogger("orders_app.sync")

EXIT_FAILED = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: another runner has the lease; try again later
BACKOFF_CAP = 300.0  # seconds between passes while Clopos keeps failing


def backoff_delay(failures: int, interval: float, *, cap: float = BACKOFF_CAP) -> float:
    """Seconds before the next pass after ``failures`` failed passes in a row: the interval
    doubled per failure, never more than ``cap``."""
    return min(interval * (2 ** min(failures, 16)), max(cap, interval))


def failure_delay(cause: BaseException | None, failures: int, interval: float) -> float:
    """How long the loop waits after a failed pass.

    Clopos unavailable (timeouts, connection errors, 5xx, gateway pages, truncated bodies):
    the client has already retried with its own capped backoff inside the pass, so the loop
    keeps its normal cadence and is current within one interval of Clopos coming back; one
    request per interval is far below any rate limit. Everything else (rate limiting that
    outlasted the client's retries, credentials or configuration Clopos refuses, the database,
    a bug): exponential backoff, capped, since trying again at once cannot help.
    """
    if isinstance(cause, CloposUnavailable):
        return interval
    return backoff_delay(failures, interval)


def parse_since(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be a date like 2026-02-01, not {value!r}") from None


class ProgressBar:
    """A one-line progress bar on a terminal: pages, orders, rate and ETA.

    Kept rather than tqdm or rich (issue 8 §3): the pass already knows what a bar needs (its
    own clock's elapsed time, and the distinct rows read against the server's total, which can
    run past it), so this is one formatted line per page and no new dependency; tqdm would keep
    a second clock and redraw from its own rate, and neither library would print this line,
    which the tests read. It is shown only on a terminal (``run_once``) and cleared before the
    summary line, so what cron and log collectors read is the same with or without it.
    """

    WIDTH = 28

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, progress: Progress) -> None:
        if progress.mode == "incremental":
            return  # a few pages at most: the summary line says enough
        rate = progress.orders / progress.elapsed if progress.elapsed > 0 else 0.0
        if progress.total:
            done = min(progress.orders / progress.total, 1.0)
            bar = "#" * int(done * self.WIDTH)
            left = max(progress.total - progress.orders, 0)
            eta = f"{left / rate:.0f}s" if rate > 0 else "?"
            line = (
                f"{progress.mode} [{bar:<{self.WIDTH}}] {progress.orders}/{progress.total} "
                f"orders, {progress.pages} pages, {rate:.0f}/s, ETA {eta}"
            )
        else:
            line = (
                f"{progress.mode}: {progress.orders} orders, {progress.pages} pages, {rate:.0f}/s"
            )
        self.stream.write("\r" + line[:120].ljust(120))
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()
            self.shown = False


class Command(BaseCommand):
    help = "Fill the order cache from Clopos: one pass, or --loop to keep it fresh."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep syncing until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between passes with --loop (default SYNC_INTERVAL).",
        )
        parser.add_argument(
            "--since",
            type=parse_since,
            default=None,
            help="Backfill orders created since this date (YYYY-MM-DD).",
        )
        parser.add_argument("--full", action="store_true", help="Backfill every order Clopos has.")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="If another sync_orders is running, wait for it instead of exiting.",
        )

    # --- Signals ---------------------------------------------------------------------------------

    def on_signal(self, signum: int, frame: Any) -> None:
        if self.shutdown:  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        self.shutdown = True
        logger.info("sync_shutdown_requested signal=%s", signal.Signals(signum).name)

    def should_stop(self) -> bool:
        return self.shutdown

    # --- One pass --------------------------------------------------------------------------------

    def run_once(
        self,
        *,
        full: bool = False,
        since: date | None = None,
        kitchen: bool = True,
        stop_list_now: bool = False,
    ) -> PassResult:
        """One pass under the lease; returns its result or raises what stopped it."""
        bar = ProgressBar(self.stderr._out) if self.stderr.isatty() else None
        try:
            return sync_pass(
                client=self.client,
                full=full,
                since=since,
                progress=bar,
                should_stop=self.should_stop,
                check_lease=self.check_lease,
                kitchen=kitchen,
                stop_list_now=stop_list_now,
            )
        finally:
            if bar is not None:
                bar.finish()

    def check_lease(self) -> None:
        """Before each page is written: the lease must still be ours."""
        if self.keeper is not None:
            self.keeper.check()

    def report(self, result: PassResult) -> None:
        self.stdout.write(result.summary_line())
        for warning in result.warnings:
            logger.warning("sync_warning detail=%s", warning)

    # --- handle ----------------------------------------------------------------------------------

    def handle(
        self,
        *args: Any,
        loop: bool,
        interval: float | None,
        since: date | None,
        full: bool,
        wait: bool,
        **options: Any,
    ) -> None:
        self.shutdown = False
        self.lease: Lease | None = None
        self.keeper: LeaseKeeper | None = None
        self.client = None
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        interval = interval if interval is not None else settings.SYNC_INTERVAL
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds")
        if full and since is not None:
            raise CommandError("use --full or --since, not both")

        self.lease = self.take_lease(wait=wait or False)
        if self.lease is None:
            return  # asked to stop while waiting
        self.keeper = LeaseKeeper(self.lease).start()
        try:
            from orders_app.clopos.client import CloposClient

            try:
                self.client = CloposClient.from_settings()
            except CloposError as exc:
                failure_record(failure_result(exc))
                raise CommandError(f"sync failed: {exc}", returncode=EXIT_FAILED) from None
            if loop:
                self.loop(interval=interval, full=full, since=since)
            else:
                self.one_shot(full=full, since=since)
        finally:
            self.keeper.stop()
            lease_release(self.lease)
            if self.client is not None:
                self.client.close()

    def take_lease(self, *, wait: bool) -> Lease | None:
        if not wait:
            try:
                return lease_acquire()
            except LeaseHeld as held:
                raise CommandError(str(held), returncode=EXIT_BUSY) from None

        def told(held: LeaseHeld) -> None:
            self.stderr.write(f"{held}; waiting for it to finish")

        return lease_wait(should_stop=self.should_stop, on_wait=told)

    def one_shot(self, *, full: bool, since: date | None) -> None:
        try:
            result = self.run_once(full=full, since=since, stop_list_now=True)
        except SyncFailed as failed:
            self.stdout.write(failed.result.summary_line())
            if failed.internal:
                logger.error("sync_internal_error", exc_info=failed.__cause__)
            raise CommandError(f"sync failed: {failed}", returncode=EXIT_FAILED) from None
        except Exception as exc:  # before the pass could start (e.g. the database is away)
            message = failure_message(exc)
            logger.error("sync_internal_error", exc_info=exc)
            failure_record(failure_result(exc))
            raise CommandError(f"sync failed: {message}", returncode=EXIT_FAILED) from None
        self.report(result)

    def loop(self, *, interval: float, full: bool, since: date | None) -> None:
        failures = 0
        first = True
        cadence = Cadence(interval=interval, kitchen_every=settings.SYNC_RECEIPTS_SECONDS)
        while not self.shutdown:
            if not connection.in_atomic_block:
                close_old_connections()
            started = time.monotonic()
            headroom = self.client.rate_headroom() if self.client is not None else None
            kitchen = cadence.kitchen_due(headroom)
            try:
                result = self.run_once(
                    full=full and first, since=since if first else None, kitchen=kitchen
                )
            except Exception as exc:
                # Whatever happened (Clopos, network, database, a bug), the loop lives on:
                # the failure is on SyncState and the next pass comes after a backoff.
                failures += 1
                cause = exc.__cause__ if isinstance(exc, SyncFailed) else exc
                message = str(exc) if isinstance(exc, SyncFailed) else failure_message(exc)
                if not isinstance(exc, SyncFailed):
                    failure_record(failure_result(exc))
                if not isinstance(exc, SyncFailed) or exc.internal:
                    logger.error("sync_internal_error", exc_info=cause)
                delay = failure_delay(cause, failures, interval)
                self.stdout.write(
                    f"sync failed consecutive_failures={failures} retry_in={delay:g}s "
                    f"error={quote(message)}"
                )
                if isinstance(cause, LeaseLost):
                    raise CommandError(str(cause), returncode=EXIT_BUSY) from None
            else:
                failures = 0
                first = False
                cadence.ran(kitchen=kitchen, started=started)
                self.report(result)
                if kitchen:
                    warm_insights()
                delay = cadence.delay(started=started, headroom=self.client.rate_headroom())
            self.sleep(delay)
        self.stdout.write("sync stopped")

    def sleep(self, seconds: float) -> None:
        """Sleep in slices of at most a second so a stop signal is honoured quickly (the lease
        keeper renews the lease meanwhile). With writes to Clopos on, each slice is
        OUTBOX_CHECK_SECONDS and first delivers any tap waiting in the outbox: a tap reaches
        Clopos within a second, not at the next pass."""
        deadline = time.monotonic() + seconds
        check = settings.OUTBOX_CHECK_SECONDS
        writes = bool(kinds_on()) and check > 0
        while not self.shutdown:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.keeper is not None and self.keeper.lost:
                raise CommandError(self.keeper.lost, returncode=EXIT_BUSY)
            if writes:
                # Clopos not answering a tap: the next pass tries again, not every slice
                # (each failed attempt spends the request budget).
                writes = self.deliver_waiting()
                left = deadline - time.monotonic()
                if left <= 0:
                    return
            time.sleep(min(check if writes else 1.0, left))

    def deliver_waiting(self) -> bool:
        """Deliver the outbox's due taps between passes (services/outbox); False when Clopos
        did not answer one (it stays pending, with its backoff). A fault of the database is
        logged and left to the next slice or pass: the loop lives on, and the taps stay in
        the outbox."""
        try:
            if not outbox_due():
                return True
            delivery = deliver(self.client)
        except Exception:
            logger.error("outbox_delivery_error", exc_info=True)
            close_old_connections()
            return True
        if delivery.attempted:
            self.stdout.write(delivery.summary())
        return not delivery.retrying
