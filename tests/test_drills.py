"""Fault drills: real sync_orders processes against the simulator over HTTP, a real database
other processes share (a SQLite file, or PostgreSQL on the PostgreSQL run), and a count of
orders lost, duplicated and wrong against the simulator's own truth after every drill.

Each drill prints one line, e.g. ``drill kill9: lost=0 duplicated=0 wrong=0 orders=120``
(``pytest -s`` shows them), asserts all three are 0, and stops every process it started.
"""

from __future__ import annotations

import itertools
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from orders_app.clopos.simulator import Simulator, SimulatorConfig, serve_in_thread
from orders_app.management.commands.sync_orders import backoff_delay
from tests.drills.harness import (
    MANAGER,
    PYTHON,
    TcpGate,
    audit,
    base_env,
    clopos_env,
    comparable,
    drill_databases_fixture,  # noqa: F401 (the drill_databases fixture)
    free_port,
    processes_fixture,  # noqa: F401 (the processes fixture)
    report_and_assert,
    score,
    wait_until,
)
from tests.fixtures.simulator import token_windows

pytestmark = [pytest.mark.slow, pytest.mark.real_clock, pytest.mark.timeout(120)]

PAGE = 20
ORDERS = 120  # six pages of 20


def sync_env(tmp_path: Path, database, server, **extra: object) -> dict[str, str]:
    env = base_env(tmp_path / "var")
    env["DATABASE_URL"] = database.url
    settings = {
        "CLOPOS_PAGE_SIZE": PAGE,
        "CLOPOS_TIMEOUT": 5,
        "CLOPOS_MAX_RETRIES": 3,
        "SYNC_LEASE_SECONDS": 5,
        **extra,
    }
    env.update(clopos_env(server.base_url, **settings))
    return env


@pytest.fixture
def slow_simulator(simulator_factory):
    """120 orders over three days on a frozen clock; every API answer 0.3 s late, so a
    backfill takes a few seconds and a drill can act between two pages."""
    return simulator_factory(orders=ORDERS, faults=("slow",), fault_every=1, slow_seconds=0.3)


def orders_requests(sim) -> list:
    """The simulator's log of GET /orders, in the order they came."""
    return sim.requests_to("/orders")


# --- 1. kill -9 in the middle of a pass ---------------------------------------------------------


def test_kill9_midway_then_a_new_pass_equals_an_uninterrupted_run(
    tmp_path, drill_databases, processes, slow_simulator
):
    sim = slow_simulator.simulator
    database, reference = drill_databases.clone(), drill_databases.clone()
    env = sync_env(tmp_path, database, slow_simulator)

    victim = processes.manage(env, "sync_orders", name="victim")
    wait_until(lambda: database.order_count() > 0, timeout=30, every=0.02)
    victim.kill()  # SIGKILL: no handler, no cleanup, the lease left behind
    left_behind = database.order_count()
    assert 0 < left_behind < ORDERS, "the kill did not land in the middle of the backfill"
    assert left_behind % PAGE == 0, f"{left_behind} orders: a page was half written"
    partial = score(audit(env), sim)
    assert not partial.duplicated and not partial.wrong, partial.details()

    started = time.monotonic()
    successor = processes.manage(env, "sync_orders", "--wait", name="successor")
    assert successor.finish() == 0, successor.stderr()
    took_over_after = time.monotonic() - started
    assert successor.output()[-1].startswith("sync ok created=")
    assert "mode=backfill" in successor.output()[-1]

    ref_env = sync_env(tmp_path, reference, slow_simulator)
    uninterrupted = processes.manage(ref_env, "sync_orders", name="uninterrupted")
    assert uninterrupted.finish() == 0, uninterrupted.stderr()

    final, expected = audit(env), audit(ref_env)
    assert comparable(final) == comparable(expected)
    assert final["sync_state"]["consecutive_failures"] == 0
    report_and_assert(
        "kill9",
        score(final, sim),
        killed_after=left_behind,
        lease_wait_s=f"{took_over_after:.1f}",
    )


# --- 2. Clopos down for a while -----------------------------------------------------------------


class Web:
    """gunicorn serving the app on the drill database, and a logged-in manager session."""

    def __init__(self, processes, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = processes.start(
            [PYTHON, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", "-w", "1",
             "--threads", "2", "--no-control-socket", "dashboard.wsgi"],
            env=env,
            name="web",
        )  # fmt: skip
        wait_until(self._up, timeout=30, every=0.1)
        self.session = requests.Session()
        page = self.session.get(f"{self.url}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        answer = self.session.post(
            f"{self.url}/accounts/login/",
            data={
                "username": MANAGER[0],
                "password": MANAGER[1],
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": f"{self.url}/accounts/login/"},
            timeout=10,
        )
        assert answer.url == f"{self.url}/", f"login failed: {answer.status_code} {answer.url}"

    def _up(self) -> bool:
        try:
            requests.get(f"{self.url}/healthz", timeout=5)
        except (requests.ConnectionError, requests.Timeout):  # still booting
            assert self.proc.alive, self.proc.stderr()
            return False
        return True

    def health(self) -> tuple[int, dict]:
        answer = requests.get(f"{self.url}/healthz", timeout=15)
        return answer.status_code, answer.json()

    def page(self, path: str) -> str:
        answer = self.session.get(f"{self.url}{path}", timeout=15)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.text


class Outage:
    """The simulator behind a ``TcpGate``: ``down()`` makes Clopos unreachable (refused and
    reset connections), ``up()`` brings it back on the same port."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.server = serve_in_thread(sim)
        self.gate = TcpGate(self.server.port)
        self.port = self.gate.port
        self.base_url = f"http://127.0.0.1:{self.port}/open-api/v2"

    def down(self) -> None:
        self.gate.down()
        with socket.socket() as probe:  # nothing listens any more: connection refused
            assert probe.connect_ex(("127.0.0.1", self.port)) != 0

    def up(self) -> None:
        self.gate.up()

    def stop(self) -> None:
        self.gate.down()
        self.server.stop()


@pytest.fixture
def outage():
    made: list[Outage] = []

    def make(**config) -> Outage:
        config = {"seed": 2, "orders": 60, "days": 2, "frozen": True, **config}
        made.append(Outage(Simulator(SimulatorConfig(**config))))
        return made[-1]

    yield make
    for item in made:
        item.stop()


def test_a_stopped_simulator_answers_no_more_requests(simulator):
    session = requests.Session()
    assert session.get(f"{simulator.root_url}/_sim/state", timeout=5).status_code == 200

    simulator.stop()

    with pytest.raises(requests.ConnectionError):
        session.get(f"{simulator.root_url}/_sim/state", timeout=3)


RETRY_IN = re.compile(r"retry_in=([\d.e+-]+)s")


def test_clopos_down_loop_lives_healthz_503_banners_then_current_again(
    tmp_path, drill_databases, processes, outage
):
    clopos = outage()
    sim = clopos.sim
    database = drill_databases.clone()
    env = sync_env(tmp_path, database, clopos, CLOPOS_MAX_RETRIES=0, SYNC_STALE_AFTER=2)
    loop = processes.manage(env, "sync_orders", "--loop", "--interval", "1", name="loop")
    web = Web(processes, env)
    loop.wait_for("sync ok created=60")
    status, body = web.health()
    assert (status, body["status"]) == (200, "ok")

    clopos.down()
    went_down = time.monotonic()
    new = sim.add_order(status="PENDING")  # Clopos moves on while Pass cannot see it
    moved = sim.order_ids()[0]
    sim.set_status(moved, "DELIVERED")

    wait_until(lambda: web.health()[0] == 503, timeout=15, every=0.2)
    status, body = web.health()
    assert body["status"] == "failing" and body["consecutive_failures"] >= 1
    assert "Could not reach Clopos" in body["last_error"]
    board = web.page("/")
    assert "Sync with Clopos is failing" in board
    assert "may be out of date" in board
    wall = web.page("/wall/")
    assert "Clopos sync failing" in wall
    assert 'data-sync-status="failing"' in wall
    wait_until(lambda: time.monotonic() - went_down > 4, timeout=10)
    assert loop.alive, loop.stderr()
    failures = [line for line in loop.output() if line.startswith("sync failed")]
    assert failures, loop.output()

    last_failure = len(loop.output())
    clopos.up()
    came_back = time.monotonic()

    def current() -> bool:
        return (
            web.health()[1]["status"] == "ok"
            and database.order_status(new["id"]) == "PENDING"
            and database.order_status(moved) == "DELIVERED"
        )

    wait_until(current, timeout=40, every=0.1)
    recovered_in = time.monotonic() - came_back
    retry_lines = [RETRY_IN.search(line) for line in loop.output()[: last_failure + 1]]
    scheduled = max(float(m.group(1)) for m in retry_lines if m)
    # Bounded by what the loop said it would wait; the next test holds it to one interval.
    assert recovered_in <= scheduled + 3, (recovered_in, scheduled)
    assert web.page("/").count("Sync with Clopos is failing") == 0
    assert "Clopos sync failing" not in web.page("/wall/")
    assert loop.alive

    snapshot = audit(env)

    # And with the sync process itself gone (no failure recorded), the pages say "stale".
    assert loop.stop() == 0
    assert loop.output()[-1] == "sync stopped"
    wait_until(lambda: web.health()[0] == 503, timeout=15, every=0.2)
    assert web.health()[1]["status"] == "stale"
    board = web.page("/")
    assert "Data may be out of date." in board
    assert "Check that the sync process is running." in board
    assert "Orders may be out of date" in web.page("/wall/")
    report_and_assert(
        "outage",
        score(snapshot, sim),
        failed_passes=len(failures),
        recovered_s=f"{recovered_in:.1f}",
    )


def test_loop_is_current_within_one_interval_of_clopos_coming_back(
    tmp_path, drill_databases, processes, outage
):
    clopos = outage(orders=20)
    database = drill_databases.clone()
    env = sync_env(tmp_path, database, clopos, CLOPOS_MAX_RETRIES=0)
    loop = processes.manage(env, "sync_orders", "--loop", "--interval", "1", name="loop")
    loop.wait_for("sync ok created=20")

    clopos.down()
    new = clopos.sim.add_order(status="PENDING")
    _, _, third = loop.wait_for("sync failed consecutive_failures=3", timeout=30)
    clopos.up()
    came_back = time.monotonic()

    wait_until(lambda: database.order_status(new["id"]), timeout=60, every=0.05)
    recovered_in = time.monotonic() - came_back
    print(f"drill outage-interval: recovered_s={recovered_in:.1f} interval_s=1")
    assert "retry_in=1s " in third  # the loop keeps its cadence while Clopos is unreachable
    # One interval until the next pass, plus that pass (one request and a page write) with room
    # for a busy 2-core CI machine; a loop that had backed off would take 30 s or more.
    assert recovered_in <= 1.0 + 3.0, f"current {recovered_in:.1f} s after Clopos came back"


# --- 3. 1,000 consecutive faults ----------------------------------------------------------------

# Every kind, weighted so the slow one (which costs a client timeout) is one in 29.
MIXED_FAULTS = (
    *("500", "504", "429", "html", "truncated", "success_false", "token_expired") * 4,
    "slow",
)


def faults_served(sim) -> list[str]:
    with sim.lock:
        return [e.fault for e in sim.request_log if e.fault]


def test_a_thousand_consecutive_faults_leave_the_loop_alive_and_its_memory_flat(
    tmp_path, drill_databases, processes, simulator_factory
):
    server = simulator_factory(
        orders=10,
        faults=MIXED_FAULTS,
        fault_every=1,  # every authenticated request fails, kinds in turn
        slow_seconds=0.3,
        fault_429_reset=0,
        rate_limit=10**6,
        auth_rate_limit=10**6,
    )
    sim = server.simulator
    database = drill_databases.clone()
    env = sync_env(
        tmp_path,
        database,
        server,
        CLOPOS_MAX_RETRIES=0,
        CLOPOS_TIMEOUT=0.1,
        DJANGO_DEBUG=0,  # as deployed: no per-query log growing in memory
        DJANGO_SECRET_KEY="drill-secret-key-" + "x" * 40,
        LOG_LEVEL="WARNING",
    )
    # An interval so small that even the longest backoff (see backoff_delay) stays under 1 ms;
    # the request budget is raised past the 300/minute an operator can set, so 1,000 faults
    # take seconds, not minutes.
    interval = 0.001 / backoff_delay(10**6, 1.0, cap=float("inf"))
    loop = processes.manage(
        env,
        "sync_orders",
        "--loop",
        "--interval",
        repr(interval),
        name="fault-loop",
        overrides={"CLOPOS_REQUESTS_PER_MINUTE": 10**6},
    )

    wait_until(lambda: len(faults_served(sim)) >= 100, timeout=60, every=0.05)
    rss_100, at_100 = loop.rss_kib(), time.monotonic()
    wait_until(lambda: len(faults_served(sim)) >= 1000, timeout=90, every=0.1)
    rss_1000, at_1000 = loop.rss_kib(), time.monotonic()
    assert loop.alive
    assert not [line for line in loop.output() if line.startswith("sync ok")]  # consecutive
    faults = faults_served(sim)
    kinds = set(faults)

    sim.faults.clear()
    loop.wait_for(lambda line: line.startswith("sync ok created=10 "), timeout=30)
    assert loop.stop() == 0
    assert loop.output()[-1] == "sync stopped"
    growth = rss_1000 - rss_100
    assert kinds == set(MIXED_FAULTS), kinds
    assert len(faults) >= 1000
    # Flat: what 900 more failed passes added is a small fraction of one MiB per hundred.
    assert growth <= 2048, f"RSS grew {growth} KiB from 100 to 1,000 faults"
    assert "Traceback" not in loop.stderr().replace("sync_internal_error", "")
    report_and_assert(
        "faults",
        score(audit(env), sim),
        faults=len(faults),
        rss_100_kib=rss_100,
        rss_1000_kib=rss_1000,
        seconds_per_900=f"{at_1000 - at_100:.1f}",
    )


# --- 4. Token expiry, a rate limit and a locked database in the middle of a pass ---------------


def pass_with_event(
    tmp_path, drill_databases, processes, server, event: Callable[[], None], **extra: object
) -> tuple[dict, object]:
    """One-shot sync; ``event`` runs once the first page is committed; returns the audit."""
    database = drill_databases.clone()
    env = sync_env(tmp_path, database, server, **extra)
    proc = processes.manage(env, "sync_orders", name="pass")
    wait_until(lambda: database.order_count() > 0, timeout=30, every=0.02)
    assert database.order_count() < ORDERS, "the event would not land mid-pass"
    event()
    assert proc.finish() == 0, proc.stderr()
    assert proc.output()[-1].startswith(f"sync ok created={ORDERS} ")
    return audit(env), proc


def test_token_expiry_in_the_middle_of_a_pass(tmp_path, drill_databases, processes, slow_simulator):
    sim = slow_simulator.simulator

    snapshot, _ = pass_with_event(
        tmp_path, drill_databases, processes, slow_simulator, sim.expire_tokens
    )

    log = [(e.path, e.status) for e in sim.request_log]
    rejected = log.index(("/orders", 401))
    assert log[rejected + 1] == ("/auth", 200)  # signed in again at once
    assert log[rejected + 2] == ("/orders", 200)  # and asked for the same page again
    assert [e.query.get("page") for e in sim.request_log if e.path == "/orders"].count(
        sim.request_log[rejected].query["page"]
    ) == 2
    report_and_assert("token-expiry", score(snapshot, sim))


def test_rate_limit_hit_in_the_middle_of_a_backfill(
    tmp_path, drill_databases, processes, slow_simulator
):
    sim = slow_simulator.simulator

    snapshot, _ = pass_with_event(
        tmp_path, drill_databases, processes, slow_simulator, lambda: sim.inject("429")
    )

    pages = orders_requests(sim)
    limited = next(i for i, e in enumerate(pages) if e.status == 429)
    waited = pages[limited + 1].at - pages[limited].at
    assert pages[limited + 1].status == 200
    assert pages[limited + 1].query["page"] == pages[limited].query["page"]
    assert waited >= sim.config.fault_429_reset - 0.05, f"retried after {waited:.2f} s"
    report_and_assert("rate-limit", score(snapshot, sim), waited_s=f"{waited:.1f}")


LOCK_SECONDS = 1.5


def test_database_locked_for_a_moment_while_a_pass_writes(
    tmp_path, drill_databases, processes, slow_simulator
):
    sim = slow_simulator.simulator
    held: list[float] = []

    def hold_write_lock() -> None:
        database = drill_databases.clones[-1]
        with database.write_lock():
            time.sleep(LOCK_SECONDS)
            held.append(LOCK_SECONDS)

    snapshot, _ = pass_with_event(
        tmp_path, drill_databases, processes, slow_simulator, hold_write_lock
    )

    assert held == [LOCK_SECONDS]
    times = [e.at for e in orders_requests(sim)]
    longest_gap = max(b - a for a, b in itertools.pairwise(times))
    # Pages come every ~0.3 s; one gap spans the lock: the pass waited for it, then went on.
    assert longest_gap >= LOCK_SECONDS - 0.5, f"longest gap between pages {longest_gap:.2f} s"
    report_and_assert(
        f"db-locked-{drill_databases.vendor}", score(snapshot, sim), gap_s=f"{longest_gap:.1f}"
    )


# --- 5. A runner stalled in a long wait, and the lease ------------------------------------------


def test_a_runner_stalled_past_its_lease_never_syncs_beside_the_next_one(
    tmp_path, drill_databases, processes, simulator_factory
):
    """The winner waits out an 8 s RateLimit-Reset with a 5 s lease: it must keep its lease
    (or stop before writing), never fetch and write beside the runner waiting its turn."""
    server = simulator_factory(
        orders=ORDERS, faults=("slow",), fault_every=1, slow_seconds=0.3, fault_429_reset=8
    )
    sim = server.simulator
    database = drill_databases.clone()
    env = sync_env(tmp_path, database, server, SYNC_LEASE_SECONDS=5)
    # Both start with --wait at the same instant: the winner syncs, the other is already
    # polling for the lease (once a second) when the winner stalls, whatever its boot time.
    at = time.time() + 5
    runners = [
        processes.manage(env, "sync_orders", "--wait", name=f"runner-{n}", at=at) for n in (1, 2)
    ]
    wait_until(lambda: database.order_count() > 0, timeout=30, every=0.02)
    sim.inject("429")  # Clopos asks the winner for 8 s of patience: longer than the 5 s lease
    codes = tuple(runner.finish() for runner in runners)

    windows = token_windows(sim)
    print(f"drill stalled-lease: exit_codes={codes} windows={len(windows)}")
    assert len(windows) == 2
    assert windows[0][1] < windows[1][0], (
        f"two runners talked to Clopos at once: {windows}; exit codes {codes}; "
        f"{[r.stderr()[-300:] for r in runners]}"
    )
    assert codes == (0, 0)
    report_and_assert("stalled-lease", score(audit(env), sim))
