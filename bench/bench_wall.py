"""Wall polling under load: gunicorn on loopback, 200 concurrent pollers, 30 s per phase.

    .venv/bin/python bench/bench_wall.py [--seconds 30] [--pollers 200] [--workers 4]

Sets up a throwaway SQLite database (migrate, collectstatic, ~200 orders, a kiosk key), starts
gunicorn with deploy/gunicorn.conf.py (DJANGO_DEBUG=0) on a free 127.0.0.1 port, opens the wall
once through the kiosk link to get a session cookie and the poll token, then runs phases with a
small asyncio HTTP/1.1 keep-alive client (no extra dependency):

1. unchanged, paced: each poller every 1 s (200 polls/s; five times what 200 real screens
   offer, as a screen polls every WALL_POLL_SECONDS, 5 s).
2. unchanged, target: each poller every 190 ms (1,053 polls/s offered): the issue's targets are
   judged here: at least 1,000 polls/s served with p99 <= 100 ms, and no errors anywhere.
3. unchanged, paced every 150 ms (1,333 polls/s offered): the headroom above the target.
4. unchanged, flat out: each poller sends its next poll as soon as the last one answered:
   the most polls/s this machine serves (latency then is mostly queueing: 200 in flight).
5. changed: a stale token every time, so every poll renders the full fragment (200 orders).

Records requests/s, p50, p99 and errors in bench/RESULTS.md. Everything stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable

from bench._results import record

SEED = r"""
import django, os, sys
from datetime import timedelta
from decimal import Decimal
django.setup()
from django.utils import timezone
from orders_app.models import Product, Receipt, ReceiptItem, SaleType, Station, StopListEntry, Venue
from orders_app.services.wall_keys import wall_key_create
from tests.fixtures.orders import make_order, mark_synced
Venue.objects.create(id=1, name="Nizami (Main)")
for i, (name, kind) in enumerate([("Yerinde", "IN"), ("Catdirilma", "DELIVERY"), ("Takeaway", "TAKEAWAY")], 1):
    SaleType.objects.create(id=i, name=name, system_type=kind)
# The kitchen issues' data: stations, products with their cooking times, receipts carrying each
# accepted order's stage and routing, and a stop list (the wall's 86 strip).
for i, name, kitchen in [(1, "Grill", True), (2, "Cold kitchen", True), (3, "Bar", False)]:
    Station.objects.create(id=i, name=name, kitchen=kitchen)
now = timezone.now()
dishes = ["Pizza Margherita", "Plov", "Dolma", "Lula kebab", "Qutab", "Caesar salad", "Borscht", "Ayran"]
for p, dish in enumerate(dishes, 1):
    Product.objects.create(id=p, name=dish, type="DISH", station_id=3 if dish == "Ayran" else 1 + p % 2, cooking_time=6 + 3 * p)
for p in range(9, 21):
    Product.objects.create(id=p, name=f"Dish {p}", type="DISH", station_id=1, cooking_time=10)
for p in (9, 10, 11, 12):
    StopListEntry.objects.create(product_id=p, limit=0 if p < 11 else 2, clopos_at=now)
n_orders = int(sys.argv[1])
order_statuses = ["NEW", "IN_PROGRESS", "READY"]
stages = {"NEW": "accepted", "IN_PROGRESS": "preparing", "READY": "ready"}
for n in range(n_orders):
    status = ["PENDING", "RECEIVED", "RECEIVED", "DELIVERED", "IGNORE"][n % 5]
    first, second = n % 8, (n + 3) % 8
    extra = {}
    if status == "RECEIVED":
        receipt = Receipt.objects.create(
            id=700_000 + n, status=1, order_status=order_statuses[n % 3],
            total=Decimal(1200 + n), created_at=now - timedelta(minutes=n % 60),
        )
        for position, dish in enumerate((first, second)):
            ReceiptItem.objects.create(
                receipt=receipt, position=position, product_id=dish + 1, name=dishes[dish],
                count=1, station_id=3 if dishes[dish] == "Ayran" else 1 + (dish + 1) % 2,
            )
        extra = {"receipt_id": receipt.id, "stage": stages[receipt.order_status]}
    make_order(
        status=status,
        created_at=now - timedelta(minutes=n % 90, seconds=n),
        updated_at=now - timedelta(minutes=n % 12),
        sale_type_id=1 + n % 3,
        items=[
            {"name": dishes[first], "product_id": first + 1, "count": 1 + n % 3, "modifiers": [{"name": "Extra cheese", "count": 1}] if n % 4 == 0 else []},
            {"name": dishes[second], "product_id": second + 1, "count": 1, "note": "No onions" if n % 6 == 0 else ""},
        ],
        **extra,
    )
mark_synced()
print(wall_key_create(name="bench").key)
"""


# The load client shares the 2 cores with the server it measures. Real screens are other
# machines: run the client ahead of gunicorn in the scheduler so that its own waits for a core
# are not counted as the server's latency (its CPU still comes out of the same 2 cores).
CLIENT_NICE = -5


def raise_client_priority() -> str:
    try:
        os.setpriority(os.PRIO_PROCESS, 0, CLIENT_NICE)
    except OSError:
        return "at the same priority as gunicorn (raising it needs root)"
    return f"at nice {CLIENT_NICE}, ahead of gunicorn at 0 (so its own waits for a core are not counted as server latency)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    retries: int = 0
    elapsed: float = 0.0
    server_cpu: float = 0.0  # seconds of gunicorn CPU during the phase
    client_cpu: float = 0.0  # seconds of load-client CPU during the phase

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else float("nan")

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    length = int(match.group(1)) if match else 0
    if length:
        await reader.readexactly(length)
    return status


async def poller(port, request, expect, phase, deadline, interval):
    reader = writer = None
    reused = False
    next_at = time.perf_counter()
    while time.perf_counter() < deadline:
        if interval:
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at += interval
        start = time.perf_counter()
        for attempt in (1, 2):
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    reused = False
                writer.write(request)
                status = await asyncio.wait_for(read_response(reader), 10)
                phase.latencies.append(time.perf_counter() - start)
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                if status != expect:
                    phase.errors += 1
                reused = True
                break
            except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                if writer is not None:
                    writer.close()
                retry = attempt == 1 and reused
                reader = writer = None
                if retry:
                    # The server closed an idle keep-alive connection (a worker recycled after
                    # max_requests): like a browser, retry a GET once on a fresh connection.
                    phase.retries += 1
                    continue
                phase.errors += 1
                await asyncio.sleep(0.05)
                break
    if writer is not None:
        writer.close()


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    length = int(match.group(1)) if match else 0
    return int(head[9:12]), (await reader.readexactly(length)) if length else b""


def token_version(token: str) -> int:
    return int(token.split("-", 1)[0])


async def held_poller(port, cookie, token, phase, deadline, committed, hold):
    """One screen with held polls (wait=hold): asks, waits for the answer, asks again with
    the token it got. A 200's delay is measured from when the change it carries committed."""
    reader = writer = None
    while time.perf_counter() < deadline:
        request = (
            f"GET /wall/poll/?token={token}&wait={hold} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: {cookie}\r\nHX-Request: true\r\nConnection: keep-alive\r\n\r\n"
        ).encode()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            status, body = await asyncio.wait_for(read_answer(reader), hold + 10)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            if writer is not None:
                writer.close()
            reader = writer = None
            phase.errors += 1
            await asyncio.sleep(0.5)
            continue
        got = time.perf_counter()
        phase.statuses[status] = phase.statuses.get(status, 0) + 1
        if status == 200:
            token = re.search(rb'data-token="([^"]+)"', body).group(1).decode()
            at = committed.get(token_version(token))
            if at is not None:
                phase.latencies.append(got - at)
        elif status != 204:
            phase.errors += 1
            await asyncio.sleep(0.5)
    if writer is not None:
        writer.close()


def version_bump(database_url: str, database: Path) -> int:
    """What a sync pass that changed something commits: the data version moved."""
    sql = "UPDATE orders_app_syncstate SET data_version = data_version + 1 WHERE id = 1"
    if database_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute(sql)
            return db.execute(
                "SELECT data_version FROM orders_app_syncstate WHERE id = 1"
            ).fetchone()[0]
    import sqlite3

    with sqlite3.connect(database) as db:
        db.execute(sql)
        return db.execute("SELECT data_version FROM orders_app_syncstate WHERE id = 1").fetchone()[
            0
        ]


async def run_held_phase(
    name, port, cookie, token, pollers, seconds, master_pid, *, change_every, bump, hold=5
):
    """200 screens holding polls; with ``change_every`` the data changes that often and each
    screen's delay from the commit to its new fragment is measured (else: idle cost)."""
    phase = Phase(name)
    committed: dict[int, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(cpu_sampler(master_pid, phase, stop))
    start = time.perf_counter()
    client_cpu_start = time.process_time()
    deadline = start + seconds
    tasks = [
        asyncio.create_task(held_poller(port, cookie, token, phase, deadline, committed, hold))
        for _ in range(pollers)
    ]
    if change_every:
        await asyncio.sleep(2)  # every screen holding
        while time.perf_counter() < deadline - change_every:
            version = await asyncio.to_thread(bump)
            committed[version] = time.perf_counter()
            await asyncio.sleep(change_every)
    await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - start
    phase.client_cpu = time.process_time() - client_cpu_start
    stop.set()
    await sampler
    phase.changes = len(committed)  # type: ignore[attr-defined]
    phase.screens = pollers  # type: ignore[attr-defined]
    return phase


async def cpu_sampler(master_pid: int, phase: Phase, stop: asyncio.Event) -> None:
    """Sum CPU per process over the phase, keeping workers that exit (max_requests) counted."""
    first: dict[int, float] = process_cpu(master_pid)  # workers started later count from 0
    last: dict[int, float] = dict(first)
    while True:
        for pid, cpu in process_cpu(master_pid).items():
            first.setdefault(pid, 0.0)
            last[pid] = cpu
        phase.server_cpu = sum(last[pid] - first[pid] for pid in last)
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_phase(name, port, path, cookie, expect, pollers, seconds, interval, master_pid=0):
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
        "HX-Request: true\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    phase = Phase(name)
    stop = asyncio.Event()
    sampler = asyncio.create_task(cpu_sampler(master_pid, phase, stop)) if master_pid else None
    start = time.perf_counter()
    client_cpu_start = time.process_time()
    deadline = start + seconds
    tasks = []
    for _i in range(pollers):
        # Spread paced pollers over one interval so they do not fire in lockstep.
        await asyncio.sleep((interval or 0) / pollers)
        tasks.append(asyncio.create_task(poller(port, request, expect, phase, deadline, interval)))
    await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - start
    phase.client_cpu = time.process_time() - client_cpu_start
    stop.set()
    if sampler:
        await sampler
    return phase


def process_cpu(master_pid: int) -> dict[int, float]:
    """CPU seconds (utime + stime) of the gunicorn master and each worker, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    result = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry), int(fields[1])
        if pid == master_pid or ppid == master_pid:
            result[pid] = (int(fields[11]) + int(fields[12])) / tick
    return result


def http_get(port: int, path: str, cookie: str = "") -> tuple[int, dict, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, headers, body


def run_server(
    args, env: dict, tmp: Path, key: str, label: str, bump, *, plain: bool, holds: bool
) -> tuple[list[Phase], int, list[Phase]]:
    """``plain``: the phases of polls answered at once; ``holds``: the held-poll phases."""
    port = free_port()
    env = {**env, "PASS_BIND": f"127.0.0.1:{port}"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "dashboard.wsgi", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / f"gunicorn-{label}.err", "w"),  # noqa: SIM115
        start_new_session=True,
        # gunicorn at the ordinary priority, below this load client (see CLIENT_NICE).
        preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, 0),
    )
    phases: list[Phase] = []
    try:
        for _ in range(150):
            try:
                http_get(port, "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start; see " + str(tmp / f"gunicorn-{label}.err"))
        status, headers, _ = http_get(port, f"/wall/?key={key}")
        assert status == 302, status
        cookie = headers["set-cookie"].split(";", 1)[0]
        status, _, page = http_get(port, "/wall/", cookie)
        assert status == 200, status
        token = re.search(r'data-token="([^"]+)"', page).group(1)
        cards = page.count('class="card ')
        unchanged = f"/wall/poll/?token={token}"
        changed = "/wall/poll/?token=0-stale"
        assert http_get(port, unchanged, cookie)[0] == 204
        assert http_get(port, changed, cookie)[0] == 200
        print(f"[{label}] gunicorn {args.workers} workers on :{port}; {cards} cards", flush=True)
        asyncio.run(run_phase("warm-up", port, unchanged, cookie, 204, 50, 3, 0))
        plan = [
            (
                "Unchanged (204), paced: each poller every 1 s (5x a real screen)",
                unchanged,
                204,
                1.0,
            ),
            (
                "Unchanged (204), target: each poller every 190 ms (1,053 polls/s offered)",
                unchanged,
                204,
                0.19,
            ),
            ("Unchanged (204), paced: each poller every 150 ms", unchanged, 204, 0.15),
            ("Unchanged (204), flat out", unchanged, 204, 0),
            ("Changed (200, full fragment), flat out", changed, 200, 0),
        ]
        if not plain:
            plan = []
        for name, path, expect, interval in plan:
            phase = asyncio.run(
                run_phase(
                    name,
                    port,
                    path,
                    cookie,
                    expect,
                    args.pollers,
                    args.seconds,
                    interval,
                    master_pid=server.pid,
                )
            )
            phases.append(phase)
            print(
                f"[{label}] {name}: {phase.rps:,.0f} req/s, p50 {phase.pct(50):.1f} ms, "
                f"p99 {phase.pct(99):.1f} ms, errors {phase.errors}, retries {phase.retries}, "
                f"statuses {phase.statuses}, "
                f"server CPU {phase.cpu_ms_per_request:.2f} ms/request",
                flush=True,
            )
        token = re.search(r'data-token="([^"]+)"', http_get(port, "/wall/", cookie)[2]).group(1)
        # Idle (nothing changes), then a change every 3 s reaching every screen.
        held = (
            []
            if not holds
            else [
                asyncio.run(
                    run_held_phase(
                        name,
                        port,
                        cookie,
                        token,
                        args.pollers,
                        args.seconds,
                        server.pid,
                        change_every=every,
                        bump=bump,
                    )
                )
                for name, every in (
                    (f"Held polls, idle: {args.pollers} screens, nothing changes", 0),
                    (f"Held polls, a change every 3 s reaching {args.pollers} screens", 3.0),
                )
            ]
        )
        for phase in held:
            print(
                f"[{label}] {phase.name}: server CPU {phase.server_cpu / phase.elapsed:.1%} "
                f"of one core, statuses {phase.statuses}, errors {phase.errors}"
                + (
                    f", commit to screen p50 {phase.pct(50):.0f} ms p95 {phase.pct(95):.0f} ms"
                    f" max {phase.pct(100):.0f} ms over {len(phase.latencies)} deliveries"
                    if phase.latencies
                    else ""
                ),
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    return phases, cards, held


def held_table(held: list[Phase]) -> str:
    idle, fanout = held
    expected = fanout.changes * len_screens(fanout)  # type: ignore[attr-defined]
    return (
        "| Held polls (SCREEN_UPDATES=longpoll, wait=5) | server CPU, % of one core | answers "
        "| errors | commit → screen p50 / p95 / max | deliveries |\n|---|---:|---|---:|---|---:|\n"
        f"| {idle.name} | {idle.server_cpu / idle.elapsed:.1%} | {idle.statuses} | "
        f"{idle.errors} | — | — |\n"
        f"| {fanout.name} | {fanout.server_cpu / fanout.elapsed:.1%} | {fanout.statuses} | "
        f"{fanout.errors} | {fanout.pct(50):.0f} / {fanout.pct(95):.0f} / "
        f"{fanout.pct(100):.0f} ms | {len(fanout.latencies):,} of {expected:,} |\n"
    )


def len_screens(phase: Phase) -> int:
    return phase.screens  # type: ignore[attr-defined]


def table(phases: list[Phase]) -> str:
    rows = "\n".join(
        f"| {p.name} | {len(p.latencies):,} | {p.rps:,.0f} | {p.pct(50):.1f} | {p.pct(99):.1f} "
        f"| {p.errors} | {p.retries} | {p.cpu_ms_per_request:.2f} "
        f"| {p.client_cpu / max(len(p.latencies), 1) * 1000:.2f} "
        f"| {2000 / p.cpu_ms_per_request:,.0f} |"
        for p in phases
    )
    return (
        "| Phase | Requests | Requests/s | p50 ms | p99 ms | Errors | Keep-alive retries | "
        "Server CPU ms/req | Client CPU ms/req | Capacity on 2 free cores (req/s) |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        f"{rows}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument(
        "--only",
        choices=["held"],
        help="only the held-poll phases (implies --no-record)",
    )
    parser.add_argument(
        "--env-database",
        action="store_true",
        help="use DATABASE_URL from the environment (e.g. PostgreSQL from .ci/with_postgres.py)",
    )
    args = parser.parse_args()
    if args.only:
        args.no_record = True
    client_priority = raise_client_priority()
    database_url = os.environ["DATABASE_URL"] if args.env_database else ""
    vendor = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"

    tmp = Path(tempfile.mkdtemp(prefix="pass-bench-wall-"))
    env = {
        **os.environ,
        "PASS_IGNORE_DOTENV": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PASS_VAR_DIR": str(tmp),
        "DATABASE_URL": database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
        "SYNC_STALE_AFTER": "86400",  # the data must not turn stale mid-run
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_ACCESS_LOG": str(tmp / "access.log"),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    env.pop("PASS_TESTING", None)
    print(f"setting up in {tmp}", flush=True)
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(
        [PY, "-c", SEED, str(args.orders)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = seeded.stdout.strip().splitlines()[-1]

    database = tmp / "bench.sqlite3"

    def bump() -> int:
        return version_bump(database_url, database)

    # Polls answered at once are what a SCREEN_UPDATES=poll deployment serves (gunicorn then
    # runs 4 threads a worker, deploy/gunicorn.conf.py); held polls are the default's.
    shipped, cards = [], 0
    if args.only != "held":
        shipped, cards, _ = run_server(
            args,
            {**env, "SCREEN_UPDATES": "poll"},
            tmp,
            key,
            "plain polls",
            bump,
            plain=True,
            holds=False,
        )
    _, cards_held, held = run_server(
        args, env, tmp, key, "held polls", bump, plain=False, holds=True
    )
    cards = cards or cards_held
    if args.only == "held":
        print(held_table(held))
        return 0
    results = [
        (
            f"Plain polls (SCREEN_UPDATES=poll: 4 workers x 4 threads; {vendor}, persistent "
            "connections: DB_CONN_MAX_AGE=60)",
            shipped,
        )
    ]

    def met(phases: list[Phase]) -> bool:
        """The issue's targets, at its load: 200 pollers offering at least 1,000 unchanged
        polls/s get at least 1,000/s served with p99 <= 100 ms, and nothing fails anywhere."""
        target = phases[1]
        no_errors = not any(p.errors for p in phases)
        return no_errors and target.pct(99) <= 100 and target.rps >= 1000

    idle, fanout = held
    held_met = (
        idle.server_cpu / idle.elapsed <= 0.10
        and fanout.pct(95) <= 1000
        and not idle.errors
        and not fanout.errors
    )

    load = os.getloadavg()
    body = (
        f"gunicorn (deploy/gunicorn.conf.py: gthread, {args.workers} workers; 4 threads each "
        "for plain polls, 64 for held polls), "
        f"DJANGO_DEBUG=0, {vendor}, {args.orders} orders ({cards} cards on the wall), a kiosk "
        f"session; {args.pollers} concurrent keep-alive pollers, {args.seconds:.0f} s per phase, "
        f"asyncio load client in one process on the same 2 cores, {client_priority}. Paced: each poller polls every "
        "1 s (200 polls/s offered), every 190 ms (1,053 polls/s: the target load, at least "
        "1,000 polls/s) or every 150 ms (1,333 polls/s: headroom). Flat out: next poll as soon "
        "as the last answered "
        f"(latency is then mostly queueing behind {args.pollers} requests in flight). Changed: "
        "a stale token every time (the fragment, cached per token and worker). Keep-alive "
        "retries: a GET retried once on a fresh connection after the server closed a reused "
        "one (gunicorn recycles workers after max_requests), as browsers do.\n\n"
    )
    for title, phases in results:
        body += (
            f"**{title}** — targets (at the target load: >= 1,000 unchanged polls/s served, "
            "p99 <= 100 ms; no errors in any phase): "
            f"**{'met' if met(phases) else 'NOT met'}**\n\n{table(phases)}\n"
        )
    body += (
        f"**Held polls** ({args.pollers} screens, each holding `/wall/poll/?wait=5`; the "
        "change is an UPDATE of the data version committed by the benchmark, as a sync pass "
        "commits it) — targets (200 idle screens <= 10% of one core; a change on every screen "
        f"within 1 s p95; no errors): **{'met' if held_met else 'NOT met'}**\n\n"
        f"{held_table(held)}\n"
    )
    body += (
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}. Other work "
        "on the box competes for the same 2 cores; the last column is 2 cores divided by the "
        "measured gunicorn CPU per request, what the server could do with the machine to "
        "itself (CPU time itself inflates under contention). A real screen polls every "
        "WALL_POLL_SECONDS (5 s): 200 screens offer 40 polls/s.\n"
    )
    print(body)
    if not args.no_record:
        section = "Wall polling (bench_wall.py)"
        record(section if vendor == "SQLite" else f"{section}, {vendor}", body)
    return 0 if met(results[-1][1]) and held_met else 1


if __name__ == "__main__":
    sys.exit(main())
