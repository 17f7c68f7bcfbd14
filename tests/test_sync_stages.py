"""The kitchen stage written with its order: the page writer derives it from the parsed order,
the stage it had and its cached receipt, in the same INSERT or UPDATE (no read back, no
grouped UPDATEs), and gives what the plain derivation (stages_apply) gives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders_app.models import Order, Receipt
from orders_app.services.sync import parse_rows, store_orders
from orders_app.services.sync.stages import stages_apply
from orders_app.vocabulary import RECEIPT_CLOSED, RECEIPT_OPEN
from tests.test_payloads import raw_order

pytestmark = pytest.mark.django_db

STATUSES = ["PENDING", "RECEIVED", "IGNORE", "DELIVERED", "SOMETHING_NEW"]


def parsed(*raws):
    orders, skipped = parse_rows(list(raws))
    assert not skipped
    return orders


def order_queries(captured) -> list[str]:
    """The verbs of the statements on the orders table (an executemany is logged as
    "N times: INSERT ...")."""
    return [
        q["sql"].split(" times: ", 1)[-1].split()[0]
        for q in captured.captured_queries
        if 'orders_app_order"' in q["sql"]
    ]


def stages() -> dict[int, tuple]:
    return {o.id: (o.stage, o.stage_at) for o in Order.objects.order_by("id")}


def test_new_orders_get_their_stage_in_the_insert_without_another_query():
    page = parsed(*(raw_order(10 + i, status=s) for i, s in enumerate(STATUSES)))

    with CaptureQueriesContext(connection) as captured:
        store_orders(page, known_skipped=set())

    on_orders = order_queries(captured)
    # The read of the page's hashes and the INSERT: no read back, no UPDATE of the stage.
    assert on_orders == ["SELECT", "INSERT"]
    assert not any("orders_app_receipt" in q["sql"] for q in captured.captured_queries)
    by_id = {p.id: p for p in page}
    assert stages() == {
        10: ("new", by_id[10].updated_at),
        11: ("accepted", by_id[11].updated_at),
        12: ("ignored", by_id[12].updated_at),
        13: ("done", by_id[13].updated_at),
        14: ("", None),  # a status Clopos has not documented: no stage, no time
    }


def test_a_changed_order_keeps_its_receipts_stage_and_its_time_until_the_stage_moves():
    store_orders(parsed(raw_order(20, status="RECEIVED")), known_skipped=set())
    Receipt.objects.create(id=700, status=RECEIPT_OPEN, order_status="IN_PROGRESS")
    earlier = timezone.now() - timedelta(minutes=7)
    Order.objects.filter(id=20).update(receipt_id=700, stage="preparing", stage_at=earlier)

    # An edit that does not move the stage: the receipt is read once, the time kept.
    edited = raw_order(20, status="RECEIVED", comment="no onions", updated_at="2026-02-02T18:00Z")
    with CaptureQueriesContext(connection) as captured:
        result = store_orders(parsed(edited), known_skipped=set())
    assert result.updated == 1
    assert sum('orders_app_receipt"' in q["sql"] for q in captured.captured_queries) == 1
    assert order_queries(captured) == ["SELECT", "UPDATE"]
    assert stages()[20] == ("preparing", earlier)

    # The order cancelled in Clopos: ignored from now, in the same UPDATE.
    now = timezone.now()
    cancelled = raw_order(20, status="IGNORE", updated_at="2026-02-02T18:05Z")
    store_orders(parsed(cancelled), now=now, known_skipped=set())
    assert stages()[20] == ("ignored", now)


def test_the_page_writers_stages_are_the_plain_derivations(settings):
    """The fast path (stage in the INSERT/UPDATE) pinned to its plain twin (stages_apply: read
    the written orders back, derive, update) on new orders, changed orders with and without a
    receipt, and stages that do and do not move."""
    first = [raw_order(30 + i, status=s) for i, s in enumerate(STATUSES * 2)]
    store_orders(parsed(*first), known_skipped=set())
    Receipt.objects.bulk_create(
        [
            Receipt(id=800, status=RECEIPT_OPEN, order_status="READY"),
            Receipt(id=801, status=RECEIPT_CLOSED, order_status="COMPLETED"),
            Receipt(id=802, status=RECEIPT_OPEN, order_status="CANCELLED"),
            Receipt(id=803, status=RECEIPT_OPEN, order_status="NEW"),
        ]
    )
    for order_id, receipt_id in [(31, 800), (36, 801), (30, 802), (39, 803), (35, 999)]:
        Order.objects.filter(id=order_id).update(receipt_id=receipt_id)
    before = stages()

    later = "2026-02-02T18:30:00Z"
    moved = ["RECEIVED", "RECEIVED", "DELIVERED", "IGNORE", "PENDING"]
    second = [raw_order(30 + i, status=s, updated_at=later) for i, s in enumerate(moved * 2)]
    second += [raw_order(50, status="RECEIVED"), raw_order(51, status="PENDING")]
    now = timezone.now()
    store_orders(parsed(*second), now=now, known_skipped=set())
    fast = stages()

    # Back to the stages the orders had before the page (new ones had none), then derived the
    # plain way.
    for order_id, (stage, stage_at) in before.items():
        Order.objects.filter(id=order_id).update(stage=stage, stage_at=stage_at)
    Order.objects.filter(id__in=[50, 51]).update(stage="", stage_at=None)
    stages_apply(order_ids=list(fast), now=now)

    assert stages() == fast
    assert fast != before  # the page moved stages, so the comparison says something
    assert fast[31][0] == "ready" and fast[36][0] == "done" and fast[30][0] == "cancelled"
