"""Sync backfill benchmark: 20,000 orders from the simulator on loopback into fresh SQLite.

The parent process runs the Clopos simulator (in a thread, real HTTP on 127.0.0.1) and starts
one child process per measurement, each with its own fresh SQLite file, so peak RSS is the
child's alone:

- ``pipeline N`` (N = 5,000 and 20,000): ``sync_pass`` backfill end to end (HTTP, JSON, parsing,
  writes), page size 200, three times each (the median is reported: this shared VM's speed
  drifts). Reports orders/s, the time in each stage, and peak RSS.
- ``write``: fetches and parses the same 20,000 orders first (untimed), then times the database
  write stage alone (``store_orders``, page by page as sync does), then, on the same parsed
  rows, a plain ``sqlite3`` ``executemany`` insert of the same rows (orders, items, modifiers,
  events; one transaction per 200-order page, like sync) into another fresh copy of the schema.

Targets: pipeline >= 2,000 orders/s; write stage within 3x of the raw insert; peak RSS under
200 MB and flat as the count grows. Results: bench/RESULTS.md (section "Sync backfill").
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (5_000, 20_000)
# Each pipeline size runs this many times (fresh database each) and the median is reported:
# on this shared 2-core VM the same run varies by up to ~40% from one minute to the next.
REPEATS = 3
PAGE_SIZE = 200
SECTION = "Sync backfill (bench_sync.py)"
TARGET_RATE = 2_000
TARGET_RATIO = 3.0
TARGET_RSS_MB = 200


def django_env(database: Path, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOPOS_", "SYNC_"))}
    env.update(
        PASS_IGNORE_DOTENV="1",
        DATABASE_URL=f"sqlite:///{database}",
        PASS_VAR_DIR=str(var_dir),
        DJANGO_DEBUG="0",  # DEBUG would keep every query in memory
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        LOG_LEVEL="WARNING",
        # The orders pipeline alone: the receipts' own pipeline (issue 9) is not benchmarked
        # yet, and with it on a first pass also backfills every receipt.
        SYNC_RECEIPTS="0",
    )
    env.pop("PASS_TESTING", None)
    return env


def setup_django(database: Path, var_dir: Path) -> None:
    os.environ.update(django_env(database, var_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    import django

    django.setup()


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM).

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux that keeps the high-water mark of the
    process image before ``exec``, i.e. of the parent that forked it (here one holding a
    20,000-order simulator). VmHWM belongs to the current image only.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_client(base_url: str):
    from django.conf import settings

    from orders_app.clopos.client import CloposClient
    from orders_app.clopos.config import ClientSettings

    return CloposClient(
        ClientSettings(
            base_url=base_url,
            **settings.CLOPOS_DEMO_CREDENTIALS,
            requests_per_minute=100_000,
            page_size=PAGE_SIZE,
            max_retries=0,
            timeout=30,
        )
    )


# --- Children -----------------------------------------------------------------------------------


def child_pipeline(base_url: str, database: Path, expected: int) -> dict:
    from orders_app.models import Order
    from orders_app.services.sync import sync_pass

    rss_before = peak_rss_mb()
    client = make_client(base_url)
    checkpoints: dict[int, float] = {}

    def progress(p) -> None:
        if p.pages % 25 == 0:
            checkpoints[p.orders] = current_rss_mb()

    started = time.perf_counter()
    cpu_started = time.process_time()
    result = sync_pass(client=client, full=True, page_size=PAGE_SIZE, progress=progress)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    stored = Order.objects.count()
    if stored != expected:
        raise SystemExit(f"expected {expected} orders, stored {stored}")
    return {
        "orders": stored,
        "seconds": seconds,
        "rate": stored / seconds,
        "fetch": result.fetch_seconds,
        "parse": result.parse_seconds,
        "write": result.write_seconds,
        "requests": result.requests,
        "cpu": cpu,
        "rss_start_mb": rss_before,
        "rss_checkpoints": checkpoints,
        "rss_mb": peak_rss_mb(),
    }


def child_write(base_url: str, database: Path, raw_database: Path, expected: int) -> dict:
    from django.db import connection

    from orders_app.clopos.payloads import parse_order
    from orders_app.models import Order
    from orders_app.services.sync import store_orders

    client = make_client(base_url)
    pages = [
        page.rows
        for page in client.iter_order_pages(sort="created_at", direction=1, limit=PAGE_SIZE)
    ]
    t0 = time.perf_counter()
    parsed_pages = [[parse_order(row) for row in rows] for rows in pages]
    parse_seconds = time.perf_counter() - t0
    count = sum(len(p) for p in parsed_pages)
    if count != expected:
        raise SystemExit(f"expected {expected} orders, fetched {count}")

    known: set[str] = set()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    for parsed in parsed_pages:
        store_orders(parsed, known_skipped=known)
    write_seconds = time.perf_counter() - t0
    write_cpu = time.process_time() - cpu0
    if Order.objects.count() != expected:
        raise SystemExit("write stage stored the wrong number of orders")
    connection.close()

    cpu0 = time.process_time()
    raw_seconds, raw_rows = raw_insert(raw_database, parsed_pages)
    raw_cpu = time.process_time() - cpu0
    return {
        "write_cpu": write_cpu,
        "raw_cpu": raw_cpu,
        "orders": count,
        "parse": parse_seconds,
        "write": write_seconds,
        "write_rate": count / write_seconds,
        "raw": raw_seconds,
        "raw_rate": count / raw_seconds,
        "raw_rows": raw_rows,
        "ratio": write_seconds / raw_seconds,
    }


def raw_insert(database: Path, parsed_pages: list) -> tuple[float, int]:
    """The baseline: the same rows as plain tuples into sqlite3 with executemany, one
    transaction per page. Timed from parsed objects to committed rows (building the tuples
    included, as Django has to build its own)."""
    import sqlite3
    from datetime import UTC

    def ts(value):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def dec(value):
        return None if value is None else str(value)

    def js(value):
        return json.dumps(value, ensure_ascii=False)

    order_sql = (
        "INSERT INTO orders_app_order (id, venue_id, sale_type_id, type, integration, "
        "integration_uuid, integration_id, integration_status, customer_ref_id, status, "
        "customer_remote_id, customer_name, customer_phone, customer_address, comment, "
        "discount_type, discount_value, service_charge_enabled, service_charge_value, "
        "delivery_fee, item_count, items_total, created_at, updated_at, first_seen_at, "
        "synced_at, search_text, raw, content_hash, parse_warnings, stage) "
        "VALUES (" + ", ".join(["?"] * 30) + ", '')"
    )
    item_sql = (
        "INSERT INTO orders_app_orderitem (id, order_id, position, product_id, name, count, "
        "portion_size, price, line_total, status, note, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?)"
    )
    modifier_sql = (
        "INSERT INTO orders_app_orderitemmodifier (item_id, position, modifier_id, name, count, "
        "price, shape, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    event_sql = (
        "INSERT INTO orders_app_orderevent (order_id, kind, from_status, to_status, "
        "observed_at, remote_updated_at) VALUES (?, ?, ?, ?, ?, ?)"
    )
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    rows_written = 0
    item_id = 0
    started = time.perf_counter()
    from datetime import datetime

    now = ts(datetime.now(UTC))
    for parsed in parsed_pages:
        orders, items, modifiers, events = [], [], [], []
        for p in parsed:
            orders.append(
                (
                    p.id,
                    p.venue_id,
                    p.sale_type_id,
                    p.type,
                    p.integration,
                    p.integration_uuid,
                    p.integration_id,
                    p.integration_status,
                    p.customer_ref_id,
                    p.status,
                    p.customer_remote_id,
                    p.customer_name,
                    p.customer_phone,
                    p.customer_address,
                    p.comment,
                    p.discount_type,
                    dec(p.discount_value),
                    None if p.service_charge_enabled is None else int(p.service_charge_enabled),
                    dec(p.service_charge_value),
                    dec(p.delivery_fee),
                    dec(p.item_count),
                    dec(p.items_total),
                    ts(p.created_at),
                    ts(p.updated_at),
                    now,
                    now,
                    p.search_text,
                    js(p.raw),
                    p.content_hash,
                    js(list(p.warnings)),
                )
            )
            for it in p.items:
                item_id += 1
                items.append(
                    (
                        item_id,
                        p.id,
                        it.position,
                        it.product_id,
                        it.name,
                        dec(it.count),
                        dec(it.portion_size),
                        dec(it.price),
                        dec(it.line_total),
                        it.status,
                        it.note,
                        js(it.raw),
                    )
                )
                for m in it.modifiers:
                    modifiers.append(
                        (
                            item_id,
                            m.position,
                            m.modifier_id,
                            m.name,
                            dec(m.count),
                            dec(m.price),
                            m.shape,
                            js(m.raw),
                        )
                    )
            events.append((p.id, "seen", "", p.status, now, ts(p.updated_at)))
        db.execute("BEGIN")
        db.executemany(order_sql, orders)
        db.executemany(item_sql, items)
        db.executemany(modifier_sql, modifiers)
        db.executemany(event_sql, events)
        db.execute("COMMIT")
        rows_written += len(orders) + len(items) + len(modifiers) + len(events)
    seconds = time.perf_counter() - started
    db.close()
    return seconds, rows_written


def child_main(argv: list[str]) -> None:
    mode, base_url, database, expected = argv[0], argv[1], Path(argv[2]), int(argv[3])
    setup_django(database, database.parent / "var")
    if mode == "pipeline":
        result = child_pipeline(base_url, database, expected)
    else:
        result = child_write(base_url, database, Path(argv[4]), expected)
    print("RESULT " + json.dumps(result), flush=True)


# --- Parent -------------------------------------------------------------------------------------


def migrate_template(workdir: Path) -> Path:
    """An empty, migrated database file (migrating is not part of what is measured)."""
    template = workdir / "template.sqlite3"
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=django_env(template, workdir / "var"),
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return template


def fresh_copy(template: Path, name: str) -> Path:
    path = template.parent / name
    shutil.copy(template, path)
    return path


def run_child(*args: str) -> dict:
    output = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1800,
    )
    if output.returncode != 0:
        sys.stderr.write(output.stdout + output.stderr)
        raise SystemExit(f"benchmark child {args[0]} failed (exit {output.returncode})")
    for line in output.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit(f"benchmark child {args[0]} printed no result:\n{output.stdout}")


def start_simulator(orders: int):
    from orders_app.clopos.simulator import Simulator, SimulatorConfig, serve_in_thread

    config = SimulatorConfig(seed=1, orders=orders, days=7, frozen=True, rate_limit=1_000_000)
    return serve_in_thread(Simulator(config))


def cpu_reference_ms() -> float:
    """A fixed pure-Python workload, timed (best of three): how fast this shared VM runs right
    now. The same code scored ~1.6x apart between minutes; read the rates beside it."""
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        total = 0
        for i in range(2_000_000):
            total += i % 7
        best = min(best, time.process_time() - t0)
    return best * 1000


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="pass-bench-sync-"))
    setup_django(workdir / "parent.sqlite3", workdir / "var")  # simulator reads demo creds
    template = migrate_template(workdir)
    try:
        pipelines = {}
        speeds: list[float] = []
        write = None
        for size in SIZES:
            t0 = time.perf_counter()
            server = start_simulator(size)
            print(f"simulator with {size} orders ready in {time.perf_counter() - t0:.1f}s")
            try:
                runs = []
                speeds.append(cpu_reference_ms())
                for attempt in range(REPEATS):
                    database = fresh_copy(template, f"pipeline-{size}-{attempt}.sqlite3")
                    p = run_child("pipeline", server.base_url, str(database), str(size))
                    database.unlink()
                    runs.append(p)
                    print(
                        f"pipeline {size} run {attempt + 1}: {p['rate']:.0f} orders/s "
                        f"({p['seconds']:.2f}s: fetch {p['fetch']:.2f}s, parse {p['parse']:.2f}s, "
                        f"write {p['write']:.2f}s), {p['requests']} requests, "
                        f"peak RSS {p['rss_mb']:.0f} MB"
                    )
                runs.sort(key=lambda run: run["rate"])
                pipelines[size] = {
                    **runs[len(runs) // 2],
                    "rates": [run["rate"] for run in runs],
                    "rss_mb": max(run["rss_mb"] for run in runs),
                }
                if size == max(SIZES):
                    write = run_child(
                        "write",
                        server.base_url,
                        str(fresh_copy(template, "write.sqlite3")),
                        str(size),
                        str(fresh_copy(template, "raw.sqlite3")),
                    )
                    print(
                        f"write stage {write['write_rate']:.0f} orders/s ({write['write']:.2f}s); "
                        f"raw sqlite3 executemany {write['raw_rate']:.0f} orders/s "
                        f"({write['raw']:.2f}s, {write['raw_rows']} rows); "
                        f"ratio {write['ratio']:.2f}x"
                    )
            finally:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    big, small = pipelines[max(SIZES)], pipelines[min(SIZES)]
    rss_ok = all(p["rss_mb"] < TARGET_RSS_MB for p in pipelines.values())
    flat = big["rss_mb"] <= small["rss_mb"] * 1.25
    assert write is not None
    load = os.getloadavg()[0]
    rows = [
        "| Measure | Result | Target |",
        "|---|---|---|",
    ]
    for size in SIZES:
        p = pipelines[size]
        rows.append(
            f"| Whole pipeline, {size:,} orders (HTTP + parse + write, page {PAGE_SIZE}) | "
            f"**{p['rate']:,.0f} orders/s** median of {len(p['rates'])} runs "
            f"({' / '.join(f'{rate:,.0f}' for rate in p['rates'])}); the median run: "
            f"{p['seconds']:.2f} s wall: fetch {p['fetch']:.2f} s, "
            f"parse {p['parse']:.2f} s, write {p['write']:.2f} s; {p['requests']} requests; "
            f"sync process CPU {p['cpu']:.2f} s = {size / p['cpu']:,.0f} orders per CPU-second) | "
            f">= {TARGET_RATE:,} orders/s: {verdict(p['rate'] >= TARGET_RATE)} |"
        )
    checkpoints = ", ".join(
        f"{int(n):,}: {mb:.0f} MB"
        for n, mb in sorted(big["rss_checkpoints"].items(), key=lambda kv: int(kv[0]))
    )
    rows += [
        f"| Database write stage alone, {write['orders']:,} orders (`store_orders`, one "
        f"transaction per page) | **{write['write_rate']:,.0f} orders/s** ({write['write']:.2f} s "
        f"wall, {write['write_cpu']:.2f} s CPU) | — |",
        f"| Raw `sqlite3` `executemany`, same parsed rows ({write['raw_rows']:,} rows in 4 "
        f"tables, tuples built in the timing) | {write['raw_rate']:,.0f} orders/s "
        f"({write['raw']:.2f} s wall, {write['raw_cpu']:.2f} s CPU) | baseline |",
        f"| Write stage / raw | **{write['ratio']:.2f}x** wall ({write['write_cpu'] / write['raw_cpu']:.2f}x "
        f"CPU) | <= {TARGET_RATIO:g}x: {verdict(write['ratio'] <= TARGET_RATIO)} |",
        f"| Peak RSS of the sync process at {min(SIZES):,} / {max(SIZES):,} orders (highest "
        f"of the runs) | "
        f"**{small['rss_mb']:.0f} MB / {big['rss_mb']:.0f} MB** (current RSS during the "
        f"{max(SIZES):,} median run at {checkpoints}) | < {TARGET_RSS_MB} MB and flat: "
        f"{verdict(rss_ok and flat)} |",
    ]
    body = (
        "Backfill (`sync_pass(full=True)`) from the bundled simulator (another process) over "
        "loopback HTTP into a fresh, already-migrated SQLite file (WAL), each measurement in its "
        f"own child process; parsing {write['orders']:,} orders alone took {write['parse']:.2f} s. "
        "A fixed pure-Python loop took "
        + " / ".join(f"{ms:.0f} ms" for ms in speeds)
        + " before the two sizes (it varies by up to ~1.6x on this VM from one minute to the "
        "next, and the rates with it). "
        f"The machine's 2 cores are shared: 1-minute load average {load:.1f} at the end of the "
        "run, so wall-clock rates understate what an idle machine does; the CPU-second figures "
        "are less sensitive to that.\n\n" + "\n".join(rows)
    )
    from bench._results import record

    record(SECTION, body)
    print("\n" + body)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        sys.exit(main())
