"""`make run`: start the dashboard's processes, watch them, stop them all on Ctrl-C.

Processes: the bundled Clopos simulator (demo mode only), the sync loop, and gunicorn.
Each is a real child process; one that dies is restarted with backoff; SIGINT/SIGTERM stop
every child (SIGTERM, then SIGKILL after a grace period) and return 0.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from orders_app.models import (
    Order,
    SkippedOrder,
    SyncLease,
    SyncState,
)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, *, timeout: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def make_private(var_dir: Path, database: Path | None = None) -> None:
    """``var/`` holds the database (sessions, password hashes), the secret key and the
    manager's generated password: only the user running Pass may read it. Files made from now
    on are private too (umask), SQLite's -wal and -shm files included."""
    os.umask(0o077)
    var_dir.mkdir(parents=True, exist_ok=True)
    paths = [var_dir, *var_dir.rglob("*")]
    if database is not None:
        paths += [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    for path in paths:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISLNK(mode) and mode & 0o077:
            path.chmod(stat.S_IMODE(mode) & 0o700)


def sqlite_database() -> Path | None:
    """The default database's file, when it is SQLite."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) != ":memory:":
        return Path(db["NAME"])
    return None


def reset_demo_cache() -> int:
    """The simulator starts a fresh restaurant each run, so the demo cache starts empty too
    (never a live cache: the demo uses its own database file by default)."""
    with transaction.atomic():
        removed = Order.objects.count()
        Order.objects.all().delete()
        SkippedOrder.objects.all().delete()
        SyncLease.objects.all().delete()
        SyncState.objects.all().delete()
    return removed


def split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class Stack:
    def __init__(self, *, base_dir: Path, out=sys.stdout, python: str = sys.executable) -> None:
        self.base_dir = base_dir
        self.out = out
        self.python = python
        self.children: list[Child] = []
        self.stopping = False

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def manage(self, *args: str) -> list[str]:
        return [self.python, str(self.base_dir / "manage.py"), *args]

    def plan(self, *, bind: str, demo: bool) -> list[Child]:
        children = []
        if demo:
            children.append(
                Child(
                    "simulator",
                    self.manage(
                        "clopos_simulator",
                        "--port",
                        str(settings.CLOPOS_SIMULATOR_PORT),
                        "--new-every",
                        os.environ.get("DEMO_NEW_ORDER_SECONDS", "20"),
                    ),
                )
            )
        children.append(Child("sync", self.manage("sync_orders", "--loop", "--wait")))
        children.append(
            Child(
                "web",
                [
                    self.python,
                    "-m",
                    "gunicorn",
                    "dashboard.wsgi",
                    "--config",
                    str(self.base_dir / "deploy" / "gunicorn.conf.py"),
                    "--bind",
                    bind,
                ],
            )
        )
        return children

    def start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, cwd=self.base_dir)
        child.started_at = time.monotonic()

    def stop_all(self, grace: float = 10.0, settle: float = 0.0) -> None:
        """SIGTERM every child still running, SIGKILL what is left after ``grace`` seconds.

        ``settle``: first give the children that long to stop by themselves. After Ctrl-C they
        already have the terminal's SIGINT (it goes to the whole process group), and a second
        signal a moment later can hang gunicorn's master for good: its signal handler puts the
        signal on a queue.Queue whose lock the interrupted main loop may be holding (seen with
        gunicorn 27: "Handling signal: int", the workers gone, the master never exiting)."""
        self.stopping = True
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and any(
            child.process and child.process.poll() is None for child in self.children
        ):
            time.sleep(0.05)
        for child in reversed(self.children):
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in reversed(self.children):
            if not child.process:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"pass: {child.name} did not stop in {grace:.0f} s; killing it")
                child.process.kill()
                child.process.wait()

    def run(self, *, bind: str, demo: bool, login_line: str) -> int:
        host, port = split_bind(bind)
        busy = [(n, p) for n, p in self.ports(host, port, demo) if not port_is_free(host, p)]
        if busy:
            for name, p in busy:
                self.say(f"pass: port {p} ({name}) is already in use on {host}; stop what uses it")
            return 1
        self.children = self.plan(bind=bind, demo=demo)

        received: list[int] = []

        def on_signal(signum, frame):
            received.append(signum)
            raise KeyboardInterrupt

        # Both installed explicitly: a shell that starts us in the background may have left
        # SIGINT ignored, and Ctrl-C must still stop everything rather than restart children.
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self.children:
                self.start(child)
                if child.name == "simulator":
                    sim_port = settings.CLOPOS_SIMULATOR_PORT
                    if not wait_for_port(
                        "127.0.0.1",
                        sim_port,
                        timeout=20,
                        alive=lambda c=child: c.process.poll() is None,
                    ):
                        self.say("pass: the Clopos simulator did not start; see its output above")
                        self.stop_all()
                        return 1
            web = self.children[-1]
            if not wait_for_port(host, port, timeout=30, alive=lambda: web.process.poll() is None):
                self.say("pass: the web server did not start; see its output above")
                self.stop_all()
                return 1
            self.banner(host=host, port=port, demo=demo, login_line=login_line)
            return self.watch()
        except KeyboardInterrupt:
            self.say("\npass: stopping…")
            # Ctrl-C reached the children too (one process group): let them stop on that.
            self.stop_all(settle=3.0 if received[:1] == [signal.SIGINT] else 0.0)
            self.say("pass: stopped")
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def ports(self, host: str, port: int, demo: bool) -> list[tuple[str, int]]:
        ports = [("web", port)]
        if demo:
            ports.append(("simulator", settings.CLOPOS_SIMULATOR_PORT))
        return ports

    def banner(self, *, host: str, port: int, demo: bool, login_line: str) -> None:
        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
        mode = (
            "DEMO: a simulated restaurant from the bundled Clopos simulator "
            "(set CLOPOS_* in .env for your own)"
            if demo
            else f"LIVE: your Clopos brand at {settings.CLOPOS_BASE_URL}"
        )
        lines = [
            "",
            "=" * 72,
            f"  Pass is running at  http://{shown_host}:{port}/",
            f"  Wall screen:        http://{shown_host}:{port}/wall/",
            f"  Health:             http://{shown_host}:{port}/healthz",
            f"  {login_line}",
            f"  Data: {mode}",
            "  Ctrl-C stops everything.",
            "=" * 72,
            "",
        ]
        self.say("\n".join(lines))

    def watch(self) -> int:
        while not self.stopping:
            time.sleep(0.5)
            now = time.monotonic()
            for child in self.children:
                if child.process is None:
                    if now >= child.next_start:
                        self.start(child)
                    continue
                code = child.process.poll()
                if code is None:
                    if now - child.started_at > 60:
                        child.restarts = 0
                    continue
                child.restarts += 1
                delay = min(30.0, 2.0**child.restarts)
                self.say(f"pass: {child.name} exited with code {code}; restarting in {delay:.0f} s")
                child.process = None
                child.next_start = now + delay
        return 0
