"""What the fault drills share: a database other processes can open, real processes, and a
score that compares the cache with the simulator's own truth.

- ``drill_databases`` (session): one migrated template (with a manager login) on whichever
  database the suite runs on: a SQLite file on the SQLite run, a PostgreSQL database beside
  pytest-django's on the PostgreSQL run (``DATABASE_URL`` from ``.ci/with_postgres.py``).
  ``drill_databases.clone()`` gives a fresh ``DrillDatabase`` copied from it; every clone is
  dropped after the session. Drills never touch pytest-django's own test database: every
  process (sync, web, audit) opens the clone through ``DATABASE_URL``, as in production.
- ``processes`` (function): ``processes.manage(env, "sync_orders", "--loop", ...)`` starts
  ``python -m tests.drills.run -- sync_orders ...`` and returns a ``Proc`` whose stdout lines
  are collected by a thread; every process still running at teardown is killed (by pid).
- ``audit(env)`` reads the cache through a subprocess; ``score(snapshot, sim)`` counts orders
  lost, duplicated and wrong against the simulator; ``Score.line("kill9")`` is the summary.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from orders_app.clopos.payloads import ParsedOrder, PayloadError, parse_order
from tests.fixtures.net import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
MANAGER = ("drill-manager", "a-long-drill-password")


# --- Environment --------------------------------------------------------------------------------


def base_env(var_dir: Path) -> dict[str, str]:
    """The environment of a drill process: no Clopos or sync settings inherited, no .env."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLOPOS_", "SYNC_", "DJANGO_", "MANAGER_")) and k != "DATABASE_URL"
    }
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        PASS_IGNORE_DOTENV="1",
        PASS_TESTING="1",  # the same (fast) password hasher in every process
        PASS_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DJANGO_DEBUG="1",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    return env


def clopos_env(base_url: str, **extra: object) -> dict[str, str]:
    """CLOPOS_* for a simulator (demo credentials), plus any other settings as text."""
    creds = settings.CLOPOS_DEMO_CREDENTIALS
    env = {
        "CLOPOS_BASE_URL": base_url,
        "CLOPOS_CLIENT_ID": creds["client_id"],
        "CLOPOS_CLIENT_SECRET": creds["client_secret"],
        "CLOPOS_BRAND": creds["brand"],
        "CLOPOS_INTEGRATOR_ID": creds["integrator_id"],
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- Databases ----------------------------------------------------------------------------------


@dataclass
class DrillDatabase:
    """One database that the test and its processes share."""

    vendor: str  # "sqlite" or "postgresql"
    url: str
    name: str
    path: Path | None = None  # SQLite file
    connect_kwargs: dict[str, Any] = field(default_factory=dict)  # psycopg

    @property
    def is_sqlite(self) -> bool:
        return self.vendor == "sqlite"

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        if self.is_sqlite:
            conn = sqlite3.connect(str(self.path), timeout=20, isolation_level=None)
        else:
            import psycopg

            conn = psycopg.connect(**self.connect_kwargs, dbname=self.name, autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    def scalar(self, sql: str) -> Any:
        with self.connection() as conn:
            row = conn.execute(sql).fetchone()
        return row[0] if row else None

    def order_count(self) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM orders_app_order"))

    def order_status(self, order_id: int) -> str | None:
        """The cached status of one order (None: not cached)."""
        mark = "?" if self.is_sqlite else "%s"
        with self.connection() as conn:
            row = conn.execute(
                f"SELECT status FROM orders_app_order WHERE id = {mark}",  # noqa: S608
                (int(order_id),),
            ).fetchone()
        return row[0] if row else None

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold a write lock on the cache while the block runs: SQLite's database write lock
        (BEGIN IMMEDIATE, so a writer meets SQLITE_BUSY), on PostgreSQL an ACCESS EXCLUSIVE
        lock on the order table (readers and writers of it wait)."""
        with self.connection() as conn:
            if self.is_sqlite:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE orders_app_syncstate SET last_error = last_error")
            else:
                conn.autocommit = False
                conn.execute("LOCK TABLE orders_app_order IN ACCESS EXCLUSIVE MODE")
            try:
                yield
            finally:
                conn.commit() if not self.is_sqlite else conn.execute("COMMIT")


class DrillDatabases:
    """A migrated template and its clones, on the database this test run uses."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        default = settings.DATABASES["default"]
        self.vendor = "sqlite" if "sqlite" in default["ENGINE"] else "postgresql"
        self.clones: list[DrillDatabase] = []
        if self.vendor == "postgresql":
            self.connect_kwargs = {
                k: v
                for k, v in {
                    "host": default.get("HOST") or None,
                    "port": default.get("PORT") or None,
                    "user": default.get("USER") or None,
                    "password": default.get("PASSWORD") or None,
                }.items()
                if v
            }
        # One template per test session (a name of its own, so two sessions never collide).
        self.template = self._new(f"drill_template_{uuid.uuid4().hex[:10]}")
        if self.vendor == "postgresql":
            self._admin(f'CREATE DATABASE "{self.template.name}"')
        env = {**base_env(folder / "var"), "DATABASE_URL": self.template.url}
        env.update(MANAGER_USERNAME=MANAGER[0], MANAGER_PASSWORD=MANAGER[1])
        for command in (["migrate", "--noinput", "-v", "0"], ["ensure_manager"]):
            subprocess.run(
                [PYTHON, "manage.py", *command],
                env=env,
                cwd=ROOT,
                check=True,
                timeout=180,
                stdout=subprocess.DEVNULL,
            )

    def _new(self, name: str) -> DrillDatabase:
        if self.vendor == "sqlite":
            path = self.folder / f"{name}.sqlite3"
            return DrillDatabase("sqlite", f"sqlite:///{path}", name, path=path)
        kw = self.connect_kwargs
        auth = kw.get("user", "")
        if kw.get("password"):
            auth += f":{kw['password']}"
        netloc = f"{auth}@" if auth else ""
        netloc += f"{kw.get('host', '127.0.0.1')}:{kw.get('port', 5432)}"
        return DrillDatabase(
            "postgresql", f"postgres://{netloc}/{name}", name, connect_kwargs=dict(kw)
        )

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(**self.connect_kwargs, dbname="postgres", autocommit=True) as conn:
            conn.execute(sql)

    def clone(self) -> DrillDatabase:
        name = f"drill_{uuid.uuid4().hex[:10]}"
        database = self._new(name)
        if self.vendor == "sqlite":
            with (
                contextlib.closing(sqlite3.connect(str(self.template.path))) as source,
                contextlib.closing(sqlite3.connect(str(database.path))) as target,
            ):
                source.backup(target)
        else:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template.name}"')
        self.clones.append(database)
        return database

    def drop_all(self) -> None:
        if self.vendor != "postgresql":
            return
        for database in [*self.clones, self.template]:
            with contextlib.suppress(Exception):
                self._admin(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


@pytest.fixture(scope="session", name="drill_databases")
def drill_databases_fixture(tmp_path_factory) -> Iterator[DrillDatabases]:
    databases = DrillDatabases(tmp_path_factory.mktemp("drill-db"))
    yield databases
    databases.drop_all()


# --- Processes ----------------------------------------------------------------------------------


class Proc:
    """A running command: stdout lines collected as they come, stderr to a file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path, name: str) -> None:
        self.name = name
        self.log = log
        self._stderr = log.open("wb")
        self.popen = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.pid = self.popen.pid
        self.lines: list[tuple[float, str]] = []  # (time.monotonic(), line)
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name=f"drill-{name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> list[str]:
        with self._changed:
            return [line for _, line in self.lines]

    def wait_for(
        self, predicate: Callable[[str], bool] | str, *, timeout: float = 30.0, start: int = 0
    ) -> tuple[int, float, str]:
        """The first stdout line (from index ``start``) matching; (index, when, line)."""
        test = (lambda line: predicate in line) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index in range(start, len(self.lines)):
                    when, line = self.lines[index]
                    if test(line):
                        return index, when, line
                start = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (not self.alive and not self._reader.is_alive()):
                    raise AssertionError(
                        f"{self.name}: no line matching {predicate!r} within {timeout} s; "
                        f"stdout tail {self.output()[-5:]!r}; stderr tail {self.stderr()[-800:]!r}"
                    )
                self._changed.wait(min(left, 0.2))

    def finish(self, timeout: float = 60.0) -> int:
        code = self.popen.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.alive:
            self.popen.send_signal(sig)
        return self.finish(timeout)

    def kill(self) -> None:
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        self._reader.join(timeout=5)
        self._stderr.close()

    def stderr(self) -> str:
        self._stderr.flush()
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def rss_kib(self) -> int:
        """Resident memory now, from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS for {self.pid}")


class Processes:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Proc] = []

    def start(self, args: list[str], *, env: dict[str, str], name: str) -> Proc:
        proc = Proc(args, env=env, log=self.folder / f"{name}-{len(self.started)}.err", name=name)
        self.started.append(proc)
        return proc

    def manage(
        self,
        env: dict[str, str],
        *command: str,
        name: str | None = None,
        at: float | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> Proc:
        """``manage.py COMMAND ...`` through tests.drills.run (see its docstring)."""
        runner = [PYTHON, "-m", "tests.drills.run"]
        if at is not None:
            runner += ["--at", f"{at:.6f}"]
        for key, value in (overrides or {}).items():
            runner += ["--setting", f"{key}={json.dumps(value)}"]
        return self.start([*runner, "--", *command], env=env, name=name or command[0])

    def kill_all(self) -> None:
        for proc in self.started:
            proc.kill()


@pytest.fixture(name="processes")
def processes_fixture(tmp_path) -> Iterator[Processes]:
    group = Processes(tmp_path)
    yield group
    group.kill_all()


def run_manage(env: dict[str, str], *command: str, timeout: float = 60) -> str:
    """Run a management command to completion; its stdout (raises on a non-zero exit)."""
    done = subprocess.run(
        [PYTHON, "manage.py", *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(command)} exited {done.returncode}: {done.stderr}"
        )
    return done.stdout


def audit(env: dict[str, str]) -> dict:
    """The cache in the database ``env`` points at (see tests/drills/audit.py)."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.drills.audit"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise AssertionError(f"audit failed: {done.stderr}")
    return json.loads(done.stdout)


def wait_until(check: Callable[[], Any], *, timeout: float, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; that value (or AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(every)


# --- Scoring ------------------------------------------------------------------------------------


@dataclass
class Score:
    """Orders lost (in Clopos, not in the cache), duplicated (an order, item or event written
    twice) and wrong (in the cache but different from what Clopos serves, or unknown to it)."""

    orders: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def line(self, drill: str, **extra: object) -> str:
        tail = "".join(f" {k}={v}" for k, v in extra.items())
        return (
            f"drill {drill}: lost={len(self.lost)} duplicated={len(self.duplicated)} "
            f"wrong={len(self.wrong)} orders={self.orders}{tail}"
        )

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.wrong)

    def details(self) -> str:
        return f"lost {self.lost[:5]} duplicated {self.duplicated[:5]} wrong {self.wrong[:5]}"


def truth(sim: Any) -> dict[str, ParsedOrder | None]:
    """Every order the simulator serves now, parsed as sync parses it (None: unparseable)."""
    parsed: dict[str, ParsedOrder | None] = {}
    for order_id in sim.order_ids():
        try:
            parsed[str(order_id)] = parse_order(sim.order(order_id, relations=()))
        except PayloadError:
            parsed[str(order_id)] = None
    return parsed


def _items(order: ParsedOrder) -> list[list]:
    return [
        [item.position, item.name, str(item.count.normalize()), len(item.modifiers)]
        for item in order.items
    ]


def score(snapshot: dict, sim: Any) -> Score:
    expected = truth(sim)
    cached: dict[str, dict] = snapshot["orders"]
    result = Score(orders=len(expected))
    unparseable = sum(1 for parsed in expected.values() if parsed is None)
    if snapshot["skipped"] != unparseable:
        result.wrong.append(f"skipped orders {snapshot['skipped']} != {unparseable}")
    for order_id, parsed in expected.items():
        if parsed is None:
            continue
        row = cached.get(order_id)
        if row is None:
            result.lost.append(order_id)
            continue
        events = [tuple(e) for e in row["events"]]
        seen = sum(1 for e in events if e[0] == "seen")
        if seen > 1 or len(set(events)) != len(events):
            result.duplicated.append(f"{order_id}: events {events}")
        if len(row["items"]) > len(parsed.items):
            result.duplicated.append(f"{order_id}: {len(row['items'])} items")
        problems = []
        if row["status"] != parsed.status:
            problems.append(f"status {row['status']} != {parsed.status}")
        if datetime.fromisoformat(row["updated_at"]) != parsed.updated_at:
            problems.append(f"updated_at {row['updated_at']} != {parsed.updated_at.isoformat()}")
        if row["content_hash"] != parsed.content_hash:
            problems.append("content differs")
        if len(row["items"]) <= len(parsed.items) and row["items"] != _items(parsed):
            problems.append(f"items {row['items']} != {_items(parsed)}")
        if seen == 0 or (events and events[-1][2] != row["status"]):
            problems.append(f"events {events} do not end at {row['status']}")
        if problems:
            result.wrong.append(f"{order_id}: {'; '.join(problems)}")
    for order_id in cached.keys() - expected.keys():
        result.wrong.append(f"{order_id}: not in Clopos")
    return result


def comparable(snapshot: dict) -> dict:
    """A snapshot without what legitimately differs between two runs (versions, watermarks)."""
    return {
        "orders": snapshot["orders"],
        "skipped": snapshot["skipped"],
        "backfill_completed": (snapshot["sync_state"] or {}).get("backfill_completed"),
    }


def report_and_assert(drill: str, result: Score, **extra: object) -> None:
    line = result.line(drill, **extra)
    print(line)
    assert result.clean, f"{line}: {result.details()}"


# --- An outage we control -----------------------------------------------------------------------


class TcpGate:
    """A loopback TCP forwarder in front of a server, to stage an outage.

    ``down()`` closes the listening socket and every connection through it, so clients see
    what a dead host gives them: a reset on the connection they keep alive and "connection
    refused" on new ones. ``up()`` listens again on the same port. (Stopping the simulator's
    own server is not enough: its handler threads keep serving established keep-alive
    connections.)
    """

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[Any] = set()
        self._listener: Any = None
        self.up()

    def up(self) -> None:
        import socket

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        import socket

        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: Any) -> None:
        import socket

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: Any, sink: Any) -> None:
        import socket

        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
