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

The receipts pipeline, the same way (section "Receipts backfill"): a simulator whose orders make
about 20,000 receipts, and

- ``receipts``: the receipts walk of a first pass (``receipts_sync`` backfill: HTTP, JSON,
  parsing, writes), page size 200, three times (median); receipts/s, peak RSS, current RSS
  every 25 pages (flat as the count grows);
- ``receipts-write``: the same receipts fetched and parsed first (untimed), the write stage
  alone (``receipts_store`` page by page), then a plain ``sqlite3`` ``executemany`` of the same
  rows (receipts, items, events; one transaction per page).

Targets as the orders': >= 2,000 receipts/s; write stage within 3x of raw; peak RSS under
200 MB and flat.

The steady state (section "Sync steady state"): ``steady`` runs the passes ``sync_orders
--loop`` runs (``sync_pass`` on one client, the kitchen when the loop's ``Cadence`` says so) at
the default settings (SYNC_INTERVAL, SYNC_RECEIPTS_SECONDS, SYNC_STOPLIST_SECONDS, SYNC_RECONCILE_MINUTES, CLOPOS_PAGE_SIZE, receipts on) for a bounded
window of simulated time against a live simulated restaurant (new orders arriving, the kitchen
moving receipts on, tables opening, the stop list changing), the simulator's clock moved one
interval before each pass. It counts every request Clopos saw, per endpoint and per minute of
simulated time, against the documented limit of 300 a minute; target <= 15% of it (45/min).

``bench_sync.py [orders] [receipts] [steady]`` runs only those parts (default: all).
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
RECEIPTS_SECTION = "Receipts backfill (bench_sync.py)"
# Seeded orders that make about 20,000 receipts (most orders get one; tables add ~150 a week).
RECEIPT_ORDERS = 20_920
STEADY_SECTION = "Sync steady state (bench_sync.py)"
STEADY_MINUTES = 60  # of simulated time: six reconciles, an hour of stop-list reads
STEADY_NEW_EVERY = 120.0  # a new order every 2 simulated minutes: a busy delivery kitchen
RATE_LIMIT = 300  # requests a minute per integrator and brand (docs/clopos.md §3)
TARGET_SHARE = 0.15


def django_env(database: Path, var_dir: Path, *, receipts: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOPOS_", "SYNC_"))}
    env.update(
        PASS_IGNORE_DOTENV="1",
        DATABASE_URL=f"sqlite:///{database}",
        PASS_VAR_DIR=str(var_dir),
        DJANGO_DEBUG="0",  # DEBUG would keep every query in memory
        DJANGO_SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        LOG_LEVEL="WARNING",
        # The orders pipeline alone (with receipts on, a first pass also backfills every
        # receipt): the receipts' pipeline is measured on its own (child_receipts).
        SYNC_RECEIPTS="1" if receipts else "0",
    )
    env.pop("PASS_TESTING", None)
    return env


def setup_django(
    database: Path, var_dir: Path, *, receipts: bool = False, extra: dict | None = None
) -> None:
    os.environ.update({**django_env(database, var_dir, receipts=receipts), **(extra or {})})
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


# --- Receipts children ---------------------------------------------------------------------------


def child_receipts(base_url: str, expected: int) -> dict:
    """The receipts walk of a first pass, alone: backfill of every receipt."""
    from django.utils import timezone

    from orders_app.models import Receipt, SyncState
    from orders_app.services.sync import PassResult
    from orders_app.services.sync.receipts import receipts_sync

    rss_before = peak_rss_mb()
    client = make_client(base_url)
    checkpoints: dict[int, float] = {}
    fetch = client.receipts_page
    pages = 0

    def receipts_page(**kwargs):  # the bench's own probe: current RSS every 25 pages
        nonlocal pages
        pages += 1
        if pages % 25 == 0:
            checkpoints[(pages - 1) * PAGE_SIZE] = current_rss_mb()
        return fetch(**kwargs)

    client.receipts_page = receipts_page
    result = PassResult()
    started = time.perf_counter()
    cpu_started = time.process_time()
    receipts_sync(client=client, now=timezone.now(), result=result, state=SyncState.get())
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    checkpoints[expected] = current_rss_mb()
    stored = Receipt.objects.count()
    if stored != expected:
        raise SystemExit(f"expected {expected} receipts, stored {stored}")
    return {
        "receipts": stored,
        "seconds": seconds,
        "rate": stored / seconds,
        "requests": client.requests_made,
        "cpu": cpu,
        "rss_start_mb": rss_before,
        "rss_checkpoints": checkpoints,
        "rss_mb": peak_rss_mb(),
    }


def child_receipts_write(base_url: str, raw_database: Path, expected: int) -> dict:
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from orders_app.models import Receipt
    from orders_app.services.sync.receipts import receipts_parse, receipts_store

    client = make_client(base_url)
    pages = [
        page.rows
        for page in client.iter_receipt_pages(sort="created_at", direction=1, limit=PAGE_SIZE)
    ]
    zone = ZoneInfo(settings.TIME_ZONE)
    t0 = time.perf_counter()
    parsed_pages = [receipts_parse(rows, zone=zone)[0] for rows in pages]
    parse_seconds = time.perf_counter() - t0
    count = sum(len(p) for p in parsed_pages)
    if count != expected:
        raise SystemExit(f"expected {expected} receipts, fetched {count}")
    now = timezone.now()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    for parsed in parsed_pages:
        receipts_store(parsed, now=now)
    write_seconds = time.perf_counter() - t0
    write_cpu = time.process_time() - cpu0
    if Receipt.objects.count() != expected:
        raise SystemExit("write stage stored the wrong number of receipts")
    connection.close()
    cpu0 = time.process_time()
    raw_seconds, raw_rows = raw_receipts_insert(raw_database, parsed_pages)
    raw_cpu = time.process_time() - cpu0
    return {
        "receipts": count,
        "parse": parse_seconds,
        "write": write_seconds,
        "write_cpu": write_cpu,
        "write_rate": count / write_seconds,
        "raw": raw_seconds,
        "raw_cpu": raw_cpu,
        "raw_rate": count / raw_seconds,
        "raw_rows": raw_rows,
        "ratio": write_seconds / raw_seconds,
    }


def raw_receipts_insert(database: Path, parsed_pages: list) -> tuple[float, int]:
    """The receipts' baseline, as raw_insert is the orders': the same rows as plain tuples
    into sqlite3 with executemany, one transaction per page, tuples built in the timing."""
    import sqlite3
    from datetime import UTC, datetime

    from orders_app.clopos.payloads.receipt import ParsedReceipt

    def ts(value):
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def dec(value):
        return None if value is None else str(value)

    def js(value):
        return json.dumps(value, ensure_ascii=False)

    columns = [*ParsedReceipt.COLUMNS, "first_seen_at", "synced_at", "raw", "content_hash"]
    receipt_sql = (
        f"INSERT INTO orders_app_receipt (id, {', '.join(columns)}, parse_warnings) "  # noqa: S608
        f"VALUES ({', '.join(['?'] * (len(columns) + 2))})"
    )
    item_sql = (
        "INSERT INTO orders_app_receiptitem (receipt_id, position, remote_id, product_id, name, "
        "count, price, total, station_id, station_name, modifiers, raw) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    event_sql = (
        "INSERT INTO orders_app_receiptevent (receipt_id, kind, from_value, to_value, "
        "observed_at, remote_at) VALUES (?, ?, ?, ?, ?, ?)"
    )
    money = {"total", "subtotal", "total_discount", "service_charge_value", "delivery_fee"}
    money.add("total_tax")
    times = {"created_at", "updated_at", "closed_at"}
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    rows_written = 0
    started = time.perf_counter()
    now = ts(datetime.now(UTC))
    for parsed in parsed_pages:
        receipts, items, events = [], [], []
        for r in parsed:
            values = []
            for name in ParsedReceipt.COLUMNS:
                value = getattr(r, name)
                if name in money:
                    value = dec(value)
                elif name in times:
                    value = ts(value)
                elif name == "payment_methods":
                    value = js(value)
                values.append(value)
            receipts.append((r.id, *values, now, now, js(r.raw), r.content_hash, js(r.warnings)))
            for it in r.items:
                items.append(
                    (
                        r.id,
                        it.position,
                        it.remote_id,
                        it.product_id,
                        it.name,
                        dec(it.count),
                        dec(it.price),
                        dec(it.total),
                        it.station_id,
                        it.station_name,
                        js(it.modifiers),
                        js(it.raw),
                    )
                )
            events.append((r.id, "opened", "", r.order_status, now, ts(r.created_at)))
            if r.status == 2:
                events.append((r.id, "closed", "", r.order_status, now, ts(r.closed_at)))
        db.execute("BEGIN")
        db.executemany(receipt_sql, receipts)
        db.executemany(item_sql, items)
        db.executemany(event_sql, events)
        db.execute("COMMIT")
        rows_written += len(receipts) + len(items) + len(events)
    seconds = time.perf_counter() - started
    db.close()
    return seconds, rows_written


# --- Steady state ---------------------------------------------------------------------------------


def endpoint(path: str) -> str:
    """A request's path as the endpoint it is: /orders/123 is the order-receipt link."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "orders" and parts[1].isdigit():
        return "orders/{id} (receipt links)"
    return "/".join(parts)


def child_steady() -> dict:
    """Passes at the default settings on a simulated clock (see the module docstring)."""
    from collections import Counter

    from django.conf import settings

    from orders_app.clopos.client import CloposClient
    from orders_app.clopos.config import ClientSettings
    from orders_app.clopos.simulator import Simulator, SimulatorConfig, serve_in_thread
    from orders_app.services.sync import sync_pass
    from orders_app.services.sync.cadence import Cadence

    # The limiter counts real seconds and the clock here runs faster: the limit is checked
    # per simulated minute below instead, on every request the simulator logged.
    config = SimulatorConfig(
        seed=1,
        orders=300,
        days=7,
        frozen=True,
        new_every=STEADY_NEW_EVERY,
        rate_limit=1_000_000,
        request_log_size=100_000,
    )
    server = serve_in_thread(Simulator(config))
    sim = server.simulator
    try:
        client = CloposClient(
            ClientSettings(
                base_url=server.base_url,
                **settings.CLOPOS_DEMO_CREDENTIALS,
                # The client's own budget paces real seconds; the defaults' page size stays.
                requests_per_minute=100_000,
                page_size=settings.CLOPOS_PAGE_SIZE,
            )
        )
        first = sync_pass(client=client, now=sim.clock.now())
        backfill_requests = len(sim.request_log)
        sim.reset_log()
        interval = settings.SYNC_INTERVAL
        passes = int(STEADY_MINUTES * 60 / interval)
        # The loop's own cadence (the kitchen every SYNC_RECEIPTS_SECONDS), on the simulated
        # clock; the first pass above did everything, as the loop's first does.
        elapsed = 0.0
        cadence = Cadence(
            interval=interval,
            kitchen_every=settings.SYNC_RECEIPTS_SECONDS,
            clock=lambda: elapsed,
            kitchen_at=0.0,
        )
        per_minute: Counter[int] = Counter()
        totals = Counter()
        started = time.perf_counter()
        for number in range(1, passes + 1):
            sim.clock.advance(interval)
            elapsed += interval
            kitchen = cadence.kitchen_due(client.rate_headroom())
            before = len(sim.request_log)
            result = sync_pass(client=client, now=sim.clock.now(), kitchen=kitchen)
            cadence.ran(kitchen=kitchen, started=elapsed)
            totals["kitchen_passes"] += int(kitchen)
            per_minute[int((number - 1) * interval // 60)] += len(sim.request_log) - before
            totals["created"] += result.created
            totals["updated"] += result.updated
            totals["receipts_written"] += result.receipts_created + result.receipts_updated
            totals["linked"] += result.receipts_linked
            totals["reconciles"] += int(result.reconciled)
        seconds = time.perf_counter() - started
        by_endpoint = Counter(endpoint(entry.path) for entry in sim.request_log)
        statuses = Counter(entry.status for entry in sim.request_log)
        client.close()
    finally:
        server.stop()
    total = sum(by_endpoint.values())
    return {
        "minutes": STEADY_MINUTES,
        "interval": interval,
        "passes": passes,
        "stoplist_seconds": settings.SYNC_STOPLIST_SECONDS,
        "receipts_seconds": settings.SYNC_RECEIPTS_SECONDS,
        "reconcile_minutes": settings.SYNC_RECONCILE_MINUTES,
        "page_size": settings.CLOPOS_PAGE_SIZE,
        "backfill_requests": backfill_requests,
        "backfill_orders": first.created,
        "total": total,
        "per_minute": total / STEADY_MINUTES,
        "busiest_minute": max(per_minute.values()),
        "by_endpoint": dict(by_endpoint.most_common()),
        "statuses": {str(k): v for k, v in statuses.items()},
        "totals": dict(totals),
        "seconds": seconds,
    }


def child_main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "steady":
        database = Path(argv[1])
        setup_django(database, database.parent / "var", receipts=True)
        print("RESULT " + json.dumps(child_steady()), flush=True)
        return
    base_url, database, expected = argv[1], Path(argv[2]), int(argv[3])
    if mode.startswith("receipts"):
        # The simulator's receipts span 7 days: the backfill window takes them all.
        setup_django(
            database, database.parent / "var", receipts=True, extra={"SYNC_BACKFILL_DAYS": "8"}
        )
        if mode == "receipts":
            result = child_receipts(base_url, expected)
        else:
            result = child_receipts_write(base_url, Path(argv[4]), expected)
    else:
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


def bench_orders(template: Path) -> str:
    """The orders pipeline at each size, and its write stage against raw; the section's body."""
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
    return body


def rss_flat(checkpoints: dict) -> bool:
    """Current RSS at the last checkpoint within 25% of the first."""
    ordered = [mb for _, mb in sorted(checkpoints.items(), key=lambda kv: int(kv[0]))]
    return len(ordered) < 2 or ordered[-1] <= ordered[0] * 1.25


def bench_receipts(template: Path) -> str:
    """The receipts walk of a first pass, and its write stage against raw; the section's body."""
    t0 = time.perf_counter()
    server = start_simulator(RECEIPT_ORDERS)
    expected = len(server.simulator.receipt_ids())
    print(
        f"simulator with {RECEIPT_ORDERS} orders, {expected} receipts, "
        f"ready in {time.perf_counter() - t0:.1f}s"
    )
    try:
        speed = cpu_reference_ms()
        runs = []
        for attempt in range(REPEATS):
            database = fresh_copy(template, f"receipts-{attempt}.sqlite3")
            r = run_child("receipts", server.base_url, str(database), str(expected))
            database.unlink()
            runs.append(r)
            print(
                f"receipts run {attempt + 1}: {r['rate']:.0f} receipts/s ({r['seconds']:.2f}s), "
                f"{r['requests']} requests, peak RSS {r['rss_mb']:.0f} MB"
            )
        write = run_child(
            "receipts-write",
            server.base_url,
            str(fresh_copy(template, "receipts-write.sqlite3")),
            str(expected),
            str(fresh_copy(template, "receipts-raw.sqlite3")),
        )
        print(
            f"receipts write stage {write['write_rate']:.0f}/s ({write['write']:.2f}s); raw "
            f"{write['raw_rate']:.0f}/s ({write['raw']:.2f}s); ratio {write['ratio']:.2f}x"
        )
    finally:
        server.stop()
    runs.sort(key=lambda run: run["rate"])
    median = runs[len(runs) // 2]
    peak = max(run["rss_mb"] for run in runs)
    flat = rss_flat(median["rss_checkpoints"])
    checkpoints = ", ".join(
        f"{int(n):,}: {mb:.0f} MB"
        for n, mb in sorted(median["rss_checkpoints"].items(), key=lambda kv: int(kv[0]))
    )
    rates = " / ".join(f"{run['rate']:,.0f}" for run in runs)
    rows = [
        "| Measure | Result | Target |",
        "|---|---|---|",
        f"| Receipts walk of a first pass, {expected:,} receipts (HTTP + parse + write, page "
        f"{PAGE_SIZE}) | **{median['rate']:,.0f} receipts/s** median of {len(runs)} runs "
        f"({rates}); the median run: "
        f"{median['seconds']:.2f} s wall, {median['requests']} requests, sync process CPU "
        f"{median['cpu']:.2f} s = {expected / median['cpu']:,.0f} receipts per CPU-second | "
        f">= {TARGET_RATE:,} receipts/s: {verdict(median['rate'] >= TARGET_RATE)} |",
        f"| Database write stage alone (`receipts_store`, one transaction per page) | "
        f"**{write['write_rate']:,.0f} receipts/s** ({write['write']:.2f} s wall, "
        f"{write['write_cpu']:.2f} s CPU) | — |",
        f"| Raw `sqlite3` `executemany`, same parsed rows ({write['raw_rows']:,} rows in 3 "
        f"tables, tuples built in the timing) | {write['raw_rate']:,.0f} receipts/s "
        f"({write['raw']:.2f} s wall, {write['raw_cpu']:.2f} s CPU) | baseline |",
        f"| Write stage / raw | **{write['ratio']:.2f}x** wall "
        f"({write['write_cpu'] / write['raw_cpu']:.2f}x CPU) | <= {TARGET_RATIO:g}x: "
        f"{verdict(write['ratio'] <= TARGET_RATIO)} |",
        f"| Peak RSS of the sync process (highest of the runs) | **{peak:.0f} MB** (current "
        f"RSS during the median run at {checkpoints}) | < {TARGET_RSS_MB} MB and flat: "
        f"{verdict(peak < TARGET_RSS_MB and flat)} |",
    ]
    return (
        "The receipts walk of a first pass (`receipts_sync` backfill) from the bundled "
        f"simulator ({RECEIPT_ORDERS:,} seeded orders over 7 days and their tables) over "
        "loopback HTTP into a fresh, already-migrated SQLite file (WAL), each measurement in "
        f"its own child process; parsing {write['receipts']:,} receipts alone took "
        f"{write['parse']:.2f} s. The raw baseline makes its JSON with the standard library "
        "(as the orders' does), the writer with orjson: why the writer can beat it. The fixed "
        f"pure-Python loop took {speed:.0f} ms before the runs; compare only with the orders' "
        "figures of the same run.\n\n" + "\n".join(rows)
    )


def bench_steady(template: Path) -> str:
    """Requests a minute of the loop at the default settings; the section's body."""
    database = fresh_copy(template, "steady.sqlite3")
    s = run_child("steady", str(database))
    print(
        f"steady state: {s['per_minute']:.1f} requests/min over {s['minutes']} simulated "
        f"minutes ({s['passes']} passes in {s['seconds']:.1f}s), busiest minute "
        f"{s['busiest_minute']}; {s['by_endpoint']}"
    )
    target = RATE_LIMIT * TARGET_SHARE
    share = s["per_minute"] / RATE_LIMIT
    rows = [
        "| Endpoint | Requests | Per minute |",
        "|---|---:|---:|",
        *(
            f"| `{name}` | {count:,} | {count / s['minutes']:.2f} |"
            for name, count in s["by_endpoint"].items()
        ),
        f"| **all** | **{s['total']:,}** | **{s['per_minute']:.1f}** |",
    ]
    t = s["totals"]
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(s["statuses"].items()))
    return (
        f"`sync_pass` as `sync_orders --loop` runs it, at the default settings (SYNC_INTERVAL "
        f"{s['interval']:g} s, SYNC_RECEIPTS_SECONDS {s['receipts_seconds']:g} s, "
        f"SYNC_STOPLIST_SECONDS {s['stoplist_seconds']}, "
        f"SYNC_RECONCILE_MINUTES {s['reconcile_minutes']}, CLOPOS_PAGE_SIZE {s['page_size']}, "
        f"receipts on), {s['passes']} passes ({t['kitchen_passes']} with the kitchen: "
        f"receipts, links, stop list when due) over {s['minutes']} minutes of simulated time "
        f"(run in {s['seconds']:.0f} s) after the first pass's backfill "
        f"({s['backfill_requests']} requests for {s['backfill_orders']} orders), against a live "
        f"simulated restaurant: a new order every {STEADY_NEW_EVERY / 60:g} minutes, the "
        "kitchen moving receipts on, tables opening, products going on and off the stop list. "
        f"The window saw {t['created']} new and {t['updated']} changed orders, "
        f"{t['receipts_written']} receipts written, {t['linked']} orders linked to their "
        f"receipts, {t['reconciles']} reconciles; answers by status: {statuses}. Stations and "
        "products are read once a day (and when a receipt names an unknown product): none "
        "were due in the window.\n\n"
        "| Measure | Result | Target |\n|---|---|---|\n"
        f"| Clopos requests a minute, steady state | **{s['per_minute']:.1f}/min** "
        f"({share:.1%} of the {RATE_LIMIT}/min limit); busiest minute "
        f"{s['busiest_minute']} | <= {TARGET_SHARE:.0%} ({target:g}/min): "
        f"{verdict(s['per_minute'] <= target)} |\n\n" + "\n".join(rows)
    )


PARTS = ("orders", "receipts", "steady")


def main(argv: list[str]) -> int:
    parts = [part for part in PARTS if part in argv] or list(PARTS)
    workdir = Path(tempfile.mkdtemp(prefix="pass-bench-sync-"))
    setup_django(workdir / "parent.sqlite3", workdir / "var")  # simulator reads demo creds
    template = migrate_template(workdir)
    sections = {}
    try:
        if "orders" in parts:
            sections[SECTION] = bench_orders(template)
        if "receipts" in parts:
            sections[RECEIPTS_SECTION] = bench_receipts(template)
        if "steady" in parts:
            sections[STEADY_SECTION] = bench_steady(template)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from bench._results import record

    for section, body in sections.items():
        record(section, body)
        print(f"\n{section}\n\n{body}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
