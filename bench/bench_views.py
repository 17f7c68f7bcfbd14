"""Board views on 100,000 orders: the list fragment, the unchanged poll, and Django admin.

    .venv/bin/python bench/bench_views.py [--orders 100000] [--runs 25]

Builds a throwaway SQLite database (WAL, as `make run` uses) in a temp directory, migrates it,
and loads N orders spread over 90 days (bulk inserts; each row with a raw payload shaped like
the Clopos example, so the table is as wide as a synced one, and search_text made by
orders_app.text.search_text_for exactly as sync makes it). Then, in this one process, with
Django's test client logged in as a superuser (DEBUG off):

- the board's list fragment (/orders/rows/, htmx, stale token so it renders) for several
  filters, p50 and p95 over --runs requests after warm-up;
- the unchanged poll (/orders/rows/?v=<current token>, answered 204);
- Django admin's changelist for orders (orders_app/admin.py) with the same filter on the same
  data, and the ratio board / admin.

Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_LIST_P50_MS = 50.0
TARGET_POLL_P50_MS = 5.0
TARGET_RATIO = 0.5

FIRST = [
    "Leyla",
    "Rahid",
    "Nigar",
    "Kamran",
    "Aysel",
    "Tural",
    "Иван",
    "Алёна",
    "Ольга",
    "Sevinc",
    "İsmayıl",
    "Günay",
    "Elçin",
    "Murad",
    "Дмитрий",
    "Fatimə",
    "Orxan",
    "Zaur",
    "Anna",
    "John",
]
LAST = [
    "Məmmədova",
    "Akhundzada",
    "Quliyeva",
    "Əliyev",
    "Петров",
    "Смирнова",
    "Hüseynov",
    "Şükürov",
    "Babayeva",
    "Kazımov",
    "Иванова",
    "Rzayev",
    "Smith",
    "Nəsirli",
    "Cəfərov",
]
STREETS = [
    "28 May küçəsi",
    "Nizami küçəsi",
    "Füzuli küçəsi",
    "Azadlıq prospekti",
    "Bakıxanov",
    "Xətai prospekti",
    "ул. Низами",
    "Neftçilər prospekti",
    "Səməd Vurğun küçəsi",
]
DISHES = [
    "Pizza Margherita",
    "Plov",
    "Dolma",
    "Lula kebab",
    "Qutab",
    "Caesar salad",
    "Борщ",
    "Ayran",
    "Lahmacun",
    "Dönər",
    "Piti",
    "Şah plov",
    "Пельмени",
    "Burger",
    "Çay",
]
MODIFIERS = ["Extra cheese", "No onions", "Spicy", "Large", "Без лука", "Acılı", "Double meat"]
CHANNELS = [
    ("CALL_CENTER_ORDER", "call_center_new", 0.45),
    ("WEB_ORDER", "website", 0.25),
    ("WOLT_ORDER", "wolt", 0.2),
    ("BOLT_ORDER", "bolt_food", 0.1),
]


def setup_django(db_path: Path, *, env_database: bool = False) -> None:
    if not env_database:
        os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["PASS_IGNORE_DOTENV"] = "1"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.conf import settings

    # DEBUG off, but no collectstatic manifest in a temp run: plain static storage.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def load_orders(n: int, *, seed: int = 7) -> dict:
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from orders_app.models import Order, SaleType, SyncState, Venue
    from orders_app.text import search_text_for

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    now = timezone.now()
    Venue.objects.bulk_create(
        [
            Venue(id=i, name=name)
            for i, name in enumerate(
                ["Nizami (Main)", "Port Baku", "Gənclik", "28 Mall", "Ağ Şəhər"], 1
            )
        ]
    )
    SaleType.objects.bulk_create(
        [
            SaleType(id=1, name="Yerinde", system_type="IN"),
            SaleType(id=2, name="Catdirilma", system_type="DELIVERY"),
            SaleType(id=3, name="Takeaway", system_type="TAKEAWAY"),
        ]
    )
    weights = [c[2] for c in CHANNELS]
    known_phone = "+994501234567"
    started = time.perf_counter()
    batch: list[Order] = []
    for i in range(n):
        oid = 1_000_000 + i
        created = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
        age_h = (now - created).total_seconds() / 3600
        if age_h < 1:
            status = rng.choice(["PENDING", "RECEIVED", "RECEIVED", "DELIVERED"])
        else:
            status = rng.choices(["DELIVERED", "IGNORE", "RECEIVED"], [0.9, 0.07, 0.03])[0]
        updated = created + timedelta(minutes=rng.uniform(0, 60))
        type_, integration, _ = rng.choices(CHANNELS, weights)[0]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        phone = known_phone if i % 5000 == 17 else f"+99450{rng.randrange(10**7):07d}"
        address = f"{rng.choice(STREETS)} {rng.randrange(1, 200)}, Bakı"
        comment = rng.choice(["", "", "", "Leave at the door", "Call before arriving", "Позвонить"])
        products = []
        item_names, mod_names = [], []
        total = Decimal(0)
        count = Decimal(0)
        for _ in range(rng.randint(1, 4)):
            dish = rng.choice(DISHES)
            qty = rng.randint(1, 3)
            price = Decimal(rng.randrange(150, 2500)) / 100
            mods = [rng.choice(MODIFIERS)] if rng.random() < 0.3 else []
            item_names.append(dish)
            mod_names += mods
            total += price * qty
            count += qty
            products.append(
                {
                    "product_id": rng.randrange(1, 400),
                    "count": qty,
                    "portion_size": 1,
                    "product_modificators": [
                        {"modificator_id": 9, "name": m, "count": 1} for m in mods
                    ],
                    "meta": {
                        "price": float(price),
                        "order_product": {
                            "count": qty,
                            "status": "new",
                            "product_hash": secrets.token_hex(6),
                            "product": {"id": 51, "name": dish, "price": float(price)},
                        },
                    },
                }
            )
        raw = {
            "id": oid,
            "venue_id": 1,
            "type": type_,
            "integration": integration,
            "integration_uuid": None,
            "integration_id": None,
            "customer_ref_id": None,
            "integration_status": "CREATED",
            "status": status,
            "payload": {
                "auto_order_accept": False,
                "auto_order_sent_to_station": False,
                "delivery_fee": 2.5,
                "service": {"sale_type_id": 2, "venue_id": 1},
                "customer": {
                    "id": rng.randrange(1, 50_000),
                    "phone": phone,
                    "address": address,
                    "customer_discount_type": 1,
                    "name": name,
                },
                "products": products,
                "meta": {
                    "comment": comment,
                    "discount": {"discount_type": 1, "discount_value": 0},
                    "apply_service_charge": False,
                    "service_charge_value": 0,
                },
                "sale_type_id": 2,
            },
            "created_at": created.isoformat(),
            "updated_at": updated.isoformat(),
            "integration_response": None,
        }
        batch.append(
            Order(
                id=oid,
                venue_id=rng.randint(1, 5),
                sale_type_id=rng.randint(1, 3),
                type=type_,
                integration=integration,
                integration_status="CREATED",
                status=status,
                customer_remote_id=str(raw["payload"]["customer"]["id"]),
                customer_name=name,
                customer_phone=phone,
                customer_address=address,
                comment=comment,
                delivery_fee=Decimal("2.5"),
                item_count=count,
                items_total=total,
                created_at=created,
                updated_at=updated,
                first_seen_at=created,
                synced_at=updated,
                search_text=search_text_for(
                    order_id=oid,
                    customer_name=name,
                    customer_phone=phone,
                    customer_address=address,
                    comment=comment,
                    item_names=item_names,
                    modifier_names=mod_names,
                ),
                raw=raw,
                content_hash=secrets.token_hex(32),
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                Order.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Order.objects.bulk_create(batch)
    SyncState.objects.update_or_create(
        id=1,
        defaults={
            "source": "demo",
            "last_success_at": timezone.now() + timedelta(days=1),
            "data_version": 42,
        },
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As autovacuum leaves a table a minute after a bulk insert (PostgreSQL 13+ vacuums
            # on inserts too): the visibility map set, so counts are index-only scans.
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
    return {"load_seconds": time.perf_counter() - started, "known_phone": known_phone}


def timed(
    client, url: str, *, runs: int, headers: dict | None = None, expect: int = 200
) -> list[float]:
    for _ in range(3):  # warm up: caches, compiled templates, SQLite page cache
        response = client.get(url, headers=headers or {})
        assert response.status_code == expect, (url, response.status_code)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url, headers=headers or {})
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == expect, (url, response.status_code)
    return samples


def p50(xs: list[float]) -> float:
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[18] if len(xs) > 1 else xs[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument(
        "--env-database",
        action="store_true",
        help="use DATABASE_URL from the environment (e.g. PostgreSQL from .ci/with_postgres.py)",
    )
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="print the results only; leave bench/RESULTS.md as it is (a trial run)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pass-bench-views-") as tmp:
        setup_django(Path(tmp) / "bench.sqlite3", env_database=args.env_database)
        from django.db import connection

        vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from orders_app.selectors.sync import sync_health

        print(f"loading {args.orders:,} orders ...", flush=True)
        info = load_orders(args.orders)
        from bench._kitchen import add_kitchen_data, add_reference_data

        kitchen = add_kitchen_data()  # the kitchen issues' data beside the orders
        add_reference_data()
        info["load_seconds"] += kitchen["seconds"]
        if vendor == "SQLite":
            size_mb = (Path(tmp) / "bench.sqlite3").stat().st_size / 1e6
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                size_mb = cursor.fetchone()[0] / 1e6
        print(f"loaded in {info['load_seconds']:.1f} s ({size_mb:.0f} MB)", flush=True)

        user = get_user_model().objects.create_superuser("bench", password="bench-password-123")
        client = Client()
        client.force_login(user)
        hx = {"HX-Request": "true"}

        today = timezone.localdate()
        yday = (today - timedelta(days=1)).isoformat()
        tz = timezone.get_current_timezone()
        y0 = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=tz)
        y1 = y0 + timedelta(days=1)
        adm_y = "created_at__gte={}&created_at__lt={}".format(
            y0.isoformat().replace("+", "%2B"), y1.isoformat().replace("+", "%2B")
        )
        # (label, board query, admin query)
        cases = [
            ("Default (all orders, newest first)", "", ""),
            ("status=DELIVERED", "status=DELIVERED", "status__exact=DELIVERED"),
            ("Yesterday (from=to)", f"from={yday}&to={yday}", adm_y),
            (
                "Yesterday + DELIVERED + call centre",
                f"status=DELIVERED&from={yday}&to={yday}&channel=CALL_CENTER_ORDER",
                f"{adm_y}&status__exact=DELIVERED&type__exact=CALL_CENTER_ORDER",
            ),
            ("venue=3", "venue=3", "venue_id__exact=3"),
            ("channel=WOLT_ORDER, all dates", "channel=WOLT_ORDER", "type__exact=WOLT_ORDER"),
            ("sort=updated", "sort=updated", "o=-4"),
            ("Deep page (page 1,000 of 2,000)", "page=1000", "p=1000"),
            ("q=name (məmmədova), all dates", "q=m%C9%99mm%C9%99dova", "q=m%C9%99mm%C9%99dova"),
            (
                "q=phone with spaces (+994 50 123 45 67), all dates",
                "q=%2B994+50+123+45+67",
                "q=%2B994+50+123+45+67",
            ),
            (
                "q=name + Yesterday",
                f"q=m%C9%99mm%C9%99dova&from={yday}&to={yday}",
                f"q=m%C9%99mm%C9%99dova&{adm_y}",
            ),
        ]
        stale = "v=stale"
        rows = []
        board_p50s, admin_p50s = [], []
        for label, board_q, admin_q in cases:
            sep = "&" if board_q else ""
            b = timed(client, f"/orders/rows/?{board_q}{sep}{stale}", runs=args.runs, headers=hx)
            a = timed(client, f"/admin/orders_app/order/?{admin_q}", runs=args.runs)
            board_p50s.append(p50(b))
            admin_p50s.append(p50(a))
            ratio = p50(b) / p50(a)
            rows.append((label, p50(b), p95(b), p50(a), p95(a), ratio))
            print(
                f"{label:55s} board p50 {p50(b):7.1f} p95 {p95(b):7.1f} | admin p50 {p50(a):7.1f} "
                f"p95 {p95(a):7.1f} | ratio {ratio:.2f}",
                flush=True,
            )

        token = sync_health().poll_token
        poll = timed(
            client,
            f"/orders/rows/?status=DELIVERED&v={token}",
            runs=args.runs * 8,
            headers=hx,
            expect=204,
        )
        print(f"unchanged poll p50 {p50(poll):.2f} ms p95 {p95(poll):.2f} ms", flush=True)

        overall_ratio = statistics.median(r[5] for r in rows)
        list_p50 = statistics.median(board_p50s)
        worst = max(rows, key=lambda r: r[1])

        def verdict(ok: bool) -> str:
            return "met" if ok else "MISSED"

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        lines = [
            f"Load average when done: {load} (2 cores shared with other work; numbers are "
            "noisy and p95 especially so).",
            "",
            f"{args.orders:,} orders over 90 days in a fresh {vendor} database "
            f"({'WAL, ' if vendor == 'SQLite' else ''}{size_mb:.0f} MB, "
            f"raw payloads included, with {kitchen['items']:,} items, {kitchen['events']:,} "
            f"timeline events, {kitchen['receipts']:,} receipts, stations, products and a stop "
            f"list; loaded in {info['load_seconds']:.0f} s), one process, "
            f"Django test client (DEBUG off), {args.runs} timed requests per row after 3 warm-ups. "
            "Board = `/orders/rows/` htmx fragment with a stale token (full render: status counts "
            "+ one page of 50); admin = `/admin/orders_app/order/` changelist with the same "
            "filter (`show_full_result_count = False`).",
            "",
            "| Filter | Board p50 | Board p95 | Admin p50 | Admin p95 | Board / admin |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for label, bp50, bp95, ap50, ap95, ratio in rows:
            lines.append(
                f"| {label} | {bp50:.1f} ms | {bp95:.1f} ms | {ap50:.1f} ms | {ap95:.1f} ms | {ratio:.2f}x |"
            )
        lines += [
            "",
            "| Measure | Result | Target |",
            "|---|---|---|",
            f"| List fragment p50, median over the filters above | **{list_p50:.1f} ms** | <= {TARGET_LIST_P50_MS:.0f} ms: {verdict(list_p50 <= TARGET_LIST_P50_MS)} |",
            f"| List fragment p50, worst filter ({worst[0]}) | **{worst[1]:.1f} ms** | <= {TARGET_LIST_P50_MS:.0f} ms: {verdict(worst[1] <= TARGET_LIST_P50_MS)} |",
            f"| Filters within the list target | {sum(r[1] <= TARGET_LIST_P50_MS for r in rows)} of {len(rows)} | all |",
            f"| Unchanged poll (204), {len(poll)} requests | **p50 {p50(poll):.2f} ms**, p95 {p95(poll):.2f} ms | p50 <= {TARGET_POLL_P50_MS:.0f} ms: {verdict(p50(poll) <= TARGET_POLL_P50_MS)} |",
            f"| Board / admin, median of the per-filter ratios | **{overall_ratio:.2f}x** | <= {TARGET_RATIO}x: {verdict(overall_ratio <= TARGET_RATIO)} |",
            f"| Filters where board <= {TARGET_RATIO}x admin | {sum(r[5] <= TARGET_RATIO for r in rows)} of {len(rows)} | all |",
        ]
        body = "\n".join(lines)
        print(body)
        if args.orders >= 100_000 and not args.no_record:
            from bench._results import record

            section = "Board views (bench_views.py)"
            record(section if vendor == "SQLite" else f"{section}, {vendor}", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
