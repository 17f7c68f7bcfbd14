"""Bump drills (issue 10 §4): taps recorded by Pass, delivered to Clopos by real
``sync_orders --loop`` processes over HTTP, on a database other processes share (a SQLite
file, or PostgreSQL on the PostgreSQL run), through outages, kill -9, races, faults and a
locked database. Helpers: ``tests/drills/bump.py``.

Each drill prints one line, e.g. ``drill bump-outage: taps=50 delivered=50 duplicated=0
lost=0 out_of_order=0`` (``pytest -s`` shows them), and asserts lost=0, duplicated=0 and
out_of_order=0 (see ``bump_score``: counted from the writes the simulator applied).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass

import pytest

from orders_app.clopos.simulator import Simulator, SimulatorConfig, serve_in_thread
from orders_app.services.outbox import CLAIM_SECONDS
from tests.drills.bump import (
    BumpClopos,
    Screen,
    Tap,
    Tapper,
    bump_score,
    kiosk_url,
    outbox_rows,
    report,
)
from tests.drills.harness import (
    drill_databases_fixture,  # noqa: F401 (the drill_databases fixture)
    processes_fixture,  # noqa: F401 (the processes fixture)
    run_manage,
    wait_until,
)
from tests.test_drills import Web, sync_env

pytestmark = [pytest.mark.slow, pytest.mark.real_clock, pytest.mark.timeout(180)]

FLOW = ("NEW", "IN_PROGRESS", "READY", "PICKED_UP")


def key() -> str:
    return uuid.uuid4().hex


@dataclass
class Kitchen:
    """Receipts open in Clopos and cached by Pass, a drill database, and its environment."""

    clopos: BumpClopos
    database: object
    env: dict[str, str]
    receipts: list[int]


@pytest.fixture
def kitchen(tmp_path, drill_databases, processes):
    made: list[BumpClopos] = []

    def make(receipts: int = 10, *, gate: bool = False, **extra: object) -> Kitchen:
        sim = Simulator(
            SimulatorConfig(
                seed=3, orders=5, days=1, frozen=True, tables_per_hour=0, auto_stop_list=False
            )
        )
        clopos = BumpClopos(sim, serve_in_thread(sim), gate=gate)
        made.append(clopos)
        ids = clopos.open_receipts(receipts)
        database = drill_databases.clone()
        env = sync_env(tmp_path, database, clopos, WALL_BUMP=1, **extra)
        run_manage(env, "sync_orders")  # one pass: the receipts are in Pass's cache
        listed = ",".join(str(int(i)) for i in ids)
        sql = f"SELECT COUNT(*) FROM orders_app_receipt WHERE id IN ({listed})"  # noqa: S608
        cached = database.scalar(sql)
        assert cached == len(ids), f"{cached} of {len(ids)} receipts cached"
        return Kitchen(clopos, database, env, ids)

    yield make
    for clopos in made:
        clopos.stop()


def loop(processes, kitchen: Kitchen, name: str = "loop", *args: str):
    proc = processes.manage(
        kitchen.env, "sync_orders", "--loop", "--interval", "1", *args, name=name
    )
    proc.wait_for("sync ok", timeout=60)
    return proc


def all_ended(kitchen: Kitchen, count: int):
    def check():
        rows = outbox_rows(kitchen.env)
        return rows if len(rows) >= count and all(r["state"] != "pending" for r in rows) else None

    return check


# --- 1. Clopos down while taps queue ------------------------------------------------------------

OUTAGE_SECONDS = 20  # the issue says a minute; scaled down, the backoff is the same code


def test_clopos_down_taps_queue_then_arrive_in_order_once_each(processes, kitchen):
    # The request budget at Clopos's 300/minute, not Pass's default 60: at 60 the failed
    # connects of the outage use the budget up and delivery then waits up to a minute for it,
    # and 50 taps (three requests each) take 2.5 minutes to drain (see the report).
    k = kitchen(
        20, gate=True, CLOPOS_MAX_RETRIES=0, CLOPOS_REQUESTS_PER_MINUTE=300, SYNC_STALE_AFTER=300
    )
    sync = loop(processes, k)
    web = Web(processes, k.env)
    tapper = Tapper(processes, k.env)
    # 50 taps: ten receipts three steps each, ten two steps, interleaved.
    plan = [
        Tap(receipt, FLOW[step], key())
        for step in (1, 2, 3)
        for n, receipt in enumerate(k.receipts)
        if step < 3 or n < 10
    ]
    assert len(plan) == 50

    k.clopos.down()
    went_down = time.monotonic()
    pending_seen = []
    for tap in plan:
        tapper.tap(tap)
        assert tap.answer == "created", tap
        pending_seen.append(web.health()[1]["outbox"]["pending"])
        time.sleep((OUTAGE_SECONDS - 2) / len(plan))
    wait_until(lambda: time.monotonic() - went_down >= OUTAGE_SECONDS, timeout=30)
    _, body = web.health()
    assert body["outbox"]["pending"] == 50, body
    assert body["outbox"]["oldest_age_seconds"] >= OUTAGE_SECONDS - 2, body
    assert not k.clopos.writes, "a write reached Clopos through a closed gate"
    assert sync.alive

    k.clopos.up()
    came_back = time.monotonic()
    rows = wait_until(all_ended(k, 50), timeout=120, every=0.5)
    drained = time.monotonic() - came_back
    assert web.health()[1]["outbox"]["pending"] == 0
    assert pending_seen == sorted(pending_seen) and pending_seen[-1] == 50, pending_seen
    report(
        "bump-outage",
        bump_score(plan, rows, k.clopos),
        outage_s=OUTAGE_SECONDS,
        pending_max=max(pending_seen),
        drained_s=f"{drained:.1f}",
    )


# --- 2. kill -9 of the deliverer with a write in flight -----------------------------------------


def test_kill9_with_a_write_in_flight_then_a_new_loop_writes_nothing_twice(processes, kitchen):
    k = kitchen(4, SYNC_LEASE_SECONDS=5)
    first, *others = k.receipts
    victim = loop(processes, k, "victim")
    tapper = Tapper(processes, k.env)
    k.clopos.patch_delay = 3.0  # the write is applied, its answer held back (timeout is 5 s)
    taps = [tapper.tap(Tap(first, "IN_PROGRESS", key()))]
    wait_until(lambda: k.clopos.writes_to(first), timeout=15, every=0.02)
    victim.kill()  # SIGKILL with the PATCH applied and unanswered: the entry stays claimed
    killed_at = time.monotonic()
    k.clopos.patch_delay = 0.0
    taps.append(tapper.tap(Tap(first, "READY", key())))  # queued behind the claimed one
    taps += [tapper.tap(Tap(receipt, "IN_PROGRESS", key())) for receipt in others]

    successor = processes.manage(
        k.env, "sync_orders", "--loop", "--wait", "--interval", "1", name="successor"
    )
    others_done = wait_until(
        lambda: all(k.clopos.shown(r) == "IN_PROGRESS" for r in others), timeout=60, every=0.1
    )
    others_after = time.monotonic() - killed_at
    rows = wait_until(all_ended(k, len(taps)), timeout=CLAIM_SECONDS + 60, every=0.5)
    first_after = time.monotonic() - killed_at
    assert others_done and successor.alive
    claimed = next(r for r in rows if r["key"] == taps[0].key)
    assert claimed["state"] == "confirmed" and claimed["attempts"] == 2, claimed
    assert k.clopos.writes_to(first) == ["IN_PROGRESS", "READY"]  # the first never re-sent
    # The claimed entry is due again only CLAIM_SECONDS after its claim: the receipt waits.
    assert first_after >= CLAIM_SECONDS - 5, first_after
    report(
        "bump-kill9",
        bump_score(taps, rows, k.clopos),
        others_s=f"{others_after:.1f}",
        claimed_s=f"{first_after:.1f}",
        claim_seconds=CLAIM_SECONDS,
    )


# --- 3. Two screens bumping the same receipt ----------------------------------------------------


def two_screens(processes, k: Kitchen) -> tuple[Web, list[Screen]]:
    web = Web(processes, k.env)
    screens = [Screen(web.url, kiosk_url(k.env, name), name=name) for name in ("grill", "pass")]
    return web, screens


def race(screens: list[Screen], taps: list[Tap]) -> list[Tap]:
    """Each screen's tap POSTed at the same instant from its own thread."""
    start = threading.Barrier(len(taps))

    def go(screen: Screen, tap: Tap) -> None:
        start.wait()
        screen.tap(tap)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(screens, taps, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return taps


def test_two_screens_racing_on_one_receipt_make_one_change_per_distinct_tap(processes, kitchen):
    k = kitchen(6)
    loop(processes, k)
    _, screens = two_screens(processes, k)
    taps: list[Tap] = []
    answers = []
    for receipt in k.receipts:
        for step in FLOW[1:]:
            # Both screens saw the card at the step before and bump it at the same moment.
            pair = race(screens, [Tap(receipt, step, key(), s.name) for s in screens])
            taps += pair
            answers.append(tuple(sorted(t.answer for t in pair)))
        # And one screen's double tap (the same key twice) is one change.
        again = screens[0].tap(Tap(receipt, FLOW[2], key()))
        repeat = screens[0].tap(Tap(receipt, FLOW[2], again.key))
        taps += [again, repeat]
        answers.append((again.answer, repeat.answer))
    rows = wait_until(all_ended(k, len({t.key for t in taps if t.accepted})), timeout=60)
    races = answers[:]
    assert all(a in {("409", "created"), ("created", "repeat")} for a in races), races
    writes = {r: k.clopos.writes_to(r) for r in k.receipts}
    assert all(w == [*FLOW[1:], FLOW[2]] for w in writes.values()), writes
    report(
        "bump-two-screens",
        bump_score(taps, rows, k.clopos),
        refused_409=sum(1 for t in taps if t.answer == "409"),
    )


# --- 4. Faults during delivery ------------------------------------------------------------------

FAULTS = ("500", "504", "429", "token_expired")


def test_faults_during_delivery_are_retried_and_each_tap_written_once(processes, kitchen):
    # Four in a row: more than the client's own retries (3) absorb, so the outbox retries too.
    k = kitchen(len(FAULTS) * 2, CLOPOS_MAX_RETRIES=3, CLOPOS_REQUESTS_PER_MINUTE=300)
    loop(processes, k)
    tapper = Tapper(processes, k.env)
    taps = []
    cases = list(itertools.product(FAULTS, ("PATCH", "REREAD")))
    for (kind, slot), receipt in zip(cases, k.receipts, strict=True):
        k.clopos.fault_on(kind, slot, count=4)
        taps.append(tapper.tap(Tap(receipt, "IN_PROGRESS", key())))
        wait_until(lambda: k.clopos.faults_left() == 0, timeout=60, every=0.05)
    rows = wait_until(all_ended(k, len(taps)), timeout=90, every=0.5)
    attempts = {r["key"]: r["attempts"] for r in rows}
    cased = zip(cases, taps, strict=True)
    tries = {f"{kind}@{slot.lower()}": attempts[t.key] for (kind, slot), t in cased}
    # 5xx outlast the client's retries and reach the outbox, which tries again (attempts 3);
    # a 429's reset and an expired token the client may wait out or answer itself (a new
    # sign-in, then the same request): either way each tap is written once.
    assert all(n >= 2 for case, n in tries.items() if case.startswith("50")), tries
    report(
        "bump-faults",
        bump_score(taps, rows, k.clopos),
        attempts=",".join(f"{case}:{n}" for case, n in tries.items()),
    )


# --- 5. The database locked during a tap --------------------------------------------------------

LOCK_SECONDS = 1.0


def test_a_tap_while_the_database_is_locked_is_kept_once(processes, kitchen, drill_databases):
    k = kitchen(3)
    loop(processes, k)
    _, screens = two_screens(processes, k)
    taps, waited = [], []
    for receipt in k.receipts:
        tap = Tap(receipt, "IN_PROGRESS", key())
        locked = threading.Event()

        def hold(locked: threading.Event = locked) -> None:
            with k.database.write_lock():
                locked.set()
                time.sleep(LOCK_SECONDS)

        holder = threading.Thread(target=hold)
        holder.start()
        locked.wait(10)
        started = time.monotonic()
        screens[0].tap(tap)
        waited.append(time.monotonic() - started)
        holder.join()
        taps.append(tap)
        # The same key sent again (a retry after a lost answer) changes nothing.
        assert screens[0].tap(Tap(receipt, "IN_PROGRESS", tap.key)).answer == "repeat"
    assert all(t.answer == "created" for t in taps), [t.answer for t in taps]
    rows = wait_until(all_ended(k, len(taps)), timeout=60, every=0.5)
    report(
        f"bump-db-locked-{drill_databases.vendor}",
        bump_score(taps, rows, k.clopos),
        lock_s=LOCK_SECONDS,
        tap_waited_s=f"{max(waited):.1f}",
    )
