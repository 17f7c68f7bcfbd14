"""The sync lease across real processes: two ``sync_orders`` started at the same instant
against one database (a SQLite file, or PostgreSQL on the PostgreSQL run) and one simulator.

Both processes load Django first and then sleep until the same wall-clock moment
(``tests.drills.run --at``), so their first queries (the lease claim) race within a
millisecond or so. Exactly one may talk to Clopos at a time; the other exits 75 naming the
holder, or with ``--wait`` syncs after it; the cache ends equal to the simulator's orders.
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from orders_app.management.commands.sync_orders import EXIT_BUSY
from tests.drills.harness import (
    audit,
    base_env,
    clopos_env,
    drill_databases_fixture,  # noqa: F401 (the drill_databases fixture)
    processes_fixture,  # noqa: F401 (the processes fixture)
    report_and_assert,
    score,
)

pytestmark = [pytest.mark.slow, pytest.mark.real_clock, pytest.mark.timeout(120)]

ORDERS = 60
START_MARGIN = 5.0  # seconds for both interpreters to load Django before the shared moment
READY = re.compile(r"^drill-run: ready (-?[\d.]+) s before the start$", re.MULTILINE)


@pytest.fixture
def slow_clopos(simulator_factory):
    """60 orders on a frozen clock, every answer 0.2 s late: a pass lasts a couple of seconds."""
    return simulator_factory(orders=ORDERS, faults=("slow",), fault_every=1, slow_seconds=0.2)


@pytest.fixture
def lease_env(tmp_path, drill_databases, slow_clopos):
    database = drill_databases.clone()
    env = base_env(tmp_path / "var")
    env["DATABASE_URL"] = database.url
    env.update(
        clopos_env(
            slow_clopos.base_url,
            CLOPOS_PAGE_SIZE=20,
            CLOPOS_TIMEOUT=5,
            SYNC_LEASE_SECONDS=30,
        )
    )
    return env


def start_together(processes, env, *args: str) -> list:
    at = time.time() + START_MARGIN
    return [processes.manage(env, "sync_orders", *args, name=f"runner-{n}", at=at) for n in (1, 2)]


def assert_raced(runners) -> None:
    """Both runners were loaded and waiting before the shared moment, so they really raced."""
    for runner in runners:
        ready = READY.search(runner.stderr())
        assert ready, runner.stderr()
        assert float(ready.group(1)) > 0, f"{runner.name} arrived late: no race was staged"


def token_windows(sim) -> dict[str, tuple[float, float]]:
    """For each x-token the simulator saw: when it was first and last used."""
    windows: dict[str, tuple[float, float]] = {}
    with sim.lock:
        entries = [e for e in sim.request_log if e.headers.get("x-token")]
    for entry in entries:
        token = entry.headers["x-token"]
        first, last = windows.get(token, (entry.at, entry.at))
        windows[token] = (min(first, entry.at), max(last, entry.at))
    return windows


@pytest.mark.parametrize("round_", ["lease row not yet created", "lease row free"])
def test_two_runners_at_once_one_syncs_the_other_exits_naming_the_holder(
    round_, processes, lease_env, slow_clopos
):
    sim = slow_clopos.simulator
    if round_ == "lease row free":
        first = processes.manage(lease_env, "sync_orders", name="earlier")
        assert first.finish() == 0, first.stderr()
        sim.reset_log()
        # This pass is incremental (one request): slow it so the winner surely still holds the
        # lease when the loser's claim lands, however the machine schedules the two.
        sim.config.slow_seconds = 1.0

    runners = start_together(processes, lease_env)
    codes = [runner.finish() for runner in runners]

    assert_raced(runners)
    assert sorted(codes) == [0, EXIT_BUSY], [r.stderr() for r in runners]
    winner = runners[codes.index(0)]
    loser = runners[codes.index(EXIT_BUSY)]
    assert winner.output()[-1].startswith("sync ok created=")
    assert loser.output() == []
    message = loser.stderr().strip().splitlines()[-1]
    assert message.startswith(
        f"CommandError: another sync_orders is running (holder {socket.gethostname()}:"
        f"{winner.pid}, lease until "
    ), message
    assert len(sim.requests_to("/auth")) == 1  # the loser never talked to Clopos
    assert len(token_windows(sim)) == 1
    report_and_assert(f"lease ({round_})", score(audit(lease_env), sim))


def test_two_waiting_runners_at_once_take_turns(processes, lease_env, slow_clopos):
    sim = slow_clopos.simulator

    runners = start_together(processes, lease_env, "--wait")
    codes = [runner.finish() for runner in runners]

    assert_raced(runners)
    assert codes == [0, 0], [r.stderr() for r in runners]
    summaries = sorted(runner.output()[-1] for runner in runners)
    assert summaries[0].startswith("sync ok created=0 updated=0 ")  # the one that waited
    assert summaries[1].startswith(f"sync ok created={ORDERS} ")
    waiter = next(r for r in runners if r.output()[-1].startswith("sync ok created=0 "))
    holder = next(r for r in runners if r is not waiter)
    assert f":{holder.pid}, lease until " in waiter.stderr()
    assert "waiting for it to finish" in waiter.stderr()
    windows = sorted(token_windows(sim).values())
    assert len(windows) == 2
    assert windows[0][1] < windows[1][0], f"the two runners talked to Clopos at once: {windows}"
    report_and_assert("lease (--wait)", score(audit(lease_env), sim))
