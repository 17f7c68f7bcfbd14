"""python manage.py sync_orders: exit codes, the summary line, the lease, --loop and signals."""

from __future__ import annotations

import io
import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders_app.clopos.errors import CloposAuthError, CloposRateLimited, CloposUnavailable
from orders_app.management.commands.sync_orders import (
    EXIT_BUSY,
    ProgressBar,
    backoff_delay,
    failure_delay,
)
from orders_app.models import Order, SyncState
from orders_app.services.locks import lease_acquire
from orders_app.services.sync import Progress
from tests.fixtures.simulator import token_windows

ROOT = Path(__file__).resolve().parent.parent


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_orders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- In process ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_shot_prints_one_summary_line_and_fills_the_cache(simulator_settings, simulator):
    output = run_command()

    lines = output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sync ok created=40 updated=0 unchanged=0 skipped=0 requests=")
    assert " version=" in lines[0]
    assert Order.objects.count() == 40


@pytest.mark.django_db
def test_second_one_shot_is_incremental(simulator_settings, simulator):
    run_command()

    output = run_command()

    assert output.startswith("sync ok created=0 updated=0 ")
    assert "mode=incremental" in output


@pytest.mark.django_db
def test_one_shot_failure_exits_non_zero_with_a_clear_message(simulator_settings, simulator):
    simulator_settings.CLOPOS_MAX_RETRIES = 0
    simulator.simulator.inject("500", count=5)

    with pytest.raises(CommandError) as caught:
        run_command()

    assert caught.value.returncode == 1
    assert str(caught.value).startswith("sync failed: Clopos failed on GET /orders (HTTP 500)")
    assert SyncState.get().consecutive_failures == 1


@pytest.mark.django_db
def test_one_shot_with_clopos_unreachable_fails_cleanly(settings):
    with socket_closed_port() as port:
        settings.CLOPOS_BASE_URL = f"http://127.0.0.1:{port}/open-api/v2"
        settings.CLOPOS_MAX_RETRIES = 0

        with pytest.raises(CommandError) as caught:
            run_command()

    assert caught.value.returncode == 1
    assert "Could not reach Clopos" in str(caught.value)
    assert "check the network and CLOPOS_BASE_URL" in SyncState.get().last_error


@pytest.mark.django_db
def test_second_runner_exits_with_who_holds_the_lease(simulator_settings):
    lease_acquire(holder="kitchen-pc:4242", seconds=60)

    with pytest.raises(CommandError) as caught:
        run_command()

    assert caught.value.returncode == EXIT_BUSY
    assert str(caught.value).startswith(
        "another sync_orders is running (holder kitchen-pc:4242, lease until "
    )


@pytest.mark.django_db
def test_lease_is_released_after_a_one_shot(simulator_settings, simulator):
    run_command()

    assert lease_acquire(holder="next-runner:1", seconds=60).holder == "next-runner:1"


@pytest.mark.django_db
def test_since_must_be_a_date():
    with pytest.raises(CommandError, match="--since must be a date like 2026-02-01"):
        run_command("--since", "last week")


@pytest.mark.django_db
def test_full_and_since_together_are_refused():
    with pytest.raises(CommandError, match="use --full or --since, not both"):
        run_command("--full", "--since", "2026-02-01")


def test_backoff_doubles_per_failure_and_is_capped():
    delays = [backoff_delay(n, 10) for n in range(1, 8)]

    assert delays == [20, 40, 80, 160, 300, 300, 300]
    assert backoff_delay(3, 500) == 500  # never shorter than the interval itself


def test_loop_keeps_its_cadence_while_clopos_is_unreachable():
    down = CloposUnavailable("Could not reach Clopos at http://127.0.0.1:9 (ConnectionError)")

    assert [failure_delay(down, n, 10) for n in (1, 5, 50)] == [10, 10, 10]


@pytest.mark.parametrize(
    "cause",
    [
        CloposAuthError("Clopos rejected the credentials: check CLOPOS_CLIENT_SECRET"),
        CloposRateLimited("Clopos is rate limiting Pass", reset_seconds=30),
        KeyError("a bug"),
        None,
    ],
)
def test_loop_backs_off_when_trying_again_at_once_cannot_help(cause):
    assert [failure_delay(cause, n, 10) for n in (1, 2, 3)] == [20, 40, 80]


def test_progress_bar_shows_pages_orders_rate_and_eta():
    stream = io.StringIO()
    bar = ProgressBar(stream)

    bar(Progress(mode="backfill", pages=2, orders=400, total=1000, elapsed=2.0))

    text = stream.getvalue()
    assert "backfill [" in text
    assert "400/1000 orders" in text
    assert "2 pages" in text
    assert "200/s" in text
    assert "ETA 3s" in text


# --- Real processes -----------------------------------------------------------------------------


class socket_closed_port:
    """A loopback port nobody listens on."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


def base_env(tmp_path: Path, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOPOS_", "SYNC_"))}
    env.update(
        PASS_IGNORE_DOTENV="1",
        PASS_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("PASS_TESTING", None)
    return env


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    """An empty, migrated SQLite file; each test copies it."""
    folder = tmp_path_factory.mktemp("template")
    database = folder / "template.sqlite3"
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=base_env(folder, database),
        check=True,
        cwd=ROOT,
        timeout=180,
    )
    return database


@pytest.fixture
def proc_env(tmp_path, migrated_template, simulator):
    database = tmp_path / "sync.sqlite3"
    shutil.copy(migrated_template, database)
    env = base_env(tmp_path, database)
    env.update(
        CLOPOS_BASE_URL=simulator.base_url,
        CLOPOS_MAX_RETRIES="0",
        CLOPOS_TIMEOUT="3",
        SYNC_LEASE_SECONDS="30",
    )
    env["_DB"] = str(database)
    processes: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "sync_orders", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    env_start = {"env": env, "start": start, "db": database}
    yield env_start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def read_lines_until(
    process: subprocess.Popen, needle: str, timeout: float = 60, *, stream: str = "stdout"
) -> list[str]:
    """Read lines of the process's ``stream`` until one contains ``needle``."""
    lines: list[str] = []
    pipe = getattr(process, stream)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = pipe.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line.rstrip("\n"))
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} never appeared; got {lines!r}")


def sync_state(database: Path) -> dict:
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM orders_app_syncstate WHERE id = 1").fetchone()
        count = db.execute("SELECT COUNT(*) FROM orders_app_order").fetchone()[0]
    return {**dict(row), "orders": count}


@pytest.mark.slow
@pytest.mark.real_clock
def test_two_runners_second_exits_or_waits_and_sigterm_stops_the_loop_cleanly(proc_env):
    start = proc_env["start"]
    loop = start("--loop", "--interval", "1")
    read_lines_until(loop, "sync ok created=40")

    second = start()
    _out, err = second.communicate(timeout=60)
    assert second.returncode == EXIT_BUSY
    assert "another sync_orders is running (holder " in err
    assert f":{loop.pid}, lease until " in err

    waiter = start("--wait")
    told = read_lines_until(waiter, "waiting for it to finish", stream="stderr")
    assert f":{loop.pid}, lease until " in told[-1]
    assert waiter.poll() is None  # still waiting for the loop's lease

    loop.send_signal(signal.SIGTERM)
    loop_out, _ = loop.communicate(timeout=30)
    assert loop.returncode == 0
    assert loop_out.rstrip().endswith("sync stopped")

    waiter_out, waiter_err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, waiter_err
    assert waiter_out.startswith("sync ok created=0 ")
    assert sync_state(proc_env["db"])["orders"] == 40


@pytest.mark.slow
@pytest.mark.real_clock
def test_loop_survives_api_faults_keeps_the_cache_and_recovers(proc_env, simulator):
    loop = proc_env["start"]("--loop", "--interval", "0.5")
    read_lines_until(loop, "sync ok created=40")
    simulator.simulator.inject("500", count=2)

    lines = read_lines_until(loop, "sync ok", timeout=60)

    failures = [line for line in lines if line.startswith("sync failed")]
    assert failures and failures[0].startswith("sync failed consecutive_failures=1 retry_in=")
    assert 'error="Clopos failed on GET /orders (HTTP 500)' in failures[0]
    state = sync_state(proc_env["db"])
    assert state["orders"] == 40
    assert state["consecutive_failures"] == 0
    assert "HTTP 500" in state["last_error"]
    loop.send_signal(signal.SIGINT)
    loop.communicate(timeout=30)
    assert loop.returncode == 0


@pytest.mark.slow
@pytest.mark.real_clock
def test_one_shot_process_exit_codes(proc_env, simulator):
    start = proc_env["start"]
    ok = start()
    out, err = ok.communicate(timeout=60)
    assert ok.returncode == 0, err
    assert out.startswith("sync ok created=40 ")

    simulator.simulator.inject("html", count=3)
    failed = start()
    out, err = failed.communicate(timeout=60)
    assert failed.returncode == 1
    assert out.startswith("sync failed mode=incremental ")
    assert "sync failed: Clopos answered GET /orders with an HTML page" in err
    assert "Traceback" not in err


def order_count(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM orders_app_order").fetchone()[0]


@pytest.mark.slow
@pytest.mark.real_clock
def test_sigterm_during_a_backfill_finishes_the_page_and_exits_zero(proc_env, simulator_factory):
    big = simulator_factory(orders=4000, days=3)
    proc_env["env"].update(CLOPOS_BASE_URL=big.base_url, CLOPOS_PAGE_SIZE="20")
    sync = proc_env["start"]()
    deadline = time.monotonic() + 60
    while order_count(proc_env["db"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)

    sync.send_signal(signal.SIGTERM)
    out, err = sync.communicate(timeout=60)

    assert sync.returncode == 0, err
    assert out.startswith("sync stopped created=")
    stored = order_count(proc_env["db"])
    assert 0 < stored < 4000
    assert stored % 20 == 0  # whole pages only
    assert f"created={stored} " in out
    assert sync_state(proc_env["db"])["backfill_completed_at"] is None


@pytest.mark.slow
@pytest.mark.real_clock
def test_a_runner_waiting_out_a_rate_limit_longer_than_its_lease_keeps_it(
    proc_env, simulator_factory
):
    server = simulator_factory(orders=600, days=3, fault_429_reset=6)
    sim = server.simulator
    proc_env["env"].update(
        CLOPOS_BASE_URL=server.base_url,
        CLOPOS_PAGE_SIZE="20",
        CLOPOS_MAX_RETRIES="2",
        SYNC_LEASE_SECONDS="5",
    )
    stalled = proc_env["start"]()
    deadline = time.monotonic() + 60
    while order_count(proc_env["db"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    sim.inject("429")  # Clopos asks for 6 s of patience: longer than the 5 s lease

    successor = proc_env["start"]("--wait")
    stalled_out, stalled_err = stalled.communicate(timeout=120)
    successor_out, successor_err = successor.communicate(timeout=120)

    assert (stalled.returncode, successor.returncode) == (0, 0), stalled_err + successor_err
    assert stalled_out.startswith("sync ok created=600 ")
    assert "waiting for it to finish" in successor_err
    assert successor_out.startswith("sync ok created=0 ")
    first, second = token_windows(sim)
    assert first[1] < second[0]  # never two runners talking to Clopos at once


@pytest.mark.slow
@pytest.mark.real_clock
def test_loop_is_current_about_one_interval_after_clopos_comes_back(proc_env, simulator):
    sim = simulator.simulator
    loop = proc_env["start"]("--loop", "--interval", "1")
    read_lines_until(loop, "sync ok created=40")
    sim.faults.configure(kinds=("504",), rate=0.0, every=1)  # every request fails: "down"
    new = sim.add_order(status="PENDING")
    read_lines_until(loop, "sync failed consecutive_failures=4")

    sim.faults.clear()
    came_back = time.monotonic()
    while time.monotonic() - came_back < 30:
        with sqlite3.connect(proc_env["db"]) as db:
            if db.execute("SELECT 1 FROM orders_app_order WHERE id = ?", (new["id"],)).fetchone():
                break
        time.sleep(0.05)
    recovered_in = time.monotonic() - came_back

    # Exponential backoff would wait 16 s here; the loop kept its 1 s cadence.
    assert recovered_in < 5, f"current only {recovered_in:.1f} s after Clopos came back"
    loop.send_signal(signal.SIGTERM)
    loop.communicate(timeout=30)
    assert loop.returncode == 0


@pytest.mark.slow
@pytest.mark.real_clock
def test_the_loop_runs_orders_every_interval_and_the_kitchen_on_its_slower_cadence(proc_env):
    """--loop: the orders every --interval, receipts (and the stop list) every
    SYNC_RECEIPTS_SECONDS; the first pass does everything."""
    proc_env["env"]["SYNC_RECEIPTS_SECONDS"] = "3"
    loop = proc_env["start"]("--loop", "--interval", "0.5")
    passes: list[str] = []
    while len(passes) < 10:
        passes += [line for line in read_lines_until(loop, "sync ok") if "sync ok" in line]
    loop.send_signal(signal.SIGTERM)
    loop.communicate(timeout=30)
    kitchen = [n for n, line in enumerate(passes) if "receipts_created=" in line]
    assert kitchen[0] == 0  # the first pass: everything
    # 10 orders passes 0.5 s apart span about 4.5 s: the kitchen ran 2 or 3 times, not 10.
    assert 2 <= len(kitchen) <= 4, passes
    assert all(b - a >= 4 for a, b in itertools.pairwise(kitchen)), kitchen


@pytest.mark.slow
@pytest.mark.real_clock
def test_the_loop_delivers_a_tap_between_passes_within_a_second(proc_env, simulator):
    """With WALL_BUMP on, a tap committed while the loop sleeps (20 s between passes here)
    reaches Clopos within about a second, not at the next pass."""
    proc_env["env"]["WALL_BUMP"] = "1"
    sim = simulator.simulator
    receipt_id = sim.open_table()["id"]
    sim.set_receipt_status(receipt_id, "NEW")  # stops the table's own kitchen steps
    loop = proc_env["start"]("--loop", "--interval", "20")
    read_lines_until(loop, "sync ok")
    with sqlite3.connect(proc_env["db"]) as db:
        assert db.execute(
            "SELECT order_status FROM orders_app_receipt WHERE id = ?", (receipt_id,)
        ).fetchone() == ("NEW",)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(proc_env["db"]) as db:
        db.execute(
            "INSERT INTO orders_app_outboxentry (kind, receipt_id, from_status, to_status, key,"
            " actor, actor_kind, tapped_at, state, attempts, next_attempt_at, last_error,"
            " reason, clopos_status) VALUES ('receipt_status', ?, 'NEW', 'IN_PROGRESS',"
            " 'loop-tap', 'grill', 'screen', ?, 'pending', 0, ?, '', '', '')",
            (receipt_id, now, now),
        )

    between = read_lines_until(loop, "outbox delivered=1", timeout=10)
    loop.send_signal(signal.SIGTERM)
    loop.communicate(timeout=30)

    assert not any("sync ok" in line for line in between), between  # before the next pass
    assert sim.receipt(receipt_id, relations=())["order_status"] == "IN_PROGRESS"
    with sqlite3.connect(proc_env["db"]) as db:
        assert db.execute("SELECT state FROM orders_app_outboxentry").fetchone() == ("confirmed",)
