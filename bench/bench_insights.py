"""Insights on the 100,000-order database of bench_views: /insights/ for 7 and 90 days against
the same figures computed by iterating the ORM in Python (the baseline), in the same run.

    .venv/bin/python bench/bench_insights.py [--orders 100000] [--runs 15] [--env-database]

Builds bench_views' database (orders over 90 days), then adds what the insights read: each
order's items and modifiers, its timeline (seen PENDING, then RECEIVED some seconds later for
accepted orders) and, for half of the accepted ones, a receipt with READY and closing events.
Then, with Django's test client logged in (DEBUG off), times the page (p50, p95) and, a few
times, the baseline: the orders of the range loaded with their events, items and modifiers,
and the same figures computed in Python. It checks that both give the same counts.

Targets (this machine): 7 days p50 <= 150 ms, 90 days <= 400 ms, both <= 0.1x the baseline.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._kitchen import add_kitchen_data, add_reference_data
from bench.bench_views import load_orders, p50, p95, setup_django, timed

TARGET_7_MS = 150.0
TARGET_90_MS = 400.0
TARGET_RATIO = 0.1


def python_figures(date_from, date_to) -> dict:
    """The baseline: the range's orders through the ORM, every figure computed in Python."""
    from django.db.models import Prefetch
    from django.utils import timezone

    from orders_app.models import Order, OrderEvent, OrderItem, Receipt, ReceiptEvent
    from orders_app.selectors.order_filters import local_midnight

    qs = (
        Order.objects.filter(
            created_at__gte=local_midnight(date_from),
            created_at__lt=local_midnight(date_to + timedelta(days=1)),
        )
        .prefetch_related(
            Prefetch("events", queryset=OrderEvent.objects.order_by("observed_at")),
            Prefetch("items", queryset=OrderItem.objects.prefetch_related("modifiers")),
        )
        .order_by()
    )
    orders = list(qs)
    receipts = {
        r.id: r
        for r in Receipt.objects.filter(id__in=[o.receipt_id for o in orders if o.receipt_id])
    }
    receipt_events = defaultdict(list)
    for e in ReceiptEvent.objects.filter(receipt_id__in=list(receipts)).order_by("observed_at"):
        receipt_events[e.receipt_id].append(e)
    accept, by_channel, by_venue = [], defaultdict(list), defaultdict(list)
    hours, heat, channels, sale_types = Counter(), Counter(), Counter(), Counter()
    items, modifiers = Counter(), Counter()
    prep, totals = [], []
    ignored = 0
    for order in orders:
        local = timezone.localtime(order.created_at)
        hours[local.hour] += 1
        heat[(local.isoweekday(), local.hour)] += 1
        channel = order.integration or order.type
        channels[channel] += 1
        sale_types[order.sale_type_id] += 1
        if order.status == "IGNORE":
            ignored += 1
            continue
        received = [
            e for e in order.events.all() if e.kind == "status" and e.to_status == "RECEIVED"
        ]
        accepted_at = received[0].observed_at if received else None
        if accepted_at:
            seconds = (accepted_at - order.created_at).total_seconds()
            accept.append(seconds)
            by_channel[channel].append(seconds)
            by_venue[order.venue_id].append(seconds)
        for item in order.items.all():
            items[item.name] += item.count
            for m in item.modifiers.all():
                modifiers[m.name] += (m.count or 1) * item.count
        receipt = receipts.get(order.receipt_id)
        if receipt is not None:
            totals.append(receipt.total)
            ready = [e for e in receipt_events[receipt.id] if e.to_value == "READY"]
            if ready and accepted_at:
                prep.append((ready[0].observed_at - accepted_at).total_seconds())

    def pct(values, share):
        if not values:
            return None
        ordered = sorted(values)
        return ordered[max(1, math.ceil(share * len(ordered))) - 1]

    return {
        "orders": len(orders),
        "ignored": ignored,
        "accept_median": pct(accept, 0.5),
        "accept_p90": pct(accept, 0.9),
        "channels": {c: (pct(v, 0.5), pct(v, 0.9)) for c, v in by_channel.items()},
        "venues": {c: (pct(v, 0.5), pct(v, 0.9)) for c, v in by_venue.items()},
        "hours": dict(hours),
        "heat": dict(heat),
        "channel_counts": dict(channels),
        "sale_types": dict(sale_types),
        "items": items.most_common(15),
        "all_items": dict(items),
        "modifiers": modifiers.most_common(15),
        "prep_median": pct(prep, 0.5),
        "receipt_average": (sum(totals) / len(totals)) if totals else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--env-database", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pass-bench-insights-") as tmp:
        setup_django(Path(tmp) / "bench.sqlite3", env_database=args.env_database)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from orders_app.selectors.insights import InsightFilters, insights

        vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        print(f"loading {args.orders:,} orders ({vendor}) ...", flush=True)
        info = load_orders(args.orders)
        extra = add_kitchen_data()
        add_reference_data()
        print(
            f"loaded in {info['load_seconds'] + extra['seconds']:.0f} s: {extra['items']:,} items, "
            f"{extra['events']:,} timeline events, {extra['receipts']:,} receipts",
            flush=True,
        )
        # The rollups' cold fill: every day the 90-day page reads (the range and 4 weeks before).
        from orders_app.models import InsightDay, InsightRow
        from orders_app.selectors.insights import rollup_days
        from orders_app.services.insight_rollups import ensure_days

        today0 = timezone.localdate()
        days = rollup_days(InsightFilters(date_from=today0 - timedelta(days=89), date_to=today0))
        t0 = time.perf_counter()
        filled = ensure_days(days)
        cold_ms = (time.perf_counter() - t0) * 1000
        rollup_rows = InsightRow.objects.count()
        # One day made dirty (what a sync pass does to today), filled again.
        InsightDay.objects.filter(day=today0).update(dirty=10**6)
        t0 = time.perf_counter()
        ensure_days(days)
        today_ms = (time.perf_counter() - t0) * 1000
        print(
            f"rollups: {filled} days filled cold in {cold_ms:.0f} ms ({rollup_rows:,} rows); "
            f"today filled again in {today_ms:.0f} ms",
            flush=True,
        )
        user = get_user_model().objects.create_superuser("bench", password="bench-password-123")
        client = Client()
        client.force_login(user)
        today = timezone.localdate()
        rows = []
        for days, target in ((7, TARGET_7_MS), (90, TARGET_90_MS)):
            start = today - timedelta(days=days - 1)
            url = f"/insights/?from={start.isoformat()}&to={today.isoformat()}"
            page = timed(client, url, runs=args.runs)
            baseline = []
            for _ in range(args.baseline_runs):
                t0 = time.perf_counter()
                figures = python_figures(start, today)
                baseline.append((time.perf_counter() - t0) * 1000)
            ours = insights(InsightFilters(date_from=start, date_to=today), today=today)
            same = (
                ours.orders == figures["orders"]
                and ours.ignored == figures["ignored"]
                and {h.hour: h.count for h in ours.hourly if h.count} == figures["hours"]
                and {(c.weekday, c.hour): c.count for r in ours.heatmap for c in r if c.count}
                == figures["heat"]
                and {c.channel: c.orders for c in ours.channels} == figures["channel_counts"]
                # The top items (ties at the cut may differ in order, not in counts).
                and all(dict(figures["all_items"]).get(i.name) == i.count for i in ours.items)
            )
            if not same:
                checks = {
                    "orders": (ours.orders, figures["orders"]),
                    "ignored": (ours.ignored, figures["ignored"]),
                    "hours": (
                        {h.hour: h.count for h in ours.hourly if h.count},
                        figures["hours"],
                    ),
                    "channels": (
                        {c.channel: c.orders for c in ours.channels},
                        figures["channel_counts"],
                    ),
                    "items": (
                        [(i.name, i.count) for i in ours.items],
                        [(i.name, dict(figures["all_items"]).get(i.name)) for i in ours.items],
                    ),
                }
                for name, (a, b) in checks.items():
                    if a != b:
                        print(f"  differs: {name}: ours {a} / baseline {b}", flush=True)
            # Percentiles: ours is the middle of a 5 s (60 s past 10 min) bucket.
            close = all(
                # half a bucket, and half a second of rounding
                a is None or b is None or abs(a - b) <= (3.0 if b < 600 else 30.5)
                for a, b in (
                    (ours.accept.median, figures["accept_median"]),
                    (ours.accept.p90, figures["accept_p90"]),
                )
            )
            ratio = p50(page) / p50(baseline)
            rows.append((days, target, page, baseline, ratio, same, close, ours.orders))
            print(
                f"{days:3d} days: {ours.orders:,} orders, page p50 {p50(page):.1f} ms "
                f"p95 {p95(page):.1f} ms | baseline p50 {p50(baseline):.0f} ms | "
                f"ratio {ratio:.3f} | counts equal {same} | percentiles within a bucket {close} "
                f"(median {ours.accept.median} vs {figures['accept_median']:.1f}, "
                f"p90 {ours.accept.p90} vs {figures['accept_p90']:.1f})",
                flush=True,
            )

        def verdict(ok: bool) -> str:
            return "met" if ok else "MISSED"

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        lines = [
            f"Load average when done: {load}.",
            "",
            f"{args.orders:,} orders over 90 days ({vendor}), with {extra['items']:,} items, "
            f"{extra['events']:,} timeline events and {extra['receipts']:,} receipts. Page = "
            f"`/insights/` through Django's test client (DEBUG off), {args.runs} timed requests "
            "after 3 warm-ups; baseline = the same figures computed in Python from the range's "
            f"orders loaded through the ORM (events, items, modifiers, receipts), "
            f"{args.baseline_runs} runs.",
            "",
            f"Rollups (services/insight_rollups.py): the {filled} days a 90-day page reads filled "
            f"cold in {cold_ms:.0f} ms ({rollup_rows:,} rows; once, then only the days the sync "
            f"changes); today, made dirty as a sync pass does, filled again in {today_ms:.0f} ms. "
            "The page timings below are with the days current (the page fills what is not).",
            "",
            "| Range | Orders | Page p50 | Page p95 | Baseline p50 | Page / baseline | Target | Same figures |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for days, target, page, baseline, ratio, same, close, n in rows:
            ok = p50(page) <= target and ratio <= TARGET_RATIO
            lines.append(
                f"| {days} days | {n:,} | **{p50(page):.1f} ms** | {p95(page):.1f} ms | "
                f"{statistics.median(baseline):.0f} ms | {ratio:.3f}x | p50 <= {target:.0f} ms "
                f"and <= {TARGET_RATIO}x: {verdict(ok)} | counts {'equal' if same else 'DIFFER'}, "
                f"percentiles {'within a bucket' if close else 'DIFFER'} |"
            )
        body = "\n".join(lines)
        print(body)
        if args.orders >= 100_000:
            from bench._results import record

            section = "Insights (bench_insights.py)"
            record(section if vendor == "SQLite" else f"{section}, {vendor}", body)
        return 0 if all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
